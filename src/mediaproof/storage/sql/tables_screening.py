"""Prompt screening rows: the operator's protected officials, seed examples, and the
record of each block and review (a keyed hash of the prompt, its text only on opt-in)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import DateTime, Index, Integer, String, Text
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
