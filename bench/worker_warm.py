"""First verify on a fresh service's analysis worker: worker CPU and wall, first vs later.

    PYTHONPATH=$PWD/src:$PWD nice -n 5 .venv/bin/python bench/worker_warm.py [--src DIR]
"""

from __future__ import annotations

import io
import os
import sys
import tempfile
import time
from pathlib import Path


def _modules() -> list[str]:
    return sorted(sys.modules)


def _cpu(pid: int) -> float:
    f = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(f[11]) + int(f[12])) / os.sysconf("SC_CLK_TCK")


def _rss(pid: int) -> str:
    """Resident and proportional (shared pages split among their users) size, MiB."""
    got = {}
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
        if line.startswith(("Rss:", "Pss:")):
            got[line.split(":")[0]] = int(line.split()[1]) / 1024
    return f"rss {got['Rss']:.0f} pss {got['Pss']:.0f} MiB"


def main() -> None:
    from fastapi.testclient import TestClient
    from PIL import Image
    from tests.api.conftest import make_app

    from mediaproof.analysis.compute import ProcessCompute

    buf = io.BytesIO()
    Image.new("RGB", (1, 1), (10, 20, 30)).save(buf, "PNG")
    png = buf.getvalue()
    buf = io.BytesIO()
    Image.effect_noise((640, 480), 60).convert("RGB").save(buf, "JPEG", quality=90)
    jpg = buf.getvalue()
    with tempfile.TemporaryDirectory() as tmp:
        app = make_app(Path(tmp) / "i", analysis_processes=1)
        with TestClient(app) as c:
            compute = app.state.ctx.inst.compute
            assert isinstance(compute, ProcessCompute)
            t0 = time.monotonic()
            while c.get("/readyz").status_code != 200:
                time.sleep(0.05)
            ready_s = time.monotonic() - t0
            pids = compute.warm_up()
            pid = pids[0]
            before = set(compute.run(_modules))
            rss0 = _rss(pid)
            rows = []
            for name, body in (("png1", png), ("png2", png), ("jpg1", jpg), ("jpg2", jpg)):
                c0, w0 = _cpu(pid), time.monotonic()
                r = c.post("/api/v1/verify", files={"file": ("x", body)})
                assert r.status_code == 200, r.text
                rows.append((name, _cpu(pid) - c0, time.monotonic() - w0))
            after = set(compute.run(_modules))
            print(f"ready after {ready_s:.2f}s (readyz); worker pid {pid}")
            print(f"worker after warm-up: {rss0}; after the verifies: {_rss(pid)}")
            for name, cpu, wall in rows:
                print(f"{name}: worker cpu {cpu:.2f}s  wall {wall:.2f}s")
            new = sorted(m for m in after - before if "." not in m or m.count(".") < 2)
            print(f"modules imported by the verifies: {len(after - before)}; top: {new[:60]}")
    print("load", Path("/proc/loadavg").read_text().strip())


if __name__ == "__main__":
    main()
