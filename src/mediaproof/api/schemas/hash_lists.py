"""Imported hash lists (admins)."""

from __future__ import annotations

from pydantic import BaseModel, Field


class HashListOut(BaseModel):
    name: str
    created_at: str
    entries: int


class ImportedOut(BaseModel):
    list_: str = Field(alias="list")
    format: str
    imported: int
    by_type: dict[str, int]
    cpu_s: float


class ListMatchOut(BaseModel):
    """A lead, not a registered original."""

    list_: str = Field(alias="list")
    entry: int
    distance: int
    category: str | None
    tags: list[str]


class ListMatchesOut(BaseModel):
    matches: list[ListMatchOut]
    note: str
