"""The bank: uploads matched against media confirmed as deceptive, and the bank rules
(``cases.bank``) applied to a match. An identical copy gets the confirmed outcome at once
(an automated decision on the strength of the reviewed one, with its own statement of
reasons); a near match opens a review case, since a match is a lead, not proof."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping, Sequence
from urllib.parse import urlsplit

from mediaproof.cases import bank as bank_rules
from mediaproof.cases.machine import automatic_outcome_allowed
from mediaproof.cases.models import (
    NoticeCategory,
    NoticeInput,
    Outcome,
    Relationship,
    SourceType,
)
from mediaproof.services.cases.core import CaseContext, _utc
from mediaproof.services.cases.finalize import Finalizer
from mediaproof.services.cases.intake import Intake
from mediaproof.services.cases.results import BankResult
from mediaproof.storage.sql.repos_exchange import ExchangeRepository


class Bank:
    def __init__(
        self,
        ctx: CaseContext,
        finalizer: Finalizer,
        intake: Intake,
        rules: Sequence[bank_rules.BankRule] = bank_rules.DEFAULT_BANK_RULES,
    ) -> None:
        self.ctx = ctx
        self.finalizer = finalizer
        self.intake = intake
        self.rules = tuple(rules)

    def check_upload(
        self,
        sha256: str,
        *,
        now: dt.datetime,
        fingerprints: Mapping[str, str] | None = None,
        content_url: str | None = None,
        location: str | None = None,
        base_url: str | None = None,
    ) -> BankResult:
        """Match a new upload against confirmed deceptive media and apply the bank rules."""
        now = _utc(now)
        fps = dict(fingerprints or {})
        policy = self.ctx.policy
        with self.ctx.transition(now) as t:
            index = self.ctx.media_index
            if isinstance(index, bank_rules.BankIndex):  # the fingerprint index
                found = index.bank_matches(sha256, fps)
            else:
                entries = [
                    bank_rules.BankEntry(b.case_id, b.sha256, json.loads(b.fingerprints or "{}"))
                    for b in t.repo.bank()
                ]
                found = bank_rules.find_matches(sha256, fps, entries)
            action, match = bank_rules.decide(found, self.rules)
            if match is None or action is bank_rules.BankAction.IGNORE:
                return BankResult(bank_rules.BankAction.IGNORE)
            held = None
            unsecond = False
            if action is bank_rules.BankAction.LABEL:
                # a signal a trusted peer disputed stops acting until a reviewer re-confirms
                # it (docs/exchange.md, "Opinions"): people decide instead
                held = ExchangeRepository(t.repo.s).suspended_values(match.entry.fingerprints)
                if held:
                    action = bank_rules.BankAction.QUEUE
            case = t.open(match.entry.case_id)
            number = case.number
            if action is bank_rules.BankAction.LABEL:
                # the reviewers' decision, not an earlier automated copy of it (whose
                # "reviewer" is the bank: copying that would lose the four eyes it had)
                original = t.repo.latest_final(case.id, human=True)
                if original is None:
                    return BankResult(bank_rules.BankAction.IGNORE)
                rule = self.ctx.rule_for(case, original.rule_id, Outcome(original.outcome))
                # where the rule allows no label (intimate deepfakes), identical copies get
                # the confirmed outcome: TAKE IT DOWN asks for removal of identical copies
                copy_outcome = (
                    Outcome.LABEL if Outcome.LABEL in rule.outcomes else (Outcome(original.outcome))
                )
                copied = (original.reviewer, original.second_reviewer)
                if not automatic_outcome_allowed(copy_outcome, policy.second_review_for, copied):
                    # the decision copied lacks the four eyes this outcome needs: people decide
                    action = bank_rules.BankAction.QUEUE
                    unsecond = True
            if action is bank_rules.BankAction.LABEL:
                # the same item checked again (a platform's retry, a re-upload to the same
                # address): the decision already taken on it stands, nothing is added
                assert original is not None  # checked above: no final decision, no label
                url = content_url or case.content_url
                earlier = next(
                    (
                        a
                        for a in t.repo.actions(case.id)
                        if a.automated_decision
                        and a.action == copy_outcome.value
                        and a.media_sha256 == sha256
                        and a.content_url == url
                        and a.decision_id is not None
                        and a.decision_id >= original.id  # since the latest final one
                    ),
                    None,
                )
                if earlier is not None:
                    return BankResult(
                        action,
                        number,
                        match.kind,
                        match.distance,
                        alg=match.alg,
                        action_id=earlier.public_id,
                        applied=copy_outcome,
                        rule_id=rule.id,
                        repeated=True,
                    )
            if action is bank_rules.BankAction.LABEL:
                d = t.repo.add_decision(
                    case.id,
                    outcome=copy_outcome,
                    rule_id=rule.id,
                    policy_version=policy.version,
                    explanation=(
                        f"This upload is identical (sha256) to media confirmed as deceptive "
                        f"in case {case.number}; {copy_outcome.value} applied automatically "
                        "under the bank rules."
                    ),
                    reviewer=bank_rules.BANK_REVIEWER,
                    final=True,
                    automated=True,
                    now=now,
                )
                res = self.finalizer.finalize(
                    t,
                    d,
                    rule,
                    automated_detection=True,
                    content_url=content_url,
                    media_sha256=sha256,
                    source=SourceType.AUTOMATED,  # found by us, not notified
                    base_url=base_url,
                    mail_reporters=False,
                )
                result = BankResult(
                    action,
                    number,
                    match.kind,
                    match.distance,
                    applied=copy_outcome,
                    action_id=res.action_ids[0] if res.action_ids else None,
                    rule_id=rule.id,
                    uploader_token=res.uploader_token,
                    uploader_appeal_url=res.uploader_appeal_url,
                )
            else:
                category = NoticeCategory(case.category)
                result = BankResult(action, number, match.kind, match.distance, alg=match.alg)
        if action is bank_rules.BankAction.QUEUE:
            found_as = (
                f"Automated match: identical (sha256) to media confirmed as deceptive in case "
                f"{number}."
                if match.kind == "exact"
                else f"Automated near match ({match.alg}, distance {match.distance}) to media "
                f"confirmed as deceptive in case {number}. A match is a lead, not proof."
            )
            if held:
                found_as += (
                    " Not applied automatically: a trusted peer disputed the signal "
                    f"({', '.join(held)}) and no reviewer has re-confirmed it."
                )
            elif unsecond:
                found_as += (
                    " Not applied automatically: the decision on that case lacks the second "
                    "review this outcome needs."
                )
            # for_review: the notice must reach a reviewer. Joining the matched case would
            # not: that case is decided (or appealed, resolved), stays out of the queue, and
            # its decision, statement of reasons and appeals concern the reviewed media, not
            # this copy. So the copy opens a case of its own (its own decision, statement and
            # appeal token for its uploader), linked by the case number above; later copies
            # join it while it waits for review. Re-opening the decided case instead would
            # block appeals of its decision while the copy waits.
            receipt = self.intake.file_notice(
                NoticeInput(
                    category=category,
                    explanation=found_as,
                    reporter_name="",
                    reporter_email="",
                    relationship=Relationship.THIRD_PARTY,
                    good_faith=True,
                    signature="",
                    media_sha256=sha256,
                    content_url=content_url,
                    location=location or (content_url and urlsplit(content_url).hostname),
                    fingerprints=fps,
                    automated=True,
                ),
                now,
                for_review=True,
            )
            result = BankResult(
                action, number, match.kind, match.distance, receipt=receipt, alg=match.alg
            )
        return result
