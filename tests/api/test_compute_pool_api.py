"""Verify with the heavy steps in worker processes (the service's default on 2+ cores)
answers exactly what the same instance answers with them inline."""

from __future__ import annotations

import io
import os
import time
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from PIL import Image

from mediaproof.analysis.compute import InlineCompute, ProcessCompute
from mediaproof.analysis.threads import thread_report
from mediaproof.media.samples import sample_photo
from mediaproof.services.health import NotReadyError, readiness
from mediaproof.services.instance import Instance
from mediaproof.services.public_verify import verify_upload
from tests.api.conftest import bearer, make_app, publish


def _comparable(report: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, ev in report["evidence"].items():
        # the service adds links to the pictures; the rest must be the same
        data = {
            k: v
            for k, v in (ev.get("data") or {}).items()
            if k not in ("heatmap_url", "original_url")
        }
        out[name] = {**ev, "data": data}
    return {"evidence": out, "assessment": report["assessment"]}


def test_worker_processes_give_the_inline_answer(tmp_path: Path) -> None:
    app = make_app(tmp_path / "i", analysis_processes=2)
    photo = sample_photo(tmp_path / "p.jpg", 800, 600, seed=5)  # large enough to be marked
    with TestClient(app) as c:
        inst: Instance = app.state.ctx.inst
        assert isinstance(inst.compute, ProcessCompute)
        h = bearer(inst, "publisher", ["publish"])
        pub = publish(c, h, photo)
        signed = c.get(pub["download_url"], headers=h).content
        copy = tmp_path / "copy.jpg"  # a stripped re-post: PDQ matches, a heatmap is drawn
        with Image.open(io.BytesIO(signed)) as im:
            im.convert("RGB").save(copy, quality=80)
        # a crop: PDQ no longer matches, the watermark still reads, and the keypoint
        # check against the kept original (also a worker step) decides the content
        with Image.open(io.BytesIO(signed)) as im:
            im.convert("RGB").crop((60, 40, 700, 560)).save(tmp_path / "crop.jpg", quality=90)
        reports: dict[Path, dict[str, Any]] = {}
        for f in (copy, tmp_path / "crop.jpg"):
            r = c.post("/api/v1/verify", files={"file": ("x.jpg", f.read_bytes())})
            assert r.status_code == 200, r.text
            pooled = reports[f] = r.json()
            inline_inst = Instance(inst.settings)
            assert isinstance(inline_inst.compute, InlineCompute)
            try:
                inline = verify_upload(inline_inst, f)
            finally:
                inline_inst.close()
            assert _comparable(pooled) == _comparable(inline)
            wm = pooled["evidence"]["watermark"]["data"]
            assert wm["mediaproof"]["claimed"] and wm["asset_id"] == pub["asset"]["asset_id"]
        crop = reports[tmp_path / "crop.jpg"]
        assert crop["evidence"]["watermark"]["data"]["content_check"] == "keypoints"
        assert "heatmap_url" in reports[copy]["evidence"]["match"]["data"]


def test_the_service_caps_its_workers_threads_as_configured(tmp_path: Path) -> None:
    """MEDIAPROOF_SERVICE_ANALYSIS_THREADS reaches the service's workers: one thread per
    native library by default, the configured number otherwise."""
    if (os.cpu_count() or 1) < 2:
        pytest.skip("on one core every library starts one thread anyway")
    for home, extra, want in (("one", {}, 1), ("two", {"analysis_threads": 2}, 2)):
        app = make_app(tmp_path / home, analysis_processes=1, **extra)
        compute = app.state.ctx.inst.compute
        assert isinstance(compute, ProcessCompute)
        try:
            got = compute.run(thread_report)
        finally:
            compute.close()
            app.state.ctx.inst.close()
        assert got["threadpools"], "the worker has numpy's BLAS loaded"
        assert {t["threads"] for t in got["threadpools"]} == {want}, (home, got)
        assert got["opencv"] == want


def test_readyz_waits_for_warm_workers(tmp_path: Path) -> None:
    """/readyz says 503 until every analysis worker has started and warmed up, so the
    first users of a fresh replica do not pay the workers' start (seconds when loaded)."""
    app = make_app(tmp_path / "i", analysis_processes=2)
    inst: Instance = app.state.ctx.inst
    compute = inst.compute
    assert isinstance(compute, ProcessCompute)
    with pytest.raises(NotReadyError, match="analysis workers are still starting"):
        readiness(inst)  # before the start: no worker yet
    with TestClient(app) as c:
        seen: list[int] = []
        for _ in range(1200):  # the pool's start, bounded by WARM_TIMEOUT_S in the app
            r = c.get("/readyz")
            seen.append(r.status_code)
            if r.status_code == 200:
                break
            assert r.status_code == 503
            assert "analysis workers" in r.json()["error"]["message"]
            time.sleep(0.05)
        assert seen[-1] == 200, seen
        # ready means warm: every worker has noted the end of its warm-up
        assert compute.warmed
        marks = compute._marks
        assert marks is not None
        pids = compute.warm_up()
        assert len(pids) == 2
        assert sorted(int(p.stem) for p in marks.glob("*.warm")) == pids
