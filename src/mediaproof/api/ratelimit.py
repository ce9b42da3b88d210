"""Per-client token buckets: in process memory by default, in the database when several
API processes share an instance (``MEDIAPROOF_SERVICE_RATE_STORE``; see
services/rate_limits.py).

In memory is right for one process (what ``mediaproof serve`` runs on one box). Several
processes each keeping their own buckets would multiply the effective limit, so an
instance on PostgreSQL keeps them in the database unless told otherwise.
"""

from __future__ import annotations

import threading
import time
from typing import Protocol

from starlette.concurrency import run_in_threadpool

from mediaproof.errors import RateLimitedError
from mediaproof.services.rate_limits import BucketSpec, DatabaseRateLimiter

MAX_CLIENTS = 100_000  # bounds memory under address-spraying clients

__all__ = ["BucketSpec", "DatabaseRateLimiter", "Limiter", "RateLimiter", "take"]


class Limiter(Protocol):
    specs: dict[str, BucketSpec]
    blocking: bool  # a take waits on I/O: run it off the event loop

    def take(self, bucket: str, client: str, whose: str = "your address") -> None: ...


async def take(limiter: Limiter, bucket: str, client: str, whose: str = "your address") -> None:
    """Take a token from an async route: a database take runs in the thread pool."""
    if limiter.blocking:
        await run_in_threadpool(limiter.take, bucket, client, whose)
    else:
        limiter.take(bucket, client, whose)


class RateLimiter:
    blocking = False

    def __init__(self, specs: dict[str, BucketSpec]) -> None:
        self.specs = specs
        self._state: dict[tuple[str, str], tuple[float, float]] = {}  # tokens, last time
        self._lock = threading.Lock()

    def take(self, bucket: str, client: str, whose: str = "your address") -> None:
        spec = self.specs[bucket]
        rate = spec.per_minute / 60.0
        now = time.monotonic()
        key = (bucket, client)
        with self._lock:
            tokens, last = self._state.get(key, (float(spec.burst), now))
            tokens = min(float(spec.burst), tokens + (now - last) * rate)
            if tokens < 1.0:
                self._state[key] = (tokens, now)
                raise RateLimitedError(
                    f"too many requests from {whose}; slow down",
                    retry_after_s=(1.0 - tokens) / rate,
                )
            self._state[key] = (tokens - 1.0, now)
            if len(self._state) > MAX_CLIENTS:
                self._prune(now)

    def _prune(self, now: float) -> None:
        # drop buckets that have refilled completely: forgetting them changes nothing
        for key, (tokens, last) in list(self._state.items()):
            spec = self.specs[key[0]]
            if tokens + (now - last) * spec.per_minute / 60.0 >= spec.burst:
                del self._state[key]
