"""The case workflow's fingerprint index: notices about the same media join one case,
and uploads near confirmed deceptive media match the bank automatically.

:class:`SqlCaseMediaIndex` implements ``services.cases.MediaCaseIndex`` and
``cases.bank.BankIndex`` over two in-memory :class:`~mediaproof.matching.media_bank.MediaBank`
indexes (the same exact Hamming indexes as registered originals: PDQ with its dihedral
variants, vPDQ as a bag of frames, Chromaprint by bit-error rate). They are loaded from
the database on first use and topped up with newer rows on every call (one cheap query
per table), so a decision that banks media makes the next upload match, in any process.
Bank rows switched off by a reversal leave the index on the next call.

Joining by fingerprint is limited to cases still under review (open, or awaiting a
second reviewer): a near copy is a lead, and must not silently fall under a decision a
reviewer made about other bytes. Exact digests join any case (``services.cases``).
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Mapping
from typing import Any

from mediaproof.cases.bank import BankEntry, BankMatch
from mediaproof.cases.models import CaseState
from mediaproof.matching.media_bank import MediaBank
from mediaproof.storage.sql.engine import Database
from mediaproof.storage.sql.repos_case_media import CaseMediaRepository

log = logging.getLogger(__name__)

JOINABLE = frozenset({CaseState.OPEN.value, CaseState.AWAITING_SECOND_REVIEW.value})


def _fmap(text: str) -> dict[str, str]:
    try:
        data: Any = json.loads(text or "{}")
    except ValueError:
        return {}
    if not isinstance(data, dict):
        return {}
    return {str(k): v for k, v in data.items() if isinstance(v, str)}


class SqlCaseMediaIndex:
    def __init__(self, db: Database) -> None:
        self._db = db
        self._lock = threading.Lock()
        self._notices = MediaBank()
        self._bank = MediaBank()
        self._bank_entries: dict[str, BankEntry] = {}
        self._by_sha: dict[str, set[str]] = {}
        self._last_notice = 0
        self._last_bank = 0

    def refresh(self) -> None:
        """Load rows added since the last call; drop bank rows switched off since."""
        with self._lock, self._db.session() as s:
            repo = CaseMediaRepository(s)
            while rows := repo.notices_since(self._last_notice):
                for nid, case_id, fps in rows:
                    fmap = _fmap(fps)
                    if fmap:
                        self._notices.add(f"n{nid}", case_id, fmap)
                self._last_notice = rows[-1][0]
            while bank := repo.bank_since(self._last_bank):
                for bid, case_id, sha, fps in bank:
                    key, fmap = f"b{bid}", _fmap(fps)
                    self._bank.add(key, case_id, fmap)
                    self._bank_entries[key] = BankEntry(case_id, sha, fmap)
                    self._by_sha.setdefault(sha, set()).add(key)
                self._last_bank = bank[-1][0]
            for bid in repo.inactive_bank_ids():
                key = f"b{bid}"
                if key in self._bank_entries:
                    self._bank.remove(key)
                    entry = self._bank_entries.pop(key)
                    self._by_sha.get(entry.sha256, set()).discard(key)

    def note_notice(self, notice_row_id: int, case_id: int, fmap: Mapping[str, str]) -> None:
        """Fingerprints added to a notice already loaded (a background analysis): refresh
        reads new rows only. Another process sees them after its restart; its bank still
        matches them, since bank rows copy the notice's fingerprints when banked."""
        self.refresh()
        with self._lock:
            self._notices.add(f"n{notice_row_id}", case_id, dict(fmap))

    # --- services.cases.MediaCaseIndex -----------------------------------------------

    def find_case_by_media(self, sha256: str, fingerprints: Mapping[str, str]) -> int | None:
        """The case still under review whose noticed media is nearest by fingerprint."""
        if not fingerprints:
            return None
        self.refresh()
        hits = self._notices.near(fingerprints)
        if not hits:
            return None
        with self._db.session() as s:
            states = CaseMediaRepository(s).case_states(h.case_id for h in hits)
        for h in hits:  # best first
            if states.get(h.case_id) in JOINABLE:
                return h.case_id
        return None

    # --- cases.bank.BankIndex ---------------------------------------------------------

    def bank_matches(self, sha256: str, fingerprints: Mapping[str, str]) -> list[BankMatch]:
        """Exact (same SHA-256) matches first, then near ones, nearest first."""
        self.refresh()
        exact_keys = sorted(self._by_sha.get(sha256, ()))
        out = [BankMatch(self._bank_entries[k], "exact") for k in exact_keys]
        seen = set(exact_keys)
        for h in self._bank.near(fingerprints) if fingerprints else []:
            entry = self._bank_entries.get(h.key)
            if entry is None or h.key in seen:
                continue
            out.append(BankMatch(entry, "near", h.alg, h.distance))
        return out
