"""Child processes start without fork-time callbacks (issue 15, finding 12).

``subprocess``'s ``preexec_fn`` makes CPython ``fork()`` the threaded server and run the
``pthread_atfork`` handlers; OpenBLAS's handler then hangs any thread doing matrix work
at that moment. The reproduction runs in its own interpreter, so a hang fails the test
(by its timeout) instead of hanging the suite.
"""

from __future__ import annotations

import ast
import os
import resource
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from mediaproof.media import children
from mediaproof.media.children import CHILD_MEMORY, limited_command, run_limited

SRC = Path(__file__).resolve().parents[3] / "src" / "mediaproof"
SAMPLE_WAV = "c2pa-sdk-fixtures/c2pa-rs/sdk/tests/fixtures/sample1.wav"

# one thread multiplies matrices (as speaker embeddings do) while the main thread starts
# children through the code under test; the matrix thread must keep going throughout
_BLAS_WHILE_SPAWNING = textwrap.dedent(
    """
    import sys, threading, time
    from pathlib import Path
    import numpy as np
    from mediaproof.config import Limits
    from mediaproof.media.children import run_limited
    from mediaproof.media.ingest import ingest_file

    a = np.random.default_rng(0).random((400, 400), dtype=np.float32)
    done = 0
    def spin():
        global done
        while True:
            a @ a
            done += 1
    threading.Thread(target=spin, daemon=True).start()
    time.sleep(0.2)
    for _ in range(200):
        run_limited(["/bin/true"], timeout_s=30)
    for _ in range(10):
        assert ingest_file(Path(sys.argv[1]), Limits()).duration_s
    before = done
    time.sleep(1.0)
    print("matmuls in the last second:", done - before)
    sys.exit(0 if done > before else 3)
    """
)


def test_blas_thread_survives_child_processes(corpora: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(SRC.parent)}
    try:
        proc = subprocess.run(
            [sys.executable, "-c", _BLAS_WHILE_SPAWNING, str(corpora / SAMPLE_WAV)],
            capture_output=True,
            text=True,
            timeout=120,
            env=env,
        )
    except subprocess.TimeoutExpired:
        pytest.fail("the matrix thread hung while children were started (fork handlers?)")
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_preexec_fn_reproduction_still_hangs() -> None:
    """The test above can fail: the same loop with ``preexec_fn`` hangs (kept short).
    OpenBLAS runs a thread pool only with two or more cores; on one there is nothing
    for its fork handler to shut down, and nothing hangs."""
    if len(os.sched_getaffinity(0)) < 2:
        pytest.skip("needs two cores for OpenBLAS to run a thread pool")
    script = (
        _BLAS_WHILE_SPAWNING.replace("for _ in range(200):", "for _ in range(2000):")
        .replace(
            'run_limited(["/bin/true"], timeout_s=30)',
            'subprocess.run(["/bin/true"], preexec_fn=lambda: None)',
        )
        .replace("import sys,", "import subprocess, sys,")
    )
    script = script.replace("for _ in range(10):", "for _ in range(0):")
    with pytest.raises(subprocess.TimeoutExpired):
        subprocess.run(
            [sys.executable, "-c", script, "/nonexistent"],
            capture_output=True,
            timeout=20,
            env={**os.environ, "PYTHONPATH": str(SRC.parent)},
        )


_PROBE = [sys.executable, "-c", "import resource;print(resource.getrlimit(resource.RLIMIT_AS))"]


def test_children_run_under_the_memory_cap() -> None:
    assert resource.getrlimit(resource.RLIMIT_AS)[0] != CHILD_MEMORY  # not inherited
    out = run_limited(_PROBE, timeout_s=30).stdout.decode()
    assert out.strip() == str((CHILD_MEMORY, CHILD_MEMORY))


def test_wrapper_without_prlimit(monkeypatch: pytest.MonkeyPatch) -> None:
    real = children.shutil.which
    monkeypatch.setattr(
        children.shutil, "which", lambda name: None if name == "prlimit" else real(name)
    )
    cmd = limited_command(_PROBE, 1024**3)
    assert "prlimit" not in cmd[0]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=30, check=True).stdout
    assert out.strip() == str((1024**3, 1024**3))


def test_no_fork_time_callbacks_anywhere_in_src() -> None:
    """The class, not the instance: nothing in src/ forks the threaded server itself."""
    offenders = []
    for path in SRC.rglob("*.py"):
        tree = ast.parse(path.read_text(), str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.keyword) and node.arg in ("preexec_fn", "start_new_session"):
                offenders.append(f"{path.relative_to(SRC)}:{node.value.lineno} {node.arg}")
            if (
                isinstance(node, ast.Attribute)
                and isinstance(node.value, ast.Name)
                and node.value.id == "os"
                and node.attr in ("fork", "forkpty", "register_at_fork")
            ):
                offenders.append(f"{path.relative_to(SRC)}:{node.lineno} os.{node.attr}")
            if isinstance(node, ast.Constant) and node.value == "fork":
                offenders.append(f"{path.relative_to(SRC)}:{node.lineno} 'fork' start method")
    assert offenders == []
