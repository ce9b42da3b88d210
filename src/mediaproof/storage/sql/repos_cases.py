"""Repository for the case workflow: queries, guarded updates and new rows over
tables_cases (cases, notices, decisions, appeals, actions, statements, the bank).

The case service never builds a row or a query itself: it asks this repository, and the
two siblings ``repos_case_outbox`` (log events, reporters' e-mail, webhook deliveries) and
``repos_case_report`` (statements of reasons to export, transparency report inputs). Rows
stay inside the service layer; ``*_view`` functions turn them into domain records.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping, Sequence
from typing import Any, TypeVar
from urllib.parse import urlsplit

from sqlalchemy import and_, func, select, update
from sqlalchemy.orm import Session

from mediaproof.cases.models import (
    AppealOutcome,
    AppealView,
    CaseState,
    CaseView,
    DecisionStatus,
    DecisionView,
    NoticeCategory,
    NoticeInput,
    Outcome,
    Party,
    SourceType,
    Triage,
)
from mediaproof.errors import ConflictError, NotFoundError
from mediaproof.storage.sql.account_tables import UserRow
from mediaproof.storage.sql.tables_cases import (
    ActionRow,
    AppealRow,
    BankRow,
    CaseRow,
    DecisionRow,
    NoticeRow,
    StatementRow,
)
from mediaproof.storage.sql.times import aware as aware  # re-exported: services import it here
from mediaproof.storage.sql.times import aware_opt as aware_opt

R = TypeVar("R")


class CaseRepository:
    def __init__(self, session: Session) -> None:
        self.s = session

    def _add(self, row: R) -> R:
        self.s.add(row)
        self.s.flush()
        return row

    # --- cases ---------------------------------------------------------------------

    def case(self, ref: str | int) -> CaseRow:
        """By id, case number or public id."""
        q = select(CaseRow)
        if isinstance(ref, int) or (isinstance(ref, str) and ref.isdigit()):
            q = q.where(CaseRow.id == int(ref))
        else:
            q = q.where((CaseRow.number == ref) | (CaseRow.public_id == ref))
        row = self.s.scalars(q).first()
        if row is None:
            raise NotFoundError(f"no case {ref}")
        return row

    def case_by_media(self, sha256: str) -> CaseRow | None:
        return self.s.scalars(
            select(CaseRow).where(CaseRow.media_sha256 == sha256).order_by(CaseRow.id.desc())
        ).first()

    def case_by_url(self, url: str) -> CaseRow | None:
        return self.s.scalars(
            select(CaseRow).where(CaseRow.content_url == url).order_by(CaseRow.id.desc())
        ).first()

    def add_case(
        self, public_id: str, inp: NoticeInput, triage: Triage, now: dt.datetime
    ) -> CaseRow:
        """A new open case for the notice ``inp``, numbered ``C-<year>-<id>``."""
        row = self._add(
            CaseRow(
                public_id=public_id,
                number=public_id,  # replaced below once the id is known
                state=CaseState.OPEN.value,
                category=inp.category.value,
                priority=triage.priority,
                due_at=triage.due_at,
                clock=triage.clock,
                media_sha256=inp.media_sha256,
                content_url=inp.content_url,
                platform=urlsplit(inp.content_url).hostname if inp.content_url else None,
                mime=inp.mime,
                version=1,
                created_at=now,
                updated_at=now,
            )
        )
        row.number = f"C-{now.year}-{row.id:06d}"
        self.s.flush()
        return row

    def move(
        self, case: CaseRow, seen_version: int, state: CaseState, now: dt.datetime, **extra: Any
    ) -> None:
        """Change the state only if nobody else changed the case since ``seen_version``."""
        res = self.s.execute(
            update(CaseRow)
            .where(and_(CaseRow.id == case.id, CaseRow.version == seen_version))
            .values(state=state.value, version=seen_version + 1, updated_at=now, **extra)
            .execution_options(synchronize_session=False)
        )
        if res.rowcount != 1:  # type: ignore[attr-defined]
            raise ConflictError(
                f"case {case.number} was changed by someone else meanwhile; reload it and "
                "decide again"
            )
        self.s.refresh(case)

    def queue(self, limit: int) -> list[CaseRow]:
        open_states = (CaseState.OPEN.value, CaseState.AWAITING_SECOND_REVIEW.value)
        return list(
            self.s.scalars(
                select(CaseRow)
                .where(CaseRow.state.in_(open_states))
                .order_by(CaseRow.priority, CaseRow.due_at, CaseRow.id)
                .limit(limit)
            )
        )

    def appeal_queue(self, limit: int) -> list[CaseRow]:
        """Cases with an appeal waiting for a decision, the longest waiting first. Not
        by state alone: an appeal lodged while the case is back in review (a proposal
        on appeal waits for its second reviewer) waits too."""
        oldest = (
            select(AppealRow.case_id, func.min(AppealRow.filed_at).label("since"))
            .where(AppealRow.outcome.is_(None))
            .group_by(AppealRow.case_id)
            .subquery()
        )
        return list(
            self.s.scalars(
                select(CaseRow)
                .join(oldest, oldest.c.case_id == CaseRow.id)
                .order_by(oldest.c.since, CaseRow.id)
                .limit(limit)
            )
        )

    def pending_appeals(self, case_id: int) -> int:
        """How many of the case's appeals wait for a decision."""
        return int(
            self.s.scalar(
                select(func.count())
                .select_from(AppealRow)
                .where(AppealRow.case_id == case_id, AppealRow.outcome.is_(None))
            )
            or 0
        )

    def parties(self, case_id: int) -> list[str]:
        """User names of the accounts that filed a notice on the case (reporters who were
        signed in; a reporter's appeal comes with the notice's token): they are recused."""
        q = (
            select(UserRow.username)
            .join(NoticeRow, NoticeRow.account_id == UserRow.id)
            .where(NoticeRow.case_id == case_id)
        )
        return sorted(set(self.s.execute(q).scalars()))

    # --- notices -------------------------------------------------------------------

    def add_notice(
        self,
        public_id: str,
        case_id: int,
        inp: NoticeInput,
        token_hash: str,
        now: dt.datetime,
    ) -> NoticeRow:
        return self._add(
            NoticeRow(
                public_id=public_id,
                case_id=case_id,
                category=inp.category.value,
                source=inp.source.value,
                media_sha256=inp.media_sha256,
                content_url=inp.content_url,
                location=inp.location,
                explanation=inp.explanation,
                fingerprints=json.dumps(inp.fingerprints, sort_keys=True),
                reporter_name=inp.reporter_name.strip(),
                reporter_email=inp.reporter_email.strip(),
                relationship=inp.relationship.value,
                good_faith=inp.good_faith,
                signature=inp.signature.strip(),
                token_hash=token_hash,
                status="active",
                received_at=now,
                account_id=inp.account_id,
                analysis=json.dumps(inp.analysis, sort_keys=True) if inp.analysis else None,
            )
        )

    def notices(self, case_id: int) -> list[NoticeRow]:
        return list(
            self.s.scalars(
                select(NoticeRow).where(NoticeRow.case_id == case_id).order_by(NoticeRow.id)
            )
        )

    def notice(self, public_id: str) -> NoticeRow | None:
        return self.s.scalars(select(NoticeRow).where(NoticeRow.public_id == public_id)).first()

    def notices_of_account(self, account_id: int, limit: int) -> list[NoticeRow]:
        """The notices an account filed, newest first."""
        return list(
            self.s.scalars(
                select(NoticeRow)
                .where(NoticeRow.account_id == account_id)
                .order_by(NoticeRow.id.desc())
                .limit(limit)
            )
        )

    def notice_by_token_hash(self, token_hash: str) -> NoticeRow | None:
        return self.s.scalars(select(NoticeRow).where(NoticeRow.token_hash == token_hash)).first()

    def action_by_token_hash(self, token_hash: str) -> ActionRow | None:
        return self.s.scalars(
            select(ActionRow).where(ActionRow.appeal_token_hash == token_hash)
        ).first()

    def first_notice_at(self, case_id: int) -> dt.datetime | None:
        t = self.s.scalar(
            select(func.min(NoticeRow.received_at)).where(NoticeRow.case_id == case_id)
        )
        return aware_opt(t)

    # --- decisions, appeals, actions, statements -------------------------------------

    def add_decision(
        self,
        case_id: int,
        *,
        outcome: Outcome,
        rule_id: str,
        policy_version: str,
        explanation: str,
        reviewer: str,
        final: bool,
        automated: bool,
        now: dt.datetime,
        appeal_id: int | None = None,
    ) -> DecisionRow:
        """A decision, final at ``now`` or proposed (awaiting a second reviewer);
        ``appeal_id``: the appeal it answers."""
        return self._add(
            DecisionRow(
                case_id=case_id,
                appeal_id=appeal_id,
                outcome=outcome.value,
                rule_id=rule_id,
                policy_version=policy_version,
                explanation=explanation,
                reviewer=reviewer,
                status=(DecisionStatus.FINAL if final else DecisionStatus.PROPOSED).value,
                automated=automated,
                created_at=now,
                final_at=now if final else None,
            )
        )

    def decisions(self, case_id: int) -> list[DecisionRow]:
        return list(
            self.s.scalars(
                select(DecisionRow).where(DecisionRow.case_id == case_id).order_by(DecisionRow.id)
            )
        )

    def proposed(self, case_id: int) -> DecisionRow:
        row = self.s.scalars(
            select(DecisionRow).where(
                DecisionRow.case_id == case_id,
                DecisionRow.status == DecisionStatus.PROPOSED.value,
            )
        ).first()
        if row is None:
            raise NotFoundError("this case has no proposed decision awaiting a second review")
        return row

    def latest_final(self, case_id: int, *, human: bool = False) -> DecisionRow | None:
        """The case's latest final decision; with ``human``, the latest a reviewer took
        (not the bank's automated decisions on identical copies)."""
        q = select(DecisionRow).where(
            DecisionRow.case_id == case_id, DecisionRow.status == DecisionStatus.FINAL.value
        )
        if human:
            q = q.where(DecisionRow.automated.is_(False))
        return self.s.scalars(q.order_by(DecisionRow.id.desc())).first()

    def add_appeal(
        self,
        public_id: str,
        case_id: int,
        decision_id: int,
        party: Party,
        grounds: str,
        now: dt.datetime,
        *,
        notice_id: int | None = None,
        action_id: int | None = None,
    ) -> AppealRow:
        """An appeal of ``decision_id`` by a reporter (``notice_id``) or an uploader
        (``action_id``)."""
        return self._add(
            AppealRow(
                public_id=public_id,
                case_id=case_id,
                decision_id=decision_id,
                notice_id=notice_id,
                action_id=action_id,
                party=party.value,
                grounds=grounds,
                filed_at=now,
            )
        )

    def appeals(self, case_id: int) -> list[AppealRow]:
        return list(
            self.s.scalars(
                select(AppealRow).where(AppealRow.case_id == case_id).order_by(AppealRow.id)
            )
        )

    def appeal(self, ref: str | int) -> AppealRow:
        q = select(AppealRow)
        if isinstance(ref, int) or ref.isdigit():
            q = q.where(AppealRow.id == int(ref))
        else:
            q = q.where(AppealRow.public_id == ref)
        row = self.s.scalars(q).first()
        if row is None:
            raise NotFoundError(f"no appeal {ref}")
        return row

    def add_action(
        self,
        public_id: str,
        case_id: int,
        *,
        action: str,
        decision_id: int | None,
        media_sha256: str | None,
        content_url: str | None,
        automated_detection: bool,
        automated_decision: bool,
        ground: str,
        now: dt.datetime,
        appeal_id: int | None = None,
        appeal_token_hash: str | None = None,
    ) -> ActionRow:
        return self._add(
            ActionRow(
                public_id=public_id,
                case_id=case_id,
                decision_id=decision_id,
                appeal_id=appeal_id,
                action=action,
                media_sha256=media_sha256,
                content_url=content_url,
                automated_detection=automated_detection,
                automated_decision=automated_decision,
                ground=ground,
                appeal_token_hash=appeal_token_hash,
                created_at=now,
            )
        )

    def actions(self, case_id: int) -> list[ActionRow]:
        return list(
            self.s.scalars(
                select(ActionRow).where(ActionRow.case_id == case_id).order_by(ActionRow.id)
            )
        )

    def add_statement(
        self,
        puid: str,
        case_id: int,
        *,
        human: str,
        record: Mapping[str, Any] | None,
        now: dt.datetime,
        decision_id: int | None = None,
        appeal_id: int | None = None,
    ) -> StatementRow:
        """A statement of reasons: ``human`` for people, ``record`` (the DSA database's
        JSON) only where a restriction was applied."""
        return self._add(
            StatementRow(
                puid=puid,
                case_id=case_id,
                decision_id=decision_id,
                appeal_id=appeal_id,
                record=json.dumps(record, sort_keys=True) if record else None,
                human=human,
                created_at=now,
            )
        )

    def statements(self, case_id: int) -> list[StatementRow]:
        return list(
            self.s.scalars(
                select(StatementRow)
                .where(StatementRow.case_id == case_id)
                .order_by(StatementRow.id)
            )
        )

    # --- bank ----------------------------------------------------------------------

    def bank(self) -> list[BankRow]:
        return list(self.s.scalars(select(BankRow).where(BankRow.active).order_by(BankRow.id)))

    def bank_for_case(self, case_id: int) -> list[BankRow]:
        return list(self.s.scalars(select(BankRow).where(BankRow.case_id == case_id)))

    def add_bank_entry(
        self, case_id: int, sha256: str, fingerprints: Mapping[str, str], now: dt.datetime
    ) -> BankRow:
        """Media confirmed as deceptive: later uploads of it match automatically. Media
        a reversal took out of the case's bank and a later decision confirms again is
        switched back on (one row per media and case), with the fingerprints now known."""
        fps = json.dumps(dict(fingerprints), sort_keys=True)
        row = self.s.scalars(
            select(BankRow).where(BankRow.case_id == case_id, BankRow.sha256 == sha256)
        ).first()
        if row is not None:
            row.active, row.fingerprints, row.added_at = True, fps, now
            self.s.flush()
            return row
        return self._add(
            BankRow(
                case_id=case_id,
                sha256=sha256,
                fingerprints=fps,
                active=True,
                added_at=now,
            )
        )


# --- views ---------------------------------------------------------------------------


def case_view(row: CaseRow, notices: Sequence[NoticeRow] = ()) -> CaseView:
    return CaseView(
        id=row.id,
        public_id=row.public_id,
        number=row.number,
        state=CaseState(row.state),
        category=NoticeCategory(row.category),
        priority=row.priority,
        due_at=aware(row.due_at),
        media_sha256=row.media_sha256,
        content_url=row.content_url,
        platform=row.platform,
        version=row.version,
        notice_count=len(notices),
        created_at=aware(row.created_at),
        sources=tuple(sorted({SourceType(n.source) for n in notices})),
    )


def decision_view(row: DecisionRow) -> DecisionView:
    return DecisionView(
        id=row.id,
        case_id=row.case_id,
        outcome=Outcome(row.outcome),
        rule_id=row.rule_id,
        policy_version=row.policy_version,
        explanation=row.explanation,
        reviewer=row.reviewer,
        second_reviewer=row.second_reviewer,
        status=DecisionStatus(row.status),
        automated=row.automated,
        created_at=aware(row.created_at),
        final_at=aware_opt(row.final_at),
    )


def appeal_view(row: AppealRow) -> AppealView:
    return AppealView(
        id=row.id,
        public_id=row.public_id,
        case_id=row.case_id,
        decision_id=row.decision_id,
        party=Party(row.party),
        grounds=row.grounds,
        filed_at=aware(row.filed_at),
        outcome=AppealOutcome(row.outcome) if row.outcome else None,
        reviewer=row.reviewer,
        explanation=row.explanation,
        decided_at=aware_opt(row.decided_at),
    )
