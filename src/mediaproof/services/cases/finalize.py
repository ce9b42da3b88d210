"""What a decision sets off: for a proposal, one event; for a final decision, the action
on the content, the bank entry, the statements of reasons (for people, and for the DSA
Transparency Database), the platform's webhook, the log events and the reporters' e-mail.

Shared by review (``decide``, ``confirm``), appeals (a reversal of "no action") and the
bank (identical copies of confirmed media).
"""

from __future__ import annotations

import datetime as dt
import json
from typing import TYPE_CHECKING, Any

from mediaproof.cases import events as ev
from mediaproof.cases.bank import BANK_REVIEWER
from mediaproof.cases.errors import CaseError
from mediaproof.cases.models import OUTCOME_ACTION, ActionType, DecisionStatus, Outcome, SourceType
from mediaproof.cases.policy import PolicyRule
from mediaproof.cases.sor import (
    SorFacts,
    appellants,
    build_record,
    human_statement,
    validate_record,
)
from mediaproof.services.cases.core import CaseContext, _hash_token, _new_id, _safe_token, scrub
from mediaproof.services.cases.deliveries import WebhookOutbox
from mediaproof.services.cases.results import DecisionResult
from mediaproof.services.cases.transition import Transition
from mediaproof.storage.sql.repos_cases import aware, case_view, decision_view

if TYPE_CHECKING:
    from mediaproof.storage.sql.tables_cases import DecisionRow


def decision_event(
    t: Transition,
    d: DecisionRow,
    status: str,
    media_sha256: str | None,
    statement_puid: str | None = None,
) -> dict[str, Any]:
    """The log event of a decision on ``t``'s case as it is proposed, rejected or made
    final (with the statement of reasons' puid where one went to the DSA database)."""
    return ev.decision_made(
        t.now,
        t.case.public_id,
        f"d{d.id}",
        d.outcome,
        status,
        d.rule_id,
        d.policy_version,
        media_sha256,
        d.automated,
        statement_puid,
    )


class Finalizer:
    def __init__(self, ctx: CaseContext, webhooks: WebhookOutbox) -> None:
        self.ctx = ctx
        self.webhooks = webhooks

    def after_decision(
        self,
        t: Transition,
        d: DecisionRow,
        rule: PolicyRule,
        base_url: str | None = None,
        *,
        mail_reporters: bool = True,
    ) -> DecisionResult:
        """A proposal is logged and waits for its second reviewer; a final decision is
        carried out (:meth:`finalize`)."""
        case = t.case
        if d.status != DecisionStatus.FINAL.value:
            t.events.append(decision_event(t, d, "proposed", case.media_sha256))
            return DecisionResult(case_view(case, t.repo.notices(case.id)), decision_view(d))
        return self.finalize(
            t,
            d,
            rule,
            automated_detection=False,
            base_url=base_url,
            mail_reporters=mail_reporters,
        )

    def finalize(
        self,
        t: Transition,
        d: DecisionRow,
        rule: PolicyRule,
        *,
        automated_detection: bool,
        content_url: str | None = None,
        media_sha256: str | None = None,
        appeal_note: str | None = None,
        source: SourceType | None = None,
        base_url: str | None = None,
        mail_reporters: bool = True,
    ) -> DecisionResult:
        """A final decision: action, statement of reasons, bank, webhook, events."""
        repo, case, now, policy = t.repo, t.case, t.now, self.ctx.policy
        outcome = Outcome(d.outcome)
        action = OUTCOME_ACTION[outcome]
        notices = repo.notices(case.id)
        explanation = scrub(d.explanation, notices)
        sha = media_sha256 or case.media_sha256
        action_ids: list[str] = []
        appeal_url: str | None = None
        action_events: list[dict[str, Any]] = []
        uploader_token: str | None = None
        if action is not None:
            uploader_token = _safe_token()
            a = repo.add_action(
                _new_id(),
                case.id,
                decision_id=d.id,
                action=action.value,
                media_sha256=sha,
                content_url=content_url or case.content_url,
                automated_detection=automated_detection,
                automated_decision=d.automated,
                ground=rule.ground,
                appeal_token_hash=_hash_token(uploader_token),
                now=now,
            )
            action_ids.append(a.public_id)
            appeal_url = self.ctx.appeal_url(uploader_token, base_url)
            delivered_token = self.webhooks.enqueue(
                t.outbox, case, a, now, appeal_token=uploader_token, appeal_url=appeal_url
            )
            if delivered_token:
                # it travels to the platform, not back to the caller
                uploader_token = appeal_url = None
            # media a reversal took out of the bank is switched back on (add_bank_entry)
            if sha and not any(b.sha256 == sha and b.active for b in repo.bank_for_case(case.id)):
                fps: dict[str, str] = {}
                for n in notices:
                    if n.media_sha256 == sha:
                        fps.update(json.loads(n.fingerprints or "{}"))
                repo.add_bank_entry(case.id, sha, fps, now)
            # logged after the decision it carries out (below): cause before effect
            action_events.append(
                ev.action_taken(now, case.public_id, a.public_id, action.value, sha)
            )
        copy = d.automated and d.reviewer == BANK_REVIEWER
        if d.appeal_id is not None and appeal_note is None:  # confirmed after an appeal
            appeal_note = f"Decided on appeal {repo.appeal(d.appeal_id).public_id}."
        puid = f"{case.number}-d{d.id}"
        end = (
            (now + dt.timedelta(days=policy.restrict_days)).date()
            if action is ActionType.RESTRICT and policy.restrict_days
            else None
        )
        if source is None:
            source = SourceType(notices[0].source) if notices else SourceType.AUTOMATED
        facts = None
        record: dict[str, Any] | None = None
        if action is not None:
            facts = SorFacts(
                puid=puid,
                action=action,
                rule=rule,
                policy=policy,
                explanation=explanation,
                mime=case.mime,
                content_date=(aware(notices[0].received_at) if notices else now).date(),
                application_date=now.date(),
                source=source,
                automated_detection=automated_detection or source is SourceType.AUTOMATED,
                automated_decision=(
                    "AUTOMATED_DECISION_FULLY"
                    if d.automated
                    else "AUTOMATED_DECISION_NOT_AUTOMATED"
                ),
                case_number=case.number,
                media_sha256=sha,
                end_date=end,
                appeal_note=appeal_note,
            )
            record = build_record(facts)
            problems = validate_record(record)
            if problems:  # a bug in the mapping, never the reviewer's fault
                raise CaseError("statement of reasons invalid: " + "; ".join(map(str, problems)))
        human = human_statement(
            facts,
            outcome=outcome,
            case_number=case.number,
            decided_on=now.date(),
            rule=rule,
            policy=policy,
            explanation=explanation,
            automated_detection=automated_detection or source is SourceType.AUTOMATED,
            automated_decision=d.automated,
            appeal_until=(now + policy.appeal_window).date(),
            notice_based=source is not SourceType.AUTOMATED,
            out_of_court=self.ctx.out_of_court,
            may_appeal=appellants(outcome=outcome, copy=copy, on_appeal=d.appeal_id is not None),
        )
        repo.add_statement(puid, case.id, human=human, record=record, now=now, decision_id=d.id)
        t.events.append(decision_event(t, d, "final", sha, puid if record else None))
        t.events.extend(action_events)
        if mail_reporters:  # the reporters get the statement of reasons
            t.mails += self.ctx.reporter_mails(
                notices, f"[mediaproof] Decision on case {case.number}", human, base_url, now
            )
        return DecisionResult(
            case_view(case, notices),
            decision_view(d),
            tuple(action_ids),
            puid if record else None,
            uploader_token,
            appeal_url,
        )
