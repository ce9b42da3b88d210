"""Repositories for users, web sessions and API tokens."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from mediaproof.accounts.models import Permission, Role, TokenRecord, UserRecord
from mediaproof.errors import ConflictError
from mediaproof.storage.sql.account_tables import ApiTokenRow, SessionRow, UserRow
from mediaproof.storage.sql.times import aware, aware_opt


def _user(row: UserRow) -> UserRecord:
    return UserRecord(
        id=row.id,
        username=row.username,
        role=Role(row.role),
        active=row.active,
        must_change_password=row.must_change_password,
        created_at=aware(row.created_at),
    )


def _token(row: ApiTokenRow) -> TokenRecord:
    return TokenRecord(
        id=row.id,
        user_id=row.user_id,
        name=row.name,
        prefix=row.prefix,
        scopes=frozenset(Permission(s) for s in row.scopes.split() if s),
        created_at=aware(row.created_at),
        expires_at=aware_opt(row.expires_at),
        revoked_at=aware_opt(row.revoked_at),
        last_used_at=aware_opt(row.last_used_at),
    )


class UserRepository:
    def __init__(self, session: Session) -> None:
        self.s = session

    def add(
        self, username: str, role: Role, password_hash: str, must_change_password: bool
    ) -> UserRecord:
        row = UserRow(
            username=username,
            role=role.value,
            password_hash=password_hash,
            must_change_password=must_change_password,
            active=True,
        )
        self.s.add(row)
        try:
            self.s.flush()
        except IntegrityError as e:
            self.s.rollback()
            raise ConflictError(f"the user name {username!r} is taken") from e
        return _user(row)

    def get(self, user_id: int) -> UserRecord | None:
        row = self.s.get(UserRow, user_id)
        return _user(row) if row else None

    def by_username(self, username: str) -> tuple[UserRecord, str] | None:
        """The user and their password hash (the hash never leaves services)."""
        row = self.s.scalars(select(UserRow).where(UserRow.username == username)).first()
        return (_user(row), row.password_hash) if row else None

    def set_password(self, user_id: int, password_hash: str, must_change: bool) -> None:
        self.s.execute(
            update(UserRow)
            .where(UserRow.id == user_id)
            .values(password_hash=password_hash, must_change_password=must_change)
        )

    def list(self) -> list[UserRecord]:
        return [_user(r) for r in self.s.scalars(select(UserRow).order_by(UserRow.id))]

    def count(self) -> int:
        return int(self.s.scalar(select(func.count()).select_from(UserRow)) or 0)


class SessionRepository:
    def __init__(self, session: Session) -> None:
        self.s = session

    def add(self, token_hash: str, user_id: int, csrf_token: str, expires_at: dt.datetime) -> int:
        row = SessionRow(
            token_hash=token_hash,
            user_id=user_id,
            csrf_token=csrf_token,
            expires_at=expires_at,
            revoked=False,
        )
        self.s.add(row)
        self.s.flush()
        return row.id

    def live(self, token_hash: str, now: dt.datetime) -> tuple[int, int, str] | None:
        """(session id, user id, CSRF token) of a live session, or None."""
        row = self.s.scalars(select(SessionRow).where(SessionRow.token_hash == token_hash)).first()
        if row is None or row.revoked or aware(row.expires_at) <= now:
            return None
        return row.id, row.user_id, row.csrf_token

    def revoke(self, session_id: int) -> None:
        self.s.execute(update(SessionRow).where(SessionRow.id == session_id).values(revoked=True))

    def revoke_all_for(self, user_id: int) -> None:
        self.s.execute(update(SessionRow).where(SessionRow.user_id == user_id).values(revoked=True))


class TokenRepository:
    def __init__(self, session: Session) -> None:
        self.s = session

    def add(
        self,
        *,
        token_hash: str,
        prefix: str,
        user_id: int,
        name: str,
        scopes: frozenset[Permission],
        expires_at: dt.datetime | None,
    ) -> TokenRecord:
        row = ApiTokenRow(
            token_hash=token_hash,
            prefix=prefix,
            user_id=user_id,
            name=name,
            scopes=" ".join(sorted(s.value for s in scopes)),
            expires_at=expires_at,
        )
        self.s.add(row)
        self.s.flush()
        return _token(row)

    def by_hash(self, token_hash: str) -> TokenRecord | None:
        row = self.s.scalars(
            select(ApiTokenRow).where(ApiTokenRow.token_hash == token_hash)
        ).first()
        return _token(row) if row else None

    def touch(self, token_id: int, when: dt.datetime) -> None:
        self.s.execute(
            update(ApiTokenRow).where(ApiTokenRow.id == token_id).values(last_used_at=when)
        )

    def for_user(self, user_id: int) -> list[TokenRecord]:
        rows = self.s.scalars(
            select(ApiTokenRow).where(ApiTokenRow.user_id == user_id).order_by(ApiTokenRow.id)
        )
        return [_token(r) for r in rows]

    def get(self, token_id: int) -> TokenRecord | None:
        row = self.s.get(ApiTokenRow, token_id)
        return _token(row) if row else None

    def revoke(self, token_id: int, when: dt.datetime) -> None:
        self.s.execute(
            update(ApiTokenRow)
            .where(ApiTokenRow.id == token_id, ApiTokenRow.revoked_at.is_(None))
            .values(revoked_at=when)
        )
