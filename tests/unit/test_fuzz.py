"""The fuzz targets (tests/fuzz/targets.py) in CI: each runs briefly under atheris in its
own process and must find no crash; recorded crashers and the seeds are replayed here.
`bench/fuzz.py` runs the same targets for longer."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.fuzz.targets import TARGETS, cleanup, seeds

ROOT = Path(__file__).resolve().parents[2]
REGRESSIONS = ROOT / "tests" / "fuzz" / "regressions"
# a bounded number of inputs per target (the multipart targets run an event loop each)
RUNS = {"multipart": 400, "multipart_files": 300}
DEFAULT_RUNS = 4000


def fuzz(name: str, *flags: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), str(ROOT)])}
    return subprocess.run(
        [sys.executable, "-m", "tests.fuzz.run", name, *flags],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


@pytest.mark.parametrize("name", sorted(TARGETS))
def test_target_runs_briefly_without_a_crash(name: str, tmp_path: Path) -> None:
    runs = RUNS.get(name, DEFAULT_RUNS)
    res = fuzz(
        name, f"-runs={runs}", "-max_total_time=20", f"-artifact_prefix={tmp_path}/", "-seed=1"
    )
    out = res.stdout + res.stderr
    assert res.returncode == 0, out[-4000:]
    done = re.search(r"Done (\d+) runs", out)
    assert done and int(done.group(1)) > 0, out[-2000:]
    assert not list(tmp_path.glob("crash-*"))


def test_a_crashing_target_is_reported(tmp_path: Path) -> None:
    """The harness itself: a target that raises a non-project error fails the run."""
    res = fuzz("--self-test-crash", f"-artifact_prefix={tmp_path}/", "-runs=100")
    assert res.returncode != 0
    assert list(tmp_path.glob("crash-*")), res.stderr[-2000:]


@pytest.mark.parametrize("name", sorted(TARGETS))
def test_seeds_and_recorded_crashers_pass(name: str) -> None:
    recorded = sorted((REGRESSIONS / name).glob("*")) if (REGRESSIONS / name).is_dir() else []
    try:
        for data in [*seeds(name), *(p.read_bytes() for p in recorded)]:
            TARGETS[name](data)
    finally:
        cleanup()
