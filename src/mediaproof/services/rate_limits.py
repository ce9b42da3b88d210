"""Rate-limit buckets every API process of an instance shares, in its database (issue
20: no state in a process), for instances that run several processes on PostgreSQL.

The single-box default keeps its buckets in the process (``api/ratelimit.py``): one
process has nobody to share them with, and on SQLite a write per request would queue
behind the one writer (``bench/bench_rate_limits.py`` measures both).
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

from mediaproof.errors import RateLimitedError
from mediaproof.storage.sql.engine import Database
from mediaproof.storage.sql.repos_state import RateBucketRepo

PRUNE_EVERY_S = 60.0


@dataclass(frozen=True)
class BucketSpec:
    per_minute: float
    burst: int


class DatabaseRateLimiter:
    """Token buckets in the ``rate_buckets`` table: a token taken through one process is
    gone for all of them. Each take is one statement (a database round trip), so
    :attr:`blocking` tells async callers to run it off the event loop."""

    blocking = True

    def __init__(self, db: Database, specs: dict[str, BucketSpec]) -> None:
        self.specs = specs
        self._repo = RateBucketRepo(db)
        self._pruned = time.monotonic()
        self._prune_lock = threading.Lock()

    def take(self, bucket: str, client: str, whose: str = "your address") -> None:
        spec = self.specs[bucket]
        rate = spec.per_minute / 60.0
        ok, tokens = self._repo.take(bucket, client, burst=spec.burst, per_s=rate)
        self._maybe_prune()
        if not ok:
            raise RateLimitedError(
                f"too many requests from {whose}; slow down",
                retry_after_s=(1.0 - tokens) / rate,
            )

    def _maybe_prune(self) -> None:
        now = time.monotonic()
        if now - self._pruned < PRUNE_EVERY_S or not self._prune_lock.acquire(blocking=False):
            return
        try:
            self._pruned = now
            for name, spec in self.specs.items():
                # a bucket untouched for this long is full again: forgetting it changes nothing
                self._repo.forget_full(name, spec.burst / (spec.per_minute / 60.0) + 1.0)
        finally:
            self._prune_lock.release()
