"""The case workflow through a real `mediaproof serve`: notices (JSON and with an image
upload, which runs the verify pipeline), reviewer decisions and the transparency report,
sequentially over loopback. Every notice and decision also appends to the instance's
transparency log and signs a checkpoint, so that cost is included. Prints JSON.

    .venv/bin/python bench/bench_cases_http.py [--notices 100] [--uploads 20]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

from _serve import launch_serve  # bench/_serve.py (these run as scripts from bench/)
from mediaproof.accounts.models import Role
from mediaproof.config import Settings
from mediaproof.media.samples import sample_photo
from mediaproof.services import accounts
from mediaproof.services.instance import Instance

PASSWORD = "bench password 1234"


def summary(xs: list[float]) -> dict[str, float]:
    xs = sorted(xs)
    return {
        "n": len(xs),
        "median_ms": round(statistics.median(xs) * 1000, 1),
        "p95_ms": round(xs[min(len(xs) - 1, round(0.95 * (len(xs) - 1)))] * 1000, 1),
    }


def start(home: Path) -> tuple[subprocess.Popen[bytes], str, str]:
    inst = Instance(Settings(home=home))
    accounts.create_user(inst, "rev", Role.REVIEWER, PASSWORD)
    secret, _ = accounts.login(inst, "rev", PASSWORD)
    who = accounts.session_principal(inst, secret)
    assert who is not None
    token, _ = accounts.create_token(inst, who, "bench", ["cases:review"])
    inst.close()
    env = {
        "MEDIAPROOF_SERVICE_RATE_NOTICE_BURST": "1000000",
        "MEDIAPROOF_SERVICE_RATE_LOOKUP_BURST": "1000000",
    }
    # the case routes need no analysis workers: no settling time
    proc, url = launch_serve(home, env, args=("--log-level", "warning"), settle_s=0)
    return proc, url, token


def notice(i: int) -> dict[str, Any]:
    return {
        "category": "deepfake_of_candidate",
        "explanation": "A synthetic clip of the candidate; the event never happened.",
        "reporter_name": "Bench Reporter",
        "reporter_email": "bench@example.org",
        "relationship": "third_party",
        "good_faith": "true",
        "signature": "Bench Reporter",
        "content_url": f"https://video.example/watch/{i}",
        "location": "video.example",
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--notices", type=int, default=100)
    ap.add_argument("--uploads", type=int, default=20)
    args = ap.parse_args()
    lat: dict[str, list[float]] = {"notice_json": [], "notice_upload": [], "decide": []}
    with tempfile.TemporaryDirectory() as tmp:
        photo = sample_photo(Path(tmp) / "p.jpg", 1280, 853, seed=3).read_bytes()
        proc, url, token = start(Path(tmp) / "instance")
        try:
            with httpx.Client(base_url=url, timeout=60) as c:
                auth = {"Authorization": f"Bearer {token}"}
                numbers = []
                for i in range(args.notices):
                    t = time.perf_counter()
                    r = c.post("/api/v1/notices", json=notice(i))
                    lat["notice_json"].append(time.perf_counter() - t)
                    r.raise_for_status()
                    numbers.append(r.json()["case_number"])
                for i in range(args.uploads):
                    data = photo[:-2] + i.to_bytes(2, "big")  # distinct bytes, distinct cases
                    t = time.perf_counter()
                    r = c.post(
                        "/api/v1/notices",
                        data=notice(args.notices + i),
                        files={"file": ("p.jpg", data + b"\xff\xd9")},
                    )
                    lat["notice_upload"].append(time.perf_counter() - t)
                    r.raise_for_status()
                for n in numbers:
                    body = {"outcome": "label", "rule_id": "DM-1", "explanation": "Synthetic."}
                    t = time.perf_counter()
                    r = c.post(f"/api/v1/cases/{n}/decisions", headers=auth, json=body)
                    lat["decide"].append(time.perf_counter() - t)
                    r.raise_for_status()
                t = time.perf_counter()
                c.get("/api/v1/transparency-report").raise_for_status()
                report_s = time.perf_counter() - t
        finally:
            proc.terminate()
            proc.wait(timeout=30)
    out = {k: summary(v) for k, v in lat.items() if v}
    out["transparency_report_ms"] = round(report_s * 1000, 1)  # type: ignore[assignment]
    out["cpus"] = os.cpu_count()  # type: ignore[assignment]
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
