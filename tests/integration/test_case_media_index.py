"""Confirmed deceptive media in the fingerprint bank, and notices joined by fingerprint,
through the exact Hamming indexes (PDQ, vPDQ, audio), on SQLite and PostgreSQL.

Real media: corpus photos and Meta's sample videos, fingerprinted as an upload would be.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from mediaproof.cases.events import InMemoryEventSink
from mediaproof.cases.models import NoticeInput, Outcome
from mediaproof.fingerprint.fingerprints import fingerprint_file
from mediaproof.matching.media_bank import fingerprint_map
from mediaproof.services.cases import CaseService
from mediaproof.services.cases.media_index import SqlCaseMediaIndex
from mediaproof.storage.sql.engine import Database
from mediaproof.storage.sql.tables_cases import BankRow
from tests.factories import CANDIDATE, decided_case, notice_input

T0 = dt.datetime(2026, 11, 3, 9, 0, tzinfo=dt.UTC)
PHOTO = "pdq-threatexchange/images/bridge-mods/aaa-orig.jpg"
OTHER = "pdq-threatexchange/images/misc-images/c.png"
VIDEOS = "vpdq-tmk-threatexchange/videos"


@pytest.fixture
def svc(db: Database) -> CaseService:
    return CaseService(db, sink=InMemoryEventSink(), media_index=SqlCaseMediaIndex(db))


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@functools.cache
def _upload_map(path: Path) -> dict[str, str]:
    """What an upload's fingerprints look like (query mode, as the web layer computes).
    Cached: both database backends reuse the corpus files' maps."""
    return fingerprint_map(fingerprint_file(path), dihedral=False)


def _notice(path: Path, fmap: dict[str, str], url: str, **kw: Any) -> NoticeInput:
    picture = {
        "explanation": "A fabricated picture of the candidate at a rally.",
        "media_sha256": _sha(path),
        "content_url": url,
        "location": "video.example",
        "fingerprints": fmap,
    }
    return notice_input(picture, reporter=CANDIDATE, **kw)


def _confirm(svc: CaseService, path: Path, fmap: dict[str, str]) -> str:
    return decided_case(
        svc,
        _notice(path, fmap, "https://video.example/a"),
        filed_at=T0,
        outcome=Outcome.LABEL,
        explanation="Synthetic image; label it.",
    ).case_number


def _mirror_copy(src: Path, dest: Path) -> Path:
    im = Image.open(src).convert("RGB")
    im.transpose(Image.Transpose.FLIP_LEFT_RIGHT).resize((im.width // 2, im.height // 2)).save(
        dest, quality=75
    )
    return dest


def test_banked_image_matches_a_mirrored_reencoded_upload(
    svc: CaseService, db: Database, corpora: Path, tmp_path: Path
) -> None:
    fake = corpora / PHOTO
    # the confirmed item carries its dihedral variants (as a reviewer's upload would)
    banked = fingerprint_map(fingerprint_file(fake, reference=True))
    number = _confirm(svc, fake, banked)
    copy = _mirror_copy(fake, tmp_path / "copy.jpg")
    res = svc.check_upload(_sha(copy), fingerprints=_upload_map(copy), now=T0,
                           content_url="https://mirror.example/1")  # fmt: skip
    assert res.action.value == "queue"
    assert res.matched_case == number and res.kind == "near"
    assert res.distance is not None and res.distance <= 31
    assert res.receipt is not None and res.receipt.case_number != number  # a new review
    # exact bytes still label at once
    exact = svc.check_upload(_sha(fake), fingerprints=banked, now=T0)
    assert exact.action.value == "label" and exact.kind == "exact"
    other = corpora / OTHER
    assert svc.check_upload(_sha(other), fingerprints=_upload_map(other), now=T0).action.value == (
        "ignore"
    )
    # a reversal switches the bank row off: the index stops matching it
    with db.session() as s:
        for b in s.query(BankRow).all():
            b.active = False
    again = svc.check_upload(_sha(copy), fingerprints=_upload_map(copy), now=T0)
    assert again.action.value == "ignore"


def test_banked_video_matches_by_frames_and_by_sound(svc: CaseService, corpora: Path) -> None:
    videos = corpora / VIDEOS
    fake = videos / "chair-20-sd-bar.mp4"
    number = _confirm(svc, fake, _upload_map(fake))
    grey = videos / "chair-22-sd-grey-bar.mp4"  # longer, greyed: the frames still match
    r = svc.check_upload(_sha(grey), fingerprints=_upload_map(grey), now=T0)
    assert (r.action.value, r.matched_case, r.kind) == ("queue", number, "near")
    later = videos / "chair-19-sd-bar.mp4"  # other cut: too few frames, but the same sound
    fm = _upload_map(later)
    r2 = svc.check_upload(_sha(later), fingerprints=fm, now=T0)
    assert (r2.action.value, r2.matched_case) == ("queue", number)
    assert r2.distance is not None and r2.distance <= 250  # per mille bit-error rate
    unrelated = videos / "doorknob-hd-no-bar.mp4"
    assert svc.check_upload(_sha(unrelated), fingerprints=_upload_map(unrelated),
                            now=T0).action.value == "ignore"  # fmt: skip


def test_notices_about_the_same_media_join_one_case_by_fingerprint(
    svc: CaseService, corpora: Path, tmp_path: Path
) -> None:
    fake = corpora / PHOTO
    first = svc.file_notice(_notice(fake, _upload_map(fake), "https://video.example/a"), T0)
    small = tmp_path / "small.jpg"
    Image.open(fake).convert("RGB").resize((400, 251)).save(small, quality=70)
    joined = svc.file_notice(_notice(small, _upload_map(small), "https://other.example/b"), T0)
    assert joined.joined_existing_case and joined.case_number == first.case_number
    other = corpora / OTHER
    apart = svc.file_notice(_notice(other, _upload_map(other), "https://third.example/c"), T0)
    assert not apart.joined_existing_case
    # once decided, a near copy opens its own case instead of falling under the decision
    svc.decide(first.case_number, reviewer="alice", outcome=Outcome.LABEL, rule_id="DM-1",
               explanation="Synthetic image; label it.", now=T0)  # fmt: skip
    copy = tmp_path / "copy.jpg"
    Image.open(fake).convert("RGB").resize((640, 402)).save(copy, quality=60)
    fmap = _upload_map(copy)
    index = svc.media_index
    assert isinstance(index, SqlCaseMediaIndex)
    assert index.bank_matches("00" * 32, fmap)  # it is near the (now banked) media ...
    late = svc.file_notice(_notice(copy, fmap, "https://fourth.example/d"), T0)
    assert not late.joined_existing_case  # ... but does not join the decided case


def test_index_sees_rows_written_by_another_process(db: Database, corpora: Path) -> None:
    """Two services on one database (two workers): a decision made through one is matched
    through the other on the next call."""
    a = CaseService(db, sink=InMemoryEventSink(), media_index=SqlCaseMediaIndex(db))
    b_index = SqlCaseMediaIndex(db)
    b = CaseService(db, sink=InMemoryEventSink(), media_index=b_index)
    fake = corpora / PHOTO
    assert b_index.bank_matches(_sha(fake), _upload_map(fake)) == []  # loaded, empty
    number = _confirm(a, fake, _upload_map(fake))
    res = b.check_upload("cd" * 32, fingerprints=_upload_map(fake), now=T0)
    assert res.matched_case == number and res.kind == "near" and res.distance == 0
