"""The platform upload check, in process (the app under Starlette's test client, SQLite,
analysis inline): the hashes-only form against the file form, for an upload that
matches nothing, an identical copy of confirmed media checked again (the repeat path),
and a near copy (joins its review case). Sequential; prints JSON.

    PYTHONPATH=src .venv/bin/python bench/bench_upload_check.py [--n 30]
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import io
import json
import os
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from PIL import Image

from mediaproof.accounts.models import Role
from mediaproof.api import create_app
from mediaproof.cases.models import NoticeCategory, NoticeInput, Outcome, Relationship
from mediaproof.config import ServiceSettings, Settings
from mediaproof.media.samples import sample_photo
from mediaproof.media.sniff import MediaKind
from mediaproof.services import accounts
from mediaproof.services.cases.intake_form import media_prints

PASSWORD = "bench password 1234"
T0 = dt.datetime(2026, 11, 3, 9, 0, tzinfo=dt.UTC)


def summary(xs: list[float]) -> dict[str, float]:
    xs = sorted(xs)
    return {
        "n": len(xs),
        "median_ms": round(statistics.median(xs) * 1000, 1),
        "p95_ms": round(xs[min(len(xs) - 1, round(0.95 * (len(xs) - 1)))] * 1000, 1),
    }


def timed(n: int, call: Callable[[], Any]) -> list[float]:
    out = []
    for _ in range(n):
        t = time.perf_counter()
        r = call()
        out.append(time.perf_counter() - t)
        assert r.status_code == 200, r.text
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=30)
    n = ap.parse_args().n
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        settings = Settings(
            home=root / "inst",
            service=ServiceSettings(rate_uploads_burst=1_000_000, analysis_processes=0),
        )
        app = create_app(settings)
        inst = app.state.ctx.inst
        accounts.create_user(inst, "acme", Role.PLATFORM, PASSWORD)
        secret, _ = accounts.issue_token(inst, "acme", "bench", ["uploads:check"])
        h = {"Authorization": f"Bearer {secret}"}
        fake = sample_photo(root / "fake.jpg", 1280, 853, seed=3)
        other = sample_photo(root / "other.jpg", 1280, 853, seed=4)
        buf = io.BytesIO()
        with Image.open(fake) as im:
            im.convert("RGB").resize((960, 640)).save(buf, "JPEG", quality=75)
        near = buf.getvalue()
        sha = hashlib.sha256(fake.read_bytes()).hexdigest()
        cases = app.state.cases
        r = cases.file_notice(
            NoticeInput(
                category=NoticeCategory.FALSE_VOTING_INFORMATION,
                explanation="The polling place in the picture is wrong.",
                reporter_name="Bench",
                reporter_email="bench@example.org",
                relationship=Relationship.THIRD_PARTY,
                good_faith=True,
                signature="Bench",
                media_sha256=sha,
                fingerprints=media_prints(inst, fake, MediaKind.IMAGE),
                mime="image/jpeg",
            ),
            T0,
        )
        cases.decide(r.case_number, reviewer="alice", outcome=Outcome.LABEL, rule_id="DM-2",
                     explanation="Reviewed: false voting information.", now=T0)  # fmt: skip
        files = {k: p.read_bytes() for k, p in (("fake", fake), ("other", other))}
        with TestClient(app) as c:

            def check(data: bytes) -> Any:
                return c.post("/api/v1/uploads/check", headers=h, files={"file": ("x", data)})

            def hashes(body: dict[str, str]) -> Any:
                return c.post("/api/v1/uploads/check-hashes", headers=h, json=body)

            check(files["fake"])  # the first identical copy: the automated decision
            check(near)  # the near copy's review case
            other_sha = hashlib.sha256(files["other"]).hexdigest()
            out = {
                "file_none": summary(timed(n, lambda: check(files["other"]))),
                "hashes_none": summary(timed(n, lambda: hashes({"sha256": other_sha}))),
                "file_identical_repeat": summary(timed(n, lambda: check(files["fake"]))),
                "hashes_identical_repeat": summary(timed(n, lambda: hashes({"sha256": sha}))),
                "file_near_joins_case": summary(timed(n, lambda: check(near))),
            }
    out["image"] = "1280x853 JPEG (near copy: 960x640, quality 75)"
    out["load_average_1m"] = round(os.getloadavg()[0], 2)
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
