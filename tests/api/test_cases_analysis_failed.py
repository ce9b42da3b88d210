"""A notice whose background analysis failed says so, and is not queued again on every
start (migration 0033: ``case_notices.analysis_state``/``analysis_error``). In this
process's job runner (no broker) with a malformed video, on SQLite and PostgreSQL;
the broker's paths (a crash dead-lettered, a poison part) are pinned in
tests/integration/test_queue_parts.py."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from mediaproof.accounts.models import Role
from mediaproof.api import create_app
from mediaproof.services import accounts, notice_media
from mediaproof.services.cases.review import _analysis_outcome
from mediaproof.storage.sql.tables_cases import NoticeRow
from mediaproof.storage.sql.tables_jobs import JobRow
from tests.api.conftest import PASSWORD, make_settings
from tests.api.test_cases_api import signed_in
from tests.api.test_cases_media import _notice, _post

VIDEO = "vpdq-tmk-threatexchange/videos/chair-19-sd-bar.mp4"


def _malformed(corpora: Path) -> bytes:
    """An MP4 whose boxes past its first 4 KiB are zeros: it sniffs as a video (so it is
    analysed in the background) and cannot be parsed."""
    real = (corpora / VIDEO).read_bytes()
    return real[:4096] + b"\0" * (len(real) - 8192) + real[-4096:]


def _wait_state(app: FastAPI, nid: str) -> NoticeRow:
    deadline = time.monotonic() + 60
    while (row := _notice(app, nid)).analysis is None and row.analysis_state is None:
        assert time.monotonic() < deadline, "the background analysis never ended"
        time.sleep(0.2)
    return row


def _analysis_jobs(app: FastAPI) -> int:
    with app.state.ctx.inst.db.session() as s:
        n: int = s.scalar(
            select(func.count()).select_from(JobRow).where(JobRow.kind == "case-analysis")
        )
        return n


def test_a_malformed_notice_file_fails_says_so_and_is_not_queued_again(
    tmp_path: Path, corpora: Path, db_url: str
) -> None:
    settings = make_settings(tmp_path / "i", webhook_interval_s=3600).model_copy(
        update={"database_url": db_url}
    )
    app = create_app(settings)
    accounts.create_user(app.state.ctx.inst, "reviewer", Role.REVIEWER, PASSWORD)
    accounts.create_user(app.state.ctx.inst, "reporter", Role.REPORTER, PASSWORD)
    with TestClient(app) as client:
        rec = _post(client, _malformed(corpora), "v.mp4")
        number, nid = rec["case_number"], rec["notice_id"]
        row = _wait_state(app, nid)
        assert row.analysis is None and row.analysis_state == "failed"
        err: dict[str, Any] = json.loads(row.analysis_error or "{}")
        assert err["code"] == "malformed_media" and "/" not in err["message"]

        rev = signed_in(app, "reviewer")
        page = rev.get(f"/review/cases/{number}").text
        assert f'id="analysis-failed-{nid}"' in page
        assert "The analysis of this file failed: the file is malformed" in page
        assert "The file is kept; a reviewer can still look at it." in page
        assert "reload this page" not in page

        out = rev.get(f"/api/v1/cases/{number}")
        assert out.status_code == 200, out.text
        (n,) = [x for x in out.json()["notices"] if x["id"] == nid]
        assert n["analysis_state"] == "failed"
        assert n["analysis_error_code"] == "malformed_media"
        assert n["analysis_error"].startswith("the file is malformed")
        queued = _analysis_jobs(app)
        assert queued == 1

    # a restart does not queue the kept file again (it did on every start)
    again = create_app(settings)
    with TestClient(again):
        assert _analysis_jobs(again) == queued
        assert notice_media.pending_analyses(again.state.ctx.inst, _now(), 100) == []
        assert _notice(again, nid).analysis_state == "failed"

        # a reviewer asks for it again (a form with the CSRF token): queued once more,
        # and it fails again; refused to the signed-out and to reporters
        rev = signed_in(again, "reviewer")
        url = f"/review/cases/{number}/notices/{nid}/retry-analysis"
        assert TestClient(again).post(url, follow_redirects=False).status_code in (303, 401, 403)
        assert _analysis_jobs(again) == queued
        page = rev.get(f"/review/cases/{number}").text
        assert f'id="retry-analysis-{nid}"' in page
        token = page.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
        r = rev.post(url, data={"csrf_token": token}, follow_redirects=False)
        assert r.status_code == 303, r.text
        assert r.headers["location"] == f"/review/cases/{number}?done=retried"
        assert _wait_state(again, nid).analysis_state == "failed"
        assert _analysis_jobs(again) == queued + 1
        assert signed_in(again, "reporter").post(url, data={"csrf_token": token}).status_code == 403


def test_a_good_file_reads_done_and_a_report_wins_over_a_late_failure(
    tmp_path: Path, corpora: Path, db_url: str
) -> None:
    settings = make_settings(tmp_path / "i", webhook_interval_s=3600).model_copy(
        update={"database_url": db_url}
    )
    app = create_app(settings)
    with TestClient(app) as client:
        rec = _post(client, (corpora / VIDEO).read_bytes(), "v.mp4")
        row = _wait_state(app, rec["notice_id"])
        assert row.analysis is not None and row.analysis_state == "done"
        assert _analysis_outcome(row) == ("done", None, None)
        # a duplicate delivery that failed after the report arrived changes nothing
        db = app.state.ctx.inst.db
        assert not notice_media.analysis_failed(db, rec["notice_id"], {"code": "analysis_timeout"})
        assert _notice(app, rec["notice_id"]).analysis_state == "done"


def test_failure_messages_name_no_path() -> None:
    code, msg = notice_media.failure_message(
        {"code": "decode_error", "message": "could not read /srv/mediaproof/tmp/job-x/input"}
    )
    assert code == "decode_error" and "/" not in msg
    assert notice_media.failure_message({"code": "analysis_crashed", "message": "x"})[1].startswith(
        "the analysis process stopped unexpectedly"
    )


def _now() -> Any:
    import datetime as dt

    return dt.datetime.now(dt.UTC)
