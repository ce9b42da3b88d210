"""PDQ of a marked image from the pixels just written (pdq.fingerprint_written), which
registration stores instead of decoding the signed file again: exact for PNG and TIFF,
within a few bits for JPEG, at the same sizes; and what sign + register stores."""

from __future__ import annotations

import hashlib
import io
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from mediaproof.fingerprint.fingerprints import fingerprint_file
from mediaproof.fingerprint.pdq import DIHEDRAL_ORDER, fingerprint_image, fingerprint_written
from mediaproof.media.samples import sample_photo
from mediaproof.media.sniff import MediaKind
from mediaproof.services.instance import Instance
from mediaproof.storage.sql.repos_fingerprints import FingerprintRepository


def photo(tmp: Path, w: int, h: int, seed: int = 5) -> Image.Image:
    sample_photo(tmp / "src.jpg", w, h, seed=seed)
    with Image.open(tmp / "src.jpg") as im:
        return im.convert("RGB")


def written(im: Image.Image, fmt: str, **kw: object) -> bytes:
    buf = io.BytesIO()
    im.save(buf, fmt, **kw)
    return buf.getvalue()


@pytest.mark.parametrize("fmt", ["PNG", "TIFF"])
def test_lossless_formats_give_the_files_hash_bit_for_bit(tmp_path: Path, fmt: str) -> None:
    rgb = photo(tmp_path, 2300, 1100)  # over 2048 px: the pipeline's box reduction
    rgba = Image.fromarray(np.dstack([np.asarray(rgb), np.full((1100, 2300), 180, np.uint8)]))
    for im in (rgb, rgba, rgb.resize((700, 500))):
        got = fingerprint_written(im, fmt)
        assert got == fingerprint_image(written(im, fmt)), (fmt, im.mode, im.size)


@pytest.mark.parametrize(
    "size",
    [(4000, 3000), (4003, 2999), (1201, 599), (2204, 970), (640, 480), (500, 377)],
)
def test_jpeg_within_four_bits_of_the_decoded_file_at_the_same_size(
    tmp_path: Path, size: tuple[int, int]
) -> None:
    # 4:4:4 at quality 95, as save_marked writes it; sizes that are not multiples of 8
    # make Pillow's draft decode at a finer scale than asked (pdq._decoded_scale)
    im = photo(tmp_path, *size)
    got = fingerprint_written(im, "JPEG")
    ref = fingerprint_image(written(im, "JPEG", quality=95, subsampling=0))
    assert got is not None
    assert (got.width, got.height) == (ref.width, ref.height)
    assert (got.hashed_width, got.hashed_height) == (ref.hashed_width, ref.hashed_height)
    assert ref.pdq.usable
    for a, b in zip(got.dihedral, ref.dihedral, strict=True):
        assert a.distance(b) <= 4, size  # corpora: 0 bits in 74 of 94, at most 4


@pytest.mark.parametrize("subsampling", [0, 1, 2])
@pytest.mark.parametrize("size", [(4000, 3000), (4003, 2999), (1201, 599), (640, 480)])
def test_a_ycbcr_image_written_as_jpeg_is_within_four_bits_too(
    tmp_path: Path, size: tuple[int, int], subsampling: int
) -> None:
    # a colour JPEG marked on its own planes is written from a YCbCr image, at its
    # source's chroma subsampling (4:4:4, 4:2:2, 4:2:0)
    im = photo(tmp_path, *size).convert("YCbCr")
    got = fingerprint_written(im, "JPEG")
    ref = fingerprint_image(written(im, "JPEG", quality=95, subsampling=subsampling))
    assert got is not None
    assert (got.width, got.height) == (ref.width, ref.height)
    assert (got.hashed_width, got.hashed_height) == (ref.hashed_width, ref.hashed_height)
    for a, b in zip(got.dihedral, ref.dihedral, strict=True):
        assert a.distance(b) <= 4, size


def test_lossy_webp_is_left_to_the_file(tmp_path: Path) -> None:
    assert fingerprint_written(photo(tmp_path, 700, 500), "WEBP") is None


@pytest.mark.parametrize("ext", ["jpg", "png"])
def test_sign_and_register_stores_the_signed_files_hashes(
    instance: Instance, tmp_path: Path, ext: str
) -> None:
    from mediaproof.services.publishing import SignRequest, sign_and_register
    from mediaproof.watermark import ensure_watermark_key

    ensure_watermark_key(instance.home)
    src = tmp_path / f"in.{ext}"
    photo(tmp_path, 1700, 1100, seed=9).save(src)
    signed = tmp_path / f"signed.{ext}"
    pub = sign_and_register(instance, SignRequest(src=src, dest=signed, title="Poster"))
    assert pub.asset.watermark_id is not None  # marked: the hashes came from its pixels
    with instance.db.session() as s:
        stored = FingerprintRepository(s).for_asset(pub.asset.id)
    limits = instance.settings.limits
    ref = fingerprint_file(signed, kind=MediaKind.IMAGE, reference=True, limits=limits)
    assert ref.image is not None
    assert [e.digest for e in stored if e.signal == "md5"] == [ref.md5]
    pdq = {e.variant: e.value for e in stored if e.signal == "pdq"}
    assert set(pdq) == {d.value for d in DIHEDRAL_ORDER}
    for d, h in zip(DIHEDRAL_ORDER, ref.image.dihedral, strict=True):
        value = pdq[d.value]
        assert value is not None
        if ext == "png":
            assert value == h.value, d
        else:
            assert h.distance(value) <= 4, d
    # the signed copy kept in the blob store is the file written
    assert instance.blobs.path(pub.asset.sha256).read_bytes() == signed.read_bytes()


def test_sign_and_register_reads_the_signed_file_once(
    instance: Instance, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Its SHA-256, its MD5 and the blob store's copy come from one read of the signed
    file: neither an MD5 pass nor a copy of the file (which hashes it again) runs."""
    from mediaproof.services import fingerprints
    from mediaproof.services.publishing import SignRequest, sign_and_register
    from mediaproof.storage.blobs import ContentStore
    from mediaproof.watermark import ensure_watermark_key

    def second_pass(*_a: object, **_k: object) -> str:
        raise AssertionError("the signed file was read again")

    ensure_watermark_key(instance.home)
    src = tmp_path / "in.jpg"
    photo(tmp_path, 1200, 800, seed=4).save(src)
    monkeypatch.setattr(fingerprints, "_md5", second_pass)
    monkeypatch.setattr(ContentStore, "put_file", second_pass)
    signed = tmp_path / "signed.jpg"
    pub = sign_and_register(instance, SignRequest(src=src, dest=signed, title="Once"))
    data = signed.read_bytes()
    assert pub.media.md5 == hashlib.md5(data).hexdigest()
    with instance.db.session() as s:
        stored = FingerprintRepository(s).for_asset(pub.asset.id)
    assert [e.digest for e in stored if e.signal == "md5"] == [pub.media.md5]
    assert instance.blobs.path(pub.asset.sha256).read_bytes() == data
