"""Contributions to a collection (docs/exchange.md, "Contributions"): what a peer
submits, and what the publisher's reviewers see and decide."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from mediaproof.exchange.models import MAX_REASON, MAX_TAG_LEN, MAX_TAGS


class ContributionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    signal_type: Annotated[
        str, Field(max_length=20, description="pdq, video_md5, vpdq or chromaprint")
    ]
    value: Annotated[str, Field(min_length=1, max_length=1_400_000, description="lower-case hex")]
    category: Annotated[
        str,
        Field(max_length=30, description="positive_class, negative_class or investigation_seed"),
    ] = "positive_class"
    tags: Annotated[
        list[Annotated[str, Field(max_length=MAX_TAG_LEN)]], Field(max_length=MAX_TAGS)
    ] = []
    quality: Annotated[
        int | None, Field(ge=0, le=100, description="PDQ quality; below 50 is refused")
    ] = None
    reason: Annotated[str, Field(min_length=1, max_length=MAX_REASON)]


class RejectIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: Annotated[str, Field(min_length=1, max_length=MAX_REASON)]


class ContributionOut(BaseModel):
    id: int
    collection: str
    contributor: str = Field(description="the peer account; the signal's owner once accepted")
    signal_type: str
    value: str
    category: str
    tags: list[str]
    quality: int | None
    reason: str
    status: str = Field(description="pending, accepted or rejected")
    submitted_at: str
    decided_by: str | None
    decided_at: str | None
    decision_reason: str | None = Field(description="why it was rejected")
    seq: int | None = Field(description="the feed row it became, once accepted")


class AcceptedRowOut(BaseModel):
    """The signal row the contribution became (peers get its proof with the feed)."""

    seq: int
    leaf_index: int
    signal_type: str
    value: str
    category: str
    tags: list[str]
    quality: int | None
    owner: str
    deleted: bool
    time: str


class AcceptedOut(BaseModel):
    contribution: ContributionOut
    update: AcceptedRowOut = Field(description="the new row of the collection's feed")


class RejectedOut(BaseModel):
    contribution: ContributionOut
