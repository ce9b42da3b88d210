"""Audio detectors (issue 21): an audio plug-in passes the shipped contract, the HTTP
adapter serves one, verify runs it on sound files (in the workers, with the step's time
limit) and words its answer as an opinion with its accuracy, the answer lists it as a
check instead of saying there is no AI-voice detector, the policy does not label on it
unless the operator's rule says so, and the harness measures it on real recorded speech
with audio transforms."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from mediaproof.analysis.compute import ProcessCompute
from mediaproof.analysis.evidence import AnalysisContext, Evidence, EvidenceStatus
from mediaproof.config import DetectorSettings, Settings
from mediaproof.detection import evaluate as evaluate_mod
from mediaproof.detection.analyzer import DetectorAnalyzer
from mediaproof.detection.card import parse_card, write_evaluation
from mediaproof.detection.errors import DetectorError, DetectorLoadError, ManifestError
from mediaproof.detection.evaluate import (
    accuracy_summary,
    accuracy_text,
    evaluate,
    render_markdown,
)
from mediaproof.detection.http import TrueMediaHttpDetector
from mediaproof.detection.protocol import Detector, DetectorResult
from mediaproof.media.ingest import ingest_file
from mediaproof.policy.assessment import NO_DETECTOR, Label, assess
from mediaproof.policy.detector_rule import rules_for
from mediaproof.testing.detector_contract import DetectorContract
from tests.unit.detection.detector_support import (
    HighBandDetector,
    audio_card_dict,
    speech_files,
    toy_detector,
    with_tone,
)
from tests.unit.detection.test_detection_http import StandIn, stand_in  # noqa: F401


@pytest.fixture
def speech() -> list[Path]:
    return speech_files(2)


@pytest.fixture
def toned(tmp_path: Path, speech: list[Path]) -> Path:
    return with_tone(speech[0], tmp_path / "toned.wav")


def highband() -> HighBandDetector:
    det = HighBandDetector(parse_card(audio_card_dict()))
    det.load()
    return det


class TestAudioPlugin(DetectorContract):
    """The shipped contract, on an audio plug-in made here."""

    @pytest.fixture
    def detector(self) -> HighBandDetector:
        return HighBandDetector(parse_card(audio_card_dict()))

    @pytest.fixture
    def media(self, speech: list[Path], toned: Path) -> list[Path]:
        return [speech[0], toned]


def audio_http_card(tmp_path: Path, det_id: str = "remote-voice") -> Path:
    data = audio_card_dict(det_id)
    p = tmp_path / f"{det_id}.card.json"
    p.write_text(json.dumps(data))
    return p


class TestAudioHttpDetector(DetectorContract):
    """The TrueMedia-convention adapter with an audio card, against the stand-in."""

    @pytest.fixture
    def detector(self, tmp_path: Path, stand_in: StandIn) -> TrueMediaHttpDetector:  # noqa: F811
        card = parse_card(json.loads(audio_http_card(tmp_path).read_text()))
        return TrueMediaHttpDetector(card, stand_in.url, timeout_s=5)

    @pytest.fixture
    def media(self, speech: list[Path], toned: Path) -> list[Path]:
        return [speech[0], toned]


def test_http_adapter_scores_a_real_flac(tmp_path: Path, stand_in: StandIn,  # noqa: F811
                                         speech: list[Path], toned: Path) -> None:
    card = parse_card(json.loads(audio_http_card(tmp_path).read_text()))
    det = TrueMediaHttpDetector(card, stand_in.url, timeout_s=5)
    assert det.modality == "audio"
    det.load()
    real, fake = det.score(speech[0]), det.score(toned)
    assert stand_in.requests[0] == {"file_path": str(speech[0].resolve())}
    assert real.probability is not None and real.probability < 0.1
    assert fake.probability is not None and fake.probability > 0.9
    assert fake.raw == {"prediction": "FAKE"}


def ctx_for(path: Path, det: DetectorSettings | None = None) -> AnalysisContext:
    s = Settings(home=path.parent / "home", detectors=det or DetectorSettings())
    return AnalysisContext(path=path, media=ingest_file(path, s.limits), settings=s)


def run(dets: Sequence[Detector], path: Path) -> Evidence:
    return DetectorAnalyzer(lambda: dets).analyze(ctx_for(path))


def test_an_audio_detector_runs_on_a_sound_file(tmp_path: Path, speech: list[Path],
                                                toned: Path) -> None:
    image = toy_detector(tmp_path / "img")
    image.load()
    ev = run([image, highband()], toned)
    assert ev.status is EvidenceStatus.FOUND
    (entry,) = ev.data["detectors"]  # the image detector does not listen
    assert entry["id"] == "toy-highband" and entry["opinion"] == "consistent"
    assert ev.summary.startswith("A detector's opinion (toy-highband 0.1): consistent with "
                                 "AI generation (score 1.00).")
    assert "No measured accuracy: this detector has not been evaluated here." in ev.summary
    assert "Not validated for this kind of file: it has not been evaluated here at all." in (
        ev.summary)
    assert "AI-generated" not in ev.summary
    real = run([highband()], speech[0])
    assert real.data["detectors"][0]["opinion"] == "not_consistent"
    assert "which does not make it authentic" in real.summary


def test_format_outside_the_evaluation_is_flagged(tmp_path: Path, speech: list[Path]) -> None:
    from mediaproof.detection.transforms import mp3_low

    mp3 = mp3_low(speech[0], tmp_path)
    ev = run([highband()], mp3)
    assert "it was evaluated on flac, wav audio, not mp3" in ev.summary
    flac = run([highband()], speech[0])
    assert "not flac" not in flac.summary


def test_only_image_detectors_enabled_leaves_audio_unscored(tmp_path: Path,
                                                            speech: list[Path]) -> None:
    image = toy_detector(tmp_path / "img")
    image.load()
    ev = run([image], speech[0])
    assert ev.status is EvidenceStatus.NOT_APPLICABLE
    assert ev.summary == "No audio (AI-voice) detector is enabled."
    a = assess({"detector": ev}, media_kind="audio")
    assert NO_DETECTOR["audio"] in a.reasons  # the current wording stays


class Failing(HighBandDetector):
    def score(self, media: Path) -> DetectorResult:
        raise DetectorError(f"{self.id}: the model crashed")


def test_errors_are_errors_never_scores(speech: list[Path]) -> None:
    bad = Failing(parse_card(audio_card_dict()))
    bad.load()
    ev = run([bad], speech[0])
    assert ev.status is EvidenceStatus.ERROR
    assert ev.data["detectors"][0]["probability"] is None
    assert "none, it failed (toy-highband: the model crashed)" in ev.summary

    def broken() -> Sequence[Detector]:
        raise DetectorLoadError("toy-highband: weights file missing")

    ev = DetectorAnalyzer(broken).analyze(ctx_for(speech[0]))
    assert ev.status is EvidenceStatus.ERROR and not ev.data
    a = assess({"detector": ev}, media_kind="audio")
    (check,) = [c for c in a.checks if "AI-voice" in c["check"]]
    assert check["ran"] is False and "could not be loaded" in check["note"]


def test_the_answer_lists_the_voice_detector_instead_of_saying_there_is_none(
    speech: list[Path], toned: Path
) -> None:
    ev = run([highband()], speech[0])
    a = assess({"detector": ev}, media_kind="audio")
    assert NO_DETECTOR["audio"] not in a.reasons
    assert not any("no AI-voice detector" in r for r in a.reasons)
    (check,) = [c for c in a.checks if "AI-voice" in c["check"]]
    assert check == {"check": "learned AI-voice detectors (an opinion, not a verdict)",
                     "ran": True, "result": "found", "note": None}
    assert a.label is Label.UNKNOWN
    # abstained (nothing it could read): listed as not checked, with its reason
    silent_ev = run([Abstaining(parse_card(audio_card_dict()))], speech[0])
    b = assess({"detector": silent_ev}, media_kind="audio")
    assert NO_DETECTOR["audio"] not in b.reasons
    (skipped,) = [r for r in b.reasons if r.startswith("Not checked:")]
    assert "learned AI-voice detectors" in skipped and "abstained" in skipped


class Abstaining(HighBandDetector):
    def score(self, media: Path) -> DetectorResult:
        self._loaded = True
        return DetectorResult.abstain("the recording is shorter than 2 s")


def test_policy_labels_only_with_the_operators_rule(toned: Path) -> None:
    ev = run([highband()], toned)
    assert ev.data["detectors"][0]["opinion"] == "consistent"
    plain = assess({"detector": ev}, media_kind="audio")
    assert plain.label is Label.UNKNOWN and "AI-generated" not in plain.headline
    ruled = assess({"detector": ev}, rules_for({"toy-highband": 0.9}), media_kind="audio")
    assert ruled.label is Label.DETECTOR_CAUTION
    assert "toy-highband scores 0.90 or more" in ruled.reasons[0]
    other = assess({"detector": ev}, rules_for({"another-detector": 0.1}), media_kind="audio")
    assert other.label is Label.UNKNOWN


@pytest.fixture(scope="module")
def pool() -> Any:
    p = ProcessCompute(1)
    yield p
    p.close()


@pytest.mark.parametrize("kind", ["pool", "inline"])
def test_runs_in_the_analysis_workers(kind: str, pool: ProcessCompute, tmp_path: Path,
                                      stand_in: StandIn, toned: Path) -> None:  # noqa: F811
    from mediaproof.analysis.compute import InlineCompute

    det = DetectorSettings(enabled=["remote-voice"], http_url=stand_in.url,
                           http_card=audio_http_card(tmp_path), http_timeout_s=30)
    ctx = ctx_for(toned, det)
    ctx.compute = pool if kind == "pool" else InlineCompute()
    ev = DetectorAnalyzer(det).analyze(ctx)
    assert ev.status is EvidenceStatus.FOUND, ev.summary
    assert ev.data["detectors"][0]["id"] == "remote-voice"
    assert ev.data["detectors"][0]["opinion"] == "consistent"
    assert stand_in.requests == [{"file_path": str(toned.resolve())}]


def test_a_hung_audio_service_is_stopped_by_the_step_limit(
    pool: ProcessCompute, tmp_path: Path, stand_in: StandIn, toned: Path  # noqa: F811
) -> None:
    from mediaproof.config import Limits

    stand_in.mode, stand_in.delay_s = "slow", 20.0
    det = DetectorSettings(enabled=["remote-voice"], http_url=stand_in.url,
                           http_card=audio_http_card(tmp_path), http_timeout_s=30)
    s = Settings(home=tmp_path / "home", detectors=det,
                 limits=Limits(step_timeout_s=1, step_timeout_per_media_s=0.25))
    ctx = AnalysisContext(path=toned, media=ingest_file(toned, s.limits), settings=s)
    ctx.compute = pool
    ev = DetectorAnalyzer(det).analyze(ctx)
    assert ev.status is EvidenceStatus.ERROR
    # 1 s + 0.25 s per second of the recording: the step limit a sound file gets
    assert ctx.media.duration_s is not None
    limit = 1 + 0.25 * ctx.media.duration_s
    assert limit < 10
    assert ev.summary.startswith("The detectors did not answer: this check took longer "
                                 f"than {limit:g} s"), ev.summary
    assert not ev.data


@pytest.fixture
def voices(tmp_path: Path) -> Path:
    """5 real LibriSpeech recordings and the same 5 with a tone (the toy's 'generated')."""
    d = tmp_path / "voices"
    d.mkdir()
    rows = []
    for i, f in enumerate(speech_files(5)):
        with_tone(f, d / f"gen{i}.wav")
        rows.append({"path": str(f), "label": "real", "source": "librispeech",
                     "language": "en", "split": "in-the-wild"})
        rows.append({"path": f"gen{i}.wav", "label": "ai", "generator": "tone-gen",
                     "source": "made-in-test", "language": "en", "split": "in-the-wild"})
    m = d / "voices.jsonl"
    m.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    return m


def test_harness_measures_an_audio_detector_with_audio_transforms(
    tmp_path: Path, voices: Path
) -> None:
    rep = evaluate(highband(), voices, bootstrap=100)
    assert rep["modality"] == "audio"
    assert rep["transforms"] == ["mp3-32k", "opus-16k", "resample-8k"]
    assert rep["transforms_skipped"] == {}
    sec = rep["sections"]["in-the-wild"]
    o = sec["original"]
    assert o["files"] == {"ai": 5, "real": 5} and o["auc"] == 1.0
    assert o["at_card_threshold"]["fpr"]["k"] == 0
    assert set(o["per_generator"]) == {"tone-gen"}
    # the toy's tone is at 5 kHz: the 8 kHz telephone resample removes it, MP3 keeps it
    assert sec["transforms"]["resample-8k"]["at_card_threshold"]["tpr"]["k"] == 0
    assert sec["transforms"]["mp3-32k"]["at_card_threshold"]["tpr"]["k"] == 5
    assert sec["transforms"]["resample-8k"]["degradation"]["tpr_at_threshold_delta"] == -1.0
    md = render_markdown(rep)
    assert "| resample-8k |" in md and "not measured" not in md
    card_path = tmp_path / "card.json"
    card_path.write_text(json.dumps(audio_card_dict()))
    write_evaluation(card_path, rep)
    card = parse_card(json.loads(card_path.read_text()))
    text = accuracy_text(accuracy_summary(card))
    assert text.startswith("Measured on 5 real and 5 AI-generated recordings (in-the-wild, "
                           "voices.jsonl)")
    assert "images" not in text


def test_harness_refuses_image_transforms_on_audio(voices: Path) -> None:
    with pytest.raises(ManifestError, match=r"unknown transform.*audio detector"):
        evaluate(highband(), voices, transforms=["repost"])


def test_harness_says_which_audio_transforms_it_could_not_run(
    voices: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # an FFmpeg build without libopus (a boundary we do not own)
    monkeypatch.setattr(evaluate_mod, "unavailable_audio_transforms",
                        lambda: {"opus-16k": "this FFmpeg build has no libopus encoder"})
    rep = evaluate(highband(), voices, bootstrap=100)
    assert rep["transforms"] == ["mp3-32k", "resample-8k"]
    assert rep["transforms_skipped"] == {"opus-16k": "this FFmpeg build has no libopus encoder"}
    assert "opus-16k" not in rep["sections"]["in-the-wild"]["transforms"]
    assert ("Transform opus-16k not measured: this FFmpeg build has no libopus encoder."
            in render_markdown(rep))


VIDEOS = Path(__file__).resolve().parents[3] / ".." / "shared" / "corpora" / (
    "vpdq-tmk-threatexchange/videos")


def test_a_videos_soundtrack_is_listened_to(tmp_path: Path) -> None:
    """A real corpus video with a soundtrack: the frames go to the image detector, the
    soundtrack to the audio detector, each worded as what it looked at or listened to."""
    video = VIDEOS / "doorknob-hd-no-bar.mp4"
    image = toy_detector(tmp_path / "img")
    image.load()
    ev = run([image, highband()], video)
    by_id = {e["id"]: e for e in ev.data["detectors"]}
    assert by_id["toy-redness"]["looked_at"] == "frames"
    sound = by_id["toy-highband"]
    assert sound["looked_at"] == "soundtrack" and sound["probability"] is not None
    assert "frames" not in sound
    assert "A detector's opinion (toy-highband 0.1) on the video's soundtrack: " in ev.summary
    assert "it was evaluated on sound files, not on a video's soundtrack" in ev.summary
    a = assess({"detector": ev}, media_kind="video")
    names = {c["check"]: c for c in a.checks}
    assert names["learned AI-voice detectors on the soundtrack (an opinion, not a verdict)"][
        "ran"] is True
    assert names["learned detectors on sampled video frames (an opinion, not a verdict)"][
        "ran"] is True
    assert "AI-voice detector" not in names
    assert NO_DETECTOR["audio"] not in a.reasons and NO_DETECTOR["video"] not in a.reasons
    assert a.label is Label.UNKNOWN


def test_only_an_audio_detector_on_a_video(tmp_path: Path) -> None:
    ev = run([highband()], VIDEOS / "doorknob-hd-no-bar.mp4")
    (entry,) = ev.data["detectors"]
    assert entry["looked_at"] == "soundtrack"
    a = assess({"detector": ev}, media_kind="video")
    names = {c["check"]: c for c in a.checks}
    frames = names["learned detectors on sampled video frames (an opinion, not a verdict)"]
    assert frames["ran"] is False and frames["note"] == (
        "no detector that looks at video frames is enabled")
    assert not any("has no detector" in r for r in a.reasons)


def test_a_silent_video_is_not_listened_to(tmp_path: Path) -> None:
    ev = run([highband()], VIDEOS / "test-padded-dimensions.mp4")
    (entry,) = ev.data["detectors"]
    assert entry["opinion"] == "abstained"
    assert entry["abstain_reason"] == "the video has no soundtrack"
    assert ev.status is EvidenceStatus.NOT_APPLICABLE
    a = assess({"detector": ev}, media_kind="video")
    (skipped,) = [r for r in a.reasons if r.startswith("Not checked:")]
    assert "learned AI-voice detectors on the soundtrack" in skipped
    assert "the video has no soundtrack" in skipped
    checked = [r for r in a.reasons if r.startswith("Checked, and nothing found")]
    assert not any("AI-voice" in r for r in checked)


class Segmenting(HighBandDetector):
    """Says which stretch of the recording it listened to."""

    def score(self, media: Path) -> DetectorResult:
        from mediaproof.detection.protocol import Segment

        r = super().score(media)
        if r.probability is None:
            return r
        return DetectorResult(r.probability, segments=(Segment(0.0, 4.0),))


def _page(det: Detector, path: Path, tmp_path: Path) -> str:
    import jinja2

    import mediaproof.web
    from mediaproof.analysis.pipeline import run_analyzers

    s = Settings(home=tmp_path / "home")
    rep = run_analyzers(path, ingest_file(path, s.limits), s,
                        [DetectorAnalyzer(lambda: [det])])
    env = jinja2.Environment(autoescape=True, loader=jinja2.FileSystemLoader(
        Path(mediaproof.web.__file__).parent / "templates"))
    html = env.get_template("_report.html").render(report=rep.as_dict(), tones={},
                                                   slotted=())
    return html.split('id="detector-scores"')[1].split("</table>")[0]


def test_the_page_says_what_an_audio_detector_listened_to(tmp_path: Path, speech: list[Path]
                                                          ) -> None:
    det = Segmenting(parse_card(audio_card_dict()))
    det.load()
    row = _page(det, speech[0], tmp_path)
    assert "the recording, at 0.0–4.0 s" in row
    assert "No measured accuracy" in row and "not stated" not in row
    plain = _page(highband(), speech[0], tmp_path)
    assert "the recording" not in plain and "not stated" in plain
    track = _page(det, VIDEOS / "doorknob-hd-no-bar.mp4", tmp_path)
    assert "the video's soundtrack, at 0.0–4.0 s" in track
    assert "frames of the video" not in track


def test_cli_evaluates_an_audio_detector_service_with_the_audio_transforms(
    tmp_path: Path, stand_in: StandIn, voices: Path,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """`mediaproof detectors evaluate` with its default (`all`) on an audio detector
    behind the HTTP adapter: the audio transforms, a report and a Markdown card."""
    from typer.testing import CliRunner

    from mediaproof.cli.main import app

    monkeypatch.setenv("MEDIAPROOF_DETECTORS_HTTP_URL", stand_in.url)
    monkeypatch.setenv("MEDIAPROOF_DETECTORS_HTTP_CARD", str(audio_http_card(tmp_path)))
    res = CliRunner().invoke(app, ["detectors", "evaluate", str(voices), "-d", "remote-voice",
                                   "--bootstrap", "100", "--out", str(tmp_path / "o")])
    assert res.exit_code == 0, res.output
    rep = json.loads((tmp_path / "o" / "remote-voice.voices.json").read_text())
    assert rep["modality"] == "audio"
    assert rep["transforms"] == ["mp3-32k", "opus-16k", "resample-8k"]
    assert rep["sections"]["in-the-wild"]["original"]["auc"] == 1.0
    assert len(stand_in.requests) == 10 * 4  # every file, as is and after each transform
    assert "| resample-8k |" in (tmp_path / "o" / "remote-voice.voices.md").read_text()
