"""Request ids across processes: a job queued while a request is handled runs in a real
worker (on the local RabbitMQ) with that request's id, and the worker's log lines about
it carry the id; a job queued outside any request carries none."""

from __future__ import annotations

import json

import pytest

from mediaproof.observability.context import request_id_scope
from mediaproof.services.jobs import Portable, job_key
from tests.integration import test_queue
from tests.integration.test_queue import QueueEnv, qenv, runner, wait_for

__all__ = ["qenv"]  # the fixture, shared with test_queue
pytestmark = pytest.mark.rabbitmq


def test_a_queued_job_runs_with_the_request_id_that_queued_it(
    qenv: QueueEnv, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(test_queue, "PLUGIN", "tests.integration.queue_rid_kinds")
    inst, jobs = runner(qenv)
    try:
        qenv.start_worker()
        params = {"dir": str(qenv.box)}
        with request_id_scope("req-7f3a.42"):
            job = jobs.submit(
                "test.rid", lambda _p: {}, portable=Portable("test.rid", None, params)
            )
        bare = jobs.submit("test.rid", lambda _p: {}, portable=Portable("test.rid", None, params))
        for j in (job, bare):
            wait_for("the job", lambda j=j: jobs.get(j.id).status == "done", 45, qenv)  # type: ignore[misc]
        assert jobs.get(job.id).result == {"rid": "req-7f3a.42"}
        assert (qenv.box / f"rid-{job_key(job.id)}").read_text() == "req-7f3a.42"
        # the id does not leak into the next job the same worker process runs
        assert jobs.get(bare.id).result == {"rid": None}
        lines = [
            json.loads(ln)
            for ln in qenv.worker_logs().splitlines()
            if ln.startswith("{") and '"test.rid ran"' in ln
        ]
        assert [ln.get("rid") for ln in lines] == ["req-7f3a.42", None]
    finally:
        jobs.shutdown()
        inst.close()


def test_worker_ignores_an_insane_request_id_header() -> None:
    from mediaproof.observability.tasks import HEADER, request_id_of

    class Req:
        pass

    r = Req()
    setattr(r, HEADER, "jane@example.org\nforged line")
    assert request_id_of(r) is None
    setattr(r, HEADER, "abc-123")
    assert request_id_of(r) == "abc-123"
    r2 = Req()
    r2.headers = {HEADER: "from-headers"}  # type: ignore[attr-defined]
    assert request_id_of(r2) == "from-headers"
