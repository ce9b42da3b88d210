"""The job queue against the local RabbitMQ (127.0.0.1:5672, guest/guest) and real
``mediaproof worker`` processes: nothing is mocked.

Each test declares its own queues (a unique name per test, so concurrent runs never
share one) and deletes them afterwards; workers are killed with their process group.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from kombu import Connection

from mediaproof.api import create_app
from mediaproof.config import ServiceSettings, Settings
from mediaproof.config_cluster import QueueSettings
from mediaproof.queue.app import Topology
from mediaproof.queue.publish import Publisher
from mediaproof.services.instance import Instance
from mediaproof.services.jobs import JobRunner, Portable, job_blobs, job_key
from mediaproof.storage.sql.repos_jobs import JobRepo
from tests.conftest import REPO

BROKER = os.environ.get("MEDIAPROOF_TEST_BROKER_URL", "amqp://guest:guest@127.0.0.1:5672//")
DELIVERY_LIMIT = 2  # a crashing job is tried 3 times, then dead-lettered
PLUGIN = "tests.integration.queue_kinds"
FIX = "c2pa-sdk-fixtures/c2pa-rs/sdk/tests/fixtures"

pytestmark = pytest.mark.rabbitmq


@dataclass
class QueueEnv:
    home: Path
    database_url: str
    queue: str
    box: Path  # where the test kinds note what they did
    delivery_limit: int = DELIVERY_LIMIT
    workers: list[subprocess.Popen[bytes]] = field(default_factory=list)
    worker_env: dict[str, str] = field(default_factory=dict)  # more for the workers

    def settings(self, **service: Any) -> Settings:
        return Settings(
            home=self.home,
            database_url=self.database_url,
            broker_url=BROKER,  # type: ignore[arg-type]  # pydantic makes it a SecretStr
            queue=QueueSettings(name=self.queue, delivery_limit=self.delivery_limit),
            service=ServiceSettings(analysis_processes=0, rate_verify_burst=1000, **service),
        )

    def start_worker(self) -> subprocess.Popen[bytes]:
        env = {
            **os.environ,
            "PYTHONPATH": os.pathsep.join(
                [str(REPO / "src"), str(REPO), os.environ.get("PYTHONPATH", "")]
            ),
            "MEDIAPROOF_HOME": str(self.home),
            "MEDIAPROOF_DATABASE_URL": self.database_url,
            "MEDIAPROOF_BROKER_URL": BROKER,
            "MEDIAPROOF_QUEUE_NAME": self.queue,
            "MEDIAPROOF_QUEUE_DELIVERY_LIMIT": str(self.delivery_limit),
            **self.worker_env,
        }
        log = (self.home / f"worker-{len(self.workers)}.log").open("wb")
        p = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "mediaproof",
                "worker",
                "--plugin",
                PLUGIN,
                "--concurrency",
                "1",
                "--log-level",
                "info",
            ],
            cwd=REPO,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log.close()
        self.workers.append(p)
        return p

    def kill(self, p: subprocess.Popen[bytes]) -> None:
        """kill -9 the worker and its pool processes (its process group), as a machine
        that loses power would."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(p.pid, signal.SIGKILL)
        p.wait(timeout=10)

    def worker_logs(self) -> str:
        return "\n".join(
            p.read_text(errors="replace") for p in sorted(self.home.glob("worker-*.log"))
        )


@pytest.fixture
def qenv(tmp_path: Path, db_url: str) -> Iterator[QueueEnv]:
    try:
        with Connection(BROKER, connect_timeout=5) as conn:
            conn.ensure_connection(max_retries=1)
    except Exception as e:  # the tests need the broker: an error, not a skip
        raise RuntimeError(
            f"RabbitMQ is not reachable at 127.0.0.1:5672 ({e}); run scripts/services.sh"
        ) from e
    env = QueueEnv(
        home=tmp_path / "home",
        database_url=db_url,
        queue=f"mediaproof-test-{uuid.uuid4().hex[:12]}",
        box=tmp_path / "box",
    )
    env.home.mkdir()
    env.box.mkdir()
    try:
        yield env
    finally:
        for p in env.workers:
            env.kill(p)
        with Connection(BROKER) as conn:
            Topology(env.queue, env.delivery_limit).delete(conn)


def wait_for(what: str, check: Callable[[], bool], timeout_s: float, env: QueueEnv) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}; worker logs:\n{env.worker_logs()}")


def runner(env: QueueEnv) -> tuple[Instance, JobRunner]:
    settings = env.settings()
    inst = Instance(settings)
    return inst, JobRunner(
        inst.db, 600, 16, blobs=job_blobs(settings), dispatch=Publisher(settings)
    )


def dead_letters(env: QueueEnv) -> list[str]:
    """The task ids (= job keys) in the dead-letter queue, taken off it."""
    ids = []
    with Connection(BROKER) as conn:
        q = Topology(env.queue, env.delivery_limit).dead_letter_queue().bind(conn.default_channel)
        while (msg := q.get(no_ack=True)) is not None:
            ids.append(msg.headers["id"])
    return ids


def ready_messages(env: QueueEnv, *, dead: bool = False) -> int:
    topo = Topology(env.queue, env.delivery_limit)
    with Connection(BROKER) as conn:
        q = (topo.dead_letter_queue() if dead else topo.jobs_queue()).bind(conn.default_channel)
        return int(q.queue_declare(passive=True).message_count)


def _wait_job(client: TestClient, url: str, env: QueueEnv) -> dict[str, Any]:
    out: dict[str, Any] = {}

    def ended() -> bool:
        r = client.get(url)
        assert r.status_code == 200, r.text
        out.update(r.json())
        return out["status"] in ("done", "failed")

    wait_for("the job", ended, 45, env)
    return out


def test_job_submitted_through_one_api_is_read_through_another(
    qenv: QueueEnv, corpora: Path
) -> None:
    """Two API processes of one instance (their own app, database connections and
    publisher each) and a worker: a job taken by A is read, with its result, by B."""
    qenv.start_worker()
    wav = (corpora / FIX / "sample1.wav").read_bytes()
    a = create_app(qenv.settings(job_audio_min_s=0.5))
    b = create_app(qenv.settings(job_audio_min_s=0.5))
    with TestClient(a) as ca, TestClient(b) as cb:
        r = ca.post("/api/v1/verify", files={"file": ("a.wav", wav)})
        assert r.status_code == 202, r.text
        url = r.json()["status_url"]
        j = _wait_job(cb, url, qenv)
        assert j["status"] == "done", j
        assert j["progress"] == 1.0
        assert j["result"]["media"]["kind"] == "audio"
        assert ca.get(url).json() == j  # and A says the same
        job_id = r.json()["job_id"]
        rec = JobRepo(a.state.ctx.inst.db).get(job_key(job_id))
        assert rec is not None and rec.runner == "queue" and rec.attempts == 1
        assert rec.input_blob is None  # the upload went with the job
        assert [p for p in (qenv.home / "job-blobs").rglob("*") if p.is_file()] == []
    assert ready_messages(qenv) == 0


def test_killed_worker_job_is_redelivered_and_finishes_once(qenv: QueueEnv) -> None:
    inst, jobs = runner(qenv)
    try:
        first = qenv.start_worker()
        upload = qenv.box / "upload.txt"
        upload.write_text("the upload")
        job = jobs.submit(
            "test.hold",
            lambda _p: {},
            portable=Portable("test.hold", upload, {"dir": str(qenv.box)}),
        )
        key = job_key(job.id)
        started = qenv.box / f"started-{key}-1"
        wait_for("the first worker to start the job", started.exists, 45, qenv)
        qenv.kill(first)  # mid-job: the message was never acknowledged
        assert jobs.get(job.id).status == "running"

        qenv.start_worker()
        wait_for("the job to be redelivered", (qenv.box / f"started-{key}-2").exists, 45, qenv)
        (qenv.box / "release").write_text("")
        wait_for("the job to finish", lambda: jobs.get(job.id).status == "done", 30, qenv)
        done = jobs.get(job.id)
        assert done.result == {"attempt": 2, "input": "the upload"}
        rec = jobs.repo.get(key)
        assert rec is not None and rec.attempts == 2
        # the worker lets go of the upload just after recording the end (a job that died
        # in between keeps naming it, and expiry deletes it), so wait for that step
        def let_go() -> bool:
            r = jobs.repo.get(key)
            return r is not None and r.input_blob is None

        wait_for("the upload to be let go", let_go, 30, qenv)

        # the broker hands the finished job over again (as after a worker that died
        # between finishing and acknowledging): it is not run a second time
        jobs.dispatch(key)  # type: ignore[misc]
        after = jobs.submit(
            "test.hold", lambda _p: {}, portable=Portable("test.hold", None, {"dir": str(qenv.box)})
        )
        wait_for("the job behind it", lambda: jobs.get(after.id).status == "done", 30, qenv)
        lines = (qenv.box / "results.log").read_text().splitlines()
        assert [ln for ln in lines if ln.startswith(key)] == [f"{key} 2"]
        assert jobs.get(job.id) == done
        assert ready_messages(qenv) == 0
        assert dead_letters(qenv) == []
    finally:
        jobs.shutdown()
        inst.close()


def test_whole_worker_killed_on_the_last_try_fails_the_job(qenv: QueueEnv) -> None:
    """kill -9 the whole worker (nobody left to record anything) on every try: the
    broker dead-letters the job after the last one, and the job reads failed instead of
    running for good (it would hold a place in the pending bound forever)."""
    qenv.delivery_limit = 1  # two tries: two worker starts keep the test short
    settings = qenv.settings()
    inst = Instance(settings)
    jobs = JobRunner(
        inst.db,
        600,
        16,
        blobs=job_blobs(settings),
        dispatch=Publisher(settings),
        abandoned_s=2.0,
    )
    try:
        job = jobs.submit(
            "x", lambda _p: {}, portable=Portable("test.hold", None, {"dir": str(qenv.box)})
        )
        key = job_key(job.id)
        for attempt in range(1, qenv.delivery_limit + 2):
            w = qenv.start_worker()
            started = qenv.box / f"started-{key}-{attempt}"
            wait_for(f"try {attempt} to start", started.exists, 45, qenv)
            rec = jobs.repo.get(key)
            assert rec is not None and rec.last_try is (attempt == qenv.delivery_limit + 1)
            qenv.kill(w)
        wait_for("the dead letter", lambda: ready_messages(qenv, dead=True) == 1, 15, qenv)
        assert jobs.get(job.id).status == "running"  # nobody has said otherwise yet
        wait_for("the job to fail", lambda: jobs.get(job.id).status == "failed", 15, qenv)
        error = jobs.get(job.id).error
        assert error is not None and error["code"] == "job_lost"
        assert dead_letters(qenv) == [key]
    finally:
        jobs.shutdown()
        inst.close()


def test_poison_job_ends_in_dead_letter_queue_while_others_drain(qenv: QueueEnv) -> None:
    inst, jobs = runner(qenv)
    try:
        (qenv.box / "release").write_text("")  # the good jobs run straight through
        params = {"dir": str(qenv.box)}
        hostile = qenv.box / "hostile.bin"
        hostile.write_bytes(b"\x00" * 64)
        poison = jobs.submit("x", lambda _p: {}, portable=Portable("test.crash", hostile, params))
        good = [
            jobs.submit("x", lambda _p: {}, portable=Portable("test.hold", None, params))
            for _ in range(3)
        ]
        qenv.start_worker()
        wait_for(
            "every job to end",
            lambda: all(jobs.get(j.id).status in ("done", "failed") for j in [poison, *good]),
            50,
            qenv,
        )
        assert [jobs.get(j.id).status for j in good] == ["done"] * 3
        failed = jobs.get(poison.id)
        assert failed.status == "failed"
        assert failed.error is not None and failed.error["code"] == "analysis_crashed"
        # tried once, then handed back DELIVERY_LIMIT times, never again
        key = job_key(poison.id)
        assert len(list(qenv.box.glob(f"crashed-{key}-*"))) == DELIVERY_LIMIT + 1
        assert dead_letters(qenv) == [key]  # the key, never the id that opens the result
        assert ready_messages(qenv) == 0
        assert qenv.workers[0].poll() is None  # the worker itself lived through it
        # the hostile upload is not kept once the job has failed
        assert [p for p in (qenv.home / "job-blobs").rglob("*") if p.is_file()] == []
    finally:
        jobs.shutdown()
        inst.close()


def test_unreachable_broker_fails_the_job_with_503(tmp_path: Path, corpora: Path) -> None:
    """A broker that is down: the job is refused (503) and recorded failed, the upload
    is not left behind. (Port 9 on loopback: nothing listens there.)"""
    settings = Settings(
        home=tmp_path / "home",
        broker_url="amqp://guest:guest@127.0.0.1:9//",  # type: ignore[arg-type]
        queue=QueueSettings(name=f"mediaproof-test-{uuid.uuid4().hex[:12]}"),
        service=ServiceSettings(analysis_processes=0, job_audio_min_s=0.5),
    )
    wav = (corpora / FIX / "sample1.wav").read_bytes()
    with TestClient(create_app(settings)) as c:
        r = c.post("/api/v1/verify", files={"file": ("a.wav", wav)})
        assert r.status_code == 503, r.text
        assert r.json()["error"]["code"] == "queue_unavailable"
    blobs = [p for p in (tmp_path / "home" / "job-blobs").rglob("*") if p.is_file()]
    assert blobs == []
