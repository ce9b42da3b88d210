"""Long video split into parts, through the local RabbitMQ and real ``mediaproof worker``
processes (docs/queue.md, "Long media in parts"): nothing is mocked. The workers run
with a part length of 2 s, so a 19 s corpus video is 10 parts. Each test runs for both
kinds that split: a verify job, and the analysis of a video sent with a notice
(``notice.analyze``, whose combine attaches the report and fingerprints to the notice).

The test kinds' plug-in (tests/integration/queue_kinds.py) adds two part readers that
read nothing: one holds part 1 until the test releases it (to kill its worker mid-part),
one kills its worker on part 1 every time (a poison stretch of a file).
"""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from celery import Celery
from sqlalchemy import select

from mediaproof.config import Limits
from mediaproof.media.ingest import ingest_file
from mediaproof.queue.app import PART_TASK_NAME, Topology, make_celery
from mediaproof.queue.tasks import part_task_id
from mediaproof.services.instance import Instance
from mediaproof.services.job_parts import plan_parts
from mediaproof.services.jobs import JobRunner, Portable, job_key
from mediaproof.services.public_verify import verify_upload
from mediaproof.services.queued_rounds import NOTICE_ANALYZE
from mediaproof.storage.sql.repos_job_parts import JobPartRepo
from mediaproof.storage.sql.repos_jobs import JobRepo
from mediaproof.storage.sql.tables_cases import NoticeRow
from mediaproof.watermark import ensure_watermark_key
from tests.integration import test_queue
from tests.integration.test_queue import QueueEnv, dead_letters, ready_messages, runner, wait_for

qenv = test_queue.qenv  # the queue's fixture: a queue of its own, workers killed after

VIDEO = "vpdq-tmk-threatexchange/videos/chair-19-sd-bar.mp4"  # 18.8 s, B-frames, sound
PART_S = 2.0
KINDS = pytest.mark.parametrize("kind", ["verify", NOTICE_ANALYZE])


def _norm(report: dict[str, Any] | None) -> dict[str, Any]:
    assert report is not None
    out: dict[str, Any] = json.loads(json.dumps(report))
    out.pop("analysed_at")
    return out


def _setup(qenv: QueueEnv, corpora: Path) -> tuple[Path, int]:
    """The upload (a copy: the job deletes it) and how many parts it makes."""
    ensure_watermark_key(qenv.home)  # the workers read the watermark on sampled frames
    qenv.worker_env["MEDIAPROOF_QUEUE_PART_S"] = str(PART_S)
    upload = qenv.box / "upload.mp4"
    shutil.copyfile(corpora / VIDEO, upload)
    spans = plan_parts(upload, ingest_file(upload, Limits()), PART_S)
    assert spans is not None
    return upload, len(spans)


def _cases(inst: Instance) -> Any:
    from mediaproof.cases.events import InMemoryEventSink
    from mediaproof.services.cases import CaseService

    return CaseService(inst.db, sink=InMemoryEventSink())


def _file_notice(inst: Instance, corpora: Path) -> str:
    from tests.factories import notice_input
    from tests.integration.test_exchange_db import T0

    sha = hashlib.sha256((corpora / VIDEO).read_bytes()).hexdigest()
    inp = notice_input(media_sha256=sha, mime="video/mp4", fingerprints={})
    return str(_cases(inst).file_notice(inp, T0).notice_id)


def _attached(inst: Instance, notice_id: str) -> dict[str, Any] | None:
    """What a notice's analysis attached to it (its report and fingerprints), or None."""
    with inst.db.session() as s:
        row = s.scalars(select(NoticeRow).where(NoticeRow.public_id == notice_id)).one()
        if row.analysis is None:
            return None
        return {
            "report": _norm(json.loads(row.analysis)),
            "fingerprints": json.loads(row.fingerprints or "{}"),
        }


def _unsplit(qenv: QueueEnv, corpora: Path, kind: str) -> dict[str, Any]:
    """The outcome of the same file, whole, in this process (no broker involved): the
    report, or what the notice's analysis attaches to a notice."""
    inst = Instance(qenv.settings())
    try:
        if kind == "verify":
            return _norm(verify_upload(inst, corpora / VIDEO))
        from mediaproof.services.cases.intake_form import analyse_into

        nid = _file_notice(inst, corpora)
        analyse_into(inst, _cases(inst), nid, corpora / VIDEO)
        out = _attached(inst, nid)
        assert out is not None
        return out
    finally:
        inst.close()


def _submit(jobs: JobRunner, upload: Path, kind: str, inst: Instance, corpora: Path) -> str:
    if kind == "verify":
        portable = Portable("verify", upload)
    else:
        portable = Portable(kind, upload, {"notice_id": _file_notice(inst, corpora)})
    return jobs.submit(kind, lambda _p: {}, portable=portable).id


def _outcome(inst: Instance, jobs: JobRunner, job_id: str, kind: str) -> dict[str, Any] | None:
    """The job's report, or what its notice got attached."""
    done = jobs.get(job_id)
    if kind == "verify":
        return _norm(done.result)
    assert done.result is not None
    return _attached(inst, str(done.result["notice_id"]))


def _drain(qenv: QueueEnv, jobs: JobRunner) -> None:
    """Wait until the worker has taken everything queued so far: a job queued behind it
    has run (one worker, one task at a time)."""
    (qenv.box / "release").write_text("")
    after = jobs.submit(
        "x", lambda _p: {}, portable=Portable("test.hold", None, {"dir": str(qenv.box)})
    )
    wait_for("the queue to drain", lambda: jobs.get(after.id).status == "done", 120, qenv)


def _publish_part(app: Celery, qenv: QueueEnv, key: str, idx: int) -> None:
    app.send_task(
        PART_TASK_NAME,
        args=[key, idx],
        task_id=part_task_id(key, idx),
        queue=Topology(qenv.queue, qenv.delivery_limit).jobs_queue(),
    )


@KINDS
def test_long_video_runs_as_parts_and_one_combine(
    qenv: QueueEnv, corpora: Path, kind: str
) -> None:
    """A 19 s video becomes 10 part tasks and one combine; every part is delivered a
    second time while the job runs, and again after it ended: each part's work is done
    and counted once, the combine runs once, and the report (and a notice's attached
    report and fingerprints) is the whole-file one."""
    upload, n = _setup(qenv, corpora)
    assert n == 10
    expected = _unsplit(qenv, corpora, kind)
    inst, jobs = runner(qenv)
    app = make_celery(qenv.settings())
    parts = JobPartRepo(inst.db)
    try:
        job_id = _submit(jobs, upload, kind, inst, corpora)
        key = job_key(job_id)
        qenv.start_worker()
        wait_for("the job to be split", lambda: parts.count(key) == n, 120, qenv)
        for idx in range(n):  # duplicates, queued behind the originals
            _publish_part(app, qenv, key, idx)
        wait_for("the job", lambda: jobs.get(job_id).status in ("done", "failed"), 240, qenv)
        done = jobs.get(job_id)
        assert done.status == "done", done.error
        assert _outcome(inst, jobs, job_id, kind) == expected
        assert done.progress == 1.0

        for idx in range(n):  # and again, after the job ended
            _publish_part(app, qenv, key, idx)
        _drain(qenv, jobs)
        rows = parts.all(key)
        assert [(p.idx, p.status, p.attempts) for p in rows] == [(i, "done", 1) for i in range(n)]
        # what the parts read covers the video once: 19 frames hashed (one a second)
        hashed = [f[0] for p in rows for f in (p.result or {})["video"]["vpdq"]]
        assert hashed == list(range(0, 564, 30))
        assert all((p.result or {})["video"]["seeked"] for p in rows[1:])
        assert parts.combines(key) == 1
        assert jobs.get(job_id) == done
        assert ready_messages(qenv) == 0
        assert dead_letters(qenv) == []
        assert [p for p in (qenv.home / "job-blobs").rglob("*") if p.is_file()] == []
    finally:
        app.close()
        jobs.shutdown()
        inst.close()


@KINDS
def test_worker_killed_mid_part_redoes_only_that_part(
    qenv: QueueEnv, corpora: Path, kind: str
) -> None:
    """kill -9 the worker while it reads part 1: the broker hands that part to the next
    worker, which redoes it alone; the job ends once, with the whole-file report."""
    upload, n = _setup(qenv, corpora)
    hold = qenv.box / "hold"
    hold.mkdir()
    qenv.worker_env["MEDIAPROOF_TEST_PART_HOLD"] = str(hold)
    expected = _unsplit(qenv, corpora, kind)
    inst, jobs = runner(qenv)
    parts = JobPartRepo(inst.db)
    try:
        job_id = _submit(jobs, upload, kind, inst, corpora)
        key = job_key(job_id)
        first = qenv.start_worker()
        wait_for("part 1 to start", (hold / "part-started-1").exists, 120, qenv)
        qenv.kill(first)  # mid-part: its message was never acknowledged
        before = {p.idx: p.attempts for p in parts.all(key)}
        assert before[0] == 1 and before[1] == 1

        qenv.start_worker()
        wait_for("part 1 to be redelivered", (hold / "part-started-2").exists, 120, qenv)
        (hold / "release-part").write_text("")
        wait_for("the job", lambda: jobs.get(job_id).status in ("done", "failed"), 240, qenv)
        done = jobs.get(job_id)
        assert done.status == "done", done.error
        assert _outcome(inst, jobs, job_id, kind) == expected
        rows = parts.all(key)
        assert [p.attempts for p in rows] == [1, 2] + [1] * (n - 2)
        assert all(p.status == "done" for p in rows)
        assert parts.combines(key) == 1
        _drain(qenv, jobs)
        assert jobs.get(job_id) == done
        assert ready_messages(qenv) == 0
        assert dead_letters(qenv) == []
    finally:
        jobs.shutdown()
        inst.close()


@KINDS
def test_poison_part_fails_the_job_and_is_dead_lettered(
    qenv: QueueEnv, corpora: Path, kind: str
) -> None:
    """A stretch of the file that kills its worker every time: part 1 is tried
    DELIVERY_LIMIT + 1 times, then dead-lettered, and the job reads failed
    (``analysis_crashed``) instead of waiting for a part that never comes; a notice
    gets no half analysis."""
    upload, n = _setup(qenv, corpora)
    crash = qenv.box / "crash"
    crash.mkdir()
    qenv.worker_env["MEDIAPROOF_TEST_PART_CRASH"] = str(crash)
    inst, jobs = runner(qenv)
    parts = JobPartRepo(inst.db)
    try:
        job_id = _submit(jobs, upload, kind, inst, corpora)
        key = job_key(job_id)
        qenv.start_worker()
        wait_for("the job to end", lambda: jobs.get(job_id).status in ("done", "failed"), 240, qenv)
        failed = jobs.get(job_id)
        assert failed.status == "failed"
        assert failed.error is not None and failed.error["code"] == "analysis_crashed"
        assert len(list(crash.glob("part-crashed-*"))) == qenv.delivery_limit + 1
        assert parts.count(key) == n
        _drain(qenv, jobs)
        assert dead_letters(qenv) == [part_task_id(key, 1)]
        assert parts.combines(key) == 0
        assert parts.get(key, 1) is not None and parts.get(key, 1).status == "running"  # type: ignore[union-attr]
        assert ready_messages(qenv) == 0
        assert qenv.workers[0].poll() is None  # the worker itself lived through it
        if kind == NOTICE_ANALYZE:
            nid = str(JobRepo(inst.db).get(key).params["notice_id"])  # type: ignore[union-attr]
            assert _attached(inst, nid) is None  # no report from a part of the file
            # the notice says its analysis failed (the worker's main process recorded
            # it), so its case page stops saying "reload", and start-up skips it
            with inst.db.session() as s:
                row = s.scalars(select(NoticeRow).where(NoticeRow.public_id == nid)).one()
                assert row.analysis_state == "failed"
                assert json.loads(row.analysis_error or "{}")["code"] == "analysis_crashed"
        # the upload is not kept once the job has failed
        assert [p for p in (qenv.home / "job-blobs").rglob("*") if p.is_file()] == []
    finally:
        jobs.shutdown()
        inst.close()
