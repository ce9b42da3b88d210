"""The matches of uploads against received signals, and the verdicts sent back to the
signals' sources (an outbox): the part of the exchange's pulling side that follows a
case, as a mixin of :class:`~mediaproof.storage.sql.repos_exchange_incoming.IncomingRepository`
(one session, one repository for the services)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.orm import Session

from mediaproof.storage.sql.tables_cases import AppealRow, CaseRow, DecisionRow
from mediaproof.storage.sql.tables_exchange import (
    ExchangeMatchRow,
    ExchangePeerRow,
    ExchangeVerdictRow,
)

if TYPE_CHECKING:
    from mediaproof.storage.sql.repos_exchange_incoming import IncomingRecord, PeerRecord


@dataclass(frozen=True)
class DecidedMatch:
    """An opened match whose case has a final decision: with no verdict row yet, or one
    whose case had an appeal reversed (its verdict may have to change). ``outcome`` is
    the latest final decision's; ``reversed`` says an appeal reversed that decision."""

    match_id: int
    peer_id: int
    incoming_id: int | None
    seq: int
    case_number: str
    outcome: str
    reversed: bool = False
    verdict_id: int | None = None  # the outbox row, where one was written
    verdict_opinion: str | None = None


@dataclass(frozen=True)
class VerdictRecord:
    id: int
    peer_id: int
    seq: int
    opinion: str
    reason: str
    status: str
    attempts: int
    next_attempt_at: dt.datetime | None
    last_error: str | None
    case_number: str | None
    signal_type: str = ""
    value: str = ""


class MatchesAndVerdicts:
    """Matches and the verdict outbox; mixed into ``IncomingRepository``."""

    s: Session

    # --- matches ------------------------------------------------------------------

    def add_match(
        self,
        *,
        incoming: IncomingRecord,
        peer: PeerRecord,
        distance: int,
        media_sha256: str,
        outcome: str,
        reason: str | None,
        now: dt.datetime,
        case_number: str | None = None,
    ) -> int:
        row = ExchangeMatchRow(
            incoming_id=incoming.id,
            peer_id=peer.id,
            collection=peer.collection,
            seq=incoming.seq,
            signal_type=incoming.signal_type,
            value=incoming.value,
            distance=distance,
            checkpoint_size=peer.trusted_size,
            checkpoint_root=peer.trusted_root,
            media_sha256=media_sha256,
            outcome=outcome,
            reason=reason,
            case_number=case_number,
            at=now,
        )
        self.s.add(row)
        self.s.flush()
        return row.id

    def distinct_media_since(self, incoming_id: int, since: dt.datetime, also: str) -> int:
        """How many different uploads matched the signal since ``since``, ``also``
        (the upload being matched now) included: the flood guard's count. The same file
        uploaded again does not count twice."""
        q = select(ExchangeMatchRow.media_sha256).where(
            ExchangeMatchRow.incoming_id == incoming_id, ExchangeMatchRow.at >= since
        )
        return len(set(self.s.scalars(q.distinct())) | {also})

    def matches(
        self, *, media_sha256: str | None = None, limit: int = 200
    ) -> list[dict[str, object]]:
        q = select(ExchangeMatchRow, ExchangePeerRow.name, ExchangePeerRow.kind).join(
            ExchangePeerRow, ExchangePeerRow.id == ExchangeMatchRow.peer_id
        )
        if media_sha256 is not None:
            q = q.where(ExchangeMatchRow.media_sha256 == media_sha256)
        rows = self.s.execute(q.order_by(ExchangeMatchRow.id.desc()).limit(limit)).all()
        return [
            {
                "peer": name,
                "collection": m.collection,
                "seq": m.seq,
                # a signed log's leaf only for a mediaproof peer (pytx exchanges have none)
                "log_index": m.seq - 1 if kind in (None, "mediaproof") else None,
                "signal_type": m.signal_type,
                "value": m.value,
                "distance": m.distance,
                "checkpoint_size": m.checkpoint_size,
                "checkpoint_root": m.checkpoint_root,
                "media_sha256": m.media_sha256,
                "outcome": m.outcome,
                "reason": m.reason,
                "case_number": m.case_number,
                "at": m.at,
            }
            for m, name, kind in rows
        ]

    # --- verdicts back to the source (an outbox) ----------------------------------

    def decided_matches(self) -> list[DecidedMatch]:
        """Opened matches whose case has a final decision (the latest final decision
        counts) and either no verdict yet or an appeal on the case that reversed a
        decision: the matches whose verdict is to be written or checked again."""
        reversed_cases = select(AppealRow.case_id).where(AppealRow.outcome == "reversed")
        q = (
            select(ExchangeMatchRow, CaseRow.id, ExchangeVerdictRow.id, ExchangeVerdictRow.opinion)
            .join(CaseRow, CaseRow.number == ExchangeMatchRow.case_number)
            .outerjoin(ExchangeVerdictRow, ExchangeVerdictRow.match_id == ExchangeMatchRow.id)
            .where(
                ExchangeMatchRow.outcome == "opened",
                ExchangeVerdictRow.id.is_(None) | CaseRow.id.in_(reversed_cases),
            )
            .order_by(ExchangeMatchRow.id)
        )
        found = self.s.execute(q).all()
        if not found:
            return []
        case_ids = {cid for _, cid, _, _ in found}
        latest: dict[int, tuple[int, str]] = {}
        for d in self.s.scalars(
            select(DecisionRow)
            .where(DecisionRow.case_id.in_(case_ids), DecisionRow.status == "final")
            .order_by(DecisionRow.id)
        ):
            if d.appeal_id is not None and d.outcome == "no_action":
                # a reversal's record of what then stands: the verdict follows the
                # decision it reversed (an appeal reversed it, below)
                continue
            latest[d.case_id] = (d.id, d.outcome)
        reversed_decisions = set(
            self.s.scalars(
                select(AppealRow.decision_id).where(
                    AppealRow.case_id.in_(case_ids), AppealRow.outcome == "reversed"
                )
            )
        )
        return [
            DecidedMatch(
                m.id,
                m.peer_id,
                m.incoming_id,
                m.seq,
                m.case_number or "",
                latest[cid][1],
                latest[cid][0] in reversed_decisions,
                vid,
                vop,
            )
            for m, cid, vid, vop in found
            if cid in latest
        ]

    def requeue_verdict(self, verdict_id: int, opinion: str, reason: str, now: dt.datetime) -> bool:
        """The case's verdict changed (an appeal reversed its decision): the outbox row
        takes the new opinion and is sent again (a ``duplicate`` row stays unsent). The
        source keeps one opinion per owner, the latest, so the new one replaces ours.
        Returns whether the row is to be sent."""
        v = self.s.get(ExchangeVerdictRow, verdict_id)
        assert v is not None
        v.opinion, v.reason = opinion, reason
        if v.status == "duplicate":
            return False
        v.status, v.attempts, v.last_error = "pending", 0, None
        v.next_attempt_at, v.sent_at = now, None
        return True

    def add_verdict(
        self, m: DecidedMatch, opinion: str, reason: str, now: dt.datetime, *, duplicate: bool
    ) -> None:
        """Queue a verdict (``pending``); a second match of the same signal in the same
        case gets a ``duplicate`` row, never sent, so the source hears it once."""
        self.s.add(
            ExchangeVerdictRow(
                match_id=m.match_id,
                peer_id=m.peer_id,
                seq=m.seq,
                opinion=opinion,
                reason=reason,
                status="duplicate" if duplicate else "pending",
                attempts=0,
                next_attempt_at=None if duplicate else now,
                created_at=now,
            )
        )

    def _verdict(
        self, v: ExchangeVerdictRow, case_number: str | None, signal_type: str, value: str
    ) -> VerdictRecord:
        return VerdictRecord(
            v.id,
            v.peer_id,
            v.seq,
            v.opinion,
            v.reason,
            v.status,
            v.attempts,
            v.next_attempt_at,
            v.last_error,
            case_number,
            signal_type,
            value,
        )

    def verdicts(self, *, due: dt.datetime | None = None) -> list[VerdictRecord]:
        """Every verdict (newest first), or those pending and due at ``due`` (oldest first)."""
        q = select(
            ExchangeVerdictRow,
            ExchangeMatchRow.case_number,
            ExchangeMatchRow.signal_type,
            ExchangeMatchRow.value,
        ).join(ExchangeMatchRow, ExchangeMatchRow.id == ExchangeVerdictRow.match_id)
        if due is not None:
            q = q.where(
                ExchangeVerdictRow.status == "pending", ExchangeVerdictRow.next_attempt_at <= due
            ).order_by(ExchangeVerdictRow.id)
        else:
            q = q.order_by(ExchangeVerdictRow.id.desc())
        return [self._verdict(v, n, t, val) for v, n, t, val in self.s.execute(q).all()]

    def verdict_done(
        self,
        verdict_id: int,
        now: dt.datetime,
        *,
        status: str,
        error: str | None,
        opinion: str | None = None,
    ) -> None:
        """Record a send's answer. ``opinion`` is what was sent: where the row holds
        another by now (re-queued after an appeal while this one was in flight), the row
        stays pending for the new opinion and only the attempt counts."""
        v = self.s.get(ExchangeVerdictRow, verdict_id)
        assert v is not None
        if opinion is not None and v.opinion != opinion:
            return
        v.attempts += 1
        v.status, v.last_error = status, error
        if status == "sent":
            v.sent_at, v.next_attempt_at = now, None

    def verdict_retry(self, verdict_id: int, now: dt.datetime, error: str, retry_s: float) -> None:
        v = self.s.get(ExchangeVerdictRow, verdict_id)
        assert v is not None
        v.attempts += 1
        v.last_error = error
        v.next_attempt_at = now + dt.timedelta(seconds=retry_s)
