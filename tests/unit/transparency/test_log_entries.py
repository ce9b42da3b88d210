"""Entries: canonical JSON, closed schemas, and no personal data in a permanent public log."""

from __future__ import annotations

import hashlib
from typing import Any

import pytest

from mediaproof.transparency import entries as E
from mediaproof.transparency.errors import EntryError

SHA = hashlib.sha256(b"x").hexdigest()
T = "2026-01-31T12:00:00Z"


def test_asset_registered_is_canonical_json() -> None:
    e = E.asset_registered(
        asset_id="asset-1",
        content_sha256=SHA,
        signer="org:42",
        fingerprints={"pdq": "ab" * 32},
        time=T,
    )
    assert e.canonical == (
        b'{"asset_id":"asset-1","content_sha256":"' + SHA.encode() + b'",'
        b'"fingerprints":{"pdq":"' + b"ab" * 32 + b'"},"signer":"org:42",'
        b'"time":"2026-01-31T12:00:00Z","type":"asset.registered","v":1}'
    )
    assert E.Entry.parse(e.canonical) == e


def test_every_constructor_yields_a_valid_entry() -> None:
    made = [
        E.decision_made(
            case_id="c1",
            decision="label",
            policy="p-2026",
            reasons_sha256=SHA,
            automated="not",
            content_sha256=SHA,
            reviewer="r-7",
        ),
        E.appeal_filed(appeal_id="a1", case_id="c1"),
        E.appeal_decided(appeal_id="a1", case_id="c1", outcome="reversed", reasons_sha256=SHA),
        E.notice_received(notice_id="n1", source="subject", content_sha256=SHA),
        E.subject_enrolled(subject_id="s1", modality="face", template_sha256=SHA),
        E.subject_withdrawn(subject_id="s1"),
        E.alibi_recorded(content_sha256=SHA, claimant="p-1"),
        E.notice_withdrawn(notice_id="n1", case_id="c1"),
        E.action_taken(action_id="x1", case_id="c1", action="restore", content_sha256=SHA),
        E.asset_withdrawn(asset_id="asset-1", content_sha256=SHA),
        E.consent_granted(
            consent_id="consent-1",
            subject_id="likeness:e1",
            grantee="account:3",
            record_sha256=SHA,
            evidence_sha256=SHA,
            valid_until="2027-06-30T23:59:59Z",
        ),
        E.consent_revoked(consent_id="consent-1", record_sha256=SHA),
        E.screen_decided(
            tool="toolmaker",
            decision="block",
            policy="policy:screen-2026-12-06.1",
            rules=["person.name", "scenario.arrest"],
            input="prompt",
            input_hmac=SHA,
            user_hmac=SHA,
            event_id="screen-event-1",
        ),
    ]
    assert sorted({e.type for e in made} | {"asset.registered"}) == list(E.ENTRY_TYPES)
    for e in made:
        assert E.Entry.parse(e.canonical).data == e.data


def _base(**kw: Any) -> dict[str, Any]:
    d: dict[str, Any] = {
        "v": 1,
        "type": "appeal.filed",
        "time": T,
        "appeal_id": "a1",
        "case_id": "c1",
    }
    d.update(kw)
    return d


@pytest.mark.parametrize(
    "data",
    [
        _base(case_id="jane.doe@example.org"),  # e-mail
        _base(case_id="jane@localhost"),  # any @
        _base(case_id="+1 (555) 010-9999"),  # phone number
        _base(case_id="+15550109999"),
        _base(case_id="Jane Doe"),  # free text / spaces
        _base(reason="she lied"),  # unknown field
        _base(note="x"),
        _base(v=2),
        _base(v=True),
        _base(type="user.created"),
        _base(time="2026-01-31 12:00:00"),
        _base(time="2026-02-30T12:00:00Z"),
        {k: v for k, v in _base().items() if k != "case_id"},  # missing required
        {k: v for k, v in _base().items() if k != "time"},
        _base(case_id=7),
        {
            "v": 1,
            "type": "asset.registered",
            "time": T,
            "asset_id": "a",
            "content_sha256": SHA,
            "signer": "s",
            "fingerprints": {},
        },
    ],
)
def test_invalid_or_personal_entries_are_refused(data: dict[str, Any]) -> None:
    with pytest.raises(EntryError):
        E.Entry.from_data(data)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"content_sha256": SHA.upper()},
        {"content_sha256": SHA[:-1]},
        {"fingerprints": {"pdq": "someone@example.org"}},
        {"fingerprints": {"PDQ": "ab" * 32}},
        {"signer": "ceo@example.org"},
    ],
)
def test_asset_fields_are_checked(kwargs: dict[str, Any]) -> None:
    args: dict[str, Any] = {"asset_id": "a", "content_sha256": SHA, "signer": "s", "time": T}
    args.update(kwargs)
    with pytest.raises(EntryError):
        E.asset_registered(**args)


def test_non_canonical_bytes_are_refused() -> None:
    e = E.appeal_filed(appeal_id="a1", case_id="c1", time=T)
    spaced = e.canonical.replace(b",", b", ")
    with pytest.raises(EntryError, match="canonical"):
        E.Entry.parse(spaced)
    with pytest.raises(EntryError):
        E.Entry.parse(b"not json")
