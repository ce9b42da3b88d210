"""What the matcher tests share (tests/integration/test_matchers.py, test_matchers_task.py,
tests/e2e/test_distributed.py): synthetic registrations with brute force over them, and
`matcher serve` as a real process on loopback."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import httpx
import numpy as np

from mediaproof.matching.hamming_words import brute_force, hashes_to_words
from mediaproof.matching.lookup import FingerprintEntry
from mediaproof.matching.shards import shard_of
from mediaproof.storage.sql.engine import Database
from mediaproof.storage.sql.repos import AssetRepository
from mediaproof.storage.sql.repos_fingerprints import FingerprintRepository
from tests.e2e.server import free_port

TOKEN = "matcher-test-token-0123456789"
AUTH = {"authorization": f"Bearer {TOKEN}"}


class Registry:
    """Synthetic registered assets (8 near-duplicate PDQ hashes each), and brute force
    over the hashes of the active ones: what every answer is checked against."""

    def __init__(self, db: Database, seed: int = 5) -> None:
        self.db = db
        self.rng = np.random.default_rng(seed)
        self.hashes: dict[int, list[bytes]] = {}
        self.active: set[int] = set()

    def register(self, n: int) -> list[int]:
        made = []
        with self.db.session() as s:
            for _ in range(n):
                base = self.rng.integers(0, 256, 32, dtype=np.uint8)
                variants = []
                for _v in range(8):
                    h = base.copy()
                    h[self.rng.integers(0, 32, 2)] ^= 0x21
                    variants.append(bytes(h))
                a = AssetRepository(s).add(
                    sha256=uuid.uuid4().hex * 2, mime="image/png", size=1, title="t"
                )
                FingerprintRepository(s).add_many(
                    a.id, [FingerprintEntry("pdq", v, quality=100) for v in variants]
                )
                self.hashes[a.id] = variants
                self.active.add(a.id)
                made.append(a.id)
        return made

    def withdraw(self, ids: list[int]) -> None:
        with self.db.session() as s:
            for a in ids:
                AssetRepository(s).set_status(a, "withdrawn")
                self.active.discard(a)

    def query(self, asset_id: int) -> bytes:
        q = bytearray(self.hashes[asset_id][0])
        q[3] ^= 0x0F
        return bytes(q)

    def brute(self, q: bytes, shards: int = 1, shard: int = 0) -> list[tuple[str, int]]:
        owners, hashes = [], []
        for a in sorted(self.active):
            if shard_of(a, shards) == shard:
                owners += [a] * 8
                hashes += self.hashes[a]
        return nearest(owners, hashes, q)


def nearest(owners: Sequence[int], hashes: Sequence[bytes], q: bytes) -> list[tuple[str, int]]:
    """Brute force: (owner, distance) of every hash within 31 bits of ``q``, sorted."""
    if not hashes:
        return []
    pos, dist = brute_force(hashes_to_words(list(hashes)), hashes_to_words([q])[0], 31)
    return sorted((str(owners[p]), int(d)) for p, d in zip(pos, dist, strict=True))


def answer(matches: list[Any]) -> list[tuple[str, int]]:
    """A matcher's ``/lookup`` matches as (asset id, distance), sorted."""
    return sorted((str(m["asset_id"]), int(m["distance"])) for m in matches)


class Matcher:
    """``matcher serve`` of one shard as a process of its own session (``kill()`` is
    kill -9 of it and anything it started), on a port that a restart keeps: the fan-out
    names replicas by address."""

    def __init__(self, shard: int, shards: int, env: dict[str, str], log: Path) -> None:
        self.shard, self.shards = shard, shards
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = env
        self.logfile = log
        self.proc: subprocess.Popen[bytes] | None = None
        self.start()

    def start(self) -> None:
        with self.logfile.open("ab") as out:
            self.proc = subprocess.Popen(
                # the matcher command's own module: `mediaproof matcher serve` is the same
                # command, but the full CLI's imports take ~15 s on a loaded test machine
                [sys.executable, "-m", "mediaproof.cli.matcher", "serve", "--shard",
                 str(self.shard), "--shards", str(self.shards), "--port", str(self.port),
                 "--log-level", "warning"],
                env=self.env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
            )  # fmt: skip

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def status(self) -> dict[str, Any] | None:
        """``/readyz``'s body while it answers 200, else None."""
        if not self.alive():
            raise RuntimeError(f"matcher exited:\n{self.logs()}")
        try:
            r = httpx.get(f"{self.url}/readyz", timeout=2)
        except httpx.HTTPError:
            return None
        return r.json() if r.status_code == 200 else None  # type: ignore[no-any-return]

    def ready(self) -> bool:
        return self.status() is not None

    def logs(self) -> str:
        return f"--- matcher {self.shard} :{self.port}\n" + self.logfile.read_text(
            errors="replace"
        )[-3000:]

    def kill(self) -> None:
        """kill -9, as a crash or an OOM kill does."""
        if self.proc is not None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(10)

    def close(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.kill()


def fanout_spec(matchers: Sequence[Matcher]) -> str:
    """``MEDIAPROOF_MATCHERS`` naming these replicas."""
    shards = sorted({m.shard for m in matchers})
    return ";".join(
        f"{s}=" + ",".join(m.url for m in matchers if m.shard == s) for s in shards
    )


def wait_ready(matchers: Sequence[Matcher], timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while not all(m.ready() for m in matchers):
        if time.monotonic() > deadline:
            logs = "\n".join(m.logs() for m in matchers)
            raise AssertionError(f"matchers not ready in {timeout_s:.0f} s:\n{logs}")
        time.sleep(0.2)
