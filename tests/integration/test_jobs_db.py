"""Jobs and result images in the database, on both backends: the migration matches the
tables, and the guarded updates that keep one result per job."""

from __future__ import annotations

import datetime as dt
import os
import socket
import subprocess
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from mediaproof.errors import BusyError, NotFoundError
from mediaproof.services.jobs import JobRunner, job_key
from mediaproof.services.result_images import ResultImages
from mediaproof.storage.blobs import ContentStore, LocalBlobStore
from mediaproof.storage.sql.engine import Database
from mediaproof.storage.sql.repos_job_parts import JobPartRepo
from mediaproof.storage.sql.repos_jobs import JobRepo
from mediaproof.storage.sql.tables import Base
from mediaproof.storage.sql.tables_jobs import JobPartRow, JobRow, ResultImageRow


def test_migration_matches_tables(db: Database) -> None:
    with db.engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = compare_metadata(ctx, Base.metadata)
    names = (JobRow.__tablename__, ResultImageRow.__tablename__, JobPartRow.__tablename__)
    assert [d for d in diff if any(f"'{n}'" in repr(d) for n in names)] == []


def test_a_job_ends_once(db: Database) -> None:
    repo = JobRepo(db)
    repo.create("j1", "verify", "queue", max_pending=4, params={"a": 1})
    first = repo.start("j1")
    assert first is not None and first.attempts == 1 and first.params == {"a": 1}
    again = repo.start("j1")  # a redelivery while the first still runs
    assert again is not None and again.attempts == 2
    repo.progress("j1", "watermark", 0.5)
    repo.progress("j1", "match", 0.25)  # never goes back
    rec = repo.get("j1")
    assert rec is not None and rec.stage == "match" and rec.progress == 0.5
    assert repo.finish("j1", result={"n": 1}) is True
    assert repo.finish("j1", result={"n": 2}) is False  # the other attempt lost
    assert repo.finish("j1", error={"code": "x"}) is False
    assert repo.start("j1") is None  # a redelivery after the end does nothing
    done = repo.get("j1")
    assert done is not None
    assert (done.status, done.result, done.error, done.progress) == ("done", {"n": 1}, None, 1.0)


def test_racing_finishers_write_one_result(db: Database) -> None:
    repo = JobRepo(db)
    repo.create("race", "verify", "queue", max_pending=4)
    repo.start("race")
    won: list[int] = []
    barrier = threading.Barrier(8)

    def finish(i: int) -> None:
        barrier.wait()
        if repo.finish("race", result={"by": i}):
            won.append(i)

    threads = [threading.Thread(target=finish, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    rec = repo.get("race")
    assert len(won) == 1 and rec is not None and rec.result == {"by": won[0]}


def test_pending_bound_counts_every_process(db: Database) -> None:
    a, b = JobRepo(db), JobRepo(db)
    a.create("p1", "verify", "local", max_pending=2)
    b.create("p2", "verify", "queue", max_pending=2)
    with pytest.raises(BusyError):
        a.create("p3", "verify", "local", max_pending=2)
    b.start("p2")
    b.finish("p2", error={"code": "x", "message": "m", "hint": None})
    a.create("p3", "verify", "local", max_pending=2)  # room again


def test_abandoned_jobs_fail_those_the_broker_will_redeliver_do_not(db: Database) -> None:
    repo = JobRepo(db)
    repo.create("local", "verify", "local", max_pending=8)
    repo.create("queued", "verify", "queue", max_pending=8)
    repo.create("retry", "verify", "queue", max_pending=8)
    repo.start("retry")  # its worker died; the broker will hand it out again
    repo.create("last", "verify", "queue", max_pending=8)
    repo.start("last", last_try=True)  # its worker died on the last try the broker allows
    future = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=1)
    assert len(repo.fail_abandoned(future, {"code": "job_lost"})) == 2
    status = {k: getattr(repo.get(k), "status", None) for k in ("local", "queued", "retry", "last")}
    assert status == {"local": "failed", "queued": "queued", "retry": "running", "last": "failed"}
    local = repo.get("local")
    assert local is not None and local.error == {"code": "job_lost"}
    # kept alive: not abandoned
    repo.create("beating", "verify", "queue", max_pending=8)
    repo.start("beating", last_try=True)
    past = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=30)
    assert repo.fail_abandoned(past, {"code": "job_lost"}) == []


def test_finished_jobs_expire_with_their_input(db: Database) -> None:
    repo = JobRepo(db)
    repo.create("old", "verify", "queue", max_pending=4, input_blob="a" * 64)
    repo.create("live", "verify", "queue", max_pending=4, input_blob="b" * 64)
    repo.start("old")
    repo.finish("old", result={})
    later = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=1)
    assert repo.expire(later) == ["a" * 64]
    assert repo.get("old") is None and repo.get("live") is not None


def test_runner_jobs_are_read_by_another_runner(db: Database, tmp_path: Path) -> None:
    """Two API processes' runners on one database (no broker): B reads A's job, its
    progress and its result."""
    a = JobRunner(db, 60, 4)
    b = JobRunner(db, 60, 4)
    go = threading.Event()

    def work(progress: object) -> dict[str, object]:
        assert callable(progress)
        progress("decoding", 0.5)
        go.wait(10)
        return {"answer": 42}

    try:
        job = a.submit("verify", work)
        # the database knows the job by a hash of its id: the id opens the result
        assert a.repo.get(job.id) is None and a.repo.get(job_key(job.id)) is not None
        for _ in range(100):
            seen = b.get(job.id)
            if seen.stage == "decoding":
                break
            threading.Event().wait(0.05)
        assert (seen.status, seen.progress) == ("running", 0.5)
        go.set()
        for _ in range(100):
            seen = b.get(job.id)
            if seen.status == "done":
                break
            threading.Event().wait(0.05)
        assert seen.result == {"answer": 42} and seen.progress == 1.0
        with pytest.raises(NotFoundError):
            b.get("no-such-job")
    finally:
        a.shutdown()
        b.shutdown()


def test_result_images_are_shared_and_expire(db: Database, tmp_path: Path) -> None:
    blobs = ContentStore(LocalBlobStore(tmp_path), "job-blobs")
    a = ResultImages(db, blobs, keep_s=60)
    b = ResultImages(db, blobs, keep_s=60)
    token = a.put(b"\x89PNG one")
    twin = a.put(b"\x89PNG one")  # the same bytes under another token share one blob
    assert b.get(token) == b.get(twin) == b"\x89PNG one"
    short = ResultImages(db, blobs, keep_s=60, max_images=1)
    short.put(b"\x89PNG two")  # the bound drops the older two; their blob goes with them
    for t in (token, twin):
        with pytest.raises(NotFoundError):
            b.get(t)
    assert len([p for p in (tmp_path / "job-blobs").rglob("*") if p.is_file()]) == 1


def test_an_image_that_expires_in_its_own_put_leaves_no_bytes(
    db: Database, tmp_path: Path
) -> None:
    """With a keep time of 0 the new row is expired (and dropped) inside its own put; the
    bytes must go with it, not be put back named by no row (never deleted after)."""
    blobs = ContentStore(LocalBlobStore(tmp_path), "job-blobs")
    token = ResultImages(db, blobs, keep_s=0).put(b"\x89PNG at once")
    with pytest.raises(NotFoundError):
        ResultImages(db, blobs, keep_s=60).get(token)
    assert [p for p in (tmp_path / "job-blobs").rglob("*") if p.is_file()] == []
    kept = ResultImages(db, blobs, keep_s=60)  # a row that lives keeps its bytes
    assert kept.get(kept.put(b"\x89PNG kept")) == b"\x89PNG kept"


def test_a_restarted_process_fails_the_jobs_of_the_one_before(db: Database) -> None:
    """A process that was killed or restarted on this host: the next one fails its local
    jobs at once (by the process id), so they do not hold places in the pending bound
    for a minute; jobs of live processes and of other hosts are left to the heartbeat."""
    host = socket.gethostname()
    gone = subprocess.Popen(["true"])
    gone.wait()  # exited and reaped: its process id names no process
    dead_pid = gone.pid
    repo = JobRepo(db)
    repo.create("dead", "case-analysis", "local", max_pending=8, owner=f"{host}:{dead_pid}:aa")
    repo.create("live", "case-analysis", "local", max_pending=8, owner=f"{host}:{os.getppid()}:bb")
    repo.create("away", "case-analysis", "local", max_pending=8, owner=f"elsewhere:{dead_pid}:cc")
    runner = JobRunner(db, 60, 8)
    try:
        status = {k: getattr(repo.get(k), "status", None) for k in ("dead", "live", "away")}
        assert status == {"dead": "failed", "live": "queued", "away": "queued"}
        dead = repo.get("dead")
        assert dead is not None and dead.error is not None and dead.error["code"] == "job_lost"
    finally:
        runner.shutdown()


def test_a_split_job_counts_each_part_once_and_combines_once(db: Database) -> None:
    """Parts of a split job (docs/queue.md, "Long media in parts"): a part's reading is
    written once, the combine is claimed once, and only when every part is done."""
    repo, parts = JobRepo(db), JobPartRepo(db)
    repo.create("j", "verify", "queue", max_pending=4, input_blob="b" * 64)
    repo.start("j")
    assert parts.create("j", [{"n0": 0}, {"n0": 30}]) == 2
    assert parts.create("j", [{"n0": 0}]) == 2  # split again (a redelivery): kept
    first = parts.start("j", 0)
    assert first is not None and first.attempts == 1 and first.span == {"n0": 0}
    assert not parts.claim_combine("j", 0)  # part 1 is not done
    assert parts.finish("j", 0, {"read": 1})
    assert not parts.finish("j", 0, {"read": 2})  # a duplicate delivery's reading
    assert parts.start("j", 0) is None  # done: a later delivery does no work
    assert parts.start("j", 1, last_try=True) is not None
    rec = repo.get("j")
    assert rec is not None and rec.last_try  # a whole worker lost now: job_lost, not hung
    assert parts.finish("j", 1, {"read": 3})
    rec = repo.get("j")
    assert rec is not None and not rec.last_try
    assert parts.claim_combine("j", 1)
    assert not parts.claim_combine("j", 0) and not parts.claim_combine("j", 1)
    # part 1's message delivered again (its worker died in the combine): it retakes, and
    # on the broker's last delivery the job says so (a lost worker then fails it)
    assert parts.claim_combine("j", 1, retake=True, last_try=True)
    rec = repo.get("j")
    assert rec is not None and rec.last_try
    assert not parts.claim_combine("j", 0, retake=True)
    assert parts.combines("j") == 2
    assert [p.result for p in parts.all("j")] == [{"read": 1}, {"read": 3}]
    assert repo.finish("j", result={})
    assert not parts.claim_combine("j", 1, retake=True)  # ended
    later = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=1)
    assert repo.expire(later) == ["b" * 64]
    assert parts.all("j") == []  # the parts go with their job


def test_two_last_parts_finishing_together_combine_once(db: Database) -> None:
    """Every part done, several callers claim at once (threads, own connections): one
    claim, on SQLite and on PostgreSQL (the row lock)."""
    repo, parts = JobRepo(db), JobPartRepo(db)
    for round_ in range(5):
        key = f"race-{round_}"
        repo.create(key, "verify", "queue", max_pending=64)
        repo.start(key)
        parts.create(key, [{"n0": i} for i in range(4)])
        for i in range(4):
            parts.start(key, i)
            parts.finish(key, i, {})
        barrier = threading.Barrier(4)

        def claim(i: int, key: str = key, barrier: threading.Barrier = barrier) -> bool:
            barrier.wait()
            return parts.claim_combine(key, i)

        with ThreadPoolExecutor(4) as pool:
            won = list(pool.map(claim, range(4)))
        assert sum(won) == 1
        assert parts.combines(key) == 1
