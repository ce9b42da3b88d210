"""Repository for the rate-limit buckets every API process shares (tables_state).

A take is one statement (an upsert that refills, takes and says whether it took), so two
processes that race for the last token of a bucket cannot both get it: the row lock the
upsert takes serialises them, and each sees what the other wrote.
"""

from __future__ import annotations

import hashlib
import time

from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from mediaproof.errors import StorageError
from mediaproof.storage.sql.engine import Database

MAX_CLIENT = 200  # the column's width; longer keys are hashed

# refill = the bucket's tokens now, capped at the burst; {least}/{greatest}/{now} differ
# between PostgreSQL (LEAST, GREATEST, the server's clock) and SQLite (MIN, MAX, ours)
_TAKE = """
INSERT INTO rate_buckets AS b (bucket, client, tokens, stamp, ok)
VALUES (:bucket, :client, :burst - 1.0, {now}, true)
ON CONFLICT (bucket, client) DO UPDATE SET
    tokens = CASE WHEN {refill} >= 1.0 THEN {refill} - 1.0 ELSE {refill} END,
    ok = {refill} >= 1.0,
    stamp = {greatest}(b.stamp, {now})
RETURNING tokens, ok
"""
_REFILL = "{least}(:burst, b.tokens + {greatest}(0.0, {now} - b.stamp) * :rate)"


def _sql(dialect: str) -> str:
    if dialect == "postgresql":
        parts = {"least": "LEAST", "greatest": "GREATEST", "now": "EXTRACT(EPOCH FROM now())"}
    else:
        parts = {"least": "MIN", "greatest": "MAX", "now": ":now"}
    refill = _REFILL.format(**parts)
    return _TAKE.format(refill=refill, **parts)


def client_column(client: str) -> str:
    if len(client) <= MAX_CLIENT:
        return client
    return "sha256:" + hashlib.sha256(client.encode()).hexdigest()


class RateBucketRepo:
    def __init__(self, db: Database) -> None:
        self.db = db
        self._take = text(_sql(db.engine.dialect.name))
        self._pg = db.engine.dialect.name == "postgresql"

    def take(self, bucket: str, client: str, *, burst: int, per_s: float) -> tuple[bool, float]:
        """Take one token; (whether one was there, the tokens left)."""
        params = {
            "bucket": bucket,
            "client": client_column(client),
            "burst": float(burst),
            "rate": per_s,
            "now": time.time(),
        }
        try:
            with self.db.engine.begin() as conn:
                row = conn.execute(self._take, params).one()
        except OperationalError as e:  # the database away: the shape every error has
            raise StorageError(f"database error: {e.orig}") from e
        return bool(row.ok), float(row.tokens)

    def forget_full(self, bucket: str, full_after_s: float) -> int:
        """Delete the buckets of ``bucket`` that have refilled completely (untouched for
        ``full_after_s``): forgetting them changes nothing. Returns how many."""
        now = "EXTRACT(EPOCH FROM now())" if self._pg else ":now"
        sql = text(f"DELETE FROM rate_buckets WHERE bucket = :bucket AND stamp < {now} - :age")
        with self.db.engine.begin() as conn:
            res = conn.execute(sql, {"bucket": bucket, "age": full_after_s, "now": time.time()})
        return int(getattr(res, "rowcount", 0) or 0)

    def count(self) -> int:
        with self.db.engine.connect() as conn:
            return int(conn.execute(text("SELECT count(*) FROM rate_buckets")).scalar_one())
