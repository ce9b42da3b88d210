"""Queued jobs' uploads are stored by digest, so identical uploads share one blob. A job
that ends while an identical one is being submitted must not delete the blob the new
job was just given: with 4 API processes and workers (bench/bench_scaling.py) a job
failed with ``blob_not_found`` that way. The ending job's release is injected at the
worst moment, right after the new job's bytes are written, on both databases."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from mediaproof.services.job_worker import drop_input
from mediaproof.services.jobs import JobRunner, Portable, job_key
from mediaproof.storage.blobs import ContentStore, LocalBlobStore
from mediaproof.storage.sql.engine import Database
from mediaproof.storage.sql.migrate import upgrade


@pytest.fixture
def runner(db_url: str, tmp_path: Path) -> Iterator[tuple[JobRunner, list[str]]]:
    db = Database(db_url)
    upgrade(db.engine)
    sent: list[str] = []  # the broker's side: what was handed to it
    blobs = ContentStore(LocalBlobStore(tmp_path / "store"), "job-blobs")
    r = JobRunner(db, 600, 16, blobs=blobs, dispatch=sent.append)
    yield r, sent
    r.shutdown()
    db.dispose()


def _upload(tmp_path: Path, name: str) -> Path:
    p = tmp_path / name
    p.write_bytes(b"the same upload, twice" * 100)
    return p


def test_an_ending_job_leaves_an_identical_new_jobs_upload(
    runner: tuple[JobRunner, list[str]], tmp_path: Path
) -> None:
    jobs, sent = runner
    assert jobs.blobs is not None
    store = jobs.blobs
    first = jobs.submit("x", lambda _p: {}, portable=Portable("test.hold", _upload(tmp_path, "a")))
    first_rec = jobs.repo.get(job_key(first.id))
    assert first_rec is not None and first_rec.input_blob is not None
    digest = first_rec.input_blob

    real_put = store.put_file

    def put_then_the_first_job_ends(src: Path, d: str | None = None) -> Any:
        out = real_put(src, d)
        # the first job finishes on a worker now, between the second one's bytes and
        # its dispatch
        rec = jobs.repo.get(job_key(first.id))
        assert rec is not None
        drop_input(jobs.repo, store, rec)
        return out

    store.put_file = put_then_the_first_job_ends  # type: ignore[method-assign]
    second = jobs.submit("x", lambda _p: {}, portable=Portable("test.hold", _upload(tmp_path, "b")))
    store.put_file = real_put  # type: ignore[method-assign]

    rec = jobs.repo.get(job_key(second.id))
    assert rec is not None and rec.input_blob == digest
    assert store.exists(digest), "the second job's upload was deleted under it"
    assert sent == [job_key(first.id), job_key(second.id)]
    # once the second ends too, nobody names the blob: it goes
    drop_input(jobs.repo, store, rec)
    assert not store.exists(digest)
