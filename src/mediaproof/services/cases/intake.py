"""Reporters' side of a case: filing a notice (and the receipt), following it with the
status token, withdrawing it; the uploader's view through the appeal token; a notice's
analysis attached after filing.

Notices about the same media join one case: the exact digest first, then the fingerprint
index (``MediaCaseIndex``), then the same URL.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from mediaproof.cases import events as ev
from mediaproof.cases.errors import CaseError, TokenError
from mediaproof.cases.machine import Step, may_withdraw_case, next_state
from mediaproof.cases.models import (
    CaseState,
    DecisionStatus,
    NoticeCategory,
    NoticeInput,
    Triage,
)
from mediaproof.cases.policy import triage
from mediaproof.errors import ConflictError, NotFoundError
from mediaproof.services.cases.appeal_rights import right_of
from mediaproof.services.cases.core import CaseContext, _hash_token, _new_id, _utc
from mediaproof.services.cases.results import (
    Mail,
    NoticeMedia,
    Receipt,
    ReporterStatus,
    UploaderStatus,
)
from mediaproof.services.cases.statement_views import statements_for
from mediaproof.storage.sql.repos_case_media import DONE
from mediaproof.storage.sql.repos_case_outbox import CaseOutboxRepository
from mediaproof.storage.sql.repos_cases import CaseRepository, appeal_view, aware

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from mediaproof.storage.sql.tables_cases import CaseRow, NoticeRow

# Called in the transaction that files a notice, with its receipt: what the caller
# records about the notice commits with it or not at all (an exchange match's rows).
NoticeHook = Callable[["Session", Receipt], None]


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


# the states of the review queue (``CaseRepository.queue``)
REVIEW_STATES = (CaseState.OPEN, CaseState.AWAITING_SECOND_REVIEW)


class Intake:
    def __init__(self, ctx: CaseContext) -> None:
        self.ctx = ctx

    # --- report (file a notice) ----------------------------------------------------

    def file_notice(
        self,
        inp: NoticeInput,
        now: dt.datetime,
        *,
        base_url: str | None = None,
        within: NoticeHook | None = None,
        for_review: bool = False,
    ) -> Receipt:
        """File a notice; it joins the case about the same media, if any. With
        ``for_review`` (the bank's held copies and near matches) it joins only a case the
        notice puts in the review queue, and otherwise opens a new case. ``within`` runs
        in the same transaction with the receipt (again on a retry after a conflict)."""
        now = _utc(now)
        inp.validate()
        # a notice joining a case races with other notices and reviewers on the case's
        # version; the reporter should never see that, so try again on a fresh read
        for attempt in range(5):
            try:
                receipt, mailed = self._file_notice_once(inp, now, base_url, within, for_review)
                break
            except ConflictError:
                if attempt == 4:
                    raise
        self.ctx.flush_events()
        if mailed:
            self.ctx.mail_staged([mailed])
        return receipt

    def _receipt_mail(self, to: str, r: Receipt, base_url: str | None) -> Mail:
        base = self.ctx.base_url(base_url)
        link = f"{base}/status/{r.status_token}" if base else f"status token {r.status_token}"
        text = (
            f"We received your notice on {r.received_at:%Y-%m-%d %H:%M} UTC.\n"
            f"Case number: {r.case_number}\n"
            f"It will be reviewed by {r.triage.due_at:%Y-%m-%d %H:%M} UTC ({r.triage.clock}).\n\n"
            f"Follow the case, withdraw your notice or appeal a decision with your private "
            f"status link (keep it to yourself):\n{link}\n\n"
            "You will get the statement of reasons by e-mail when the case is decided."
        )
        return Mail(to, f"[mediaproof] Notice received: case {r.case_number}", text, r.received_at)

    def _file_notice_once(
        self,
        inp: NoticeInput,
        now: dt.datetime,
        base_url: str | None,
        within: NoticeHook | None = None,
        for_review: bool = False,
    ) -> tuple[Receipt, Mail | None]:
        notice_id = _new_id()
        token = self.ctx.status_token(notice_id)
        t = triage(self.ctx.policy, inp.category, inp.source, now)
        with self.ctx.db.session() as s:
            repo, outbox = CaseRepository(s), CaseOutboxRepository(s)
            case = self._find_case(repo, inp)
            if (
                for_review
                and case is not None
                and next_state(CaseState(case.state), Step.NOTICE) not in REVIEW_STATES
            ):
                case = None  # a decided case stays decided: a notice there reaches nobody
            joined = case is not None
            if case is None:
                case = repo.add_case(_new_id(), inp, t, now)
            else:
                new_state = next_state(CaseState(case.state), Step.NOTICE)
                extra: dict[str, Any] = {}
                if (t.priority, t.due_at) < (case.priority, aware(case.due_at)):
                    extra = {"priority": t.priority, "due_at": t.due_at, "clock": t.clock}
                if case.media_sha256 is None and inp.media_sha256:
                    extra["media_sha256"] = inp.media_sha256
                if case.mime is None and inp.mime:
                    extra["mime"] = inp.mime
                repo.move(case, case.version, new_state, now, **extra)
            notice = repo.add_notice(notice_id, case.id, inp, _hash_token(token), now)
            receipt = Receipt(
                case_number=case.number,
                case_id=case.public_id,
                notice_id=notice.public_id,
                status_token=token,
                received_at=now,
                triage=Triage(case.priority, aware(case.due_at), case.clock),
                joined_existing_case=joined,
            )
            event = ev.notice_received(
                now,
                case.public_id,
                notice.public_id,
                inp.category.value,
                inp.source.value,
                inp.media_sha256,
            )
            self.ctx.stage(outbox, [event])
            mail = None
            if self.ctx.mailer is not None and "@" in inp.reporter_email:
                mail = self._receipt_mail(inp.reporter_email.strip(), receipt, base_url)
                self.ctx.stage_mail(outbox, [mail])
            if within is not None:
                within(s, receipt)
        return receipt, mail

    def _find_case(self, repo: CaseRepository, inp: NoticeInput) -> CaseRow | None:
        """Notices about the same media join one case: exact digest, then the fingerprint
        index, then the same URL."""
        if inp.media_sha256:
            row = repo.case_by_media(inp.media_sha256)
            if row is not None:
                return row
            index = self.ctx.media_index
            if index is not None:
                cid = index.find_case_by_media(inp.media_sha256, inp.fingerprints)
                if cid is not None:
                    return repo.case(cid)
        if inp.content_url:
            return repo.case_by_url(inp.content_url)
        return None

    # --- reporter: follow and withdraw ----------------------------------------------

    def status(self, token: str, *, now: dt.datetime | None = None) -> ReporterStatus:
        """``now``: the time the appeal window is judged at (default: the clock)."""
        with self.ctx.db.session() as s:
            repo = CaseRepository(s)
            notice = repo.notice_by_token_hash(_hash_token(token))
            if notice is None:
                raise TokenError("no notice matches this status token")
            return self._reporter_status(repo, notice, _utc(now or _now()))

    def notices_of_account(self, account_id: int, limit: int = 200) -> list[ReporterStatus]:
        """What a signed-in reporter sees: the notices that account filed, and no others."""
        with self.ctx.db.session() as s:
            repo = CaseRepository(s)
            rows = repo.notices_of_account(account_id, limit)  # read fully before the rest
            return [self._reporter_status(repo, n, _now()) for n in rows]

    def _reporter_status(
        self, repo: CaseRepository, notice: NoticeRow, now: dt.datetime
    ) -> ReporterStatus:
        case = repo.case(notice.case_id)
        # only this reporter's appeals (their grounds are theirs); appeals from before
        # migration 0029 name no notice and are shown to every reporter, as they were
        appeals = tuple(
            appeal_view(a)
            for a in repo.appeals(case.id)
            if a.notice_id == notice.id or (a.notice_id is None and a.party == "reporter")
        )
        right = right_of(repo, notice=notice, window=self.ctx.policy.appeal_window, now=now)
        return ReporterStatus(
            case_number=case.number,
            state=CaseState(case.state),
            notice_id=notice.public_id,
            notice_status=notice.status,
            category=NoticeCategory(notice.category),
            received_at=aware(notice.received_at),
            due_at=aware(case.due_at),
            statements=statements_for(repo, case.id),
            appeals=appeals,
            appealable=right.decision is not None and right.refusal is None,
            appeal_until=right.until if right.refusal is None else None,
            not_appealable=right.refusal if right.decision is not None else None,
        )

    def uploader_status(self, token: str, *, now: dt.datetime | None = None) -> UploaderStatus:
        """``now``: the time the appeal window is judged at (default: the clock)."""
        now = _utc(now or _now())
        with self.ctx.db.session() as s:
            repo = CaseRepository(s)
            action = repo.action_by_token_hash(_hash_token(token))
            if action is None:
                raise TokenError("no action matches this appeal token")
            case = repo.case(action.case_id)
            appeals = tuple(
                appeal_view(a)
                for a in repo.appeals(case.id)
                if a.action_id == action.id or (a.action_id is None and a.party == "uploader")
            )
            right = right_of(repo, action=action, window=self.ctx.policy.appeal_window, now=now)
            return UploaderStatus(
                case_number=case.number,
                state=CaseState(case.state),
                action=action.action,
                action_at=aware(action.created_at),
                statements=statements_for(repo, case.id, action),
                appeals=appeals,
                appealable=right.decision is not None and right.refusal is None,
                appeal_until=right.until if right.refusal is None else None,
                not_appealable=right.refusal if right.decision is not None else None,
            )

    def attach_analysis(
        self,
        notice_id: str,
        report: Mapping[str, Any],
        fingerprints: Mapping[str, str] | None = None,
    ) -> NoticeMedia:
        """Store the verify report (and fingerprints) of a notice's media when it was
        analysed after filing. Fingerprints a notice already has (those taken at intake,
        which it may have been matched on) are kept; new kinds are added. Returns the
        notice's media as filed."""
        with self.ctx.db.session() as s:
            row = CaseRepository(s).notice(notice_id)
            if row is None:
                raise NotFoundError(f"no notice {notice_id}")
            row.analysis = json.dumps(report, sort_keys=True)
            row.analysis_state, row.analysis_error = DONE, None
            had: dict[str, str] = json.loads(row.fingerprints or "{}")
            merged = {**dict(fingerprints or {}), **had}
            changed = merged != had
            if changed:
                row.fingerprints = json.dumps(merged, sort_keys=True)
            row_id, case_id = row.id, row.case_id
            media = NoticeMedia(row.media_sha256, row.content_url, row.location, row.media_mime)
        note = getattr(self.ctx.media_index, "note_notice", None)
        if changed and note is not None:
            note(row_id, case_id, merged)  # this process's index follows the change at once
        return media

    def withdraw(self, token: str, now: dt.datetime) -> ReporterStatus:
        now = _utc(now)
        with self.ctx.transition(now) as t:
            notice = t.repo.notice_by_token_hash(_hash_token(token))
            if notice is None:
                raise TokenError("no notice matches this status token")
            if notice.status == "withdrawn":
                raise CaseError("this notice was already withdrawn")
            notice.status = "withdrawn"
            notice.withdrawn_at = now
            case = t.open(notice.case_id)
            active = [n for n in t.repo.notices(case.id) if n.status == "active"]
            state = CaseState(case.state)
            decided = t.repo.latest_final(case.id) is not None
            if (
                not active
                and state in (CaseState.OPEN, CaseState.AWAITING_SECOND_REVIEW)
                and may_withdraw_case(decided)
            ):
                for d in t.repo.decisions(case.id):
                    if d.status == DecisionStatus.PROPOSED.value:
                        d.status = DecisionStatus.REJECTED.value
                t.move(Step.WITHDRAW)
            t.events.append(ev.notice_withdrawn(now, case.public_id, notice.public_id))
        return self.status(token)
