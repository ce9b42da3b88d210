"""Background rounds on the job queue (issue 20 #2), against the local RabbitMQ and a
real ``mediaproof worker``: with a broker configured, the API process's exchange pull
scheduler and case outbox hand their rounds to the workers (services.queued_rounds),
one round of a kind at a time; a worker pulls a real peer on loopback."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from mediaproof.api import create_app
from mediaproof.config import Settings
from mediaproof.exchange.models import CollectionSpec
from mediaproof.queue.publish import Publisher
from mediaproof.services import exchange, exchange_pull
from mediaproof.services.instance import Instance
from mediaproof.services.queued_rounds import (
    EXCHANGE_PULL,
    NOTICE_ANALYZE,
    OUTBOX_DELIVER,
    RoundQueue,
)
from mediaproof.storage.sql.repos_jobs import JobRepo
from mediaproof.storage.sql.tables_cases import NoticeRow
from mediaproof.storage.sql.tables_jobs import JobRow
from tests.e2e.server import Server
from tests.integration import test_queue
from tests.integration.test_exchange_db import PDQ_A, PDQ_C, VPDQ_A, banked
from tests.integration.test_queue import QueueEnv, wait_for

qenv = test_queue.qenv  # the queue's fixture: a queue of its own, workers killed after

pytestmark = pytest.mark.rabbitmq


def _rounds(inst: Instance, what: str) -> list[JobRow]:
    with inst.db.session() as s:
        return list(s.scalars(select(JobRow).where(JobRow.kind == what)))


def test_one_round_of_a_kind_waits_at_a_time(qenv: QueueEnv) -> None:
    settings = qenv.settings()
    inst = Instance(settings)
    publisher = Publisher(settings)
    try:
        rounds = RoundQueue(inst.db, publisher)
        assert rounds(OUTBOX_DELIVER) is True
        assert rounds(OUTBOX_DELIVER) is False  # no worker yet: the first still waits
        assert rounds(EXCHANGE_PULL) is True  # another kind is not held up
        qenv.start_worker()
        wait_for(
            "the outbox round",
            lambda: [r.status for r in _rounds(inst, OUTBOX_DELIVER)] == ["done"],
            90,
            qenv,
        )
        rec = JobRepo(inst.db).get(_rounds(inst, OUTBOX_DELIVER)[0].id)
        assert rec is not None and rec.result is not None and rec.result["attempted"] == 0
        assert rounds(OUTBOX_DELIVER) is True  # ended: the next tick queues a new one
    finally:
        publisher.close()
        inst.close()


def test_the_scheduler_of_an_api_process_has_a_worker_pull_peers(
    qenv: QueueEnv, tmp_path: Path
) -> None:
    a_home = tmp_path / "peer"
    peer = Instance(Settings(home=a_home))
    try:
        banked(peer)
        exchange.create_collection(peer, CollectionSpec("confirmed", "County A"))
        token, _ = exchange.grant(peer, "confirmed", "county-b")
        key = exchange.public_key(peer)
    finally:
        peer.close()
    a = Server(a_home)
    try:
        app = create_app(qenv.settings(exchange_pull_interval_s=0.3))
        b: Instance = app.state.ctx.inst
        exchange_pull.add_peer(
            b, "county-a", url=a.url, collection="confirmed", token=token, key=key
        )
        qenv.start_worker()
        with TestClient(app):  # the lifespan starts the scheduler, which queues rounds
            wait_for(
                "a pull by the worker",
                lambda: exchange_pull.peers(b)[0]["status"] == "ok",
                120,
                qenv,
            )
            time.sleep(1.0)  # a few more ticks
        got = {s["value"] for s in exchange_pull.incoming(b, "county-a")}
        assert got == {PDQ_A, PDQ_C, VPDQ_A}
        pulls = _rounds(b, EXCHANGE_PULL)
        assert pulls and all(r.runner == "queue" for r in pulls)
        assert sum(r.status in ("queued", "running") for r in pulls) <= 1
        # the API process queued them (it pulls nothing itself with a broker configured)
        assert any(r.status == "done" for r in pulls)
    finally:
        a.close()


def test_a_worker_analyses_a_reported_file(qenv: QueueEnv, tmp_path: Path) -> None:
    from tests.api.test_cases_media import FIELDS, _voice

    app = create_app(qenv.settings(job_audio_min_s=0, webhook_interval_s=3600))
    inst: Instance = app.state.ctx.inst
    wav = _voice(tmp_path / "a.wav", 12).read_bytes()
    qenv.start_worker()
    with TestClient(app) as client:
        r = client.post("/api/v1/notices", data=FIELDS, files={"file": ("a.wav", wav)})
        assert r.status_code == 201, r.text
        nid = r.json()["notice_id"]

        def analysed() -> bool:
            with inst.db.session() as s:
                row = s.scalars(select(NoticeRow).where(NoticeRow.public_id == nid)).one()
                return row.analysis is not None

        wait_for("the worker's analysis of the notice", analysed, 120, qenv)
    jobs = _rounds(inst, NOTICE_ANALYZE)
    assert [j.status for j in jobs] == ["done"] and jobs[0].runner == "queue"
    rec = JobRepo(inst.db).get(jobs[0].id)
    assert rec is not None and rec.result == {"notice_id": nid, "label": rec.result["label"]}
    assert rec.input_blob is None  # the upload left the job store when the job ended
