"""Likeness errors: every refusal says, in words a person can act on, what was wrong."""

from __future__ import annotations

from dataclasses import dataclass

from mediaproof.errors import MediaproofError, NotFoundError


@dataclass(frozen=True)
class Rejection:
    """Why one sample was refused."""

    sample: str
    reason: str
    message: str

    def as_dict(self) -> dict[str, str]:
        return {"sample": self.sample, "reason": self.reason, "message": self.message}


class LikenessError(MediaproofError, code="likeness", exit_code=8, http_status=422): ...


class EnrolmentRejected(LikenessError, code="enrolment_rejected"):
    """A sample cannot be used for enrolment. ``reason`` is a stable machine code
    (``no_face``, ``several_faces``, ``face_too_small``, ``too_little_speech``, ``silence``,
    ``not_speech``, ``noise_only``, ``unreadable``, ``no_samples``); ``sample`` names the file;
    ``rejections`` lists every refused sample when several were screened together."""

    def __init__(
        self,
        message: str,
        *,
        reason: str,
        sample: str | None = None,
        hint: str | None = None,
        rejections: list[Rejection] | None = None,
    ) -> None:
        super().__init__(message, hint=hint)
        self.reason = reason
        self.sample = sample
        self.rejections = rejections or []


class EnrolmentNotFound(NotFoundError, code="enrolment_not_found"): ...


class LikenessKeyError(LikenessError, code="likeness_key", exit_code=78, http_status=500):
    """The instance key that encrypts biometric data is missing, unsafe or wrong."""


class AlertDeliveryError(LikenessError, code="alert_delivery", http_status=502):
    """An alert channel (e-mail, webhook) could not deliver after its retries."""
