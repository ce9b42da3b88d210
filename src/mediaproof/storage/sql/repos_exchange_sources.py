"""Repository of the sources pulled through python-threatexchange's exchanges: adding
one, applying what a pull fetched (record by record, under the exchange's own keys) and
recording how the pull went. The received signals are the same rows as a mediaproof
peer's (repos_exchange_incoming.py), so matching, quarantine and verdicts treat both
alike."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from mediaproof.exchange.incoming import gate
from mediaproof.exchange.sources import SourceRecord, SourceSignal
from mediaproof.storage.sql.repos_exchange import digest
from mediaproof.storage.sql.repos_exchange_incoming import (
    Applied,
    IncomingRepository,
    PeerRecord,
    _peer,
)
from mediaproof.storage.sql.tables_exchange import (
    ExchangeIncomingRow,
    ExchangePeerRow,
    ExchangeSourceRecordRow,
)

Key = tuple[str, str]  # (signal type, digest of the value)


class SourceRepository:
    def __init__(self, session: Session) -> None:
        self.s = session

    def add_source(
        self,
        *,
        name: str,
        kind: str,
        url: str,
        collection: str,
        config: str,
        credentials_file: str | None,
        now: dt.datetime,
    ) -> PeerRecord:
        row = ExchangePeerRow(
            name=name,
            url=url,
            collection=collection,
            token="",  # a pytx source's credentials stay in the operator's file
            vkey="",
            trusted_size=0,
            status="new",
            failures=0,
            created_at=now,
            gated_low_quality=0,
            gated_flat=0,
            kind=kind,
            source_config=config,
            credentials_file=credentials_file,
            skipped_types=0,
        )
        self.s.add(row)
        self.s.flush()
        return _peer(row)

    def apply(
        self,
        peer_id: int,
        records: Sequence[SourceRecord],
        now: dt.datetime,
        *,
        complete: bool = False,
    ) -> Applied:
        """Apply fetched records in order: each record's signals become exactly those it
        gives now (a deleted record gives none). A signal stays held while any record of
        the source gives it. ``complete``: the fetch was the whole data set, so records
        it did not carry are gone. The quality gate applies as to a peer's feed."""
        out = Applied()
        held: dict[Key, ExchangeIncomingRow] = {
            (i.signal_type, i.digest): i
            for i in self.s.scalars(
                select(ExchangeIncomingRow).where(ExchangeIncomingRow.peer_id == peer_id)
            )
        }
        rows: dict[tuple[str, Key], ExchangeSourceRecordRow] = {}
        by_key: dict[str, set[Key]] = {}
        refs: dict[Key, set[str]] = {}
        for r in self.s.scalars(
            select(ExchangeSourceRecordRow).where(ExchangeSourceRecordRow.peer_id == peer_id)
        ):
            k = (r.signal_type, r.digest)
            rows[(r.key_digest, k)] = r
            by_key.setdefault(r.key_digest, set()).add(k)
            refs.setdefault(k, set()).add(r.key_digest)
        seq = int(
            self.s.scalar(
                select(func.max(ExchangeIncomingRow.seq)).where(
                    ExchangeIncomingRow.peer_id == peer_id
                )
            )
            or 0
        )
        todo: list[tuple[str, Sequence[SourceSignal]]] = [
            (hashlib.sha256(r.key.encode()).hexdigest(), r.signals) for r in records
        ]
        if complete:
            present = {kd for kd, _ in todo}
            todo += [(kd, ()) for kd in list(by_key) if kd not in present]
        stamp = now.isoformat()[:40]
        for kd, signals in todo:
            want: dict[Key, SourceSignal] = {}
            for sig in signals:
                why = gate(sig.signal_type, sig.value, None)
                if why is not None:
                    out.gated[why.value] = out.gated.get(why.value, 0) + 1
                    continue
                want[(sig.signal_type, digest(sig.value))] = sig
            old = by_key.get(kd, set())
            for k in old - want.keys():
                self.s.delete(rows.pop((kd, k)))
                left = refs.get(k, set())
                left.discard(kd)
                if not left and k in held:
                    self.s.flush()
                    self.s.delete(held.pop(k))
                    self.s.flush()
                    out.removed += 1
            for k, sig in want.items():
                if k not in old:
                    rec = ExchangeSourceRecordRow(
                        peer_id=peer_id, key_digest=kd, signal_type=k[0], digest=k[1]
                    )
                    self.s.add(rec)
                    rows[(kd, k)] = rec
                    refs.setdefault(k, set()).add(kd)
                row = held.get(k)
                if row is None:
                    seq += 1
                    row = ExchangeIncomingRow(
                        peer_id=peer_id,
                        signal_type=k[0],
                        digest=k[1],
                        review="pending",
                        received_at=now,
                        seq=seq,
                    )
                    self.s.add(row)
                    held[k] = row
                    out.added += 1
                rows[(kd, k)].ref = sig.ref or None  # the exchange's ids may change
                row.value = sig.value
                row.category = sig.category
                row.tags = " ".join(sig.tags)
                row.quality = None
                row.owner = sig.owner[:200]
                row.time = stamp
            if want:
                by_key[kd] = set(want)
            else:
                by_key.pop(kd, None)
        IncomingRepository(self.s)._count_gated(peer_id, out.gated)
        self.s.flush()
        return out

    def refs(self, peer_id: int, signal_type: str, value: str) -> list[str]:
        """The exchange's ids (JSON) of every record of the source that gives the signal."""
        return [
            r
            for r in self.s.scalars(
                select(ExchangeSourceRecordRow.ref)
                .where(
                    ExchangeSourceRecordRow.peer_id == peer_id,
                    ExchangeSourceRecordRow.signal_type == signal_type,
                    ExchangeSourceRecordRow.digest == digest(value),
                )
                .order_by(ExchangeSourceRecordRow.id)
            )
            if r
        ]

    def pulled(
        self, name: str, now: dt.datetime, *, checkpoint: str | None, skipped: int
    ) -> PeerRecord:
        """A pull that went through: the library's checkpoint kept for the next one."""
        p = self.s.scalars(select(ExchangePeerRow).where(ExchangePeerRow.name == name)).one()
        p.last_pull_at = now
        p.pytx_checkpoint = checkpoint
        p.skipped_types = (p.skipped_types or 0) + skipped
        p.status, p.last_error, p.failures = "ok", None, 0
        p.last_ok_at, p.next_attempt_at = now, None
        return _peer(p)
