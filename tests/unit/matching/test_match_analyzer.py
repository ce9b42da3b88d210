"""End to end (offline): register originals, then copies lead back to them."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from PIL import Image

from mediaproof.analysis.evidence import AnalysisContext, EvidenceStatus
from mediaproof.config import Settings
from mediaproof.fingerprint.fingerprints import fingerprint_file
from mediaproof.matching.analyzer import MatchAnalyzer
from mediaproof.matching.lookup import FingerprintLookup, InMemoryLookup
from mediaproof.media.ingest import ingest_file

PDQ = "pdq-threatexchange/images"


def _ctx(path: Path, tmp_path: Path, services: object = None) -> AnalysisContext:
    settings = Settings(home=tmp_path / "home")
    return AnalysisContext(
        path=path, media=ingest_file(path, settings.limits), settings=settings, services=services
    )


@pytest.fixture(scope="module")
def registry(corpora: Path) -> InMemoryLookup:
    lookup = InMemoryLookup()
    originals = {
        "bridge": corpora / PDQ / "bridge-mods/aaa-orig.jpg",
        "coloured": corpora / PDQ / "misc-images/c.png",
        "rgb": corpora / PDQ / "python-threatexchange-resources/rgb.jpeg",
        "chair20": corpora / "vpdq-tmk-threatexchange/videos/chair-20-sd-bar.mp4",
    }
    for asset, path in originals.items():
        lookup.register(asset, fingerprint_file(path, reference=True))
    return lookup


def test_in_memory_lookup_meets_the_protocol(registry: InMemoryLookup) -> None:
    assert isinstance(registry, FingerprintLookup)
    with pytest.raises(ValueError):
        registry.find_near("nope", b"", 0)


def test_copies_of_a_photo_match_their_original(
    corpora: Path, tmp_path: Path, registry: InMemoryLookup
) -> None:
    src = Image.open(corpora / PDQ / "bridge-mods/aaa-orig.jpg").convert("RGB")
    copies = {
        "jpeg75.jpg": src,
        "half.jpg": src.resize((src.width // 2, src.height // 2), Image.Resampling.LANCZOS),
        "mirror.jpg": src.transpose(Image.Transpose.FLIP_LEFT_RIGHT),
        "rot90.png": src.transpose(Image.Transpose.ROTATE_90),
    }
    analyzer = MatchAnalyzer(registry)
    for name, im in copies.items():
        path = tmp_path / name
        im.save(path, quality=75) if name.endswith(".jpg") else im.save(path)
        ev = analyzer.analyze(_ctx(path, tmp_path))
        assert ev.status is EvidenceStatus.FOUND, (name, ev.summary)
        assert ev.data["matched_assets"] == ["bridge"], name
        best = ev.data["candidates"][0]
        assert best["signal"] == "pdq" and best["distance"] <= 31
        assert best["query_quality"] == 100 and best["threshold"] == 31
        if name == "mirror.jpg":
            assert best["variant"] == "flipy"
        if name == "rot90.png":
            assert best["variant"] == "rotate90"
        assert "not proof" in ev.summary and ev.limits


def test_unrelated_images_match_nothing(
    corpora: Path, tmp_path: Path, registry: InMemoryLookup
) -> None:
    analyzer = MatchAnalyzer(registry)
    unrelated = [
        corpora / PDQ / "misc-images/wee.jpg",
        corpora / PDQ / "python-threatexchange-resources/LA.png",
        *sorted((corpora / PDQ / "reg-test-input/labelme-subset").glob("*.jpg")),
    ]
    for path in unrelated:
        ev = analyzer.analyze(_ctx(path, tmp_path))
        assert ev.status is EvidenceStatus.NOT_FOUND, (path.name, ev.data.get("candidates"))
        assert "unknown" in ev.summary


def test_exact_file_copy_matches_by_md5(
    corpora: Path, tmp_path: Path, registry: InMemoryLookup
) -> None:
    copy = tmp_path / "same.mp4"
    copy.write_bytes((corpora / "vpdq-tmk-threatexchange/videos/chair-20-sd-bar.mp4").read_bytes())
    ev = MatchAnalyzer(registry).analyze(_ctx(copy, tmp_path))
    assert ev.status is EvidenceStatus.FOUND
    assert ev.data["candidates"][0]["signal"] == "md5"
    signals = {c["signal"] for c in ev.data["candidates"] if c["asset_id"] == "chair20"}
    assert {"md5", "vpdq", "chromaprint"} <= signals


def test_reencoded_video_and_its_sound_match(
    corpora: Path, tmp_path: Path, registry: InMemoryLookup
) -> None:
    """A re-cut, re-encoded copy (starts 2 s in, lower bitrate) of a registered video."""
    copy = tmp_path / "recut.mp4"
    src = corpora / "vpdq-tmk-threatexchange/videos/chair-20-sd-bar.mp4"
    subprocess.run(
        ["ffmpeg", "-v", "error", "-y", "-ss", "2", "-t", "12", "-i", str(src),
         "-c:v", "libx264", "-preset", "ultrafast", "-crf", "32",
         "-c:a", "aac", "-b:a", "48k", str(copy)],
        check=True, timeout=120,
    )  # fmt: skip
    ev = MatchAnalyzer(registry).analyze(_ctx(copy, tmp_path))
    assert ev.status is EvidenceStatus.FOUND
    by_signal = {c["signal"]: c for c in ev.data["candidates"]}
    assert "md5" not in by_signal
    assert by_signal["vpdq"]["asset_id"] == "chair20"
    assert by_signal["vpdq"]["query_match_percent"] >= 80
    assert by_signal["chromaprint"]["asset_id"] == "chair20"
    # an unrelated video matches nothing
    other = corpora / "vpdq-tmk-threatexchange/videos/doorknob-hd-no-bar.mp4"
    assert MatchAnalyzer(registry).analyze(_ctx(other, tmp_path)).status is EvidenceStatus.NOT_FOUND


def test_low_quality_query_is_recorded_not_matched(corpora: Path, tmp_path: Path) -> None:
    lookup = InMemoryLookup()
    flat = tmp_path / "flat.png"
    Image.new("RGB", (200, 200), (90, 90, 90)).save(flat)
    lookup.register("flat", fingerprint_file(flat, reference=True))
    assert lookup.low_quality == {"flat": 0}  # recorded, not indexed
    ev = MatchAnalyzer(lookup).analyze(_ctx(flat, tmp_path))
    assert ev.status is EvidenceStatus.FOUND  # the exact file still matches by md5...
    assert [c["signal"] for c in ev.data["candidates"]] == ["md5"]  # ...but never by pdq
    assert ev.data["low_quality"] is True and ev.data["signals"]["pdq"]["usable"] is False
    other = tmp_path / "flat2.png"
    Image.new("RGB", (210, 200), (91, 91, 91)).save(other)
    ev = MatchAnalyzer(lookup).analyze(_ctx(other, tmp_path))
    assert ev.status is EvidenceStatus.NOT_FOUND and "quality" in ev.summary


def test_no_registry_and_bad_media(corpora: Path, tmp_path: Path) -> None:
    path = corpora / PDQ / "misc-images/wee.jpg"
    ev = MatchAnalyzer().analyze(_ctx(path, tmp_path))
    assert ev.status is EvidenceStatus.NOT_APPLICABLE and "pdq" in ev.data["signals"]
    # the registry can come from the instance's services too
    services = type("S", (), {"fingerprint_lookup": InMemoryLookup()})()
    assert (
        MatchAnalyzer().analyze(_ctx(path, tmp_path, services)).status is EvidenceStatus.NOT_FOUND
    )
    broken = tmp_path / "broken.jpg"
    broken.write_bytes(b"\xff\xd8\xff\xe0" + b"\x00" * 100)
    ev = MatchAnalyzer(InMemoryLookup()).analyze(_ctx(broken, tmp_path))
    assert ev.status is EvidenceStatus.ERROR


def test_removed_original_no_longer_matches(corpora: Path, tmp_path: Path) -> None:
    lookup = InMemoryLookup()
    path = corpora / PDQ / "bridge-mods/blur-a-little.jpg"
    lookup.register(
        "a", fingerprint_file(corpora / PDQ / "bridge-mods/aaa-orig.jpg", reference=True)
    )
    assert MatchAnalyzer(lookup).analyze(_ctx(path, tmp_path)).status is EvidenceStatus.FOUND
    lookup.remove("a")
    assert MatchAnalyzer(lookup).analyze(_ctx(path, tmp_path)).status is EvidenceStatus.NOT_FOUND


def test_letterboxed_copy_matches_after_unletterboxing(corpora: Path, tmp_path: Path) -> None:
    res = corpora / PDQ / "python-threatexchange-resources"
    lookup = InMemoryLookup()
    lookup.register("sample-b", fingerprint_file(res / "sample-b.jpg", reference=True))
    ev = MatchAnalyzer(lookup).analyze(_ctx(res / "letterboxed_sample-b.jpg", tmp_path))
    assert ev.status is EvidenceStatus.FOUND
    best = ev.data["candidates"][0]
    assert best["preprocess"] == "unletterbox" and best["distance"] <= 8


def test_differences_with_a_kept_original(corpora: Path, tmp_path: Path) -> None:
    from PIL import ImageDraw

    from mediaproof.matching.analyzer import HEATMAP_CACHE_KEY

    original = corpora / PDQ / "bridge-mods/aaa-orig.jpg"
    lookup = InMemoryLookup()
    lookup.register("bridge", fingerprint_file(original, reference=True), original=original)
    edited = Image.open(original).convert("RGB")
    ImageDraw.Draw(edited).rectangle((1000, 200, 1400, 600), fill=(128, 128, 120))
    copy = tmp_path / "edited.jpg"
    edited.transpose(Image.Transpose.FLIP_LEFT_RIGHT).save(copy, quality=80)
    ctx = _ctx(copy, tmp_path)
    ev = MatchAnalyzer(lookup).analyze(ctx)
    assert ev.status is EvidenceStatus.FOUND  # the edit does not stop the match...
    diff = ev.data["differences"]  # ...but the comparison shows it
    assert diff["asset_id"] == "bridge" and diff["transform"] == "flipy"
    box = diff["boxes"][0]
    assert abs(box["x"] - 1000) < 40 and abs(box["y"] - 200) < 40
    assert ctx.cache[HEATMAP_CACHE_KEY].startswith(b"\x89PNG")


def test_unprobed_containers_are_not_decoded(corpora: Path, tmp_path: Path) -> None:
    import dataclasses

    path = corpora / "vpdq-tmk-threatexchange/videos/doorknob-hd-no-bar.mp4"
    ctx = _ctx(path, tmp_path)
    ctx.media = dataclasses.replace(ctx.media, duration_s=None)  # the sandboxed probe failed
    ev = MatchAnalyzer(InMemoryLookup()).analyze(ctx)
    assert ev.status is EvidenceStatus.ERROR and "not decoded" in ev.summary
    assert "fingerprints" not in ctx.cache


def test_a_bounded_lookup_says_so_in_the_report(corpora: Path, tmp_path: Path) -> None:
    """More registered near-duplicates than one lookup answers (LOOKUP_LIMIT): the
    leads are the nearest ones, and the evidence says how many were that close."""
    from mediaproof.matching.lookup import LOOKUP_LIMIT

    lookup = InMemoryLookup()
    path = corpora / PDQ / "bridge-mods/aaa-orig.jpg"
    fps = fingerprint_file(path, reference=True)
    n = LOOKUP_LIMIT + 30
    for i in range(1, n + 1):  # the same picture registered n times
        lookup.register(str(i), fps)
    copy = tmp_path / "copy.png"  # other bytes: no digest match (those are not bounded)
    Image.open(path).convert("RGB").save(copy)
    ev = MatchAnalyzer(lookup).analyze(_ctx(copy, tmp_path))
    assert ev.status is EvidenceStatus.FOUND
    matched = ev.data["matched_assets"]  # equally near: the lowest ids are kept
    assert sorted(matched, key=int) == [str(i) for i in range(1, LOOKUP_LIMIT + 1)]
    assert ev.data["lookup_truncated"] == {"limit": LOOKUP_LIMIT, "assets_within": {"pdq": n}}
    assert f"the nearest {LOOKUP_LIMIT} per lookup of {n}" in ev.summary
    lookup.remove(str(n))  # at the bound: nothing left out, nothing said
    for i in range(LOOKUP_LIMIT + 1, n):
        lookup.remove(str(i))
    ev = MatchAnalyzer(lookup).analyze(_ctx(copy, tmp_path))
    assert len(ev.data["matched_assets"]) == LOOKUP_LIMIT
    assert "lookup_truncated" not in ev.data and "per lookup" not in ev.summary
