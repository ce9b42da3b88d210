"""Timestamps read back from the database: every time is written in UTC, and SQLite hands
it back without its zone (PostgreSQL's ``timestamptz`` keeps it). One helper for every
repository and service that reads a stored time, instead of a private copy in each."""

from __future__ import annotations

import datetime as dt


def aware(t: dt.datetime) -> dt.datetime:
    """``t`` with its zone: a naive time is UTC (SQLite dropped the zone); an aware time is
    returned as it is (not converted)."""
    return t if t.tzinfo is not None else t.replace(tzinfo=dt.UTC)


def aware_opt(t: dt.datetime | None) -> dt.datetime | None:
    """:func:`aware` for a column that may be empty: ``None`` stays ``None``."""
    return None if t is None else aware(t)
