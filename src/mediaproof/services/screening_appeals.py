"""A generation tool's user contests a block or hold, through the case workflow.

The tool files the appeal for its user (``POST /api/v1/screen/appeals``: the event id it
was answered, the user's pseudonymous ``user_ref``, the user's grounds). The screening
decision becomes a case of its own (``CaseService.appeal_automated_restriction``): the
automated decision as it was made, with a statement of reasons, then the appeal, which a
named human reviewer who took no part decides in the ordinary appeal queue, under the
same rules as every appeal. A reversal lifts the block: the event no longer counts
towards the ban rule and an active ban of that user of that tool is lifted, in the
transaction of the appeal decision (:func:`on_appeal_decided`); the tool hears of the
outcome by webhook (``screen.appeal_decided``, and ``screen.ban_lifted`` with it).

Nothing here stores or sends the prompt: the case holds the rules, the policy version,
the tool and the pseudonymous user reference; the user's grounds stay in the case.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from mediaproof.cases.models import AppealOutcome
from mediaproof.errors import ConflictError, NotFoundError, UsageError
from mediaproof.services import screening_webhooks as tool_webhooks
from mediaproof.services.cases.service import CaseService
from mediaproof.services.instance import Instance
from mediaproof.services.screening import USER_REF, lift_ban_in
from mediaproof.storage.sql.repos_screening import ScreeningRepository
from mediaproof.storage.sql.times import aware

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

APPEALABLE = ("block", "hold")
REVIEWER = "auto:screening"
MAX_GROUNDS = 5000


def appeal(
    inst: Instance,
    cases: CaseService,
    *,
    tool: str,
    user_ref: str,
    event_id: int,
    grounds: str,
    now: dt.datetime | None = None,
) -> dict[str, Any]:
    """File the appeal of one recorded block or hold of this tool's user."""
    now = now or dt.datetime.now(dt.UTC)
    if not USER_REF.match(user_ref):
        raise UsageError("user_ref must be a pseudonymous id of 1-128 letters, digits or . _ : -")
    if len(grounds) > MAX_GROUNDS:
        raise UsageError(f"the grounds are limited to {MAX_GROUNDS} characters")
    tool = tool[:100]
    with inst.db.session() as s:
        repo = ScreeningRepository(s)
        ev = repo.event(event_id)
        # another tool's event, or another user's, is "not found": nothing to learn from it
        if ev is None or ev.tool != tool or ev.user_ref != user_ref:
            raise NotFoundError(f"no block or hold {event_id} of this user of this tool")
        if ev.decision not in APPEALABLE:
            raise UsageError("only a block or a hold can be appealed (a review is not a decision)")
        if repo.appeal_by_event(event_id) is not None:
            raise ConflictError(f"block or hold {event_id} was appealed already")
        decided_at = aware(ev.at)
        rules = sorted({str(r.get("rule", "")) for r in json.loads(ev.reasons)} - {""})
        policy_version, decision = ev.policy_version, ev.decision
    what = (
        "output screening held a generated file"
        if decision == "hold"
        else ("prompt screening blocked a prompt")
    )
    rule_id = ("screening:" + (rules[0] if rules else decision))[:50]
    explanation = (
        f"Automated {what} of user {user_ref} of the generation tool {tool} "
        f"(event {event_id}; rules: {', '.join(rules) or 'none recorded'}; "
        f"policy version {policy_version}). The prompt's text is not kept."
    )
    statement = (
        f"Statement of reasons: on {decided_at.date().isoformat()} automated {what} for "
        f"user {user_ref} of the generation tool {tool}, under the rules "
        f"{', '.join(rules) or '(none recorded)'} (policy version {policy_version}). The "
        "decision was taken by automated means, without human review. It restricts only "
        "this tool's service to this user; no content was removed or labelled.\n"
        "The user appealed: a human reviewer who took no part in the decision decides. "
        "A reversal lifts the block, and a ban it led to."
    )

    def link(session: Session, case_id: int) -> None:
        ScreeningRepository(session).add_appeal(
            case_id=case_id, event_id=event_id, tool=tool, user_ref=user_ref, filed_at=now
        )

    case, a = cases.appeal_automated_restriction(
        reviewer=REVIEWER,
        rule_id=rule_id,
        policy_version=policy_version[:40],
        explanation=explanation,
        statement=statement,
        decided_at=decided_at,
        grounds=grounds,
        now=now,
        link=link,
    )
    return {
        "appeal_id": a.public_id,
        "case_number": case.number,
        "event_id": event_id,
        "user_ref": user_ref,
        "status": "filed",
    }


def appeal_hook(inst: Instance) -> Callable[..., None]:
    """:func:`on_appeal_decided` for this instance (the lifted ban's log leaf is keyed
    with the instance's secret)."""

    def hook(
        s: Session,
        case_id: int,
        appeal_id: str,
        outcome: AppealOutcome,
        reviewer: str,
        now: dt.datetime,
    ) -> None:
        on_appeal_decided(s, case_id, appeal_id, outcome, reviewer, now, inst=inst)

    return hook


def on_appeal_decided(
    s: Session,
    case_id: int,
    appeal_id: str,
    outcome: AppealOutcome,
    reviewer: str,
    now: dt.datetime,
    *,
    inst: Instance,
) -> None:
    """The case workflow's hook (``Appeals.on_decided``): for a screening appeal, record
    the outcome; on reversal lift the user's ban; tell the tool."""
    repo = ScreeningRepository(s)
    link = repo.appeal_by_case(case_id)
    if link is None:
        return  # not a screening appeal
    link.outcome, link.decided_at = outcome.value, now
    lifted = None
    if outcome is AppealOutcome.REVERSED:
        why = f"appeal {appeal_id} reversed"
        lifted = lift_ban_in(inst, s, link.tool, link.user_ref, reviewer, why, now)
    body = {
        "appeal_id": appeal_id,
        "event_id": link.event_id,
        "user_ref": link.user_ref,
        "outcome": outcome.value,
        "ban_lifted": lifted is not None,
    }
    tool_webhooks.enqueue(s, link.tool, "screen.appeal_decided", body, now)
