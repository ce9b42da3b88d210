"""Roles, permissions, and account records (never database rows).

A role grants permissions; an API token carries scopes, and a request through a token
may use a permission only when both the user's role and the token's scopes allow it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class Role(StrEnum):
    ADMIN = "admin"
    PUBLISHER = "publisher"
    REVIEWER = "reviewer"
    REPORTER = "reporter"
    # another organisation's instance that pulls our exchange collections (docs/exchange.md)
    PEER = "peer"
    TOOLMAKER = "toolmaker"  # a generation tool's account: screens its users' prompts
    # a hosting platform's trust & safety client: checks its uploads against the bank of
    # confirmed media and the signals received from exchange peers (docs/api.md)
    PLATFORM = "platform"


class Permission(StrEnum):
    PUBLISH = "publish"  # sign and register releases, download them
    MANAGE_USERS = "users:manage"
    OWN_TOKENS = "tokens"  # create, list and revoke one's own API tokens
    ACCOUNT = "account"  # read one's own account
    REVIEW_CASES = "cases:review"  # queue, case pages, decide, confirm, appeals, SoR export
    MANAGE_WEBHOOKS = "webhooks:manage"  # webhook endpoints and the dead-letter list
    APPROVE_CANDIDATES = "candidates:approve"  # mark accounts as verified candidates
    # enrol, list, delete people's faces and voices; check files; read likeness alerts.
    # Biometric data of named people: admins only (docs/likeness.md says why).
    MANAGE_LIKENESS = "likeness:manage"
    # read the exchange collections a token was granted (per token, per collection)
    EXCHANGE_READ = "exchange:read"
    # submit opinions (confirmed, false positive, disputed, seen) on a granted collection
    EXCHANGE_OPINE = "exchange:opine"
    # submit signals to a granted collection, for the publisher's review
    EXCHANGE_CONTRIBUTE = "exchange:contribute"
    # create collections, grant peers, read every collection
    MANAGE_EXCHANGE = "exchange:manage"
    # screen prompts before generating (tool makers); manage the protected-officials list,
    # seed examples and the record of blocks (admins)
    SCREEN_PROMPTS = "screen:prompt"
    MANAGE_SCREENING = "screen:manage"
    # check an upload (the file or its hashes) against confirmed media and received signals
    CHECK_UPLOADS = "uploads:check"


ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.ADMIN: frozenset(Permission),
    Role.PUBLISHER: frozenset({Permission.PUBLISH, Permission.OWN_TOKENS, Permission.ACCOUNT}),
    Role.REVIEWER: frozenset({Permission.REVIEW_CASES, Permission.OWN_TOKENS, Permission.ACCOUNT}),
    # Reporters file notices (anyone may) and follow their own; nothing more.
    Role.REPORTER: frozenset({Permission.OWN_TOKENS, Permission.ACCOUNT}),
    # a peer reads what its tokens were granted; a token it makes itself has no grant
    Role.PEER: frozenset(
        {
            Permission.EXCHANGE_READ,
            Permission.EXCHANGE_OPINE,
            Permission.EXCHANGE_CONTRIBUTE,
            Permission.OWN_TOKENS,
            Permission.ACCOUNT,
        }
    ),
    Role.TOOLMAKER: frozenset(
        {Permission.SCREEN_PROMPTS, Permission.OWN_TOKENS, Permission.ACCOUNT}
    ),
    Role.PLATFORM: frozenset(
        {Permission.CHECK_UPLOADS, Permission.OWN_TOKENS, Permission.ACCOUNT}
    ),
}

# What a token may be scoped to; managing tokens needs a web session, so a stolen token
# cannot mint more tokens.
TOKEN_SCOPES: frozenset[Permission] = frozenset(
    {
        Permission.PUBLISH,
        Permission.MANAGE_USERS,
        Permission.ACCOUNT,
        Permission.REVIEW_CASES,
        Permission.MANAGE_WEBHOOKS,
        Permission.APPROVE_CANDIDATES,
        Permission.MANAGE_LIKENESS,
        Permission.EXCHANGE_READ,
        Permission.EXCHANGE_OPINE,
        Permission.EXCHANGE_CONTRIBUTE,
        Permission.MANAGE_EXCHANGE,
        Permission.SCREEN_PROMPTS,
        Permission.MANAGE_SCREENING,
        Permission.CHECK_UPLOADS,
    }
)


@dataclass(frozen=True)
class UserRecord:
    id: int
    username: str
    role: Role
    active: bool
    must_change_password: bool
    created_at: dt.datetime

    def public_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "username": self.username,
            "role": self.role.value,
            "active": self.active,
            "must_change_password": self.must_change_password,
            "created_at": self.created_at.isoformat(),
        }


@dataclass(frozen=True)
class TokenRecord:
    id: int
    user_id: int
    name: str
    prefix: str
    scopes: frozenset[Permission]
    created_at: dt.datetime
    expires_at: dt.datetime | None
    revoked_at: dt.datetime | None
    last_used_at: dt.datetime | None

    def public_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "prefix": self.prefix,
            "scopes": sorted(s.value for s in self.scopes),
            "created_at": self.created_at.isoformat(),
            "expires_at": self.expires_at.isoformat() if self.expires_at else None,
            "revoked": self.revoked_at is not None,
            "last_used_at": self.last_used_at.isoformat() if self.last_used_at else None,
        }


@dataclass(frozen=True)
class Principal:
    """Who is asking: a user through a session or a token, or nobody."""

    user: UserRecord | None = None
    via: str | None = None  # "session" | "token" | None
    scopes: frozenset[Permission] = field(default_factory=frozenset)
    csrf_token: str | None = None
    session_id: int | None = None
    token_id: int | None = None  # the API token a request came with (exchange grants)

    @property
    def anonymous(self) -> bool:
        return self.user is None

    def can(self, perm: Permission) -> bool:
        if self.user is None or not self.user.active:
            return False
        if perm not in ROLE_PERMISSIONS[self.user.role]:
            return False
        return self.via == "session" or perm in self.scopes


ANONYMOUS = Principal()
