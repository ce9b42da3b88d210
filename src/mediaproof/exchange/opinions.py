"""Opinions on a collection's signals, aggregated the way python-threatexchange does.

Each opinion is a row of the collection's log (a leaf like any update), so the history
is kept and tamper-evident; what counts is the **latest opinion per owner** (an owner
who changes its mind replaces its earlier opinion, as a ``SignalOpinion`` per owner does
there). The aggregate category follows its ``AggregateSignalOpinionCategory``: the
highest category, unless a positive and a negative class meet, which is ``disputed``.
``seen`` carries no verdict and stays out of the category.

A signal **stops acting automatically** when an owner other than the publisher holds a
latest opinion of ``false_positive`` or ``disputed`` newer than the publisher's own
latest ``confirmed`` (a local reviewer re-confirming it). Peers who may opine are those
the publisher granted the ``exchange:opine`` scope on that collection: trusted by grant.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from mediaproof.cases.scrub import scrub_personal_data
from mediaproof.errors import UsageError
from mediaproof.exchange.models import MAX_REASON, Category, FeedRow, Opinion

DISPUTED = "disputed"  # the aggregate category when positive and negative meet
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
_RANK = {Category.NEGATIVE_CLASS: 0, Category.INVESTIGATION_SEED: 1, Category.POSITIVE_CLASS: 2}


def check_reason(text: str, known: Iterable[str] = ()) -> str:
    """The reason as published: trimmed, 1 to MAX_REASON characters, no control
    characters, and without personal data (e-mail addresses, phone numbers, ``known``
    names), as the rest of the exchange."""
    t = _CONTROL.sub(" ", text).strip()
    if not t:
        raise UsageError("say why: an opinion needs a reason")
    if len(t) > MAX_REASON:
        raise UsageError(f"the reason is at most {MAX_REASON} characters")
    return scrub_personal_data(t, known)


def aggregate_category(categories: Iterable[Category]) -> str | None:
    """python-threatexchange's aggregation: the highest category, ``disputed`` when a
    negative class meets a higher one. None for no categories."""
    out: str | None = None
    lo = hi = None
    for c in categories:
        lo = c if lo is None or _RANK[c] < _RANK[lo] else lo
        hi = c if hi is None or _RANK[c] > _RANK[hi] else hi
    if lo is None or hi is None:
        return out
    if lo is not hi and lo is Category.NEGATIVE_CLASS:
        return DISPUTED
    return hi.value


@dataclass(frozen=True)
class SignalOpinions:
    """What the owners say about one signal."""

    publisher: str
    category: Category  # the publisher's own category for the signal
    latest: dict[str, FeedRow]  # owner -> their latest opinion row
    history: list[FeedRow]  # every opinion row, oldest first

    @property
    def counts(self) -> dict[str, int]:
        """Owners per opinion, counting each owner's latest opinion once."""
        out = {o.value: 0 for o in Opinion}
        for r in self.latest.values():
            assert r.opinion is not None
            out[r.opinion.value] += 1
        return out

    @property
    def aggregate(self) -> str | None:
        """The publisher's category with every owner's latest verdict (not ``seen``)."""
        cats = [self.category]
        cats += [
            r.opinion.category
            for r in self.latest.values()
            if r.opinion is not None and r.opinion is not Opinion.SEEN and r.owner != self.publisher
        ]
        return aggregate_category(cats)

    @property
    def suspended_by(self) -> FeedRow | None:
        """The peer opinion that stops the signal acting, or None when it acts."""
        own = self.latest.get(self.publisher)
        reconfirmed = own.seq if own is not None and own.opinion is Opinion.CONFIRMED else 0
        against = [
            r
            for owner, r in self.latest.items()
            if owner != self.publisher
            and r.opinion is not None
            and r.opinion.suspends
            and r.seq > reconfirmed
        ]
        return max(against, key=lambda r: r.seq) if against else None

    def as_json(self) -> dict[str, Any]:
        s = self.suspended_by
        return {
            "aggregate": self.aggregate,
            "counts": self.counts,
            "owners": {o: _opinion_json(r) for o, r in sorted(self.latest.items())},
            "history": [_opinion_json(r) for r in self.history],
            "acting": s is None,
            "suspended_by": _opinion_json(s) if s is not None else None,
        }


def _opinion_json(r: FeedRow) -> dict[str, Any]:
    assert r.opinion is not None
    return {
        "seq": r.seq,
        "owner": r.owner,
        "opinion": r.opinion.value,
        "category": r.category.value,
        "reason": r.reason,
        "time": r.time,
    }


def opinions_of(publisher: str, category: Category, rows: Iterable[FeedRow]) -> SignalOpinions:
    """Aggregate the opinion rows of one signal (any order; other rows are ignored)."""
    history = sorted((r for r in rows if r.opinion is not None), key=lambda r: r.seq)
    latest: dict[str, FeedRow] = {}
    for r in history:
        latest[r.owner] = r  # the latest per owner wins
    return SignalOpinions(publisher, category, latest, history)
