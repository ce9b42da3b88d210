"""The lookup the matching analyzer asks for registered originals near a fingerprint.

The registry (database, indexes) implements :class:`FingerprintLookup`;
:class:`InMemoryLookup` is a complete reference implementation for tests and small
offline use. What an implementation must do, per signal:

``"pdq"``
    ``value``: a 32-byte PDQ hash of the query (plain, not dihedral). Return stored
    image hashes within ``max_distance`` bits. Store all 8 dihedral variants of each
    original (``ImageFingerprint.dihedral``) and say which one matched in
    ``Candidate.variant``, so mirrored and rotated copies are found.
``"vpdq"``
    ``value``: one 32-byte frame hash. Return stored *frames* within
    ``max_distance``; ``Candidate.detail`` must carry ``frame`` (the stored frame's
    position) and ``frames_total`` (usable frames of that original) so the caller can
    compute the share of the original's frames that matched.
``"md5"``
    ``value``: hex MD5 of the file; exact matches only (``max_distance`` 0).
``"chromaprint"``
    ``value``: raw Chromaprint items; return originals whose best-alignment bit-error
    rate is at most ``max_distance`` (``Candidate.distance`` is that rate, in [0, 1]),
    with ``offset_s`` and ``overlap_items`` in ``detail``.

Hashes of quality below 50 are kept with the asset but must not be returned for
automatic matching. To check a new implementation, subclass
``mediaproof.testing.lookup_contract.FingerprintLookupContract`` in its tests: our
:class:`InMemoryLookup` and the database registry both pass it.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import numpy as np
from numpy.typing import NDArray

from mediaproof.fingerprint.audio import AudioFingerprint
from mediaproof.fingerprint.fingerprints import Fingerprints
from mediaproof.fingerprint.pdq import DIHEDRAL_ORDER, MATCH_THRESHOLD, QUALITY_THRESHOLD
from mediaproof.matching.audio_index import AudioIndex
from mediaproof.matching.hamming_index import HammingIndex


@dataclass(frozen=True)
class Candidate:
    asset_id: str
    signal: str
    distance: float  # bits (pdq, vpdq), bit-error rate (chromaprint), 0 (md5)
    quality: int | None = None  # quality of the stored hash
    variant: str | None = None  # pdq: dihedral variant of the original that matched
    detail: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "asset_id": self.asset_id,
            "signal": self.signal,
            "distance": self.distance,
            "quality": self.quality,
            "variant": self.variant,
            **self.detail,
        }


# The most assets one PDQ or vPDQ lookup answers (docs/matchers.md, "The answer's
# bound"): the nearest ones, each with all its rows within the radius. Above every
# consumer's need: the soft-binding lookup's maxResults (at most 100) with room for
# nearest assets it cannot resolve; the match analyzer's leads, which a person reads.
LOOKUP_LIMIT = 128


def asset_order(asset_id: str) -> tuple[int, int, str]:
    """How assets are ordered among equally near ones: plain integer ids (what the
    database hands out) numerically, then any other names as strings. The same in the
    index, every matcher and the fan-out, so they keep the same assets."""
    if asset_id.isascii() and asset_id.isdigit() and (asset_id == "0" or asset_id[0] != "0"):
        return (0, int(asset_id), "")
    return (1, 0, asset_id)


def candidate_order(c: Candidate) -> tuple[Any, ...]:
    """The order of an answer's rows: distance, asset, then the row's own fields."""
    frame, total = c.detail.get("frame"), c.detail.get("frames_total")
    return (
        c.distance, asset_order(c.asset_id), c.variant or "",
        frame if isinstance(frame, int) else -1, _opt(c.quality),
        total if isinstance(total, int) else -1,
    )  # fmt: skip


class Matches(list[Candidate]):
    """What ``find_near`` answers: the rows within the radius of the nearest ``limit``
    assets (ordered by their nearest row's distance, then :func:`asset_order`), every row
    of each of them, in :func:`candidate_order`. ``total``: the assets within the radius,
    kept or not; ``truncated``: whether some were left out (``total`` > assets kept)."""

    def __init__(self, found: Iterable[Candidate] = (), *, total: int | None = None) -> None:
        super().__init__(found)
        kept = len({c.asset_id for c in self})
        self.total = kept if total is None else max(total, kept)
        self.truncated = self.total > kept


def nearest_assets(best: dict[str, float], limit: int | None) -> set[str]:
    """The ``limit`` nearest of these assets (asset -> its nearest row's distance)."""
    if limit is None or len(best) <= limit:
        return set(best)
    ranked = sorted(best, key=lambda a: (best[a], asset_order(a)))
    return set(ranked[:limit])


def bound_matches(found: Iterable[Candidate], limit: int | None, total: int) -> Matches:
    """Answers of disjoint parts of the index (shards split by asset) as one answer: the
    nearest ``limit`` assets of their union, exactly as one index over every row would
    answer (each part kept its own nearest ``limit``, so the union holds them);
    ``total``: the parts' totals summed."""
    rows = list(found)
    best: dict[str, float] = {}
    for c in rows:
        if c.asset_id not in best or c.distance < best[c.asset_id]:
            best[c.asset_id] = c.distance
    keep = nearest_assets(best, limit)
    return Matches(
        sorted((c for c in rows if c.asset_id in keep), key=candidate_order), total=total
    )


@runtime_checkable
class FingerprintLookup(Protocol):
    def find_near(self, signal: str, value: Any, max_distance: float) -> list[Candidate]:
        """Registered originals within ``max_distance`` of ``value`` for ``signal``."""
        ...


@dataclass(frozen=True)
class FingerprintEntry:
    """One stored fingerprint of an original (what a registry keeps per asset).

    ``value``: 32-byte hash (``pdq``, ``vpdq``) or Chromaprint items as little-endian
    uint32 (``chromaprint``); ``digest``: hex MD5 (``md5``)."""

    signal: str
    value: bytes | None = None
    digest: str | None = None
    quality: int | None = None
    variant: str | None = None
    frame: int | None = None
    frames_total: int | None = None
    pipeline: str | None = None


def entries_for(fps: Fingerprints) -> list[FingerprintEntry]:
    """The entries to store for a registered original (computed with ``reference=True``).

    Hashes under quality 50 are kept (recorded) but marked by their quality; lookups
    must not return them for automatic matching."""
    out = [FingerprintEntry("md5", digest=fps.md5)]
    if fps.image is not None:
        img = fps.image
        for d, h in zip(DIHEDRAL_ORDER, img.dihedral, strict=False):
            out.append(FingerprintEntry("pdq", h.value, quality=h.quality, variant=d.value,
                                        pipeline=img.pipeline))  # fmt: skip
    if fps.video is not None:
        # usable frames, duplicates dropped (Meta's prepare_vpdq_feature), own quality kept
        seen: set[bytes] = set()
        usable = []
        for f in fps.video.frames:
            if f.pdq.usable and f.pdq.value not in seen:
                seen.add(f.pdq.value)
                usable.append(f.pdq)
        for pos, h in enumerate(usable):
            out.append(
                FingerprintEntry(
                    "vpdq", h.value, quality=h.quality, frame=pos, frames_total=len(usable)
                )
            )
    if fps.audio is not None and not fps.audio.empty:
        items = np.asarray(fps.audio.items, dtype="<u4").tobytes()
        out.append(FingerprintEntry("chromaprint", items))
    return out


_VARIANTS: tuple[str, ...] = tuple(d.value for d in DIHEDRAL_ORDER)  # code = position + 1
_COLS: dict[str, type[np.generic]] = {
    "row": np.int64,  # the caller's row id, the id stored in the Hamming index
    "asset": np.int64,  # asset code (see FingerprintStore._code)
    "quality": np.int16,  # -1: none
    "variant": np.int8,  # 0: none, else _VARIANTS[code - 1]
    "frame": np.int32,  # -1: none
    "total": np.int32,  # frames_total, -1: none
}


def variant_code(variant: str | None) -> int:
    """The int8 code of a dihedral variant name (0: none or unknown)."""
    return _VARIANTS.index(variant) + 1 if variant in _VARIANTS else 0


BYTES_PER_ROW = sum(np.dtype(t).itemsize for t in _COLS.values()) + 1  # + alive flag


class _Columns:
    """Per-row metadata of indexed hashes as parallel numpy arrays, not a Python object
    per row (at 10^7 rows a dict of small objects costs several times the index itself).

    ``base``: rows sorted by row id, possibly read-only memory maps of a snapshot;
    ``tail``: rows added since, in growable arrays (sorted lazily when an add comes out
    of order). ``alive`` flags are private copies, so a removal never writes a map."""

    def __init__(self, base: dict[str, NDArray[Any]] | None = None) -> None:
        self.base = base or {k: np.zeros(0, t) for k, t in _COLS.items()}
        self.base_alive = np.ones(len(self.base["row"]), dtype=np.bool_)
        self.tail = {k: np.zeros(256, t) for k, t in _COLS.items()}
        self.tail_alive = np.ones(256, dtype=np.bool_)
        self.n = 0  # rows used in the tail
        self.tail_sorted = True

    def append(self, cols: dict[str, NDArray[Any]]) -> None:
        k = len(cols["row"])
        if k == 0:
            return
        if self.n + k > len(self.tail["row"]):
            cap = max(self.n + k, 2 * len(self.tail["row"]))
            for name, arr in self.tail.items():
                grown = np.zeros(cap, arr.dtype)
                grown[: self.n] = arr[: self.n]
                self.tail[name] = grown
            alive = np.ones(cap, np.bool_)
            alive[: self.n] = self.tail_alive[: self.n]
            self.tail_alive = alive
        last = self.tail["row"][self.n - 1] if self.n else -(2**63)
        rows = cols["row"]
        if rows[0] <= last or (k > 1 and bool(np.any(rows[1:] <= rows[:-1]))):
            self.tail_sorted = False
        for name, arr in self.tail.items():
            arr[self.n : self.n + k] = cols[name]
        self.tail_alive[self.n : self.n + k] = True
        self.n += k

    def _sort_tail(self) -> None:
        if self.tail_sorted:
            return
        order = np.argsort(self.tail["row"][: self.n], kind="stable")
        for arr in self.tail.values():
            arr[: self.n] = arr[: self.n][order]
        self.tail_alive[: self.n] = self.tail_alive[: self.n][order]
        self.tail_sorted = True

    def find(self, rows: NDArray[np.int64]) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
        """(where, position): where 0 = not found or dead, 1 = base, 2 = tail."""
        self._sort_tail()
        where = np.zeros(len(rows), np.int64)
        pos = np.zeros(len(rows), np.int64)
        for code, cols, alive, n in (
            (1, self.base, self.base_alive, len(self.base_alive)),
            (2, self.tail, self.tail_alive, self.n),
        ):
            if n == 0:
                continue
            keys = cols["row"][:n]
            p = np.minimum(np.searchsorted(keys, rows), n - 1)
            hit = (keys[p] == rows) & alive[p] & (where == 0)
            where[hit] = code
            pos[hit] = p[hit]
        return where, pos

    def get(self, name: str, where: NDArray[np.int64], pos: NDArray[np.int64]) -> NDArray[Any]:
        out = np.zeros(len(where), _COLS[name])
        b, t = where == 1, where == 2
        out[b] = self.base[name][pos[b]]
        out[t] = self.tail[name][pos[t]]
        return out

    def kill_assets(self, codes: NDArray[np.int64]) -> NDArray[np.int64]:
        """Mark the rows of these assets dead; returns their row ids."""
        out = []
        for cols, alive, n in (
            (self.base, self.base_alive, len(self.base_alive)),
            (self.tail, self.tail_alive, self.n),
        ):
            hit = np.flatnonzero(np.isin(cols["asset"][:n], codes) & alive[:n])
            alive[hit] = False
            out.append(cols["row"][:n][hit])
        return np.concatenate(out).astype(np.int64)

    def live(self) -> dict[str, NDArray[Any]]:
        """Every live row, sorted by row id (what a snapshot keeps)."""
        self._sort_tail()
        b, t = self.base_alive, self.tail_alive[: self.n]
        merged = {k: np.concatenate([self.base[k][b], self.tail[k][: self.n][t]]) for k in _COLS}
        order = np.argsort(merged["row"], kind="stable")
        return {k: v[order] for k, v in merged.items()}

    @property
    def nbytes(self) -> int:
        return int(
            sum(a.nbytes for a in self.base.values()) + self.base_alive.nbytes
            + sum(a.nbytes for a in self.tail.values()) + self.tail_alive.nbytes
        )  # fmt: skip


def _opt(value: int | None) -> int:
    return -1 if value is None else value


class FingerprintStore:
    """In-memory serving structures for stored entries: a :class:`HammingIndex` per hash
    signal with the rows' metadata in parallel numpy arrays, a digest map, and an
    :class:`AudioIndex` over the audio prints. Thread-safe. A registry backed by a
    database loads its rows into one of these (see services.fingerprints), in bulk with
    :meth:`add_hash_arrays`, or from a snapshot (:meth:`export_hashes`).

    ``md5=False``: digests are not kept here (the database answers them from its index).
    """

    HASH_SIGNALS = ("pdq", "vpdq")

    def __init__(self, *, md5: bool = True) -> None:
        self._lock = threading.Lock()
        self._index = {s: HammingIndex() for s in self.HASH_SIGNALS}
        self._cols = {s: _Columns() for s in self.HASH_SIGNALS}
        self._keep_md5 = md5
        self._md5: dict[str, set[str]] = {}
        self._audio = AudioIndex()
        self.low_quality: dict[str, int] = {}  # asset -> quality: recorded, not indexed
        # asset ids that are not plain non-negative integers get negative codes
        self._names: list[str] = []
        self._codes: dict[str, int] = {}

    # --- asset codes ---------------------------------------------------------------

    def _code(self, asset_id: str, *, create: bool = True) -> int | None:
        if asset_id.isdigit() and asset_id.isascii() and (asset_id == "0" or asset_id[0] != "0"):
            v = int(asset_id)
            if v < 2**62:
                return v
        code = self._codes.get(asset_id)
        if code is None and create:
            self._names.append(asset_id)
            code = self._codes[asset_id] = -len(self._names)
        return code

    def _name(self, code: int) -> str:
        return str(code) if code >= 0 else self._names[-code - 1]

    # --- writing -------------------------------------------------------------------

    def add_many(self, rows: Iterable[tuple[int, str, FingerprintEntry]]) -> None:
        """Bulk load (start-up, catching up): the audio index merges once at the end."""
        for row_id, asset_id, e in rows:
            self.add(row_id, asset_id, e, merge=False)
        self._audio.merge()

    def add(self, row_id: int, asset_id: str, e: FingerprintEntry, *, merge: bool = True) -> None:
        if e.signal in self._index and e.value is not None:
            with self._lock:
                code = self._code(asset_id)
            variant = variant_code(e.variant)
            self.add_hash_arrays(
                e.signal,
                rows=np.array([row_id], np.int64),
                assets=np.array([code], np.int64),
                hashes=np.frombuffer(e.value, np.uint8).reshape(1, 32),
                quality=np.array([_opt(e.quality)], np.int16),
                variant=np.array([variant], np.int8),
                frame=np.array([_opt(e.frame)], np.int32),
                total=np.array([_opt(e.frames_total)], np.int32),
            )
            return
        with self._lock:
            if e.signal == "md5" and e.digest:
                if self._keep_md5:
                    self._md5.setdefault(e.digest, set()).add(asset_id)
            elif e.signal == "chromaprint" and e.value:
                self._audio.add(asset_id, np.frombuffer(e.value, dtype="<u4"), merge=merge)

    def add_hash_arrays(
        self,
        signal: str,
        *,
        rows: NDArray[np.int64],
        assets: NDArray[np.int64],
        hashes: NDArray[np.uint8],
        quality: NDArray[np.int16],
        variant: NDArray[np.int8],
        frame: NDArray[np.int32],
        total: NDArray[np.int32],
    ) -> None:
        """Index many hashes of one signal at once (``assets``: codes, i.e. the integer
        asset ids); quality -1 / variant 0 / frame -1 / total -1 mean "none". Hashes under
        the quality gate are recorded per asset in ``low_quality``, not indexed."""
        low = (quality >= 0) & (quality < QUALITY_THRESHOLD)
        with self._lock:
            for a, q in zip(assets[low].tolist(), quality[low].tolist(), strict=True):
                self.low_quality[self._name(a)] = q
            keep = ~low
            cols: dict[str, NDArray[Any]] = {
                "row": rows[keep], "asset": assets[keep], "quality": quality[keep],
                "variant": variant[keep], "frame": frame[keep], "total": total[keep],
            }  # fmt: skip
            self._cols[signal].append(cols)
            # the metadata is in place before the index can return the row
            self._index[signal].add_many(cols["row"], np.ascontiguousarray(hashes[keep]))

    def remove_asset(self, asset_id: str) -> None:
        self.remove_assets([asset_id])

    def remove_assets(self, asset_ids: Iterable[str]) -> None:
        """Stop serving these assets (one pass over the rows for the whole batch)."""
        ids = list(asset_ids)
        with self._lock:
            codes = np.array(
                [c for c in (self._code(a, create=False) for a in ids) if c is not None], np.int64
            )
            if len(codes):
                for signal, cols in self._cols.items():
                    dead = cols.kill_assets(codes)
                    if len(dead):
                        self._index[signal].remove_many(dead)
            gone = set(ids)
            for digest in [d for d, assets in self._md5.items() if assets & gone]:
                self._md5[digest] -= gone
                if not self._md5[digest]:
                    del self._md5[digest]
            for a in ids:
                self._audio.remove(a)
                self.low_quality.pop(a, None)

    # --- reading -------------------------------------------------------------------

    def hash_count(self) -> int:
        return sum(len(ix) for ix in self._index.values())

    def serves_audio(self, asset_id: str) -> bool:
        """Whether an audio print of this asset is served now."""
        return asset_id in self._audio

    def merge_audio(self) -> None:
        """Fold audio prints added with ``merge=False`` into the audio index's table."""
        self._audio.merge()

    def has_rows(self, signal: str, rows: NDArray[np.int64]) -> NDArray[np.bool_]:
        """Which of these row ids are served now (live) for ``signal``."""
        with self._lock:
            where, _ = self._cols[signal].find(np.asarray(rows, np.int64))
        return where > 0

    @property
    def nbytes(self) -> int:
        """Bytes of the hash indexes and their row metadata (not the md5 map or audio)."""
        return sum(ix.nbytes for ix in self._index.values()) + sum(
            c.nbytes for c in self._cols.values()
        )

    def _nearest_codes(
        self, assets: NDArray[np.int64], dists: NDArray[np.int64], limit: int | None
    ) -> tuple[int, NDArray[np.bool_]]:
        """(assets within the radius, which rows belong to the nearest ``limit`` of
        them): :func:`nearest_assets` on arrays, names looked at only for the assets tied
        at the cut. Under the lock (names)."""
        if not len(assets):
            return 0, np.ones(0, np.bool_)
        order = np.lexsort((dists, assets))
        sa = assets[order]
        first = np.ones(len(sa), np.bool_)
        first[1:] = sa[1:] != sa[:-1]
        codes, best = sa[first], dists[order][first]
        if limit is None or len(codes) <= limit:
            return len(codes), np.ones(len(assets), np.bool_)
        cut = np.partition(best, limit - 1)[limit - 1]
        sure = codes[best < cut]
        tied = sorted(codes[best == cut].tolist(), key=lambda a: asset_order(self._name(a)))
        keep = np.concatenate([sure, np.asarray(tied[: limit - len(sure)], np.int64)])
        return len(codes), np.isin(assets, keep)

    def find_near(
        self, signal: str, value: Any, max_distance: float, limit: int | None = LOOKUP_LIMIT
    ) -> Matches:
        """See :class:`Matches`; ``limit`` bounds PDQ and vPDQ answers (None: every
        asset within the radius); digests and audio prints are answered whole."""
        if signal in self._index:
            if not isinstance(value, bytes | bytearray) or len(value) != 32:
                raise ValueError(f"{signal} lookups take a 32-byte hash")
            r = int(min(max_distance, MATCH_THRESHOLD))
            ids, dists = self._index[signal].query_arrays(bytes(value), r)
            with self._lock:
                cols = self._cols[signal]
                where, pos = cols.find(ids)
                ok = where > 0  # a row removed meanwhile is skipped
                where, pos, dists = where[ok], pos[ok], dists[ok]
                codes = cols.get("asset", where, pos)
                n_assets, keep = self._nearest_codes(codes, dists, limit)
                where, pos, dists = where[keep], pos[keep], dists[keep]
                assets = codes[keep].tolist()
                names = [self._name(a) for a in assets]
                quality = cols.get("quality", where, pos).tolist()
                variant = cols.get("variant", where, pos).tolist()
                frame = cols.get("frame", where, pos).tolist()
                total = cols.get("total", where, pos).tolist()
            out = []
            for i, d in enumerate(dists.tolist()):
                detail: dict[str, Any] = {}
                if signal == "vpdq":
                    detail = {
                        "frame": None if frame[i] < 0 else frame[i],
                        "frames_total": None if total[i] < 0 else total[i],
                    }
                out.append(
                    Candidate(
                        names[i], signal, d, None if quality[i] < 0 else quality[i],
                        _VARIANTS[variant[i] - 1] if variant[i] > 0 else None, detail,
                    )
                )  # fmt: skip
            out.sort(key=candidate_order)
            return Matches(out, total=n_assets)
        if signal == "md5":
            return Matches(Candidate(a, "md5", 0) for a in sorted(self._md5.get(str(value), ())))
        if signal == "chromaprint":
            items: Sequence[int] = value.items if isinstance(value, AudioFingerprint) else value
            return Matches(
                Candidate(
                    h.key, "chromaprint", round(h.match.ber, 4),
                    detail={"offset_s": round(h.match.offset_s, 2),
                            "overlap_items": h.match.overlap},
                )
                for h in self._audio.query(items, max_distance)
            )  # fmt: skip
        raise ValueError(f"unknown signal {signal!r}")

    # --- snapshots -----------------------------------------------------------------

    def export_hashes(self) -> tuple[dict[str, NDArray[Any]], dict[str, Any]]:
        """Arrays (``<signal>.<name>``) and JSON-able state for a snapshot of the hash
        indexes: live rows only. Digests and audio prints are not part of it."""
        arrays: dict[str, NDArray[Any]] = {}
        with self._lock:
            for signal in self.HASH_SIGNALS:
                for k, v in self._cols[signal].live().items():
                    arrays[f"{signal}.col.{k}"] = v
            state = {"names": list(self._names), "low_quality": dict(self.low_quality)}
        for signal in self.HASH_SIGNALS:
            for k, v in self._index[signal].export_arrays().items():
                arrays[f"{signal}.ix.{k}"] = v
        return arrays, state

    def import_hashes(self, arrays: dict[str, NDArray[Any]], state: dict[str, Any]) -> None:
        """Serve the hashes of a snapshot (into an empty store); arrays may be memory maps."""
        with self._lock:
            if self.hash_count() or self._names:
                raise ValueError("a snapshot is loaded into an empty store only")
            for signal in self.HASH_SIGNALS:
                base = {k: arrays[f"{signal}.col.{k}"] for k in _COLS}
                for k, t in _COLS.items():
                    if base[k].dtype != np.dtype(t) or len(base[k]) != len(base["row"]):
                        raise ValueError(f"snapshot column {signal}.{k} is inconsistent")
                self._cols[signal] = _Columns(base)
                prefix = f"{signal}.ix."
                ix = {k[len(prefix) :]: v for k, v in arrays.items() if k.startswith(prefix)}
                self._index[signal] = HammingIndex.from_exported(ix)
            self._names = [str(n) for n in state.get("names", [])]
            self._codes = {n: -(i + 1) for i, n in enumerate(self._names)}
            lq = state.get("low_quality", {})
            self.low_quality.update({str(k): int(v) for k, v in lq.items()})


class InMemoryLookup(FingerprintStore):
    """Reference :class:`FingerprintLookup`: register originals, then look up."""

    def __init__(self) -> None:
        super().__init__()
        self._next = itertools.count(1)
        self._originals: dict[str, Path] = {}

    def register(self, asset_id: str, fps: Fingerprints, original: Path | None = None) -> None:
        """Index an original's fingerprints (compute them with ``reference=True``);
        ``original``: its kept pixels, for showing what a copy changed."""
        for e in entries_for(fps):
            self.add(next(self._next), asset_id, e)
        if original is not None:
            self._originals[asset_id] = original

    def original_image(self, asset_id: str) -> Path | None:
        return self._originals.get(asset_id)

    def remove(self, asset_id: str) -> None:
        self.remove_asset(asset_id)
        self._originals.pop(asset_id, None)
