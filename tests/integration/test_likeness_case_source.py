"""The monitor also watches the media of new case notices: handed over through the
likeness inbox or found in the blob store, analysed once, alerted once."""

from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path
from typing import Any

from mediaproof.config import Settings
from mediaproof.likeness.monitor import Monitor
from mediaproof.services import likeness
from mediaproof.services.cases import CaseService
from mediaproof.services.instance import Instance
from tests.integration.test_cases_flow import candidate_notice
from tests.likeness_support import faces_dir

T0 = dt.datetime(2026, 11, 2, 9, 0, tzinfo=dt.UTC)


class Events:
    def __init__(self) -> None:
        self.entries: list[dict[str, Any]] = []

    def append(self, entry: dict[str, Any]) -> None:
        self.entries.append(entry)


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_case_notice_media_is_analysed_once_and_alerts(corpora: Path, tmp_path: Path) -> None:
    f = faces_dir(corpora)
    inst = Instance(Settings(home=tmp_path / "home"))
    try:
        biden, _ = likeness.enrol(
            inst, "Joe Biden", sorted((f / "knn_examples/train/biden").iterdir())
        )
        cases = CaseService(inst.db, sink=Events())

        def notice(sha: str, minutes: int) -> str:
            r = cases.file_notice(
                candidate_notice(media_sha256=sha, fingerprints={}, content_url=None),
                T0 + dt.timedelta(minutes=minutes),
            )
            return r.notice_id

        queued = f / "two_people.jpg"  # handed over by the intake, then discarded there
        assert likeness.queue_notice_media(inst, queued, _sha(queued))
        n1 = notice(_sha(queued), 0)
        n2 = notice("0" * 64, 1)  # its media was not kept anywhere
        kept = f / "knn_examples/test/obama_and_biden.jpg"
        inst.blobs.put_file(kept)
        n3 = notice(_sha(kept), 2)

        with likeness.likeness_service(inst) as svc:
            mon = Monitor(svc, inst.settings, None, [], sources=[likeness.CaseNoticeSource(inst)])
            r = mon.run_once()
            assert r.analysed == [f"case-notice:{n1}", f"case-notice:{n3}"]
            assert r.skipped == [f"case-notice:{n2} (media not kept)"]
            assert [(a.enrolment_id, a.media_path) for a in r.alerts] == [
                (biden.id, f"case-notice:{n1}"),
                (biden.id, f"case-notice:{n3}"),
            ]
            assert (
                r.alerts[0]
                .statements[0]
                .startswith(f"media of case notice {n1} shows someone who looks like Joe Biden")
            )
            assert not (inst.home / likeness.INBOX / _sha(queued)).exists()  # not kept
            assert inst.blobs.exists(_sha(kept))  # the blob store's copy is not ours
            assert mon.run_once().analysed == []  # nothing new

            # a restarted monitor sees the notices again, but raises no second alert
            again = Monitor(
                svc, inst.settings, None, [], sources=[likeness.CaseNoticeSource(inst)]
            ).run_once()
            assert again.alerts == [] and again.duplicates == [f"case-notice:{n3}"]
            assert len(svc.store.list_alerts()) == 2
    finally:
        inst.close()


def test_notice_media_is_not_queued_when_nobody_is_enrolled(corpora: Path, tmp_path: Path) -> None:
    inst = Instance(Settings(home=tmp_path / "home"))
    try:
        photo = faces_dir(corpora) / "biden.jpg"
        assert not likeness.queue_notice_media(inst, photo, _sha(photo))
        assert not (inst.home / likeness.INBOX).exists()
    finally:
        inst.close()
