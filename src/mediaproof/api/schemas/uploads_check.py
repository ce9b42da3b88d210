"""What a platform's upload check accepts and answers (docs/api.md, "Upload checks")."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

HEX64 = r"^[0-9a-f]{64}$"


class UploadHashesIn(BaseModel):
    """An upload the platform hashed itself: the media never leaves the platform."""

    model_config = ConfigDict(extra="forbid")

    sha256: str = Field(pattern=HEX64, description="SHA-256 of the file's bytes, lower-case hex")
    pdq: str | None = Field(
        default=None,
        pattern=HEX64,
        description="PDQ of a picture (256 bits, lower-case hex); leave out for a flat picture",
    )
    video_md5: str | None = Field(
        default=None,
        pattern=r"^[0-9a-f]{32}$",
        description="MD5 of a video's bytes (python-threatexchange's video_md5)",
    )
    vpdq: str | None = Field(
        default=None,
        min_length=64,
        max_length=64 * 1024,
        description="vPDQ of a video: its frame hashes (64 hex each), comma-separated, or "
        "python-threatexchange's vpdq signal string (a JSON list of "
        "'<hex>,<quality>,<timestamp>'; frames under quality 50 are dropped). One frame a "
        "second is what a file sent to /check is hashed at",
    )
    chromaprint: str | None = Field(
        default=None,
        min_length=8,
        max_length=64 * 1024,
        description="Chromaprint of a recording or a video's sound: the raw items "
        "(fpcalc -raw) as hex of little-endian 32-bit words, 8 hex digits each",
    )
    content_url: str | None = Field(
        default=None, max_length=2000, description="the upload's address on the platform"
    )
    location: str | None = Field(
        default=None, max_length=500, description="where it appears (page, feed, timestamp)"
    )


class BankMatchOut(BaseModel):
    kind: Literal["exact", "near"]
    alg: str | None = Field(description="the fingerprint of a near match (pdq, vpdq, chromaprint)")
    distance: int | None = Field(description="bits (PDQ) or per mille (Chromaprint); exact: null")
    confirmed_case: str | None = Field(description="the case whose confirmed media matched")


class ReceivedMatchOut(BaseModel):
    """A signal pulled from an exchange peer that matched: whose, never who uploaded."""

    source: str = Field(description="the exchange peer the signal came from")
    collection: str | None
    signal_type: str
    distance: int = Field(
        description="bits (PDQ; vPDQ: the nearest frame pair), per mille bit-error rate "
        "(Chromaprint), 0 (video_md5)"
    )
    log_index: int | None = Field(description="the signal's index in the peer's signed log")


class UploadCheckOut(BaseModel):
    action: Literal["label", "remove", "restrict", "review", "none"] = Field(
        description="label/remove/restrict: applied now to this identical copy of confirmed "
        "media; review: a case is open for our reviewers, nothing applied; none: no match"
    )
    case_number: str | None = Field(
        description="the confirmed case (an applied outcome) or the case opened for review"
    )
    applied: Literal["label", "remove", "restrict"] | None
    label_text: str | None = Field(
        description="the words to show beside the upload when action is label"
    )
    automated_decision: bool = Field(
        description="an automated decision (the bank rules) was recorded for this upload"
    )
    repeated: bool = Field(description="this item was checked before: that decision stands")
    action_id: str | None
    uploader_appeal_url: str | None = Field(
        description="for the uploader, when no platform webhook endpoint received it"
    )
    uploader_appeal_token: str | None = Field(description="shown once, with the URL above")
    bank_match: BankMatchOut | None
    received: list[ReceivedMatchOut]
    sha256: str
    checked: list[str] = Field(description="the hashes compared: sha256, pdq, ...")
