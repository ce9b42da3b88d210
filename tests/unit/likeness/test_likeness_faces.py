"""Face enrolment and matching on the likeness corpus (real photographs)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from mediaproof.analysis.evidence import AnalysisContext, EvidenceStatus
from mediaproof.config import Settings
from mediaproof.likeness.analyzer import LikenessAnalyzer
from mediaproof.likeness.errors import EnrolmentRejected
from mediaproof.likeness.models import Modality
from mediaproof.likeness.service import LikenessService
from mediaproof.likeness.store import SqliteLikenessStore
from mediaproof.media.ingest import ingest_file
from tests.likeness_support import engines, faces_dir, link_identities

TRAIN = "knn_examples/train"


@pytest.fixture(scope="module")
def svc(corpora: Path, tmp_path_factory: pytest.TempPathFactory) -> LikenessService:
    """Obama and Biden enrolled from the training photos; the other training identities
    (Alex Lacamoire, Kit Harington, Rose Leslie) are the impostor reference."""
    home = tmp_path_factory.mktemp("home")
    face, voice = engines()
    s = LikenessService(SqliteLikenessStore.open(home), faces=face, voices=voice)
    f = faces_dir(corpora)
    ref = link_identities(
        tmp_path_factory.mktemp("ref"),
        {
            p: sorted((f / TRAIN / p).iterdir())
            for p in ("alex_lacamoire", "kit_harington", "rose_leslie")
        },
    )
    assert s.set_reference(Modality.FACE, ref) == 5
    s.enrol("Barack Obama", sorted((f / TRAIN / "obama").iterdir()), consent_note="test")
    s.enrol("Joe Biden", sorted((f / TRAIN / "biden").iterdir()))
    return s


def names(svc: LikenessService, path: Path) -> list[str]:
    return sorted(m.name for m in svc.check(path).matches)


@pytest.mark.parametrize(
    ("photo", "expected"),
    [
        ("knn_examples/test/obama1.jpg", ["Barack Obama"]),
        ("obama-240p.jpg", ["Barack Obama"]),  # 62 px face: compared, not enrolable
        ("biden.jpg", ["Joe Biden"]),
        ("two_people.jpg", ["Barack Obama", "Joe Biden"]),
        ("knn_examples/test/obama_and_biden.jpg", ["Barack Obama", "Joe Biden"]),
        ("knn_examples/test/alex_lacamoire1.jpg", []),
        ("knn_examples/test/johnsnow_test1.jpg", []),
        ("knn_examples/test/kit_with_rose.jpg", []),
        ("lin-manuel-miranda.png", []),  # not in the reference set either
    ],
)
def test_photos_match_their_person_and_no_one_else(
    svc: LikenessService, corpora: Path, photo: str, expected: list[str]
) -> None:
    assert names(svc, faces_dir(corpora) / photo) == expected


def test_scores_come_with_the_calibrated_threshold(svc: LikenessService, corpora: Path) -> None:
    obama = next(e for e in svc.enrolments() if e.name == "Barack Obama")
    th = obama.thresholds[Modality.FACE]
    # 2 Biden vectors + 5 reference vectors were compared against Obama's template
    assert th.impostors == 7
    assert th.impostor_max is not None and th.value >= th.impostor_max
    assert th.genuine_min is not None and th.genuine_min > th.value
    (m,) = svc.check(faces_dir(corpora) / "knn_examples/test/obama1.jpg").matches
    assert m.threshold == pytest.approx(th.value)
    assert m.score > m.threshold
    assert m.where["size_px"] > 100


def test_analyzer_words_resemblance_never_a_verdict(svc: LikenessService, corpora: Path) -> None:
    path = faces_dir(corpora) / "two_people.jpg"
    ctx = AnalysisContext(
        path=path, media=ingest_file(path, Settings().limits), settings=Settings()
    )
    ev = LikenessAnalyzer(svc).analyze(ctx)
    assert ev.analyzer == "likeness"
    assert ev.status is EvidenceStatus.FOUND
    assert "looks like Barack Obama" in ev.summary and "looks like Joe Biden" in ev.summary
    assert "threshold" in ev.summary
    for word in ("fake", "authentic", "genuine"):
        assert word not in ev.summary.lower()
    assert ev.limits and "not a verdict" in ev.limits
    assert {m["name"] for m in ev.data["matches"]} == {"Barack Obama", "Joe Biden"}

    other = faces_dir(corpora) / "knn_examples/test/alex_lacamoire1.jpg"
    ctx = AnalysisContext(
        path=other, media=ingest_file(other, Settings().limits), settings=Settings()
    )
    ev = LikenessAnalyzer(svc).analyze(ctx)
    assert ev.status is EvidenceStatus.NOT_FOUND
    assert ev.summary.startswith("No enrolled person's likeness found (1 face(s) found")


def _reject(svc: LikenessService, photo: Path) -> EnrolmentRejected:
    with pytest.raises(EnrolmentRejected) as info:
        svc.enrol("Someone", [photo])
    return info.value


def test_enrolment_refuses_a_photo_without_a_face(svc: LikenessService, tmp_path: Path) -> None:
    rng = np.random.default_rng(1)
    sky = np.clip(rng.normal(128, 20, (400, 600, 3)), 0, 255).astype(np.uint8)
    p = tmp_path / "sky.png"
    Image.fromarray(sky).save(p)
    e = _reject(svc, p)
    assert e.reason == "no_face" and "no face found" in e.message


def test_enrolment_refuses_several_faces(svc: LikenessService, corpora: Path) -> None:
    e = _reject(svc, faces_dir(corpora) / "two_people.jpg")
    assert e.reason == "several_faces" and "2 faces found" in e.message


def test_enrolment_refuses_a_tiny_face(svc: LikenessService, corpora: Path) -> None:
    e = _reject(svc, faces_dir(corpora) / "obama-240p.jpg")
    assert e.reason == "face_too_small"
    assert "at least 80 px" in e.message


def test_refused_enrolment_stores_nothing(svc: LikenessService, corpora: Path) -> None:
    before = [e.id for e in svc.enrolments()]
    f = faces_dir(corpora)
    with pytest.raises(EnrolmentRejected) as info:
        svc.enrol("Half good", [f / TRAIN / "obama/obama.jpg", f / "two_people.jpg"])
    assert [r.reason for r in info.value.rejections] == ["several_faces"]
    assert [e.id for e in svc.enrolments()] == before


def test_not_an_image_is_refused(svc: LikenessService, tmp_path: Path) -> None:
    p = tmp_path / "notes.jpg"
    p.write_bytes(b"%PDF-1.4 not a photo")
    e = _reject(svc, p)
    assert e.reason == "unreadable" and "application/pdf" in e.message


def test_samples_are_kept_only_when_the_operator_opts_in(corpora: Path, tmp_path: Path) -> None:
    face, voice = engines()
    s = LikenessService(SqliteLikenessStore.open(tmp_path), faces=face, voices=voice)
    photos = sorted((faces_dir(corpora) / TRAIN / "rose_leslie").iterdir())
    plain = s.enrol("Rose Leslie", photos)
    assert s.store.kept_samples(plain.id) == {}
    kept = s.enrol("Rose Leslie (kept)", photos, keep_samples=True)
    assert kept.samples_kept
    assert sorted(s.store.kept_samples(kept.id).values()) == sorted(p.read_bytes() for p in photos)
    s.delete(kept.id)
    assert s.store.kept_samples(kept.id) == {}


def test_damaged_media_is_an_error_evidence_not_a_crash(
    svc: LikenessService, corpora: Path, tmp_path: Path
) -> None:
    broken = tmp_path / "broken.jpg"
    broken.write_bytes((faces_dir(corpora) / "obama.jpg").read_bytes()[:3000])
    ctx = AnalysisContext(broken, ingest_file(broken, Settings().limits), Settings())
    ev = LikenessAnalyzer(svc).analyze(ctx)
    assert ev.status is EvidenceStatus.ERROR
    assert "cannot decode broken.jpg" in ev.summary


def test_reference_conflicts_flag_an_enrolled_person_in_the_reference(
    svc: LikenessService, corpora: Path, tmp_path: Path
) -> None:
    assert svc.reference_conflicts() == []  # the module's reference holds other people
    face, voice = engines()
    s = LikenessService(SqliteLikenessStore.open(tmp_path / "home"), faces=face, voices=voice)
    f = faces_dir(corpora)
    s.enrol("Barack Obama", sorted((f / TRAIN / "obama").iterdir()))
    ref = link_identities(
        tmp_path / "ref",
        {"someone": [f / "obama.jpg"], "rose": sorted((f / TRAIN / "rose_leslie").iterdir())},
    )
    s.set_reference(Modality.FACE, ref)
    (c,) = s.reference_conflicts()
    assert c["name"] == "Barack Obama" and c["reference_identity"] == "someone"
    obama = s.enrolments()[0].thresholds[Modality.FACE]
    assert obama.method.startswith("ceiling")  # what the warning is about
