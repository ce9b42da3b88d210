"""Two API processes of one instance (two apps on one home and database, no broker):
what one gives out, the other serves (issue 20: no state in a process)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient

from mediaproof.api import create_app
from tests.api.conftest import FIX, bearer, make_app, make_settings, publish
from tests.api.test_match_images import altered_copy


def _second(app: FastAPI, **service: Any) -> FastAPI:
    """Another API process on the same instance (its own objects, connections, pools)."""
    return create_app(make_settings(app.state.ctx.inst.home, **service))


def test_heatmap_made_by_one_api_is_served_by_another(
    app: FastAPI, client: TestClient, photo: Path, tmp_path: Path
) -> None:
    inst = app.state.ctx.inst
    h = bearer(inst, "publisher", ["publish"])
    signed = client.get(publish(client, h, photo)["download_url"], headers=h).content
    copy = altered_copy(signed, tmp_path / "copy.jpg")
    r = client.post("/api/v1/verify", files={"file": ("x.jpg", copy.read_bytes())})
    assert r.status_code == 200, r.text
    url = r.json()["evidence"]["match"]["data"]["heatmap_url"]
    with TestClient(_second(app)) as other:
        heat = other.get(url)
        assert heat.status_code == 200 and heat.headers["content-type"] == "image/png"
        assert heat.content == client.get(url).content
        assert other.get(url[:-3] + "xyz").status_code == 404


def test_job_taken_by_one_api_is_read_through_another(tmp_path: Path, corpora: Path) -> None:
    wav = (corpora / FIX / "sample1.wav").read_bytes()
    a = make_app(tmp_path / "i", job_audio_min_s=0.5)
    with TestClient(a) as ca, TestClient(_second(a, job_audio_min_s=0.5)) as cb:
        r = ca.post("/api/v1/verify", files={"file": ("a.wav", wav)})
        assert r.status_code == 202
        url = r.json()["status_url"]
        deadline = time.monotonic() + 60
        while (j := cb.get(url).json())["status"] not in ("done", "failed"):
            assert time.monotonic() < deadline, j
            time.sleep(0.2)
        assert j["status"] == "done" and j["result"]["media"]["kind"] == "audio"
        assert ca.get(url).json() == j
