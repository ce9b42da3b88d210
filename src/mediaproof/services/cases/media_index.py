"""The case workflow's fingerprint index: notices about the same media join one case,
and uploads near confirmed deceptive media match the bank automatically.

:class:`SqlCaseMediaIndex` implements ``services.cases.MediaCaseIndex`` and
``cases.bank.BankIndex`` over two in-memory :class:`~mediaproof.matching.media_bank.MediaBank`
indexes (the same exact Hamming indexes as registered originals: PDQ with its dihedral
variants, vPDQ as a bag of frames, Chromaprint by bit-error rate). They are loaded from
the database on first use and topped up on every call, so a decision that banks media
makes the next upload match, in any process: newer rows by id (one cheap query per
table), then the change sequence ``case_media_changes`` (``tables_cases``). On PostgreSQL
ids are handed out before commit, so with two API processes or workers a row can commit
after a higher id was read; reading by id alone would pass it over until a restart. The
change sequence grows in commit order, and every change re-reads its row: a late notice
or bank row, fingerprints a background analysis added to a notice, and bank rows
switched off by a reversal reach every process on its next call.

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
from mediaproof.storage.sql.repos_changes import ChangesPrunedError

CHANGES_BATCH = 10_000

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
        self._seq: int | None = None  # the last change followed; None before the first load

    def refresh(self) -> None:
        """Load rows added since the last call, then follow the changes since. Below the
        pruned horizon (changes it needs are gone) it is rebuilt from the rows."""
        with self._lock:
            try:
                self._refresh_locked()
            except ChangesPrunedError as e:
                log.warning("case media index: %s; rebuilding it from the rows", e)
                self._rebuild()

    def _rebuild(self) -> None:
        # loaded aside, then swapped in: never an emptied index's "no match"
        fresh = SqlCaseMediaIndex(self._db)
        fresh._refresh_locked()
        self._notices, self._bank = fresh._notices, fresh._bank
        self._bank_entries, self._by_sha = fresh._bank_entries, fresh._by_sha
        self._last_notice, self._last_bank = fresh._last_notice, fresh._last_bank
        self._seq = fresh._seq

    def _refresh_locked(self) -> None:
        with self._db.session() as s:
            repo = CaseMediaRepository(s)
            if self._seq is None:
                # read before the rows: a change committed while they load is followed
                # again below, which is harmless
                self._seq = repo.last_change()
            while rows := repo.notices_since(self._last_notice):
                for nid, case_id, fps in rows:
                    self._put_notice(nid, case_id, fps)
                self._last_notice = rows[-1][0]
            while bank := repo.bank_since(self._last_bank):
                for bid, case_id, sha, fps in bank:
                    self._put_bank(bid, case_id, sha, fps)
                self._last_bank = bank[-1][0]
            self._follow_changes(repo)

    def _follow_changes(self, repo: CaseMediaRepository) -> None:
        """Re-read the row of every change since the last followed, as it is now. Rows
        past the id readers' place are left to them (the next call reads them)."""
        while changes := repo.changes_after(self._seq or 0, CHANGES_BATCH):
            notices = {i for _, k, i in changes if k == "notice" and i <= self._last_notice}
            banked = {i for _, k, i in changes if k == "bank" and i <= self._last_bank}
            for nid, case_id, fps in repo.notices_by_ids(notices):
                self._put_notice(nid, case_id, fps)
            for bid, case_id, sha, fps, active in repo.bank_by_ids(banked):
                if active:
                    self._put_bank(bid, case_id, sha, fps)
                else:
                    self._drop_bank(bid)
            self._seq = changes[-1][0]
            if len(changes) < CHANGES_BATCH:
                return

    def _put_notice(self, nid: int, case_id: int, fps: str) -> None:
        key, fmap = f"n{nid}", _fmap(fps)
        if fmap:
            self._notices.add(key, case_id, fmap)  # replaces what the key had
        elif key in self._notices:
            self._notices.remove(key)

    def _put_bank(self, bid: int, case_id: int, sha: str, fps: str) -> None:
        key, fmap = f"b{bid}", _fmap(fps)
        self._drop_bank(bid)
        self._bank.add(key, case_id, fmap)
        self._bank_entries[key] = BankEntry(case_id, sha, fmap)
        self._by_sha.setdefault(sha, set()).add(key)

    def _drop_bank(self, bid: int) -> None:
        key = f"b{bid}"
        entry = self._bank_entries.pop(key, None)
        if entry is not None:
            self._bank.remove(key)
            self._by_sha.get(entry.sha256, set()).discard(key)

    def note_notice(self, notice_row_id: int, case_id: int, fmap: Mapping[str, str]) -> None:
        """Fingerprints added to a notice after it was filed (a background analysis):
        the change they made is followed by this call, and by every other process on its
        next one."""
        self.refresh()

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
        entries = self._bank_entries  # one map, even if a rebuild swaps them meanwhile
        exact_keys = sorted(k for k in self._by_sha.get(sha256, ()) if k in entries)
        out = [BankMatch(entries[k], "exact") for k in exact_keys]
        seen = set(exact_keys)
        for h in self._bank.near(fingerprints) if fingerprints else []:
            entry = entries.get(h.key)
            if entry is None or h.key in seen:
                continue
            out.append(BankMatch(entry, "near", h.alg, h.distance))
        return out
