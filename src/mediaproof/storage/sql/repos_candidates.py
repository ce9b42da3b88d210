"""Verified candidates (``verified_candidates``): the approval an admin gave an account,
kept beside it. Rows in, plain tuples out; ``services.candidates`` owns the rules."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from mediaproof.storage.sql.account_tables import UserRow
from mediaproof.storage.sql.tables_cases import VerifiedCandidateRow

# (username, approved by, approved at)
Approval = tuple[str, str, dt.datetime]


class CandidateRepository:
    def __init__(self, session: Session) -> None:
        self.s = session

    def _user(self, username: str) -> UserRow | None:
        return self.s.scalars(select(UserRow).where(UserRow.username == username)).first()

    def approve(self, username: str, approved_by: str, now: dt.datetime) -> Approval | None:
        """Approve the active account ``username`` (an earlier approval stands as it
        was); None when there is no such active account."""
        user = self._user(username)
        if user is None or not user.active:
            return None
        row = self.s.get(VerifiedCandidateRow, user.id)
        if row is None:
            row = VerifiedCandidateRow(user_id=user.id, approved_by=approved_by, approved_at=now)
            self.s.add(row)
        return user.username, row.approved_by, row.approved_at

    def revoke(self, username: str) -> bool:
        """Withdraw the approval of ``username``; False when it had none."""
        user = self._user(username)
        row = self.s.get(VerifiedCandidateRow, user.id) if user is not None else None
        if row is None:
            return False
        self.s.delete(row)
        return True

    def is_verified(self, user_id: int) -> bool:
        return self.s.get(VerifiedCandidateRow, user_id) is not None

    def approvals(self) -> list[Approval]:
        rows = self.s.execute(
            select(
                UserRow.username, VerifiedCandidateRow.approved_by, VerifiedCandidateRow.approved_at
            )
            .join(UserRow, UserRow.id == VerifiedCandidateRow.user_id)
            .order_by(UserRow.username)
        )
        return [(str(u), str(by), at) for u, by, at in rows]
