"""Nothing is fetched at run time, and a plain verify leaves no likeness data behind."""

from __future__ import annotations

import socket
from pathlib import Path
from typing import Any

import pytest

from mediaproof.analysis.evidence import AnalysisContext, EvidenceStatus
from mediaproof.config import Settings
from mediaproof.likeness.analyzer import LikenessAnalyzer
from mediaproof.likeness.faces import FaceEngine, load_rgb
from mediaproof.likeness.voices import VoiceEngine, decode_audio
from mediaproof.media.ingest import ingest_file
from mediaproof.services import likeness
from mediaproof.services.instance import Instance
from tests.likeness_support import clip, faces_dir


def test_models_load_and_run_with_the_network_cut(
    corpora: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError(f"network access attempted: {args!r}")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    faces = FaceEngine().faces(load_rgb(faces_dir(corpora) / "obama.jpg"), min_face_px=40)
    assert len(faces) == 1 and faces[0].vector is not None
    assert faces[0].vector.shape == (128,)
    voices = VoiceEngine()
    v = voices.embed(voices.prepare(decode_audio(clip(corpora, "3005", 0))))
    assert v.shape == (256,)


def test_verify_without_enrolments_creates_no_likeness_data(corpora: Path, tmp_path: Path) -> None:
    settings = Settings(home=tmp_path / "home")
    inst = Instance(settings)
    path = faces_dir(corpora) / "obama.jpg"
    ctx = AnalysisContext(path, ingest_file(path, settings.limits), settings)
    ev = LikenessAnalyzer(likeness.instance_likeness(inst)).analyze(ctx)
    inst.close()
    assert ev.status is EvidenceStatus.NOT_FOUND
    assert ev.summary == "No one is enrolled, so no likeness was compared."
    assert not (settings.keys_dir / "likeness.key").exists()  # no key was created


def test_instance_analyzer_opens_the_enrolled_instance(corpora: Path, tmp_path: Path) -> None:
    settings = Settings(home=tmp_path / "home")
    inst = Instance(settings)
    train = faces_dir(corpora) / "knn_examples/train/biden"
    likeness.enrol(inst, "Joe Biden", sorted(train.iterdir()))
    path = faces_dir(corpora) / "two_people.jpg"
    ctx = AnalysisContext(path, ingest_file(path, settings.limits), settings)
    ev = LikenessAnalyzer(likeness.instance_likeness(inst)).analyze(ctx)
    inst.close()
    assert ev.status is EvidenceStatus.FOUND
    assert ev.summary.startswith("Shows someone who looks like Joe Biden (score 0.9")
