"""Job kinds for the queue tests, loaded into real workers with
``mediaproof worker --plugin tests.integration.queue_kinds``.

- ``test.hold``: notes its start (a file named by job and attempt, holding the worker
  process id), then waits until the test drops ``release`` next to it; its result names
  the attempt that finished and adds one row to ``results.log`` (so a second result would
  show as a second line).
- ``test.crash``: the worker process dies at once (SIGKILL), every time, as a decoder
  crashing on a hostile file would.

And two readers of parts of split jobs (``test.hold``, ``test.crash``; see below).
"""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from mediaproof.config import Settings
from mediaproof.queue.kinds import JobContext, kind
from mediaproof.services.job_parts import Span, part_reader


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


# --- parts of long media (tests/integration/test_queue_parts.py) -----------------------
# Readers of one part of a split job, next to the built-in ones; they read nothing and
# seed nothing, so the report is the built-in readers'. They act only when the worker's
# environment names a folder for them.


class _HoldPart:
    """Part 1 notes its start (``part-started-<n>``, n counting starts) and waits for
    ``release-part`` in ``$MEDIAPROOF_TEST_PART_HOLD``."""

    name = "test.hold"

    def read(self, path: Path, span: Span, settings: Settings) -> dict[str, Any]:
        box = os.environ.get("MEDIAPROOF_TEST_PART_HOLD")
        if box is None or span.index != 1:
            return {}
        n = len(list(Path(box).glob("part-started-*"))) + 1
        (Path(box) / f"part-started-{n}").write_text(str(os.getpid()))
        deadline = time.monotonic() + 60
        while not (Path(box) / "release-part").exists():
            if time.monotonic() > deadline:
                raise TimeoutError("the test never released this part")
            time.sleep(0.05)
        return {}

    def seed(
        self, path: Path, reads: Sequence[dict[str, Any]], settings: Settings
    ) -> dict[str, Any]:
        return {}


class _CrashPart:
    """Part 1 kills its worker process at once, every time, as a decoder crashing on one
    stretch of a hostile file would (when ``$MEDIAPROOF_TEST_PART_CRASH`` names a folder,
    where it notes each crash)."""

    name = "test.crash"

    def read(self, path: Path, span: Span, settings: Settings) -> dict[str, Any]:
        box = os.environ.get("MEDIAPROOF_TEST_PART_CRASH")
        if box is None or span.index != 1:
            return {}
        n = len(list(Path(box).glob("part-crashed-*"))) + 1
        (Path(box) / f"part-crashed-{n}").write_text(str(os.getpid()))
        os.kill(os.getpid(), signal.SIGKILL)
        raise AssertionError("unreachable")

    def seed(
        self, path: Path, reads: Sequence[dict[str, Any]], settings: Settings
    ) -> dict[str, Any]:
        return {}


part_reader(_HoldPart())
part_reader(_CrashPart())
