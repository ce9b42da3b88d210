"""Accounts over the API: who am I, API tokens, users (admins)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from starlette.concurrency import run_in_threadpool

from mediaproof.accounts.models import ROLE_PERMISSIONS, Role
from mediaproof.api.deps import Ctx, Who
from mediaproof.api.params import IdPath
from mediaproof.api.schemas import (
    MeOut,
    RevokedOut,
    TokenCreate,
    TokenCreated,
    TokenOut,
    UserCreate,
    UserCreated,
    UserOut,
    errors,
)
from mediaproof.errors import UsageError
from mediaproof.services import accounts

router = APIRouter(prefix="/api/v1", tags=["accounts"])
ERR = errors(400, 401, 403, 404)


@router.get("/me", name="account.me", response_model=MeOut, responses=ERR)
async def me(who: Who) -> dict[str, Any]:
    assert who.user is not None  # the access rule requires a user
    perms = ROLE_PERMISSIONS[who.user.role]
    if who.via == "token":
        perms = perms & who.scopes
    return {
        "user": who.user.public_dict(),
        "via": who.via,
        "permissions": sorted(p.value for p in perms),
    }


@router.get("/tokens", name="tokens.list", response_model=list[TokenOut], responses=ERR)
async def list_tokens(ctx: Ctx, who: Who) -> list[dict[str, Any]]:
    toks = await run_in_threadpool(accounts.list_tokens, ctx.inst, who)
    return [t.public_dict() for t in toks]


@router.post(
    "/tokens", name="tokens.create", status_code=201, response_model=TokenCreated, responses=ERR
)
async def create_token(body: TokenCreate, ctx: Ctx, who: Who) -> dict[str, Any]:
    """A new API token; the secret is in the answer and nowhere else."""
    secret, rec = await run_in_threadpool(
        accounts.create_token, ctx.inst, who, body.name, body.scopes, body.expires_in_days
    )
    return {"token": secret, "info": rec.public_dict()}


@router.post(
    "/tokens/revoke-all", name="tokens.revoke_all", response_model=RevokedOut, responses=ERR
)
async def revoke_all_tokens(ctx: Ctx, who: Who) -> dict[str, int]:
    """Revoke every API token of yours at once (after a leak, or with a password change);
    the token that sends this request is revoked too."""
    n = await run_in_threadpool(accounts.revoke_all_tokens, ctx.inst, who)
    return {"revoked": n}


@router.delete("/tokens/{token_id}", name="tokens.revoke", response_model=TokenOut, responses=ERR)
async def revoke_token(token_id: IdPath, ctx: Ctx, who: Who) -> dict[str, Any]:
    rec = await run_in_threadpool(accounts.revoke_token, ctx.inst, who, token_id)
    return rec.public_dict()


@router.get("/users", name="users.list", response_model=list[UserOut], responses=ERR)
async def list_users(ctx: Ctx) -> list[dict[str, Any]]:
    return [u.public_dict() for u in await run_in_threadpool(accounts.list_users, ctx.inst)]


@router.post(
    "/users",
    name="users.create",
    status_code=201,
    response_model=UserCreated,
    responses=errors(400, 401, 403, 404, 409),  # 409: the user name is taken
)
async def create_user(body: UserCreate, ctx: Ctx) -> dict[str, Any]:
    """Create a user. Without a password, a one-time password is returned to hand over;
    its holder must change it at first login."""
    try:
        role = Role(body.role)
    except ValueError as e:
        raise UsageError("role must be one of: " + ", ".join(r.value for r in Role)) from e
    user, otp = await run_in_threadpool(
        accounts.create_user, ctx.inst, body.username, role, body.password
    )
    return {"user": user.public_dict(), "one_time_password": otp}
