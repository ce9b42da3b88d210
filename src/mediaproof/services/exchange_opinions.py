"""Opinions on the signals of a published collection (docs/exchange.md, "Opinions").

A peer whose token was granted the collection with the ``exchange:opine`` scope says
``confirmed``, ``false_positive``, ``disputed`` or ``seen`` about one signal, with a
reason; an exchange admin (or the operator's CLI) opines as the publisher (its
``confirmed`` re-enables a signal a peer suspended). Each opinion is appended to the
collection's log, so peers see it in the feed with its inclusion proof. The bank asks
``ExchangeRepository.suspended_values`` before it acts automatically on a match.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from mediaproof.accounts.models import Permission, Principal
from mediaproof.errors import ConflictError, NotFoundError, PermissionDeniedError
from mediaproof.exchange.log import tree_of
from mediaproof.exchange.models import FeedRow, Opinion, parse_enum
from mediaproof.exchange.opinions import SignalOpinions, check_reason, opinions_of
from mediaproof.services.exchange_access import _authorise, audit_read
from mediaproof.services.exchange_collections import _now, _remember, _time
from mediaproof.services.instance import Instance
from mediaproof.storage.sql.repos_exchange import ExchangeRepository, spec_of

if TYPE_CHECKING:  # rows are the repository's; services only read them
    from mediaproof.storage.sql.tables_exchange import ExchangeCollectionRow


def _is_local(who: Principal | None) -> bool:
    """The operator (CLI) or an exchange admin: opines as the publisher."""
    return who is None or who.can(Permission.MANAGE_EXCHANGE)


def _owner(
    repo: ExchangeRepository, who: Principal | None, name: str
) -> tuple[str, ExchangeCollectionRow]:
    """Who the opinion is from (the publisher's organisation, or the peer account) and
    the collection, after checking the caller may opine on it."""
    if _is_local(who):
        row = _authorise(repo, None, name)
        return row.organisation, row
    assert who is not None
    if who.token_id is None or not who.can(Permission.EXCHANGE_OPINE):
        raise PermissionDeniedError("opining needs an API token with the exchange:opine scope")
    row = _authorise(repo, who, name)  # the token must be granted the collection
    peer = who.user.username if who.user else ""
    if not peer or peer.casefold() == row.organisation.casefold():
        raise PermissionDeniedError("this account cannot opine on the publisher's behalf")
    return peer, row


def _signal(repo: ExchangeRepository, row: ExchangeCollectionRow, signal_id: int) -> FeedRow:
    """The signal update ``signal_id`` (a ``seq`` of this collection's feed)."""
    r = repo.update_at(row, signal_id)
    if r is None or r.opinion is not None:
        raise NotFoundError(f"no signal {signal_id} in collection {row.name!r}")
    return r


def _aggregate(
    repo: ExchangeRepository, row: ExchangeCollectionRow, sig: FeedRow
) -> SignalOpinions:
    rows = repo.signal_rows(row, sig.signal_type, sig.value)
    return opinions_of(row.organisation, spec_of(row).category, rows)


def _signal_json(sig: FeedRow, agg: SignalOpinions, live: bool) -> dict[str, Any]:
    return {
        "signal_id": sig.seq,
        "signal_type": sig.signal_type.value,
        "value": sig.value,
        "live": live,
        **agg.as_json(),
    }


def opine(
    inst: Instance,
    who: Principal | None,
    name: str,
    signal_id: int,
    opinion: str,
    reason: str,
    now: dt.datetime | None = None,
) -> dict[str, Any]:
    """Append an opinion on signal ``signal_id`` of collection ``name``; returns the
    opinion row (with its ``seq``) and the signal's aggregate after it."""
    op = parse_enum(Opinion, opinion, "opinion")
    now = now or _now()
    with inst.db.session() as s:
        repo = ExchangeRepository(s)
        owner, _ = _owner(repo, who, name)
        locked = repo.collection(name, lock=True)  # one append at a time per collection
        assert locked is not None
        sig = _signal(repo, locked, signal_id)
        text = check_reason(reason, [owner] if owner != locked.organisation else [])
        rows = repo.updates(locked)
        live = _live(rows, sig)
        if not live:
            raise ConflictError(
                f"signal {signal_id} was withdrawn from {name!r}",
                hint="opinions are for signals the collection still publishes",
            )
        r = FeedRow(
            collection=locked.name,
            seq=len(rows) + 1,
            signal_type=sig.signal_type,
            value=sig.value,
            category=op.category,
            tags=(),
            quality=None,
            owner=owner,
            deleted=False,
            time=_time(now),
            opinion=op,
            reason=text,
        )
        repo.append(locked, r, now)
        rows.append(r)
        s.flush()
        _remember(repo, locked, tree_of(rows))
        agg = _aggregate(repo, locked, sig)
        return {"opinion": r.as_json(), "signal": _signal_json(sig, agg, live)}


def _live(rows: list[FeedRow], sig: FeedRow) -> bool:
    last = None
    for r in rows:
        if r.opinion is None and r.signal_type is sig.signal_type and r.value == sig.value:
            last = r
    return last is not None and not last.deleted


def opinions(inst: Instance, who: Principal | None, name: str, signal_id: int) -> dict[str, Any]:
    """The opinions on one signal: latest per owner, counts, history, and whether it
    still acts automatically. Readable by whoever may read the collection."""
    with inst.db.session() as s:
        repo = ExchangeRepository(s)
        row = _authorise(repo, None if _is_local(who) else who, name)
        sig = _signal(repo, row, signal_id)
        rows = repo.updates(row)
        agg = _aggregate(repo, row, sig)
        audit_read(
            repo,
            row,
            who,
            "opinions",
            after=signal_id,
            rows=len(agg.history),
            size=len(rows),
            now=_now(),
        )
        return _signal_json(sig, agg, _live(rows, sig))


def disputes(inst: Instance) -> list[dict[str, Any]]:
    """Every signal that a peer's opinion stops acting, for the operator."""
    out = []
    with inst.db.session() as s:
        repo = ExchangeRepository(s)
        for c in repo.collections():
            by_signal: dict[tuple[str, str], list[FeedRow]] = {}
            for _, r in repo.opinion_rows(collection_id=c.id):
                by_signal.setdefault((r.signal_type.value, r.value), []).append(r)
            for (st, value), rows in sorted(by_signal.items()):
                agg = opinions_of(c.organisation, spec_of(c).category, rows)
                sb = agg.suspended_by
                if sb is not None:
                    out.append(
                        {
                            "collection": c.name,
                            "signal_type": st,
                            "value": value,
                            "by": sb.owner,
                            "opinion": sb.opinion.value if sb.opinion else None,
                            "reason": sb.reason,
                            "seq": sb.seq,
                        }
                    )
    return out
