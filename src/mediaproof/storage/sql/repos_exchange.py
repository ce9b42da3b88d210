"""Repositories of the hash exchange; they map rows to the exchange's plain records.

The bank is read here (never written): :meth:`ExchangeRepository.bank_signals` joins the
case workflow's bank with the decision behind each entry, so the case service
(``services.cases``) needs no hook for a collection to follow it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import Table, func, insert, select
from sqlalchemy.orm import Session

from mediaproof.exchange.models import (
    BANK_KEYS,
    BankedDecision,
    Category,
    CollectionSpec,
    FeedRow,
    InclusionRule,
    Opinion,
    SignalType,
    Tlp,
)
from mediaproof.exchange.opinions import opinions_of
from mediaproof.storage.sql.tables_cases import BankRow, CaseRow, DecisionRow
from mediaproof.storage.sql.tables_exchange import (
    ExchangeCollectionRow,
    ExchangeGrantRow,
    ExchangeReadRow,
    ExchangeSyncInputsRow,
    ExchangeUpdateRow,
    ExchangeWithdrawalRow,
)

# ``seq`` is a 32-bit column: PostgreSQL refuses a larger bound parameter (a 500), so
# positions past it are clamped (no row is that far) before they reach a query
MAX_SEQ = 2**31 - 1


def digest(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def spec_of(row: ExchangeCollectionRow) -> CollectionSpec:
    return CollectionSpec(
        name=row.name,
        organisation=row.organisation,
        description=row.description,
        signal_types=tuple(SignalType(t) for t in row.signal_types.split()),
        tlp=Tlp(row.tlp),
        policy_url=row.policy_url,
        category=Category(row.category),
        rule=InclusionRule.from_dict(json.loads(row.rule)),
        tombstone_days=row.tombstone_days,
    )


def feed_row(collection: str, r: Any) -> FeedRow:
    """A stored update as the feed's row (from an ORM row, or a Core row of the same
    columns: ``_FEED_COLUMNS``)."""
    return FeedRow(
        collection=collection,
        seq=r.seq,
        signal_type=SignalType(r.signal_type),
        value=r.value,
        category=Category(r.category),
        tags=tuple(r.tags.split()),
        quality=r.quality,
        owner=r.owner,
        deleted=r.deleted,
        time=r.time,
        opinion=Opinion(r.opinion) if r.opinion is not None else None,
        reason=r.reason or "",
    )


# what a feed row needs, read as plain rows: a collection's whole log is read on the
# first page of every pull (to hash its tree): ORM objects took twice the CPU (100k rows)
_FEED_COLUMNS = (
    ExchangeUpdateRow.seq,
    ExchangeUpdateRow.signal_type,
    ExchangeUpdateRow.value,
    ExchangeUpdateRow.category,
    ExchangeUpdateRow.tags,
    ExchangeUpdateRow.quality,
    ExchangeUpdateRow.owner,
    ExchangeUpdateRow.deleted,
    ExchangeUpdateRow.time,
    ExchangeUpdateRow.opinion,
    ExchangeUpdateRow.reason,
)


@dataclass(frozen=True)
class BankSignalSource:
    bank_id: int
    fingerprints: dict[str, str]
    decision: BankedDecision | None  # None: no final decision found (never published)


class ExchangeRepository:
    def __init__(self, session: Session) -> None:
        self.s = session

    # --- collections ------------------------------------------------------------------

    def add_collection(self, spec: CollectionSpec, now: dt.datetime) -> ExchangeCollectionRow:
        row = ExchangeCollectionRow(
            name=spec.name,
            organisation=spec.organisation.strip(),
            description=spec.description,
            signal_types=" ".join(t.value for t in spec.signal_types),
            tlp=spec.tlp.value,
            policy_url=spec.policy_url,
            category=spec.category.value,
            rule=json.dumps(spec.rule.as_dict(), sort_keys=True),
            tombstone_days=spec.tombstone_days,
            created_at=now,
            signed_size=0,
        )
        self.s.add(row)
        self.s.flush()
        return row

    def collection(self, name: str, *, lock: bool = False) -> ExchangeCollectionRow | None:
        q = select(ExchangeCollectionRow).where(ExchangeCollectionRow.name == name)
        if lock:
            q = q.with_for_update()  # one sync at a time per collection (PostgreSQL)
        return self.s.scalars(q).one_or_none()

    def collections(self) -> list[ExchangeCollectionRow]:
        return list(
            self.s.scalars(select(ExchangeCollectionRow).order_by(ExchangeCollectionRow.name))
        )

    def mark_synced(self, c: ExchangeCollectionRow, now: dt.datetime) -> None:
        c.synced_at = now

    def inputs_version(self) -> int | None:
        """The version of what a sync reads (migration 0034's triggers raise it on every
        change to it), as committed now; None: no marker (every sync reads everything)."""
        v = self.s.scalar(
            select(ExchangeSyncInputsRow.version).where(ExchangeSyncInputsRow.id == 1)
        )
        return None if v is None else int(v)

    def keep_inputs(self, c: ExchangeCollectionRow, version: int | None) -> None:
        """The inputs' version the sync just made the log follow."""
        c.synced_inputs = version

    def keep_signed(self, c: ExchangeCollectionRow, size: int, root: bytes) -> None:
        """The tree (size, root) signed last: later stores must extend it."""
        c.signed_size = size
        c.signed_root = root.hex()

    def raise_alarm(self, c: ExchangeCollectionRow, text: str) -> None:
        c.alarm = text

    # --- updates (the log's leaves) ---------------------------------------------------

    def updates(
        self,
        c: ExchangeCollectionRow,
        after: int = 0,
        upto: int | None = None,
        limit: int | None = None,
    ) -> list[FeedRow]:
        q = select(*_FEED_COLUMNS).where(
            ExchangeUpdateRow.collection_id == c.id, ExchangeUpdateRow.seq > min(after, MAX_SEQ)
        )
        if upto is not None:
            q = q.where(ExchangeUpdateRow.seq <= min(upto, MAX_SEQ))
        q = q.order_by(ExchangeUpdateRow.seq)
        if limit is not None:
            q = q.limit(limit)
        return [feed_row(c.name, r) for r in self.s.execute(q)]

    def live(self, c: ExchangeCollectionRow) -> dict[tuple[SignalType, str], tuple[str, ...]]:
        """What :func:`mediaproof.exchange.models.live_signals` says of the whole log (its
        live signals, with their tags), reading only the columns that takes."""
        q = (
            select(
                ExchangeUpdateRow.signal_type,
                ExchangeUpdateRow.value,
                ExchangeUpdateRow.tags,
                ExchangeUpdateRow.deleted,
            )
            .where(ExchangeUpdateRow.collection_id == c.id, ExchangeUpdateRow.opinion.is_(None))
            .order_by(ExchangeUpdateRow.seq)
        )
        types = {t.value: t for t in SignalType}
        state: dict[tuple[SignalType, str], tuple[str, ...]] = {}
        for st, value, tags, deleted in self.s.execute(q):
            if deleted:
                state.pop((types[st], value), None)
            else:
                state[(types[st], value)] = tuple(tags.split())
        return state

    def size(self, c: ExchangeCollectionRow) -> int:
        n = self.s.scalar(
            select(func.max(ExchangeUpdateRow.seq)).where(ExchangeUpdateRow.collection_id == c.id)
        )
        return int(n or 0)

    def append(self, c: ExchangeCollectionRow, r: FeedRow, now: dt.datetime) -> None:
        self.s.add(
            ExchangeUpdateRow(
                collection_id=c.id,
                seq=r.seq,
                signal_type=r.signal_type.value,
                value=r.value,
                category=r.category.value,
                tags=" ".join(r.tags),
                quality=r.quality,
                owner=r.owner,
                deleted=r.deleted,
                time=r.time,
                created_at=now,
                opinion=r.opinion.value if r.opinion is not None else None,
                reason=r.reason if r.opinion is not None else None,
            )
        )

    def append_many(
        self, c: ExchangeCollectionRow, rows: Sequence[FeedRow], now: dt.datetime
    ) -> None:
        """:meth:`append` for many rows in one statement (a bulk load: the bench's
        million-signal collection)."""
        if not rows:
            return
        self.s.execute(
            insert(cast(Table, ExchangeUpdateRow.__table__)),
            [
                {
                    "collection_id": c.id,
                    "seq": r.seq,
                    "signal_type": r.signal_type.value,
                    "value": r.value,
                    "category": r.category.value,
                    "tags": " ".join(r.tags),
                    "quality": r.quality,
                    "owner": r.owner,
                    "deleted": r.deleted,
                    "time": r.time,
                    "created_at": now,
                    "opinion": r.opinion.value if r.opinion is not None else None,
                    "reason": r.reason if r.opinion is not None else None,
                }
                for r in rows
            ],
        )

    def update_at(self, c: ExchangeCollectionRow, seq: int) -> FeedRow | None:
        if not 1 <= seq <= MAX_SEQ:
            return None
        r = self.s.scalars(
            select(ExchangeUpdateRow).where(
                ExchangeUpdateRow.collection_id == c.id, ExchangeUpdateRow.seq == seq
            )
        ).one_or_none()
        return feed_row(c.name, r) if r is not None else None

    def signal_rows(self, c: ExchangeCollectionRow, st: SignalType, value: str) -> list[FeedRow]:
        """Every update of one signal, opinions included, in log order."""
        q = (
            select(ExchangeUpdateRow)
            .where(
                ExchangeUpdateRow.collection_id == c.id,
                ExchangeUpdateRow.signal_type == st.value,
                ExchangeUpdateRow.value == value,
            )
            .order_by(ExchangeUpdateRow.seq)
        )
        return [feed_row(c.name, r) for r in self.s.scalars(q)]

    def opinion_rows(
        self, *, values: Sequence[str] | None = None, collection_id: int | None = None
    ) -> list[tuple[str, FeedRow]]:
        """Opinion rows (of one collection, or all), with the collection's organisation
        (the publisher); only those about ``values`` when given."""
        q = (
            select(ExchangeUpdateRow, ExchangeCollectionRow)
            .join(
                ExchangeCollectionRow, ExchangeCollectionRow.id == ExchangeUpdateRow.collection_id
            )
            .where(ExchangeUpdateRow.opinion.is_not(None))
        )
        if values is not None:
            q = q.where(ExchangeUpdateRow.value.in_(list(values)))
        if collection_id is not None:
            q = q.where(ExchangeUpdateRow.collection_id == collection_id)
        return [
            (c.organisation, feed_row(c.name, u))
            for u, c in self.s.execute(q.order_by(ExchangeUpdateRow.seq)).all()
        ]

    def suspended_values(self, fingerprints: Mapping[str, str]) -> list[str]:
        """Which of a bank entry's fingerprints (bank key -> value) a peer's opinion stops
        acting in some collection, as ``type:value``. Empty: the entry may act
        automatically (docs/exchange.md, "Opinions")."""
        by_key = {BANK_KEYS[st]: st for st in BANK_KEYS}
        wanted = {
            (by_key[k].value, v.strip().lower())
            for k, v in fingerprints.items()
            if k in by_key and v
        }
        if not wanted:
            return []
        groups: dict[tuple[str, str, str, str], list[FeedRow]] = {}
        categories: dict[str, Category | None] = {}
        for publisher, r in self.opinion_rows(values=[v for _, v in wanted]):
            if (r.signal_type.value, r.value) not in wanted:
                continue
            key = (r.collection, publisher, r.signal_type.value, r.value)
            groups.setdefault(key, []).append(r)
        out = []
        for (coll, publisher, st, value), rows in sorted(groups.items()):
            if coll not in categories:
                c = self.collection(coll)
                categories[coll] = spec_of(c).category if c is not None else None
            category = categories[coll]
            if category is None:
                continue
            if opinions_of(publisher, category, rows).suspended_by is not None:
                out.append(f"{st}:{value}")
        return out

    def horizon(self, c: ExchangeCollectionRow, before: dt.datetime) -> int:
        """The newest seq written before ``before`` (0 when none)."""
        n = self.s.scalar(
            select(func.max(ExchangeUpdateRow.seq)).where(
                ExchangeUpdateRow.collection_id == c.id, ExchangeUpdateRow.created_at < before
            )
        )
        return int(n or 0)

    def written_before_after(
        self, c: ExchangeCollectionRow, after: int, before: dt.datetime
    ) -> bool:
        """Whether an update after seq ``after`` was written before ``before``: exactly
        ``after < horizon(c, before)``, but it reads from ``after`` on (the unique
        (collection, seq) index) instead of every row older than ``before``, which on a
        long-lived collection is nearly all of them, on every page request."""
        if after >= 2**31 - 1:
            return False  # no seq lies beyond (the column is 32-bit on PostgreSQL)
        first = self.s.scalar(
            select(ExchangeUpdateRow.seq)
            .where(
                ExchangeUpdateRow.collection_id == c.id,
                ExchangeUpdateRow.seq > after,
                ExchangeUpdateRow.created_at < before,
            )
            .order_by(ExchangeUpdateRow.seq)
            .limit(1)
        )
        return first is not None

    # --- withdrawals ------------------------------------------------------------------

    def withdraw(
        self, c: ExchangeCollectionRow, st: SignalType, value: str, reason: str, now: dt.datetime
    ) -> None:
        key = digest(value)
        found = self.s.scalars(
            select(ExchangeWithdrawalRow).where(
                ExchangeWithdrawalRow.collection_id == c.id,
                ExchangeWithdrawalRow.signal_type == st.value,
                ExchangeWithdrawalRow.digest == key,
            )
        ).one_or_none()
        if found is None:
            self.s.add(
                ExchangeWithdrawalRow(
                    collection_id=c.id, signal_type=st.value, digest=key, reason=reason, at=now
                )
            )

    def withdrawn(self, c: ExchangeCollectionRow) -> set[tuple[str, str]]:
        rows = self.s.execute(
            select(ExchangeWithdrawalRow.signal_type, ExchangeWithdrawalRow.digest).where(
                ExchangeWithdrawalRow.collection_id == c.id
            )
        )
        return {(t, d) for t, d in rows}

    # --- the bank, read-only ----------------------------------------------------------

    def bank_signals(self) -> list[BankSignalSource]:
        """Active bank entries with the latest final decision reviewers took on their
        case (the bank's automated decisions on identical copies vouch for nothing, and
        must not hide the reviewed decision from the inclusion rule)."""
        banked = self.s.execute(
            select(BankRow.id, BankRow.case_id, BankRow.fingerprints, CaseRow.category)
            .join(CaseRow, CaseRow.id == BankRow.case_id)
            .where(BankRow.active.is_(True))
            .order_by(BankRow.id)
        ).all()
        case_ids = {b.case_id for b in banked}
        latest: dict[int, DecisionRow] = {}
        if case_ids:
            for dec in self.s.scalars(
                select(DecisionRow)
                .where(
                    DecisionRow.case_id.in_(case_ids),
                    DecisionRow.status == "final",
                    DecisionRow.automated.is_(False),
                )
                .order_by(DecisionRow.id)
            ):
                latest[dec.case_id] = dec
        out = []
        for b in banked:
            d = latest.get(b.case_id)
            decision = (
                None
                if d is None
                else BankedDecision(
                    outcome=d.outcome,
                    category=b.category,
                    final=True,
                    automated=bool(d.automated),
                    second_reviewer=bool(d.second_reviewer),
                )
            )
            out.append(BankSignalSource(b.id, json.loads(b.fingerprints or "{}"), decision))
        return out

    # --- grants and the read audit ----------------------------------------------------

    def grant(self, token_id: int, c: ExchangeCollectionRow, now: dt.datetime) -> None:
        self.s.add(ExchangeGrantRow(token_id=token_id, collection_id=c.id, created_at=now))

    def granted(self, token_id: int, name: str) -> bool:
        q = (
            select(ExchangeGrantRow.id)
            .join(ExchangeCollectionRow, ExchangeCollectionRow.id == ExchangeGrantRow.collection_id)
            .where(ExchangeGrantRow.token_id == token_id, ExchangeCollectionRow.name == name)
        )
        return self.s.scalar(q) is not None

    def granted_names(self, token_id: int) -> set[str]:
        q = (
            select(ExchangeCollectionRow.name)
            .join(ExchangeGrantRow, ExchangeCollectionRow.id == ExchangeGrantRow.collection_id)
            .where(ExchangeGrantRow.token_id == token_id)
        )
        return set(self.s.scalars(q))

    def audit(
        self,
        c: ExchangeCollectionRow,
        *,
        user_id: int | None,
        token_id: int | None,
        what: str,
        after: int | None,
        rows: int,
        size: int,
        now: dt.datetime,
    ) -> None:
        self.s.add(
            ExchangeReadRow(
                collection_id=c.id,
                user_id=user_id,
                token_id=token_id,
                what=what,
                after=None if after is None else min(after, MAX_SEQ),  # a 32-bit column
                rows=rows,
                size=size,
                at=now,
            )
        )

    def reads(self, c: ExchangeCollectionRow, limit: int = 100) -> list[ExchangeReadRow]:
        q = (
            select(ExchangeReadRow)
            .where(ExchangeReadRow.collection_id == c.id)
            .order_by(ExchangeReadRow.id.desc())
            .limit(limit)
        )
        return list(self.s.scalars(q))
