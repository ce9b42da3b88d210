"""Fuzz every parser we own that reads untrusted bytes, for longer than CI does.

    python bench/fuzz.py --seconds 300            # each target 5 minutes
    python bench/fuzz.py --seconds 20 --target note --target tiles

Prints JSON: one object per target with ``target``, ``runs`` (inputs executed),
``crashes`` (crashing inputs written under ``--out``), ``seconds`` and ``artifacts``.
A crashing input becomes a regression file: copy it to
``tests/fuzz/regressions/<target>/`` (replayed by tests/unit/test_fuzz.py) and fix the
parser. Targets and seeds: tests/fuzz/targets.py; the atheris runner: tests/fuzz/run.py.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "src"), str(ROOT)]

from tests.fuzz.targets import TARGETS  # noqa: E402


def run_target(name: str, seconds: int, out: Path) -> dict[str, object]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), str(ROOT)])}
    prefix = out / f"{name}-"
    t0 = time.monotonic()
    res = subprocess.run(
        [
            sys.executable,
            "-m",
            "tests.fuzz.run",
            name,
            f"-max_total_time={seconds}",
            f"-artifact_prefix={prefix}",
            "-print_final_stats=1",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=seconds * 3 + 120,
    )
    log = res.stdout + res.stderr
    done = re.search(r"Done (\d+) runs", log)
    status = re.findall(r"^#(\d+)\s", log, flags=re.M)
    runs = int(done.group(1)) if done else int(status[-1]) if status else 0
    artifacts = sorted(str(p) for p in out.glob(f"{name}-crash-*"))
    return {
        "target": name,
        "runs": runs,
        "crashes": len(artifacts),
        "seconds": round(time.monotonic() - t0, 1),
        "exit_code": res.returncode,
        "artifacts": artifacts,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seconds", type=int, default=60, help="time per target")
    ap.add_argument("--target", action="append", choices=sorted(TARGETS), help="repeatable")
    ap.add_argument("--out", type=Path, help="where crashing inputs go (default: a temp dir)")
    args = ap.parse_args()
    out = args.out or Path(tempfile.mkdtemp(prefix="mediaproof-fuzz-"))
    out.mkdir(parents=True, exist_ok=True)
    results = [run_target(t, args.seconds, out) for t in (args.target or sorted(TARGETS))]
    print(json.dumps({"out": str(out), "results": results}, indent=2))
    if any(r["crashes"] or r["exit_code"] for r in results):
        sys.exit(1)


if __name__ == "__main__":
    main()
