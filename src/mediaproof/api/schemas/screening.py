"""Prompt and output screening, consent records, bans (docs/screening.md)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from mediaproof.screening.engine import MAX_PROMPT_CHARS
from mediaproof.services import consent as consents
from mediaproof.services import screening as svc

# --- prompts ---------------------------------------------------------------------------


class PromptIn(BaseModel):
    prompt: str = Field(min_length=1, max_length=MAX_PROMPT_CHARS)
    user_ref: str | None = Field(
        default=None,
        max_length=128,
        description="the tool's pseudonymous reference for its user (never a name or an "
        "e-mail address): blocks and reviews are counted per tool and user_ref",
    )


class ReasonOut(BaseModel):
    rule: str
    matched: str
    person: str | None = None
    person_id: str | None = None
    source: str | None = None
    score: float | None = None
    detail: str | None = None


class ScreenLeafOut(BaseModel):
    """The decision's ``screen.decided`` leaf in the transparency log (no prompt, person
    or user reference in it; keyed hashes only)."""

    type: str
    index: int | None = Field(
        description="its log index (inclusion proofs: /log/); null while it is staged "
        "and not landed yet"
    )


class DecisionOut(BaseModel):
    decision: str = Field(description="allow | review | block")
    policy_version: str
    reasons: list[ReasonOut]
    embeddings: bool = Field(description="whether nearest-neighbour search over seeds ran")
    event_id: int | None = Field(description="the recorded block or review; null if allowed")
    log: ScreenLeafOut | None = Field(
        default=None, description="the recorded decision's log leaf; null if allowed"
    )
    user_banned: bool = Field(
        default=False,
        description="this tool's user_ref is banned under the operator's ban rule (now, or "
        "because of this prompt): its prompts are blocked until an admin lifts the ban",
    )


class SeedIn(BaseModel):
    scenario: str = Field(min_length=2, max_length=40)
    text: str = Field(min_length=1, max_length=svc.MAX_SEED)
    language: str = Field(default="en", max_length=16)


class SeedOut(BaseModel):
    id: str
    scenario: str
    text: str
    language: str


class OfficialIn(BaseModel):
    name: str = Field(min_length=1, max_length=svc.MAX_NAME)
    aliases: list[str] = Field(default_factory=list, max_length=svc.MAX_ALIASES)
    role: str = Field(default="", max_length=svc.MAX_NAME)


class OfficialOut(BaseModel):
    id: int
    name: str
    aliases: list[str]
    role: str
    created_at: str


class ScreenEventOut(BaseModel):
    """A recorded block, review or hold (newest first)."""

    id: int
    at: str
    tool: str
    user_ref: str | None
    decision: str
    policy_version: str
    prompt_hmac: str | None
    prompt_text: str | None
    reasons: list[dict[str, Any]]
    log: ScreenLeafOut


class EventCountOut(BaseModel):
    tool: str
    user_ref: str | None
    block: int
    review: int
    hold: int


class EventsOut(BaseModel):
    events: list[ScreenEventOut]
    counts: list[EventCountOut] = Field(description="blocks and reviews per tool and user_ref")


# --- outputs ---------------------------------------------------------------------------


class OutputReasonOut(BaseModel):
    """Why an output was held (or what was found): a ban, or an enrolled likeness with the
    state of its consent record. Fields a reason does not have are left out."""

    rule: str
    detail: str | None = None
    person: str | None = None
    person_id: str | None = None
    modality: str | None = None
    score: float | None = None
    threshold: float | None = None
    consent: str | None = Field(default=None, description="valid | missing | revoked | ...")
    consent_id: str | None = None
    consent_detail: str | None = None


class CheckedOut(BaseModel):
    """What the matcher looked at ("nobody matched" or "nothing could be compared")."""

    kind: str | None = None
    faces_found: int | None = None
    faces_too_small: int | None = None
    frames_checked: int | None = None
    speech_s: float | None = None
    speech: str | None = None
    enrolled_people: int
    compared: list[str]


class SignedOutputOut(BaseModel):
    asset_id: int
    sha256: str
    mime: str
    watermarked: bool
    consent_records: list[str]
    download_url: str
    page_url: str


class OutputDecisionOut(BaseModel):
    decision: str = Field(description="allow | hold")
    policy_version: str
    reasons: list[OutputReasonOut]
    checked: CheckedOut | None
    event_id: int | None = Field(description="the recorded hold; null if allowed")
    output: SignedOutputOut | None = Field(description="the signed output (sign=true, allowed)")
    user_banned: bool
    log: ScreenLeafOut | None = Field(
        default=None, description="the recorded hold's log leaf; null if allowed"
    )


# --- consent records and bans --------------------------------------------------------------


class ConsentIn(BaseModel):
    enrolment_id: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")
    grantee: str = Field(min_length=1, max_length=100, description="a toolmaker account")
    modalities: list[str] = Field(min_length=1, max_length=2, description="face, voice")
    permitted_uses: list[str] = Field(min_length=1, max_length=consents.MAX_LIST)
    prohibited_uses: list[str] = Field(default_factory=list, max_length=consents.MAX_LIST)
    territory: list[str] = Field(min_length=1, max_length=60)
    valid_from: str | None = Field(default=None, max_length=40)
    valid_until: str = Field(min_length=10, max_length=40, description="required end")
    evidence_sha256: str = Field(min_length=64, max_length=64)
    signed_how: str = Field(description=", ".join(consents.SIGNED_HOW))
    granted_by: str = Field(default="subject", description="subject | agent")


class ConsentOut(BaseModel):
    id: str
    enrolment_id: str
    grantee: str
    modalities: list[str]
    permitted_uses: list[str]
    prohibited_uses: list[str]
    territory: list[str]
    valid_from: str
    valid_until: str
    evidence_sha256: str
    signed_how: str
    granted_by: str
    record_sha256: str
    recorded_by: str
    created_at: str
    revoked_at: str | None
    revoked_by: str | None
    status: str = Field(description="valid | revoked | expired | not_yet_valid")


class ConsentsOut(BaseModel):
    consents: list[ConsentOut]


class OneConsentOut(BaseModel):
    consent: ConsentOut


class LogLeafOut(BaseModel):
    type: str
    index: int | None = Field(description="null: the log was unavailable; the entry is staged")


class LoggedConsentOut(BaseModel):
    consent: ConsentOut
    log: LogLeafOut


class LiftIn(BaseModel):
    tool: str = Field(min_length=1, max_length=100)
    user_ref: str = Field(min_length=1, max_length=128)


class BanOut(BaseModel):
    id: int
    tool: str
    user_ref: str
    at: str
    events: int
    window_s: int
    lifted_at: str | None
    lifted_by: str | None
    notified: bool


class BansOut(BaseModel):
    bans: list[BanOut]


# --- a tool's webhook and its users' appeals ------------------------------------------


class ToolWebhookIn(BaseModel):
    url: str = Field(min_length=8, max_length=2000, description="http(s) address of the tool")
    secret: str = Field(
        min_length=16,
        max_length=200,
        description="HMAC key the webhooks are signed with (as case webhooks are)",
    )


class ToolWebhookOut(BaseModel):
    url: str
    active: bool


class ScreenAppealIn(BaseModel):
    event_id: int = Field(ge=1, description="the event_id the block or hold was answered with")
    user_ref: str = Field(min_length=1, max_length=128)
    grounds: str = Field(
        min_length=10,
        max_length=5000,
        description="the user's reasons, in their words (no prompt is needed or kept)",
    )


class ScreenAppealOut(BaseModel):
    appeal_id: str = Field(description="the appeal in the case workflow")
    case_number: str
    event_id: int
    user_ref: str
    status: str = Field(description="filed: a human reviewer decides; the tool hears by webhook")
