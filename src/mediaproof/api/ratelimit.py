"""Per-client token buckets, in process memory.

Good for one process (what ``mediaproof serve`` runs). Several workers or hosts each keep
their own buckets, so the effective limit multiplies: put a shared limiter (the reverse
proxy) in front for that.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

from mediaproof.errors import RateLimitedError

MAX_CLIENTS = 100_000  # bounds memory under address-spraying clients


@dataclass(frozen=True)
class BucketSpec:
    per_minute: float
    burst: int


class RateLimiter:
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
