"""Crash safety: SIGKILL a real writer process at random points, many times.

After every kill the log must reopen with every acknowledged entry present and intact,
a tree that hashes to what the entries say, a valid checkpoint, and consistency with
every checkpoint seen before. Bounded: MEDIAPROOF_CRASH_ROUNDS rounds (default 10);
half the kills aim at large batches.
"""

from __future__ import annotations

import hashlib
import os
import random
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

from mediaproof.transparency import entries as E
from mediaproof.transparency.checkpoint import Checkpoint
from mediaproof.transparency.client import LogClient
from mediaproof.transparency.log import TransparencyLog
from mediaproof.transparency.merkle import RootBuilder, leaf_hash

ROUNDS = int(os.environ.get("MEDIAPROOF_CRASH_ROUNDS", "10"))

WRITER = r"""
import hashlib, random, sys
from pathlib import Path
from mediaproof.transparency import entries as E
from mediaproof.transparency.log import TransparencyLog
from mediaproof.transparency.store import LogStore

LogStore.write_chunk = 13  # many small writes: a kill can tear a batch mid-record

def entry(i):
    return E.alibi_recorded(content_sha256=hashlib.sha256(b"%d" % i).hexdigest(),
                            time="2026-01-01T00:00:00Z")

entries_ = [entry(i).canonical for i in range(4096)]
rng = random.Random(int(sys.argv[2]))
log = TransparencyLog.open(Path(sys.argv[1]), origin="crash.example/log")
print("ready", log.size, flush=True)
while True:
    n = rng.choice([1, 1, 3, 50, 400, 2000])
    first = log.size
    print("go", n, flush=True)
    # Straight to the store (entries pre-validated): the time goes to writes, not JSON,
    # so kills land inside the write path.
    log._store.append_many([entries_[i % 4096] for i in range(first, first + n)])
    print("ack", first + n, flush=True)  # acknowledged: append_many returned
    if rng.random() < 0.1:
        cp = log.checkpoint()
        print("cp", cp.checkpoint.size, flush=True)
"""


def _expected(i: int) -> bytes:
    return E.alibi_recorded(
        content_sha256=hashlib.sha256(b"%d" % (i % 4096)).hexdigest(), time="2026-01-01T00:00:00Z"
    ).canonical


def _run_and_kill(home: Path, seed: int, rng: random.Random, mid_batch: bool) -> int:
    """Start a writer, SIGKILL it after a random delay (or, with ``mid_batch``, a few ms
    after it starts writing a large batch); return the acknowledged size."""
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in sys.path if p))
    proc = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(home), str(seed)],
        stdout=subprocess.PIPE,
        env=env,
    )
    assert proc.stdout is not None
    acked = 0
    ready = False
    deadline: float | None = None
    buf = b""
    while True:
        timeout = 30.0 if deadline is None else max(0.0, deadline - time.monotonic())
        r, _, _ = select.select([proc.stdout], [], [], timeout)
        if not r:
            break
        chunk = os.read(proc.stdout.fileno(), 65536)
        if not chunk:
            break
        buf += chunk
        *lines, buf = buf.split(b"\n")
        for line in lines:
            word, value = line.decode().split()
            if word == "ready":
                ready = True
                acked = int(value)
                deadline = time.monotonic() + rng.uniform(0.0, 0.6)
            elif word == "ack":
                acked = int(value)
            elif word == "go" and mid_batch and int(value) >= 2000 and deadline is not None:
                deadline = min(deadline, time.monotonic() + rng.uniform(0.001, 0.015))
        if deadline is not None and time.monotonic() >= deadline:
            break
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    proc.stdout.close()
    assert ready, "the writer never started"
    # Lines already written by the child before the kill are acknowledgements too.
    # The last one may be cut short by the kill ("ack" alone, or part of its number: a
    # smaller number never lowers the count).
    for line in buf.split(b"\n"):
        parts = line.split()
        if len(parts) == 2 and parts[0] == b"ack" and parts[1].isdigit():
            acked = max(acked, int(parts[1]))
    return acked


def test_sigkill_during_appends_loses_nothing_acknowledged(tmp_path: Path) -> None:
    rng = random.Random(1234)
    home = tmp_path / "inst"
    pinned: Checkpoint | None = None
    checked = 0  # entries verified in earlier rounds (they cannot change)
    builder = RootBuilder()
    started = time.monotonic()
    stats = {"torn": 0, "unacked_kept": 0}
    for round_ in range(ROUNDS):
        acked = _run_and_kill(home, round_, rng, mid_batch=round_ % 2 == 1)
        with TransparencyLog.open(home) as log:
            stats["torn"] += log._store.recovered_bytes > 0
            stats["unacked_kept"] += log.size > acked
            assert log.size >= acked, f"round {round_}: acknowledged {acked}, found {log.size}"
            for i in range(checked, log.size):
                entry = log.entry(i)
                assert entry == _expected(i), f"entry {i} differs after a crash"
                builder.add(leaf_hash(entry))
            checked = log.size
            assert log.root() == builder.root()
            vc = log.checkpoint()  # must sign: the tree extends every earlier checkpoint
            key = log.verifier
        client = LogClient(home / "log", key)
        latest = client.latest().checkpoint
        assert latest == vc.checkpoint
        if pinned is not None:
            client.check_consistency(pinned, latest)
        pinned = latest
        # Crashes may leave the unacknowledged tail of a batch: later rounds append after it.
        assert time.monotonic() - started < 120, "crash test ran too long"
    assert checked > 0
    print("crash rounds:", ROUNDS, stats)
    # Evidence the kills hit the hard case, not only the gaps between appends.
    if ROUNDS >= 10:
        assert stats["torn"] > 0
