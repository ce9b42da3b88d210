"""Case media: the fingerprint maps the case media index reads (notices' and the
bank's, by row id and by the change sequence ``case_media_changes``), and the reported
files notices keep."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from mediaproof.storage.sql.repos_changes import check_not_pruned, last_seq
from mediaproof.storage.sql.tables import AssetRow
from mediaproof.storage.sql.tables_cases import BankRow, CaseMediaChangeRow, CaseRow, NoticeRow

DONE, FAILED = "done", "failed"  # NoticeRow.analysis_state (None: none recorded yet)


class CaseMediaRepository:
    def __init__(self, session: Session) -> None:
        self.s = session

    def notices_since(self, after_id: int, batch: int = 10_000) -> list[tuple[int, int, str]]:
        """(notice id, case id, fingerprints JSON) of notices with fingerprints."""
        rows = self.s.execute(
            select(NoticeRow.id, NoticeRow.case_id, NoticeRow.fingerprints)
            .where(NoticeRow.id > after_id)
            .where(NoticeRow.fingerprints != "{}")
            .order_by(NoticeRow.id)
            .limit(batch)
        ).all()
        return [(int(r[0]), int(r[1]), str(r[2])) for r in rows]

    def bank_since(self, after_id: int, batch: int = 10_000) -> list[tuple[int, int, str, str]]:
        """(row id, case id, sha256, fingerprints JSON) of active bank rows."""
        rows = self.s.execute(
            select(BankRow.id, BankRow.case_id, BankRow.sha256, BankRow.fingerprints)
            .where(BankRow.id > after_id)
            .where(BankRow.active.is_(True))
            .order_by(BankRow.id)
            .limit(batch)
        ).all()
        return [(int(r[0]), int(r[1]), str(r[2]), str(r[3])) for r in rows]

    def last_change(self) -> int:
        """The last ``seq`` of the change sequence, at least the pruned horizon (0 when
        it is empty)."""
        return last_seq(self.s, "case_media_changes")

    def changes_after(self, seq: int, limit: int = 10_000) -> list[tuple[int, str, int]]:
        """(seq, kind, row id) of the next ``limit`` changes after ``seq``, in order.
        ``ChangesPrunedError`` when ``seq`` is below the pruned horizon (read after the
        changes: repos_changes)."""
        rows = self.s.execute(
            select(CaseMediaChangeRow.seq, CaseMediaChangeRow.kind, CaseMediaChangeRow.row_id)
            .where(CaseMediaChangeRow.seq > seq)
            .order_by(CaseMediaChangeRow.seq)
            .limit(limit)
        ).all()
        check_not_pruned(self.s, "case_media_changes", seq)
        return [(int(a), str(b), int(c)) for a, b, c in rows]

    def notices_by_ids(self, ids: Iterable[int]) -> list[tuple[int, int, str]]:
        """(notice id, case id, fingerprints JSON) of those notices, as they are now."""
        out: list[tuple[int, int, str]] = []
        wanted = sorted(set(ids))
        for i in range(0, len(wanted), 1000):
            out += [
                (int(a), int(b), str(c))
                for a, b, c in self.s.execute(
                    select(NoticeRow.id, NoticeRow.case_id, NoticeRow.fingerprints).where(
                        NoticeRow.id.in_(wanted[i : i + 1000])
                    )
                )
            ]
        return out

    def bank_by_ids(self, ids: Iterable[int]) -> list[tuple[int, int, str, str, bool]]:
        """(row id, case id, sha256, fingerprints JSON, active) of those bank rows."""
        out: list[tuple[int, int, str, str, bool]] = []
        wanted = sorted(set(ids))
        for i in range(0, len(wanted), 1000):
            out += [
                (int(a), int(b), str(c), str(d), bool(e))
                for a, b, c, d, e in self.s.execute(
                    select(
                        BankRow.id,
                        BankRow.case_id,
                        BankRow.sha256,
                        BankRow.fingerprints,
                        BankRow.active,
                    ).where(BankRow.id.in_(wanted[i : i + 1000]))
                )
            ]
        return out

    def case_states(self, ids: Iterable[int]) -> dict[int, str]:
        wanted = sorted(set(ids))
        if not wanted:
            return {}
        rows = self.s.execute(select(CaseRow.id, CaseRow.state).where(CaseRow.id.in_(wanted)))
        return {int(i): str(st) for i, st in rows}


class NoticeMediaRepository:
    """The reported files notices keep (``services.notice_media``) and the notices that
    carry media (``services.likeness.CaseNoticeSource``): digests, types and retention
    dates only, never a reporter's details."""

    def __init__(self, session: Session) -> None:
        self.s = session

    def keep_until(self, notice_id: str, mime: str | None, until: dt.datetime) -> None:
        row = self.s.scalars(select(NoticeRow).where(NoticeRow.public_id == notice_id)).one()
        row.media_mime = mime
        row.media_kept_until = until

    def kept(
        self, number: str, notice_id: str
    ) -> tuple[str | None, str | None, dt.datetime | None] | None:
        """(digest, type, kept until) of notice ``notice_id`` on case ``number``; None
        when there is no such notice on that case."""
        row = self.s.execute(
            select(NoticeRow.media_sha256, NoticeRow.media_mime, NoticeRow.media_kept_until)
            .join(CaseRow, CaseRow.id == NoticeRow.case_id)
            .where(NoticeRow.public_id == notice_id, CaseRow.number == number)
        ).first()
        return None if row is None else (row[0], row[1], row[2])

    def let_go_expired(self, now: dt.datetime) -> tuple[int, list[str]]:
        """Forget the files of notices past their retention. Returns how many notices
        let go and the digests nothing keeps any longer (no notice still in retention,
        no registered original or signed release: they share the blob store by digest)."""
        expired = self.s.scalars(
            select(NoticeRow).where(
                NoticeRow.media_kept_until.is_not(None), NoticeRow.media_kept_until <= now
            )
        ).all()
        digests = {n.media_sha256 for n in expired if n.media_sha256}
        for n in expired:
            n.media_kept_until = None
        self.s.flush()
        still = set(
            self.s.scalars(
                select(NoticeRow.media_sha256).where(
                    NoticeRow.media_sha256.in_(digests), NoticeRow.media_kept_until.is_not(None)
                )
            )
        )
        originals: set[str | None] = set()
        for sha, blob in self.s.execute(
            select(AssetRow.sha256, AssetRow.original_blob).where(
                or_(AssetRow.sha256.in_(digests), AssetRow.original_blob.in_(digests))
            )
        ):
            originals |= {sha, blob}
        return len(expired), sorted(d for d in digests - still - originals if d)

    def pending_analyses(self, now: dt.datetime, limit: int) -> list[tuple[str, str]]:
        """(notice id, digest) of notices with kept media whose analysis never arrived."""
        rows = self.s.execute(
            select(NoticeRow.public_id, NoticeRow.media_sha256)
            .where(
                NoticeRow.analysis.is_(None),
                # a failed analysis is not queued again on every start (a reviewer can
                # ask for a retry: ``retry_analysis``)
                or_(NoticeRow.analysis_state.is_(None), NoticeRow.analysis_state != FAILED),
                NoticeRow.media_sha256.is_not(None),
                NoticeRow.media_kept_until > now,
            )
            .order_by(NoticeRow.id)
            .limit(limit)
        ).all()
        return [(str(nid), str(sha)) for nid, sha in rows]

    def analysis_failed(self, notice_id: str, code: str, message: str) -> bool:
        """Record that notice ``notice_id``'s background analysis failed (unless a
        report arrived meanwhile: a duplicate delivery that lost the race). True when
        recorded."""
        row = self.s.scalars(select(NoticeRow).where(NoticeRow.public_id == notice_id)).first()
        if row is None or row.analysis is not None:
            return False
        row.analysis_state = FAILED
        row.analysis_error = json.dumps({"code": code, "message": message}, sort_keys=True)
        return True

    def retry_analysis(self, notice_id: str) -> bool:
        """Forget a failed analysis's outcome so that it is queued again. True when the
        notice's analysis had failed."""
        row = self.s.scalars(select(NoticeRow).where(NoticeRow.public_id == notice_id)).first()
        if row is None or row.analysis_state != FAILED:
            return False
        row.analysis_state = None
        row.analysis_error = None
        return True

    def with_media_since(self, after_id: int, batch: int) -> list[tuple[int, str, str | None]]:
        """(row id, notice id, digest or None) of the next ``batch`` notices past
        ``after_id``, those without media included: a reader can tell an id it has
        not seen yet (not committed when it read) from one that carries no media."""
        rows = self.s.execute(
            select(NoticeRow.id, NoticeRow.public_id, NoticeRow.media_sha256)
            .where(NoticeRow.id > after_id)
            .order_by(NoticeRow.id)
            .limit(batch)
        ).all()
        return [(int(i), str(p), None if sha is None else str(sha)) for i, p, sha in rows]

    def with_media_of(self, ids: Iterable[int]) -> list[tuple[int, str, str]]:
        """(row id, notice id, digest) of those of ``ids`` that carry media."""
        wanted = sorted(set(ids))
        out: list[tuple[int, str, str]] = []
        for i in range(0, len(wanted), 1000):
            rows = self.s.execute(
                select(NoticeRow.id, NoticeRow.public_id, NoticeRow.media_sha256)
                .where(NoticeRow.id.in_(wanted[i : i + 1000]), NoticeRow.media_sha256.is_not(None))
                .order_by(NoticeRow.id)
            )
            out += [(int(a), str(b), str(c)) for a, b, c in rows]
        return out
