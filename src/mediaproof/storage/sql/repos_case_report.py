"""Reads for what the case workflow publishes: statements of reasons for the DSA
Transparency Database, and the inputs of the transparency report (by period)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from mediaproof.cases.models import DecisionStatus
from mediaproof.storage.sql.repos_cases import aware
from mediaproof.storage.sql.tables_cases import (
    ActionRow,
    AppealRow,
    DecisionRow,
    NoticeRow,
    StatementRow,
)


class CaseReportRepository:
    def __init__(self, session: Session) -> None:
        self.s = session

    # --- statements of reasons for the DSA database ----------------------------------

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

    # --- report inputs -------------------------------------------------------------

    def notices_between(self, start: dt.datetime, end: dt.datetime) -> Sequence[NoticeRow]:
        return list(
            self.s.scalars(
                select(NoticeRow).where(NoticeRow.received_at >= start, NoticeRow.received_at < end)
            )
        )

    def first_notice_times(self, case_ids: Sequence[int]) -> dict[int, dt.datetime]:
        if not case_ids:
            return {}
        rows = self.s.execute(
            select(NoticeRow.case_id, func.min(NoticeRow.received_at))
            .where(NoticeRow.case_id.in_(set(case_ids)))
            .group_by(NoticeRow.case_id)
        )
        return {cid: aware(t) for cid, t in rows}

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
