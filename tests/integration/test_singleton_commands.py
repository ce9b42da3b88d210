"""The singletons' commands (issue 20 #5), as real processes on both databases: the
operator's `log append` / `log checkpoint` and `exchange pull` wait for the lock the
service's own writers take, and `mediaproof run log-writer` is one writer with standbys,
one of which takes over when the writer is killed."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from mediaproof.config import Settings
from mediaproof.provenance.keys import init_keys
from mediaproof.services import exchange_sources
from mediaproof.services.exchange_pull import PULL_LOCK
from mediaproof.services.instance import Instance
from mediaproof.services.transparency import LOG_WRITER_LOCK, stage_entry, staged_count
from mediaproof.storage.sql.locks import hold
from mediaproof.transparency import entries
from mediaproof.transparency.errors import LogError
from mediaproof.transparency.log import TransparencyLog
from tests.conftest import REPO
from tests.integration.test_exchange_pytx_sources import PDQ_X


@pytest.fixture
def inst(tmp_path: Path, db_url: str) -> Iterator[Instance]:
    i = Instance(Settings(home=tmp_path / "inst", database_url=db_url))
    init_keys(i.keys_dir, "Test Election Office")
    yield i
    i.close()


def _cli(inst: Instance, *args: str, stdin: str | None = None) -> subprocess.Popen[str]:
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(REPO / "src"), os.environ.get("PYTHONPATH", "")]),
        "MEDIAPROOF_HOME": str(inst.home),
        "MEDIAPROOF_DATABASE_URL": inst.db.url,
    }
    p = subprocess.Popen(
        [sys.executable, "-m", "mediaproof", *args],
        cwd=REPO, env=env, text=True, stdin=subprocess.PIPE,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip
    assert p.stdin is not None
    p.stdin.write(stdin or "")
    p.stdin.close()
    return p


def _waits_for(inst: Instance, lock: str, *args: str, stdin: str | None = None) -> str:
    """Run the command while this process holds ``lock``: it must still be waiting
    after a while, and finish once the lock is let go."""
    with hold(inst.db, lock, timeout_s=5):
        p = _cli(inst, *args, stdin=stdin)
        time.sleep(4.0)  # more than the command needs to start and reach the lock
        assert p.poll() is None, p.stdout.read() if p.stdout else ""
    assert p.stdout is not None
    out = p.stdout.read()
    assert p.wait(120) == 0, out
    return out


def _entry(i: int) -> str:
    return json.dumps({"type": "appeal.filed", "appeal_id": f"ap-{i}", "case_id": "c-1"})


def test_log_append_and_checkpoint_take_the_writer_lock(inst: Instance) -> None:
    out = _waits_for(inst, LOG_WRITER_LOCK, "log", "append", "--checkpoint", "--json",
                     stdin=f"[{_entry(0)}, {_entry(1)}]")  # fmt: skip
    assert json.loads(out)["indices"] == [0, 1]
    out = _waits_for(inst, LOG_WRITER_LOCK, "log", "checkpoint", "--json")
    assert json.loads(out)["checkpoint"]["size"] == 2


def test_exchange_pull_takes_the_pull_lock(inst: Instance, tmp_path: Path) -> None:
    # a local file source (no network): fetched at once, stored only with the lock
    f = tmp_path / "signals.txt"
    f.write_text(f"pdq {PDQ_X}\n")
    exchange_sources.add_source(inst, "local", kind="pytx:local_file", filename=f)
    out = json.loads(_waits_for(inst, PULL_LOCK, "exchange", "pull", "--json"))
    assert [(r["peer"], r["status"], r["added"]) for r in out] == [("local", "ok", 1)]


def _stage(inst: Instance, i: int) -> None:
    entry = entries.asset_registered(
        asset_id=f"asset-{9000 + i}", content_sha256=f"{i:064x}", signer="external"
    )
    with inst.db.session() as s:
        stage_entry(s, entry)


def _leaves(inst: Instance) -> list[str]:
    with TransparencyLog.open(inst.home, readonly=True) as log:
        return [json.loads(log.entry(i))["asset_id"] for i in range(log.size)]


def _published(inst: Instance) -> list[str] | None:
    """The leaves a reader sees: those under the latest signed checkpoint."""
    try:
        return _leaves(inst)
    except LogError:  # no log yet
        return None


def _writer(inst: Instance, out: Path) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(REPO / "src"), os.environ.get("PYTHONPATH", "")]),
        "MEDIAPROOF_HOME": str(inst.home),
        "MEDIAPROOF_DATABASE_URL": inst.db.url,
    }
    with out.open("wb") as f:
        return subprocess.Popen(
            [sys.executable, "-m", "mediaproof", "run", "log-writer", "--interval", "0.3"],
            cwd=REPO, env=env, stdout=f, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip


def _wait(what: str, check: Callable[[], bool], logs: list[Path]) -> None:
    deadline = time.monotonic() + 60
    while not check():
        if time.monotonic() > deadline:
            said = "\n".join(p.read_text(errors="replace") for p in logs)
            raise AssertionError(f"timed out waiting for {what}:\n{said}")
        time.sleep(0.2)


LEADS = "this process writes the transparency log"


def test_one_log_writer_runs_and_a_standby_takes_over(inst: Instance, tmp_path: Path) -> None:
    logs = [tmp_path / f"writer-{i}.log" for i in range(2)]
    writers = [_writer(inst, p) for p in logs]
    try:
        _stage(inst, 1)  # as an API process killed between its commit and the log
        # landed, then published under a checkpoint (what a reader sees)
        _wait("a writer to land the staged entry", lambda: staged_count(inst) == 0, logs)
        _wait("the entry's checkpoint", lambda: _published(inst) == ["asset-9001"], logs)
        leading = [i for i, p in enumerate(logs) if LEADS in p.read_text()]
        assert len(leading) == 1, [p.read_text() for p in logs]  # the other stands by
        leader, standby = writers[leading[0]], writers[1 - leading[0]]
        os.killpg(leader.pid, signal.SIGKILL)  # its session ends: the database lets go
        leader.wait(10)
        _wait("the standby to take over", lambda: LEADS in logs[1 - leading[0]].read_text(), logs)
        _stage(inst, 2)
        _wait("the standby to land the next entry", lambda: staged_count(inst) == 0, logs)
        want = ["asset-9001", "asset-9002"]  # one leaf each
        _wait("the next entry's checkpoint", lambda: _published(inst) == want, logs)
        assert standby.poll() is None
    finally:
        for w in writers:
            if w.poll() is None:
                os.killpg(w.pid, signal.SIGKILL)
                w.wait(10)


def test_the_scheduler_command_runs_and_stops_on_sigterm(inst: Instance, tmp_path: Path) -> None:
    """`run scheduler` holds the scheduler's lock while it runs (no peers: it pulls
    nobody) and lets go when SIGTERM stops it."""
    from mediaproof.services.exchange_pull import PULL_SCHEDULER_LOCK

    out = tmp_path / "scheduler.log"
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(REPO / "src"), os.environ.get("PYTHONPATH", "")]),
        "MEDIAPROOF_HOME": str(inst.home),
        "MEDIAPROOF_DATABASE_URL": inst.db.url,
    }
    with out.open("wb") as f:
        p = subprocess.Popen(
            [sys.executable, "-m", "mediaproof", "run", "scheduler", "--interval", "1"],
            cwd=REPO, env=env, stdout=f, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
    try:

        def taken() -> bool:
            with hold(inst.db, PULL_SCHEDULER_LOCK, timeout_s=0) as lease:
                return not lease

        _wait("the scheduler to take its lock", taken, [out])
        assert "exchange scheduler, every 1 s" in out.read_text()
        p.send_signal(signal.SIGTERM)
        assert p.wait(60) == 0, out.read_text()
        with hold(inst.db, PULL_SCHEDULER_LOCK, timeout_s=5) as lease:
            assert lease  # gone with the process
    finally:
        if p.poll() is None:
            os.killpg(p.pid, signal.SIGKILL)
            p.wait(10)
