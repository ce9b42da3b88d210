"""The distributed end-to-end test's machinery (tests/e2e/test_distributed.py): a private
RabbitMQ node, the S3-compatible store, killing a process with its group, and the PDQ
lookups through the API checked against brute force over the database's rows."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
import uuid
from base64 import b64encode
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import numpy as np
from kombu import Connection
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import select

from mediaproof.services.softbinding import PDQ_ALG, pdq_similarity
from mediaproof.storage.sql.engine import Database
from mediaproof.storage.sql.tables import AssetRow
from mediaproof.storage.sql.tables_fingerprints import FingerprintRow
from tests.conftest import REPO
from tests.e2e.server import free_port
from tests.matcher_support import Matcher, nearest

RABBIT_BIN = Path(os.environ.get("MEDIAPROOF_RABBITMQ_BIN", "/usr/lib/rabbitmq/bin"))


def pythonpath() -> str:
    return os.pathsep.join(
        filter(None, [str(REPO / "src"), str(REPO), os.environ.get("PYTHONPATH")])
    )


def killpg(p: subprocess.Popen[bytes]) -> None:
    """kill -9 the process and everything it started (its session's process group)."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(p.pid, signal.SIGKILL)
    with contextlib.suppress(subprocess.TimeoutExpired):
        p.wait(timeout=10)


def wait_for(
    what: str, check: Callable[[], bool], timeout_s: float, logs: Callable[[], str]
) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}\n{logs()}")


class Rabbit:
    """A RabbitMQ node of its own (the installed server, a private data folder, free
    loopback ports): started, stopped and started again on the same data, as an operator
    restarting the broker does."""

    def __init__(self, root: Path) -> None:
        self.dir = root
        self.dir.mkdir(parents=True)
        (self.dir / "plugins").write_text("[].\n")
        self.node = f"mpe2e{uuid.uuid4().hex[:10]}@localhost"
        self.port = free_port()
        self.dist_port = free_port()
        self.url = f"amqp://guest:guest@127.0.0.1:{self.port}//"
        self.proc: subprocess.Popen[bytes] | None = None
        self.starts = 0

    def _env(self) -> dict[str, str]:
        d = self.dir
        return {
            **os.environ,
            "HOME": str(d),  # the node's Erlang cookie lives here, for rabbitmqctl too
            "RABBITMQ_NODENAME": self.node,
            "RABBITMQ_NODE_IP_ADDRESS": "127.0.0.1",
            "RABBITMQ_NODE_PORT": str(self.port),
            "RABBITMQ_DIST_PORT": str(self.dist_port),
            "RABBITMQ_MNESIA_BASE": str(d / "mnesia"),
            "RABBITMQ_LOG_BASE": str(d / "log"),
            "RABBITMQ_ENABLED_PLUGINS_FILE": str(d / "plugins"),
            "RABBITMQ_CONFIG_FILE": str(d / "rabbitmq"),
            "RABBITMQ_PID_FILE": str(d / "pid"),
        }

    def start(self, timeout_s: float = 60) -> None:
        server = RABBIT_BIN / "rabbitmq-server"
        if not server.exists():
            raise RuntimeError(
                f"{server} not found: run scripts/services.sh (it installs RabbitMQ)"
            )
        self.starts += 1
        out = (self.dir / f"server-{self.starts}.log").open("wb")
        self.proc = subprocess.Popen(
            [str(server)], env=self._env(), stdout=out, stderr=subprocess.STDOUT,
            start_new_session=True, cwd=self.dir,
        )  # fmt: skip
        out.close()
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"RabbitMQ exited:\n{self.logs()}")
            try:
                with Connection(self.url, connect_timeout=1) as c:
                    c.ensure_connection(max_retries=0)
                return
            except Exception:
                time.sleep(0.2)
        raise RuntimeError(f"RabbitMQ did not come up:\n{self.logs()}")

    def stop(self) -> None:
        """A clean stop of the whole node (``rabbitmqctl stop``), as a service restart does."""
        if self.proc is None:
            return
        subprocess.run(
            [str(RABBIT_BIN / "rabbitmqctl"), "-n", self.node, "stop"],
            env=self._env(), capture_output=True, timeout=60, check=False,
        )  # fmt: skip
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            killpg(self.proc)
        self.proc = None

    def kill(self) -> None:
        if self.proc is not None:
            killpg(self.proc)
            self.proc = None

    def logs(self) -> str:
        return "\n".join(
            p.read_text(errors="replace")[-3000:] for p in sorted(self.dir.glob("server-*.log"))
        )


def s3_env() -> dict[str, str]:
    script = REPO / "scripts" / "s3.sh"
    subprocess.run([str(script), "start"], check=True, cwd=REPO, timeout=120)
    out = subprocess.run(
        [str(script), "env"], check=True, cwd=REPO, capture_output=True, text=True, timeout=30
    ).stdout
    return dict(line.split("=", 1) for line in out.splitlines() if "=" in line)


def s3_client(env: dict[str, str]) -> Any:
    import boto3
    from botocore.config import Config

    return boto3.client(
        "s3", endpoint_url=env["MEDIAPROOF_BLOB_S3_ENDPOINT_URL"],
        aws_access_key_id=env["MEDIAPROOF_BLOB_S3_ACCESS_KEY_ID"],
        aws_secret_access_key=env["MEDIAPROOF_BLOB_S3_SECRET_ACCESS_KEY"],
        region_name="us-east-1", config=Config(s3={"addressing_style": "path"}),
    )  # fmt: skip


def empty_bucket(client: Any, bucket: str) -> None:
    for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket):
        for obj in page.get("Contents", []):
            client.delete_object(Bucket=bucket, Key=obj["Key"])
    client.delete_bucket(Bucket=bucket)


def pdq_population(db_url: str) -> tuple[list[int], list[bytes], dict[int, str]]:
    """Brute force's population, read from the database: every indexed PDQ hash (quality
    50 or more) of an active asset with a manifest, its owner, and the manifest labels."""
    db = Database(db_url)
    try:
        with db.session() as s:
            rows = s.execute(
                select(FingerprintRow.asset_id, FingerprintRow.value, AssetRow.manifest_label)
                .join(AssetRow, AssetRow.id == FingerprintRow.asset_id)
                .where(FingerprintRow.signal == "pdq", FingerprintRow.quality >= 50)
                .where(AssetRow.status == "active", AssetRow.manifest_label.is_not(None))
                .order_by(FingerprintRow.id)
            ).all()
    finally:
        db.dispose()
    return [r[0] for r in rows], [bytes(r[1]) for r in rows], {r[0]: r[2] for r in rows}


def expected_matches(pop: tuple[list[int], list[bytes], dict[int, str]], q: bytes) -> list[Any]:
    """What ``/matches/byBinding`` must answer for ``q``: brute force, the best distance
    per asset, as (manifest id, similarity)."""
    owners, hashes, labels = pop
    best: dict[int, int] = {}
    for a, d in nearest(owners, hashes, q):
        best[int(a)] = min(best.get(int(a), 256), d)
    return sorted([labels[a], pdq_similarity(d)] for a, d in best.items())


def by_binding(api: httpx.Client, q: bytes) -> list[Any]:
    r = api.get("/matches/byBinding", params={"alg": PDQ_ALG, "value": b64encode(q).decode()})
    if r.status_code != 200:
        raise AssertionError(f"{r.status_code}: {r.text[:300]}")
    return sorted([m["manifestId"], m["similarityScore"]] for m in r.json()["matches"])


def ok_lookups(m: Matcher, metrics_token: str) -> float:
    """The lookups a replica answered since it started, by its own ``/metrics``."""
    auth = {"authorization": f"Bearer {metrics_token}"}
    r = httpx.get(f"{m.url}/metrics", headers=auth, timeout=10)
    assert r.status_code == 200, r.text
    return sum(
        x.value for fam in text_string_to_metric_families(r.text) for x in fam.samples
        if x.name == "mediaproof_matcher_lookups_total" and x.labels["outcome"] == "ok"
    )  # fmt: skip


def near(h: bytes, seed: int) -> bytes:
    """``h`` with a few bits flipped: a copy's hash, not the stored one."""
    q = bytearray(h)
    for i in np.random.default_rng(seed).choice(32, 3, replace=False).tolist():
        q[i] ^= 0x11
    return bytes(q)
