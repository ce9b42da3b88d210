"""Job kinds for the queue tests, loaded into real workers with
``mediaproof worker --plugin tests.integration.queue_kinds``.

- ``test.hold``: notes its start (a file named by job and attempt, holding the worker
  process id), then waits until the test drops ``release`` next to it; its result names
  the attempt that finished and adds one row to ``results.log`` (so a second result would
  show as a second line).
- ``test.crash``: the worker process dies at once (SIGKILL), every time, as a decoder
  crashing on a hostile file would.
"""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path
from typing import Any

from mediaproof.queue.kinds import JobContext, kind


@kind("test.hold")
def _hold(ctx: JobContext) -> dict[str, Any]:
    box = Path(ctx.params["dir"])
    (box / f"started-{ctx.key}-{ctx.attempt}").write_text(str(os.getpid()))
    deadline = time.monotonic() + 45
    while not (box / "release").exists():
        if time.monotonic() > deadline:
            raise TimeoutError("the test never released this job")
        time.sleep(0.05)
    with (box / "results.log").open("a") as f:
        f.write(f"{ctx.key} {ctx.attempt}\n")
    return {"attempt": ctx.attempt, "input": ctx.input.read_text() if ctx.input else None}


@kind("test.crash")
def _crash(ctx: JobContext) -> dict[str, Any]:
    box = Path(ctx.params["dir"])
    (box / f"crashed-{ctx.key}-{ctx.attempt}").write_text(str(os.getpid()))
    os.kill(os.getpid(), signal.SIGKILL)
    raise AssertionError("unreachable")
