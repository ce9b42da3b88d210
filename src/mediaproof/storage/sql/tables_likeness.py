"""Likeness rows: only ids, times and media digests in clear; everything about a person is
an AES-GCM ``payload`` sealed under the instance key (mediaproof.likeness.crypto)."""

from __future__ import annotations

from sqlalchemy import ForeignKey, Index, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from mediaproof.storage.sql.tables import Base


class LikenessEnrolmentRow(Base):
    __tablename__ = "likeness_enrolments"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    created_at: Mapped[str] = mapped_column(String(40))  # ISO 8601, as the model keeps it
    payload: Mapped[bytes] = mapped_column(LargeBinary)


class LikenessSampleRow(Base):
    """A kept sample file (operator opt-in), sealed."""

    __tablename__ = "likeness_samples"

    enrolment_id: Mapped[str] = mapped_column(
        String(64), ForeignKey("likeness_enrolments.id", ondelete="CASCADE"), primary_key=True
    )
    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    payload: Mapped[bytes] = mapped_column(LargeBinary)


class LikenessReferenceRow(Base):
    """One impostor-reference vector (someone not enrolled), sealed."""

    __tablename__ = "likeness_reference"
    __table_args__ = (Index("ix_likeness_reference_modality", "modality", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    modality: Mapped[str] = mapped_column(String(16))
    payload: Mapped[bytes] = mapped_column(LargeBinary)


class LikenessReportRow(Base):
    __tablename__ = "likeness_reports"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    created_at: Mapped[str] = mapped_column(String(40))
    payload: Mapped[bytes] = mapped_column(LargeBinary)


class LikenessReportSubjectRow(Base):
    """Which enrolments a report names: deleting one deletes the report."""

    __tablename__ = "likeness_report_subjects"
    __table_args__ = (Index("ix_likeness_report_subjects_enrolment", "enrolment_id"),)

    report_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    enrolment_id: Mapped[str] = mapped_column(String(64), primary_key=True)


class LikenessAlertRow(Base):
    __tablename__ = "likeness_alerts"
    __table_args__ = (Index("ix_likeness_alerts_enrolment", "enrolment_id"),)

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    created_at: Mapped[str] = mapped_column(String(40))
    enrolment_id: Mapped[str] = mapped_column(String(64))
    media_sha256: Mapped[str] = mapped_column(String(64))
    payload: Mapped[bytes] = mapped_column(LargeBinary)


class LikenessSeenRow(Base):
    """Media the monitor analysed (duplicate suppression)."""

    __tablename__ = "likeness_seen"

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    at: Mapped[str] = mapped_column(String(40))
