"""Statement-of-reasons records: built records validate; the validator enforces v2 rules."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from mediaproof.cases.models import ActionType, Outcome, SourceType
from mediaproof.cases.policy import DEFAULT_POLICY
from mediaproof.cases.sor import (
    MAX_PER_BATCH,
    SorFacts,
    batches,
    build_record,
    human_statement,
    label_text,
    scrub_personal_data,
    validate_record,
)


def _facts(rule_id: str = "DM-1", action: ActionType = ActionType.LABEL) -> SorFacts:
    return SorFacts(
        puid="mp-C-2026-000001-d1",
        action=action,
        rule=DEFAULT_POLICY.rule(rule_id),
        policy=DEFAULT_POLICY,
        explanation="The audio was cloned; the candidate never said this.",
        mime="video/mp4",
        content_date=dt.date(2026, 11, 2),
        application_date=dt.date(2026, 11, 3),
        source=SourceType.VERIFIED_CANDIDATE,
        automated_detection=False,
        automated_decision="AUTOMATED_DECISION_NOT_AUTOMATED",
        case_number="C-2026-000001",
        media_sha256="ab" * 32,
    )


def _fields(problems: list[Any]) -> set[str]:
    return {p.field for p in problems}


def test_built_records_validate() -> None:
    for rule_id, action in (
        ("DM-1", ActionType.LABEL),
        ("DM-2", ActionType.REMOVE),
        ("DM-3", ActionType.REMOVE),
        ("DM-1", ActionType.RESTRICT),
    ):
        rec = build_record(_facts(rule_id, action))
        assert validate_record(rec) == [], (rule_id, action)


def test_record_shape() -> None:
    rec = build_record(_facts())
    assert rec["decision_visibility"] == ["DECISION_VISIBILITY_CONTENT_LABELLED"]
    assert rec["category"] == "STATEMENT_CATEGORY_NEGATIVE_EFFECTS_ON_CIVIC_DISCOURSE_OR_ELECTIONS"
    assert rec["content_type"] == ["CONTENT_TYPE_SYNTHETIC_MEDIA", "CONTENT_TYPE_VIDEO"]
    assert rec["source_type"] == "SOURCE_ARTICLE_16"
    assert rec["automated_detection"] == "No"
    assert rec["decision_ground"] == "DECISION_GROUND_INCOMPATIBLE_CONTENT"
    assert "illegal_content_legal_ground" not in rec
    ncii = build_record(_facts("DM-3", ActionType.REMOVE))
    assert ncii["decision_ground"] == "DECISION_GROUND_ILLEGAL_CONTENT"
    assert ncii["illegal_content_legal_ground"] and ncii["illegal_content_explanation"]
    assert ncii["decision_visibility"] == ["DECISION_VISIBILITY_CONTENT_REMOVED"]


def test_restore_has_no_statement() -> None:
    with pytest.raises(ValueError):
        build_record(_facts(action=ActionType.RESTORE))


def _valid() -> dict[str, Any]:
    return build_record(_facts())


@pytest.mark.parametrize(
    "field",
    [
        "decision_ground",
        "content_type",
        "category",
        "decision_facts",
        "content_date",
        "application_date",
        "source_type",
        "automated_detection",
        "automated_decision",
        "puid",
    ],
)
def test_required_fields(field: str) -> None:
    rec = _valid()
    del rec[field]
    assert field in _fields(validate_record(rec))


def test_at_least_one_restriction() -> None:
    rec = _valid()
    del rec["decision_visibility"]
    assert "decision_visibility" in _fields(validate_record(rec))
    rec["decision_account"] = "DECISION_ACCOUNT_SUSPENDED"  # any one of the four will do
    assert validate_record(rec) == []


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("decision_visibility", ["DECISION_VISIBILITY_HIDDEN"]),
        ("decision_ground", "ILLEGAL_CONTENT"),  # v2 needs the DECISION_GROUND_ prefix
        ("content_type", ["SYNTHETIC_MEDIA"]),
        ("category", "NEGATIVE_EFFECTS_ON_CIVIC_DISCOURSE_OR_ELECTIONS"),
        ("category", "STATEMENT_CATEGORY_SCOPE_OF_PLATFORM_SERVICE"),  # v1 only
        ("category_specification", ["KEYWORD_DEEPFAKE"]),
        ("territorial_scope", ["US"]),
        ("source_type", "ARTICLE_16"),
        ("automated_detection", "yes"),
        ("automated_decision", "No"),
        ("decision_monetary", "MONETARY_TERMINATION"),
        ("content_language", "english"),
    ],
)
def test_enums(field: str, value: Any) -> None:
    rec = _valid()
    rec[field] = value
    assert field in _fields(validate_record(rec))


@pytest.mark.parametrize(
    ("field", "limit"),
    [
        ("decision_facts", 5000),
        ("incompatible_content_ground", 500),
        ("incompatible_content_explanation", 2000),
        ("puid", 500),
        ("decision_ground_reference_url", 500),
    ],
)
def test_lengths(field: str, limit: int) -> None:
    rec = _valid()
    rec[field] = ("https://x.example/" if field.endswith("url") else "") + "a" * limit
    rec[field] = rec[field][:limit]
    assert field not in _fields(validate_record(rec))
    rec[field] = rec[field] + "a"
    assert field in _fields(validate_record(rec))


def test_illegal_content_requires_legal_ground_and_explanation() -> None:
    rec = _valid()
    rec["decision_ground"] = "DECISION_GROUND_ILLEGAL_CONTENT"
    fields = _fields(validate_record(rec))
    assert {"illegal_content_legal_ground", "illegal_content_explanation"} <= fields
    rec["illegal_content_legal_ground"] = "Law X"
    rec["illegal_content_explanation"] = "Because."
    assert validate_record(rec) == []


def test_incompatible_content_requires_ground_and_explanation() -> None:
    rec = _valid()
    del rec["incompatible_content_ground"]
    del rec["incompatible_content_explanation"]
    assert {"incompatible_content_ground", "incompatible_content_explanation"} <= _fields(
        validate_record(rec)
    )
    rec = _valid()
    rec["incompatible_content_illegal"] = "maybe"
    assert "incompatible_content_illegal" in _fields(validate_record(rec))


@pytest.mark.parametrize(
    ("trigger_field", "trigger", "needed"),
    [
        ("decision_visibility", ["DECISION_VISIBILITY_OTHER"], "decision_visibility_other"),
        ("decision_monetary", "DECISION_MONETARY_OTHER", "decision_monetary_other"),
        ("content_type", ["CONTENT_TYPE_OTHER"], "content_type_other"),
        ("category_specification", ["KEYWORD_OTHER"], "category_specification_other"),
    ],
)
def test_other_values_need_their_text(trigger_field: str, trigger: Any, needed: str) -> None:
    rec = _valid()
    rec[trigger_field] = trigger
    assert needed in _fields(validate_record(rec))
    rec[needed] = "something else"
    assert validate_record(rec) == []


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("content_date", "2026-11-2"),
        ("content_date", "1999-12-31"),
        ("application_date", "2019-12-31"),
        ("application_date", "2026-02-30"),
        ("end_date_visibility_restriction", "2039-01-01"),
        ("content_date", "02/11/2026"),
    ],
)
def test_dates(field: str, value: str) -> None:
    rec = _valid()
    rec[field] = value
    assert field in _fields(validate_record(rec))


def test_puid_characters() -> None:
    rec = _valid()
    rec["puid"] = "case 1/decision"
    assert "puid" in _fields(validate_record(rec))


def test_batches_of_at_most_100() -> None:
    recs = [dict(_valid(), puid=f"p{i}") for i in range(250)]
    out = batches(recs)
    assert [len(b["statements"]) for b in out] == [MAX_PER_BATCH, MAX_PER_BATCH, 50]
    assert [s["puid"] for b in out for s in b["statements"]] == [f"p{i}" for i in range(250)]
    assert batches([]) == []


def test_human_statement_has_article_17_elements() -> None:
    f = _facts("DM-2", ActionType.REMOVE)
    text = human_statement(
        f,
        outcome=Outcome.REMOVE,
        case_number="C-2026-000001",
        decided_on=dt.date(2026, 11, 3),
        rule=f.rule,
        policy=DEFAULT_POLICY,
        explanation=f.explanation,
        automated_detection=False,
        automated_decision=False,
        appeal_until=dt.date(2027, 5, 5),
        notice_based=True,
    )
    for element in (
        "Restriction:",
        "Scope:",
        "Duration:",
        "Facts:",
        "Automated means:",
        "Ground:",
        "Internal complaint",
        "Out-of-court",
        "Court:",
        DEFAULT_POLICY.version,
        "2027-05-05",
    ):
        assert element in text


# --- issue 15, finding 8: phone numbers and third parties' names -----------------------

KNOWN = ["Ana Candidata", "ana@campaign.example", "A. Candidata", "Jonas Rose"]


@pytest.mark.parametrize(
    "phone",
    [
        "+49 30 1234 5678",
        "+49 (0)30 123456",
        "+1 (202) 555-0143",
        "+1 202-555-0143",
        "202-555-0143",
        "(202) 555-0143",
        "555.123.4567",
        "+44 20 7946 0958",
        "0044 20 7946 0958",
        "+33 6 12 34 56 78",
        "06 12 34 56 78",
        "030/1234567",
        "030-1234567",
        "+4915112345678",
    ],
)
def test_phone_numbers_are_removed(phone: str) -> None:
    text = f"The uploader can be reached on {phone}, she said."
    out = scrub_personal_data(text)
    assert out == "The uploader can be reached on [phone removed], she said.", out


def test_what_is_not_a_phone_number_stays() -> None:
    text = (
        "Posted 2026-11-03 09:00 and again 03.11.2026 at 14:30; case C-2026-000123; "
        "1 500 000 views and 1,500,000 shares; sha256 ab12cd34ef5678901234567890ab; rule "
        "DM-1 (Art. 20(6)); 12.5% of viewers; seen from 192.168.100.200; policy version "
        "2026-01-15; frames 1200-1450 of 90000; between 2020 and 2024."
    )
    assert scrub_personal_data(text, KNOWN) == text


def test_reporters_and_third_parties_are_removed_from_a_realistic_explanation() -> None:
    text = (
        "Reported by Ana Candidata (ana@campaign.example, +49 30 1234 5678). Ms Candidata "
        "says the clip clones her voice; according to Dr. Hans Müller of the station the "
        "audio was spliced, and Jane Roe told us the original was recorded on 2026-10-30. "
        "The account also posted her colleague's number, 0171 2345678."
    )
    out = scrub_personal_data(text, KNOWN)
    for leaked in (
        "Ana",
        "Candidata",
        "ana@",
        "1234 5678",
        "Müller",
        "Hans",
        "Jane Roe",
        "2345678",
    ):
        assert leaked not in out, (leaked, out)
    assert "2026-10-30" in out and "spliced" in out and "clones her voice" in out
    assert out.count("[name removed]") >= 4 and out.count("[phone removed]") == 2


def test_ordinary_words_that_happen_to_be_names_stay_in_lower_case() -> None:
    # the reporter is called Jonas Rose: the name goes, the flower stays
    out = scrub_personal_data("Jonas said Rose was right; a rose is a rose.", KNOWN)
    assert out == "[name removed] said [name removed] was right; a rose is a rose."


def test_organisations_and_the_subject_as_a_role_stay() -> None:
    text = (
        "The Candidate said nothing. Election Office confirmed the date. "
        "We called the Press Office."
    )
    assert scrub_personal_data(text) == text


def test_a_label_says_which_rule_and_no_more() -> None:
    """A label on false voting information must not call the content AI-generated: the
    statement and the words a platform shows name the rule the reviewers applied."""
    f = _facts("DM-2", ActionType.LABEL)
    text = human_statement(
        f,
        outcome=Outcome.LABEL,
        case_number="C-2026-000001",
        decided_on=dt.date(2026, 11, 3),
        rule=f.rule,
        policy=DEFAULT_POLICY,
        explanation="The polling place named in the picture is wrong.",
        automated_detection=False,
        automated_decision=False,
        appeal_until=dt.date(2027, 5, 5),
        notice_based=True,
    )
    restriction = next(line for line in text.splitlines() if line.startswith("Restriction:"))
    assert "label naming the rule" in restriction
    words = label_text(f.rule, DEFAULT_POLICY, "C-2026-000001")
    for claim in (restriction, words):
        assert not any(w in claim for w in ("AI", "generated", "deepfake", "synthetic")), claim
    assert "\u201cFalse information about when, where or how to vote\u201d (DM-2" in words
    assert DEFAULT_POLICY.url in words and "C-2026-000001" in words
    # where the rule's own title says synthetic, the label quotes it as the rule's name
    dm1 = label_text(DEFAULT_POLICY.rule("DM-1"), DEFAULT_POLICY, "C-1")
    assert "rule \u201cDeceptive synthetic media of candidates and officials\u201d" in dm1
