"""The bank of confirmed deceptive media, and the rules that act on matches (as data).

A rule says what happens when an upload matches the bank: ``{"match": "exact", "action":
"label"}`` labels at once (same bytes as media a reviewer already confirmed);
``{"match": "near", "max_distance": 31, "action": "queue"}`` opens a case for a reviewer
(a fingerprint match is a lead, not a verdict). Rules are tried in order; first wins.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Protocol, runtime_checkable

from mediaproof.errors import ConfigError


class BankAction(StrEnum):
    LABEL = "label"  # act at once, automated decision
    QUEUE = "queue"  # open a case for human review
    IGNORE = "ignore"


@dataclass(frozen=True)
class BankEntry:
    case_id: int
    sha256: str
    fingerprints: Mapping[str, str]  # alg -> hex


@dataclass(frozen=True)
class BankMatch:
    entry: BankEntry
    kind: str  # "exact" or "near"
    alg: str | None = None
    distance: int | None = None


@dataclass(frozen=True)
class BankRule:
    match: str  # "exact" | "near"
    action: BankAction
    max_distance: int | None = None
    alg: str | None = None  # limit a near rule to one fingerprint algorithm

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> BankRule:
        match = d.get("match")
        if match not in ("exact", "near"):
            raise ConfigError(f"bank rule: match must be 'exact' or 'near', got {match!r}")
        try:
            action = BankAction(str(d.get("action")))
        except ValueError as e:
            raise ConfigError(f"bank rule: unknown action {d.get('action')!r}") from e
        dist = d.get("max_distance")
        if match == "near" and not isinstance(dist, int):
            raise ConfigError("bank rule: a near rule needs an integer max_distance")
        return cls(match=match, action=action, max_distance=dist, alg=d.get("alg"))


# the reviewer name of the bank's automated decisions on identical copies
BANK_REVIEWER = "auto:bank"

DEFAULT_BANK_RULES: tuple[BankRule, ...] = (
    BankRule("exact", BankAction.LABEL),
    BankRule("near", BankAction.QUEUE, max_distance=31, alg="pdq"),
    # with the fingerprint index (services/cases/media_index.py): video frames within 31 bits on
    # at least 80 % of the query's frames, and sound at a bit-error rate of at most 0.25
    # (distances in per mille)
    BankRule("near", BankAction.QUEUE, max_distance=31, alg="vpdq"),
    BankRule("near", BankAction.QUEUE, max_distance=250, alg="chromaprint"),
)


@runtime_checkable
class BankIndex(Protocol):
    """A fingerprint index over the bank (``services/cases/media_index.py``): replaces the
    linear :func:`find_matches` with exact Hamming indexes, for PDQ, vPDQ and audio."""

    def bank_matches(self, sha256: str, fingerprints: Mapping[str, str]) -> list[BankMatch]: ...


def hamming_hex(a: str, b: str) -> int | None:
    if len(a) != len(b):
        return None
    try:
        return (int(a, 16) ^ int(b, 16)).bit_count()
    except ValueError:
        return None


def find_matches(
    sha256: str, fingerprints: Mapping[str, str], bank: Sequence[BankEntry]
) -> list[BankMatch]:
    """Exact matches first, then near matches sorted by distance. A linear scan: fine for a
    bank of thousands; the fingerprint index replaces it at scale."""
    exact = [BankMatch(e, "exact") for e in bank if e.sha256 == sha256]
    near: list[BankMatch] = []
    for e in bank:
        if e.sha256 == sha256:
            continue
        for alg, value in fingerprints.items():
            other = e.fingerprints.get(alg)
            if other is None:
                continue
            d = hamming_hex(value, other)
            if d is not None:
                near.append(BankMatch(e, "near", alg, d))
    near.sort(key=lambda m: m.distance if m.distance is not None else 1 << 30)
    return exact + near


def decide(
    matches: Sequence[BankMatch], rules: Sequence[BankRule]
) -> tuple[BankAction, BankMatch | None]:
    for rule in rules:
        for m in matches:
            if m.kind != rule.match:
                continue
            if rule.match == "near":
                if rule.alg is not None and m.alg != rule.alg:
                    continue
                if (
                    m.distance is None
                    or rule.max_distance is None
                    or m.distance > rule.max_distance
                ):
                    continue
            return rule.action, m
    return BankAction.IGNORE, None
