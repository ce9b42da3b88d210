"""Contributions (docs/exchange.md, "Contributions"): peers submit signals to a
collection they were granted with the ``exchange:contribute`` scope; a reviewer of this
instance accepts one (it becomes a signal row of the collection's feed and a leaf of its
log, owned by the contributing peer) or rejects it with a reason. Nothing a peer submits
is published before a person accepted it. Every submission is kept (the contribution
row: token, account, time, and later who decided, when and why) and is also a row of the
collection's access audit (``exchange reads``).

On the pulling side, :func:`send_contribution` submits a signal to a peer we pull from,
with the token stored for it.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any
from urllib.parse import quote

import httpx

from mediaproof.accounts.models import Permission, Principal, Role
from mediaproof.errors import ConflictError, NotFoundError, PermissionDeniedError, UsageError
from mediaproof.exchange.contributions import (
    ContributionStatus,
    check_contribution,
)
from mediaproof.exchange.errors import PeerUnreachableError
from mediaproof.exchange.log import tree_of
from mediaproof.exchange.models import FeedRow, live_signals, parse_enum
from mediaproof.exchange.opinions import check_reason
from mediaproof.services.exchange_access import _authorise, audit_read
from mediaproof.services.exchange_collections import _now, _remember, _time, existing_collection
from mediaproof.services.instance import Instance
from mediaproof.storage.sql.repos_exchange import ExchangeRepository, digest, spec_of
from mediaproof.storage.sql.repos_exchange_contrib import ContributionRepository
from mediaproof.storage.sql.repos_exchange_incoming import IncomingRepository

log = logging.getLogger("mediaproof.services.exchange")

OPERATOR = "operator"  # decided_by when the instance's CLI decides
MAX_LIST = 500


def _contributor(repo: ExchangeRepository, who: Principal, name: str) -> str:
    """The peer account submitting to collection ``name``, after checking it may."""
    role = who.user.role if who.user else None
    if who.token_id is None or role is not Role.PEER:
        raise PermissionDeniedError(
            "contributions come from a peer's API token granted the exchange:contribute scope"
        )
    if not who.can(Permission.EXCHANGE_CONTRIBUTE):
        raise PermissionDeniedError(
            "contributing needs an API token with the exchange:contribute scope"
        )
    row = _authorise(repo, who, name)  # the token must be granted the collection
    peer = who.user.username if who.user else ""
    if not peer or peer.casefold() == row.organisation.casefold():
        raise PermissionDeniedError("this account cannot contribute on the publisher's behalf")
    return peer


def contribute(
    inst: Instance,
    who: Principal,
    name: str,
    *,
    signal_type: str,
    value: str,
    reason: str,
    category: str = "positive_class",
    tags: list[str] | tuple[str, ...] = (),
    quality: int | None = None,
    now: dt.datetime | None = None,
) -> dict[str, Any]:
    """Submit a signal to collection ``name`` for review; returns the pending
    contribution. 409 when the collection publishes it already, withdrew it, or holds it
    pending already."""
    now = now or _now()
    with inst.db.session() as s:
        repo = ExchangeRepository(s)
        peer = _contributor(repo, who, name)
        row = existing_collection(repo, name)
        got = check_contribution(
            signal_type,
            value,
            category,
            tags,
            quality,
            reason,
            allowed=spec_of(row).signal_types,
            known=(peer,),
        )
        _refuse_duplicate(repo, row, got.signal_type, got.value)
        contrib = ContributionRepository(s)
        if contrib.pending_for(row, got.signal_type, got.value):
            raise ConflictError(
                "this signal is already waiting for review in this collection",
                hint="GET .../contributions lists yours and their status",
            )
        c = contrib.add(
            row,
            got,
            contributor=peer,
            user_id=who.user.id if who.user else None,
            token_id=who.token_id,
            now=now,
        )
        audit_read(repo, row, who, "contribute", after=c.id, rows=1, size=repo.size(row), now=now)
        log.info(
            "exchange: %s contributed a %s signal to %s (#%d)", peer, c.signal_type, name, c.id
        )
        return c.as_json()


def _refuse_duplicate(repo: ExchangeRepository, row: Any, st: Any, value: str) -> None:
    if (st.value, digest(value)) in repo.withdrawn(row):
        raise ConflictError(
            "this signal was withdrawn from the collection",
            hint="a withdrawn signal is not published again",
        )
    if (st, value) in live_signals(repo.updates(row)):
        raise ConflictError("the collection publishes this signal already")


def my_contributions(inst: Instance, who: Principal, name: str) -> list[dict[str, Any]]:
    """A peer's own contributions to collection ``name`` and their status."""
    with inst.db.session() as s:
        repo = ExchangeRepository(s)
        _contributor(repo, who, name)
        row = existing_collection(repo, name)
        found = ContributionRepository(s).listed(
            collection=row, user_id=who.user.id if who.user else -1, limit=MAX_LIST
        )
        audit_read(
            repo, row, who, "contributions", after=None, rows=len(found), size=repo.size(row),
            now=_now(),
        )  # fmt: skip
        return [c.as_json() for c in found]


def contributions(
    inst: Instance, *, status: str | None = None, collection: str | None = None
) -> list[dict[str, Any]]:
    """Contributions for the publisher's reviewers, newest first (at most 500)."""
    st = parse_enum(ContributionStatus, status, "status") if status else None
    with inst.db.session() as s:
        row = existing_collection(ExchangeRepository(s), collection) if collection else None
        found = ContributionRepository(s).listed(collection=row, status=st, limit=MAX_LIST)
        return [c.as_json() for c in found]


def contribution_counts(inst: Instance) -> dict[str, dict[str, int]]:
    """collection -> status -> how many, for the overview page."""
    out: dict[str, dict[str, int]] = {}
    with inst.db.session() as s:
        for (name, st), n in ContributionRepository(s).counts().items():
            out.setdefault(name, {})[st] = n
    return out


def _pending(repo: ContributionRepository, contribution_id: int) -> Any:
    got = repo.get(contribution_id, lock=True)
    if got is None:
        raise NotFoundError(f"no contribution {contribution_id}")
    c, row = got
    if c.status is not ContributionStatus.PENDING:
        raise ConflictError(
            f"contribution {contribution_id} was {c.status.value} already",
            hint=f"by {c.decided_by} at {c.decided_at}",
        )
    return c, row


def accept(
    inst: Instance, contribution_id: int, by: str | None = None, now: dt.datetime | None = None
) -> dict[str, Any]:
    """Publish a pending contribution: a new signal row of its collection's feed (a leaf
    of the log), owned by the contributing peer. ``by`` is the reviewer."""
    now = now or _now()
    with inst.db.session() as s:
        contrib = ContributionRepository(s)
        repo = ExchangeRepository(s)
        c, _ = _pending(contrib, contribution_id)
        locked = existing_collection(repo, c.collection, lock=True)  # one append at a time
        if c.signal_type not in spec_of(locked).signal_types:
            raise ConflictError(f"the collection no longer takes {c.signal_type.value} signals")
        _refuse_duplicate(repo, locked, c.signal_type, c.value)
        rows = repo.updates(locked)
        r = FeedRow(
            collection=locked.name,
            seq=len(rows) + 1,
            signal_type=c.signal_type,
            value=c.value,
            category=c.category,
            tags=c.tags,
            quality=c.quality,
            owner=c.contributor,
            deleted=False,
            time=_time(now),
        )
        repo.append(locked, r, now)
        rows.append(r)
        contrib.decide(
            c.id, ContributionStatus.ACCEPTED, by=by or OPERATOR, reason=None, seq=r.seq, now=now
        )
        s.flush()
        _remember(repo, locked, tree_of(rows))
        log.info("exchange: contribution #%d accepted into %s as seq %d", c.id, c.collection, r.seq)
        done = contrib.get(c.id)
        assert done is not None
        return {"contribution": done[0].as_json(), "update": r.as_json()}


def reject(
    inst: Instance,
    contribution_id: int,
    reason: str,
    by: str | None = None,
    now: dt.datetime | None = None,
) -> dict[str, Any]:
    """Refuse a pending contribution, with a reason the contributor can read."""
    now = now or _now()
    if not reason.strip():
        raise UsageError("say why the contribution is rejected")
    with inst.db.session() as s:
        contrib = ContributionRepository(s)
        c, _ = _pending(contrib, contribution_id)
        text = check_reason(reason, [c.contributor])
        contrib.decide(
            c.id, ContributionStatus.REJECTED, by=by or OPERATOR, reason=text, seq=None, now=now
        )
        s.flush()
        done = contrib.get(c.id)
        assert done is not None
        return {"contribution": done[0].as_json()}


# --- the pulling side: submit to a peer -------------------------------------------------


def _peer_target(inst: Instance, name: str) -> tuple[str, str, str]:
    with inst.db.session() as s:
        p = IncomingRepository(s).peer(name)
        if p is None:
            raise NotFoundError(f"no peer {name!r}")
        if p.is_pytx:  # a python-threatexchange exchange: no contribution route
            raise UsageError(f"{name!r} is a {p.kind} source: it takes no contributions")
        return p.url, p.collection, p.token


def send_contribution(
    inst: Instance,
    name: str,
    *,
    signal_type: str,
    value: str,
    reason: str,
    category: str = "positive_class",
    tags: list[str] | tuple[str, ...] = (),
    quality: int | None = None,
    client: httpx.Client | None = None,
) -> dict[str, Any]:
    """Submit a signal to peer ``name``'s collection with the token stored for it (the
    peer must have granted it the ``exchange:contribute`` scope). The reason is checked
    and scrubbed before it leaves, and again by the peer."""
    text = check_reason(reason) if reason.strip() else ""
    if not text:
        raise UsageError("say why: a contribution needs a reason")
    url, collection, token = _peer_target(inst, name)
    body: dict[str, Any] = {
        "signal_type": signal_type,
        "value": value,
        "category": category,
        "tags": list(tags),
        "reason": text,
    }
    if quality is not None:
        body["quality"] = quality
    own = client is None
    c = client or httpx.Client(timeout=30.0, follow_redirects=False)
    target = f"{url.rstrip('/')}/api/v1/exchange/collections/{quote(collection, safe='')}"
    try:
        r = c.post(
            f"{target}/contributions",
            json=body,
            headers={"Authorization": f"Bearer {token}", "Accept": "application/json"},
        )
    except httpx.HTTPError as e:
        raise PeerUnreachableError(f"cannot reach the peer: {e}") from e
    finally:
        if own:
            c.close()
    try:
        answer = r.json()
    except ValueError as e:
        raise PeerUnreachableError(f"the peer answered {r.status_code} without JSON") from e
    if r.status_code == 201 and isinstance(answer, dict):
        log.info("exchange: sent a contribution to %s (%s)", name, collection)
        return answer
    body_ = answer if isinstance(answer, dict) else {}
    err = body_.get("error") if isinstance(body_.get("error"), dict) else body_
    msg = err.get("message") if isinstance(err, dict) else None
    msg = f"the peer answered {r.status_code}: {msg or 'no message'}"
    if r.status_code in (401, 403):
        raise PermissionDeniedError(
            msg, hint="the peer must grant our token the exchange:contribute scope"
        )
    if r.status_code == 404:
        raise NotFoundError(msg)
    if r.status_code == 409:
        raise ConflictError(msg)
    if 400 <= r.status_code < 500:
        raise UsageError(msg)
    raise PeerUnreachableError(msg)
