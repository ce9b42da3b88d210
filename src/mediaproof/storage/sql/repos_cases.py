"""Repository for the case workflow: queries and guarded updates over tables_cases.

Rows stay inside the service layer; ``*_view`` functions turn them into domain records.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from sqlalchemy import and_, func, select, update
from sqlalchemy.orm import Session

from mediaproof.cases.models import (
    AppealOutcome,
    AppealView,
    CaseState,
    CaseView,
    DecisionStatus,
    DecisionView,
    NoticeCategory,
    Outcome,
    Party,
    SourceType,
)
from mediaproof.errors import ConflictError, NotFoundError
from mediaproof.storage.sql.tables_cases import (
    ActionRow,
    AppealRow,
    BankRow,
    CaseRow,
    DecisionRow,
    EndpointRow,
    EventRow,
    MailOutboxRow,
    NoticeRow,
    OutboxRow,
    StatementRow,
)


def aware(t: dt.datetime) -> dt.datetime:
    return t if t.tzinfo is not None else t.replace(tzinfo=dt.UTC)  # SQLite drops the zone


def aware_opt(t: dt.datetime | None) -> dt.datetime | None:
    return None if t is None else aware(t)


class CaseRepository:
    def __init__(self, session: Session) -> None:
        self.s = session

    # --- cases ---------------------------------------------------------------------

    def add(self, row: Any) -> Any:
        self.s.add(row)
        self.s.flush()
        return row

    def case(self, ref: str | int) -> CaseRow:
        """By id, case number or public id."""
        q = select(CaseRow)
        if isinstance(ref, int) or (isinstance(ref, str) and ref.isdigit()):
            q = q.where(CaseRow.id == int(ref))
        else:
            q = q.where((CaseRow.number == ref) | (CaseRow.public_id == ref))
        row = self.s.scalars(q).first()
        if row is None:
            raise NotFoundError(f"no case {ref}")
        return row

    def case_by_media(self, sha256: str) -> CaseRow | None:
        return self.s.scalars(
            select(CaseRow).where(CaseRow.media_sha256 == sha256).order_by(CaseRow.id.desc())
        ).first()

    def case_by_url(self, url: str) -> CaseRow | None:
        return self.s.scalars(
            select(CaseRow).where(CaseRow.content_url == url).order_by(CaseRow.id.desc())
        ).first()

    def move(
        self, case: CaseRow, seen_version: int, state: CaseState, now: dt.datetime, **extra: Any
    ) -> None:
        """Change the state only if nobody else changed the case since ``seen_version``."""
        res = self.s.execute(
            update(CaseRow)
            .where(and_(CaseRow.id == case.id, CaseRow.version == seen_version))
            .values(state=state.value, version=seen_version + 1, updated_at=now, **extra)
            .execution_options(synchronize_session=False)
        )
        if res.rowcount != 1:  # type: ignore[attr-defined]
            raise ConflictError(
                f"case {case.number} was changed by someone else meanwhile; reload it and "
                "decide again"
            )
        self.s.refresh(case)

    def queue(self, limit: int) -> list[CaseRow]:
        open_states = (CaseState.OPEN.value, CaseState.AWAITING_SECOND_REVIEW.value)
        return list(
            self.s.scalars(
                select(CaseRow)
                .where(CaseRow.state.in_(open_states))
                .order_by(CaseRow.priority, CaseRow.due_at, CaseRow.id)
                .limit(limit)
            )
        )

    # --- notices -------------------------------------------------------------------

    def notices(self, case_id: int) -> list[NoticeRow]:
        return list(
            self.s.scalars(
                select(NoticeRow).where(NoticeRow.case_id == case_id).order_by(NoticeRow.id)
            )
        )

    def notice_by_token_hash(self, token_hash: str) -> NoticeRow | None:
        return self.s.scalars(select(NoticeRow).where(NoticeRow.token_hash == token_hash)).first()

    def action_by_token_hash(self, token_hash: str) -> ActionRow | None:
        return self.s.scalars(
            select(ActionRow).where(ActionRow.appeal_token_hash == token_hash)
        ).first()

    def first_notice_times(self, case_ids: Sequence[int]) -> dict[int, dt.datetime]:
        if not case_ids:
            return {}
        rows = self.s.execute(
            select(NoticeRow.case_id, func.min(NoticeRow.received_at))
            .where(NoticeRow.case_id.in_(set(case_ids)))
            .group_by(NoticeRow.case_id)
        )
        return {cid: aware(t) for cid, t in rows}

    def first_notice_at(self, case_id: int) -> dt.datetime | None:
        t = self.s.scalar(
            select(func.min(NoticeRow.received_at)).where(NoticeRow.case_id == case_id)
        )
        return aware_opt(t)

    # --- decisions, appeals, actions, statements -------------------------------------

    def decisions(self, case_id: int) -> list[DecisionRow]:
        return list(
            self.s.scalars(
                select(DecisionRow).where(DecisionRow.case_id == case_id).order_by(DecisionRow.id)
            )
        )

    def proposed(self, case_id: int) -> DecisionRow:
        row = self.s.scalars(
            select(DecisionRow).where(
                DecisionRow.case_id == case_id,
                DecisionRow.status == DecisionStatus.PROPOSED.value,
            )
        ).first()
        if row is None:
            raise NotFoundError("this case has no proposed decision awaiting a second review")
        return row

    def latest_final(self, case_id: int) -> DecisionRow | None:
        return self.s.scalars(
            select(DecisionRow)
            .where(DecisionRow.case_id == case_id, DecisionRow.status == DecisionStatus.FINAL.value)
            .order_by(DecisionRow.id.desc())
        ).first()

    def appeals(self, case_id: int) -> list[AppealRow]:
        return list(
            self.s.scalars(
                select(AppealRow).where(AppealRow.case_id == case_id).order_by(AppealRow.id)
            )
        )

    def appeal(self, ref: str | int) -> AppealRow:
        q = select(AppealRow)
        if isinstance(ref, int) or ref.isdigit():
            q = q.where(AppealRow.id == int(ref))
        else:
            q = q.where(AppealRow.public_id == ref)
        row = self.s.scalars(q).first()
        if row is None:
            raise NotFoundError(f"no appeal {ref}")
        return row

    def actions(self, case_id: int) -> list[ActionRow]:
        return list(
            self.s.scalars(
                select(ActionRow).where(ActionRow.case_id == case_id).order_by(ActionRow.id)
            )
        )

    def statements(self, case_id: int) -> list[StatementRow]:
        return list(
            self.s.scalars(
                select(StatementRow)
                .where(StatementRow.case_id == case_id)
                .order_by(StatementRow.id)
            )
        )

    def unexported_records(self, limit: int | None = None) -> list[StatementRow]:
        q = (
            select(StatementRow)
            .where(StatementRow.record.is_not(None), StatementRow.exported_at.is_(None))
            .order_by(StatementRow.id)
        )
        if limit:
            q = q.limit(limit)
        return list(self.s.scalars(q))

    def records_between(self, start: dt.datetime, end: dt.datetime) -> list[StatementRow]:
        return list(
            self.s.scalars(
                select(StatementRow)
                .where(
                    StatementRow.record.is_not(None),
                    StatementRow.created_at >= start,
                    StatementRow.created_at < end,
                )
                .order_by(StatementRow.id)
            )
        )

    # --- webhooks ------------------------------------------------------------------

    def endpoint_for(self, platform: str | None) -> EndpointRow | None:
        names = [platform, "*"] if platform else ["*"]
        rows = {
            r.platform: r
            for r in self.s.scalars(
                select(EndpointRow).where(EndpointRow.platform.in_(names), EndpointRow.active)
            )
        }
        return rows.get(platform or "") or rows.get("*")

    def due(self, now: dt.datetime, limit: int) -> list[OutboxRow]:
        return list(
            self.s.scalars(
                select(OutboxRow)
                .where(OutboxRow.status == "pending", OutboxRow.next_attempt_at <= now)
                .order_by(OutboxRow.next_attempt_at, OutboxRow.id)
                .limit(limit)
            )
        )

    def claim(self, row_id: int, now: dt.datetime, lease_until: dt.datetime) -> bool:
        """Take a due delivery for this worker; another worker's claim makes this False."""
        res = self.s.execute(
            update(OutboxRow)
            .where(
                OutboxRow.id == row_id,
                OutboxRow.status == "pending",
                OutboxRow.next_attempt_at <= now,
            )
            .values(next_attempt_at=lease_until)
            .execution_options(synchronize_session=False)
        )
        return res.rowcount == 1  # type: ignore[attr-defined,no-any-return]

    def dead_letters(self) -> list[OutboxRow]:
        return list(
            self.s.scalars(
                select(OutboxRow).where(OutboxRow.status == "dead").order_by(OutboxRow.id)
            )
        )

    # --- reporters' e-mail ----------------------------------------------------------

    def mail_due(self, now: dt.datetime, limit: int) -> list[int]:
        return list(
            self.s.scalars(
                select(MailOutboxRow.id)
                .where(MailOutboxRow.next_attempt_at <= now)
                .order_by(MailOutboxRow.next_attempt_at, MailOutboxRow.id)
                .limit(limit)
            )
        )

    def claim_mail(self, row_id: int, now: dt.datetime, lease_until: dt.datetime) -> bool:
        """Take a due message for this sender; another sender's claim makes this False."""
        res = self.s.execute(
            update(MailOutboxRow)
            .where(MailOutboxRow.id == row_id, MailOutboxRow.next_attempt_at <= now)
            .values(next_attempt_at=lease_until)
            .execution_options(synchronize_session=False)
        )
        return res.rowcount == 1  # type: ignore[attr-defined,no-any-return]

    def mail_pending(self) -> int:
        return self.s.scalar(select(func.count()).select_from(MailOutboxRow)) or 0

    # --- log events ----------------------------------------------------------------

    def unsent_event_ids(self) -> list[int]:
        return list(
            self.s.scalars(
                select(EventRow.id).where(EventRow.sent_at.is_(None)).order_by(EventRow.id)
            )
        )

    def claim_event(self, row_id: int, now: dt.datetime) -> str | None:
        res = self.s.execute(
            update(EventRow)
            .where(EventRow.id == row_id, EventRow.sent_at.is_(None))
            .values(sent_at=now)
            .execution_options(synchronize_session=False)
        )
        if res.rowcount != 1:  # type: ignore[attr-defined]
            return None
        return self.s.scalar(select(EventRow.body).where(EventRow.id == row_id))

    def unclaim_event(self, row_id: int) -> None:
        self.s.execute(
            update(EventRow)
            .where(EventRow.id == row_id)
            .values(sent_at=None)
            .execution_options(synchronize_session=False)
        )

    # --- bank ----------------------------------------------------------------------

    def bank(self) -> list[BankRow]:
        return list(self.s.scalars(select(BankRow).where(BankRow.active).order_by(BankRow.id)))

    def bank_for_case(self, case_id: int) -> list[BankRow]:
        return list(self.s.scalars(select(BankRow).where(BankRow.case_id == case_id)))

    # --- report inputs -------------------------------------------------------------

    def notices_between(self, start: dt.datetime, end: dt.datetime) -> Sequence[NoticeRow]:
        return list(
            self.s.scalars(
                select(NoticeRow).where(NoticeRow.received_at >= start, NoticeRow.received_at < end)
            )
        )

    def final_decisions_between(self, start: dt.datetime, end: dt.datetime) -> list[DecisionRow]:
        return list(
            self.s.scalars(
                select(DecisionRow).where(
                    DecisionRow.status == DecisionStatus.FINAL.value,
                    DecisionRow.final_at >= start,
                    DecisionRow.final_at < end,
                )
            )
        )

    def actions_between(self, start: dt.datetime, end: dt.datetime) -> list[ActionRow]:
        return list(
            self.s.scalars(
                select(ActionRow).where(ActionRow.created_at >= start, ActionRow.created_at < end)
            )
        )

    def appeals_between(self, start: dt.datetime, end: dt.datetime) -> list[AppealRow]:
        return list(
            self.s.scalars(
                select(AppealRow).where(AppealRow.filed_at >= start, AppealRow.filed_at < end)
            )
        )


# --- views ---------------------------------------------------------------------------


def case_view(row: CaseRow, notices: Sequence[NoticeRow] = ()) -> CaseView:
    return CaseView(
        id=row.id,
        public_id=row.public_id,
        number=row.number,
        state=CaseState(row.state),
        category=NoticeCategory(row.category),
        priority=row.priority,
        due_at=aware(row.due_at),
        media_sha256=row.media_sha256,
        content_url=row.content_url,
        platform=row.platform,
        version=row.version,
        notice_count=len(notices),
        created_at=aware(row.created_at),
        sources=tuple(sorted({SourceType(n.source) for n in notices})),
    )


def decision_view(row: DecisionRow) -> DecisionView:
    return DecisionView(
        id=row.id,
        case_id=row.case_id,
        outcome=Outcome(row.outcome),
        rule_id=row.rule_id,
        policy_version=row.policy_version,
        explanation=row.explanation,
        reviewer=row.reviewer,
        second_reviewer=row.second_reviewer,
        status=DecisionStatus(row.status),
        automated=row.automated,
        created_at=aware(row.created_at),
        final_at=aware_opt(row.final_at),
    )


def appeal_view(row: AppealRow) -> AppealView:
    return AppealView(
        id=row.id,
        public_id=row.public_id,
        case_id=row.case_id,
        decision_id=row.decision_id,
        party=Party(row.party),
        grounds=row.grounds,
        filed_at=aware(row.filed_at),
        outcome=AppealOutcome(row.outcome) if row.outcome else None,
        reviewer=row.reviewer,
        explanation=row.explanation,
        decided_at=aware_opt(row.decided_at),
    )
