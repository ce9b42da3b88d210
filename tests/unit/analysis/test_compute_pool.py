"""The analysis worker pool (analysis.compute): results, errors and crashes come back,
a crashed pool is replaced, and workers do not outlive a server that was killed."""

from __future__ import annotations

import itertools
import os
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from mediaproof.analysis.compute import (
    ComputeCrashed,
    ComputeFailed,
    ComputeTimedOut,
    InlineCompute,
    ProcessCompute,
    make_compute,
    step_timeout,
)
from mediaproof.config import Limits
from mediaproof.errors import MalformedMediaError

REPO = Path(__file__).resolve().parents[3]


def pid_and_square(x: int) -> tuple[int, int]:
    return os.getpid(), x * x


def raise_malformed() -> None:
    raise MalformedMediaError("the image is truncated", hint="decoder said: OSError")


class Unpicklable(Exception):
    def __init__(self, a: int, b: int) -> None:  # pickling keeps args=(), so this fails
        super().__init__()
        self.a, self.b = a, b


def raise_unpicklable() -> None:
    raise Unpicklable(1, 2)


def die(log: Path | None = None) -> None:
    if log is not None:
        with log.open("a") as f:
            f.write("called\n")
    os.kill(os.getpid(), signal.SIGKILL)  # as a decoder segfault or the OOM killer would


def spin(seconds: float) -> int:
    """Busy in C code for ``seconds`` (no Python bytecode runs to see an exception), as a
    decoder looping on a crafted file would be."""
    import hashlib

    end = time.monotonic() + seconds
    while time.monotonic() < end:
        hashlib.pbkdf2_hmac("sha256", b"x", b"salt", 200_000)
    return os.getpid()


@pytest.fixture
def pool() -> Iterator[ProcessCompute]:
    p = ProcessCompute(2)
    yield p
    p.close()


def test_runs_in_another_process(pool: ProcessCompute) -> None:
    pid, sq = pool.run(pid_and_square, 12)
    assert sq == 144
    assert pid != os.getpid()
    assert pid in pool.warm_up()


def test_our_errors_come_back_whole(pool: ProcessCompute) -> None:
    with pytest.raises(MalformedMediaError) as e:
        pool.run(raise_malformed)
    assert e.value.message == "the image is truncated"
    assert e.value.hint == "decoder said: OSError"


def test_other_errors_come_back_as_compute_failed(pool: ProcessCompute) -> None:
    with pytest.raises(ComputeFailed, match="Unpicklable"):
        pool.run(raise_unpicklable)
    assert pool.run(pid_and_square, 3)[1] == 9  # the pool is not broken by it


def test_a_crashed_worker_fails_one_call_and_the_pool_is_replaced(
    pool: ProcessCompute, tmp_path: Path
) -> None:
    before = set(pool.warm_up())
    with pytest.raises(ComputeCrashed):
        pool.run(die, tmp_path / "calls")
    # the step that crashed its worker is not tried again
    assert (tmp_path / "calls").read_text() == "called\n"
    pid, sq = pool.run(pid_and_square, 5)
    assert sq == 25
    assert pid not in before


def test_a_step_over_its_time_is_stopped(pool: ProcessCompute) -> None:
    t0 = time.monotonic()
    with pytest.raises(ComputeTimedOut, match="longer than 1 s"):
        pool.run(spin, 60.0, timeout_s=1.0)
    assert time.monotonic() - t0 < 10  # stopped at the deadline, and not tried again
    _, sq = pool.run(pid_and_square, 6, timeout_s=5.0)
    assert sq == 36
    assert pool.run(spin, 0.2, timeout_s=30.0) > 0  # a step within its limit is left alone


def test_other_steps_survive_a_step_that_is_stopped(pool: ProcessCompute) -> None:
    """The pool fails every step it holds when one worker dies; the innocent ones are
    tried again and succeed, only the culprit is reported."""
    import threading

    out: dict[str, object] = {}

    def innocent() -> None:
        time.sleep(0.3)  # starts while the culprit is running
        out["innocent"] = pool.run(spin, 2.0, timeout_s=30.0)

    t = threading.Thread(target=innocent)
    t.start()
    with pytest.raises(ComputeTimedOut):
        pool.run(spin, 60.0, timeout_s=1.0)
    t.join(timeout=60)
    assert isinstance(out.get("innocent"), int)


def test_step_timeout_grows_with_media_length() -> None:
    limits = Limits(step_timeout_s=100, step_timeout_per_media_s=2)
    assert step_timeout(limits, None) == 100
    assert step_timeout(limits, 60.0) == 220


def test_closed_pool_refuses_work() -> None:
    p = ProcessCompute(1)
    p.warm_up()
    p.close()
    with pytest.raises(Exception, match="shut down"):
        p.run(pid_and_square, 2)


def test_make_compute() -> None:
    assert isinstance(make_compute(0), InlineCompute)
    p = make_compute(3)
    assert isinstance(p, ProcessCompute) and p.workers == 3
    assert InlineCompute().run(pid_and_square, 4) == (os.getpid(), 16)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # a zombie still answers kill(0); it has exited for our purposes
    stat = Path(f"/proc/{pid}/stat")
    return not (stat.exists() and stat.read_text().rsplit(")", 1)[1].split()[0] == "Z")


def test_workers_leave_when_the_server_is_killed(tmp_path: Path) -> None:
    """A server killed with SIGKILL cannot close its pool: the workers notice and exit,
    and so does the fork server, instead of waiting for work forever."""
    script = tmp_path / "server.py"
    script.write_text(
        textwrap.dedent(
            """
            import time
            from mediaproof.analysis.compute import ProcessCompute
            if __name__ == "__main__":
                pool = ProcessCompute(2)
                print(" ".join(map(str, pool.warm_up())), flush=True)
                time.sleep(600)
            """
        )
    )
    env = {**os.environ, "PYTHONPATH": str(REPO / "src")}
    proc = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, env=env)
    assert proc.stdout is not None
    workers = [int(x) for x in proc.stdout.readline().split()]
    assert len(workers) == 2 and all(_alive(w) for w in workers)
    proc.kill()
    proc.wait()
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and any(_alive(w) for w in workers):
        time.sleep(0.2)
    assert not any(_alive(w) for w in workers), "analysis workers outlived the server"


def timed_spin(seconds: float) -> tuple[float, float]:
    """Busy for ``seconds``; returns (start, end) on the system-wide monotonic clock."""
    start = time.monotonic()
    spin(seconds)
    return start, time.monotonic()


def test_one_caller_cannot_take_every_worker() -> None:
    """Fair admission: with one place per caller, a caller's many steps run one after
    another, and another caller's step gets the other worker at once, instead of
    queueing behind all of them (issue 15, finding 5)."""
    import threading

    from mediaproof.analysis.compute import Caller, caller_scope

    p = ProcessCompute(2, per_client=1)
    try:
        p.warm_up()
        heavy: list[tuple[float, float]] = []
        other: list[tuple[float, float]] = []

        def step(who: Caller, out: list[tuple[float, float]], seconds: float) -> None:
            with caller_scope(who):
                out.append(p.run(timed_spin, seconds))

        bomber = Caller("address:10.0.0.1", anonymous=True)
        threads = [threading.Thread(target=step, args=(bomber, heavy, 1.0)) for _ in range(3)]
        for t in threads:
            t.start()
        time.sleep(0.3)  # the bomber's steps are all submitted (one runs, two wait)
        normal = threading.Thread(
            target=step, args=(Caller("address:10.0.0.2", anonymous=True), other, 0.1)
        )
        normal.start()
        for t in [*threads, normal]:
            t.join(timeout=60)
        heavy.sort()
        # the bomber's steps never overlapped: it held one worker, not both
        assert all(a[1] <= b[0] for a, b in itertools.pairwise(heavy))
        # the other caller's step started before the bomber's second step
        assert other[0][0] < heavy[1][0]
    finally:
        p.close()


def test_per_client_default_is_half_the_workers() -> None:
    assert ProcessCompute(4).per_client == 2
    assert ProcessCompute(1).per_client == 1
    assert ProcessCompute(4, per_client=3).per_client == 3
