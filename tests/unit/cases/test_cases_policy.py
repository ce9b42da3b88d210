"""Triage (priority and due time) and the published policy document."""

from __future__ import annotations

import copy
import datetime as dt

import pytest

from mediaproof.cases.errors import NoticeInvalidError, ReviewRuleError
from mediaproof.cases.models import NoticeCategory as C
from mediaproof.cases.models import NoticeInput, Outcome, Relationship, SourceType
from mediaproof.cases.policy import DEFAULT_POLICY, DEFAULT_POLICY_DICT, PolicyDocument, triage
from mediaproof.errors import ConfigError
from tests.factories import Reporter, notice_input

ANA = Reporter("Ana Example", "ana@example.org", Relationship.SELF)

T0 = dt.datetime(2026, 11, 3, 9, 0, tzinfo=dt.UTC)


def _policy(**triage_cfg: object) -> PolicyDocument:
    d = copy.deepcopy(DEFAULT_POLICY_DICT)
    d["triage"].update(triage_cfg)
    return PolicyDocument.from_dict(d)


def test_ncii_clock_is_48_hours_even_if_policy_says_more() -> None:
    p = _policy(sla_hours={"non_consensual_intimate_deepfake": 96})
    t = triage(p, C.NON_CONSENSUAL_INTIMATE_DEEPFAKE, SourceType.NOTICE, T0)
    assert t.due_at == T0 + dt.timedelta(hours=48)
    assert "TAKE IT DOWN" in t.clock


def test_ncii_clock_can_be_shorter() -> None:
    t = triage(DEFAULT_POLICY, C.NON_CONSENSUAL_INTIMATE_DEEPFAKE, SourceType.NOTICE, T0)
    assert t.due_at == T0 + dt.timedelta(hours=24)


def test_ncii_without_configured_sla_gets_48_hours() -> None:
    p = _policy(sla_hours={})
    t = triage(p, C.NON_CONSENSUAL_INTIMATE_DEEPFAKE, SourceType.NOTICE, T0)
    assert t.due_at == T0 + dt.timedelta(hours=48)
    other = triage(p, C.OTHER, SourceType.NOTICE, T0)
    assert other.due_at == T0 + dt.timedelta(hours=72)


def test_verified_candidate_is_faster_and_higher_priority() -> None:
    public = triage(DEFAULT_POLICY, C.DEEPFAKE_OF_CANDIDATE, SourceType.NOTICE, T0)
    cand = triage(DEFAULT_POLICY, C.DEEPFAKE_OF_CANDIDATE, SourceType.VERIFIED_CANDIDATE, T0)
    assert public.due_at == T0 + dt.timedelta(hours=24)
    assert cand.due_at == T0 + dt.timedelta(hours=12)
    assert cand.priority < public.priority


def test_category_order_of_priorities() -> None:
    def prio(c: C) -> int:
        return triage(DEFAULT_POLICY, c, SourceType.NOTICE, T0).priority

    assert prio(C.FALSE_VOTING_INFORMATION) <= prio(C.DEEPFAKE_OF_CANDIDATE) < prio(C.OTHER)


def test_policy_rejects_short_appeal_window_and_uncovered_category() -> None:
    d = copy.deepcopy(DEFAULT_POLICY_DICT)
    d["appeal_window_days"] = 30
    with pytest.raises(ConfigError, match="six months"):
        PolicyDocument.from_dict(d)
    d = copy.deepcopy(DEFAULT_POLICY_DICT)
    d["rules"] = [r for r in d["rules"] if r["id"] != "DM-3"]
    with pytest.raises(ConfigError, match="non_consensual_intimate_deepfake"):
        PolicyDocument.from_dict(d)
    with pytest.raises(ConfigError, match="at least one rule"):
        PolicyDocument.from_dict({**DEFAULT_POLICY_DICT, "rules": []})


def test_rule_allows_only_its_outcomes() -> None:
    DEFAULT_POLICY.check_outcome("DM-3", Outcome.REMOVE)
    with pytest.raises(ReviewRuleError, match="allows"):
        DEFAULT_POLICY.check_outcome("DM-3", Outcome.LABEL)
    with pytest.raises(ReviewRuleError, match="no rule"):
        DEFAULT_POLICY.check_outcome("XX-9", Outcome.LABEL)


def _notice(**kw: object) -> NoticeInput:
    video = {
        "explanation": "This video puts words in the candidate's mouth.",
        "content_url": "https://video.example/watch?v=1",
        "location": "video.example, uploaded 2026-11-02",
    }
    return notice_input(video, reporter=ANA, **kw)


def test_valid_notice_passes() -> None:
    _notice().validate()
    _notice(content_url=None, location=None, media_sha256="a" * 64).validate()


@pytest.mark.parametrize(
    ("change", "missing"),
    [
        ({"content_url": None}, "the content"),
        ({"location": None}, "where the content appears"),
        ({"explanation": "fake"}, "explanation"),
        ({"reporter_name": " "}, "your name"),
        ({"reporter_email": "not-an-address"}, "e-mail"),
        ({"good_faith": False}, "good-faith"),
        ({"signature": ""}, "signature"),
    ],
)
def test_notice_elements_are_required(change: dict[str, object], missing: str) -> None:
    with pytest.raises(NoticeInvalidError, match=missing):
        _notice(**change).validate()


def test_notice_rejects_bad_digest_and_url() -> None:
    with pytest.raises(NoticeInvalidError, match="hex"):
        _notice(media_sha256="XYZ").validate()
    with pytest.raises(NoticeInvalidError, match="http"):
        _notice(content_url="file:///etc/passwd").validate()
