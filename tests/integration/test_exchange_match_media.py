"""Received vPDQ and Chromaprint signals match uploads, on SQLite and PostgreSQL, with
real media: Meta's sample videos (../shared/corpora/vpdq-tmk-threatexchange) and their
soundtracks. A peer's signal is the fingerprint of the original; a re-encoded copy
(smaller, another codec setting) checked as a file, as hashes (ours or
python-threatexchange's vPDQ string) or analysed after a notice opens a case for review
naming the peer; an unrelated video or recording matches nothing. Known-benign signals
suppress, the flood guard quarantines, a withdrawn signal stops matching."""

from __future__ import annotations

import hashlib
import json
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from mediaproof.cases.events import InMemoryEventSink
from mediaproof.exchange.models import Category, SignalType
from mediaproof.fingerprint.fingerprints import fingerprint_file
from mediaproof.media.sniff import MediaKind
from mediaproof.services import exchange_match, upload_check
from mediaproof.services.cases import CaseService
from mediaproof.services.cases.intake_form import analyse_into, media_prints, sound_prints
from mediaproof.services.instance import Instance
from mediaproof.storage.sql.repos_exchange_incoming import IncomingRepository
from tests.factories import notice_input
from tests.integration.test_exchange_db import T0
from tests.integration.test_exchange_match import row, source

VIDEOS = "vpdq-tmk-threatexchange/videos"


def _ffmpeg(*args: str) -> None:
    subprocess.run(["ffmpeg", "-v", "error", "-y", *args], check=True, timeout=120)


@dataclass(frozen=True)
class Media:
    original: Path  # what the peer fingerprinted
    copy: Path  # a re-encoded copy of it
    unrelated: Path
    original_audio: Path
    copy_audio: Path
    unrelated_audio: Path


@pytest.fixture(scope="module")
def media(corpora: Path, tmp_path_factory: pytest.TempPathFactory) -> Media:
    d = tmp_path_factory.mktemp("media")
    v = corpora / VIDEOS
    copy = d / "chair-small.mp4"  # 320 px wide, a coarser encoding, new audio encoding
    _ffmpeg("-i", str(v / "chair-20-sd-bar.mp4"), "-vf", "scale=320:-2", "-c:v", "libx264",
            "-crf", "32", "-c:a", "aac", "-b:a", "64k", str(copy))  # fmt: skip
    sound = d / "chair.mp3"
    _ffmpeg("-i", str(v / "chair-20-sd-bar.mp4"), "-vn", "-c:a", "libmp3lame", "-b:a", "128k",
            str(sound))  # fmt: skip
    sound_copy = d / "chair-copy.mp3"  # resampled, a third of the bit rate
    _ffmpeg("-i", str(sound), "-ar", "22050", "-c:a", "libmp3lame", "-b:a", "40k",
            str(sound_copy))  # fmt: skip
    other = d / "pattern.mp3"
    _ffmpeg("-i", str(v / "pattern-hd-no-bar.mp4"), "-vn", "-c:a", "libmp3lame", str(other))
    return Media(v / "chair-20-sd-bar.mp4", copy, v / "doorknob-hd-no-bar.mp4", sound,
                 sound_copy, other)  # fmt: skip


@pytest.fixture
def b(tmp_path: Path, db_url: str) -> Iterator[Instance]:
    from tests.api.conftest import make_settings

    settings = make_settings(tmp_path / "b", exchange_flood_matches=3)
    inst = Instance(settings.model_copy(update={"database_url": db_url}))
    try:
        yield inst
    finally:
        inst.close()


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def vpdq_of(inst: Instance, path: Path) -> str:
    return media_prints(inst, path, MediaKind.VIDEO)["vpdq"]


def chromaprint_of(path: Path) -> str:
    return sound_prints(path)["chromaprint"]


def pytx_vpdq(path: Path) -> str:
    """python-threatexchange's vpdq signal string (``vpdq_to_json`` of compact features:
    ``"<hex>,<quality>,<timestamp>"``, the timestamp as its ``:.3`` format writes it)."""
    video = fingerprint_file(path, kind=MediaKind.VIDEO).video
    assert video is not None
    return json.dumps([f"{f.pdq.hex},{f.pdq.quality},{f.timestamp_s:.3}" for f in video.frames])


def cases_of(inst: Instance) -> CaseService:
    return CaseService(inst.db, sink=InMemoryEventSink())


def test_a_received_vpdq_matches_a_reencoded_copy_not_an_unrelated_video(
    b: Instance, media: Media
) -> None:
    source(b, [row(1, vpdq_of(b, media.original), st=SignalType.VPDQ)])
    svc = cases_of(b)
    # must not trigger: another video's frames are nowhere near
    none = upload_check.check_file(b, svc, media.unrelated)
    assert none.action == "none" and none.case_number is None and not none.received
    assert "vpdq" in none.checked  # hashed at upload time, not left to a job
    out = upload_check.check_file(b, svc, media.copy, content_url="https://social.example/v/1")
    assert out.action == "review" and out.applied is None and out.case_number
    [hit] = out.received
    assert (hit["source"], hit["signal_type"], hit["log_index"]) == ("county-a", "vpdq", 0)
    assert hit["distance"] <= 31
    case = svc.show(out.case_number)
    note = case.notices[0].explanation
    assert "exchange peer county-a" in note and "% of the upload's frames" in note
    assert case.decisions == ()  # a third party's signal never acts alone
    [m] = exchange_match.matches(b, media_sha256=sha(media.copy))
    assert m["outcome"] == "opened"


def test_a_received_chromaprint_matches_a_reencoded_recording_not_another(
    b: Instance, media: Media
) -> None:
    source(b, [row(1, chromaprint_of(media.original_audio), st=SignalType.CHROMAPRINT)])
    svc = cases_of(b)
    none = upload_check.check_file(b, svc, media.unrelated_audio)
    assert none.action == "none" and "chromaprint" in none.checked
    out = upload_check.check_file(b, svc, media.copy_audio)
    assert out.action == "review", out
    [hit] = out.received
    assert hit["signal_type"] == "chromaprint" and hit["distance"] <= 250  # per mille
    assert "bit-error rate" in svc.show(out.case_number or "").notices[0].explanation
    # a video whose soundtrack it is matches on its sound too
    [sound] = upload_check.check_file(b, svc, media.copy).received
    assert sound["signal_type"] == "chromaprint"


def test_platform_hashes_match_ours_and_python_threatexchanges_vpdq(
    b: Instance, media: Media
) -> None:
    source(b, [row(1, vpdq_of(b, media.original), st=SignalType.VPDQ)])
    svc = cases_of(b)
    theirs = pytx_vpdq(media.copy)
    assert all(len(f.split(",")) == 3 for f in json.loads(theirs))
    hashes = upload_check.UploadHashes(sha(media.copy), vpdq=theirs)
    out = upload_check.check_hashes(b, svc, hashes)
    assert out.action == "review" and out.received[0]["signal_type"] == "vpdq"
    assert "vpdq" in out.checked
    # ours: comma-separated frames; an unrelated video's do not match
    other = upload_check.UploadHashes(sha(media.unrelated), vpdq=vpdq_of(b, media.unrelated))
    assert upload_check.check_hashes(b, svc, other).action == "none"
    with pytest.raises(upload_check.InvalidHashError):
        upload_check.UploadHashes("ab" * 32, vpdq="0" * 64)  # a flat frame only
    with pytest.raises(upload_check.InvalidHashError):
        upload_check.UploadHashes("ab" * 32, vpdq='["' + "5a" * 32 + ',101,0.0"]')
    with pytest.raises(upload_check.InvalidHashError):
        upload_check.UploadHashes("ab" * 32, chromaprint="abc")


def test_a_notice_video_is_matched_on_its_frames_after_the_analysis(
    b: Instance, media: Media
) -> None:
    # only frames: the soundtrack's Chromaprint (matched at intake) is not in the feed
    source(b, [row(1, vpdq_of(b, media.original), st=SignalType.VPDQ)])
    svc = cases_of(b)
    receipt = svc.file_notice(
        notice_input(media_sha256=sha(media.copy), mime="video/mp4", fingerprints={}), T0
    )
    assert exchange_match.matches(b, media_sha256=sha(media.copy)) == []
    analyse_into(b, svc, receipt.notice_id, media.copy)
    [m] = exchange_match.matches(b, media_sha256=sha(media.copy))
    assert m["outcome"] == "opened" and m["case_number"]


def test_benign_signals_suppress_and_the_flood_guard_holds(b: Instance, media: Media) -> None:
    original = vpdq_of(b, media.original)
    sound = chromaprint_of(media.original_audio)
    source(
        b,
        [
            row(1, original, st=SignalType.VPDQ),
            row(2, sound, st=SignalType.CHROMAPRINT, category=Category.NEGATIVE_CLASS),
        ],
    )
    svc = cases_of(b)
    copy = {"vpdq": vpdq_of(b, media.copy)}
    # the source's own known-benign recording suppresses a match on the same media
    both = exchange_match.check_upload(
        b, svc, sha256="01" * 32, fingerprints={**copy, "chromaprint": sound}, now=T0
    )
    assert both.case_number is None and both.suppressed
    assert "known-benign signal from county-a" in both.reasons[0]
    # the local negative list, in python-threatexchange's form, suppresses too
    exchange_match.add_negative(b, "vpdq", pytx_vpdq(media.original), "Our own footage", now=T0)
    res = exchange_match.check_upload(b, svc, sha256="02" * 32, fingerprints=copy, now=T0)
    assert res.case_number is None
    assert "the local negative list (Our own footage)" in res.reasons[0]
    assert exchange_match.remove_negative(b, "vpdq", original)
    again = exchange_match.check_upload(b, svc, sha256="03" * 32, fingerprints=copy, now=T0)
    assert again.case_number is not None


def test_the_flood_guard_quarantines_a_vpdq_signal(b: Instance, media: Media) -> None:
    source(b, [row(1, vpdq_of(b, media.original), st=SignalType.VPDQ)])
    svc = cases_of(b)
    copy = {"vpdq": vpdq_of(b, media.copy)}
    # a fourth different upload within the window (limit 3) quarantines the signal
    numbers = [
        exchange_match.check_upload(b, svc, sha256=f"{i:064x}", fingerprints=copy, now=T0)
        for i in range(1, 5)
    ]
    assert [bool(n.case_number) for n in numbers] == [True, True, True, False]
    assert numbers[3].quarantined and "flood guard" in numbers[3].reasons[0]
    assert [q["signal_type"] for q in exchange_match.quarantined(b)] == ["vpdq"]


def test_a_withdrawn_signal_stops_matching_and_the_index_reads_only_hits(
    b: Instance, media: Media
) -> None:
    chair = vpdq_of(b, media.original)
    pattern = vpdq_of(b, media.unrelated)
    source(b, [row(1, chair, st=SignalType.VPDQ), row(2, pattern, st=SignalType.VPDQ)])
    svc = cases_of(b)
    copy = {"vpdq": vpdq_of(b, media.copy)}
    with b.db.session() as s:
        found = b.exchange_index.candidates(IncomingRepository(s), {"vpdq": [copy["vpdq"]]})
    assert [r.seq for r in found.received] == [1]  # the near row only, not every row
    assert len(b.exchange_index) == 2
    with b.db.session() as s:
        repo = IncomingRepository(s)
        p = repo.peer("county-a")
        assert p is not None
        repo.apply_updates(p.id, [row(3, chair, st=SignalType.VPDQ, deleted=True)], T0)
    res = exchange_match.check_upload(b, svc, sha256="03" * 32, fingerprints=copy, now=T0)
    assert res.case_number is None and not res.opened
