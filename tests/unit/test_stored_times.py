"""The one helper every repository and service uses for a time read back from the
database (storage/sql/times.py): a naive time is UTC, an aware one is kept as it is, and
an empty column stays empty. (A private copy of it once returned None for aware times.)"""

from __future__ import annotations

import datetime as dt

from mediaproof.storage.sql.times import aware, aware_opt

NAIVE = dt.datetime(2026, 12, 6, 22, 30, 15, 123456)
PARIS = dt.timezone(dt.timedelta(hours=1), "CET")


def test_a_naive_time_is_read_as_utc_with_the_same_clock() -> None:
    got = aware(NAIVE)
    assert got.tzinfo is dt.UTC and got.replace(tzinfo=None) == NAIVE
    assert aware_opt(NAIVE) == got


def test_an_aware_time_is_kept_as_it_is_not_converted() -> None:
    t = NAIVE.replace(tzinfo=PARIS)
    assert aware(t) is t and aware_opt(t) is t
    assert aware(t).utcoffset() == dt.timedelta(hours=1)


def test_an_empty_column_stays_empty() -> None:
    assert aware_opt(None) is None
