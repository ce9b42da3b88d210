"""Tables of the case workflow. Personal data (reporter name, e-mail, signature) lives
in ``case_notices``, and in ``case_mail_outbox`` only until the message is sent; every
other table holds opaque ids, digests and reviewed text."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    event,
    text,
)
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.orm import Mapped, Session, mapped_column, object_session

from mediaproof.errors import StorageError
from mediaproof.storage.secrets import SecretBox
from mediaproof.storage.sql import account_tables as _users  # noqa: F401  (users.id FKs)
from mediaproof.storage.sql.tables import Base, utcnow

TS = DateTime(timezone=True)


class CaseRow(Base):
    __tablename__ = "cases"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    public_id: Mapped[str] = mapped_column(String(32), unique=True)
    number: Mapped[str] = mapped_column(String(32), unique=True)
    state: Mapped[str] = mapped_column(String(30), index=True)
    category: Mapped[str] = mapped_column(String(40))
    priority: Mapped[int] = mapped_column(Integer)
    due_at: Mapped[dt.datetime] = mapped_column(TS)
    clock: Mapped[str] = mapped_column(String(200))
    media_sha256: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)
    content_url: Mapped[str | None] = mapped_column(String(2000), nullable=True)
    platform: Mapped[str | None] = mapped_column(String(255), nullable=True)
    mime: Mapped[str | None] = mapped_column(String(100), nullable=True)
    # optimistic concurrency: every state change is UPDATE ... WHERE version = :seen
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[dt.datetime] = mapped_column(TS, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(TS, default=utcnow)


class NoticeRow(Base):
    __tablename__ = "case_notices"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    public_id: Mapped[str] = mapped_column(String(32), unique=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    category: Mapped[str] = mapped_column(String(40))
    source: Mapped[str] = mapped_column(String(30))
    media_sha256: Mapped[str | None] = mapped_column(String(64), nullable=True)
    content_url: Mapped[str | None] = mapped_column(String(2000), nullable=True)
    location: Mapped[str | None] = mapped_column(String(1000), nullable=True)
    explanation: Mapped[str] = mapped_column(Text)
    fingerprints: Mapped[str] = mapped_column(Text, default="{}")  # JSON alg -> hex
    reporter_name: Mapped[str] = mapped_column(String(300))
    reporter_email: Mapped[str] = mapped_column(String(320))
    relationship: Mapped[str] = mapped_column(String(40))
    good_faith: Mapped[bool] = mapped_column(Boolean)
    signature: Mapped[str] = mapped_column(String(300))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    status: Mapped[str] = mapped_column(String(20), default="active")
    received_at: Mapped[dt.datetime] = mapped_column(TS, index=True)
    withdrawn_at: Mapped[dt.datetime | None] = mapped_column(TS, nullable=True)
    # the signed-in account that filed it (so it can list its own notices), if any
    account_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", name="fk_case_notices_account"), nullable=True, index=True
    )
    analysis: Mapped[str | None] = mapped_column(Text, nullable=True)  # verify report JSON
    # the background analysis's outcome: None (none recorded yet), "done" or "failed";
    # analysis_error: JSON {code, message} of a failed one (reviewer-facing, no paths)
    analysis_state: Mapped[str | None] = mapped_column(String(10), nullable=True)
    analysis_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    # the reported file, kept in the blob store (by media_sha256) until this time
    media_mime: Mapped[str | None] = mapped_column(String(100), nullable=True)
    media_kept_until: Mapped[dt.datetime | None] = mapped_column(TS, nullable=True, index=True)


class DecisionRow(Base):
    __tablename__ = "case_decisions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    outcome: Mapped[str] = mapped_column(String(20))
    rule_id: Mapped[str] = mapped_column(String(50))
    policy_version: Mapped[str] = mapped_column(String(50))
    explanation: Mapped[str] = mapped_column(Text)
    reviewer: Mapped[str] = mapped_column(String(200))
    second_reviewer: Mapped[str | None] = mapped_column(String(200), nullable=True)
    status: Mapped[str] = mapped_column(String(20))
    automated: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[dt.datetime] = mapped_column(TS)
    final_at: Mapped[dt.datetime | None] = mapped_column(TS, nullable=True, index=True)
    # the appeal this decision answers (migration 0029): a reversal's "no action", or
    # the outcome that reversed "no action"; that appeal's party cannot appeal it again
    appeal_id: Mapped[int | None] = mapped_column(
        ForeignKey("case_appeals.id", name="fk_case_decisions_appeal", use_alter=True),
        nullable=True,
    )


class AppealRow(Base):
    __tablename__ = "case_appeals"
    # one appeal per party per decision (migration 0029); NULLs (no named party) never
    # collide
    __table_args__ = (
        UniqueConstraint("decision_id", "notice_id", name="uq_case_appeals_decision_notice"),
        UniqueConstraint("decision_id", "action_id", name="uq_case_appeals_decision_action"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    public_id: Mapped[str] = mapped_column(String(32), unique=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    # the decision appealed; it is never changed, the outcome sits beside it here
    decision_id: Mapped[int] = mapped_column(ForeignKey("case_decisions.id"))
    party: Mapped[str] = mapped_column(String(20))
    grounds: Mapped[str] = mapped_column(Text)
    filed_at: Mapped[dt.datetime] = mapped_column(TS, index=True)
    outcome: Mapped[str | None] = mapped_column(String(20), nullable=True)
    reviewer: Mapped[str | None] = mapped_column(String(200), nullable=True)
    explanation: Mapped[str | None] = mapped_column(Text, nullable=True)
    decided_at: Mapped[dt.datetime | None] = mapped_column(TS, nullable=True)
    # who appealed (migration 0029): a reporter's notice or an uploader's action
    notice_id: Mapped[int | None] = mapped_column(
        ForeignKey("case_notices.id", name="fk_case_appeals_notice"), nullable=True
    )
    action_id: Mapped[int | None] = mapped_column(
        ForeignKey("case_actions.id", name="fk_case_appeals_action", use_alter=True),
        nullable=True,
    )


class ActionRow(Base):
    __tablename__ = "case_actions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    public_id: Mapped[str] = mapped_column(String(32), unique=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    decision_id: Mapped[int | None] = mapped_column(ForeignKey("case_decisions.id"), nullable=True)
    appeal_id: Mapped[int | None] = mapped_column(ForeignKey("case_appeals.id"), nullable=True)
    action: Mapped[str] = mapped_column(String(20))
    media_sha256: Mapped[str | None] = mapped_column(String(64), nullable=True)
    content_url: Mapped[str | None] = mapped_column(String(2000), nullable=True)
    automated_detection: Mapped[bool] = mapped_column(Boolean, default=False)
    automated_decision: Mapped[bool] = mapped_column(Boolean, default=False)
    ground: Mapped[str] = mapped_column(String(20))  # illegal / incompatible / reversal
    # the uploader appeals with this token (sent to the hosting platform); hash only
    appeal_token_hash: Mapped[str | None] = mapped_column(String(64), nullable=True, unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(TS, index=True)


class StatementRow(Base):
    """A statement of reasons: the machine record (JSON) and the text for people."""

    __tablename__ = "case_statements"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    puid: Mapped[str] = mapped_column(String(500), unique=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    decision_id: Mapped[int | None] = mapped_column(ForeignKey("case_decisions.id"), nullable=True)
    appeal_id: Mapped[int | None] = mapped_column(ForeignKey("case_appeals.id"), nullable=True)
    record: Mapped[str | None] = mapped_column(Text, nullable=True)  # None: no restriction
    human: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(TS, index=True)
    exported_at: Mapped[dt.datetime | None] = mapped_column(TS, nullable=True)


class EndpointRow(Base):
    """Where a hosting platform receives action webhooks."""

    __tablename__ = "webhook_endpoints"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    platform: Mapped[str] = mapped_column(String(255), unique=True)  # host name or "*"
    url: Mapped[str] = mapped_column(String(2000))
    # The HMAC key is needed in clear to sign, so it is sealed, not hashed: column
    # ``secret`` holds it encrypted (storage.secrets); ``.secret`` reads and sets it in
    # clear, sealed at flush with the session's SecretBox (Database.secrets).
    secret_sealed: Mapped[str] = mapped_column("secret", String(1000))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(TS, default=utcnow)

    @property
    def secret(self) -> str:
        plain: str | None = self.__dict__.get("_secret_plain")
        if plain is None:
            box = self.__dict__.get("_secret_box") or _session_box(object_session(self))
            plain = box.open(self.secret_sealed, aad=self.secret_aad)
            self.__dict__["_secret_plain"] = plain
        return plain

    @secret.setter
    def secret(self, value: str) -> None:
        self.__dict__["_secret_plain"] = value
        self.__dict__["_secret_to_seal"] = True
        self.secret_sealed = _PENDING  # marks the row dirty; sealed in before_flush

    @property
    def secret_aad(self) -> str:
        return f"webhook:{self.platform}"


_PENDING = "mpsec1:pending"


def _session_box(session: Session | None) -> SecretBox:
    box = session.info.get("secrets") if session is not None else None
    if not isinstance(box, SecretBox):
        raise StorageError("no secrets key is configured for this database session")
    return box


@event.listens_for(EndpointRow, "load")
def _keep_box(target: EndpointRow, context: Any) -> None:
    box = context.session.info.get("secrets")
    if isinstance(box, SecretBox):
        target.__dict__["_secret_box"] = box  # read the secret after the session closed


@event.listens_for(Session, "before_flush")
def _seal_secrets(session: Session, _ctx: Any, _instances: Any) -> None:
    for obj in (*session.new, *session.dirty):
        if isinstance(obj, EndpointRow) and obj.__dict__.pop("_secret_to_seal", False):
            obj.secret_sealed = _session_box(session).seal(
                obj.__dict__["_secret_plain"], aad=obj.secret_aad
            )


class OutboxRow(Base):
    """One webhook delivery; survives restarts. Status pending -> delivered | dead."""

    __tablename__ = "webhook_outbox"
    __table_args__ = (Index("ix_webhook_outbox_due", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    delivery_id: Mapped[str] = mapped_column(String(32), unique=True)
    # None for a delivery that tells of no action (a screening ban to a generation tool)
    action_id: Mapped[int | None] = mapped_column(ForeignKey("case_actions.id"), nullable=True)
    endpoint_id: Mapped[int] = mapped_column(ForeignKey("webhook_endpoints.id"))
    event: Mapped[str] = mapped_column(String(50))
    body: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[dt.datetime] = mapped_column(TS)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    delivered_at: Mapped[dt.datetime | None] = mapped_column(TS, nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(TS)
    # the request that caused it (sent as X-Request-ID; migration 0018)
    request_id: Mapped[str | None] = mapped_column(String(64), nullable=True)


class MailOutboxRow(Base):
    """A case e-mail to a reporter, staged in the same transaction as the change it
    tells of, so a stop or an SMTP outage delays it but never loses it. The row (and the
    address with it) is deleted once the server accepted the message or it was given up."""

    __tablename__ = "case_mail_outbox"
    __table_args__ = (Index("ix_case_mail_outbox_due", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    recipient: Mapped[str] = mapped_column(String(320))
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[dt.datetime] = mapped_column(TS)
    created_at: Mapped[dt.datetime] = mapped_column(TS)


class BankRow(Base):
    """Confirmed deceptive media, so later uploads match automatically."""

    __tablename__ = "media_bank"
    __table_args__ = (UniqueConstraint("sha256", "case_id", name="uq_media_bank_sha256_case"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    fingerprints: Mapped[str] = mapped_column(Text, default="{}")  # JSON alg -> hex
    active: Mapped[bool] = mapped_column(Boolean, default=True)  # False after a reversal
    added_at: Mapped[dt.datetime] = mapped_column(TS)


class CaseMediaChangeRow(Base):
    """What the case media index follows besides row ids (migration 0027): one row per
    notice or bank row whose media changed (``kind`` ``"notice"``: filed, or
    fingerprints added; ``"bank"``: banked, or switched off by a reversal). A reader
    applies a change by re-reading that row, so applying one twice is harmless.

    On PostgreSQL ids are handed out before commit: with two writers, a notice or bank
    row can commit after a higher id was read, and ``id > last`` never returns it. Rows
    here are written at commit, under a transaction-level advisory lock held until the
    commit (:func:`_write_case_media_changes`), so ``seq`` grows in commit order: a
    reader that has seen ``seq`` n has seen every committed change before it. No
    foreign key: the row outlives what it names."""

    __tablename__ = "case_media_changes"

    seq: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    )
    kind: Mapped[str] = mapped_column(String(10))
    row_id: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[dt.datetime] = mapped_column(TS, default=utcnow)


# pg_advisory_xact_lock key of the case media change sequence ("mpcm"); the fingerprint
# index's sequence has its own ("mpix", repos_fingerprints.INDEX_CHANGES_LOCK)
CASE_MEDIA_CHANGES_LOCK = 0x6D70636D
_STAGED = "case_media_changes"
# the columns a change to which the case media index must see
_WATCHED = {"notice": ("case_id", "fingerprints"), "bank": ("active", "fingerprints", "sha256")}


@event.listens_for(Session, "after_flush")
def _stage_case_media_changes(session: Session, _ctx: Any) -> None:
    """Note every notice and bank row this flush inserted, or whose media columns it
    changed, in whatever code path: written at commit (below). ORM writes only: a bulk
    ``UPDATE`` statement on these tables would pass unseen (none is made)."""
    staged: set[tuple[str, int]] = session.info.setdefault(_STAGED, set())
    for obj in (*session.new, *session.dirty):
        kind = (
            "notice" if isinstance(obj, NoticeRow) else "bank" if isinstance(obj, BankRow) else None
        )
        if kind is None or obj.id is None:
            continue
        if obj in session.new or any(
            sa_inspect(obj).attrs[c].history.has_changes() for c in _WATCHED[kind]
        ):
            staged.add((kind, int(obj.id)))


@event.listens_for(Session, "before_commit")
def _write_case_media_changes(session: Session) -> None:
    """Write the staged changes last, under the lock: a writer holds it only from here to
    its commit, and writers of changes commit one after another in ``seq`` order.
    SQLite already runs one writer at a time."""
    session.flush()  # rows still pending are staged by the flush
    staged = session.info.pop(_STAGED, None)
    if not staged:
        return
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": CASE_MEDIA_CHANGES_LOCK})
    session.add_all(CaseMediaChangeRow(kind=k, row_id=i) for k, i in sorted(staged))
    session.flush()
    session.info.pop(_STAGED, None)  # this flush staged nothing of ours


@event.listens_for(Session, "after_rollback")
def _drop_staged_changes(session: Session) -> None:
    session.info.pop(_STAGED, None)


class EventRow(Base):
    """Log events staged in the same transaction as the change they record, then handed
    to the transparency log; nothing is lost if the log is down or the process dies."""

    __tablename__ = "case_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    event_id: Mapped[str] = mapped_column(String(32), unique=True)
    body: Mapped[str] = mapped_column(Text)  # JSON, opaque ids and digests only
    created_at: Mapped[dt.datetime] = mapped_column(TS)
    sent_at: Mapped[dt.datetime | None] = mapped_column(TS, nullable=True, index=True)


class VerifiedCandidateRow(Base):
    """An account an admin approved as a verified candidate: its notices get priority."""

    __tablename__ = "verified_candidates"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    approved_by: Mapped[str] = mapped_column(String(64))
    approved_at: Mapped[dt.datetime] = mapped_column(TS)
