"""The "match" analyzer: which registered originals is this file a copy of?

It computes the query's fingerprints and asks a :class:`FingerprintLookup` for originals
within threshold. It reports leads: a near match says "this looks like registered
asset X", never "this is authentic" — PDQ has known blind spots and deliberate
collisions can be crafted (docs/fingerprints.md). The evidence ``data``:

``signals``
    what was computed: ``pdq`` (hash, quality, usable), ``md5``, ``vpdq`` (frames,
    usable frames), ``chromaprint`` (items, duration).
``candidates``
    one entry per (asset, signal) lead, best first: ``asset_id``, ``signal``,
    ``distance`` and ``threshold`` (bits for pdq, bit-error rate for chromaprint),
    ``quality`` of the stored hash, ``variant`` (pdq: ``original``, ``flipy``, ...),
    ``preprocess`` (pdq: ``unletterbox`` when the match needed black bars removed);
    vpdq adds ``query_match_percent`` / ``compared_match_percent``.
``matched_assets``
    the distinct asset ids of the candidates.
``partial``
    vpdq assets with some but too few matching frames (for reviewers only).
``differences``
    images only, when the lookup also keeps the original's pixels
    (:class:`OriginalImages`): the copy aligned onto the best match's original, with
    ``transform``, ``scale``, ``boxes`` (original's pixel coordinates) and
    ``changed_fraction`` (share of the compared area), ``overlap_fraction`` (share of
    the original the copy shows), ``size`` (the original's); the PNG heatmap is left in
    ``ctx.cache["match_heatmap_png"]``.
``changed``
    set when the difference map shows edits rather than re-encoding noise
    (``align.significant_changes``): ``changed_fraction``, ``percent``, ``where``
    (plain words: "top left", "centre", ...), ``regions``. The assessment then reads
    "a changed copy", never "a copy".
``stripped_copy``
    when the file carries no credentials and a candidate is a signed original: the
    original's ``title``, ``signer``, ``signed_on``, the plain-words ``sentence`` and
    ``validity``, and ``stored_manifest`` (the stored manifest validated; a content-hash
    mismatch against the copy is listed as ``expected_mismatch``, never as tampering).
    See ``matching/stripped.py``.
``low_quality``
    true when the query's PDQ quality is under 50: leads are listed under
    ``low_quality_leads`` and not used for automatic matching.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from mediaproof.analysis.evidence import AnalysisContext, Evidence, EvidenceStatus
from mediaproof.config import Limits
from mediaproof.errors import MediaproofError
from mediaproof.fingerprint.audio import BER_THRESHOLD
from mediaproof.fingerprint.fingerprints import Fingerprints, fingerprint_file
from mediaproof.fingerprint.pdq import MATCH_THRESHOLD, QUALITY_THRESHOLD
from mediaproof.fingerprint.video import MATCH_PERCENT, usable_hashes
from mediaproof.matching.align import align_copy, describe_changes, significant_changes
from mediaproof.matching.lookup import LOOKUP_LIMIT, Candidate, FingerprintLookup, Matches
from mediaproof.matching.stripped import ManifestReader, SignedOriginals, describe_stripped_copy
from mediaproof.media.sniff import MediaKind
from mediaproof.registry.models import AssetRecord

LIMITS = (
    "A fingerprint match means the file looks like a registered original; it does not "
    "prove the file is authentic or unaltered. PDQ misses crops over 5 %, rotations "
    "other than multiples of 90 degrees and added borders, and deliberate collisions "
    "can be crafted. No match means unknown, not fake."
)
PARTIAL_PERCENT = 20.0


class MatchAnalyzer:
    """Implements :class:`~mediaproof.analysis.evidence.Analyzer` (name ``"match"``)."""

    name = "match"

    def __init__(
        self,
        lookup: FingerprintLookup | None = None,
        *,
        originals: SignedOriginals | None = None,
        reader: ManifestReader | None = None,
        kept_original: Callable[[AssetRecord], Path | None] | None = None,
    ) -> None:
        """``originals`` and ``reader`` (the registry and a C2PA engine) let the analyzer
        describe a stripped copy of a signed original and validate its stored manifest;
        ``kept_original`` finds the original's kept bytes to validate against."""
        self._lookup = lookup
        self._originals = originals
        self._reader = reader
        self._kept = kept_original or (lambda _a: None)

    def _resolve_lookup(self, ctx: AnalysisContext) -> FingerprintLookup | None:
        if self._lookup is not None:
            return self._lookup
        services = ctx.services
        found = getattr(services, "fingerprint_lookup", None) if services is not None else None
        return found if isinstance(found, FingerprintLookup) else None

    def analyze(self, ctx: AnalysisContext) -> Evidence:
        kind = ctx.media.kind
        if kind not in (MediaKind.IMAGE, MediaKind.VIDEO, MediaKind.AUDIO):
            return Evidence(
                self.name, EvidenceStatus.NOT_APPLICABLE, "no fingerprint for this media type"
            )
        if kind in (MediaKind.VIDEO, MediaKind.AUDIO) and ctx.media.duration_s is None:
            # ingest probes containers in a sandboxed child process; one it could not read
            # is not handed to the in-process decoder (hostile containers)
            return Evidence(
                self.name, EvidenceStatus.ERROR,
                "The container could not be probed safely, so it was not decoded.",
            )  # fmt: skip
        try:
            fps = ctx.cache.get("fingerprints")
            if not isinstance(fps, Fingerprints):
                fps = ctx.compute.run(
                    _fingerprint,
                    ctx.path,
                    kind,
                    ctx.settings.limits,
                    timeout_s=ctx.step_timeout_s,
                )
                ctx.cache["fingerprints"] = fps
        except MediaproofError as e:
            return Evidence(self.name, EvidenceStatus.ERROR, f"Could not fingerprint: {e}")
        except Exception as e:  # analyzers must not raise on bad media
            return Evidence(
                self.name, EvidenceStatus.ERROR, f"Could not fingerprint ({type(e).__name__})."
            )
        data: dict[str, Any] = {"signals": _signals(fps)}
        lookup = self._resolve_lookup(ctx)
        if lookup is None:
            return Evidence(
                self.name, EvidenceStatus.NOT_APPLICABLE,
                "Fingerprints computed, but no registry of originals is configured.",
                data, LIMITS,
            )  # fmt: skip
        truncated: dict[str, int] = {}
        try:
            found, partial, low = _match(lookup, fps, truncated)
        except Exception as e:
            return Evidence(
                self.name, EvidenceStatus.ERROR, f"Registry lookup failed: {e}", data, LIMITS
            )
        data["low_quality"] = low is not None
        if low is not None:
            data["low_quality_leads"] = [c for c in low]
        data["candidates"] = found
        data["matched_assets"] = sorted({c["asset_id"] for c in found})
        data["partial"] = partial
        if truncated:  # only then: reports of ordinary lookups are as they were
            data["lookup_truncated"] = {"limit": LOOKUP_LIMIT, "assets_within": truncated}
        if found:
            _compare_with_original(lookup, ctx, found, data)
            best = found[0]
            n = len(data["matched_assets"])
            others = f" and {n - 1} more" if n > 1 else ""
            if truncated:
                others += (
                    f" (the nearest {LOOKUP_LIMIT} per lookup of "
                    f"{max(truncated.values())} registered assets this close)"
                )
            summary = (
                f"Looks like registered asset {best['asset_id']}{others} "
                f"({best['signal']}, distance {best['distance']} of at most "
                f"{best['threshold']}). A lead to check, not proof of authenticity."
            )
            stripped = self._stripped(ctx, found)
            if stripped is not None:
                data["stripped_copy"] = stripped
            if stripped is not None and "sentence" in stripped:
                summary = (
                    f"{stripped['sentence']} {stripped['validity']} "
                    "A fingerprint match is a lead to check, not proof of authenticity."
                )
            diffs = data.get("differences") or {}
            if kind is MediaKind.IMAGE and not diffs and "differences_error" not in data:
                # a lead without a pixel comparison: say that edits were not looked for
                data["differences_unavailable"] = True
                summary += (
                    " The original's pixels are not kept here, so whether parts of this "
                    "copy were changed could not be checked."
                )
            changed = None if diffs.get("identical") else significant_changes(diffs)
            if changed is not None:
                # the difference map shows edits: warn first, never confirm
                data["changed"] = changed
                summary = (
                    f"Changed after registration: this file looks like registered asset "
                    f"{diffs.get('asset_id')}, but {describe_changes(changed)} differs from "
                    "that original (see the map of differences). The changed parts are "
                    "not the registered original's. " + summary
                )
            return Evidence(self.name, EvidenceStatus.FOUND, summary, data, LIMITS)
        if low is not None:
            summary = (
                f"Image quality {fps.image.pdq.quality if fps.image else '?'} is under "
                f"{QUALITY_THRESHOLD}: too featureless for automatic matching."
            )
        else:
            summary = "No registered original matches. That means unknown, not fake."
        return Evidence(self.name, EvidenceStatus.NOT_FOUND, summary, data, LIMITS)

    def _stripped(self, ctx: AnalysisContext, found: list[dict[str, Any]]) -> dict[str, Any] | None:
        """Only for a file without credentials (the provenance analyzer ran first and
        found none): a file that carries credentials speaks for itself."""
        prov = ctx.previous.get("provenance")
        if self._originals is None or self._reader is None or prov is None:
            return None
        if prov.status is not EvidenceStatus.NOT_FOUND:
            return None
        try:
            return describe_stripped_copy(
                self._originals, self._reader, found, ctx.path, self._kept
            )
        except Exception as e:  # the match stands even if its original cannot be checked
            return {"error": f"could not check the original's credentials ({type(e).__name__})"}


HEATMAP_CACHE_KEY = "match_heatmap_png"


def _fingerprint(path: Path, kind: MediaKind, limits: Limits) -> Fingerprints:
    # module level (not a lambda) so that a worker process can run it
    return fingerprint_file(path, kind=kind, limits=limits)


@runtime_checkable
class OriginalImages(Protocol):
    """Optional, on the same object as the lookup: the kept pixels of an original."""

    def original_image(self, asset_id: str) -> Path | None: ...


def _compare_with_original(
    lookup: FingerprintLookup,
    ctx: AnalysisContext,
    found: list[dict[str, Any]],
    data: dict[str, Any],
) -> None:
    """Where the best image match's original pixels are kept, say what differs.

    Boxes go into ``data["differences"]``; the PNG heatmap (not JSON) goes into
    ``ctx.cache[HEATMAP_CACHE_KEY]`` for the report renderer."""
    if ctx.media.kind is not MediaKind.IMAGE or not isinstance(lookup, OriginalImages):
        return
    best = next((c for c in found if c["signal"] in ("pdq", "md5")), None)
    if best is None:
        return
    try:
        original = lookup.original_image(str(best["asset_id"]))
        if original is None:
            return
        if original.name == ctx.media.sha256:  # blobs are named by digest: same bytes
            data["differences"] = {"asset_id": best["asset_id"], "identical": True, "boxes": []}
            return
        result = ctx.compute.run(align_copy, original, ctx.path, timeout_s=ctx.step_timeout_s)
    except Exception as e:  # a failed comparison must not hide the match itself
        data["differences_error"] = f"could not compare with the original: {e}"
        return
    data["differences"] = {"asset_id": best["asset_id"], **result.as_dict()}
    ctx.cache[HEATMAP_CACHE_KEY] = result.heatmap_png


def _signals(fps: Fingerprints) -> dict[str, Any]:
    out: dict[str, Any] = {"md5": fps.md5}
    if fps.image is not None:
        p = fps.image.pdq
        out["pdq"] = {"hash": p.hex, "quality": p.quality, "usable": p.usable}
    if fps.video is not None:
        out["vpdq"] = {
            "frames": len(fps.video.frames),
            "usable_frames": len(usable_hashes(fps.video.frames)),
            "seconds_per_hash": fps.video.seconds_per_hash,
        }
    if fps.audio is not None:
        out["chromaprint"] = {"items": len(fps.audio.items), "duration_s": fps.audio.duration_s}
    return out


def _cand(c: Candidate, threshold: float, **extra: Any) -> dict[str, Any]:
    d = c.as_dict()
    d["threshold"] = threshold
    d.update(extra)
    return d


def _note_truncated(answer: list[Candidate], signal: str, notes: dict[str, int]) -> None:
    """A bounded answer (``lookup.Matches``) that left assets out: keep the most assets
    one lookup of ``signal`` had within the radius, so the report says the leads are the
    nearest ones, not all."""
    if isinstance(answer, Matches) and answer.truncated:
        notes[signal] = max(notes.get(signal, 0), answer.total)


def _match(
    lookup: FingerprintLookup, fps: Fingerprints, truncated: dict[str, int] | None = None
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[dict[str, Any]] | None]:
    """(found, partial, low-quality leads); ``truncated`` collects, per signal, the
    assets within the radius of a lookup whose answer was bounded."""
    notes = {} if truncated is None else truncated
    found: list[dict[str, Any]] = []
    partial: list[dict[str, Any]] = []
    low: list[dict[str, Any]] | None = None
    for c in lookup.find_near("md5", fps.md5, 0):
        found.append(_cand(c, 0))
    if fps.image is not None:
        pdq = fps.image.pdq
        best: dict[str, tuple[Candidate, str | None]] = {}
        queries: list[tuple[bytes, str | None]] = [(pdq.value, None)]
        if fps.image.unletterboxed is not None and fps.image.unletterboxed.usable:
            queries.append((fps.image.unletterboxed.value, "unletterbox"))
        for value, prep in queries:
            answer = lookup.find_near("pdq", value, MATCH_THRESHOLD)
            _note_truncated(answer, "pdq", notes)
            for c in answer:
                if c.quality is not None and c.quality < QUALITY_THRESHOLD:
                    continue
                if c.asset_id not in best or c.distance < best[c.asset_id][0].distance:
                    best[c.asset_id] = (c, prep)
        leads = [
            _cand(c, MATCH_THRESHOLD, query_quality=pdq.quality, preprocess=prep)
            for c, prep in best.values()
        ]
        if pdq.usable:
            found.extend(leads)
        else:
            low = leads
    if fps.video is not None:
        found_v, partial = _match_video(lookup, fps, notes)
        found.extend(found_v)
    if fps.audio is not None and not fps.audio.empty:
        for c in lookup.find_near("chromaprint", fps.audio.items, BER_THRESHOLD):
            found.append(_cand(c, BER_THRESHOLD))
    found.sort(
        key=lambda d: (
            d["signal"] != "md5",
            float(d["distance"]) / max(float(d["threshold"]), 1e-9),
        )
    )
    return found, partial, low


def _match_video(
    lookup: FingerprintLookup, fps: Fingerprints, notes: dict[str, int]
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    assert fps.video is not None
    query = usable_hashes(fps.video.frames)
    if not query:
        return [], []
    q_hits: dict[str, set[int]] = defaultdict(set)
    t_hits: dict[str, set[int]] = defaultdict(set)
    totals: dict[str, int] = {}
    best_dist: dict[str, float] = {}
    for qi, h in enumerate(query):
        answer = lookup.find_near("vpdq", h, MATCH_THRESHOLD)
        _note_truncated(answer, "vpdq", notes)
        for c in answer:
            q_hits[c.asset_id].add(qi)
            frame = c.detail.get("frame")
            if frame is not None:
                t_hits[c.asset_id].add(int(frame))
            totals[c.asset_id] = int(c.detail.get("frames_total") or 0)
            best_dist[c.asset_id] = min(best_dist.get(c.asset_id, 256.0), c.distance)
    found: list[dict[str, Any]] = []
    partial: list[dict[str, Any]] = []
    for asset, qs in q_hits.items():
        q_pct = 100.0 * len(qs) / len(query)
        total = totals.get(asset) or 0
        c_pct = 100.0 * len(t_hits[asset]) / total if total else 0.0
        entry: dict[str, Any] = {
            "asset_id": asset,
            "signal": "vpdq",
            "distance": best_dist[asset],
            "threshold": MATCH_THRESHOLD,
            "quality": None,
            "variant": None,
            "query_match_percent": round(q_pct, 2),
            "compared_match_percent": round(c_pct, 2),
            "query_frames": len(query),
            "compared_frames": total,
        }
        # a sparse query against a densely hashed original: the query share decides
        if q_pct >= MATCH_PERCENT:
            found.append(entry)
        elif q_pct >= PARTIAL_PERCENT:
            partial.append(entry)
    found.sort(key=lambda e: -float(e["query_match_percent"]))
    return found, partial
