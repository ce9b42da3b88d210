"""Video: faces in sampled frames and the voice in the soundtrack are both checked."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from mediaproof.analysis.evidence import AnalysisContext, EvidenceStatus
from mediaproof.config import Settings
from mediaproof.likeness.analyzer import LikenessAnalyzer
from mediaproof.likeness.models import Modality
from mediaproof.likeness.service import LikenessService
from mediaproof.likeness.store import SqliteLikenessStore
from mediaproof.likeness.voices import decode_audio
from mediaproof.media.ingest import ingest_file
from tests.likeness_support import clip, engines, faces_dir, make_video


@pytest.fixture(scope="module")
def svc(corpora: Path, tmp_path_factory: pytest.TempPathFactory) -> LikenessService:
    face, voice = engines()
    s = LikenessService(
        SqliteLikenessStore.open(tmp_path_factory.mktemp("home")), faces=face, voices=voice
    )
    s.enrol("Barack Obama", sorted((faces_dir(corpora) / "knn_examples/train/obama").iterdir()))
    s.enrol("Speaker 3005", voices=[clip(corpora, "3005", n) for n in (0, 1, 2, 3)])
    return s


def _frame(path: Path, width: int = 640) -> np.ndarray:
    im = Image.open(path).convert("RGB")
    return np.asarray(im.resize((width, round(im.height * width / im.width))))


def test_video_frames_and_soundtrack_are_both_checked(
    svc: LikenessService, corpora: Path, tmp_path: Path
) -> None:
    obama = _frame(faces_dir(corpora) / "knn_examples/test/obama1.jpg")
    blank = np.full_like(obama, 90)
    speech = decode_audio(clip(corpora, "3005", 5))
    video = make_video(tmp_path / "v.mp4", [blank] * 10 + [obama] * 10, fps=5, audio=speech)
    info = ingest_file(video, Settings().limits)
    ev = LikenessAnalyzer(svc).analyze(AnalysisContext(video, info, Settings()))
    assert ev.status is EvidenceStatus.FOUND, ev.summary
    got = {(m["name"], m["modality"]) for m in ev.data["matches"]}
    assert got == {("Barack Obama", "face"), ("Speaker 3005", "voice")}
    face = next(m for m in ev.data["matches"] if m["modality"] == Modality.FACE.value)
    assert face["where"]["time_s"] >= 2.0  # the face appears after two blank seconds
    assert ev.data["frames_checked"] == 4  # one frame a second over four seconds
    assert "sounds like Speaker 3005" in ev.summary


def test_video_of_nobody_enrolled(svc: LikenessService, corpora: Path, tmp_path: Path) -> None:
    alex = _frame(faces_dir(corpora) / "knn_examples/test/alex_lacamoire1.jpg")
    speech = decode_audio(clip(corpora, "533", 1))
    video = make_video(tmp_path / "v.mp4", [alex] * 10, fps=5, audio=speech)
    result = svc.check(video)
    assert result.faces_found >= 1 and result.speech_verdict == "speech"
    assert result.matches == []


def test_documents_are_not_applicable(svc: LikenessService, tmp_path: Path) -> None:
    p = tmp_path / "x.pdf"
    p.write_bytes(b"%PDF-1.4\n%%EOF\n")
    ev = LikenessAnalyzer(svc).analyze(
        AnalysisContext(p, ingest_file(p, Settings().limits), Settings())
    )
    assert ev.status is EvidenceStatus.NOT_APPLICABLE
