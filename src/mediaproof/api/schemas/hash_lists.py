"""Imported hash lists (admins)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

_HASH_FILE = {
    "type": "string",
    "description": "UTF-8 text: python-threatexchange local_file lines (`pdq <64 hex>`, "
    "`video_md5 <32 hex>`, `#` comments), or CSV whose header names signal_type and "
    "signal_str (category and tags optional)",
}
# the route reads the raw body (any content type: the format is told by its first line)
IMPORT_BODY: dict[str, Any] = {
    "requestBody": {
        "content": {
            "text/plain": {"schema": _HASH_FILE},
            "text/csv": {"schema": _HASH_FILE},
        }
    }
}


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
