"""What the HTTP benchmarks share: a `mediaproof serve` of their own.

Not a benchmark itself (bench_*.py are); imported by bench_service.py,
bench_fairness.py and bench_cases_http.py, which run as scripts from this folder.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

SRC = str(Path(__file__).resolve().parents[1] / "src")


def launch_serve(
    home: Path,
    env_extra: dict[str, str],
    *,
    args: tuple[str, ...] = (),
    drop: tuple[str, ...] = (),
    settle_s: float = 3.0,
    src: str | None = None,
) -> tuple[subprocess.Popen[bytes], str]:
    """Start `mediaproof serve` on a free local port for the instance in ``home`` (the
    caller has made its keys and accounts) and wait until it answers /healthz and its
    analysis workers have had ``settle_s`` to start. ``drop`` names variables of this process's
    environment the server must not inherit; ``src`` runs the server from another source
    tree (another checkout's ``src``, to compare old and new code side by side) instead
    of this one's. Returns the process and its base URL."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(filter(None, [src or SRC, os.environ.get("PYTHONPATH")])),
        "MEDIAPROOF_HOME": str(home),
    }
    for name in drop:
        env.pop(name, None)
    env.update(env_extra)
    proc = subprocess.Popen(
        [sys.executable, "-m", "mediaproof", "serve", "--port", str(port), *args],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 180  # a loaded 2-core machine takes over a minute
    while time.monotonic() < deadline:
        try:
            if httpx.get(url + "/healthz", timeout=2).status_code == 200:
                time.sleep(settle_s)  # the analysis workers start in the background
                return proc, url
        except httpx.HTTPError:
            time.sleep(0.2)
    proc.kill()
    raise RuntimeError("the service did not start")
