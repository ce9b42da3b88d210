"""Prompt screening rows: the operator's protected officials, seed examples, and the
record of each block and review (a keyed hash of the prompt, its text only on opt-in)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import DateTime, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from mediaproof.storage.sql.tables import Base


class ScreenOfficialRow(Base):
    __tablename__ = "screen_officials"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(200))
    aliases: Mapped[str] = mapped_column(Text)  # JSON list of strings
    role: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class ScreenSeedRow(Base):
    __tablename__ = "screen_seeds"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    scenario: Mapped[str] = mapped_column(String(40))
    text: Mapped[str] = mapped_column(Text)
    language: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class ScreenEventRow(Base):
    """One block or review: per tool (the calling account) and the tool's pseudonymous
    user reference. ``reasons`` holds rules and person ids, never the prompt's words."""

    __tablename__ = "screen_events"
    __table_args__ = (Index("ix_screen_events_tool_user", "tool", "user_ref", "at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    tool: Mapped[str] = mapped_column(String(100))
    user_ref: Mapped[str | None] = mapped_column(String(128), nullable=True)
    decision: Mapped[str] = mapped_column(String(10))
    policy_version: Mapped[str] = mapped_column(String(40))
    prompt_hmac: Mapped[str] = mapped_column(String(64))
    prompt_text: Mapped[str | None] = mapped_column(Text, nullable=True)
    reasons: Mapped[str] = mapped_column(Text)  # JSON


class ConsentRow(Base):
    """A consent record: an enrolled person (or their agent) lets one tool maker use
    their face and/or voice synthetically, for listed uses, until a date. Revoked rows
    stay (the log records both steps); ``record_sha256`` is the digest the log holds."""

    __tablename__ = "screen_consents"
    __table_args__ = (Index("ix_screen_consents_grantee", "grantee_id", "enrolment_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    public_id: Mapped[str] = mapped_column(String(40), unique=True)
    enrolment_id: Mapped[str] = mapped_column(String(64))
    grantee_id: Mapped[int] = mapped_column(Integer)  # the toolmaker account
    modalities: Mapped[str] = mapped_column(Text)  # JSON list: face, voice
    permitted_uses: Mapped[str] = mapped_column(Text)  # JSON list of use slugs
    prohibited_uses: Mapped[str] = mapped_column(Text)  # JSON list of use slugs
    territory: Mapped[str] = mapped_column(Text)  # JSON list: ISO 3166 codes or "worldwide"
    valid_from: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    valid_until: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    evidence_sha256: Mapped[str] = mapped_column(String(64))
    signed_how: Mapped[str] = mapped_column(String(40))
    granted_by: Mapped[str] = mapped_column(String(10))  # subject | agent
    record_sha256: Mapped[str] = mapped_column(String(64))
    recorded_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    revoked_by: Mapped[str | None] = mapped_column(String(100), nullable=True)


class ScreenBanRow(Base):
    """A (tool, user_ref) the operator's ban rule banned: its prompts are blocked and its
    outputs held until an admin lifts the ban or an appeal reverses a block. ``notified_at``:
    when the ``screen.user_banned`` webhook to the tool was queued (empty while the tool
    has registered no webhook)."""

    __tablename__ = "screen_bans"
    __table_args__ = (Index("ix_screen_bans_tool_user", "tool", "user_ref"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    tool: Mapped[str] = mapped_column(String(100))
    user_ref: Mapped[str] = mapped_column(String(128))
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    events: Mapped[int] = mapped_column(Integer)  # blocks and holds in the window
    window_s: Mapped[int] = mapped_column(Integer)
    lifted_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    lifted_by: Mapped[str | None] = mapped_column(String(100), nullable=True)
    notified_at: Mapped[dt.datetime | None] = mapped_column(
        DateTime(timezone=True), nullable=True
    )


class ScreenAppealRow(Base):
    """A tool's user contests a block or hold (one appeal per event). The appeal itself is
    a case in the case workflow (``case_id``): an automated decision, an appeal, a human
    reviewer who took no part; this row links the case back to the tool and user_ref whose
    ban a reversal lifts, and keeps the outcome for the transparency report's counts."""

    __tablename__ = "screen_appeals"
    __table_args__ = (Index("ix_screen_appeals_tool_user", "tool", "user_ref"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), unique=True)
    event_id: Mapped[int] = mapped_column(Integer, unique=True)
    tool: Mapped[str] = mapped_column(String(100))
    user_ref: Mapped[str] = mapped_column(String(128))
    filed_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    outcome: Mapped[str | None] = mapped_column(String(20), nullable=True)  # upheld | reversed
    decided_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
