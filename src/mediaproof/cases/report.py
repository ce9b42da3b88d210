"""Transparency reports for a period, from records: CSV (RFC 4180, UTF-8) and HTML.

The CSV is long-format, one number per row: ``section,metric,dimension,subdimension,value``.
Sections follow the parts of the EU quantitative template (Implementing Regulation (EU)
2024/2835) that apply to this service: Art. 16 notices by category and source, moderation
actions by type and ground, use of automated means, median time to action, and Art. 20
complaints with their outcomes. No personal data enters a report: the inputs carry
categories, types, times and outcomes only.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import statistics
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape

COLUMNS = ("section", "metric", "dimension", "subdimension", "value")


@dataclass(frozen=True)
class NoticeRec:
    category: str
    source: str
    received_at: dt.datetime


@dataclass(frozen=True)
class ActionRec:
    action: str  # label / remove / restrict / restore
    ground: str  # illegal / incompatible / reversal
    automated_detection: bool
    automated_decision: bool
    at: dt.datetime
    hours_to_action: float | None  # from the first notice; None for own-initiative actions


@dataclass(frozen=True)
class DecisionRec:
    outcome: str
    automated: bool


@dataclass(frozen=True)
class ComplaintRec:
    party: str
    filed_at: dt.datetime
    outcome: str | None  # upheld / reversed / None while open
    hours_to_decision: float | None


@dataclass
class Report:
    start: dt.datetime
    end: dt.datetime
    rows: list[tuple[str, str, str, str, float | int]] = field(default_factory=list)

    def value(self, section: str, metric: str, dim: str = "", sub: str = "") -> float | int:
        for r in self.rows:
            if r[:4] == (section, metric, dim, sub):
                return r[4]
        return 0

    def section(self, name: str) -> list[tuple[str, str, str, str, float | int]]:
        return [r for r in self.rows if r[0] == name]


def build(
    start: dt.datetime,
    end: dt.datetime,
    notices: Sequence[NoticeRec],
    decisions: Sequence[DecisionRec],
    actions: Sequence[ActionRec],
    complaints: Sequence[ComplaintRec],
) -> Report:
    """Aggregate records already limited to ``[start, end)`` by the caller."""
    rep = Report(start, end)
    add = rep.rows.append

    add(("notices", "received", "all", "", len(notices)))
    for (cat, src), n in sorted(Counter((x.category, x.source) for x in notices).items()):
        add(("notices", "received", cat, src, n))
    for cat, n in sorted(Counter(x.category for x in notices).items()):
        add(("notices", "received_by_category", cat, "", n))
    for src, n in sorted(Counter(x.source for x in notices).items()):
        add(("notices", "received_by_source", src, "", n))

    add(("decisions", "taken", "all", "", len(decisions)))
    for out, n in sorted(Counter(d.outcome for d in decisions).items()):
        add(("decisions", "taken", out, "", n))

    add(("actions", "taken", "all", "", len(actions)))
    for (kind, ground), n in sorted(Counter((a.action, a.ground) for a in actions).items()):
        add(("actions", "taken", kind, ground, n))

    add(
        (
            "automated_means",
            "actions_detected_automatically",
            "",
            "",
            sum(a.automated_detection for a in actions),
        )
    )
    add(
        (
            "automated_means",
            "actions_decided_automatically",
            "",
            "",
            sum(a.automated_decision for a in actions),
        )
    )
    add(("automated_means", "decisions_automated", "", "", sum(d.automated for d in decisions)))
    add(
        (
            "automated_means",
            "notices_from_automated_detection",
            "",
            "",
            sum(1 for x in notices if x.source == "automated"),
        )
    )

    timed = [
        a.hours_to_action
        for a in actions
        if a.hours_to_action is not None and a.action != "restore"
    ]
    add(
        (
            "time_to_action",
            "median_hours",
            "all",
            "",
            round(statistics.median(timed), 2) if timed else 0,
        )
    )
    add(("time_to_action", "actions_measured", "all", "", len(timed)))

    add(("complaints", "received", "all", "", len(complaints)))
    for party, n in sorted(Counter(c.party for c in complaints).items()):
        add(("complaints", "received", party, "", n))
    decided = [c for c in complaints if c.outcome is not None]
    add(("complaints", "decided", "all", "", len(decided)))
    for out, n in sorted(Counter(str(c.outcome) for c in decided).items()):
        add(("complaints", "decided", out, "", n))
    add(("complaints", "pending", "all", "", len(complaints) - len(decided)))
    ch = [c.hours_to_decision for c in decided if c.hours_to_decision is not None]
    add(
        (
            "complaints",
            "median_hours_to_decision",
            "all",
            "",
            round(statistics.median(ch), 2) if ch else 0,
        )
    )
    return rep


def to_csv(rep: Report) -> str:
    """RFC 4180: CRLF line ends, quotes where needed. Encode the result as UTF-8."""
    buf = io.StringIO(newline="")
    w = csv.writer(buf, lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
    w.writerow(("period_start", "period_end", *COLUMNS))
    s, e = rep.start.date().isoformat(), rep.end.date().isoformat()
    for row in rep.rows:
        w.writerow((s, e, *row))
    return buf.getvalue()


_env = Environment(
    loader=FileSystemLoader(Path(__file__).parent / "templates"),
    autoescape=select_autoescape(["html", "j2"]),
)


def _bars(rows: Sequence[tuple[str, float | int]]) -> dict[str, object]:
    top = max((float(v) for _, v in rows), default=0.0) or 1.0
    return {
        "rows": [(label, v, round(300 * float(v) / top, 1)) for label, v in rows],
        "height": 24 * len(rows) + 4,
    }


def to_html(
    rep: Report, *, title: str = "Transparency report", stylesheet: str | None = None
) -> str:
    """A self-contained page; ``stylesheet`` links the styles instead of inlining them
    (a service whose Content-Security-Policy refuses inline styles passes its URL)."""
    charts = {
        "Notices by category": _bars(
            [(r[2], r[4]) for r in rep.section("notices") if r[1] == "received_by_category"]
        ),
        "Notices by source": _bars(
            [(r[2], r[4]) for r in rep.section("notices") if r[1] == "received_by_source"]
        ),
        "Actions by type and ground": _bars(
            [(f"{r[2]} ({r[3]})", r[4]) for r in rep.section("actions") if r[2] != "all"]
        ),
        "Complaints by outcome": _bars(
            [(r[2], r[4]) for r in rep.section("complaints") if r[1] == "decided" and r[2] != "all"]
        ),
    }
    return _env.get_template("report.html.j2").render(
        title=title, rep=rep, charts=charts, columns=COLUMNS, stylesheet=stylesheet
    )
