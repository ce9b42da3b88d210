"""C2PA Soft Binding Resolution over the registry.

A soft binding is a value computed from content (a watermark payload, a fingerprint) that
leads back to a manifest when the credentials were stripped. Fingerprint and watermark
schemes plug in as :class:`SoftBindingResolver` implementations; this module ships the
exact-digest one, which any scheme can be combined with through :class:`ResolverChain`.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from mediaproof.errors import NotFoundError, UsageError
from mediaproof.media.ingest import sha256_file
from mediaproof.services.instance import Instance
from mediaproof.storage.sql.repos import AssetRepository

SHA256_ALG = "io.mediaproof.sha256"
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
        if asset is None or not asset.manifest_label or asset.status != "active":
            return []
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
