"""Collections, feed rows and the log entries they are, as plain data.

Signal type names are python-threatexchange's (``SignalType.get_name()``: ``pdq``,
``video_md5``, ``vpdq``); Chromaprint has no type there, so it keeps our name. Categories
are its opinion categories (``SignalOpinionCategory``), lower-cased on the wire.

Every update of a collection (a signal added, changed or withdrawn) is one row with a
server sequence number ``seq`` (1, 2, ...) and one leaf of the collection's RFC 6962 log
at index ``seq - 1``. The leaf is the row's canonical JSON (:meth:`FeedRow.entry`), so a
peer recomputes it from the fields it receives and checks it against the signed tree.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, TypeVar
from urllib.parse import urlsplit

from mediaproof.display_text import check_display_paragraphs, check_display_text
from mediaproof.errors import UsageError
from mediaproof.exchange.errors import BehindHorizonError

ENTRY_VERSION = 1
MAX_TAGS = 20
MAX_TAG_LEN = 64
MAX_VPDQ_FRAMES = 20_000  # as many as the bank keeps (matching/media_bank.py)
MAX_CHROMAPRINT_HEX = 2 * 4 * 20_000  # 20k 32-bit items, about 4 minutes of sound
MAX_PAGE = 1000
DEFAULT_PAGE = 500


class SignalType(StrEnum):
    PDQ = "pdq"
    VIDEO_MD5 = "video_md5"
    VPDQ = "vpdq"
    CHROMAPRINT = "chromaprint"


# Types whose value we write exactly as python-threatexchange does, so its ``local_file``
# exchange and ``dataset`` tooling read them. Our vPDQ value is the frame hashes without
# the per-frame quality and timestamp its VPDQSignal wants, and it has no Chromaprint type:
# those two travel in the JSON feed only.
PYTX_SIGNAL_TYPES: frozenset[SignalType] = frozenset({SignalType.PDQ, SignalType.VIDEO_MD5})

# The bank's fingerprint map key (matching/media_bank.py) for each exchange type.
BANK_KEYS: Mapping[SignalType, str] = {
    SignalType.PDQ: "pdq",
    SignalType.VIDEO_MD5: "md5",
    SignalType.VPDQ: "vpdq",
    SignalType.CHROMAPRINT: "chromaprint",
}


class Category(StrEnum):
    """python-threatexchange's ``SignalOpinionCategory``."""

    POSITIVE_CLASS = "positive_class"  # confirmed: the content is what the collection is about
    NEGATIVE_CLASS = "negative_class"  # known benign (e.g. a false positive)
    INVESTIGATION_SEED = "investigation_seed"  # worth a look, not confirmed

    @property
    def pytx_name(self) -> str:
        return self.value.upper()


class Opinion(StrEnum):
    """What a peer says about a signal of a collection (docs/exchange.md, "Opinions")."""

    CONFIRMED = "confirmed"  # their reviewers found the same: it is what the collection says
    FALSE_POSITIVE = "false_positive"  # it matched content that is not (benign, wrong hash)
    DISPUTED = "disputed"  # they disagree with the classification
    SEEN = "seen"  # they saw it match; no verdict

    @property
    def category(self) -> Category:
        """The python-threatexchange category the opinion carries. ``seen`` is its
        ``report_seen``: no verdict, so an investigation seed that aggregation ignores."""
        return _OPINION_CATEGORY[self]

    @property
    def suspends(self) -> bool:
        """Whether a peer's opinion of this kind stops the signal acting automatically."""
        return self in (Opinion.FALSE_POSITIVE, Opinion.DISPUTED)


_OPINION_CATEGORY: Mapping[Opinion, Category] = {
    Opinion.CONFIRMED: Category.POSITIVE_CLASS,
    Opinion.FALSE_POSITIVE: Category.NEGATIVE_CLASS,
    Opinion.DISPUTED: Category.NEGATIVE_CLASS,
    Opinion.SEEN: Category.INVESTIGATION_SEED,
}

MAX_REASON = 1000


class Tlp(StrEnum):
    """Traffic Light Protocol 2.0 labels."""

    CLEAR = "clear"
    GREEN = "green"
    AMBER = "amber"
    AMBER_STRICT = "amber+strict"
    RED = "red"


class Require(StrEnum):
    TWO_REVIEWERS = "two_reviewers"  # a final decision a second reviewer confirmed
    FINAL_DECISION = "final_decision"  # any final human decision


_NAME = re.compile(r"[a-z0-9][a-z0-9_-]{0,62}")
_HEX = re.compile(r"[0-9a-f]+")
_TAG = re.compile(r"[A-Za-z0-9_.:-]+")


def check_name(name: str) -> str:
    if not _NAME.fullmatch(name):
        raise UsageError(
            f"bad collection name {name!r}",
            hint="1-63 characters: lower-case letters, digits, '-' and '_', starting with a "
            "letter or digit",
        )
    return name


E = TypeVar("E", bound=StrEnum)


def parse_enum(kind: type[E], value: str, what: str) -> E:
    """``value`` as a member of ``kind``, or a UsageError that lists the members."""
    try:
        return kind(value)
    except ValueError as e:
        raise UsageError(
            f"unknown {what} {value!r}", hint="one of: " + ", ".join(m.value for m in kind)
        ) from e


def check_tags(tags: Sequence[str]) -> tuple[str, ...]:
    if len(tags) > MAX_TAGS:
        raise UsageError(f"at most {MAX_TAGS} tags")
    for t in tags:
        if not 1 <= len(t) <= MAX_TAG_LEN or not _TAG.fullmatch(t):
            raise UsageError(f"bad tag {t!r}", hint="letters, digits and _ . : - only")
    return tuple(sorted(set(tags)))


def check_value(signal_type: SignalType, value: str) -> str:
    """The value in its one canonical spelling (lower-case hex), or a UsageError."""
    v = value.strip().lower()
    ok: bool
    if signal_type is SignalType.PDQ:
        ok = len(v) == 64 and bool(_HEX.fullmatch(v))
    elif signal_type is SignalType.VIDEO_MD5:
        ok = len(v) == 32 and bool(_HEX.fullmatch(v))
    elif signal_type is SignalType.VPDQ:
        frames = v.split(",")
        ok = 1 <= len(frames) <= MAX_VPDQ_FRAMES and all(
            len(f) == 64 and _HEX.fullmatch(f) for f in frames
        )
    else:
        ok = 0 < len(v) <= MAX_CHROMAPRINT_HEX and len(v) % 8 == 0 and bool(_HEX.fullmatch(v))
    if not ok:
        raise UsageError(f"malformed {signal_type.value} value")
    return v


@dataclass(frozen=True)
class InclusionRule:
    """Which bank entries a collection publishes. The bank holds media a final decision
    acted on; the rule narrows that to the decisions a publisher is willing to vouch for."""

    require: Require = Require.TWO_REVIEWERS
    outcomes: tuple[str, ...] = ()  # empty: any outcome that put the media in the bank
    categories: tuple[str, ...] = ()  # case categories; empty: any

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> InclusionRule:
        unknown = set(d) - {"require", "outcomes", "categories"}
        if unknown:
            raise UsageError(f"unknown inclusion rule keys: {', '.join(sorted(unknown))}")
        outcomes = d.get("outcomes", [])
        categories = d.get("categories", [])
        if not isinstance(outcomes, list) or not all(isinstance(o, str) for o in outcomes):
            raise UsageError("inclusion rule: outcomes must be a list of strings")
        if not isinstance(categories, list) or not all(isinstance(c, str) for c in categories):
            raise UsageError("inclusion rule: categories must be a list of strings")
        return cls(
            parse_enum(Require, str(d.get("require", Require.TWO_REVIEWERS.value)), "requirement"),
            tuple(sorted(outcomes)),
            tuple(sorted(categories)),
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "require": self.require.value,
            "outcomes": list(self.outcomes),
            "categories": list(self.categories),
        }

    def admits(self, d: BankedDecision) -> bool:
        if not d.final or d.automated:
            return False  # the bank's own automatic labels never vouch for a signal
        if self.require is Require.TWO_REVIEWERS and not d.second_reviewer:
            return False
        if self.outcomes and d.outcome not in self.outcomes:
            return False
        return not self.categories or d.category in self.categories


@dataclass(frozen=True)
class BankedDecision:
    """The decision behind a bank entry, as the inclusion rule sees it."""

    outcome: str
    category: str
    final: bool
    automated: bool
    second_reviewer: bool


@dataclass(frozen=True)
class CollectionSpec:
    name: str
    organisation: str
    description: str = ""
    signal_types: tuple[SignalType, ...] = (SignalType.PDQ, SignalType.VPDQ)
    tlp: Tlp = Tlp.AMBER
    policy_url: str | None = None
    category: Category = Category.POSITIVE_CLASS
    rule: InclusionRule = field(default_factory=InclusionRule)
    tombstone_days: int = 90

    def validate(self) -> CollectionSpec:
        check_name(self.name)
        if not 1 <= len(self.organisation.strip()) <= 200:
            raise UsageError("a collection needs its publishing organisation (1-200 characters)")
        if len(self.description) > 2000:
            raise UsageError("the description is at most 2000 characters")
        # both are in the collection's descriptor that every peer is shown
        why = "it is in the descriptor the collection's peers are shown"
        check_display_text(why, organisation=self.organisation)
        check_display_paragraphs(why, description=self.description)
        if not self.signal_types:
            raise UsageError("a collection needs at least one signal type")
        if self.policy_url is not None:
            u = urlsplit(self.policy_url)
            if u.scheme not in ("https", "http") or not u.netloc or len(self.policy_url) > 2000:
                raise UsageError("the policy URL must be an http(s) URL")
        if not 1 <= self.tombstone_days <= 3650:
            raise UsageError("tombstones are kept 1-3650 days")
        return self


@dataclass(frozen=True)
class FeedRow:
    """One update of a collection: a signal added or changed (``deleted`` false) or
    withdrawn (a tombstone). ``time`` is UTC ISO 8601 text, kept verbatim."""

    collection: str
    seq: int
    signal_type: SignalType
    value: str
    category: Category
    tags: tuple[str, ...]
    quality: int | None
    owner: str
    deleted: bool
    time: str
    # an opinion row: ``owner`` says ``opinion`` about the signal (type, value), with a
    # reason; it changes no signal. None for signal updates, whose entry stays as it was.
    opinion: Opinion | None = None
    reason: str = ""

    @property
    def leaf_index(self) -> int:
        return self.seq - 1

    def entry(self) -> bytes:
        """The log entry: canonical JSON (sorted keys, no spaces, UTF-8)."""
        body = {
            "v": ENTRY_VERSION,
            "collection": self.collection,
            "seq": self.seq,
            **self._signal_json(),
        }
        if self.opinion is not None:
            body["opinion"] = self.opinion.value
            body["reason"] = self.reason
        return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()

    def as_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "seq": self.seq,
            "leaf_index": self.leaf_index,
            **self._signal_json(),
        }
        if self.opinion is not None:
            out["opinion"] = self.opinion.value
            out["reason"] = self.reason
        return out

    def _signal_json(self) -> dict[str, Any]:
        """The signal's fields, as both the log entry and the feed page carry them."""
        return {
            "signal_type": self.signal_type.value,
            "value": self.value,
            "category": self.category.value,
            "tags": list(self.tags),
            "quality": self.quality,
            "owner": self.owner,
            "deleted": self.deleted,
            "time": self.time,
        }

    @classmethod
    def from_json(cls, collection: str, d: Mapping[str, Any]) -> FeedRow:
        """A row as a peer sent it, checked field by field (a UsageError otherwise)."""
        try:
            seq = d["seq"]
            st = SignalType(d["signal_type"])
            quality = d.get("quality")
            opinion = Opinion(d["opinion"]) if d.get("opinion") is not None else None
            reason = d.get("reason", "") if opinion is not None else ""
            if not isinstance(reason, str) or len(reason) > MAX_REASON:
                raise ValueError(f"reason must be text of at most {MAX_REASON} characters")
            row = cls(
                collection=collection,
                seq=seq,
                signal_type=st,
                value=check_value(st, str(d["value"])),
                category=Category(d["category"]),
                tags=tuple(d.get("tags") or ()),
                quality=quality,
                owner=str(d["owner"]),
                deleted=d["deleted"],
                time=str(d["time"]),
                opinion=opinion,
                reason=reason,
            )
        except (KeyError, ValueError, TypeError) as e:
            raise UsageError(f"malformed feed row: {e}") from e
        if not isinstance(seq, int) or isinstance(seq, bool) or seq < 1:
            raise UsageError("malformed feed row: seq must be a positive integer")
        if d.get("leaf_index", seq - 1) != seq - 1:
            raise UsageError("malformed feed row: leaf_index must be seq - 1")
        if not isinstance(row.deleted, bool):
            raise UsageError("malformed feed row: deleted must be true or false")
        if quality is not None and (
            not isinstance(quality, int) or isinstance(quality, bool) or not 0 <= quality <= 100
        ):
            raise UsageError("malformed feed row: quality must be 0-100 or null")
        if tuple(check_tags(list(row.tags))) != row.tags:
            raise UsageError("malformed feed row: tags must be sorted and unique")
        return row


def check_position(after: int, horizon: int) -> None:
    """Refuse a client whose position is older than the oldest update still promised.

    ``horizon`` is the newest seq whose tombstones may already be gone for clients that
    page: a client at 0 < after < horizon could have missed a withdrawal. A client at 0
    starts afresh and may page from the beginning.
    """
    if after < 0:
        raise UsageError("after must be 0 or more")
    if 0 < after < horizon:
        raise BehindHorizonError(
            f"position {after} is older than the tombstones this collection keeps "
            f"(horizon {horizon})",
            hint="reload the snapshot, then page on from its position",
        )


def live_signals(rows: Sequence[FeedRow]) -> dict[tuple[SignalType, str], FeedRow]:
    """The state a sequence of updates leaves: the last update per signal, tombstones out."""
    state: dict[tuple[SignalType, str], FeedRow] = {}
    for r in sorted(rows, key=lambda r: r.seq):
        if r.opinion is not None:
            continue  # an opinion about a signal, not an update of it
        key = (r.signal_type, r.value)
        if r.deleted:
            state.pop(key, None)
        else:
            state[key] = r
    return state
