"""Processes: start parser children (ffprobe, fpcalc) with resource limits, safely; ask
whether a process (a lock or job holder on this host) still runs.

The limits are set by the child itself before it runs the parser: ``prlimit`` (util-linux)
or, where that is missing, a tiny Python wrapper that sets them and ``exec``s. Never with
``subprocess``'s ``preexec_fn``: that makes CPython ``fork()`` the whole threaded server
with the GIL held and run the ``pthread_atfork`` handlers, and OpenBLAS's handler shuts
its thread pool down under any request thread doing matrix work at that moment, which
then hangs for good (issue 15, finding 12). Without ``preexec_fn`` CPython starts the
child with ``vfork``, which runs no fork handlers in the parent.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Sequence

CHILD_MEMORY = 2 * 1024**3  # address-space cap for parser child processes

# sets the limit, then becomes the parser: argv = [limit, program, args...]
_WRAPPER = (
    "import os,resource,sys;m=int(sys.argv[1]);"
    "resource.setrlimit(resource.RLIMIT_AS,(m,m));"
    "os.execv(sys.argv[2],sys.argv[2:])"
)


def limited_command(cmd: Sequence[str], memory: int = CHILD_MEMORY) -> list[str]:
    """``cmd`` wrapped so that it runs with an address-space cap of ``memory`` bytes.
    ``cmd[0]`` must be an absolute path (``shutil.which``'s answer)."""
    prlimit = shutil.which("prlimit")
    if prlimit is not None:
        return [prlimit, f"--as={memory}", "--", *cmd]
    return [sys.executable, "-S", "-c", _WRAPPER, str(memory), *cmd]


def run_limited(
    cmd: Sequence[str], *, timeout_s: float, memory: int = CHILD_MEMORY
) -> subprocess.CompletedProcess[bytes]:
    """Run ``cmd`` with the memory cap, no stdin, output captured; raises
    :class:`subprocess.TimeoutExpired` past ``timeout_s`` (the child is killed)."""
    return subprocess.run(
        limited_command(cmd, memory),
        capture_output=True,
        timeout=timeout_s,
        check=False,
        stdin=subprocess.DEVNULL,
    )


def pid_alive(pid: int) -> bool:
    """Whether process ``pid`` runs on this host (another user's counts: it runs)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # another user's process
    return True
