"""A pull round over every source, where a small source is not held up by a big one.

Each source's pull has two parts: *fetching* (the network: a peer's verified pages, a
python-threatexchange exchange's records), which runs on a worker thread per source and
writes nothing, and *storing* (one transaction per source), which runs on the round's
thread, holding the ``exchange-pull`` lock, in the order the fetches finish. The single
lock still serialises every write of received signals (no two transactions hand out
incoming row ids at once, which the match index relies on: it reads rows by id), while
a source that answers in 50 ms is stored without waiting for one that takes seconds.

The scheduler keeps fetches in flight from one round to the next: a round stores what
has arrived and starts what is due, and one that is still fetching is stored by a later
round. Its fetch began from the checkpoint stored then; if another puller (a manual
``exchange pull``) stored that source in between, the stale fetch is dropped unstored.
A peer's fetch holds at most PREFETCH_ROWS rows in memory; past that the rest of its
pages are fetched while it is stored (a first pull of a very large collection).
"""

from __future__ import annotations

import concurrent.futures as cf
import datetime as dt
import logging
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import httpx

from mediaproof.errors import NotFoundError
from mediaproof.exchange.errors import PeerUnreachableError, PullRefusedError
from mediaproof.exchange.log import Trusted
from mediaproof.exchange.models import FeedRow
from mediaproof.services.instance import Instance
from mediaproof.storage.sql.repos_cases import aware_opt
from mediaproof.storage.sql.repos_exchange_incoming import IncomingRepository, PeerRecord

if TYPE_CHECKING:
    from mediaproof.services.exchange_pull import Pages, PullResult

log = logging.getLogger(__name__)

PREFETCH_ROWS = 50_000


@dataclass
class Staged:
    """A source's fetch, done: what the round stores (or the error to record)."""

    peer: PeerRecord
    pages: list[list[FeedRow]] = field(default_factory=list)
    rest: Iterator[list[FeedRow]] | None = None  # a peer's pages not yet fetched
    got: Pages | None = None
    fetched: Any = None  # a pytx source's Fetched
    error: Exception | None = None


def due(inst: Instance, name: str, now: dt.datetime, force: bool) -> PeerRecord | PullResult:
    """The source to pull, or the ``backoff`` result when it is not due."""
    from mediaproof.services.exchange_pull import PullResult

    with inst.db.session() as s:
        peer = IncomingRepository(s).peer(name)
    if peer is None:
        raise NotFoundError(f"no peer {name!r}")
    nxt = aware_opt(peer.next_attempt_at)
    if not force and nxt is not None and nxt > now:
        return PullResult(
            name, "backoff", size=peer.trusted_size, message=f"next attempt at {nxt.isoformat()}"
        )
    return peer


def stage(inst: Instance, peer: PeerRecord, client: httpx.Client) -> Staged:
    """Fetch one source (network only: nothing is written)."""
    from mediaproof.services import exchange_pull, exchange_sources

    st = Staged(peer)
    try:
        if peer.is_pytx:
            st.fetched = exchange_sources.fetch_source(peer)
            return st
        trusted = (
            Trusted(peer.trusted_size, bytes.fromhex(peer.trusted_root))
            if peer.trusted_root is not None
            else None
        )
        st.got = exchange_pull.fetch_pages(
            client,
            url=peer.url,
            collection=peer.collection,
            token=peer.token,
            vkey=peer.vkey,
            trusted=trusted,
        )
        rows = 0
        for page in st.got.pages:
            st.pages.append(page)
            rows += len(page)
            if rows >= PREFETCH_ROWS:
                st.rest = st.got.pages  # the rest while storing
                break
    except Exception as e:  # recorded by store(), as the pull's error
        st.error = e
    return st


def _superseded(inst: Instance, st: Staged) -> bool:
    """Another puller stored this source since the fetch began."""
    with inst.db.session() as s:
        now = IncomingRepository(s).peer(st.peer.name)
    if now is None:
        return True
    if st.peer.is_pytx:
        return now.pytx_checkpoint != st.peer.pytx_checkpoint
    return (now.trusted_size, now.trusted_root) != (st.peer.trusted_size, st.peer.trusted_root)


def store(inst: Instance, st: Staged, now: dt.datetime) -> PullResult:
    """Store one fetched source (the caller holds the pull lock)."""
    from mediaproof.services import exchange_sources
    from mediaproof.services.exchange_pull import PullResult, _backoff

    peer, name = st.peer, st.peer.name
    if _superseded(inst, st):
        log.info("exchange: %s was pulled by another puller meanwhile: fetch dropped", name)
        return PullResult(name, "ok", message="pulled meanwhile by another puller")
    if peer.is_pytx:
        return exchange_sources.store_source(inst, peer, st.fetched, st.error, now=now)
    status, message = "ok", None
    added = removed = 0
    size = peer.trusted_size
    try:
        if st.error is not None:
            raise st.error
        assert st.got is not None
        got = st.got
        # stored a page at a time, in one transaction: a page that fails its check (or
        # an unreachable peer mid-pull) rolls every page back
        with inst.db.session() as s:
            repo = IncomingRepository(s)
            gated: dict[str, int] = {}

            def pages() -> Iterator[list[FeedRow]]:
                yield from st.pages
                if st.rest is not None:
                    yield from st.rest

            if got.snapshot:
                applied = repo.replace_incoming(peer.id, next(pages()), now)
                added, removed, gated = applied.added, applied.removed, applied.gated
            else:
                for page in pages():
                    applied = repo.apply_updates(peer.id, page, now)
                    added += applied.added
                    removed += applied.removed
                    for k, v in applied.gated.items():
                        gated[k] = gated.get(k, 0) + v
                    s.flush()
                    s.expunge_all()  # a page's rows, written: not kept for the next
            if gated:
                log.info("exchange: %s: quality gate kept out %s", name, gated)
            after = repo.pull_ok(
                name,
                now,
                size=got.checkpoint.size,
                root=got.checkpoint.root.hex(),
                note=got.note.decode(),
            )
            size = after.trusted_size
    except PullRefusedError as e:
        status, message = "refused", e.message
        log.error("exchange: pull from %s refused: %s", name, e.message)
    except PeerUnreachableError as e:
        status, message = "error", e.message
        log.warning("exchange: pull from %s failed: %s", name, e.message)
    if status != "ok":
        added = removed = 0
        with inst.db.session() as s:
            after = IncomingRepository(s).pull_failed(
                name,
                now,
                status=status,
                message=message,
                retry_s=_backoff(peer.failures + 1).total_seconds(),
            )
            size = after.trusted_size
    return PullResult(name, status, added, removed, size, message)


def _submit(inst: Instance, peer: PeerRecord, client: httpx.Client) -> cf.Future[Staged]:
    """:func:`stage` on a daemon thread of its own: a fetch still in flight when the
    process exits must not hold the exit up (a pool's workers are joined at exit)."""
    fut: cf.Future[Staged] = cf.Future()

    def run() -> None:
        try:
            fut.set_result(stage(inst, peer, client))
        except BaseException as e:  # handed to the round
            fut.set_exception(e)

    threading.Thread(target=run, name=f"exchange-fetch-{peer.name}", daemon=True).start()
    return fut


class Round:
    """Fetches kept in flight across rounds (the scheduler's); a plain ``pull`` uses one
    for a single round and waits for every fetch."""

    def __init__(self) -> None:
        self.inflight: dict[str, cf.Future[Staged]] = {}

    def close(self) -> None:
        # a fetch still in flight finishes on its own (each has its deadline), unstored
        self.inflight.clear()

    def run(
        self,
        inst: Instance,
        names: list[str],
        client: httpx.Client,
        *,
        now: dt.datetime | None,
        force: bool,
        wait_s: float | None,
    ) -> list[PullResult]:
        """Start the due sources' fetches (those not already in flight) and store each as
        it arrives, until all are stored or ``wait_s`` has passed (None: all). The
        caller holds the pull lock."""
        out: dict[str, PullResult] = {}
        start = now or dt.datetime.now(dt.UTC)
        for n in names:
            if n in self.inflight:
                continue
            d = due(inst, n, start, force)
            if isinstance(d, PeerRecord):
                self.inflight[n] = _submit(inst, d, client)
            else:
                out[n] = d
        deadline = None if wait_s is None else time.monotonic() + wait_s
        while self.inflight:
            left = None if deadline is None else max(0.0, deadline - time.monotonic())
            done, _ = cf.wait(
                list(self.inflight.values()), timeout=left, return_when=cf.FIRST_COMPLETED
            )
            if not done:
                break
            for n, f in list(self.inflight.items()):
                if f in done:
                    del self.inflight[n]
                    out[n] = store(inst, f.result(), now or dt.datetime.now(dt.UTC))
        return [out[n] for n in names if n in out]
