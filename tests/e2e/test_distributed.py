"""The distributed end-to-end test (issue 20, "How it is checked"), on one machine,
loopback only, nothing mocked.

One module-scoped cluster of real processes sharing one instance configuration:

- a PostgreSQL database (a copy of the run's migrated template, on the local server);
- the S3-compatible store (SeaweedFS, ``scripts/s3.sh``), one bucket made for the module;
- RabbitMQ: a **private node** of the installed server, started here on free loopback
  ports with its own data folder, because the test restarts it; restarting the machine's
  shared broker would break every other test run using it;
- 2 API processes (``mediaproof serve``), 3 workers (``mediaproof worker``) and the log
  writer (``mediaproof run log-writer``), as deploy/compose.yaml starts them;
- the sharded matchers (docs/matchers.md): 2 shards x 2 replicas (``matcher serve``),
  which the APIs and workers ask for every PDQ/vPDQ lookup (``MEDIAPROOF_MATCHERS``):
  the APIs hold the audio prints only.

Every process runs in its own session and is killed with its process group when the
module ends, whatever happened.
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from unittest.mock import ANY

import httpx
import numpy as np
import pytest
from kombu import Connection
from pydantic import SecretStr

from mediaproof.accounts.models import Role
from mediaproof.config import ServiceSettings, Settings
from mediaproof.config_cluster import BlobSettings, QueueSettings
from mediaproof.matching.shards import shard_of
from mediaproof.media.samples import sample_photo
from mediaproof.provenance.keys import init_keys
from mediaproof.queue.app import Topology
from mediaproof.queue.publish import Publisher
from mediaproof.services import accounts
from mediaproof.services.instance import Instance
from mediaproof.services.jobs import JobRunner, Portable, job_blobs, job_key
from mediaproof.services.matcher_client import MatcherFanOut
from mediaproof.services.matchers import shelf_for
from mediaproof.transparency.log import TransparencyLog
from tests.conftest import CORPORA, REPO, _drop_pg_database, _pg_database
from tests.e2e.cluster_support import (
    Rabbit,
    by_binding,
    empty_bucket,
    expected_matches,
    killpg,
    near,
    ok_lookups,
    pdq_population,
    pythonpath,
    s3_client,
    s3_env,
    wait_for,
)
from tests.e2e.server import free_port
from tests.matcher_support import TOKEN, Matcher, fanout_spec, wait_ready

pytestmark = [pytest.mark.postgres, pytest.mark.rabbitmq]

PLUGIN = "tests.integration.queue_kinds"  # test.hold / test.crash, loaded into the workers
DELIVERY_LIMIT = 2
WAV = CORPORA / "c2pa-sdk-fixtures/c2pa-rs/sdk/tests/fixtures/sample1.wav"
PASSWORD = "a long test password"
METRICS_TOKEN = "e2e-metrics-token-0123456789"


@dataclass
class Cluster:
    root: Path
    home: Path
    db_url: str
    rabbit: Rabbit
    queue: str
    blob: dict[str, Any]
    env: dict[str, str] = field(default_factory=dict)
    apis: list[str] = field(default_factory=list)
    procs: list[subprocess.Popen[bytes]] = field(default_factory=list)
    workers: list[subprocess.Popen[bytes]] = field(default_factory=list)
    auth: dict[str, str] = field(default_factory=dict)
    registered: list[int] = field(default_factory=list)
    matchers: list[Matcher] = field(default_factory=list)

    def settings(self) -> Settings:
        return Settings(
            home=self.home,
            database_url=self.db_url,
            broker_url=self.rabbit.url,  # type: ignore[arg-type]  # pydantic: SecretStr
            queue=QueueSettings(name=self.queue, delivery_limit=DELIVERY_LIMIT),
            blob=BlobSettings(**self.blob),
            service=ServiceSettings(analysis_processes=0, exchange_pull_interval_s=0),
        )

    def start(self, name: str, *args: str) -> subprocess.Popen[bytes]:
        out = (self.root / f"{name}.log").open("ab")
        p = subprocess.Popen(
            [sys.executable, "-m", "mediaproof", *args],
            cwd=REPO, env=self.env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
        out.close()
        self.procs.append(p)
        return p

    def start_api(self, name: str) -> str:
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        p = self.start(name, "serve", "--port", str(port), "--log-level", "warning")
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if p.poll() is not None:
                raise RuntimeError(f"{name} exited:\n{self.logs()}")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(url + "/readyz", timeout=5).status_code == 200:
                    return url
            time.sleep(0.3)
        raise RuntimeError(f"{name} did not get ready:\n{self.logs()}")

    def start_worker(self) -> subprocess.Popen[bytes]:
        n = len(self.workers)
        p = self.start(
            f"worker-{n}", "worker", "--plugin", PLUGIN, "--concurrency", "1",
            "--name", f"e2e-{n}@localhost", "--log-level", "info",
        )  # fmt: skip
        self.workers.append(p)
        return p

    def worker_of(self, pid: int) -> subprocess.Popen[bytes]:
        """The worker whose pool process ``pid`` is (a worker's session is its group)."""
        group = os.getpgid(pid)
        return next(w for w in self.workers if w.pid == group)

    def logs(self) -> str:
        return "\n".join(
            f"--- {p.name}\n{p.read_text(errors='replace')[-4000:]}"
            for p in sorted(self.root.glob("*.log"))
        )

    def client(self, i: int) -> httpx.Client:
        return httpx.Client(base_url=self.apis[i % len(self.apis)], timeout=60)

    def messages(self, *, dead: bool = False) -> int:
        topo = Topology(self.queue, DELIVERY_LIMIT)
        with Connection(self.rabbit.url) as conn:
            q = (topo.dead_letter_queue() if dead else topo.jobs_queue()).bind(conn.default_channel)
            return int(q.queue_declare(passive=True).message_count)

    def take_dead_letters(self) -> list[str]:
        ids = []
        with Connection(self.rabbit.url) as conn:
            topo = Topology(self.queue, DELIVERY_LIMIT)
            q = topo.dead_letter_queue().bind(conn.default_channel)
            while (msg := q.get(no_ack=True)) is not None:
                ids.append(msg.headers["id"])
        return ids


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory, pg_template: str) -> Iterator[Cluster]:
    root = tmp_path_factory.mktemp("cluster")
    db_url = _pg_database(pg_template)
    s3 = s3_env()
    s3c = s3_client(s3)
    bucket = f"mp-e2e-{uuid.uuid4().hex[:12]}"
    s3c.create_bucket(Bucket=bucket)
    rabbit = Rabbit(root / "rabbit")
    c = Cluster(
        root=root,
        home=root / "home",
        db_url=db_url,
        rabbit=rabbit,
        queue=f"mediaproof-e2e-{uuid.uuid4().hex[:8]}",
        blob={
            "store": f"s3://{bucket}/instance",
            "s3_endpoint_url": s3["MEDIAPROOF_BLOB_S3_ENDPOINT_URL"],
            "s3_access_key_id": s3["MEDIAPROOF_BLOB_S3_ACCESS_KEY_ID"],
            "s3_secret_access_key": SecretStr(s3["MEDIAPROOF_BLOB_S3_SECRET_ACCESS_KEY"]),
        },
    )
    try:
        rabbit.start()
        # the one configuration every process reads (deploy/compose.yaml's x-mediaproof-env)
        c.env = {
            **os.environ,
            "PYTHONPATH": pythonpath(),
            "MEDIAPROOF_HOME": str(c.home),
            "MEDIAPROOF_DATABASE_URL": db_url,
            "MEDIAPROOF_BROKER_URL": rabbit.url,
            "MEDIAPROOF_QUEUE_NAME": c.queue,
            "MEDIAPROOF_QUEUE_DELIVERY_LIMIT": str(DELIVERY_LIMIT),
            "MEDIAPROOF_BLOB_STORE": c.blob["store"],
            **{k: v for k, v in s3.items() if k.startswith("MEDIAPROOF_BLOB_S3_")},
            "MEDIAPROOF_SERVICE_ANALYSIS_PROCESSES": "0",
            "MEDIAPROOF_SERVICE_JOB_AUDIO_MIN_S": "0.5",  # the sample WAV is a queued job
            "MEDIAPROOF_SERVICE_EXCHANGE_PULL_INTERVAL_S": "0",
            "MEDIAPROOF_SERVICE_RATE_VERIFY_BURST": "1000",
            "MEDIAPROOF_SERVICE_RATE_LOOKUP_BURST": "1000",
            # the lookup loops run for as long as the matchers' restart takes
            "MEDIAPROOF_SERVICE_RATE_LOOKUP_PER_MIN": "100000",
        }
        # the operator's one-off set-up (compose's `run --rm migrate keys init ...`)
        inst = Instance(c.settings())
        try:
            init_keys(inst.keys_dir, "Test Election Office")
            accounts.create_user(inst, "publisher", Role.PUBLISHER, PASSWORD)
            secret, _ = accounts.login(inst, "publisher", PASSWORD)
            principal = accounts.session_principal(inst, secret)
            assert principal is not None
            token, _ = accounts.create_token(inst, principal, "e2e", ["publish"])
            c.auth = {"Authorization": f"Bearer {token}"}
        finally:
            inst.close()
        # the matchers first: the APIs and workers are told their addresses
        c.env["MEDIAPROOF_MATCHER_TOKEN"] = TOKEN
        c.env["MEDIAPROOF_METRICS_TOKEN"] = METRICS_TOKEN
        for shard in (0, 1):
            for k in (0, 1):
                log = root / f"matcher-{shard}{k}.log"
                c.matchers.append(Matcher(shard, 2, dict(c.env), log))
        c.env["MEDIAPROOF_MATCHERS"] = fanout_spec(c.matchers)
        c.start("log-writer", "run", "log-writer", "--interval", "1")
        for _ in range(3):
            c.start_worker()
        with ThreadPoolExecutor(2) as pool:
            c.apis = list(pool.map(c.start_api, ["api-0", "api-1"]))
        wait_ready(c.matchers, 60)
        yield c
    finally:
        for m in c.matchers:
            m.kill()
        for p in c.procs:
            killpg(p)
        rabbit.kill()
        with contextlib.suppress(Exception):
            empty_bucket(s3c, bucket)
        _drop_pg_database(db_url)


def _verify_wav(c: Cluster, i: int) -> httpx.Response:
    with c.client(i) as api:
        return api.post("/api/v1/verify", files={"file": ("a.wav", WAV.read_bytes())})


def _wait_jobs(c: Cluster, urls: dict[str, int], timeout_s: float = 120) -> dict[str, Any]:
    """Poll each job through the *other* API than the one that took it; returns the
    finished answers, each checked to be the same through the first API."""
    done: dict[str, Any] = {}
    clients = [c.client(0), c.client(1)]
    try:

        def all_ended() -> bool:
            for url, via in urls.items():
                if url in done:
                    continue
                r = clients[(via + 1) % 2].get(url)
                assert r.status_code == 200, r.text
                if r.json()["status"] in ("done", "failed"):
                    done[url] = r.json()
            return len(done) == len(urls)

        wait_for("the jobs to end", all_ended, timeout_s, c.logs)
        for url, via in urls.items():
            assert clients[via].get(url).json() == done[url]  # the same through either
    finally:
        for cl in clients:
            cl.close()
    return done


def _runner(c: Cluster) -> tuple[Instance, JobRunner]:
    """What an API process does to queue a job, in this process (for the test kinds,
    which no HTTP route submits)."""
    settings = c.settings()
    inst = Instance(settings)
    return inst, JobRunner(
        inst.db, 600, 16, blobs=job_blobs(settings), dispatch=Publisher(settings)
    )


def test_registrations_and_jobs_go_through_either_api(cluster: Cluster, tmp_path: Path) -> None:
    c = cluster
    for i in range(4):
        photo = sample_photo(tmp_path / f"p{i}.jpg", 320, 240, seed=100 + i)
        with c.client(i) as a, c.client(i + 1) as b:
            r = a.post(
                "/api/v1/assets", headers=c.auth, data={"title": f"Release {i}"},
                files={"file": ("p.jpg", photo.read_bytes(), "image/jpeg")},
            )  # fmt: skip
            assert r.status_code == 201, r.text
            asset = r.json()["asset"]
            c.registered.append(asset["asset_id"])
            view = b.get(f"/api/v1/assets/{asset['asset_id']}")
            assert view.status_code == 200, view.text
            assert view.json()["asset"] == asset
            # the signed release, stored in the object store by A, downloaded through B
            dl = b.get(r.json()["download_url"], headers=c.auth)
            assert dl.status_code == 200 and dl.content[:3] == b"\xff\xd8\xff"
    urls = {}
    for i in range(4):
        r = _verify_wav(c, i)
        assert r.status_code == 202, r.text
        urls[r.json()["status_url"]] = i % 2
    for j in _wait_jobs(c, urls).values():
        assert j["status"] == "done", j
        assert j["result"]["media"]["kind"] == "audio"


def test_matchers_serve_both_apis_and_lose_no_lookup_when_replicas_die(
    cluster: Cluster, tmp_path: Path
) -> None:
    """Registrations through either API are found through the other, by the matchers;
    then lookups through both APIs go on while one replica of each shard is killed -9:
    none fails and every answer equals brute force over the database's rows. A snapshot
    built by the workers (``index.snapshot``) is what the restarted replicas map."""
    c = cluster
    for i in range(4):  # through API i, then looked up through the other one
        photo = sample_photo(tmp_path / f"m{i}.jpg", 320, 240, seed=200 + i)
        with c.client(i) as a, c.client(i + 1) as b:
            r = a.post(
                "/api/v1/assets", headers=c.auth, data={"title": f"Matched {i}"},
                files={"file": ("p.jpg", photo.read_bytes(), "image/jpeg")},
            )  # fmt: skip
            assert r.status_code == 201, r.text
            asset_id = r.json()["asset"]["asset_id"]
            c.registered.append(asset_id)
            owners, hashes, labels = pop = pdq_population(c.db_url)
            q = near(hashes[owners.index(asset_id)], i)
            want = expected_matches(pop, q)
            assert [labels[asset_id], ANY] in want
            wait_for(
                "the registration to be matchable through the other API",
                lambda b=b, q=q, want=want: by_binding(b, q) == want, 10, c.logs,
            )  # fmt: skip
    pop = pdq_population(c.db_url)
    assert {shard_of(a, 2) for a in pop[0]} == {0, 1}  # both shards hold some
    rng = np.random.default_rng(7)
    sample = [near(pop[1][pop[0].index(a)], a) for a in sorted(set(pop[0]))]
    sample += [rng.bytes(32) for _ in range(3)]  # near nothing: an empty answer
    expected = [expected_matches(pop, q) for q in sample]
    assert sum(bool(e) for e in expected) == len(sample) - 3

    done = [0, 0]
    failures: list[str] = []
    stop = threading.Event()

    def loop(k: int) -> None:  # one per API, each cycling through the sample
        with c.client(k) as api:
            while not stop.is_set():
                j = done[k] % len(sample)
                try:
                    got = by_binding(api, sample[j])
                    if got != expected[j]:
                        failures.append(f"api {k}, query {j}: {got} != {expected[j]}")
                except (AssertionError, httpx.HTTPError) as e:
                    failures.append(f"api {k}, query {j}: {e!r}")
                done[k] += 1

    threads = [threading.Thread(target=loop, args=(k,), daemon=True) for k in (0, 1)]
    for t in threads:
        t.start()
    try:
        wait_for("lookups before the kill", lambda: min(done) >= 10, 60, c.logs)
        victims = [next(m for m in c.matchers if m.shard == s) for s in (0, 1)]
        for m in victims:
            m.kill()
        at_kill = list(done)
        wait_for(
            "lookups after the kill",
            lambda: all(d >= k + 3 * len(sample) for d, k in zip(done, at_kill, strict=True)),
            90, c.logs,
        )  # fmt: skip

        # the workers build a snapshot per shard; the killed replicas come back on it
        inst = Instance(c.settings())
        publisher = Publisher(c.settings())
        try:
            publisher.build_snapshots(2)
            shelves = [shelf_for(inst.blob_store, s, 2) for s in (0, 1)]
            wait_for(
                "the workers' snapshots",
                lambda: all(sh.current() is not None for sh in shelves), 60, c.logs,
            )  # fmt: skip
            names = [sh.current() for sh in shelves]
        finally:
            publisher.close()
            inst.close()
        before_restart = list(done)
        for m in victims:
            m.start()  # compose's restart: unless-stopped
        wait_ready(c.matchers, 60)
        for m in victims:
            st = m.status()
            assert st is not None and st["snapshot"] == names[m.shard], st
        at_restart = list(done)
        # each API asks a replica that failed last for a few seconds (COOL_OFF_S), so
        # the restarted ones rejoin the rotation after that, not at once
        wait_for(
            "lookups after the restart, some answered by the restarted replicas",
            lambda: all(d >= k + len(sample) for d, k in zip(done, at_restart, strict=True))
            and all(ok_lookups(m, METRICS_TOKEN) > 0 for m in victims),
            60 + MatcherFanOut.COOL_OFF_S, c.logs,
        )  # fmt: skip
    finally:
        stop.set()
        for t in threads:
            t.join(30)
    assert failures == [], failures[:10]
    assert all(m.ready() for m in c.matchers)
    # the survivors answered their shard alone meanwhile (less the <= 2 lookups in flight
    # at the kill), and the restarted replicas are back in the APIs' rotation
    alone = sum(before_restart) - sum(at_kill) - 2
    assert all(ok_lookups(m, METRICS_TOKEN) >= alone for m in c.matchers if m not in victims)
    assert all(ok_lookups(m, METRICS_TOKEN) > 0 for m in victims)


def test_killed_worker_job_is_redelivered_and_every_job_finishes_once(cluster: Cluster) -> None:
    c = cluster
    box = c.root / "kill"
    box.mkdir()
    inst, jobs = _runner(c)
    try:
        held = jobs.submit(
            "test.hold", lambda _p: {}, portable=Portable("test.hold", None, {"dir": str(box)})
        )
        key = job_key(held.id)
        first = box / f"started-{key}-1"
        wait_for("a worker to start the held job", first.exists, 60, c.logs)
        # jobs through both APIs run on the other workers meanwhile
        urls = {}
        for i in range(4):
            r = _verify_wav(c, i)
            assert r.status_code == 202, r.text
            urls[r.json()["status_url"]] = i % 2
        victim = c.worker_of(int(first.read_text()))
        killpg(victim)  # kill -9, mid-job: the message was never acknowledged
        assert jobs.get(held.id).status == "running"
        c.workers.remove(victim)
        c.start_worker()  # compose's restart: unless-stopped
        second = box / f"started-{key}-2"
        wait_for("the held job to be redelivered", second.exists, 60, c.logs)
        assert c.worker_of(int(second.read_text())) is not victim
        (box / "release").write_text("")
        wait_for("the held job", lambda: jobs.get(held.id).status == "done", 60, c.logs)
        ended = _wait_jobs(c, urls)
        assert [j["status"] for j in ended.values()] == ["done"] * 4
        done = jobs.get(held.id)
        assert done.result == {"attempt": 2, "input": None}
        rec = jobs.repo.get(key)
        assert rec is not None and rec.attempts == 2  # the redelivery, recorded
        # exactly one result: the kind notes each run that finished
        lines = (box / "results.log").read_text().splitlines()
        assert lines == [f"{key} 2"]
        wait_for("the queue to drain", lambda: c.messages() == 0, 30, c.logs)
    finally:
        jobs.shutdown()
        inst.close()


def test_poison_file_is_dead_lettered_while_the_others_drain(cluster: Cluster) -> None:
    c = cluster
    box = c.root / "poison"
    box.mkdir()
    (box / "release").write_text("")
    inst, jobs = _runner(c)
    try:
        hostile = box / "hostile.bin"
        hostile.write_bytes(b"\x00" * 64)
        poison = jobs.submit(
            "x", lambda _p: {}, portable=Portable("test.crash", hostile, {"dir": str(box)})
        )
        urls = {}
        for i in range(4):
            r = _verify_wav(c, i)
            assert r.status_code == 202, r.text
            urls[r.json()["status_url"]] = i % 2
        ended = _wait_jobs(c, urls)
        assert [j["status"] for j in ended.values()] == ["done"] * 4
        wait_for(
            "the poison job to fail", lambda: jobs.get(poison.id).status == "failed", 60, c.logs
        )
        err = jobs.get(poison.id).error
        assert err is not None and err["code"] == "analysis_crashed"
        key = job_key(poison.id)
        assert len(list(box.glob(f"crashed-{key}-*"))) == DELIVERY_LIMIT + 1
        wait_for("the dead letter", lambda: c.messages(dead=True) == 1, 30, c.logs)
        assert c.take_dead_letters() == [key]
        assert c.messages() == 0
        assert all(w.poll() is None for w in c.workers)  # the workers lived through it
    finally:
        jobs.shutdown()
        inst.close()


def test_nothing_published_is_lost_when_rabbitmq_restarts(cluster: Cluster) -> None:
    """Jobs keep coming through both APIs while the broker stops and starts again: each
    one the API accepted (202: the broker confirmed the publish) finishes; the ones
    submitted while it was down are refused with 503 ``queue_unavailable`` (the client
    knows to try again), never lost in between."""
    c = cluster
    answers: list[tuple[float, int, dict[str, Any], int]] = []
    stop = threading.Event()

    def enqueue() -> None:
        i = 0
        while not stop.is_set():
            r = _verify_wav(c, i)
            answers.append((time.monotonic(), r.status_code, r.json(), i % 2))
            i += 1
            time.sleep(0.2)

    t = threading.Thread(target=enqueue, daemon=True)
    t.start()
    try:
        wait_for("jobs before the restart", lambda: len(answers) >= 3, 60, c.logs)
        c.rabbit.stop()
        time.sleep(1.0)
        c.rabbit.start()
        restarted = time.monotonic()
        wait_for(
            "jobs accepted after the restart",
            lambda: sum(1 for at, code, _, _ in answers if at > restarted and code == 202) >= 3,
            90,
            lambda: c.logs() + c.rabbit.logs(),
        )
    finally:
        stop.set()
        t.join(90)
    codes = [code for _, code, _, _ in answers]
    assert set(codes) <= {202, 503}, answers
    refused = [body for _, code, body, _ in answers if code == 503]
    assert all(b["error"]["code"] == "queue_unavailable" for b in refused), refused
    accepted = {body["status_url"]: via for _, code, body, via in answers if code == 202}
    ended = _wait_jobs(c, accepted, timeout_s=150)
    assert [j["status"] for j in ended.values()] == ["done"] * len(accepted), ended
    assert c.messages() == 0


def test_log_audit_passes_with_one_leaf_per_registration(cluster: Cluster) -> None:
    c = cluster
    assert c.registered, "the registrations test runs first"
    audit = subprocess.run(
        [sys.executable, "-m", "mediaproof", "log", "audit", "--pin", str(c.root / "pin"),
         "--full", "--json"],
        cwd=REPO, env=c.env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert audit.returncode == 0, audit.stdout + audit.stderr
    report = json.loads(audit.stdout)
    assert report["ok"] and report["invalid_entries"] == []
    with TransparencyLog.open(c.home, readonly=True) as log:
        leaves = [json.loads(log.entry(i)) for i in range(log.size)]
    assert report["size"] == len(leaves)
    registered = [e["asset_id"] for e in leaves if e["type"] == "asset.registered"]
    assert sorted(registered) == sorted(f"asset-{i}" for i in c.registered)


def test_every_process_is_still_up(cluster: Cluster) -> None:
    """Nothing fell over: both APIs ready, the workers (one replaced after its kill), the
    log writer and the matchers (two restarted after theirs) alive after all of the
    above."""
    for url in cluster.apis:
        assert httpx.get(url + "/readyz", timeout=10).status_code == 200
    assert all(m.ready() for m in cluster.matchers), cluster.logs()  # two were restarted
    assert all(w.poll() is None for w in cluster.workers), cluster.logs()
    assert sum(p.poll() is None for p in cluster.procs) == 2 + 3 + 1, cluster.logs()
