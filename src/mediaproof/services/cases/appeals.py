"""Appeals (DSA Art. 20): a reporter or the uploader contests a final decision, and a
reviewer who took no part in it decides. The original decision stays on record; a
reversal restores what the case removed, or turns "no action" into a new outcome."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from mediaproof.cases import events as ev
from mediaproof.cases.bank import BANK_REVIEWER
from mediaproof.cases.errors import CaseError, TokenError
from mediaproof.cases.machine import (
    Step,
    check_appeal_window,
    check_appellant,
    decision_step,
)
from mediaproof.cases.models import (
    OUTCOME_ACTION,
    ActionType,
    AppealOutcome,
    AppealView,
    CaseView,
    DecisionStatus,
    DecisionView,
    NoticeCategory,
    NoticeInput,
    Outcome,
    Party,
    Relationship,
)
from mediaproof.cases.policy import triage
from mediaproof.cases.sor import appellants
from mediaproof.errors import ConflictError, UsageError
from mediaproof.services.cases import appeal_rights as rights
from mediaproof.services.cases.core import CaseContext, _hash_token, _new_id, _utc, scrub
from mediaproof.services.cases.deliveries import WebhookOutbox
from mediaproof.services.cases.finalize import Finalizer, decision_event
from mediaproof.services.cases.results import AppealResult
from mediaproof.services.cases.transition import Transition
from mediaproof.storage.sql.repos_cases import appeal_view, aware, case_view

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from mediaproof.storage.sql.tables_cases import DecisionRow

# Called in the transaction of every appeal decision: (session, case id, appeal public
# id, outcome, reviewer, now). Screening registers one that lifts a reversed block's ban.
AppealHook = Callable[["Session", int, str, AppealOutcome, str, dt.datetime], None]
# Called in the transaction that opens an automated-restriction appeal: (session, case id)
LinkHook = Callable[["Session", int], None]


class Appeals:
    def __init__(self, ctx: CaseContext, finalizer: Finalizer, webhooks: WebhookOutbox) -> None:
        self.ctx = ctx
        self.finalizer = finalizer
        self.webhooks = webhooks
        self.on_decided: list[AppealHook] = []

    def appeal_automated_restriction(
        self,
        *,
        reviewer: str,
        rule_id: str,
        policy_version: str,
        explanation: str,
        statement: str,
        decided_at: dt.datetime,
        grounds: str,
        now: dt.datetime,
        link: LinkHook,
    ) -> tuple[CaseView, AppealView]:
        """A restriction decided automatically outside the notice workflow (a generation
        tool's user blocked by prompt or output screening), contested by the person it
        went against. It becomes a case of its own: the automated decision as made
        (``reviewer`` is an ``auto:`` name, final, with its human statement ``statement``
        and no DSA database record, since the operator restricted no hosted content),
        then the appeal, for a named human reviewer who took no part (Art. 20(6) as for
        any appeal). ``link`` runs in the same transaction with the new case's id."""
        now, decided_at = _utc(now), _utc(decided_at)
        if not reviewer.startswith("auto:"):
            raise ValueError("an automated restriction is decided by an auto: reviewer")
        if len(grounds.strip()) < 10:
            raise UsageError("say why the decision should change")
        check_appeal_window(decided_at, now, self.ctx.policy.appeal_window)
        category = NoticeCategory.OTHER
        inp = NoticeInput(
            category=category,
            explanation=explanation,
            reporter_name="",
            reporter_email="",
            relationship=Relationship.THIRD_PARTY,
            good_faith=True,
            signature="",
            automated=True,
        )
        with self.ctx.transition(now) as t:
            case = t.repo.add_case(
                _new_id(), inp, triage(self.ctx.policy, category, inp.source, now), now
            )
            t.open(case.id)
            t.move(Step.DECIDE)
            d = t.repo.add_decision(
                case.id,
                outcome=Outcome.RESTRICT,
                rule_id=rule_id,
                policy_version=policy_version,
                explanation=explanation,
                reviewer=reviewer,
                final=True,
                automated=True,
                now=now,
            )
            t.repo.add_statement(
                f"{case.number}-d{d.id}",
                case.id,
                human=statement,
                record=None,
                now=now,
                decision_id=d.id,
            )
            t.events.append(decision_event(t, d, "final", None))
            a = t.repo.add_appeal(_new_id(), case.id, d.id, Party.UPLOADER, grounds.strip(), now)
            t.move(Step.APPEAL)
            t.events.append(
                ev.appeal_filed(now, case.public_id, a.public_id, Party.UPLOADER.value, f"d{d.id}")
            )
            link(t.repo.s, case.id)
            return case_view(case), appeal_view(a)

    def appeal(self, token: str, *, grounds: str, now: dt.datetime) -> AppealView:
        """File an appeal with a status token (reporter) or an appeal token (uploader):
        one per party and decision (``appeal_rights``), whatever other parties did."""
        now = _utc(now)
        if len(grounds.strip()) < 10:
            raise UsageError("say why the decision should change")
        with self.ctx.transition(now) as t:
            h = _hash_token(token)
            notice = t.repo.notice_by_token_hash(h)
            action = None if notice is not None else t.repo.action_by_token_hash(h)
            d: DecisionRow | None
            if notice is not None:
                case, party = t.open(notice.case_id), Party.REPORTER
                d = rights.reporter_decision(t.repo, case.id)
            elif action is not None:
                case, party = t.open(action.case_id), Party.UPLOADER
                d = rights.uploader_decision(t.repo, action)
            else:
                raise TokenError("no case matches this token")
            if d is None:
                raise CaseError("there is no decision on this case to appeal yet")
            check_appellant(party, Outcome(d.outcome))
            why = rights.why_not(t.repo, d, notice, action)
            if why is not None:
                raise ConflictError(why)
            check_appeal_window(
                aware(d.final_at or d.created_at), now, self.ctx.policy.appeal_window
            )
            a = t.repo.add_appeal(
                _new_id(),
                case.id,
                d.id,
                party,
                scrub(grounds.strip(), t.repo.notices(case.id)),
                now,
                notice_id=notice.id if notice is not None else None,
                action_id=action.id if action is not None else None,
            )
            t.move(Step.APPEAL)
            t.events.append(
                ev.appeal_filed(now, case.public_id, a.public_id, party.value, f"d{d.id}")
            )
            return appeal_view(a)

    def decide_appeal(
        self,
        ref: str | int,
        *,
        reviewer: str,
        outcome: AppealOutcome,
        explanation: str,
        now: dt.datetime,
        new_outcome: Outcome | None = None,
        rule_id: str | None = None,
        base_url: str | None = None,
    ) -> AppealResult:
        """A different human decides. The original decision stays as it was; a reversal
        of an action restores the content, a reversal of "no action" takes ``new_outcome``."""
        now = _utc(now)
        if len(explanation.strip()) < 10:
            raise UsageError("an appeal decision needs a written explanation")
        policy = self.ctx.policy
        with self.ctx.transition(now) as t:
            a, case = t.open_appeal(ref)
            decisions = t.repo.decisions(case.id)
            original = next(d for d in decisions if d.id == a.decision_id)
            basis = _copied_from(decisions, original)
            decided_by: tuple[str | None, ...] = (original.reviewer, original.second_reviewer)
            if basis is not None:
                # an identical copy's automated decision applied the reviewers' judgment:
                # they took part in it, so they do not decide its appeal either
                decided_by += (basis.reviewer, basis.second_reviewer)
            t.check_reviewer(reviewer, decided_by=decided_by)
            if a.outcome is not None:
                raise ConflictError("this appeal was already decided")
            reverse_no_action = (
                outcome is AppealOutcome.REVERSED and Outcome(original.outcome) is Outcome.NO_ACTION
            )
            if reverse_no_action and (new_outcome is None or rule_id is None):
                raise UsageError("reversing 'no action' needs the new outcome and its rule")
            if reverse_no_action and new_outcome is Outcome.NO_ACTION:
                raise UsageError("reversing 'no action' needs an outcome other than no action")
            # the same four-eyes rule as a first decision: a removal on appeal is proposed
            four_eyes = (
                reverse_no_action
                and new_outcome is not None
                and decision_step(new_outcome, policy.second_review_for) is Step.PROPOSE
            )
            a.outcome = outcome.value
            a.reviewer = reviewer.strip()
            a.explanation = scrub(explanation.strip(), t.repo.notices(case.id))
            a.decided_at = now
            # after the appeal is decided: the case settles on the appeals still waiting
            t.move(Step.PROPOSE_ON_APPEAL if four_eyes else Step.DECIDE_APPEAL)
            for hook in self.on_decided:
                hook(t.repo.s, case.id, a.public_id, outcome, a.reviewer, now)
            notices = t.repo.notices(case.id)
            text = scrub(a.explanation, notices)
            restore_id: str | None = None
            new_decision: DecisionView | None = None
            record_puid: str | None = None
            token: tuple[str | None, str | None] = (None, None)
            original_action = OUTCOME_ACTION[Outcome(original.outcome)]
            reversal: DecisionRow | None = None
            if outcome is AppealOutcome.REVERSED and original_action is not None:
                at = len(t.events)
                restore_id = self._restore(t, a.id, original, decisions)
                if basis is None and restore_id is not None:
                    # what now stands, "no action", is a decision of its own: the
                    # reporters who did not lodge this appeal received it and may
                    # appeal it (a new outcome then re-decides the case)
                    reversal = t.repo.add_decision(
                        case.id,
                        outcome=Outcome.NO_ACTION,
                        rule_id=original.rule_id,
                        policy_version=policy.version,
                        explanation=a.explanation,
                        reviewer=a.reviewer,
                        final=True,
                        automated=False,
                        now=now,
                        appeal_id=a.id,
                    )
                    # logged before the restores it causes
                    t.events.insert(at, decision_event(t, reversal, "final", None))
            if reverse_no_action:
                assert new_outcome is not None and rule_id is not None
                rule = self.ctx.rule_for(case, rule_id, new_outcome)
                nd = t.repo.add_decision(
                    case.id,
                    outcome=new_outcome,
                    rule_id=rule.id,
                    policy_version=policy.version,
                    explanation=a.explanation,
                    reviewer=a.reviewer,
                    final=not four_eyes,
                    automated=False,
                    now=now,
                    appeal_id=a.id,
                )
                if four_eyes:
                    res = self.finalizer.after_decision(t, nd, rule, base_url)
                else:
                    res = self.finalizer.finalize(
                        t,
                        nd,
                        rule,
                        automated_detection=False,
                        appeal_note=f"Decided on appeal {a.public_id}.",
                        base_url=base_url,
                    )
                    record_puid = res.statement_puid
                new_decision = res.decision
                token = (res.uploader_token, res.uploader_appeal_url)
            verdict = (
                "The appeal was upheld: the original decision stands."
                if outcome is AppealOutcome.UPHELD
                else "The appeal succeeded: the original decision is reversed"
                + (" and the content restored." if restore_id else ".")
            )
            if four_eyes:
                assert new_outcome is not None
                verdict += (
                    f" The new outcome ({new_outcome.value.replace('_', ' ')}) takes effect "
                    "only once a second reviewer confirms it."
                )
            if basis is not None:
                copy_url = next(
                    (
                        x.content_url
                        for x in t.repo.actions(case.id)
                        if x.decision_id == original.id
                    ),
                    None,
                )
                verdict += (
                    " The appeal concerned the automated decision on one identical copy"
                    + (f" ({copy_url})" if copy_url else "")
                    + f" only; the reviewed decision on case {case.number} is not changed by it."
                )
            appeal_text = (
                f"Appeal decision on case {case.number}, {now.date().isoformat()}\n\n"
                f"{verdict}\nReasons: {text}\n"
                f"The original decision (rule {original.rule_id}, policy version "
                f"{original.policy_version}) is kept on record.\n"
                "Decided by a reviewer who took no part in the original decision.\n"
                "Further redress for the party who appealed: internal redress against the "
                "decision appealed is exhausted; a certified out-of-court dispute settlement "
                "body (DSA Art. 21), or a competent court."
            )
            if reversal is not None:
                until = (now + policy.appeal_window).date().isoformat()
                who = appellants(outcome=Outcome.NO_ACTION, copy=False, on_appeal=True)
                appeal_text += (
                    "\nWhat now stands is no action: no restriction. Internal complaint: "
                    f"{who} may appeal this outcome once, free of charge, until {until}; a "
                    "reviewer who took no part in it will decide."
                )
            t.repo.add_statement(
                f"{case.number}-a{a.id}",
                case.id,
                human=appeal_text,
                record=None,  # a restore lifts a restriction: nothing for the DSA database
                now=now,
                decision_id=reversal.id if reversal is not None else None,
                appeal_id=a.id,
            )
            t.mails[:0] = self.ctx.reporter_mails(
                notices,
                f"[mediaproof] Appeal decided on case {case.number}",
                appeal_text,
                base_url,
                now,
            )
            # the appeal's outcome first, then the restores or new decision it caused
            t.events.insert(
                0,
                ev.appeal_decided(
                    now,
                    case.public_id,
                    a.public_id,
                    outcome.value,
                    f"d{original.id}",
                    policy.version,
                    record_puid,
                ),
            )
            return AppealResult(
                case_view(case, notices), appeal_view(a), restore_id, new_decision, *token
            )

    def _restore(
        self,
        t: Transition,
        appeal_id: int,
        original: DecisionRow,
        decisions: Sequence[DecisionRow],
    ) -> str | None:
        """Restore what the reversed decision did. The reviewers' decision: its action and
        those of the identical copies the bank applied it to, and its media leaves the
        bank. A copy's automated decision: that copy's action only; the reviewers'
        decision and the bank stay. Nothing already restored is restored twice. Returns
        the first restore action's public id."""
        case, now = t.case, t.now
        covered = {original.id}
        if _copied_from(decisions, original) is None:
            covered |= {
                d.id
                for d in decisions
                if (src := _copied_from(decisions, d)) is not None and src.id == original.id
            }
        actions = t.repo.actions(case.id)
        restored = {
            (x.decision_id, x.content_url, x.media_sha256) for x in actions if x.action == "restore"
        }
        standing = [
            x
            for x in actions
            if x.action != "restore"
            and x.decision_id in covered
            and (x.decision_id, x.content_url, x.media_sha256) not in restored
        ]
        restore_id: str | None = None
        for x in standing:
            r = t.repo.add_action(
                _new_id(),
                case.id,
                decision_id=x.decision_id,
                appeal_id=appeal_id,
                action=ActionType.RESTORE.value,
                media_sha256=x.media_sha256,
                content_url=x.content_url,
                automated_detection=False,
                automated_decision=False,
                ground="reversal",
                now=now,
            )
            restore_id = restore_id or r.public_id
            self.webhooks.enqueue(t.outbox, case, r, now, appeal_token=None)
            t.events.append(
                ev.action_taken(now, case.public_id, r.public_id, "restore", r.media_sha256)
            )
        if _copied_from(decisions, original) is None:
            for b in t.repo.bank_for_case(case.id):
                b.active = False  # reversed media must not match automatically any more
        return restore_id


def _copied_from(decisions: Sequence[DecisionRow], d: DecisionRow) -> DecisionRow | None:
    """For the bank's automated decision on an identical copy, the reviewers' decision it
    applied (the latest final human one before it); None for any other decision."""
    if not (d.automated and d.reviewer == BANK_REVIEWER):
        return None
    before = [
        x
        for x in decisions
        if x.id < d.id and not x.automated and x.status == DecisionStatus.FINAL.value
    ]
    return before[-1] if before else None
