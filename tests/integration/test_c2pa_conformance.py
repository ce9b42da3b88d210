"""verify reports the same credential state as the corpora's consensus.

Expected results come from each corpus's expected_results.csv. Rows whose expectation is
an SDK error are checked for "a result or a clean error, never a crash"; disputed rows
(per the MANIFEST) must produce a result but are not held to either side.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from mediaproof.config import Limits
from mediaproof.errors import IngestError
from mediaproof.media.ingest import ingest_file
from mediaproof.provenance.c2pa_io import C2paEngine
from mediaproof.provenance.trust import load_pem_bundle

TEST_ANCHORS = "c2pa-sdk-fixtures/c2pa-python/tests/trust_config_test_settings.json"


def _state(observed: str) -> str | None:
    s = observed.strip()
    if s.startswith("ERROR(ManifestNotFound") or s.startswith("ERROR(NotSupported"):
        return "absent"
    if s.startswith("ERROR") or not s:
        return None  # an SDK error: we only require a clean outcome
    return s.lower()


def _rows(corpora: Path) -> list[tuple[str, Path, str | None, str | None, bool]]:
    out = []
    pub = corpora / "c2pa-public-testfiles"
    for r in list(csv.reader((pub / "expected_results.csv").open()))[1:]:
        disputed = not r[8].startswith("AGREE")
        out.append((r[0], pub / r[0], _state(r[4]), _state(r[6]), disputed))
    sdk = corpora / "c2pa-sdk-fixtures"
    for r in list(csv.reader((sdk / "expected_results.csv").open()))[1:]:
        out.append((r[0], sdk / r[0], _state(r[3]), _state(r[5]), False))
    return [row for row in out if row[1].is_file()]


@pytest.fixture(scope="module")
def engines(corpora: Path) -> tuple[C2paEngine, C2paEngine]:
    return C2paEngine(None), C2paEngine(load_pem_bundle(corpora / TEST_ANCHORS))


def test_corpus_is_present(corpora: Path) -> None:
    rows = _rows(corpora)
    assert len(rows) > 80  # both tables, minus files kept apart
    assert sum(1 for r in rows if r[2] is not None and not r[4]) > 60


def test_every_corpus_file_matches_consensus(
    corpora: Path, engines: tuple[C2paEngine, C2paEngine]
) -> None:
    plain, anchored = engines
    mismatches = []
    for name, path, want_plain, want_anchored, disputed in _rows(corpora):
        try:
            media = ingest_file(path, Limits())
        except IngestError:
            assert want_plain is None, f"{name}: refused at ingest but has a clear expectation"
            continue
        got_plain = plain.read(path, media.mime).state.value
        got_anchored = anchored.read(path, media.mime).state.value
        if disputed:
            continue  # produced a result without crashing: that is all we ask
        if want_plain is not None and got_plain != want_plain:
            mismatches.append((name, "no anchors", want_plain, got_plain))
        if want_anchored is not None and got_anchored != want_anchored:
            mismatches.append((name, "test anchors", want_anchored, got_anchored))
    assert not mismatches, mismatches


@pytest.mark.parametrize(
    ("name", "code"),
    [
        (
            "c2pa-public-testfiles/files/image/jpeg/adobe-20220124-E-dat-CA.jpg",
            "assertion.dataHash.mismatch",
        ),
        (
            "c2pa-public-testfiles/files/image/jpeg/adobe-20220124-E-sig-CA.jpg",
            "claimSignature.mismatch",
        ),
        (
            "c2pa-public-testfiles/files/image/jpeg/adobe-20220124-XCA.jpg",
            "assertion.dataHash.mismatch",
        ),
        (
            "c2pa-public-testfiles/files/image/jpeg/nikon-20221019-building.jpeg",
            "signingCredential.expired",
        ),
        (
            "c2pa-sdk-fixtures/c2pa-rs/sdk/tests/fixtures/dashinit.mp4",
            "assertion.bmffHash.mismatch",
        ),
    ],
)
def test_tampered_files_name_the_failure(
    corpora: Path, engines: tuple[C2paEngine, C2paEngine], name: str, code: str
) -> None:
    path = corpora / name
    r = engines[1].read(path, ingest_file(path, Limits()).mime)
    assert r.state.value == "invalid"
    assert code in r.failure_codes
    detail = next(c for c in r.codes if c.code == code)
    assert detail.explanation and "see the C2PA" not in detail.explanation


def test_remote_manifest_is_never_fetched(
    corpora: Path, engines: tuple[C2paEngine, C2paEngine]
) -> None:
    path = corpora / "c2pa-sdk-fixtures/c2pa-rs/sdk/tests/fixtures/cloud.jpg"
    r = engines[0].read(path, "image/jpeg")
    assert r.state.value == "absent"
    assert r.remote_url and r.remote_url.startswith("https://")
    assert [c.code for c in r.codes] == ["manifest.remote.notFetched"]
