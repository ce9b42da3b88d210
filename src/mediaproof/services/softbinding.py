"""C2PA Soft Binding Resolution over the registry.

A soft binding is a value computed from content (a watermark payload, a fingerprint) that
leads back to a manifest when the credentials were stripped. Fingerprint and watermark
schemes plug in as :class:`SoftBindingResolver` implementations; this module ships the
exact-digest one, the PDQ fingerprint one and the one for our own invisible watermark,
combined through :class:`ResolverChain` (:func:`default_resolver`).

Algorithm names: none of ours is in the C2PA soft-binding algorithm list
(c2pa-org/softbinding-algorithm-list), so they are reverse-DNS names under
``io.mediaproof`` (docs/api.md says what each value is).
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from mediaproof.errors import MediaproofError, NotFoundError, UsageError
from mediaproof.fingerprint.pdq import HASH_BYTES, MATCH_THRESHOLD, QUALITY_THRESHOLD
from mediaproof.media.ingest import sha256_file
from mediaproof.media.sniff import MediaKind, sniff
from mediaproof.registry.models import AssetRecord
from mediaproof.services.instance import Instance
from mediaproof.services.watermarking import AUDIO_SCHEME_ALG, SCHEME_ALG
from mediaproof.storage.sql.repos import AssetRepository

SHA256_ALG = "io.mediaproof.sha256"
PDQ_ALG = "io.mediaproof.pdq"
WATERMARK_ALGS = {SCHEME_ALG: "image/", AUDIO_SCHEME_ALG: "audio/"}  # alg -> media it marks
MAX_RESULTS = 100


@dataclass(frozen=True)
class SoftBindingMatch:
    manifest_id: str
    similarity: int  # 0..100, as the API reports it
    asset_id: int

    def as_dict(self) -> dict[str, object]:
        return {"manifestId": self.manifest_id, "similarityScore": self.similarity}


@dataclass(frozen=True)
class SupportedAlgorithms:
    watermarks: tuple[str, ...]
    fingerprints: tuple[str, ...]


class SoftBindingResolver(Protocol):
    """What a watermark or fingerprint scheme implements to answer the API.

    ``by_binding`` gets the decoded binding value; ``by_content`` gets the uploaded asset
    on disk (already size-checked). Both return [] for an algorithm they do not know;
    neither may fetch anything from the network.
    """

    def supported(self) -> SupportedAlgorithms: ...

    def by_binding(self, alg: str, value: bytes, max_results: int) -> list[SoftBindingMatch]: ...

    def by_content(
        self, alg: str | None, path: Path, max_results: int
    ) -> list[SoftBindingMatch]: ...


class Sha256Resolver:
    """Exact match on the SHA-256 of the registered file (value: the 32 raw bytes)."""

    def __init__(self, inst: Instance) -> None:
        self.inst = inst

    def supported(self) -> SupportedAlgorithms:
        return SupportedAlgorithms(watermarks=(), fingerprints=(SHA256_ALG,))

    def by_binding(self, alg: str, value: bytes, max_results: int) -> list[SoftBindingMatch]:
        if alg != SHA256_ALG or len(value) != 32:
            return []
        return self._lookup(value.hex())[:max_results]

    def by_content(self, alg: str | None, path: Path, max_results: int) -> list[SoftBindingMatch]:
        if alg not in (None, SHA256_ALG):
            return []
        return self._lookup(sha256_file(path))[:max_results]

    def _lookup(self, hexdigest: str) -> list[SoftBindingMatch]:
        asset = self.inst.asset_by_sha256(hexdigest)
        if asset is None or not _resolvable(asset):
            return []
        assert asset.manifest_label is not None
        return [SoftBindingMatch(asset.manifest_label, 100, asset.id)]


def _resolvable(asset: AssetRecord | None) -> bool:
    # withdrawn assets and assets registered without a manifest resolve to nothing
    return asset is not None and bool(asset.manifest_label) and asset.status == "active"


def _kind(path: Path) -> MediaKind:
    with path.open("rb") as f:
        return sniff(f.read(4096)).kind


def pdq_similarity(distance: float) -> int:
    """0-100: the share of the 256 PDQ bits that agree (distance 0 -> 100, 31 -> 88)."""
    return max(0, min(100, round(100 * (256 - distance) / 256)))


class PdqResolver:
    """Near-duplicate images by PDQ (value: the 32-byte hash, Meta's bit order).

    Matches only within PDQ's usual threshold (31 bits) and only hashes of quality >= 50,
    on both sides: a flat or featureless image matches too much to be a lead. All eight
    stored dihedral variants take part, so mirrored and rotated copies resolve too.
    """

    def __init__(self, inst: Instance) -> None:
        self.inst = inst

    def supported(self) -> SupportedAlgorithms:
        return SupportedAlgorithms(watermarks=(), fingerprints=(PDQ_ALG,))

    def by_binding(self, alg: str, value: bytes, max_results: int) -> list[SoftBindingMatch]:
        if alg != PDQ_ALG:
            return []
        if len(value) != HASH_BYTES:
            raise UsageError(f"{PDQ_ALG} values are the {HASH_BYTES}-byte PDQ hash, base64")
        return self._near([value], max_results)

    def by_content(self, alg: str | None, path: Path, max_results: int) -> list[SoftBindingMatch]:
        from mediaproof.fingerprint.pdq import fingerprint_image

        if alg not in (None, PDQ_ALG) or _kind(path) is not MediaKind.IMAGE:
            return []
        try:
            fp = fingerprint_image(path, self.inst.settings.limits, dihedral=False)
        except MediaproofError:
            if alg is None:  # other algorithms may still answer for this file
                return []
            raise
        queries = [h for h in (fp.pdq, fp.unletterboxed) if h and h.quality >= QUALITY_THRESHOLD]
        return self._near([h.value for h in queries], max_results)

    def _near(self, hashes: list[bytes], max_results: int) -> list[SoftBindingMatch]:
        best: dict[str, float] = {}
        for h in hashes:
            for c in self.inst.fingerprint_lookup.find_near("pdq", h, MATCH_THRESHOLD):
                # the store indexes only quality >= 50; checked again in case that changes
                if c.quality is not None and c.quality < QUALITY_THRESHOLD:
                    continue
                best[c.asset_id] = min(best.get(c.asset_id, 256.0), c.distance)
        out = []
        for asset_id, d in sorted(best.items(), key=lambda kv: kv[1]):
            asset = self.inst.asset(int(asset_id)) if asset_id.isdigit() else None
            if asset is not None and _resolvable(asset):
                assert asset.manifest_label is not None
                out.append(SoftBindingMatch(asset.manifest_label, pdq_similarity(d), asset.id))
            if len(out) >= max_results:
                break
        return out


class WatermarkResolver:
    """Our invisible watermark, under the scheme names the manifests record in their
    ``c2pa.soft-binding`` assertion. Value: the watermark ID as recorded there (8 bytes,
    big-endian; shorter big-endian values are accepted). byContent decodes the mark with
    this instance's key; it counts only when the decoder claims it (CRC passed, false-claim
    bound at most 1e-6), so a match has similarity 100.
    """

    def __init__(self, inst: Instance) -> None:
        self.inst = inst

    def supported(self) -> SupportedAlgorithms:
        return SupportedAlgorithms(watermarks=tuple(WATERMARK_ALGS), fingerprints=())

    def by_binding(self, alg: str, value: bytes, max_results: int) -> list[SoftBindingMatch]:
        if alg not in WATERMARK_ALGS:
            return []
        if not 1 <= len(value) <= 8:
            raise UsageError(f"{alg} values are the watermark ID, 8 bytes big-endian, base64")
        return self._lookup(alg, int.from_bytes(value, "big"))[:max_results]

    def by_content(self, alg: str | None, path: Path, max_results: int) -> list[SoftBindingMatch]:
        from mediaproof.watermark import AUDIO_SCHEME, IMAGE_SCHEME
        from mediaproof.watermark.keys import watermark_key_path
        from mediaproof.watermark.mediaio import load_audio, load_luma

        kind = _kind(path)
        scheme = {MediaKind.IMAGE: SCHEME_ALG, MediaKind.AUDIO: AUDIO_SCHEME_ALG}.get(kind)
        if scheme is None or alg not in (None, scheme):
            return []
        key_path = watermark_key_path(self.inst.home)
        if not key_path.exists():
            return []  # nothing was ever marked here
        key = key_path.read_bytes()
        try:
            if kind is MediaKind.IMAGE:
                det = IMAGE_SCHEME.detect_luma(load_luma(path), key)
            else:
                samples, rate = load_audio(path, max_seconds=60.0)
                det = AUDIO_SCHEME.detect(samples, key, sample_rate=rate)
        except MediaproofError:
            if alg is None:
                return []
            raise
        if not det.claimed or det.payload is None:
            return []
        return self._lookup(scheme, det.payload.asset_id)[:max_results]

    def _lookup(self, alg: str, watermark_id: int) -> list[SoftBindingMatch]:
        if watermark_id <= 0:
            return []
        asset = self.inst.asset_by_watermark_id(watermark_id)
        if (
            asset is None
            or not _resolvable(asset)
            or not asset.mime.startswith(WATERMARK_ALGS[alg])
        ):
            return []
        assert asset.manifest_label is not None
        return [SoftBindingMatch(asset.manifest_label, 100, asset.id)]


class ResolverChain:
    """Several resolvers answering as one: results merged, best score first."""

    def __init__(self, *resolvers: SoftBindingResolver) -> None:
        self.resolvers = resolvers

    def supported(self) -> SupportedAlgorithms:
        wm: list[str] = []
        fp: list[str] = []
        for r in self.resolvers:
            s = r.supported()
            wm += [a for a in s.watermarks if a not in wm]
            fp += [a for a in s.fingerprints if a not in fp]
        return SupportedAlgorithms(tuple(wm), tuple(fp))

    def by_binding(self, alg: str, value: bytes, max_results: int) -> list[SoftBindingMatch]:
        return _merge([r.by_binding(alg, value, max_results) for r in self.resolvers], max_results)

    def by_content(self, alg: str | None, path: Path, max_results: int) -> list[SoftBindingMatch]:
        return _merge([r.by_content(alg, path, max_results) for r in self.resolvers], max_results)


def default_resolver(inst: Instance) -> ResolverChain:
    """What the service answers with unless told otherwise: digest, PDQ, watermark."""
    return ResolverChain(Sha256Resolver(inst), PdqResolver(inst), WatermarkResolver(inst))


def _merge(lists: list[list[SoftBindingMatch]], max_results: int) -> list[SoftBindingMatch]:
    best: dict[str, SoftBindingMatch] = {}
    for m in (m for lst in lists for m in lst):
        if m.manifest_id not in best or m.similarity > best[m.manifest_id].similarity:
            best[m.manifest_id] = m
    return sorted(best.values(), key=lambda m: -m.similarity)[:max_results]


def decode_binding_value(value: str) -> bytes:
    """The binding value as the API sends it: standard or URL-safe base64."""
    v = value.strip()
    if not v or len(v) > 4096:
        raise UsageError("value must be 1-4096 characters of base64")
    try:
        padded = v + "=" * (-len(v) % 4)
        if "-" in v or "_" in v:
            return base64.urlsafe_b64decode(padded)
        return base64.b64decode(padded, validate=True)
    except (binascii.Error, ValueError) as e:
        raise UsageError("value is not valid base64") from e


def check_max_results(n: int | None) -> int:
    if n is None:
        return 10
    if not 1 <= n <= MAX_RESULTS:
        raise UsageError(f"maxResults must be between 1 and {MAX_RESULTS}")
    return n


def manifest_by_id(inst: Instance, manifest_id: str) -> bytes:
    """The stored manifest store (JUMBF) of the asset whose active manifest has this id."""
    if not manifest_id or len(manifest_id) > 300:
        raise NotFoundError("no such manifest")
    with inst.db.session() as s:
        data = AssetRepository(s).manifest_store_by_label(manifest_id)
    if data is None:
        raise NotFoundError("no such manifest", hint="manifest ids come from /matches/*")
    return data
