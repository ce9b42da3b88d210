"""Imported hash lists: hashes from elsewhere, stored in bulk, matched apart from the
registry.

An imported hash is **not** a registered original: there is no file, no publisher, no
signature behind it, only a value someone else computed and their label for it. So it
goes to ``hash_list_entries`` under a named list, never to ``fingerprints``: the
registry's index (services.fingerprints) never serves it, and the verify report can
never call a file "a copy of a registered original" because of it. A match against a
list is a lead for reviewers ("near a hash in list X, labelled Y"), answered by
:func:`match_pdq` for admins; what a list means is the operator's to say.
"""

from __future__ import annotations

import itertools
import threading
import time
from dataclasses import dataclass
from typing import Any

import numpy as np

from mediaproof.errors import NotFoundError, UsageError
from mediaproof.fingerprint.pdq import MATCH_THRESHOLD
from mediaproof.matching.hamming_index import HammingIndex
from mediaproof.matching.hash_import import ParsedHashes
from mediaproof.services.instance import Instance
from mediaproof.storage.sql.engine import Database
from mediaproof.storage.sql.repos_hash_lists import HashListRepository

NAME_CHARS = set("abcdefghijklmnopqrstuvwxyz0123456789-_.")


@dataclass(frozen=True)
class ImportResult:
    list: str
    format: str
    imported: int
    by_type: dict[str, int]
    cpu_s: float

    def as_dict(self) -> dict[str, Any]:
        return {
            "list": self.list, "format": self.format, "imported": self.imported,
            "by_type": self.by_type, "cpu_s": round(self.cpu_s, 3),
        }  # fmt: skip


def _check_name(name: str) -> str:
    if not name or len(name) > 100 or not set(name) <= NAME_CHARS:
        raise UsageError("a list name is 1-100 of a-z, 0-9, '-', '_', '.'")
    return name


def import_hashes(db: Database, list_name: str, parsed: ParsedHashes) -> ImportResult:
    """Store a parsed file under ``list_name`` (created if new), in one transaction:
    all of it or none of it."""
    _check_name(list_name)
    t0 = time.process_time()
    with db.session() as s:
        repo = HashListRepository(s)
        list_id = repo.ensure_list(list_name)
        rows = zip(
            itertools.repeat(list_id), parsed.signal_type, parsed.value, parsed.category,
            parsed.tags,
        )  # fmt: skip
        repo.bulk_insert_entries(rows)
    by_type: dict[str, int] = {}
    for k in parsed.signal_type:
        by_type[k] = by_type.get(k, 0) + 1
    return ImportResult(list_name, parsed.format, len(parsed), by_type, time.process_time() - t0)


def lists(db: Database) -> list[dict[str, Any]]:
    with db.session() as s:
        rows = HashListRepository(s).lists_with_counts()
    return [{"name": n, "created_at": c.isoformat(), "entries": int(k)} for n, c, k in rows]


class HashListIndex:
    """The PDQ entries of every list in one exact index, topped up from new rows."""

    def __init__(self, db: Database) -> None:
        self._db = db
        self._index = HammingIndex()
        self._last = 0
        self._lock = threading.Lock()

    def refresh(self) -> None:
        with self._lock, self._db.session() as s:
            while True:
                rows = HashListRepository(s).pdq_after(self._last, 200_000)
                if not rows:
                    return
                ids = np.fromiter((r[0] for r in rows), np.int64, len(rows))
                words = np.frombuffer(b"".join(r[1] for r in rows), "<u8").reshape(-1, 4)
                self._index.add_many(ids, words.astype(np.uint64))
                self._last = int(ids[-1])

    def match_pdq(self, value: bytes, max_distance: int = MATCH_THRESHOLD) -> list[dict[str, Any]]:
        self.refresh()
        ids, dists = self._index.query_arrays(value, min(max_distance, MATCH_THRESHOLD))
        if not len(ids):
            return []
        with self._db.session() as s:
            rows = HashListRepository(s).entries_with_list(ids[:1000].tolist())
        return [
            {"list": rows[i][1], "entry": i, "distance": d, "category": rows[i][2],
             "tags": (rows[i][3] or "").split()}
            for i, d in zip(ids[:1000].tolist(), dists[:1000].tolist(), strict=True)
            if i in rows
        ]  # fmt: skip


def match_pdq(inst: Instance, hex_value: str) -> dict[str, Any]:
    """Entries of any list within the PDQ threshold of a 64-hex hash."""
    try:
        value = bytes.fromhex(hex_value)
    except ValueError:
        raise UsageError("pdq must be 64 hexadecimal digits") from None
    if len(value) != 32:
        raise UsageError("pdq must be 64 hexadecimal digits")
    return {
        "matches": inst.hash_list_index.match_pdq(value),
        "note": "a lead, not a registered original",
    }


def require_list(db: Database, name: str) -> None:
    with db.session() as s:
        if HashListRepository(s).list_id(name) is None:
            raise NotFoundError(f"no hash list {name!r}")
