"""Repository for prompt and output screening (tables_screening: officials, seeds,
the record of blocks, reviews and holds, and bans).

The screening services never build a row or a query themselves; rows come back to
them only to be turned into their records (``Official``, seeds, event and ban dicts).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from mediaproof.storage.sql.tables_screening import (
    ScreenAppealRow,
    ScreenBanRow,
    ScreenEventRow,
    ScreenOfficialRow,
    ScreenSeedRow,
)


class ScreeningRepository:
    def __init__(self, session: Session) -> None:
        self.s = session

    # --- officials and seeds ---------------------------------------------------------

    def add_official(
        self, name: str, aliases: str, role: str, created_at: dt.datetime
    ) -> ScreenOfficialRow:
        row = ScreenOfficialRow(name=name, aliases=aliases, role=role, created_at=created_at)
        self.s.add(row)
        self.s.flush()
        return row

    def add_officials(self, fields: Sequence[dict[str, Any]]) -> list[ScreenOfficialRow]:
        rows = [ScreenOfficialRow(**f) for f in fields]
        self.s.add_all(rows)
        self.s.flush()
        return rows

    def officials(self) -> list[ScreenOfficialRow]:
        return list(self.s.scalars(select(ScreenOfficialRow).order_by("id")))

    def delete_official(self, official_id: int) -> bool:
        """Whether there was one to delete."""
        row = self.s.get(ScreenOfficialRow, official_id)
        if row is None:
            return False
        self.s.delete(row)
        return True

    def add_seed(
        self, scenario: str, text: str, language: str, created_at: dt.datetime
    ) -> ScreenSeedRow:
        row = ScreenSeedRow(scenario=scenario, text=text, language=language, created_at=created_at)
        self.s.add(row)
        self.s.flush()
        return row

    def seeds(self) -> list[ScreenSeedRow]:
        return list(self.s.scalars(select(ScreenSeedRow).order_by("id")))

    def delete_seed(self, seed_id: int) -> bool:
        """Whether there was one to delete."""
        row = self.s.get(ScreenSeedRow, seed_id)
        if row is None:
            return False
        self.s.delete(row)
        return True

    def version(self) -> tuple[tuple[Any, ...], tuple[Any, ...]]:
        """(count, max id) of the officials and of the seeds: changes when either does."""
        o = self.s.execute(select(func.count(), func.max(ScreenOfficialRow.id))).one()
        d = self.s.execute(select(func.count(), func.max(ScreenSeedRow.id))).one()
        return (tuple(o), tuple(d))

    # --- events --------------------------------------------------------------------------

    def add_event(
        self,
        *,
        at: dt.datetime,
        tool: str,
        user_ref: str | None,
        decision: str,
        policy_version: str,
        prompt_hmac: str,
        prompt_text: str | None,
        reasons: str,
    ) -> int:
        row = ScreenEventRow(
            at=at,
            tool=tool,
            user_ref=user_ref,
            decision=decision,
            policy_version=policy_version,
            prompt_hmac=prompt_hmac,
            prompt_text=prompt_text,
            reasons=reasons,
        )
        self.s.add(row)
        self.s.flush()
        return row.id

    def events(
        self, tool: str | None = None, user_ref: str | None = None, limit: int = 100
    ) -> list[ScreenEventRow]:
        q = select(ScreenEventRow).order_by(ScreenEventRow.id.desc()).limit(limit)
        if tool is not None:
            q = q.where(ScreenEventRow.tool == tool)
        if user_ref is not None:
            q = q.where(ScreenEventRow.user_ref == user_ref)
        return list(self.s.scalars(q))

    def event_counts(self) -> list[tuple[str, str | None, str, int]]:
        """(tool, user_ref, decision, count) for every combination recorded."""
        rows = self.s.execute(
            select(
                ScreenEventRow.tool, ScreenEventRow.user_ref, ScreenEventRow.decision, func.count()
            ).group_by(ScreenEventRow.tool, ScreenEventRow.user_ref, ScreenEventRow.decision)
        ).all()
        return [(t, r, d, int(n)) for t, r, d, n in rows]

    def count_events(
        self, tool: str, user_ref: str, decisions: Sequence[str], since: dt.datetime
    ) -> int:
        """Events of these decisions since ``since``, less those an appeal reversed."""
        reversed_ids = select(ScreenAppealRow.event_id).where(
            ScreenAppealRow.outcome == "reversed"
        )
        n = self.s.scalars(
            select(func.count()).where(
                ScreenEventRow.tool == tool,
                ScreenEventRow.user_ref == user_ref,
                ScreenEventRow.decision.in_(decisions),
                ScreenEventRow.at > since,
                ScreenEventRow.id.not_in(reversed_ids),
            )
        ).one()
        return int(n)

    def event(self, event_id: int) -> ScreenEventRow | None:
        return self.s.get(ScreenEventRow, event_id)

    def events_between_by_tool(
        self, start: dt.datetime, end: dt.datetime
    ) -> list[tuple[str, str, int]]:
        """(tool, decision, count) of the events recorded in [start, end)."""
        rows = self.s.execute(
            select(ScreenEventRow.tool, ScreenEventRow.decision, func.count())
            .where(ScreenEventRow.at >= start, ScreenEventRow.at < end)
            .group_by(ScreenEventRow.tool, ScreenEventRow.decision)
        ).all()
        return [(t, d, int(n)) for t, d, n in rows]

    def bans_between_by_tool(self, start: dt.datetime, end: dt.datetime) -> list[tuple[str, int]]:
        rows = self.s.execute(
            select(ScreenBanRow.tool, func.count())
            .where(ScreenBanRow.at >= start, ScreenBanRow.at < end)
            .group_by(ScreenBanRow.tool)
        ).all()
        return [(t, int(n)) for t, n in rows]

    # --- appeals of blocks and holds -------------------------------------------------------

    def add_appeal(
        self, *, case_id: int, event_id: int, tool: str, user_ref: str, filed_at: dt.datetime
    ) -> ScreenAppealRow:
        row = ScreenAppealRow(
            case_id=case_id, event_id=event_id, tool=tool, user_ref=user_ref, filed_at=filed_at
        )
        self.s.add(row)
        self.s.flush()
        return row

    def appeal_by_case(self, case_id: int) -> ScreenAppealRow | None:
        return self.s.scalars(
            select(ScreenAppealRow).where(ScreenAppealRow.case_id == case_id)
        ).first()

    def appeal_by_event(self, event_id: int) -> ScreenAppealRow | None:
        return self.s.scalars(
            select(ScreenAppealRow).where(ScreenAppealRow.event_id == event_id)
        ).first()

    def appeal_case_ids(self) -> set[int]:
        """The cases that carry screening appeals (kept out of the DSA counts)."""
        return set(self.s.scalars(select(ScreenAppealRow.case_id)))

    def appeals_filed_by_tool(
        self, start: dt.datetime, end: dt.datetime
    ) -> list[tuple[str, int]]:
        rows = self.s.execute(
            select(ScreenAppealRow.tool, func.count())
            .where(ScreenAppealRow.filed_at >= start, ScreenAppealRow.filed_at < end)
            .group_by(ScreenAppealRow.tool)
        ).all()
        return [(t, int(n)) for t, n in rows]

    def appeals_decided_by_tool(
        self, start: dt.datetime, end: dt.datetime
    ) -> list[tuple[str, str, int]]:
        """(tool, outcome, count) of the appeals decided in [start, end)."""
        rows = self.s.execute(
            select(ScreenAppealRow.tool, ScreenAppealRow.outcome, func.count())
            .where(
                ScreenAppealRow.decided_at >= start,
                ScreenAppealRow.decided_at < end,
                ScreenAppealRow.outcome.is_not(None),
            )
            .group_by(ScreenAppealRow.tool, ScreenAppealRow.outcome)
        ).all()
        return [(t, str(o), int(n)) for t, o, n in rows]

    # --- bans ------------------------------------------------------------------------------

    def active_ban(self, tool: str, user_ref: str) -> ScreenBanRow | None:
        """The newest unlifted ban of this tool's user_ref."""
        return self.s.scalars(
            select(ScreenBanRow)
            .where(
                ScreenBanRow.tool == tool,
                ScreenBanRow.user_ref == user_ref,
                ScreenBanRow.lifted_at.is_(None),
            )
            .order_by(ScreenBanRow.id.desc())
        ).first()

    def is_banned(self, tool: str, user_ref: str) -> bool:
        return (
            self.s.scalars(
                select(ScreenBanRow.id).where(
                    ScreenBanRow.tool == tool,
                    ScreenBanRow.user_ref == user_ref,
                    ScreenBanRow.lifted_at.is_(None),
                )
            ).first()
            is not None
        )

    def last_lifted(self, tool: str, user_ref: str) -> dt.datetime | None:
        return self.s.scalars(
            select(func.max(ScreenBanRow.lifted_at)).where(
                ScreenBanRow.tool == tool, ScreenBanRow.user_ref == user_ref
            )
        ).first()

    def add_ban(
        self, tool: str, user_ref: str, at: dt.datetime, events: int, window_s: int
    ) -> ScreenBanRow:
        row = ScreenBanRow(tool=tool, user_ref=user_ref, at=at, events=events, window_s=window_s)
        self.s.add(row)
        self.s.flush()
        return row

    def bans(self, tool: str | None = None, active_only: bool = False) -> list[ScreenBanRow]:
        q = select(ScreenBanRow).order_by(ScreenBanRow.id.desc())
        if tool is not None:
            q = q.where(ScreenBanRow.tool == tool)
        if active_only:
            q = q.where(ScreenBanRow.lifted_at.is_(None))
        return list(self.s.scalars(q))

    def lift_ban(self, tool: str, user_ref: str, at: dt.datetime, by: str) -> ScreenBanRow | None:
        """Mark the (first) unlifted ban lifted; None when there is none."""
        row = self.s.scalars(
            select(ScreenBanRow).where(
                ScreenBanRow.tool == tool,
                ScreenBanRow.user_ref == user_ref,
                ScreenBanRow.lifted_at.is_(None),
            )
        ).first()
        if row is None:
            return None
        row.lifted_at = at
        row.lifted_by = by
        self.s.flush()
        return row
