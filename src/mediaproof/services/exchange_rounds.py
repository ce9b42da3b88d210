"""A pull round over every source, where a small source is not held up by a big one.

Each source's pull has two parts: *fetching* (the network: a peer's verified pages, a
python-threatexchange exchange's records), which runs on a worker thread per source,
writes nothing and holds no lock, and *storing* (one transaction), which runs on the
round's thread, holding the ``exchange-pull`` lock only for that transaction, in the
order the fetches finish. The lock serialises every write of received signals (no two
transactions hand out incoming row ids at once, which the match index relies on: it
reads rows by id), while a source that answers in 50 ms is stored without waiting for
one that takes seconds.

A peer's backlog is pulled in chunks of at most CHUNK_ROWS rows: each chunk is proved
against a checkpoint the peer signs at the chunk's end (consistent with the trusted
one), fetched without the lock, then stored with the trusted checkpoint advanced to it
in one transaction under the lock, which is let go before the next chunk is fetched. A
process that dies between chunks goes on from the last chunk stored; memory stays one
chunk. Before storing, under the lock, the source's stored checkpoint must still be the
one the chunk was fetched from: if another puller (a manual ``exchange pull``, another
round) stored the source in between, the chunk is dropped unstored and that puller goes
on, so two pullers never interleave a source's checkpoints.

The scheduler keeps fetches in flight from one round to the next: a round stores what
has arrived and starts what is due, and one that is still fetching (or the next chunk
of a backlog) is stored by a later round.
"""

from __future__ import annotations

import concurrent.futures as cf
import datetime as dt
import logging
import threading
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import httpx

from mediaproof.errors import NotFoundError
from mediaproof.exchange.errors import PeerUnreachableError, PullRefusedError
from mediaproof.exchange.log import Trusted
from mediaproof.exchange.models import FeedRow
from mediaproof.services.instance import Instance
from mediaproof.storage.sql.locks import hold
from mediaproof.storage.sql.repos_cases import aware_opt
from mediaproof.storage.sql.repos_exchange_incoming import IncomingRepository, PeerRecord

if TYPE_CHECKING:
    from mediaproof.services.exchange_pull import Pages, PullResult

log = logging.getLogger(__name__)

CHUNK_ROWS = 50_000  # a peer's rows fetched, then stored under the lock, at a time


@dataclass
class Staged:
    """A source's fetch (or a chunk of it), done: what the round stores (or the error)."""

    peer: PeerRecord
    pages: list[list[FeedRow]] = field(default_factory=list)
    got: Pages | None = None
    fetched: Any = None  # a pytx source's Fetched
    error: Exception | None = None


@dataclass
class Stored:
    """What storing a chunk did: its result, and where the pull goes on (None: done)."""

    result: PullResult
    more: PeerRecord | None = None
    latest: int | None = None


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


def stage(
    inst: Instance, peer: PeerRecord, client: httpx.Client, latest: int | None = None
) -> Staged:
    """Fetch one source, or a peer's next chunk of at most CHUNK_ROWS rows after its
    stored checkpoint (network only: nothing is written, no lock is held)."""
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
            chunk=CHUNK_ROWS,
            latest=latest,
        )
        st.pages.extend(st.got.pages)
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


def store(inst: Instance, st: Staged, now: dt.datetime) -> Stored:
    """Store one fetched source or chunk, holding the pull lock for this transaction only
    (taken here; a caller that holds it already nests)."""
    from mediaproof.services.exchange_pull import PULL_LOCK, PULL_LOCK_TIMEOUT_S

    with hold(inst.db, PULL_LOCK, timeout_s=PULL_LOCK_TIMEOUT_S):
        return _store(inst, st, now)


def combine(before: PullResult | None, r: PullResult) -> PullResult:
    """A pull's result over its chunks: the last chunk's status, every chunk's rows."""
    from mediaproof.services.exchange_pull import PullResult

    if before is None:
        return r
    return PullResult(
        r.peer,
        r.status,
        before.added + r.added,
        before.removed + r.removed,
        r.size or before.size,
        r.message,
    )


def _store(inst: Instance, st: Staged, now: dt.datetime) -> Stored:
    from mediaproof.services import exchange_sources
    from mediaproof.services.exchange_pull import PullResult, _backoff

    peer, name = st.peer, st.peer.name
    if _superseded(inst, st):
        log.info("exchange: %s was pulled by another puller meanwhile: fetch dropped", name)
        return Stored(PullResult(name, "ok", message="pulled meanwhile by another puller"))
    if peer.is_pytx:
        return Stored(exchange_sources.store_source(inst, peer, st.fetched, st.error, now=now))
    more: PeerRecord | None = None
    latest: int | None = None
    status, message = "ok", None
    added = removed = 0
    size = peer.trusted_size
    try:
        if st.error is not None:
            raise st.error
        assert st.got is not None
        got = st.got
        # the chunk's pages (each checked as it was fetched), in one transaction with
        # the checkpoint they were proved against
        with inst.db.session() as s:
            repo = IncomingRepository(s)
            gated: dict[str, int] = {}
            if got.snapshot:
                applied = repo.replace_incoming(peer.id, st.pages[0], now)
                added, removed, gated = applied.added, applied.removed, applied.gated
            else:
                for page in st.pages:
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
            if got.more:
                more, latest = after, got.latest
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
    return Stored(PullResult(name, status, added, removed, size, message), more, latest)


def _submit(
    inst: Instance, peer: PeerRecord, client: httpx.Client, latest: int | None = None
) -> cf.Future[Staged]:
    """:func:`stage` on a daemon thread of its own: a fetch still in flight when the
    process exits must not hold the exit up (a pool's workers are joined at exit)."""
    fut: cf.Future[Staged] = cf.Future()

    def run() -> None:
        try:
            fut.set_result(stage(inst, peer, client, latest))
        except BaseException as e:  # handed to the round
            fut.set_exception(e)

    threading.Thread(target=run, name=f"exchange-fetch-{peer.name}", daemon=True).start()
    return fut


class Round:
    """Fetches kept in flight across rounds (the scheduler's); a plain ``pull`` uses one
    for a single round and waits for every fetch."""

    def __init__(self) -> None:
        self.inflight: dict[str, cf.Future[Staged]] = {}
        self.partial: dict[str, PullResult] = {}  # a backlog's chunks stored so far

    def close(self) -> None:
        # a fetch still in flight finishes on its own (each has its deadline), unstored
        self.inflight.clear()
        self.partial.clear()

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
        it arrives (a backlog chunk by chunk, each chunk's store under the pull lock),
        until all are stored or ``wait_s`` has passed (None: all)."""
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
                    got = store(inst, f.result(), now or dt.datetime.now(dt.UTC))
                    self.partial[n] = combine(self.partial.get(n), got.result)
                    if got.more is not None:  # the backlog's next chunk, lock let go
                        self.inflight[n] = _submit(inst, got.more, client, got.latest)
                    else:
                        out[n] = self.partial.pop(n)
        return [out[n] for n in names if n in out]
