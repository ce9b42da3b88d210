"""Webhook signatures and retry timing; bank rules; report aggregation and CSV."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest

from mediaproof.cases import bank, report, webhooks
from mediaproof.errors import ConfigError

NOW = dt.datetime(2026, 11, 3, 12, 0, tzinfo=dt.UTC)


def test_signature_roundtrip_and_tamper() -> None:
    body = b'{"action":"remove"}'
    h = webhooks.signed_headers("s3cret", "action.remove", "d1", body, NOW)
    assert h[webhooks.H_SIGNATURE].startswith("v1=")
    assert webhooks.verify("s3cret", h, body, NOW)
    lower = {k.lower(): v for k, v in h.items()}
    assert webhooks.verify("s3cret", lower, body, NOW)
    assert not webhooks.verify("other", h, body, NOW)
    assert not webhooks.verify("s3cret", h, body + b" ", NOW)
    late = NOW + dt.timedelta(minutes=6)
    assert not webhooks.verify("s3cret", h, body, late)  # replay window
    assert not webhooks.verify("s3cret", {}, body, NOW)


def test_signature_covers_timestamp() -> None:
    body = b"{}"
    h = webhooks.signed_headers("k", "e", "d", body, NOW)
    h[webhooks.H_TIMESTAMP] = str(int(NOW.timestamp()) + 1)
    assert not webhooks.verify("k", h, body, NOW)


def test_backoff_doubles_and_dead_letters() -> None:
    p = webhooks.RetryPolicy(
        max_attempts=4, base=dt.timedelta(seconds=10), cap=dt.timedelta(seconds=35)
    )
    assert [p.delay(n).total_seconds() for n in (1, 2, 3, 4)] == [10, 20, 35, 35]
    assert p.after_failure(1, NOW) == NOW + dt.timedelta(seconds=10)
    assert p.after_failure(3, NOW) == NOW + dt.timedelta(seconds=35)
    assert p.after_failure(4, NOW) is None


E1 = bank.BankEntry(case_id=1, sha256="a" * 64, fingerprints={"pdq": "f" * 64})


def test_exact_match_labels() -> None:
    m = bank.find_matches("a" * 64, {}, [E1])
    assert bank.decide(m, bank.DEFAULT_BANK_RULES)[0] is bank.BankAction.LABEL


def test_near_match_queues_within_distance() -> None:
    near = "f" * 63 + "0"  # 4 bits differ
    action, match = bank.decide(
        bank.find_matches("b" * 64, {"pdq": near}, [E1]), bank.DEFAULT_BANK_RULES
    )
    assert action is bank.BankAction.QUEUE and match is not None and match.distance == 4
    far = "0" * 64
    action, _ = bank.decide(
        bank.find_matches("b" * 64, {"pdq": far}, [E1]), bank.DEFAULT_BANK_RULES
    )
    assert action is bank.BankAction.IGNORE


def test_rules_are_data() -> None:
    rules = [bank.BankRule.from_dict({"match": "near", "max_distance": 2, "action": "label"})]
    near = "f" * 63 + "e"  # 1 bit
    assert bank.decide(bank.find_matches("b" * 64, {"pdq": near}, [E1]), rules)[0] is (
        bank.BankAction.LABEL
    )
    with pytest.raises(ConfigError):
        bank.BankRule.from_dict({"match": "near", "action": "label"})
    with pytest.raises(ConfigError):
        bank.BankRule.from_dict({"match": "fuzzy", "action": "label"})


def test_report_counts_and_csv() -> None:
    t = NOW
    notices = [
        report.NoticeRec("deepfake_of_candidate", "verified_candidate", t),
        report.NoticeRec("deepfake_of_candidate", "notice", t),
        report.NoticeRec("other", "notice", t),
    ]
    actions = [
        report.ActionRec("remove", "incompatible", False, False, t, 2.0),
        report.ActionRec("label", "incompatible", True, True, t, 4.0),
        report.ActionRec("restore", "reversal", False, False, t, 9.0),
    ]
    decisions = [report.DecisionRec("remove", False), report.DecisionRec("label", True)]
    complaints = [
        report.ComplaintRec("uploader", t, "reversed", 5.0),
        report.ComplaintRec("reporter", t, None, None),
    ]
    rep = report.build(t, t + dt.timedelta(days=1), notices, decisions, actions, complaints)
    assert rep.value("notices", "received", "all") == 3
    assert rep.value("notices", "received_by_category", "deepfake_of_candidate") == 2
    assert rep.value("actions", "taken", "remove", "incompatible") == 1
    assert rep.value("time_to_action", "median_hours", "all") == 3.0  # restore excluded
    assert rep.value("complaints", "decided", "reversed") == 1
    assert rep.value("complaints", "pending", "all") == 1
    assert rep.value("automated_means", "actions_decided_automatically") == 1
    text = report.to_csv(rep)
    assert "\r\n" in text and "\n" not in text.replace("\r\n", "")
    rows = list(csv.reader(io.StringIO(text, newline="")))
    assert rows[0] == ["period_start", "period_end", *report.COLUMNS]
    assert len(rows) == len(rep.rows) + 1
    html = report.to_html(rep)
    assert "<svg" in html and "http" not in html.replace("http-equiv", "")  # no external assets
