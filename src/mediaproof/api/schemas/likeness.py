"""Subject defense: enrolments, checks, alerts. Never an embedding; the answers name
enrolled people, so every route needs ``likeness:manage``."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from mediaproof.api.schemas.common import ErrorDetail


class ThresholdOut(BaseModel):
    value: float
    method: str = Field(description='e.g. "impostor_max+margin", "floor", "default"')
    genuine_min: float | None
    impostor_max: float | None
    impostors: int


class EnrolmentSummaryOut(BaseModel):
    id: str
    name: str
    created_at: str
    consent_note: str | None
    consent_recorded_by: str | None
    faces: int
    voices: int
    thresholds: dict[str, ThresholdOut] = Field(description="per modality: face, voice")
    samples_kept: bool
    digest: str


class SampleOut(BaseModel):
    modality: str
    sha256: str
    quality: dict[str, Any] = Field(description="what was measured: face size, speech seconds")


class EnrolmentDetailOut(EnrolmentSummaryOut):
    samples: list[SampleOut]


class EnrolledOut(BaseModel):
    enrolment: EnrolmentDetailOut
    log_indexes: list[int | None] = Field(
        description="transparency-log indexes of its entries (null: queued, the log was busy)"
    )


class EnrolmentsOut(BaseModel):
    enrolments: list[EnrolmentSummaryOut]


class EnrolmentOut(BaseModel):
    enrolment: EnrolmentDetailOut


class EnrolmentDeletedOut(BaseModel):
    deleted: str = Field(description="the enrolment id")
    digest: str
    log_index: int | None


class SampleRejectionOut(BaseModel):
    sample: str = Field(description="the field and number, e.g. face-2")
    reason: str
    message: str


class RejectionDetail(ErrorDetail):
    reason: str | None = Field(default=None, description="why the enrolment was refused")


class EnrolmentRejectedOut(BaseModel):
    """The error shape; when samples were refused, with the reason and each sample."""

    error: RejectionDetail
    rejections: list[SampleRejectionOut] = Field(
        default_factory=list, description="each refused sample (absent for other errors)"
    )


class LikenessMatchOut(BaseModel):
    enrolment_id: str
    name: str
    modality: str
    score: float
    threshold: float
    where: dict[str, Any] = Field(description="face box, frame time, audio span")
    statement: str


class LikenessCheckOut(BaseModel):
    """Whose enrolled face or voice a file resembles: a reason to look, not a verdict."""

    kind: str
    faces_found: int
    faces_too_small: int
    frames_checked: int
    speech_s: float
    speech: str | None
    enrolled_people: int
    compared: list[str]
    matches: list[LikenessMatchOut]
    summary: str


class AlertOut(BaseModel):
    id: str
    created_at: str
    enrolment_id: str
    name: str
    media_sha256: str
    media_path: str
    report_id: str
    report_url: str | None
    statements: list[str]
    deliveries: dict[str, str] = Field(description='channel -> "sent" or the error')
    attempts: dict[str, int]


class AlertsOut(BaseModel):
    alerts: list[AlertOut]


class ReportOut(BaseModel):
    report: dict[str, Any] = Field(description="the stored analysis an alert links to")
