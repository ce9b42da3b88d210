from __future__ import annotations

import io
import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image

from mediaproof.testing.watermark_contract import KEY, SchemeContract
from mediaproof.watermark.image import (
    TILE,
    SpreadSpectrumImageScheme,
    _fold,
    _layout,
    _sync,
    _whiten,
    make_tile,
)
from mediaproof.watermark.models import Payload


def _photo(corpora: Path) -> np.ndarray[Any, np.dtype[np.uint8]]:
    # a real photograph that ships with scikit-image (the corpus bridge photo is one of
    # the hard cases the benchmark reports; see docs/watermark.md)
    from skimage import data

    return np.asarray(data.astronaut(), dtype=np.uint8)


def _jpeg(a: np.ndarray[Any, Any], quality: int) -> np.ndarray[Any, np.dtype[np.uint8]]:
    buf = io.BytesIO()
    Image.fromarray(a).save(buf, "JPEG", quality=quality)
    return np.asarray(Image.open(io.BytesIO(buf.getvalue())).convert("RGB"), dtype=np.uint8)


class TestImageSchemeContract(SchemeContract):
    @pytest.fixture
    def scheme(self) -> SpreadSpectrumImageScheme:
        return SpreadSpectrumImageScheme()

    @pytest.fixture
    def media(self, corpora: Path) -> np.ndarray[Any, np.dtype[np.uint8]]:
        return _photo(corpora)

    def mild_attack(self, media: Any, rate: int | None) -> tuple[Any, int | None]:
        return _jpeg(media, 75), rate


def test_photo_fixture_is_big_enough(corpora: Path) -> None:
    assert min(_photo(corpora).shape[:2]) >= 256


def test_psnr_is_high(corpora: Path) -> None:
    img = _photo(corpora)
    marked = SpreadSpectrumImageScheme().embed(img, Payload(42), KEY)
    mse = float(np.mean((marked.astype(np.float64) - img) ** 2))
    assert 10 * math.log10(255**2 / mse) > 38.0


def test_flat_areas_are_left_almost_alone() -> None:
    flat = np.full((300, 400, 3), 128, dtype=np.uint8)
    marked = SpreadSpectrumImageScheme().embed(flat, Payload(1), KEY)
    assert np.abs(marked.astype(int) - 128).max() <= 2


def test_jpeg75_round_trip_keeps_id_and_version(corpora: Path) -> None:
    scheme = SpreadSpectrumImageScheme()
    marked = scheme.embed(_photo(corpora), Payload(987654321, 7), KEY)
    det = scheme.detect(_jpeg(marked, 75), KEY)
    assert det.claimed and det.payload == Payload(987654321, 7)


def test_resize(corpora: Path) -> None:
    scheme = SpreadSpectrumImageScheme()
    img = _photo(corpora)
    marked = Image.fromarray(scheme.embed(img, Payload(5), KEY))
    h, w = img.shape[:2]
    det = scheme.detect(np.asarray(marked.resize((w * 3 // 4, h * 3 // 4), Image.BILINEAR)), KEY)
    assert det.claimed and det.payload == Payload(5)
    assert abs(det.details["scale"] - 0.75) < 0.02


def test_small_rotation_is_measured(corpora: Path) -> None:
    scheme = SpreadSpectrumImageScheme()
    marked = Image.fromarray(scheme.embed(_photo(corpora), Payload(5), KEY))
    det = scheme.detect(np.asarray(marked.rotate(1.5, Image.BILINEAR)), KEY)
    assert det.claimed and det.payload == Payload(5)
    assert abs(abs(det.details["rotation_deg"]) - 1.5) < 0.3


def test_unmarked_corpus_images_give_no_claim(corpora: Path) -> None:
    scheme = SpreadSpectrumImageScheme()
    folder = corpora / "pdq-threatexchange/images/bridge-mods"
    for path in sorted(folder.glob("*.jpg")):
        det = scheme.detect(np.asarray(Image.open(path).convert("RGB")), KEY)
        assert not det.claimed, path.name


def test_payload_out_of_range_is_refused(corpora: Path) -> None:
    from mediaproof.watermark.errors import PayloadError

    with pytest.raises(PayloadError):
        SpreadSpectrumImageScheme().embed(_photo(corpora), Payload(1 << 40), KEY)


def test_sync_finds_known_shift() -> None:
    # a pure tiled pattern shifted by a known amount: the sync peak must land on it
    tile = make_tile(KEY, Payload(3))
    field = np.tile(tile, (3, 3))[17 : 17 + 300, 45 : 45 + 300].astype(np.float32)
    z, shift, _ = _sync(_fold(_whiten(field * 3 + 128), 1.0, 0.0), 1.0, _layout(KEY))
    # the folded tile starts 17 rows / 45 columns into the pattern
    assert shift == (-17 % TILE, -45 % TILE)
    assert z > 8


def test_tile_is_key_dependent() -> None:
    a = make_tile(KEY, Payload(3))
    b = make_tile(b"other-key-0000000000000000000000", Payload(3))
    assert abs(float(np.mean(a * b))) < 0.1


def test_mask_is_texture_adaptive_and_capped() -> None:
    from mediaproof.watermark.image import A_MAX, A_MIN

    rng = np.random.default_rng(3)
    img = np.full((512, 512), 128.0)
    img[:, 256:] += rng.normal(0, 40, (512, 256))  # busy texture on the right half
    img8 = np.clip(img, 0, 255).astype(np.uint8)
    mark = SpreadSpectrumImageScheme().mark_for(img8, Payload(9), KEY)
    flat_rms = float(np.sqrt(np.mean(mark[:, 16:240] ** 2)))
    busy_rms = float(np.sqrt(np.mean(mark[:, 272:496] ** 2)))
    # unit-RMS tile times the mask: flat areas sit at the floor, texture at the cap
    assert flat_rms == pytest.approx(A_MIN, rel=0.25)
    assert busy_rms > 2.5 * flat_rms
    assert busy_rms <= A_MAX * 1.05


def test_bad_mask_is_rejected() -> None:
    with pytest.raises(ValueError, match="mask"):
        SpreadSpectrumImageScheme(mask=(3.0, 0.1, 1.0))


def test_marks_from_the_first_release_mask_still_decode(corpora: Path) -> None:
    # the detector does not depend on the embedder's mask constants: marks made before
    # the retune (floor 0.45, slope 0.13, cap 3.5) keep decoding
    old = SpreadSpectrumImageScheme(mask=(0.45, 0.13, 3.5))
    marked = old.embed(_photo(corpora), Payload(77, 2), KEY)
    det = SpreadSpectrumImageScheme().detect(_jpeg(marked, 80), KEY)
    assert det.claimed and det.payload == Payload(77, 2)


# --- the detector's fast paths compute the same statistics as the plain versions -----
#
# The detector's speed-ups (single-precision autocorrelations, real-input transforms for
# the sync correlation) must not move a detection. The plain versions are kept here as
# references, and the detections below are pinned to what the code before those
# speed-ups reported (commit 3605147), so any drift in a statistic shows.


def _acfs_reference(r: np.ndarray[Any, np.dtype[np.float32]]) -> list[np.ndarray[Any, Any]]:
    """The autocorrelation z-maps in double precision (the code before the speed-up)."""
    import cv2

    h, w = r.shape
    hh, ww = cv2.getOptimalDFTSize(2 * h), cv2.getOptimalDFTSize(2 * w)
    power = np.abs(np.fft.rfft2(r.astype(np.float64), s=(hh, ww))) ** 2
    smooth = cv2.GaussianBlur(power.astype(np.float32), (0, 0), 6.0).astype(np.float64)
    lag_y = np.minimum(np.arange(hh), hh - np.arange(hh))
    lag_x = np.minimum(np.arange(ww), ww - np.arange(ww))
    root = np.sqrt(np.maximum(h - lag_y, 1)[:, None] * np.maximum(w - lag_x, 1)[None, :])
    out = []
    for p in (power, power / (smooth + 1e-12)):
        raw = np.fft.irfft2(p, s=(hh, ww))
        a = np.fft.fftshift(raw / ((raw[0, 0] / (h * w) + 1e-12) * root))
        out.append(a - cv2.GaussianBlur(a, (0, 0), 4.0))
    return out


def _whitened(img: np.ndarray[Any, np.dtype[np.uint8]]) -> np.ndarray[Any, Any]:
    from mediaproof.watermark.image import ANALYSIS_AREA, _resize_area, luminance

    return _whiten(_resize_area(luminance(img), ANALYSIS_AREA))


def test_single_precision_acfs_rank_lattices_as_double_does(corpora: Path) -> None:
    from mediaproof.watermark.image import _acfs, _lattice_candidates

    img = _photo(corpora)
    marked = _jpeg(SpreadSpectrumImageScheme().embed(img, Payload(11), KEY), 80)
    # 512 x 512 gives 1024 x 1024 transforms; the crops give odd sizes (675 x 625 and
    # 432 x 625), where lag 0 is centred another way
    for pixels in (img, marked, marked[:326, :306], img[:204, :306]):
        r = _whitened(pixels)
        h, w = r.shape
        plain, flat, cx = _acfs(r)
        for fast, ref in zip((plain, flat), _acfs_reference(r), strict=True):
            assert fast.dtype == np.float32
            # the fast maps keep the columns from lag -cx on (what the search can read)
            x0 = ref.shape[1] // 2 - cx
            assert fast.shape == (ref.shape[0], ref.shape[1] - x0)
            # per-lag z-scores (noise ~1, a lattice peak several units) at the lags the
            # search reads: rounding moves them by < 1e-4 (measured 6e-5); the first
            # columns (blur border) are never read
            cy = fast.shape[0] // 2
            win = np.s_[cy - h + 12 : cy + h - 11, 20 : cx + w - 11]
            assert float(np.abs(fast - ref[:, x0:])[win].max()) < 1e-3
            got = _lattice_candidates(fast, cx, r.shape)
            want = _lattice_candidates(ref.astype(np.float32), ref.shape[1] // 2, r.shape)
            assert [c[:2] for c in got] == [c[:2] for c in want]
            assert [c[2] for c in got] == pytest.approx([c[2] for c in want], abs=1e-4)


def test_real_input_sync_matches_complex_correlation(corpora: Path) -> None:
    from mediaproof.watermark.image import _highpass_response

    lay = _layout(KEY)
    marked = SpreadSpectrumImageScheme().embed(_photo(corpora), Payload(11), KEY)
    r = _whitened(_jpeg(marked, 80))
    for s, th in ((1.0, 0.0), (0.93, 0.02), (2.1, -0.05)):
        folded = _fold(r, s, th)
        z, shift, corr = _sync(folded, s, lay)
        sync_tile = np.fft.irfft2(np.conj(lay.sync_rspec_conj), s=(TILE, TILE))
        spec = np.fft.fft2(folded) * _highpass_response(s)
        ref = np.real(np.fft.ifft2(spec * np.conj(np.fft.fft2(sync_tile))))
        assert np.allclose(corr, ref, rtol=0, atol=1e-9 * float(np.abs(ref).max()))
        idx = int(np.argmax(ref))
        assert shift == divmod(idx, TILE)
        assert z == pytest.approx((ref.flat[idx] - ref.mean()) / ref.std(), rel=1e-9)


def _pinned_cases(corpora: Path) -> dict[str, np.ndarray[Any, np.dtype[np.uint8]]]:
    from skimage import data

    scheme = SpreadSpectrumImageScheme()
    ast = _photo(corpora)
    coffee = np.asarray(data.coffee(), dtype=np.uint8)
    marked = Image.fromarray(scheme.embed(ast, Payload(987654321, 7), KEY))
    return {
        "marked_q75": _jpeg(np.asarray(marked), 75),
        "unmarked_astronaut": ast,
        "unmarked_coffee": coffee,
        "rotated": np.asarray(marked.rotate(1.5, Image.BILINEAR)),
        "resized": np.asarray(marked.resize((384, 384), Image.BILINEAR)),
        "coffee_marked_q80": _jpeg(scheme.embed(coffee, Payload(31337, 1), KEY), 80),
        # odd transform sizes (675 x 625, 432 x 625)
        "cropped_odd": _jpeg(np.asarray(marked), 75)[:326, :306],
        "unmarked_odd": coffee[:204, :306],
    }


# (claimed, payload, sync z, hypotheses, scale, rotation deg, decodes) as reported by
# the detector before its speed-ups
_PINNED: dict[str, tuple[bool, Payload | None, float, int, float, float, int]] = {
    "marked_q75": (True, Payload(987654321, 7), 7.449304947, 163840, 1.000679, 0.0, 1),
    "unmarked_astronaut": (False, None, 4.765920277, 262144, 1.531839, 1.75, 0),
    "unmarked_coffee": (False, None, 4.284567352, 327680, 0.976727, 5.9, 0),
    "rotated": (True, Payload(987654321, 7), 7.454337195, 196608, 1.000679, -1.55, 1),
    "resized": (True, Payload(987654321, 7), 7.302836780, 196608, 0.750509, 0.0, 1),
    "coffee_marked_q80": (True, Payload(31337, 1), 7.811947655, 245760, 1.000309, 0.0, 1),
    "cropped_odd": (True, Payload(987654321, 7), 7.189452256, 327680, 1.00117, 0.0, 1),
    "unmarked_odd": (False, None, 4.644748092, 376832, 0.936654, 0.1, 0),
}


def test_detections_are_unchanged_by_the_speed_ups(corpora: Path) -> None:
    scheme = SpreadSpectrumImageScheme()
    for name, pixels in _pinned_cases(corpora).items():
        claimed, payload, z, n_hyp, scale, rot, decodes = _PINNED[name]
        det = scheme.detect(pixels, KEY)
        assert det.claimed == claimed, name
        assert det.payload == payload, name
        assert det.sync_score == pytest.approx(z, abs=1e-6), name
        assert det.hypotheses == n_hyp, name
        assert det.details["scale"] == pytest.approx(scale, abs=1e-6), name
        assert det.details["rotation_deg"] == pytest.approx(rot, abs=1e-6), name
        assert det.details["decodes"] == decodes, name


def test_concurrent_detections_do_not_share_scratch_arrays(corpora: Path) -> None:
    # the autocorrelation reuses pooled scratch arrays; threads must each get their own
    from concurrent.futures import ThreadPoolExecutor

    cases = _pinned_cases(corpora)
    names = ["marked_q75", "unmarked_coffee", "cropped_odd", "resized"] * 2
    scheme = SpreadSpectrumImageScheme()
    with ThreadPoolExecutor(4) as pool:
        dets = list(pool.map(lambda n: scheme.detect(cases[n], KEY), names))
    for name, det in zip(names, dets, strict=True):
        claimed, payload, z, n_hyp, *_ = _PINNED[name]
        assert (det.claimed, det.payload, det.hypotheses) == (claimed, payload, n_hyp), name
        assert det.sync_score == pytest.approx(z, abs=1e-6), name


def test_very_narrow_images_detect_as_before(corpora: Path) -> None:
    # strips of 9:1 and more keep the whole autocorrelation map (the search can read
    # lags as far left as the strip is wide); values pinned from the code before the
    # speed-ups, as above
    tall = np.asarray(Image.fromarray(_photo(corpora)).resize((512, 1024)), dtype=np.uint8)
    scheme = SpreadSpectrumImageScheme()
    marked = scheme.embed(tall, Payload(5, 1), KEY)
    cases = {
        "tall_marked": (marked[:, 200:264], 5.212655036, 442368, 6.814266, 2),
        "tall_unmarked": (tall[:, 100:166], 4.844992398, 409600, 7.478922, 0),
        "wide_marked": (
            np.ascontiguousarray(marked.transpose(1, 0, 2))[200:264],
            5.135544933,
            442368,
            3.562023,
            2,
        ),
    }
    for name, (pixels, z, n_hyp, scale, decodes) in cases.items():
        det = scheme.detect(pixels, KEY)
        assert not det.claimed, name
        assert det.sync_score == pytest.approx(z, abs=1e-6), name
        assert det.hypotheses == n_hyp, name
        assert det.details["scale"] == pytest.approx(scale, abs=1e-6), name
        assert det.details["decodes"] == decodes, name


@pytest.mark.parametrize("channels", [0, 3, 4])
def test_embed_adds_the_rounded_mark_with_saturation(channels: int) -> None:
    """``embed`` is pixel + rint(mark), saturated to 0..255, on R, G and B alike (alpha
    untouched): the plain formula, whatever arithmetic the embedder uses for speed. A
    strong mark on an image with black and white bands exercises the saturation."""
    rng = np.random.default_rng(9)
    shape = (300, 420) if channels == 0 else (300, 420, channels)
    img = rng.integers(0, 256, size=shape, dtype=np.uint8)
    img[:60] = 0
    img[60:120] = 255
    for strength in (1.0, 60.0):
        scheme = SpreadSpectrumImageScheme(strength=strength)
        r = np.rint(scheme.mark_for(img, Payload(77, 2), KEY).astype(np.float64))
        expect = img.astype(np.float64)
        if channels == 0:
            expect += r
        else:
            expect[:, :, :3] += r[:, :, None]
        got = scheme.embed(img, Payload(77, 2), KEY)
        assert np.array_equal(got, np.clip(expect, 0, 255).astype(np.uint8)), strength


def test_embed_rounds_half_to_even_and_saturates_far_out_marks() -> None:
    """The rounding of the mark, on values the tuned mark rarely makes: exact halves
    (half to even, as np.rint), and magnitudes past uint8 and int16."""
    special = np.array(
        [0.5, 1.5, 2.5, -0.5, -1.5, -2.5, 0.49999997, 300.0, -300.0, 4e4, -4e4, 0.0],
        dtype=np.float32,
    )

    class FixedMark(SpreadSpectrumImageScheme):
        def mark_for(self, img, payload, key):  # type: ignore[no-untyped-def]
            mark = np.zeros(img.shape[:2], dtype=np.float32)
            mark[:, : special.size] = special
            return mark

    img = np.full((64, 64, 3), 128, dtype=np.uint8)
    img[1] = 0
    img[2] = 255
    got = FixedMark().embed(img, Payload(1, 0), KEY)
    r = np.zeros(img.shape[:2])
    r[:, : special.size] = np.rint(special.astype(np.float64))
    expect = np.clip(img.astype(np.float64) + r[:, :, None], 0, 255).astype(np.uint8)
    assert np.array_equal(got, expect)
