"""Users, API tokens and who is asking."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class UserOut(BaseModel):
    id: int
    username: str
    role: str
    active: bool
    must_change_password: bool
    created_at: str


class UserCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    username: str = Field(min_length=2, max_length=64)
    role: str = Field(
        description="admin | publisher | reviewer | reporter | peer | toolmaker | platform"
    )
    password: str | None = Field(
        default=None,
        min_length=12,
        max_length=1024,
        description="leave out to get a one-time password to hand over",
    )


class UserCreated(BaseModel):
    user: UserOut
    one_time_password: str | None


class TokenCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=100)
    scopes: list[str] = Field(min_length=1, description="e.g. ['publish']")
    expires_in_days: int | None = Field(default=None, ge=1, le=3650)


class TokenOut(BaseModel):
    id: int
    name: str
    prefix: str
    scopes: list[str]
    created_at: str
    expires_at: str | None
    revoked: bool
    last_used_at: str | None


class TokenCreated(BaseModel):
    token: str = Field(description="the secret, shown once")
    info: TokenOut


class RevokedOut(BaseModel):
    revoked: int = Field(description="how many tokens were revoked")


class MeOut(BaseModel):
    user: UserOut
    via: str
    permissions: list[str]
