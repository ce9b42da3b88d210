"""The API's side of the sharded matchers: one lookup fanned out to every shard.

Used when ``MEDIAPROOF_MATCHERS`` names the replicas (``services.instance``); without it
the process's own index answers, as on a single box. Each shard is asked once,
concurrently, through one of its replicas (round robin); a replica that refuses the
connection, times out (``MEDIAPROOF_MATCHER_TIMEOUT_S``), is not ready (503) or answers
anything but a well-formed 200 is skipped for a sibling of the same shard, and is asked
last for the next few seconds (``COOL_OFF_S``), so a replica that is down, or a host that
drops packets, does not cost every other lookup a failed try or a timeout. It is still
asked when no sibling answers, so cooling off never turns an answer into a failure. Each
shard answers its nearest ``LOOKUP_LIMIT`` assets (with all their rows within the radius)
and how many it has within the radius; shards hold disjoint records
(``matching.shards``), so the nearest ``LOOKUP_LIMIT`` of the union are exactly the
nearest of one index over every row, and the totals add up (``lookup.bound_matches``).
When no replica of a shard answers, the lookup fails (``BusyError``, 503:
an answer missing a shard would be a wrong "no match").
"""

from __future__ import annotations

import itertools
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx

from mediaproof.errors import BusyError
from mediaproof.matching.lookup import LOOKUP_LIMIT, Candidate, Matches, bound_matches

_FIELDS = {"asset_id", "signal", "distance", "quality", "variant"}


def _candidate(d: Any, signal: str) -> Candidate:
    if not isinstance(d, dict) or not isinstance(d.get("asset_id"), str):
        raise ValueError("a match without an asset id")
    distance = d.get("distance")
    if not isinstance(distance, int | float) or isinstance(distance, bool):
        raise ValueError("a match without a distance")
    quality, variant = d.get("quality"), d.get("variant")
    detail = {k: v for k, v in d.items() if k not in _FIELDS}
    return Candidate(
        d["asset_id"], signal, distance, quality if isinstance(quality, int) else None,
        variant if isinstance(variant, str) else None, detail,
    )  # fmt: skip


class MatcherFanOut:
    """``find_near`` over the matchers' shards (PDQ and vPDQ)."""

    SIGNALS = ("pdq", "vpdq")
    COOL_OFF_S = 5.0  # a replica that failed is asked last for this long

    def __init__(
        self, shards: list[list[str]], token: str, timeout_s: float = 2.0,
        cool_off_s: float = COOL_OFF_S,
    ) -> None:  # fmt: skip
        if not shards or not all(shards):
            raise ValueError("every shard needs at least one replica")
        self.shards = shards
        self._client = httpx.Client(
            timeout=timeout_s,
            headers={"authorization": f"Bearer {token}"},
            limits=httpx.Limits(max_connections=64, max_keepalive_connections=32),
            trust_env=False,  # loopback and cluster addresses: never through a proxy
        )
        self._pool = ThreadPoolExecutor(
            max_workers=max(4, 4 * len(shards)), thread_name_prefix="matcher-fanout"
        )
        self._turn = [itertools.count(i) for i in range(len(shards))]
        self._lock = threading.Lock()
        self._cool_off_s = cool_off_s
        self._failed_until: dict[str, float] = {}  # replica -> monotonic time
        self.retries = 0  # lookups a sibling answered after a replica failed

    def _order(self, shard: int) -> list[str]:
        """This lookup's replicas: round robin, those that failed lately last."""
        replicas = self.shards[shard]
        now = time.monotonic()
        with self._lock:
            start = next(self._turn[shard])
            turn = [replicas[(start + k) % len(replicas)] for k in range(len(replicas))]
            return sorted(turn, key=lambda url: self._failed_until.get(url, 0.0) > now)

    def _note(self, url: str, ok: bool) -> None:
        with self._lock:
            if ok:
                self._failed_until.pop(url, None)
            else:
                self._failed_until[url] = time.monotonic() + self._cool_off_s

    def _ask(self, shard: int, body: dict[str, Any]) -> tuple[list[Candidate], int]:
        """(the shard's matches, its assets within the radius)."""
        failures = []
        for k, url in enumerate(self._order(shard)):
            try:
                r = self._client.post(f"{url}/lookup", json=body)
                if r.status_code != 200:
                    failures.append(f"{url}: HTTP {r.status_code}")
                    self._note(url, ok=False)
                    continue
                answer = r.json()
                out = [_candidate(m, body["signal"]) for m in answer["matches"]]
                total = answer.get("total")  # absent from a matcher before the bound:
                if not isinstance(total, int) or isinstance(total, bool):  # its answer is whole
                    total = len({c.asset_id for c in out})
            except (httpx.HTTPError, ValueError, KeyError, TypeError) as e:
                failures.append(f"{url}: {type(e).__name__}")
                self._note(url, ok=False)
                continue
            self._note(url, ok=True)
            if k:
                with self._lock:
                    self.retries += 1
            return out, total
        raise BusyError(
            f"no replica of matcher shard {shard} answered ({'; '.join(failures)})",
            hint="retry shortly; check the matchers' /readyz",
        )

    def find_near(
        self, signal: str, value: Any, max_distance: float, limit: int = LOOKUP_LIMIT
    ) -> Matches:
        """The nearest ``limit`` assets' matches (``lookup.Matches``), the same answer as
        one index over every shard's rows."""
        if signal not in self.SIGNALS:
            raise ValueError(f"matchers serve {', '.join(self.SIGNALS)} lookups")
        if not isinstance(value, bytes | bytearray) or len(value) != 32:
            raise ValueError(f"{signal} lookups take a 32-byte hash")
        if not 1 <= limit <= LOOKUP_LIMIT:
            raise ValueError(f"the limit must be in [1, {LOOKUP_LIMIT}]")
        body = {"signal": signal, "hash": bytes(value).hex(),
                "max_distance": int(max_distance), "limit": limit}  # fmt: skip
        futures = [self._pool.submit(self._ask, i, body) for i in range(len(self.shards))]
        found: list[Candidate] = []
        total = 0
        for f in futures:
            part, n = f.result()
            found.extend(part)
            total += n
        return bound_matches(found, limit, total)

    def close(self) -> None:
        self._pool.shutdown(wait=False)
        self._client.close()
