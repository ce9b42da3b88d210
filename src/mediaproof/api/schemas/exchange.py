"""The hash exchange feed (docs/exchange.md): collections, updates with proofs,
checkpoints, consistency proofs and snapshots. Proofs are base64 hashes (RFC 6962)."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from mediaproof.exchange.models import MAX_REASON


class InclusionRuleOut(BaseModel):
    require: str
    outcomes: list[str] = Field(description="empty: any outcome that put the media in the bank")
    categories: list[str] = Field(description="case categories; empty: any")


class CollectionOut(BaseModel):
    name: str
    organisation: str
    description: str
    signal_types: list[str]
    tlp: str
    policy_url: str | None
    category: str
    inclusion_rule: InclusionRuleOut
    tombstone_days: int
    size: int = Field(description="updates in its log")


class _FeedFields(BaseModel):
    """What every feed row (a log leaf) says, signals and opinions alike."""

    seq: int
    leaf_index: int
    signal_type: str
    value: str
    category: str
    tags: list[str]
    quality: int | None
    owner: str
    deleted: bool
    time: str = Field(description="UTC ISO 8601, verbatim")


class FeedRowOut(_FeedFields):
    """A signal added or changed, or withdrawn (``deleted``: a tombstone)."""

    opinion: str | None = Field(
        default=None,
        description="only on opinion rows (absent otherwise): confirmed, false_positive, "
        "disputed or seen about the signal of the same type and value",
    )
    reason: str | None = Field(default=None, description="only on opinion rows")
    inclusion_proof: list[str]


class UpdatesOut(BaseModel):
    collection: str
    checkpoint: str = Field(description="the signed checkpoint (note) of ``size``")
    size: int
    after: int
    consistency_proof: list[str] = Field(description="from ``after`` to ``size``")
    updates: list[FeedRowOut]
    next: int = Field(description="the ``after`` of the next page")
    more: bool


class CheckpointOut(BaseModel):
    collection: str
    size: int
    checkpoint: str


class ConsistencyOut(BaseModel):
    old: int
    new: int
    checkpoint: str
    proof: list[str]


class SnapshotOut(BaseModel):
    collection: str
    checkpoint: str
    size: int
    old: int
    consistency_proof: list[str]
    signals: list[FeedRowOut] = Field(description="the live signals, with inclusion proofs")


# --- opinions on a collection's signals (docs/exchange.md, "Opinions") ---


class OpinionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    opinion: Annotated[str, Field(description="confirmed, false_positive, disputed or seen")]
    reason: Annotated[str, Field(min_length=1, max_length=MAX_REASON)]


class OpinionOut(BaseModel):
    seq: int
    owner: str
    opinion: str
    category: str
    reason: str
    time: str


class SignalOpinionsOut(BaseModel):
    signal_id: int
    signal_type: str
    value: str
    live: bool
    aggregate: str | None = Field(
        description="positive_class, negative_class, investigation_seed or disputed"
    )
    counts: dict[str, int]
    owners: dict[str, OpinionOut]
    history: list[OpinionOut]
    acting: bool = Field(description="false: a peer's opinion stops it acting automatically")
    suspended_by: OpinionOut | None


class FeedOpinionOut(_FeedFields):
    opinion: str
    reason: str


class OpinionCreated(BaseModel):
    opinion: FeedOpinionOut
    signal: SignalOpinionsOut
