"""Verified candidates: accounts an admin approved, whose notices are triaged with priority.

The approval is a fact about an account, kept beside it (``verified_candidates``); the
case workflow only learns "this notice comes from a verified candidate" when it is filed.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select

from mediaproof.accounts.models import Principal
from mediaproof.errors import NotFoundError, UsageError
from mediaproof.services.instance import Instance
from mediaproof.storage.sql.account_tables import UserRow
from mediaproof.storage.sql.tables_cases import VerifiedCandidateRow


@dataclass(frozen=True)
class Candidate:
    username: str
    approved_by: str
    approved_at: dt.datetime


def _aware(t: dt.datetime) -> dt.datetime:
    return t if t.tzinfo else t.replace(tzinfo=dt.UTC)


def approve(inst: Instance, admin: Principal, username: str) -> Candidate:
    if admin.user is None:
        raise UsageError("an approval needs a signed-in admin")
    now = dt.datetime.now(dt.UTC)
    with inst.db.session() as s:
        user = s.scalars(select(UserRow).where(UserRow.username == username.strip())).first()
        if user is None or not user.active:
            raise NotFoundError(f"no active account {username!r}")
        row = s.get(VerifiedCandidateRow, user.id)
        if row is None:
            row = VerifiedCandidateRow(
                user_id=user.id, approved_by=admin.user.username, approved_at=now
            )
            s.add(row)
        return Candidate(user.username, row.approved_by, _aware(row.approved_at))


def revoke(inst: Instance, username: str) -> None:
    with inst.db.session() as s:
        user = s.scalars(select(UserRow).where(UserRow.username == username.strip())).first()
        row = s.get(VerifiedCandidateRow, user.id) if user is not None else None
        if row is None:
            raise NotFoundError(f"{username!r} is not a verified candidate")
        s.delete(row)


def is_verified(inst: Instance, user_id: int) -> bool:
    with inst.db.session() as s:
        return s.get(VerifiedCandidateRow, user_id) is not None


def list_candidates(inst: Instance) -> list[Candidate]:
    with inst.db.session() as s:
        rows = s.execute(
            select(
                UserRow.username, VerifiedCandidateRow.approved_by, VerifiedCandidateRow.approved_at
            )
            .join(UserRow, UserRow.id == VerifiedCandidateRow.user_id)
            .order_by(UserRow.username)
        )
        return [Candidate(u, by, _aware(at)) for u, by, at in rows]
