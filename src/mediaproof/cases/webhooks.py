"""Signed webhooks to the platform hosting the content: signing, verifying, retry timing.

Headers on every delivery (documented in docs/workflow.md):

    X-Mediaproof-Event: action.remove | action.label | action.restrict | action.restore
    X-Mediaproof-Delivery: <opaque delivery id, stable across retries>
    X-Mediaproof-Timestamp: <unix seconds when this attempt was signed>
    X-Mediaproof-Signature: v1=<hex HMAC-SHA256(secret, timestamp + "." + body)>

Receivers recompute the HMAC over the exact body bytes, compare in constant time, and
refuse timestamps older than their tolerance (replay protection).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
from collections.abc import Mapping
from dataclasses import dataclass

H_EVENT = "X-Mediaproof-Event"
H_DELIVERY = "X-Mediaproof-Delivery"
H_TIMESTAMP = "X-Mediaproof-Timestamp"
H_SIGNATURE = "X-Mediaproof-Signature"


def signature(secret: str, timestamp: int, body: bytes) -> str:
    mac = hmac.new(secret.encode(), str(timestamp).encode() + b"." + body, hashlib.sha256)
    return "v1=" + mac.hexdigest()


def signed_headers(
    secret: str, event: str, delivery_id: str, body: bytes, now: dt.datetime
) -> dict[str, str]:
    ts = int(now.timestamp())
    return {
        "Content-Type": "application/json",
        H_EVENT: event,
        H_DELIVERY: delivery_id,
        H_TIMESTAMP: str(ts),
        H_SIGNATURE: signature(secret, ts, body),
    }


def verify(
    secret: str,
    headers: Mapping[str, str],
    body: bytes,
    now: dt.datetime,
    tolerance: dt.timedelta = dt.timedelta(minutes=5),
) -> bool:
    """What a receiver runs. ``headers`` lookup is case-insensitive."""
    low = {k.lower(): v for k, v in headers.items()}
    try:
        ts = int(low[H_TIMESTAMP.lower()])
        sig = low[H_SIGNATURE.lower()]
    except (KeyError, ValueError):
        return False
    if abs(now.timestamp() - ts) > tolerance.total_seconds():
        return False
    return hmac.compare_digest(sig, signature(secret, ts, body))


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 8
    base: dt.timedelta = dt.timedelta(seconds=30)
    cap: dt.timedelta = dt.timedelta(hours=6)

    def delay(self, attempts: int) -> dt.timedelta:
        """Wait after the ``attempts``-th failure: base * 2^(attempts-1), capped."""
        factor: int = 2 ** max(0, attempts - 1)
        wait: dt.timedelta = self.base * factor
        return wait if wait < self.cap else self.cap

    def after_failure(self, attempts: int, now: dt.datetime) -> dt.datetime | None:
        """When to try again, or None when the delivery goes to the dead-letter list."""
        if attempts >= self.max_attempts:
            return None
        return now + self.delay(attempts)
