"""Rate-limit buckets in the database, on both backends: processes that share an
instance share its buckets, and racing takes never hand out more tokens than there are."""

from __future__ import annotations

import threading
import time

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import text

from mediaproof.errors import RateLimitedError
from mediaproof.services.rate_limits import BucketSpec, DatabaseRateLimiter
from mediaproof.storage.sql.engine import Database
from mediaproof.storage.sql.repos_state import RateBucketRepo
from mediaproof.storage.sql.tables import Base
from mediaproof.storage.sql.tables_state import RateBucketRow


def test_migration_matches_tables(db: Database) -> None:
    with db.engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = compare_metadata(ctx, Base.metadata)
    assert [d for d in diff if f"'{RateBucketRow.__tablename__}'" in repr(d)] == []
    if db.engine.dialect.name == "postgresql":  # no WAL, no flush per take
        with db.engine.connect() as conn:
            kind = conn.execute(
                text("SELECT relpersistence FROM pg_class WHERE relname = 'rate_buckets'")
            ).scalar_one()
        assert kind == "u"


def test_a_bucket_is_shared_by_two_engines(db: Database) -> None:
    """Two Database objects are two connection pools, as two API processes have."""
    other = Database(db.url)
    try:
        specs = {"verify": BucketSpec(per_minute=0.01, burst=3)}
        a, b = DatabaseRateLimiter(db, specs), DatabaseRateLimiter(other, specs)
        a.take("verify", "10.0.0.1")
        b.take("verify", "10.0.0.1")
        a.take("verify", "10.0.0.1")
        with pytest.raises(RateLimitedError) as e:
            b.take("verify", "10.0.0.1")
        assert "your address" in e.value.message
        assert e.value.retry_after_s is not None and e.value.retry_after_s > 60
        # another client and another bucket are not touched
        b.take("verify", "10.0.0.2")
        with pytest.raises(RateLimitedError) as e2:
            a.take("verify", "10.0.0.1", whose="your account")
        assert "your account" in e2.value.message
    finally:
        other.dispose()


def test_racing_takes_never_give_more_than_the_burst(db: Database) -> None:
    burst = 40
    specs = {"lookup": BucketSpec(per_minute=0.001, burst=burst)}
    dbs = [db, Database(db.url)]
    limiters = [DatabaseRateLimiter(d, specs) for d in dbs]
    granted: list[int] = []
    refused: list[int] = []
    go = threading.Barrier(8)

    def hammer(i: int) -> None:
        lim = limiters[i % 2]
        go.wait()
        for _ in range(10):
            try:
                lim.take("lookup", "shared")
                granted.append(1)
            except RateLimitedError:
                refused.append(1)

    threads = [threading.Thread(target=hammer, args=(i,)) for i in range(8)]
    try:
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        dbs[1].dispose()
    assert len(granted) == burst
    assert len(refused) == 80 - burst


def test_tokens_come_back_at_the_rate(db: Database) -> None:
    repo = RateBucketRepo(db)
    per_s = 20.0  # one token each 50 ms
    assert repo.take("login", "c", burst=1, per_s=per_s)[0]
    ok, tokens = repo.take("login", "c", burst=1, per_s=per_s)
    assert not ok and tokens < 1.0
    time.sleep(0.2)
    assert repo.take("login", "c", burst=1, per_s=per_s)[0]


def test_full_buckets_are_forgotten_and_long_keys_fit(db: Database) -> None:
    repo = RateBucketRepo(db)
    repo.take("verify", "old", burst=5, per_s=1.0)
    repo.take("verify", "x" * 5000, burst=5, per_s=1.0)  # hashed to fit the column
    assert repo.count() == 2
    assert repo.forget_full("verify", 3600.0) == 0  # neither is full again yet
    assert repo.forget_full("lookup", 0.0) == 0  # another bucket's rows stay
    time.sleep(0.05)
    assert repo.forget_full("verify", 0.01) == 2
    assert repo.count() == 0


def test_a_database_away_is_a_storage_error() -> None:
    from mediaproof.errors import StorageError
    from tests.e2e.server import free_port

    away = Database(f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/none")
    try:
        limiter = DatabaseRateLimiter(away, {"verify": BucketSpec(per_minute=1, burst=1)})
        with pytest.raises(StorageError, match="database error"):
            limiter.take("verify", "10.0.0.1")
    finally:
        away.dispose()
