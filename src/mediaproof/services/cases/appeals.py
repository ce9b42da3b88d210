"""Appeals (DSA Art. 20): a reporter or the uploader contests a final decision, and a
reviewer who took no part in it decides. The original decision stays on record; a
reversal restores what the case removed, or turns "no action" into a new outcome."""

from __future__ import annotations

import datetime as dt

from mediaproof.cases import events as ev
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
    DecisionView,
    Outcome,
    Party,
)
from mediaproof.errors import ConflictError, UsageError
from mediaproof.services.cases.core import CaseContext, _hash_token, _new_id, _utc, scrub
from mediaproof.services.cases.deliveries import WebhookOutbox
from mediaproof.services.cases.finalize import Finalizer
from mediaproof.services.cases.results import AppealResult
from mediaproof.services.cases.transition import Transition
from mediaproof.storage.sql.repos_cases import appeal_view, aware, case_view


class Appeals:
    def __init__(self, ctx: CaseContext, finalizer: Finalizer, webhooks: WebhookOutbox) -> None:
        self.ctx = ctx
        self.finalizer = finalizer
        self.webhooks = webhooks

    def appeal(self, token: str, *, grounds: str, now: dt.datetime) -> AppealView:
        """File an appeal with a status token (reporter) or an appeal token (uploader)."""
        now = _utc(now)
        if len(grounds.strip()) < 10:
            raise UsageError("say why the decision should change")
        with self.ctx.transition(now) as t:
            h = _hash_token(token)
            notice = t.repo.notice_by_token_hash(h)
            if notice is not None:
                case, party = t.open(notice.case_id), Party.REPORTER
            else:
                found = t.repo.action_by_token_hash(h)
                if found is None:
                    raise TokenError("no case matches this token")
                case, party = t.open(found.case_id), Party.UPLOADER
            d = t.repo.latest_final(case.id)
            if d is None:
                raise CaseError("there is no decision on this case to appeal yet")
            check_appellant(party, Outcome(d.outcome))
            check_appeal_window(
                aware(d.final_at or d.created_at), now, self.ctx.policy.appeal_window
            )
            t.move(Step.APPEAL)
            a = t.repo.add_appeal(
                _new_id(),
                case.id,
                d.id,
                party,
                scrub(grounds.strip(), t.repo.notices(case.id)),
                now,
            )
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
            original = next(d for d in t.repo.decisions(case.id) if d.id == a.decision_id)
            t.check_reviewer(reviewer, decided_by=(original.reviewer, original.second_reviewer))
            if a.outcome is not None:
                raise ConflictError("this appeal was already decided")
            reverse_no_action = (
                outcome is AppealOutcome.REVERSED and Outcome(original.outcome) is Outcome.NO_ACTION
            )
            if reverse_no_action and (new_outcome is None or rule_id is None):
                raise UsageError("reversing 'no action' needs the new outcome and its rule")
            # the same four-eyes rule as a first decision: a removal on appeal is proposed
            four_eyes = (
                reverse_no_action
                and new_outcome is not None
                and decision_step(new_outcome, policy.second_review_for) is Step.PROPOSE
            )
            t.move(Step.PROPOSE_ON_APPEAL if four_eyes else Step.DECIDE_APPEAL)
            a.outcome = outcome.value
            a.reviewer = reviewer.strip()
            a.explanation = scrub(explanation.strip(), t.repo.notices(case.id))
            a.decided_at = now
            notices = t.repo.notices(case.id)
            text = scrub(a.explanation, notices)
            restore_id: str | None = None
            new_decision: DecisionView | None = None
            record_puid: str | None = None
            original_action = OUTCOME_ACTION[Outcome(original.outcome)]
            if outcome is AppealOutcome.REVERSED and original_action is not None:
                restore_id = self._restore(t, a.id)
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
            appeal_text = (
                f"Appeal decision on case {case.number}, {now.date().isoformat()}\n\n"
                f"{verdict}\nReasons: {text}\n"
                f"The original decision (rule {original.rule_id}, policy version "
                f"{original.policy_version}) is kept on record.\n"
                "Decided by a reviewer who took no part in the original decision.\n"
                "Further redress: a certified out-of-court dispute settlement body "
                "(DSA Art. 21), or a competent court."
            )
            t.repo.add_statement(
                f"{case.number}-a{a.id}",
                case.id,
                human=appeal_text,
                record=None,  # a restore lifts a restriction: nothing for the DSA database
                now=now,
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
            return AppealResult(case_view(case, notices), appeal_view(a), restore_id, new_decision)

    def _restore(self, t: Transition, appeal_id: int) -> str | None:
        """Restore everything the case did, copies matched from the bank included, and
        take its media out of the bank. Returns the first restore action's public id."""
        case, now = t.case, t.now
        restore_id: str | None = None
        standing = [x for x in t.repo.actions(case.id) if x.action != "restore"]
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
        for b in t.repo.bank_for_case(case.id):
            b.active = False  # reversed media must not match automatically any more
        return restore_id
