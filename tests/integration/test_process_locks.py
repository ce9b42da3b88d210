"""Singletons stay single (issue 20 #5), on both databases: the named locks keep
processes apart, a holder killed by SIGKILL lets go, the transparency-log writer lands
each registration once when processes race, and one exchange pull scheduler runs."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import select

from mediaproof.config import Settings
from mediaproof.provenance.keys import init_keys
from mediaproof.services.exchange_pull import PullScheduler
from mediaproof.services.instance import Instance
from mediaproof.storage.sql.engine import Database
from mediaproof.storage.sql.locks import LockBusyError, hold
from mediaproof.storage.sql.tables import AssetRow, LogOutboxRow
from mediaproof.transparency.log import TransparencyLog

REPO = Path(__file__).resolve().parents[2]


def _env() -> dict[str, str]:
    path = [str(REPO / "src"), str(REPO), os.environ.get("PYTHONPATH", "")]
    return {**os.environ, "PYTHONPATH": os.pathsep.join(path)}


def _helper(*args: object) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "tests.integration.lock_holder", *map(str, args)],
        cwd=REPO,
        env=_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def test_the_lock_keeps_racing_processes_apart(db: Database, tmp_path: Path) -> None:
    (tmp_path / "count").write_text("0")
    procs = [_helper("count", tmp_path, db.url, 60) for _ in range(3)]
    for p in procs:
        out, _ = p.communicate(timeout=180)
        assert p.returncode == 0, out
    assert (tmp_path / "count").read_text() == "180"  # no update lost


def test_a_holder_killed_with_sigkill_lets_go(db: Database, tmp_path: Path) -> None:
    p = _helper("hold", tmp_path, db.url)
    try:
        assert p.stdout is not None
        assert p.stdout.readline().strip() == "held"
        with hold(db, "test-holder", timeout_s=0) as lease:
            assert not lease  # another process has it: this one skips its work
        with pytest.raises(LockBusyError, match="test-holder"), hold(db, "test-holder", 0.3):
            pass
        os.kill(p.pid, signal.SIGKILL)
        p.wait(10)
        with hold(db, "test-holder", timeout_s=10) as lease:
            assert lease and lease.check()
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()


def test_the_lock_nests_in_one_thread_and_parts_threads(db: Database) -> None:
    with hold(db, "nest", timeout_s=0) as outer:
        with hold(db, "nest", timeout_s=0) as inner:
            assert outer and inner
        seen: list[bool] = []

        def other() -> None:
            with hold(db, "nest", timeout_s=0) as lease:
                seen.append(bool(lease))

        t = threading.Thread(target=other)
        t.start()
        t.join()
        assert seen == [False]
        assert outer.check()
    with hold(db, "nest", timeout_s=0) as again:
        assert again


def test_racing_writers_land_each_registration_once(tmp_path: Path, db_url: str) -> None:
    home = tmp_path / "inst"
    inst = Instance(Settings(home=home, database_url=db_url))
    init_keys(inst.keys_dir, "Test Election Office")
    inst.close()
    n = 6
    procs = [_helper("register", home, db_url, n, seed) for seed in (100, 200, 300)]
    for p in procs:
        out, _ = p.communicate(timeout=300)
        assert p.returncode == 0, out
    db = Database(db_url)
    try:
        with db.session() as s:
            assets = sorted(s.scalars(select(AssetRow.id)))
            rows = list(s.scalars(select(LogOutboxRow)))
    finally:
        db.dispose()
    assert len(assets) == 3 * n
    assert all(r.log_index is not None for r in rows)  # nothing left staged
    with TransparencyLog.open(home, readonly=True) as log:
        leaves = [json.loads(log.entry(i)) for i in range(log.size)]
    registered = [e["asset_id"] for e in leaves if e["type"] == "asset.registered"]
    assert sorted(registered) == sorted(f"asset-{i}" for i in assets)  # one leaf each
    indices = [r.log_index for r in rows]
    assert len(set(indices)) == len(rows)  # no two staged entries took one leaf
    for r in rows:  # and each leaf holds the entry staged for it
        assert r.log_index is not None
        assert json.loads(bytes(r.body)) == leaves[r.log_index]
    pin = tmp_path / "pin"
    audit = subprocess.run(
        [
            sys.executable,
            "-m",
            "mediaproof",
            "log",
            "audit",
            "--pin",
            str(pin),
            "--full",
            "--home",
            str(home),
            "--json",
        ],
        cwd=REPO,
        env={**_env(), "MEDIAPROOF_DATABASE_URL": db_url},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert audit.returncode == 0, audit.stdout + audit.stderr
    report = json.loads(audit.stdout)
    assert report["ok"] and report["size"] == len(leaves) and report["invalid_entries"] == []


class _Counting(PullScheduler):
    """The scheduler as it is, its round replaced by a tally (no peers to pull here)."""

    rounds: list[str]

    def _round(self) -> None:
        self.rounds.append(self.name)

    name = ""


def test_one_pull_scheduler_runs_and_another_takes_over(any_db_instance: Instance) -> None:
    tally: list[str] = []
    schedulers = []
    for name in ("a", "b", "c"):
        s = _Counting(any_db_instance, interval_s=0.05)
        s.name, s.rounds = name, tally
        schedulers.append(s)
    for s in schedulers:
        s.start()
    try:
        time.sleep(1.0)
        assert len(tally) >= 5
        leader = tally[0]
        assert set(tally) == {leader}  # one scheduler pulls; the others stand by
        next(s for s in schedulers if s.name == leader).stop()
        seen = len(tally)
        time.sleep(1.0)
        after = tally[seen:]
        assert len(after) >= 5 and len(set(after)) == 1 and after[0] != leader
    finally:
        for s in schedulers:
            s.stop()
