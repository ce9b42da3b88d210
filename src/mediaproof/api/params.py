"""Shared, bounded parameter types: a database id outside 1..2^63-1 is a 422, never a
database overflow and a 500 (issue 15, finding 9). Use these for every integer a client
sends in a path, query, form or JSON body."""

from __future__ import annotations

from typing import Annotated

from fastapi import Form, Path
from pydantic import Field

MAX_ID = 2**63 - 1  # the largest signed 64-bit integer, what SQLite and PostgreSQL store

IdPath = Annotated[int, Path(ge=1, le=MAX_ID, description="a positive 64-bit id")]
IdForm = Annotated[int, Form(ge=1, le=MAX_ID)]
VersionField = Annotated[int, Field(ge=1, le=MAX_ID)]
