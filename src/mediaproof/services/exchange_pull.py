"""The pulling side of the hash exchange: peers (sources) and their review-only signals.

A pull fetches everything after the last accepted checkpoint, checks it (pinned key,
consistency with what was accepted before, inclusion of every row; see
:mod:`mediaproof.exchange.log`) and only then stores it, in one transaction: a big
backlog a chunk at a time, each chunk against a checkpoint the peer signs at its end
(:mod:`mediaproof.services.exchange_rounds`). A refused pull (chunk) stores nothing and
leaves the source marked ``refused`` with the reason; errors and refusals back off
exponentially. Received signals are held for review: the quality gate
keeps flat and low-quality PDQ hashes out (counted per source), and
:mod:`mediaproof.services.exchange_match` matches uploads against the rest (opening cases
for review, never acting) and sends our reviewers' verdicts back, at each pull round.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import logging
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlsplit

import httpx

from mediaproof.errors import NotFoundError, PermissionDeniedError, UsageError
from mediaproof.exchange.errors import PeerUnreachableError, PullRefusedError
from mediaproof.exchange.log import (
    ProvedRow,
    Trusted,
    open_pull,
    origin_for,
    verify_pull,
    verify_rows,
)
from mediaproof.exchange.models import MAX_PAGE, FeedRow, Opinion, check_name, parse_enum
from mediaproof.exchange.opinions import check_reason
from mediaproof.services.instance import Instance
from mediaproof.storage.sql.locks import hold
from mediaproof.storage.sql.repos_cases import aware_opt
from mediaproof.storage.sql.repos_exchange import MAX_SEQ
from mediaproof.storage.sql.repos_exchange_incoming import (
    IncomingCounts,
    IncomingRepository,
    PeerRecord,
)
from mediaproof.transparency.checkpoint import Checkpoint
from mediaproof.transparency.errors import NoteError
from mediaproof.transparency.note import Ed25519Verifier

if TYPE_CHECKING:
    from mediaproof.services.exchange_rounds import Round

log = logging.getLogger(__name__)

BACKOFF_BASE_S = 30
BACKOFF_MAX_S = 3600
MAX_PAGES = 10_000  # a pull of more than MAX_PAGES * MAX_PAGE updates goes on next time


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def peer_json(p: PeerRecord, signals: int | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {
        "name": p.name,
        "url": p.url,
        "collection": p.collection,
        "key": p.vkey,
        "status": p.status,
        "last_error": p.last_error,
        "failures": p.failures,
        "size": p.trusted_size,
        "last_pull_at": _iso(p.last_pull_at),
        "last_ok_at": _iso(p.last_ok_at),
        "next_attempt_at": _iso(p.next_attempt_at),
        # the quality gate kept these out of the matchable store (exchange/incoming.py)
        "gated": {"low_quality": p.gated_low_quality, "flat": p.gated_flat},
    }
    out["kind"] = p.kind
    if p.is_pytx:
        # a python-threatexchange exchange (services/exchange_sources.py): no signed
        # log, so no key or size; records of types we do not match are counted
        out["key"] = out["size"] = None
        out["skipped"] = p.skipped_types
        out["credentials_file"] = p.credentials_file  # the path only, never its contents
    if signals is not None:
        out["signals"] = signals
    return out


def _iso(t: dt.datetime | None) -> str | None:
    a = aware_opt(t)
    return a.isoformat() if a else None


def add_peer(
    inst: Instance,
    name: str,
    *,
    url: str,
    collection: str,
    token: str,
    key: str,
    now: dt.datetime | None = None,
) -> dict[str, Any]:
    check_name(name)
    check_name(collection)
    u = urlsplit(url)
    if u.scheme not in ("https", "http") or not u.netloc or u.query or u.fragment:
        raise UsageError("the peer URL must be the http(s) base URL of its instance")
    if not token.strip() or len(token) > 300:
        raise UsageError("the peer's token is missing or too long")
    try:
        Ed25519Verifier.from_vkey(key)
    except NoteError as e:
        raise UsageError(f"the pinned key is not a verifier key: {e.message}") from e
    with inst.db.session() as s:
        repo = IncomingRepository(s)
        if repo.peer(name) is not None:
            raise UsageError(f"a peer {name!r} exists already")
        p = repo.add_peer(
            name=name,
            url=url.rstrip("/"),
            collection=collection,
            token=token.strip(),
            vkey=key.strip(),
            now=now or _now(),
        )
        return peer_json(p, 0)


def peers(inst: Instance) -> list[dict[str, Any]]:
    """Every source with its status and what it holds, counted in SQL (a source may
    hold a million signals: none of them is loaded here)."""
    with inst.db.session() as s:
        repo = IncomingRepository(s)
        counts = repo.incoming_counts()
        out = []
        for p in repo.peers():
            c = counts.get(p.id, IncomingCounts(0, 0, 0))
            d = peer_json(p, c.signals)
            d["quarantined"] = c.quarantined
            d["awaiting_review"] = c.pending
            out.append(d)
        return out


def incoming(
    inst: Instance,
    name: str,
    *,
    review: str | None = None,
    limit: int | None = None,
    offset: int = 0,
) -> list[dict[str, Any]]:
    """A source's received signals in feed order: all, or one page (``limit`` rows
    after ``offset``), optionally only those in one review state (``pending``)."""
    with inst.db.session() as s:
        repo = IncomingRepository(s)
        p = repo.peer(name)
        if p is None:
            raise NotFoundError(f"no peer {name!r}")
        return [
            {
                "signal_type": r.signal_type,
                "value": r.value,
                "category": r.category,
                "tags": r.tags.split(),
                "quality": r.quality,
                "owner": r.owner,
                "seq": r.seq,
                "time": r.time,
                "review": r.review,
                "quarantined": r.quarantined_at is not None,
                "quarantine_reason": r.quarantine_reason,
            }
            for r in repo.incoming(p.id, review=review, limit=limit, offset=offset)
        ]


@dataclass(frozen=True)
class PullResult:
    peer: str
    status: str  # ok | refused | error | backoff
    added: int = 0
    removed: int = 0
    size: int = 0
    message: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "peer": self.peer,
            "status": self.status,
            "added": self.added,
            "removed": self.removed,
            "size": self.size,
            "message": self.message,
        }


def _hashes(items: Any) -> tuple[bytes, ...]:
    if not isinstance(items, list):
        raise PullRefusedError("a proof is not a list of hashes")
    try:
        return tuple(base64.b64decode(h, validate=True) for h in items)
    except (binascii.Error, TypeError, ValueError) as e:
        raise PullRefusedError("a proof hash is not base64") from e


def _rows(collection: str, items: Any) -> list[ProvedRow]:
    if not isinstance(items, list):
        raise PullRefusedError("the updates are not a list")
    out = []
    for d in items:
        if not isinstance(d, dict):
            raise PullRefusedError("an update is not an object")
        try:
            row = FeedRow.from_json(collection, d)
        except UsageError as e:
            raise PullRefusedError(f"update rejected: {e.message}") from e
        out.append(ProvedRow(row, _hashes(d.get("inclusion_proof", []))))
    return out


class _Fetcher:
    def __init__(self, client: httpx.Client, url: str, collection: str, token: str) -> None:
        self.client = client
        self.base = f"{url.rstrip('/')}/api/v1/exchange/collections/{quote(collection, safe='')}"
        self.headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}

    def get(self, path: str, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        try:
            r = self.client.get(self.base + path, params=params, headers=self.headers)
        except httpx.HTTPError as e:
            raise PeerUnreachableError(f"cannot reach the peer: {e}") from e
        try:
            body = r.json()
        except ValueError as e:
            raise PeerUnreachableError(f"the peer answered {r.status_code} without JSON") from e
        if not isinstance(body, dict):
            raise PeerUnreachableError("the peer's answer is not a JSON object")
        return r.status_code, body


def _error_of(status: int, body: dict[str, Any]) -> PeerUnreachableError:
    err = body.get("error") if isinstance(body.get("error"), dict) else body
    msg = err.get("message") if isinstance(err, dict) else None
    return PeerUnreachableError(f"the peer answered {status}: {msg or 'no message'}")


def _code_of(body: dict[str, Any]) -> str | None:
    err = body.get("error")
    if isinstance(err, dict):
        c = err.get("code")
        return c if isinstance(c, str) else None
    c = body.get("code")
    return c if isinstance(c, str) else None


@dataclass(frozen=True)
class Fetched:
    note: bytes
    checkpoint: Checkpoint
    rows: list[FeedRow]
    snapshot: bool


@dataclass(frozen=True)
class Pages:
    """A pull whose checkpoint is checked (signature, consistency with ``trusted``);
    ``pages`` yields the updates a page at a time, each page checked (inclusion, no
    gap) before it is yielded, and raises PullRefusedError or PeerUnreachableError on
    a page that fails: a consumer that stores as it goes must drop it all then."""

    note: bytes
    checkpoint: Checkpoint
    snapshot: bool
    pages: Iterator[list[FeedRow]]
    latest: int = 0  # the peer's size when the pull began (past ``checkpoint``: a chunk)

    @property
    def more(self) -> bool:
        """The peer had more than this chunk: the pull goes on from ``checkpoint``."""
        return self.latest > self.checkpoint.size


def fetch_pages(
    client: httpx.Client,
    *,
    url: str,
    collection: str,
    token: str,
    vkey: str,
    trusted: Trusted | None,
    chunk: int | None = None,
    latest: int | None = None,
) -> Pages:
    """Fetch everything after ``trusted`` from a mediaproof feed, verified (see
    :mod:`mediaproof.exchange.log`) page by page: memory stays one page however long
    the pull. Raises PullRefusedError or PeerUnreachableError.

    ``chunk``: fetch at most that many rows, proved against a checkpoint the peer signs
    at the chunk's end (``size``), itself consistent with ``trusted``: storing the chunk
    advances the trusted checkpoint there, as a whole pull would, and the next chunk
    goes on from it. ``latest``: the peer's size a previous chunk of this pull found
    (the first chunk learns it from the peer's current checkpoint)."""
    f = _Fetcher(client, url, collection, token)
    try:
        key = Ed25519Verifier.from_vkey(vkey)
    except NoteError as e:
        raise PullRefusedError(f"the pinned key is not a verifier key: {e.message}") from e
    origin = origin_for(key.name, collection)
    after = trusted.size if trusted is not None else 0
    params: dict[str, Any] = {"after": after, "limit": MAX_PAGE}
    if chunk is not None and latest is not None and latest > after:
        params["size"] = min(latest, after + chunk)
    status, body = f.get("/updates", params)
    if status == 410 and _code_of(body) == "reload_snapshot":
        status, body = f.get("/snapshot", {"format": "json", "old": after})
        if status != 200:
            raise _error_of(status, body)
        note = str(body.get("checkpoint", "")).encode()
        proved = _rows(collection, body.get("signals"))
        cp = verify_pull(
            key,
            origin,
            trusted,
            note,
            _hashes(body.get("consistency_proof", [])),
            proved,
            contiguous=False,
        )
        return Pages(note, cp, True, iter([[p.row for p in proved]]), cp.size)
    if status != 200:
        raise _error_of(status, body)
    note = str(body.get("checkpoint", "")).encode()
    cp = open_pull(key, origin, trusted, note, _hashes(body.get("consistency_proof", [])))
    latest = max(cp.size, latest or 0)
    if chunk is not None and "size" not in params and cp.size - after > chunk:
        # more than a chunk behind: this chunk is proved against the peer's checkpoint
        # at its end instead (one page asked twice per pull)
        params["size"] = after + chunk
        status, body = f.get("/updates", params)
        if status != 200:
            raise _error_of(status, body)
        note = str(body.get("checkpoint", "")).encode()
        cp = open_pull(key, origin, trusted, note, _hashes(body.get("consistency_proof", [])))
    if "size" in params and cp.size != params["size"]:
        raise PullRefusedError(f"the peer signed size {cp.size} when asked for {params['size']}")
    first = _rows(collection, body.get("updates"))
    expected = verify_rows(cp, first, after + 1)

    def pages() -> Iterator[list[FeedRow]]:
        nonlocal after, body, expected
        yield [p.row for p in first]
        size = body.get("size")
        n = 1
        while body.get("more") is True:
            nxt = body.get("next")
            if (
                not isinstance(nxt, int)
                or not isinstance(size, int)
                or nxt <= after
                or n >= MAX_PAGES
            ):
                break
            after = nxt
            status, body = f.get("/updates", {"after": after, "limit": MAX_PAGE, "size": size})
            if status != 200:
                raise _error_of(status, body)
            if str(body.get("checkpoint", "")).encode() != note:
                raise PullRefusedError("the peer changed its checkpoint in the middle of a pull")
            page = _rows(collection, body.get("updates"))
            expected = verify_rows(cp, page, expected)
            n += 1
            yield [p.row for p in page]

    return Pages(note, cp, False, pages(), latest)


def fetch_verified(
    client: httpx.Client,
    *,
    url: str,
    collection: str,
    token: str,
    vkey: str,
    trusted: Trusted | None,
) -> Fetched:
    """:func:`fetch_pages`, every page in one list (all verified before it returns).
    Also used by the python-threatexchange extension (``mediaproof.exchange_pytx``)."""
    got = fetch_pages(
        client, url=url, collection=collection, token=token, vkey=vkey, trusted=trusted
    )
    rows = [r for page in got.pages for r in page]
    return Fetched(got.note, got.checkpoint, rows, got.snapshot)


def _backoff(failures: int) -> dt.timedelta:
    return dt.timedelta(seconds=min(BACKOFF_MAX_S, BACKOFF_BASE_S * 2 ** max(0, failures - 1)))


def pull_one(
    inst: Instance,
    name: str,
    *,
    client: httpx.Client | None = None,
    now: dt.datetime | None = None,
    force: bool = False,
) -> PullResult:
    """Pull one source now (fetch, then store, a chunk at a time, each chunk's store
    under the pull lock: services/exchange_rounds.py)."""
    from mediaproof.services import exchange_rounds as rounds

    now = now or _now()
    peer = rounds.due(inst, name, now, force)
    if not isinstance(peer, PeerRecord):
        return peer
    own = client is None
    http = client or httpx.Client(timeout=30.0, follow_redirects=False)
    try:
        done: PullResult | None = None
        latest: int | None = None
        while True:
            got = rounds.store(inst, rounds.stage(inst, peer, http, latest), now)
            done = rounds.combine(done, got.result)
            if got.more is None:
                return done
            peer, latest = got.more, got.latest
    finally:
        if own:
            http.close()


PULL_LOCK = "exchange-pull"
PULL_LOCK_TIMEOUT_S = 300.0  # held to store one chunk (services/exchange_rounds.py)


def pull(
    inst: Instance,
    name: str | None = None,
    *,
    client: httpx.Client | None = None,
    now: dt.datetime | None = None,
    force: bool = False,
    wait_s: float | None = None,
    _round: Round | None = None,
) -> list[PullResult]:
    """Pull every source (or ``name``). ``wait_s``/``_round``: the scheduler's, whose
    round stores what arrives within ``wait_s`` and keeps slower fetches in flight for
    its next round."""
    if name is not None:
        names = [name]
    else:
        with inst.db.session() as s:
            names = [p.name for p in IncomingRepository(s).peers()]
    from mediaproof.services.exchange_rounds import Round

    own = client is None
    http = client or httpx.Client(timeout=30.0, follow_redirects=False)
    r = _round or Round()
    try:
        # the sources are fetched at once, with no lock held, and each stored as it
        # arrives (a backlog a chunk at a time) holding the pull lock for that one
        # transaction, whoever pulls (the scheduler's round, a worker's queued round,
        # `mediaproof exchange pull`): a chunk whose source another puller stored since
        # its fetch began is dropped, so two never interleave a peer's checkpoints
        out = r.run(inst, names, http, now=now, force=force, wait_s=wait_s)
    finally:
        if _round is None:
            r.close()
        if own:
            http.close()
    # verdicts of cases decided since the last round go back to their sources (a failure
    # to send stays queued); imported here: exchange_match imports this module
    from mediaproof.services import exchange_match

    exchange_match.send_verdicts(inst, client=client, now=now)
    return out


PULL_SCHEDULER_LOCK = "exchange-pull-scheduler"


class PullScheduler:
    """Pulls every peer each ``interval_s`` on a daemon thread (``mediaproof serve``).

    Each peer's backoff applies, so a failing source is tried again only when due. With
    no peers configured it makes no network call. A failing round is logged and the loop
    goes on; stopping waits for the pull in progress (bounded by the HTTP timeout).
    """

    def __init__(
        self,
        inst: Instance,
        interval_s: float,
        timeout_s: float = 30.0,
        enqueue: Callable[[], object] | None = None,
    ) -> None:
        self.inst = inst
        self.interval_s = interval_s
        self.timeout_s = timeout_s
        self.enqueue = enqueue  # a broker is configured: workers pull (services.queued_rounds)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        # fetches still in flight at the end of a round are stored by a later one, so a
        # slow source does not hold up the others' next rounds
        self._fetches: Round | None = None
        self._client: httpx.Client | None = None

    def start(self) -> None:
        if self._thread is None and self.interval_s > 0:
            self._stop.clear()
            self._thread = threading.Thread(target=self._run, name="exchange-pull", daemon=True)
            self._thread.start()

    def _run(self) -> None:
        # one scheduler per instance (issue 20): the process that holds the database's
        # lock pulls; the others wait, and one takes over when the holder is gone
        while not self._stop.wait(self.interval_s):
            try:
                with hold(self.inst.db, PULL_SCHEDULER_LOCK, timeout_s=0) as lease:
                    while lease.check():
                        self._round()
                        if self._stop.wait(self.interval_s):
                            return
            except Exception as e:  # the database unreachable: try again next round
                log.warning("exchange pull scheduler: no lock: %s", type(e).__name__)

    def _round(self) -> None:
        if self.enqueue is not None:
            self.enqueue()
            return
        from mediaproof.services.exchange_rounds import Round

        if self._fetches is None or self._client is None:
            self._fetches = Round()
            self._client = httpx.Client(timeout=self.timeout_s, follow_redirects=False)
        try:
            wait = max(self.interval_s, 0.5)
            for r in pull(self.inst, client=self._client, wait_s=wait, _round=self._fetches):
                if r.status in ("refused", "error"):
                    log.warning("exchange: %s: %s: %s", r.peer, r.status, r.message)
        except Exception as e:  # a bad round must not end the loop
            log.warning("exchange pull round failed: %s", type(e).__name__)

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(self.timeout_s * 2 + 10)
            self._thread = None
        if self._fetches is not None:
            self._fetches.close()
            self._fetches = None
        if self._client is not None:
            self._client.close()
            self._client = None


def send_opinion(
    inst: Instance,
    name: str,
    signal_id: int,
    opinion: str,
    reason: str,
    client: httpx.Client | None = None,
) -> dict[str, Any]:
    """Tell peer ``name`` what our reviewers found about its signal ``signal_id`` (the
    ``seq`` we received it at): a POST to its opinion route with the stored token, which
    the peer must have granted the ``exchange:opine`` scope. The reason is checked and
    scrubbed here before it leaves, and again by the peer."""
    op = parse_enum(Opinion, opinion, "opinion")
    text = check_reason(reason)
    if not 1 <= signal_id <= MAX_SEQ:
        raise UsageError("the signal id is the seq of the peer's feed row (1 or more)")
    with inst.db.session() as s:
        p = IncomingRepository(s).peer(name)
    if p is None:
        raise NotFoundError(f"no peer {name!r}")
    if p.is_pytx:
        raise UsageError(
            f"{name!r} is a {p.kind} source: verdicts go back through python-threatexchange "
            "when a case it opened is decided (`mediaproof exchange verdicts`)"
        )
    url, collection, token = p.url, p.collection, p.token
    f = _Fetcher(
        client or httpx.Client(timeout=30.0, follow_redirects=False), url, collection, token
    )
    try:
        r = f.client.post(
            f"{f.base}/signals/{signal_id}/opinions",
            json={"opinion": op.value, "reason": text},
            headers=f.headers,
        )
    except httpx.HTTPError as e:
        raise PeerUnreachableError(f"cannot reach the peer: {e}") from e
    finally:
        if client is None:
            f.client.close()
    try:
        body = r.json()
    except ValueError as e:
        raise PeerUnreachableError(f"the peer answered {r.status_code} without JSON") from e
    if r.status_code != 201 or not isinstance(body, dict):
        err = _error_of(r.status_code, body if isinstance(body, dict) else {})
        if r.status_code in (401, 403):
            raise PermissionDeniedError(
                err.message, hint="the peer must grant our token the exchange:opine scope"
            )
        if r.status_code == 404:
            raise NotFoundError(err.message)
        if 400 <= r.status_code < 500:
            raise UsageError(err.message)
        raise err
    log.info("exchange: sent a %s opinion on %s/%d to %s", op.value, collection, signal_id, name)
    return body
