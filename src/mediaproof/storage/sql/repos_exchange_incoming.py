"""Repositories of the pulling side of the hash exchange: the peers (sources), the
signals received from them and the operator's local negative list; the matches of
uploads against those signals and the verdicts sent back (an outbox) are in
``repos_exchange_verdicts``, mixed into the same repository. They hand back plain
records, so the services need no table rows."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, cast

from sqlalchemy import Table, case, delete, func, insert, select
from sqlalchemy.orm import Session

from mediaproof.exchange.incoming import Gate, gate
from mediaproof.exchange.models import FeedRow
from mediaproof.storage.sql.repos_exchange import digest
from mediaproof.storage.sql.repos_exchange_verdicts import MatchesAndVerdicts
from mediaproof.storage.sql.tables_exchange import (
    ExchangeIncomingRow,
    ExchangeNegativeRow,
    ExchangePeerRow,
)


@dataclass(frozen=True)
class PeerRecord:
    id: int
    name: str
    url: str
    collection: str
    token: str
    vkey: str
    trusted_size: int
    trusted_root: str | None
    checkpoint: str | None
    status: str
    last_error: str | None
    failures: int
    last_pull_at: dt.datetime | None
    last_ok_at: dt.datetime | None
    next_attempt_at: dt.datetime | None
    gated_low_quality: int
    gated_flat: int
    # "mediaproof" or "pytx:<exchange>" (services/exchange_sources.py)
    kind: str = "mediaproof"
    source_config: str | None = None
    credentials_file: str | None = None
    pytx_checkpoint: str | None = None
    skipped_types: int = 0

    @property
    def is_pytx(self) -> bool:
        return self.kind != "mediaproof"


@dataclass(frozen=True)
class IncomingRecord:
    id: int
    peer_id: int
    signal_type: str
    value: str
    category: str
    tags: str
    quality: int | None
    owner: str
    seq: int
    time: str
    review: str
    quarantined_at: dt.datetime | None
    quarantine_reason: str | None


@dataclass(frozen=True)
class NegativeRecord:
    id: int
    signal_type: str
    value: str
    reason: str
    at: dt.datetime


@dataclass
class Applied:
    added: int = 0
    removed: int = 0
    gated: dict[str, int] = field(default_factory=dict)


def _peer(p: ExchangePeerRow) -> PeerRecord:
    return PeerRecord(
        p.id,
        p.name,
        p.url,
        p.collection,
        p.token,
        p.vkey,
        p.trusted_size,
        p.trusted_root,
        p.checkpoint,
        p.status,
        p.last_error,
        p.failures,
        p.last_pull_at,
        p.last_ok_at,
        p.next_attempt_at,
        p.gated_low_quality or 0,
        p.gated_flat or 0,
        p.kind or "mediaproof",
        p.source_config,
        p.credentials_file,
        p.pytx_checkpoint,
        p.skipped_types or 0,
    )


def _incoming(i: ExchangeIncomingRow) -> IncomingRecord:
    return IncomingRecord(
        i.id,
        i.peer_id,
        i.signal_type,
        i.value,
        i.category,
        i.tags,
        i.quality,
        i.owner,
        i.seq,
        i.time,
        i.review,
        i.quarantined_at,
        i.quarantine_reason,
    )


IN_CHUNK = 500  # values bound in one IN (...): SQLite allows 32766, this keeps plans small


def _chunks(items: Iterable[Any], n: int = IN_CHUNK) -> Iterator[list[Any]]:
    batch: list[Any] = []
    for x in items:
        batch.append(x)
        if len(batch) == n:
            yield batch
            batch = []
    if batch:
        yield batch


@dataclass(frozen=True)
class IncomingCounts:
    signals: int
    pending: int  # awaiting review
    quarantined: int


def _negative(n: ExchangeNegativeRow) -> NegativeRecord:
    return NegativeRecord(n.id, n.signal_type, n.value, n.reason, n.at)


class IncomingRepository(MatchesAndVerdicts):
    def __init__(self, session: Session) -> None:
        self.s = session

    # --- peers --------------------------------------------------------------------

    def add_peer(
        self, *, name: str, url: str, collection: str, token: str, vkey: str, now: dt.datetime
    ) -> PeerRecord:
        row = ExchangePeerRow(
            name=name,
            url=url,
            collection=collection,
            token=token,
            vkey=vkey,
            trusted_size=0,
            status="new",
            failures=0,
            created_at=now,
            gated_low_quality=0,
            gated_flat=0,
        )
        self.s.add(row)
        self.s.flush()
        return _peer(row)

    def _peer_row(self, name: str) -> ExchangePeerRow | None:
        return self.s.scalars(
            select(ExchangePeerRow).where(ExchangePeerRow.name == name)
        ).one_or_none()

    def peer(self, name: str) -> PeerRecord | None:
        p = self._peer_row(name)
        return _peer(p) if p is not None else None

    def peers(self) -> list[PeerRecord]:
        return [
            _peer(p) for p in self.s.scalars(select(ExchangePeerRow).order_by(ExchangePeerRow.name))
        ]

    def peers_by_id(self) -> dict[int, PeerRecord]:
        return {p.id: p for p in self.peers()}

    def pull_ok(
        self, name: str, now: dt.datetime, *, size: int, root: str, note: str
    ) -> PeerRecord:
        p = self._peer_row(name)
        assert p is not None
        p.last_pull_at = now
        p.trusted_size, p.trusted_root, p.checkpoint = size, root, note
        p.status, p.last_error, p.failures = "ok", None, 0
        p.last_ok_at, p.next_attempt_at = now, None
        return _peer(p)

    def pull_failed(
        self, name: str, now: dt.datetime, *, status: str, message: str | None, retry_s: float
    ) -> PeerRecord:
        p = self._peer_row(name)
        assert p is not None
        p.last_pull_at = now
        p.status, p.last_error = status, message
        p.failures += 1
        p.next_attempt_at = now + dt.timedelta(seconds=retry_s)
        return _peer(p)

    # --- received signals ---------------------------------------------------------

    def _incoming_rows(self, peer_id: int) -> list[ExchangeIncomingRow]:
        return list(
            self.s.scalars(
                select(ExchangeIncomingRow)
                .where(ExchangeIncomingRow.peer_id == peer_id)
                .order_by(ExchangeIncomingRow.seq)
            )
        )

    def incoming(
        self,
        peer_id: int,
        *,
        review: str | None = None,
        limit: int | None = None,
        offset: int = 0,
    ) -> list[IncomingRecord]:
        """A source's signals in feed order, all or one page (``review``: only those in
        that review state)."""
        q = select(ExchangeIncomingRow).where(ExchangeIncomingRow.peer_id == peer_id)
        if review is not None:
            q = q.where(ExchangeIncomingRow.review == review)
        q = q.order_by(ExchangeIncomingRow.seq).offset(max(0, offset))
        if limit is not None:
            q = q.limit(limit)
        return [_incoming(i) for i in self.s.scalars(q)]

    def count_incoming(self, peer_id: int) -> int:
        n = self.s.scalar(
            select(func.count(ExchangeIncomingRow.id)).where(ExchangeIncomingRow.peer_id == peer_id)
        )
        return int(n or 0)

    def incoming_counts(self) -> dict[int, IncomingCounts]:
        """Per source: signals held, awaiting review, quarantined; counted in SQL."""
        q = select(
            ExchangeIncomingRow.peer_id,
            func.count(ExchangeIncomingRow.id),
            func.sum(case((ExchangeIncomingRow.review == "pending", 1), else_=0)),
            func.sum(case((ExchangeIncomingRow.quarantined_at.is_not(None), 1), else_=0)),
        ).group_by(ExchangeIncomingRow.peer_id)
        return {
            int(p): IncomingCounts(int(n or 0), int(w or 0), int(qn or 0))
            for p, n, w, qn in self.s.execute(q).all()
        }

    # --- what the matching index reads (services/exchange_index.py) ----------------

    def received_after(self, last_id: int, limit: int) -> list[tuple[int, str, str]]:
        """``(id, signal_type, value)`` of received signals with ids above ``last_id``,
        in id order (ids are never reused: migration 0026)."""
        q = (
            select(
                ExchangeIncomingRow.id, ExchangeIncomingRow.signal_type, ExchangeIncomingRow.value
            )
            .where(ExchangeIncomingRow.id > last_id)
            .order_by(ExchangeIncomingRow.id)
            .limit(limit)
        )
        return [(int(i), t, v) for i, t, v in self.s.execute(q).all()]

    def negatives_after(self, last_id: int, limit: int) -> list[tuple[int, str, str]]:
        q = (
            select(
                ExchangeNegativeRow.id, ExchangeNegativeRow.signal_type, ExchangeNegativeRow.value
            )
            .where(ExchangeNegativeRow.id > last_id)
            .order_by(ExchangeNegativeRow.id)
            .limit(limit)
        )
        return [(int(i), t, v) for i, t, v in self.s.execute(q).all()]

    def incoming_by_ids(self, ids: Collection[int]) -> list[IncomingRecord]:
        out: list[IncomingRecord] = []
        for chunk in _chunks(sorted(set(ids))):
            q = select(ExchangeIncomingRow).where(ExchangeIncomingRow.id.in_(chunk))
            out += [_incoming(i) for i in self.s.scalars(q)]
        return out

    def incoming_by_values(self, signal_type: str, values: Collection[str]) -> list[IncomingRecord]:
        """Received signals of one type holding one of ``values``, from every source."""
        out: list[IncomingRecord] = []
        for chunk in _chunks(sorted({digest(v) for v in values})):
            q = select(ExchangeIncomingRow).where(
                ExchangeIncomingRow.signal_type == signal_type,
                ExchangeIncomingRow.digest.in_(chunk),
            )
            out += [_incoming(i) for i in self.s.scalars(q)]
        return out

    def negatives_by_ids(self, ids: Collection[int]) -> list[NegativeRecord]:
        out: list[NegativeRecord] = []
        for chunk in _chunks(sorted(set(ids))):
            q = select(ExchangeNegativeRow).where(ExchangeNegativeRow.id.in_(chunk))
            out += [_negative(n) for n in self.s.scalars(q)]
        return out

    def negatives_by_values(
        self, signal_type: str, values: Collection[str]
    ) -> list[NegativeRecord]:
        out: list[NegativeRecord] = []
        for chunk in _chunks(sorted({digest(v) for v in values})):
            q = select(ExchangeNegativeRow).where(
                ExchangeNegativeRow.signal_type == signal_type,
                ExchangeNegativeRow.digest.in_(chunk),
            )
            out += [_negative(n) for n in self.s.scalars(q)]
        return out

    def matchable(self, signal_types: Sequence[str]) -> list[IncomingRecord]:
        """Every received signal of these types, of every peer."""
        q = select(ExchangeIncomingRow).where(ExchangeIncomingRow.signal_type.in_(signal_types))
        return [_incoming(i) for i in self.s.scalars(q.order_by(ExchangeIncomingRow.id))]

    def incoming_by_seq(self, peer_id: int, seq: int) -> IncomingRecord | None:
        i = self.s.scalars(
            select(ExchangeIncomingRow).where(
                ExchangeIncomingRow.peer_id == peer_id, ExchangeIncomingRow.seq == seq
            )
        ).first()
        return _incoming(i) if i is not None else None

    def _held(
        self, peer_id: int, keys: Collection[tuple[str, str]]
    ) -> dict[tuple[str, str], ExchangeIncomingRow]:
        """The source's stored rows under ``keys`` only (not all of its rows)."""
        by_type: dict[str, set[str]] = {}
        for t, d in keys:
            by_type.setdefault(t, set()).add(d)
        out: dict[tuple[str, str], ExchangeIncomingRow] = {}
        for t, digests in by_type.items():
            for chunk in _chunks(sorted(digests)):
                q = select(ExchangeIncomingRow).where(
                    ExchangeIncomingRow.peer_id == peer_id,
                    ExchangeIncomingRow.signal_type == t,
                    ExchangeIncomingRow.digest.in_(chunk),
                )
                out.update({(i.signal_type, i.digest): i for i in self.s.scalars(q)})
        return out

    def apply_updates(self, peer_id: int, rows: Sequence[FeedRow], now: dt.datetime) -> Applied:
        """Apply verified updates in order: add or replace, or remove on a tombstone.
        Signals the quality gate refuses are not stored (one held before is removed) and
        are counted on the peer. Reads only the rows the updates name, and inserts new
        signals in one statement: a page of a million-signal pull costs a page's work."""
        out = Applied()
        signals = [(r, (r.signal_type.value, digest(r.value))) for r in rows if r.opinion is None]
        # (an opinion row is on the peer's signal: verified, not a signal to hold)
        held = self._held(peer_id, {k for _, k in signals})
        new: dict[tuple[str, str], dict[str, Any]] = {}  # inserted at the end, in order
        dropped = False
        for r, key in signals:
            why = None if r.deleted else gate(r.signal_type.value, r.value, r.quality)
            if why is not None:
                out.gated[why.value] = out.gated.get(why.value, 0) + 1
            if r.deleted or why is not None:
                existing = held.pop(key, None)
                if existing is not None:
                    self.s.delete(existing)
                    dropped = True
                    out.removed += 1
                elif new.pop(key, None) is not None:
                    out.removed += 1
                continue
            fields = {
                "value": r.value,
                "category": r.category.value,
                "tags": " ".join(r.tags),
                "quality": r.quality,
                "owner": r.owner,
                "seq": r.seq,
                "time": r.time,
            }
            existing = held.get(key)
            if existing is not None:
                for k, v in fields.items():
                    setattr(existing, k, v)
                continue
            if key not in new:
                out.added += 1
                new[key] = {
                    "peer_id": peer_id,
                    "signal_type": key[0],
                    "digest": key[1],
                    "review": "pending",
                    "received_at": now,
                }
            new[key].update(fields)
        if dropped or held:
            self.s.flush()  # deletes first: a signal removed and added again is one key
        if new:
            # Core, not the ORM bulk path: no objects, one executemany
            self.s.execute(insert(cast(Table, ExchangeIncomingRow.__table__)), list(new.values()))
        self._count_gated(peer_id, out.gated)
        return out

    def _count_gated(self, peer_id: int, gated: dict[str, int]) -> None:
        if not gated:
            return
        p = self.s.get(ExchangePeerRow, peer_id)
        assert p is not None
        p.gated_low_quality = (p.gated_low_quality or 0) + gated.get(Gate.LOW_QUALITY.value, 0)
        p.gated_flat = (p.gated_flat or 0) + gated.get(Gate.FLAT.value, 0)

    def replace_incoming(self, peer_id: int, rows: Sequence[FeedRow], now: dt.datetime) -> Applied:
        """A snapshot reload: the source's set becomes the snapshot's live signals. Signals
        kept keep their review state and quarantine."""
        live = {
            (r.signal_type.value, digest(r.value))
            for r in rows
            if r.opinion is None and not r.deleted
        }
        gone = [i for i in self._incoming_rows(peer_id) if (i.signal_type, i.digest) not in live]
        for i in gone:
            self.s.delete(i)
        self.s.flush()
        out = self.apply_updates(peer_id, sorted(rows, key=lambda r: r.seq), now)
        out.removed += len(gone)
        return out

    def quarantine(self, incoming_id: int, now: dt.datetime, reason: str) -> None:
        i = self.s.get(ExchangeIncomingRow, incoming_id)
        if i is not None and i.quarantined_at is None:
            i.quarantined_at, i.quarantine_reason = now, reason

    def release(self, peer_id: int, seq: int) -> IncomingRecord | None:
        i = self.s.scalars(
            select(ExchangeIncomingRow).where(
                ExchangeIncomingRow.peer_id == peer_id, ExchangeIncomingRow.seq == seq
            )
        ).first()
        if i is None:
            return None
        i.quarantined_at, i.quarantine_reason = None, None
        return _incoming(i)

    def quarantined(self) -> list[IncomingRecord]:
        q = select(ExchangeIncomingRow).where(ExchangeIncomingRow.quarantined_at.is_not(None))
        return [_incoming(i) for i in self.s.scalars(q.order_by(ExchangeIncomingRow.id))]

    def set_review(self, incoming_id: int, review: str) -> None:
        i = self.s.get(ExchangeIncomingRow, incoming_id)
        if i is not None:
            i.review = review

    # --- the local negative list --------------------------------------------------

    def add_negative(self, signal_type: str, value: str, reason: str, now: dt.datetime) -> bool:
        key = digest(value)
        found = self.s.scalars(
            select(ExchangeNegativeRow).where(
                ExchangeNegativeRow.signal_type == signal_type, ExchangeNegativeRow.digest == key
            )
        ).one_or_none()
        if found is not None:
            return False
        self.s.add(
            ExchangeNegativeRow(
                signal_type=signal_type, digest=key, value=value, reason=reason, at=now
            )
        )
        return True

    def remove_negative(self, signal_type: str, value: str) -> bool:
        r = self.s.execute(
            delete(ExchangeNegativeRow).where(
                ExchangeNegativeRow.signal_type == signal_type,
                ExchangeNegativeRow.digest == digest(value),
            )
        )
        return bool(getattr(r, "rowcount", 0))

    def negatives(self) -> list[NegativeRecord]:
        return [
            _negative(n)
            for n in self.s.scalars(select(ExchangeNegativeRow).order_by(ExchangeNegativeRow.id))
        ]
