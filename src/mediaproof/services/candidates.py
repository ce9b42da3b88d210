"""Verified candidates: accounts an admin approved, whose notices are triaged with priority.

The approval is a fact about an account, kept beside it (``verified_candidates``); the
case workflow only learns "this notice comes from a verified candidate" when it is filed.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from mediaproof.accounts.models import Principal
from mediaproof.errors import NotFoundError, UsageError
from mediaproof.services.instance import Instance
from mediaproof.storage.sql.repos_candidates import CandidateRepository
from mediaproof.storage.sql.times import aware


@dataclass(frozen=True)
class Candidate:
    username: str
    approved_by: str
    approved_at: dt.datetime


def approve(inst: Instance, admin: Principal, username: str) -> Candidate:
    if admin.user is None:
        raise UsageError("an approval needs a signed-in admin")
    now = dt.datetime.now(dt.UTC)
    with inst.db.session() as s:
        approval = CandidateRepository(s).approve(username.strip(), admin.user.username, now)
        if approval is None:
            raise NotFoundError(f"no active account {username!r}")
        name, by, at = approval
        return Candidate(name, by, aware(at))


def revoke(inst: Instance, username: str) -> None:
    with inst.db.session() as s:
        if not CandidateRepository(s).revoke(username.strip()):
            raise NotFoundError(f"{username!r} is not a verified candidate")


def is_verified(inst: Instance, user_id: int) -> bool:
    with inst.db.session() as s:
        return CandidateRepository(s).is_verified(user_id)


def list_candidates(inst: Instance) -> list[Candidate]:
    with inst.db.session() as s:
        return [Candidate(u, by, aware(at)) for u, by, at in CandidateRepository(s).approvals()]
