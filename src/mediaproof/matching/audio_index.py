"""An inverted index over Chromaprint items, so audio lookups do not scan every clip.

Chromaprint gives one 32-bit item per ~0.124 s. Copies of the same audio, once aligned,
agree on whole 16-bit halves of many items (the high half especially: on Meta's sample
videos a re-encoded copy agrees on the high half of 40-70 % of its items, at a
bit-error rate of 0.02-0.07). So each stored item is posted twice, under its high and
its low 16 bits, with its clip and position. A query looks up the halves of its own
items; each posting found votes for (clip, offset = stored position - query position).
A clip with at least :data:`MIN_VOTES` votes at one offset is a candidate, and every
candidate is verified exactly as the linear scan would do it: best alignment, then the
bit-error rate (``fingerprint.audio.compare_audio``). Random postings spread their votes
over millions of (clip, offset) pairs, so unrelated clips almost never reach 2 votes.

Unlike the PDQ index this is not exact: a copy so noisy that no two of its items agree
on a 16-bit half at the same offset is missed. Below :data:`LINEAR_BELOW` clips the
exact linear scan is used instead (it is fast there). bench/bench_matching.py measures
recall against the linear scan at several bit-error rates.

Postings live in one CSR table (``offsets`` by key, then clip and position arrays);
new clips go to a small tail (searched through its own sorted keys) that is merged into
the table when it grows past :data:`TAIL_POSTINGS`; a bulk load merges once. Keys that
are extremely common (silence, a tone) are skipped at query time like stop words: they
carry no information and would cost the most.
Thread-safe: writers and readers serialise on one lock (a query takes about a
millisecond).
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from mediaproof.fingerprint.audio import AudioMatch, ber_at, compare_audio

KEYS = 2 * 65536  # high halves 0..65535, low halves 65536..131071
MIN_VOTES = 2
LINEAR_BELOW = 2_000  # clips; below this the exact linear scan is cheap
TAIL_POSTINGS = 200_000
STOP_FACTOR = 64  # a key with more than 64x the mean postings is a stop word
STOP_MIN = 4096
# a candidate is first checked at its voted offsets: unrelated audio sits near 0.5 there,
# a copy near its true rate; only those under this go on to the full alignment search
PRECHECK_BER = 0.35

I32 = NDArray[np.int32]
U32 = NDArray[np.uint32]


def _keys(items: U32) -> NDArray[np.int64]:
    return np.concatenate(
        [(items >> 16).astype(np.int64), (items & 0xFFFF).astype(np.int64) + 65536]
    )


@dataclass(frozen=True)
class AudioHit:
    key: str
    match: AudioMatch


class AudioIndex:
    def __init__(self, linear_below: int = LINEAR_BELOW) -> None:
        self._lock = threading.Lock()
        self.linear_below = linear_below
        self._items: dict[int, U32] = {}
        self._key_of: dict[int, str] = {}
        self._clip_of: dict[str, int] = {}
        self._next = 0
        self._dead: set[int] = set()  # removed clips whose postings are still in the table
        self._offsets = np.zeros(KEYS + 1, dtype=np.int64)
        self._post_clip: I32 = np.zeros(0, dtype=np.int32)
        self._post_pos: I32 = np.zeros(0, dtype=np.int32)
        self._tail: list[int] = []  # clips not yet in the table
        self._tail_postings = 0
        self._tail_sorted: tuple[NDArray[np.int64], I32, I32] | None = None

    def __len__(self) -> int:
        return len(self._clip_of)

    def __contains__(self, key: object) -> bool:
        return key in self._clip_of

    @property
    def postings(self) -> int:
        return int(self._post_clip.size) + self._tail_postings

    def nbytes(self) -> int:
        items = sum(a.nbytes for a in self._items.values())
        return items + self._offsets.nbytes + self._post_clip.nbytes + self._post_pos.nbytes

    # --- writing ---------------------------------------------------------------------

    def add(self, key: str, items: Sequence[int] | U32, *, merge: bool = True) -> None:
        arr = np.asarray(items, dtype=np.uint32)
        with self._lock:
            self._remove_locked(key)
            clip = self._next
            self._next += 1
            self._items[clip] = arr
            self._key_of[clip] = key
            self._clip_of[key] = clip
            self._tail.append(clip)
            self._tail_postings += 2 * int(arr.size)
            self._tail_sorted = None
            if merge and self._tail_postings > max(TAIL_POSTINGS, self._post_clip.size // 8):
                self._merge_locked()

    def add_many(self, clips: Sequence[tuple[str, Sequence[int] | U32]]) -> None:
        """Bulk load (start-up): one merge at the end."""
        for key, items in clips:
            self.add(key, items, merge=False)
        self.merge()

    def merge(self) -> None:
        """Fold the tail into the table now (after adds with ``merge=False``)."""
        with self._lock:
            if self._tail or self._dead:
                self._merge_locked()

    def remove(self, key: str) -> None:
        with self._lock:
            self._remove_locked(key)

    def _remove_locked(self, key: str) -> None:
        clip = self._clip_of.pop(key, None)
        if clip is None:
            return
        del self._items[clip]
        del self._key_of[clip]
        if clip in self._tail:
            self._tail.remove(clip)
            self._tail_sorted = None
            # the tail's postings are computed at merge time from the live clips
            self._tail_postings = sum(2 * int(self._items[c].size) for c in self._tail)
        else:
            self._dead.add(clip)

    def _merge_locked(self) -> None:
        """Rebuild the table from its live postings plus the tail (a stable sort by key
        of the table, already in order, and the tail)."""
        key_main = np.repeat(np.arange(KEYS, dtype=np.int64), np.diff(self._offsets))
        parts_k = [key_main]
        parts_c = [self._post_clip]
        parts_p = [self._post_pos]
        for clip in self._tail:
            it = self._items[clip]
            n = int(it.size)
            parts_k.append(_keys(it))
            parts_c.append(np.full(2 * n, clip, dtype=np.int32))
            pos = np.arange(n, dtype=np.int32)
            parts_p.append(np.concatenate([pos, pos]))
        keys = np.concatenate(parts_k)
        clips = np.concatenate(parts_c)
        poss = np.concatenate(parts_p)
        if self._dead:
            live = ~np.isin(clips, np.fromiter(self._dead, dtype=np.int32))
            keys, clips, poss = keys[live], clips[live], poss[live]
        order = np.argsort(keys, kind="stable")
        self._post_clip = clips[order]
        self._post_pos = poss[order]
        counts = np.bincount(keys, minlength=KEYS)
        self._offsets = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
        self._tail, self._tail_postings, self._dead = [], 0, set()
        self._tail_sorted = None

    def _tail_table(self) -> tuple[NDArray[np.int64], I32, I32]:
        """The tail's postings sorted by key (cached until the tail changes)."""
        if self._tail_sorted is None:
            ks, cs, ps = [np.zeros(0, np.int64)], [np.zeros(0, np.int32)], [np.zeros(0, np.int32)]
            for clip in self._tail:
                it = self._items[clip]
                pos = np.arange(it.size, dtype=np.int32)
                ks.append(_keys(it))
                cs.append(np.full(2 * it.size, clip, dtype=np.int32))
                ps.append(np.concatenate([pos, pos]))
            k = np.concatenate(ks)
            order = np.argsort(k, kind="stable")
            self._tail_sorted = (k[order], np.concatenate(cs)[order], np.concatenate(ps)[order])
        return self._tail_sorted

    # --- reading ---------------------------------------------------------------------

    def query(self, items: Sequence[int] | U32, max_ber: float) -> list[AudioHit]:
        """Stored clips whose best-alignment bit-error rate is at most ``max_ber``."""
        q = np.asarray(items, dtype=np.uint32)
        if q.size == 0:
            return []
        with self._lock:
            if len(self._clip_of) < self.linear_below:
                clips: list[int] = list(self._items)
            else:
                clips = self._prechecked(q, self._candidates(q))
            refs = [(self._key_of[c], self._items[c]) for c in clips]
        out = []
        for key, ref in refs:
            m = compare_audio(q, ref)
            if m is not None and m.ber <= max_ber:
                out.append(AudioHit(key, m))
        out.sort(key=lambda h: h.match.ber)
        return out

    def _candidates(self, q: U32) -> dict[int, list[int]]:
        """Clips with at least MIN_VOTES votes at one offset, and those offsets."""
        keys = _keys(q)
        qpos = np.concatenate([np.arange(q.size), np.arange(q.size)]).astype(np.int64)
        stop = max(STOP_MIN, STOP_FACTOR * int(self._post_clip.size) // KEYS)
        codes = [
            _votes(keys, qpos, self._offsets[keys], self._offsets[keys + 1], stop,
                   self._post_clip, self._post_pos),
        ]  # fmt: skip
        if self._tail:
            tk, tc, tp = self._tail_table()
            lo = np.searchsorted(tk, keys, "left")
            hi = np.searchsorted(tk, keys, "right")
            codes.append(_votes(keys, qpos, lo, hi, stop, tc, tp))
        code = np.concatenate(codes)
        if code.size == 0:
            return {}
        uniq, votes = np.unique(code, return_counts=True)
        hot = uniq[votes >= MIN_VOTES]
        out: dict[int, list[int]] = {}
        for c in hot.tolist():
            clip = c >> 22
            if clip in self._items:  # removed clips linger in the table until a merge
                out.setdefault(clip, []).append((c & ((1 << 22) - 1)) - (1 << 21))
        return out

    def _prechecked(self, q: U32, cands: dict[int, list[int]]) -> list[int]:
        keep = []
        for clip, offsets in cands.items():
            ref = self._items[clip]
            rates = (ber_at(q, ref, off + d) for off in offsets for d in (-1, 0, 1))
            if min((r for r in rates if r is not None), default=1.0) <= PRECHECK_BER:
                keep.append(clip)
        return keep


def _votes(
    keys: NDArray[np.int64],
    qpos: NDArray[np.int64],
    starts: NDArray[np.int64],
    ends: NDArray[np.int64],
    stop: int,
    post_clip: I32,
    post_pos: I32,
) -> NDArray[np.int64]:
    """One (clip, offset) code per posting found for the query's keys."""
    lens = ends - starts
    keep = (lens > 0) & (lens <= stop)
    starts, lens, qpos = starts[keep], lens[keep], qpos[keep]
    n = int(lens.sum())
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    # indices of every posting of every kept key, without a Python loop
    first = np.repeat(starts - np.concatenate([[0], np.cumsum(lens)[:-1]]), lens)
    idx = first + np.arange(n, dtype=np.int64)
    clip = post_clip[idx].astype(np.int64)
    diff = post_pos[idx].astype(np.int64) - np.repeat(qpos, lens)
    out: NDArray[np.int64] = (clip << 22) | (diff + (1 << 21))
    return out


__all__ = ["LINEAR_BELOW", "MIN_VOTES", "AudioHit", "AudioIndex"]
