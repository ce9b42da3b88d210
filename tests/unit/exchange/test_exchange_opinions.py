"""Aggregating opinions on a signal: the latest per owner wins, the category follows
python-threatexchange's AggregateSignalOpinionCategory, and a peer's dispute suspends a
signal until the publisher re-confirms it. Opinion rows keep signal rows' leaves as
they were and change no signal."""

from __future__ import annotations

import json

import pytest
from threatexchange.exchanges import fetch_state as fs

from mediaproof.errors import UsageError
from mediaproof.exchange.models import Category, FeedRow, Opinion, SignalType, live_signals
from mediaproof.exchange.opinions import aggregate_category, check_reason, opinions_of

PDQ = "ab" * 32
PUB = "County A"
P, N, S = Category.POSITIVE_CLASS, Category.NEGATIVE_CLASS, Category.INVESTIGATION_SEED


def signal(seq: int, deleted: bool = False) -> FeedRow:
    return FeedRow("c", seq, SignalType.PDQ, PDQ, P, (), None, PUB, deleted, "t")


def said(seq: int, owner: str, op: Opinion, reason: str = "why") -> FeedRow:
    return FeedRow(
        "c", seq, SignalType.PDQ, PDQ, op.category, (), None, owner, False, "t", op, reason
    )


@pytest.mark.parametrize(
    ("cats", "want"),
    [
        ([P], "positive_class"),
        ([S], "investigation_seed"),
        ([P, S], "positive_class"),
        ([N, N], "negative_class"),
        ([P, N], "disputed"),
        ([S, N], "disputed"),
        ([], None),
    ],
)
def test_the_aggregate_category_is_python_threatexchanges(
    cats: list[Category], want: str | None
) -> None:
    assert aggregate_category(cats) == want


def test_pytx_agrees_on_every_pair() -> None:
    theirs = fs.AggregateSignalOpinionCategory
    for a in (P, N, S):
        for b in (P, N, S):
            got = theirs.from_opinion_categories(
                [fs.SignalOpinionCategory[a.pytx_name], fs.SignalOpinionCategory[b.pytx_name]]
            )
            assert aggregate_category([a, b]) == got.name.lower()


def test_the_latest_opinion_per_owner_wins_and_history_stays() -> None:
    agg = opinions_of(
        PUB,
        P,
        [
            signal(1),
            said(3, "b", Opinion.CONFIRMED),
            said(2, "b", Opinion.DISPUTED),  # order of rows does not matter: seq does
            said(4, "c", Opinion.SEEN),
        ],
    )
    assert [r.seq for r in agg.history] == [2, 3, 4]
    assert {o: r.opinion for o, r in agg.latest.items()} == {
        "b": Opinion.CONFIRMED,
        "c": Opinion.SEEN,
    }
    assert agg.counts == {"confirmed": 1, "false_positive": 0, "disputed": 0, "seen": 1}
    assert agg.aggregate == "positive_class"  # seen carries no verdict
    assert agg.suspended_by is None
    assert agg.as_json()["acting"] is True


def test_a_peer_dispute_suspends_until_the_publisher_reconfirms() -> None:
    rows = [signal(1), said(2, "b", Opinion.FALSE_POSITIVE)]
    agg = opinions_of(PUB, P, rows)
    assert agg.aggregate == "disputed"
    assert agg.suspended_by is not None and agg.suspended_by.owner == "b"
    rows.append(said(3, PUB, Opinion.CONFIRMED))
    assert opinions_of(PUB, P, rows).suspended_by is None
    rows.append(said(4, "c", Opinion.DISPUTED))  # a newer dispute suspends again
    s = opinions_of(PUB, P, rows).suspended_by
    assert s is not None and s.seq == 4
    # the publisher's own negative opinion is not a peer's dispute (it withdraws instead)
    assert opinions_of(PUB, P, [said(2, PUB, Opinion.DISPUTED)]).suspended_by is None
    # a peer that takes back its dispute lifts it
    assert (
        opinions_of(
            PUB, P, [said(2, "b", Opinion.DISPUTED), said(5, "b", Opinion.SEEN)]
        ).suspended_by
        is None
    )


def test_opinion_rows_are_leaves_that_change_no_signal() -> None:
    plain = json.loads(signal(1).entry())
    assert "opinion" not in plain and "reason" not in plain  # old leaves stay as they were
    op = said(2, "b", Opinion.DISPUTED, "satire")
    body = json.loads(op.entry())
    assert (body["opinion"], body["reason"], body["category"]) == (
        "disputed",
        "satire",
        "negative_class",
    )
    back = FeedRow.from_json("c", op.as_json())
    assert back == op and back.entry() == op.entry()
    assert list(live_signals([signal(1), op])) == [(SignalType.PDQ, PDQ)]
    assert live_signals([signal(1), op])[(SignalType.PDQ, PDQ)].seq == 1
    with pytest.raises(UsageError):
        FeedRow.from_json("c", {**op.as_json(), "opinion": "great"})
    with pytest.raises(UsageError):
        FeedRow.from_json("c", {**op.as_json(), "reason": "x" * 1001})


def test_reasons_are_bounded_and_scrubbed() -> None:
    r = check_reason("  Mail jane@example.org or call +1 202 555 0143\x00 today  ")
    assert "jane@example.org" not in r and "555" not in r and "\x00" not in r
    assert r.startswith("Mail") and r.endswith("today")
    with pytest.raises(UsageError):
        check_reason(" \n\t ")
    with pytest.raises(UsageError):
        check_reason("x" * 1001)
