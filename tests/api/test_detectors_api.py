"""The service with a learned detector enabled that does not load: verify still answers
200 with every other check, the detector's evidence is an error naming why, and no score
is made up; with the steps in worker processes as the service runs them by default."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from mediaproof.analysis.compute import ProcessCompute
from mediaproof.api.app import create_app
from mediaproof.config import DetectorSettings
from mediaproof.media.samples import sample_photo
from mediaproof.provenance.keys import init_keys
from tests.api.conftest import make_settings


def test_a_detector_that_does_not_load_is_an_error_evidence_not_a_5xx(tmp_path: Path) -> None:
    settings = make_settings(tmp_path / "i", analysis_processes=1).model_copy(
        update={"detectors": DetectorSettings(enabled=["no-such-detector"])}
    )
    app = create_app(settings)
    init_keys(app.state.ctx.inst.keys_dir, "Test Election Office")
    photo = sample_photo(tmp_path / "p.jpg", 640, 480, seed=3)
    with TestClient(app) as c:
        assert isinstance(app.state.ctx.inst.compute, ProcessCompute)
        for _ in range(2):  # the second request fails the same way: nothing was cached
            r = c.post("/api/v1/verify", files={"file": ("p.jpg", photo.read_bytes())})
            assert r.status_code == 200, r.text
            rep = r.json()
            ev = rep["evidence"]["detector"]
            assert ev["status"] == "error"
            assert ev["summary"].startswith(
                "A detector could not be loaded: no detector 'no-such-detector'")
            assert not ev["data"]
            assert rep["evidence"]["provenance"]["status"] != "error"
            assert rep["assessment"]["label"] == "unknown"
            reasons = " ".join(rep["assessment"]["reasons"])
            assert "A check could not finish: A detector could not be loaded" in reasons
