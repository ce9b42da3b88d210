"""Reads for the case media index: notices' and the bank's fingerprint maps, by row id."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from mediaproof.storage.sql.tables_cases import BankRow, CaseRow, NoticeRow


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

    def inactive_bank_ids(self) -> set[int]:
        """Bank rows switched off (after a reversal on appeal)."""
        return set(self.s.scalars(select(BankRow.id).where(BankRow.active.is_(False))))

    def case_states(self, ids: Iterable[int]) -> dict[int, str]:
        wanted = sorted(set(ids))
        if not wanted:
            return {}
        rows = self.s.execute(select(CaseRow.id, CaseRow.state).where(CaseRow.id.in_(wanted)))
        return {int(i): str(st) for i, st in rows}
