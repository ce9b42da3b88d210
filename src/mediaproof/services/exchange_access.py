"""Who may read the exchange's collections: grants to peers, the per-peer rate key, the
collections a caller sees, and the audit trail of reads (docs/exchange.md)."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from mediaproof.accounts.models import Permission, Principal, Role
from mediaproof.errors import PermissionDeniedError, UsageError
from mediaproof.services import accounts
from mediaproof.services.exchange_collections import _now, collection_json, existing_collection
from mediaproof.services.instance import Instance
from mediaproof.storage.sql.repos_exchange import ExchangeRepository

if TYPE_CHECKING:  # rows are the repository's; services only read them
    from mediaproof.storage.sql.tables_exchange import ExchangeCollectionRow


def _authorise(repo: ExchangeRepository, who: Principal | None, name: str) -> ExchangeCollectionRow:
    """Admins (``exchange:manage``) read everything; anyone else needs a token granted
    this collection. A caller without a grant learns nothing, not even that it exists.
    ``None`` is the operator on the instance's machine (the CLI)."""
    if who is not None and not who.can(Permission.MANAGE_EXCHANGE):
        if who.token_id is None or not who.can(Permission.EXCHANGE_READ):
            raise PermissionDeniedError("reading a collection needs an API token granted it")
        if not repo.granted(who.token_id, name):
            raise PermissionDeniedError("this token is not granted that collection")
    return existing_collection(repo, name)


def _who(who: Principal | None) -> tuple[int | None, int | None]:
    if who is None:
        return None, None
    return (who.user.id if who.user else None), who.token_id


def rate_key(who: Principal) -> str:
    """Per peer: the token (or the account, for sessions), never the address."""
    if who.token_id is not None:
        return f"token:{who.token_id}"
    return f"user:{who.user.id if who.user else 'anonymous'}"


def visible_collections(inst: Instance, who: Principal) -> list[dict[str, Any]]:
    with inst.db.session() as s:
        repo = ExchangeRepository(s)
        if who.can(Permission.MANAGE_EXCHANGE):
            names = None
        elif who.token_id is not None and who.can(Permission.EXCHANGE_READ):
            names = repo.granted_names(who.token_id)
        else:
            raise PermissionDeniedError("reading collections needs an API token granted them")
        return [
            collection_json(r, repo.size(r))
            for r in repo.collections()
            if names is None or r.name in names
        ]


def collection_info(inst: Instance, who: Principal, name: str) -> dict[str, Any]:
    with inst.db.session() as s:
        repo = ExchangeRepository(s)
        row = _authorise(repo, who, name)
        return collection_json(row, repo.size(row))


def grant(
    inst: Instance,
    name: str,
    peer: str,
    *,
    expires_in_days: int | None = 365,
    now: dt.datetime | None = None,
    opine: bool = False,
    contribute: bool = False,
) -> tuple[str, int]:
    """A token for peer account ``peer`` (created with role peer if new) that reads
    collection ``name`` (and, with ``opine``, submits opinions on its signals); the
    secret is returned once."""
    with inst.db.session() as s:
        existing_collection(ExchangeRepository(s), name)
    existing = {u.username: u for u in accounts.list_users(inst)}.get(peer)
    if existing is None:
        # nobody signs in as a peer: the password is random and never shown
        accounts.create_user(
            inst, peer, Role.PEER, accounts.generate_password(), must_change_password=False
        )
    elif existing.role is not Role.PEER:
        raise UsageError(f"account {peer!r} exists and is not a peer account")
    scopes = [Permission.EXCHANGE_READ.value]
    if opine:
        scopes.append(Permission.EXCHANGE_OPINE.value)
    if contribute:  # submit signals for review (services/exchange_contrib.py)
        scopes.append(Permission.EXCHANGE_CONTRIBUTE.value)
    secret, tok = accounts.issue_token(inst, peer, f"exchange:{name}", scopes, expires_in_days)
    with inst.db.session() as s:
        repo = ExchangeRepository(s)
        repo.grant(tok.id, existing_collection(repo, name), now or _now())
    return secret, tok.id


def reads(inst: Instance, name: str, limit: int = 100) -> list[dict[str, Any]]:
    with inst.db.session() as s:
        repo = ExchangeRepository(s)
        row = existing_collection(repo, name)
        return [
            {
                "at": r.at.isoformat(),
                "what": r.what,
                "user_id": r.user_id,
                "token_id": r.token_id,
                "after": r.after,
                "rows": r.rows,
                "size": r.size,
            }
            for r in repo.reads(row, limit)
        ]


def audit_read(
    repo: ExchangeRepository,
    row: ExchangeCollectionRow,
    who: Principal | None,
    what: str,
    *,
    after: int | None,
    rows: int,
    size: int,
    now: dt.datetime,
) -> None:
    """Record a read of the collection in its audit trail (who, what, how much)."""
    user_id, token_id = _who(who)
    repo.audit(
        row,
        user_id=user_id,
        token_id=token_id,
        what=what,
        after=after,
        rows=rows,
        size=size,
        now=now,
    )
