"""Accounts: users, passwords (argon2), web sessions and scoped API tokens.

Session and token secrets are random 256-bit values; only their SHA-256 is stored, so a
database leak does not hand out live credentials. Passwords are argon2id hashes.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import re
import secrets
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from mediaproof.accounts.models import (
    ROLE_PERMISSIONS,
    TOKEN_SCOPES,
    Permission,
    Principal,
    Role,
    TokenRecord,
    UserRecord,
)
from mediaproof.errors import (
    AuthenticationError,
    NotFoundError,
    PermissionDeniedError,
    UsageError,
)
from mediaproof.services.instance import Instance
from mediaproof.storage.sql.account_repos import (
    SessionRepository,
    TokenRepository,
    UserRepository,
)

_HASHER = PasswordHasher()
# Verified when the user does not exist, so a wrong name costs as much time as a wrong
# password and response times do not reveal which user names exist.
_DUMMY_HASH = _HASHER.hash(secrets.token_urlsafe(16))
_USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")
MIN_PASSWORD = 12
MAX_PASSWORD = 1024
TOKEN_PREFIX = "mp_"
FIRST_ADMIN = "admin"


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def check_username(username: str) -> str:
    name = username.strip().lower()
    if not _USERNAME.match(name):
        raise UsageError(
            "a user name is 2-64 characters: lower-case letters, digits, '.', '_' or '-'"
        )
    return name


def check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise UsageError(f"a password needs at least {MIN_PASSWORD} characters")
    if len(password) > MAX_PASSWORD:
        raise UsageError(f"a password has at most {MAX_PASSWORD} characters")


def generate_password() -> str:
    return secrets.token_urlsafe(15)  # 120 bits, 20 characters


def create_user(
    inst: Instance,
    username: str,
    role: Role,
    password: str | None = None,
    *,
    must_change_password: bool = False,
) -> tuple[UserRecord, str | None]:
    """Create a user. Without ``password`` a one-time password is generated and returned;
    its holder must change it at first login."""
    name = check_username(username)
    generated = None
    if password is None:
        generated = password = generate_password()
        must_change_password = True
    check_password(password)
    with inst.db.session() as s:
        user = UserRepository(s).add(name, role, _HASHER.hash(password), must_change_password)
    return user, generated


def ensure_first_admin(inst: Instance) -> str | None:
    """On an instance without users, create ``admin`` with a one-time password and return
    it (to be shown once); otherwise None."""
    with inst.db.session() as s:
        if UserRepository(s).count() > 0:
            return None
    _, password = create_user(inst, FIRST_ADMIN, Role.ADMIN)
    return password


def list_users(inst: Instance) -> list[UserRecord]:
    with inst.db.session() as s:
        return UserRepository(s).list()


def _check_login(inst: Instance, username: str, password: str) -> UserRecord:
    try:
        name = check_username(username)
    except UsageError:
        name = ""
    with inst.db.session() as s:
        found = UserRepository(s).by_username(name) if name else None
    stored = found[1] if found else _DUMMY_HASH
    ok: bool
    try:
        ok = _HASHER.verify(stored, password[:MAX_PASSWORD])
    except (VerificationError, InvalidHashError):
        ok = False
    if not ok or found is None or not found[0].active:
        raise AuthenticationError("wrong user name or password")
    return found[0]


def login(inst: Instance, username: str, password: str) -> tuple[str, UserRecord]:
    """Check the password and open a web session; returns (session secret, user)."""
    user = _check_login(inst, username, password)
    return _open_session(inst, user.id), user


def _open_session(inst: Instance, user_id: int) -> str:
    secret = secrets.token_urlsafe(32)
    expires = _now() + dt.timedelta(seconds=inst.settings.service.session_max_age_s)
    with inst.db.session() as s:
        SessionRepository(s).add(_digest(secret), user_id, secrets.token_urlsafe(32), expires)
    return secret


def session_principal(inst: Instance, secret: str) -> Principal | None:
    with inst.db.session() as s:
        live = SessionRepository(s).live(_digest(secret), _now())
        if live is None:
            return None
        session_id, user_id, csrf = live
        user = UserRepository(s).get(user_id)
    if user is None or not user.active:
        return None
    return Principal(
        user=user,
        via="session",
        scopes=ROLE_PERMISSIONS[user.role],
        csrf_token=csrf,
        session_id=session_id,
    )


def logout(inst: Instance, principal: Principal) -> None:
    if principal.session_id is not None:
        with inst.db.session() as s:
            SessionRepository(s).revoke(principal.session_id)


def change_password(
    inst: Instance, principal: Principal, current: str, new: str, *, revoke_tokens: bool = False
) -> str:
    """Change the caller's password; every session of theirs ends and a new one opens.
    API tokens keep working unless ``revoke_tokens`` (a password change after a leak
    should take them too: the page offers it)."""
    if principal.user is None:
        raise AuthenticationError("log in first")
    _check_login(inst, principal.user.username, current)
    check_password(new)
    if new == current:
        raise UsageError("the new password must differ from the current one")
    with inst.db.session() as s:
        UserRepository(s).set_password(principal.user.id, _HASHER.hash(new), False)
        SessionRepository(s).revoke_all_for(principal.user.id)
        if revoke_tokens:
            _revoke_all(TokenRepository(s), principal.user.id)
    return _open_session(inst, principal.user.id)


def reset_password(inst: Instance, username: str) -> str:
    """The operator resets a user's password (CLI): a new one-time password, printed
    once; every session and every API token of theirs is revoked, since whoever knew
    the old password may have made tokens with it."""
    with inst.db.session() as s:
        users = UserRepository(s)
        found = users.by_username(check_username(username))
        if found is None:
            raise NotFoundError(f"no user {username!r}")
        user = found[0]
        otp = generate_password()
        users.set_password(user.id, _HASHER.hash(otp), True)
        SessionRepository(s).revoke_all_for(user.id)
        _revoke_all(TokenRepository(s), user.id)
    return otp


def _revoke_all(repo: TokenRepository, user_id: int) -> int:
    now = _now()
    live = [t for t in repo.for_user(user_id) if t.revoked_at is None]
    for t in live:
        repo.revoke(t.id, now)
    return len(live)


def revoke_all_tokens(inst: Instance, principal: Principal) -> int:
    """Revoke every API token of the caller; returns how many were live."""
    if principal.user is None:
        raise AuthenticationError("log in first")
    with inst.db.session() as s:
        return _revoke_all(TokenRepository(s), principal.user.id)


def revoke_user_tokens(inst: Instance, username: str) -> int:
    """The operator revokes every API token of ``username`` (CLI)."""
    with inst.db.session() as s:
        found = UserRepository(s).by_username(check_username(username))
        if found is None:
            raise NotFoundError(f"no user {username!r}")
        return _revoke_all(TokenRepository(s), found[0].id)


# --- API tokens ---------------------------------------------------------------------


def create_token(
    inst: Instance,
    principal: Principal,
    name: str,
    scopes: list[str],
    expires_in_days: int | None = None,
) -> tuple[str, TokenRecord]:
    """A new API token for the caller, scoped to at most what their role allows. The
    secret is returned once and never stored."""
    user = principal.user
    if user is None:
        raise AuthenticationError("log in first")
    name = name.strip()
    if not 1 <= len(name) <= 100:
        raise UsageError("a token needs a name of 1-100 characters")
    try:
        wanted = frozenset(Permission(s) for s in scopes)
    except ValueError as e:
        raise UsageError(
            f"unknown scope: {e}", hint="scopes: " + ", ".join(sorted(TOKEN_SCOPES))
        ) from e
    if not wanted:
        raise UsageError("a token needs at least one scope")
    allowed = TOKEN_SCOPES & ROLE_PERMISSIONS[user.role]
    if not wanted <= allowed:
        extra = ", ".join(sorted(wanted - allowed))
        raise PermissionDeniedError(f"your role cannot grant these scopes: {extra}")
    expires = None
    if expires_in_days is not None:
        if not 1 <= expires_in_days <= 3650:
            raise UsageError("expires_in_days must be between 1 and 3650")
        expires = _now() + dt.timedelta(days=expires_in_days)
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    with inst.db.session() as s:
        rec = TokenRepository(s).add(
            token_hash=_digest(secret),
            prefix=secret[:10],
            user_id=user.id,
            name=name,
            scopes=wanted,
            expires_at=expires,
        )
    return secret, rec


def issue_token(
    inst: Instance,
    username: str,
    name: str,
    scopes: list[str],
    expires_in_days: int | None = None,
) -> tuple[str, TokenRecord]:
    """A token for ``username`` made by the operator on the instance's machine (CLI)."""
    with inst.db.session() as s:
        found = UserRepository(s).by_username(check_username(username))
    if found is None:
        raise NotFoundError(f"no user {username!r}")
    user = found[0]
    if not user.active:
        raise UsageError(f"{user.username} is deactivated: a token for them would not work")
    if user.must_change_password:
        # token_principal refuses such users' tokens: it would fail as "revoked or expired?"
        raise UsageError(
            f"{user.username} must first change the one-time password: a token made now "
            "would not work until then",
            hint="they sign in once at /account/password; then make the token",
        )
    principal = Principal(user=user, via="session", scopes=ROLE_PERMISSIONS[user.role])
    return create_token(inst, principal, name, scopes, expires_in_days)


def token_principal(inst: Instance, secret: str) -> Principal | None:
    if not secret.startswith(TOKEN_PREFIX) or len(secret) > 200:
        return None
    now = _now()
    with inst.db.session() as s:
        repo = TokenRepository(s)
        tok = repo.by_hash(_digest(secret))
        if tok is None or tok.revoked_at is not None:
            return None
        if tok.expires_at is not None and tok.expires_at <= now:
            return None
        user = UserRepository(s).get(tok.user_id)
        if user is None or not user.active or user.must_change_password:
            return None
        # last-use time to the minute is enough to spot unused tokens; saves writes
        if tok.last_used_at is None or now - tok.last_used_at > dt.timedelta(minutes=1):
            repo.touch(tok.id, now)
    return Principal(user=user, via="token", scopes=tok.scopes, token_id=tok.id)


def list_tokens(inst: Instance, principal: Principal) -> list[TokenRecord]:
    if principal.user is None:
        raise AuthenticationError("log in first")
    with inst.db.session() as s:
        return TokenRepository(s).for_user(principal.user.id)


def revoke_token(inst: Instance, principal: Principal, token_id: int) -> TokenRecord:
    """Revoke one of the caller's tokens (admins may revoke anyone's)."""
    if principal.user is None:
        raise AuthenticationError("log in first")
    with inst.db.session() as s:
        repo = TokenRepository(s)
        tok = repo.get(token_id)
        mine = tok is not None and tok.user_id == principal.user.id
        if tok is None or not (mine or principal.can(Permission.MANAGE_USERS)):
            raise NotFoundError(f"no token {token_id}")
        repo.revoke(token_id, _now())
        out = repo.get(token_id)
    assert out is not None
    return out


# --- the instance's secret for signing anonymous cookies ----------------------------


def instance_secret(inst: Instance) -> bytes:
    """A random key kept in the instance (mode 0600), made on first use."""
    path: Path = inst.home / "secret.key"
    if not path.exists():
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # another process made it first
            return path.read_bytes()
        with os.fdopen(fd, "wb") as f:
            f.write(secrets.token_bytes(32))
    return path.read_bytes()
