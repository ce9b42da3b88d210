"""What the case workflow publishes about itself: statements of reasons for the DSA
Transparency Database, and the transparency report over a period (``cases.report``).

The report also counts what screening for generation tools did, per tool: blocks,
reviews and holds, bans, appeals and reversals (section ``screening``; tool names only,
no user references, no prompts). Appeals of screening blocks are carried by cases of
their own; those cases are counted there and kept out of the DSA sections, since they
restricted no hosted content."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from mediaproof.cases import report as rpt
from mediaproof.cases.models import ActionType, Outcome
from mediaproof.cases.sor import batches
from mediaproof.errors import UsageError
from mediaproof.services.cases.core import CaseContext
from mediaproof.storage.sql.repos_case_report import CaseReportRepository
from mediaproof.storage.sql.repos_cases import aware
from mediaproof.storage.sql.repos_screening import ScreeningRepository

# section "screening": the metrics per tool, in this order (decision -> metric)
SCREENING_METRICS = ("blocks", "reviews", "holds", "bans", "appeals", "reversals")
_EVENT_METRIC = {"block": "blocks", "review": "reviews", "hold": "holds"}


class Reporting:
    def __init__(self, ctx: CaseContext) -> None:
        self.ctx = ctx

    def sor_export(
        self,
        now: dt.datetime,
        *,
        mark_exported: bool = True,
        include_exported: bool = False,
        start: dt.datetime | None = None,
        end: dt.datetime | None = None,
    ) -> list[dict[str, list[dict[str, Any]]]]:
        """Bodies for POST /api/v2/statements (<= 100 statements each)."""
        with self.ctx.db.session() as s:
            repo = CaseReportRepository(s)
            if include_exported:
                rows = repo.records_between(
                    start or dt.datetime(2000, 1, 1, tzinfo=dt.UTC),
                    end or now + dt.timedelta(days=1),
                )
            else:
                rows = repo.unexported_records()
            records = [json.loads(r.record) for r in rows if r.record]
            if mark_exported:
                for r in rows:
                    r.exported_at = r.exported_at or now
        return batches(records)

    def transparency_report(self, start: dt.datetime, end: dt.datetime) -> rpt.Report:
        if start.tzinfo is None or end.tzinfo is None:
            raise UsageError("give the report period with a time zone (e.g. UTC)")
        # stored times are UTC; SQLite compares them as text, so compare in UTC too
        start, end = start.astimezone(dt.UTC), end.astimezone(dt.UTC)
        if end <= start:
            raise UsageError("the report period must end after it starts")
        with self.ctx.db.session() as s:
            repo = CaseReportRepository(s)
            screening = ScreeningRepository(s)
            own = screening.appeal_case_ids()
            notices = [
                rpt.NoticeRec(n.category, n.source, aware(n.received_at))
                for n in repo.notices_between(start, end)
            ]
            decisions = [
                rpt.DecisionRec(d.outcome, d.automated)
                for d in repo.final_decisions_between(start, end)
                # a reversal's "no action" is the complaint's outcome, counted there
                if d.case_id not in own
                and not (d.appeal_id is not None and d.outcome == Outcome.NO_ACTION.value)
            ]
            actions = []
            rows = repo.actions_between(start, end)
            firsts = repo.first_notice_times([a.case_id for a in rows])
            for a in rows:
                first = firsts.get(a.case_id)
                hours = None
                if first is not None and a.action != ActionType.RESTORE.value:
                    hours = (aware(a.created_at) - first).total_seconds() / 3600
                actions.append(
                    rpt.ActionRec(
                        a.action,
                        a.ground,
                        a.automated_detection,
                        a.automated_decision,
                        aware(a.created_at),
                        hours,
                    )
                )
            complaints = [
                rpt.ComplaintRec(
                    a.party,
                    aware(a.filed_at),
                    a.outcome,
                    (aware(a.decided_at) - aware(a.filed_at)).total_seconds() / 3600
                    if a.decided_at
                    else None,
                )
                for a in repo.appeals_between(start, end)
                if a.case_id not in own
            ]
            counts = _screening_counts(screening, start, end)
        rep = rpt.build(start, end, notices, decisions, actions, complaints)
        for metric in SCREENING_METRICS:
            rep.rows.append(
                ("screening", metric, "all", "", sum(c[metric] for c in counts.values()))
            )
        for tool in sorted(counts):
            for metric in SCREENING_METRICS:
                rep.rows.append(("screening", metric, tool, "", counts[tool][metric]))
        return rep


def _screening_counts(
    repo: ScreeningRepository, start: dt.datetime, end: dt.datetime
) -> dict[str, dict[str, int]]:
    """Per tool: blocks, reviews, holds, bans and appeals recorded in the period, and the
    appeals reversed in it."""
    out: dict[str, dict[str, int]] = {}

    def bump(tool: str, metric: str, n: int) -> None:
        out.setdefault(tool, dict.fromkeys(SCREENING_METRICS, 0))[metric] += n

    for tool, decision, n in repo.events_between_by_tool(start, end):
        if decision in _EVENT_METRIC:
            bump(tool, _EVENT_METRIC[decision], n)
    for tool, n in repo.bans_between_by_tool(start, end):
        bump(tool, "bans", n)
    for tool, n in repo.appeals_filed_by_tool(start, end):
        bump(tool, "appeals", n)
    for tool, outcome, n in repo.appeals_decided_by_tool(start, end):
        if outcome == "reversed":
            bump(tool, "reversals", n)
    return out
