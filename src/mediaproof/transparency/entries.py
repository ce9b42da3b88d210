"""Log entries: small canonical JSON (RFC 8785) events, with no personal data, ever.

A public log cannot forget, so entries carry only opaque identifiers (people, cases,
assets) and digests (material, statements of reasons, templates), never names, e-mail
addresses, phone numbers or free text. :func:`validate` enforces this with a closed
schema per entry type: unknown fields, free-form strings and anything that looks like
an e-mail address or a phone number are refused.

Every entry has ``v`` (schema version), ``type`` and ``time`` (when the log operator
logged it, UTC, to the second). Use the typed constructors; services call them.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import rfc8785

from mediaproof.transparency.errors import EntryError
from mediaproof.transparency.merkle import leaf_hash
from mediaproof.transparency.tiles import MAX_ENTRY_SIZE

SCHEMA_VERSION = 1

_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,127}")
_SHA256 = re.compile(r"[0-9a-f]{64}")
_HEXDIGEST = re.compile(r"[0-9a-f]{8,1024}")
_ALG = re.compile(r"[a-z0-9][a-z0-9_.-]{0,31}")
_TIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z")
_EMAIL = re.compile(r"[^\s@]+@[^\s@]+\.[^\s@]+")
_PHONE = re.compile(r"\+?[0-9][0-9 ().-]{6,}")

Check = Callable[[str, Any], None]


def _fail(field: str, why: str) -> None:
    raise EntryError(f"entry field {field!r}: {why}")


def _string(field: str, value: Any) -> str:
    if not isinstance(value, str):
        _fail(field, "must be a string")
    # Any "@" is refused outright: cheaper than a full e-mail pattern and stricter.
    if "@" in value or _EMAIL.search(value):
        _fail(field, "looks like an e-mail address; use an opaque ID")
    return str(value)


def _id(field: str, value: Any) -> None:
    s = _string(field, value)
    if not _ID.fullmatch(s):
        _fail(field, "must be an opaque ID (letters, digits, . _ : -; at most 128)")
    if _PHONE.fullmatch(s):
        _fail(field, "looks like a phone number; use an opaque ID")


def _sha256(field: str, value: Any) -> None:
    if not _SHA256.fullmatch(_string(field, value)):
        _fail(field, "must be a lowercase hex SHA-256 digest")


def _time(field: str, value: Any) -> None:
    s = _string(field, value)
    if not _TIME.fullmatch(s):
        _fail(field, "must be UTC time like 2026-01-31T12:00:00Z")
    try:
        dt.datetime.fromisoformat(s[:-1])
    except ValueError:
        _fail(field, "is not a valid time")


def _digests(field: str, value: Any) -> None:
    if not isinstance(value, dict) or not value or len(value) > 16:
        _fail(field, "must map 1-16 algorithm names to hex digests")
    for alg, digest in value.items():
        if not isinstance(alg, str) or not _ALG.fullmatch(alg):
            _fail(field, f"bad algorithm name {alg!r}")
        if not _HEXDIGEST.fullmatch(_string(f"{field}.{alg}", digest)):
            _fail(f"{field}.{alg}", "must be a lowercase hex digest")


def _ids(field: str, value: Any) -> None:
    if not isinstance(value, list) or not value or len(value) > 16:
        _fail(field, "must be a list of 1-16 opaque IDs")
    for i, item in enumerate(value):
        _id(f"{field}[{i}]", item)


def _enum(*allowed: str) -> Check:
    def check(field: str, value: Any) -> None:
        if value not in allowed:
            _fail(field, f"must be one of {', '.join(allowed)}")

    return check


SCREEN_DECISIONS = ("block", "review", "hold", "ban", "ban_lifted")

# type -> {field: (check, required)}; common fields v/type/time are added below.
_SCHEMAS: dict[str, dict[str, tuple[Check, bool]]] = {
    "asset.registered": {
        "asset_id": (_id, True),
        "content_sha256": (_sha256, True),
        "fingerprints": (_digests, False),
        "signer": (_id, True),
        "manifest_sha256": (_sha256, False),
    },
    "asset.withdrawn": {
        "asset_id": (_id, True),
        "content_sha256": (_sha256, True),
    },
    "decision.made": {
        "case_id": (_id, True),
        "decision": (_enum("label", "remove", "restrict", "no_action"), True),
        "policy": (_id, True),
        "reasons_sha256": (_sha256, True),
        "automated": (_enum("fully", "partially", "not"), True),
        "content_sha256": (_sha256, False),
        "reviewer": (_id, False),
        # the case workflow's fields: two-reviewer status, the policy rule, the SoR's puid
        "status": (_enum("proposed", "final", "rejected"), False),
        "rule": (_id, False),
        "sor": (_id, False),
    },
    "appeal.filed": {
        "appeal_id": (_id, True),
        "case_id": (_id, True),
        "party": (_enum("uploader", "reporter"), False),
        "decision_id": (_id, False),
    },
    "appeal.decided": {
        "appeal_id": (_id, True),
        "case_id": (_id, True),
        "outcome": (_enum("upheld", "reversed", "modified"), True),
        "reasons_sha256": (_sha256, True),
        "decision_id": (_id, False),
        "policy": (_id, False),
        "sor": (_id, False),
    },
    "notice.received": {
        "notice_id": (_id, True),
        "case_id": (_id, False),
        "content_sha256": (_sha256, False),
        "source": (
            _enum(
                "public",
                "subject",
                "trusted_flagger",
                "authority",
                "platform",
                "notice",
                "verified_candidate",
                "automated",
            ),
            True,
        ),
        "category": (
            _enum(
                "deepfake_of_candidate",
                "false_voting_information",
                "impersonation",
                "non_consensual_intimate_deepfake",
                "other",
            ),
            False,
        ),
    },
    "notice.withdrawn": {
        "notice_id": (_id, True),
        "case_id": (_id, True),
    },
    "action.taken": {
        "action_id": (_id, True),
        "case_id": (_id, True),
        "action": (_enum("label", "remove", "restrict", "restore"), True),
        "content_sha256": (_sha256, False),
    },
    "subject.enrolled": {
        "subject_id": (_id, True),
        "modality": (_enum("face", "voice"), True),
        "template_sha256": (_sha256, True),
        "consent_sha256": (_sha256, False),
        # the whole enrolment's digest (likeness.models.Enrolment.digest)
        "enrolment_sha256": (_sha256, False),
    },
    "subject.withdrawn": {
        "subject_id": (_id, True),
        "enrolment_sha256": (_sha256, False),
    },
    # consent to synthetic use of a likeness (docs/screening.md): the record's digest,
    # the signed document's digest, opaque ids for the person and the tool maker
    "consent.granted": {
        "consent_id": (_id, True),
        "subject_id": (_id, True),
        "grantee": (_id, True),
        "record_sha256": (_sha256, True),
        "evidence_sha256": (_sha256, True),
        "valid_until": (_time, True),
    },
    "consent.revoked": {
        "consent_id": (_id, True),
        "record_sha256": (_sha256, True),
    },
    # a screening decision that is not "allow" (docs/screening.md): a prompt blocked or
    # sent to review, an output held, a user banned or the ban lifted. No prompt text, no
    # person, no user reference: keyed hashes (HMAC-SHA256 under keys derived from the
    # instance secret) of the prompt or of the output file's digest and of the tool's
    # pseudonymous user reference; the tool is its account name
    "screen.decided": {
        "tool": (_id, True),
        "decision": (_enum(*SCREEN_DECISIONS), True),
        "policy": (_id, False),
        "rules": (_ids, False),
        "input": (_enum("prompt", "output"), False),
        "input_hmac": (_sha256, False),
        "user_hmac": (_sha256, False),
        "event_id": (_id, False),
        "ban_id": (_id, False),
    },
    "alibi.recorded": {
        "content_sha256": (_sha256, True),
        "claimant": (_id, False),
    },
}

ENTRY_TYPES = tuple(sorted(_SCHEMAS))


def validate(data: Mapping[str, Any]) -> None:
    """Raise :class:`EntryError` unless ``data`` is a well-formed entry of a known type."""
    if not isinstance(data, Mapping):
        raise EntryError("an entry must be a JSON object")
    etype = data.get("type")
    schema = _SCHEMAS.get(etype) if isinstance(etype, str) else None
    if schema is None:
        raise EntryError(f"unknown entry type {etype!r}", hint=", ".join(ENTRY_TYPES))
    if data.get("v") != SCHEMA_VERSION or isinstance(data.get("v"), bool):
        raise EntryError(f"entry field 'v' must be {SCHEMA_VERSION}")
    if "time" not in data:
        raise EntryError("entry field 'time' is required")
    _time("time", data["time"])
    for key in data:
        if key not in schema and key not in ("v", "type", "time"):
            raise EntryError(f"unknown field {key!r} in a {etype} entry")
    for key, (check, required) in schema.items():
        if key in data:
            check(key, data[key])
        elif required:
            raise EntryError(f"entry field {key!r} is required in a {etype} entry")


@dataclass(frozen=True)
class Entry:
    """A validated entry and its canonical bytes (what the log hashes and serves)."""

    data: Mapping[str, Any]
    canonical: bytes

    @property
    def type(self) -> str:
        return str(self.data["type"])

    @property
    def leaf_hash(self) -> bytes:
        return leaf_hash(self.canonical)

    @classmethod
    def from_data(cls, data: Mapping[str, Any]) -> Entry:
        validate(data)
        canonical = rfc8785.dumps(dict(data))
        if len(canonical) > MAX_ENTRY_SIZE:
            raise EntryError("entry larger than 64 KiB")
        return cls(dict(data), canonical)

    @classmethod
    def parse(cls, raw: bytes) -> Entry:
        """Parse stored or received bytes; they must already be canonical.

        Raises only :class:`EntryError` (fuzzed: tests/fuzz/targets.py)."""
        if len(raw) > MAX_ENTRY_SIZE:
            raise EntryError("entry larger than 64 KiB")
        try:
            data = json.loads(raw)
        except (ValueError, UnicodeDecodeError) as e:
            raise EntryError("entry is not JSON") from e
        except RecursionError as e:  # "[[[[…": found by the fuzzer
            raise EntryError("entry is not JSON (nested too deeply)") from e
        entry = cls.from_data(data)
        if entry.canonical != raw:
            raise EntryError("entry is not in canonical (RFC 8785) form")
        return entry


def now() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _make(etype: str, time: str | None, **fields: Any) -> Entry:
    data: dict[str, Any] = {"v": SCHEMA_VERSION, "type": etype, "time": time or now()}
    data.update({k: v for k, v in fields.items() if v is not None})
    return Entry.from_data(data)


def asset_registered(
    *,
    asset_id: str,
    content_sha256: str,
    signer: str,
    fingerprints: Mapping[str, str] | None = None,
    manifest_sha256: str | None = None,
    time: str | None = None,
) -> Entry:
    fps = dict(fingerprints) if fingerprints else None
    return _make(
        "asset.registered",
        time,
        asset_id=asset_id,
        content_sha256=content_sha256,
        signer=signer,
        fingerprints=fps,
        manifest_sha256=manifest_sha256,
    )


def asset_withdrawn(*, asset_id: str, content_sha256: str, time: str | None = None) -> Entry:
    return _make("asset.withdrawn", time, asset_id=asset_id, content_sha256=content_sha256)


def decision_made(
    *,
    case_id: str,
    decision: str,
    policy: str,
    reasons_sha256: str,
    automated: str,
    content_sha256: str | None = None,
    reviewer: str | None = None,
    time: str | None = None,
) -> Entry:
    return _make(
        "decision.made",
        time,
        case_id=case_id,
        decision=decision,
        policy=policy,
        reasons_sha256=reasons_sha256,
        automated=automated,
        content_sha256=content_sha256,
        reviewer=reviewer,
    )


def appeal_filed(*, appeal_id: str, case_id: str, time: str | None = None) -> Entry:
    return _make("appeal.filed", time, appeal_id=appeal_id, case_id=case_id)


def appeal_decided(
    *, appeal_id: str, case_id: str, outcome: str, reasons_sha256: str, time: str | None = None
) -> Entry:
    return _make(
        "appeal.decided",
        time,
        appeal_id=appeal_id,
        case_id=case_id,
        outcome=outcome,
        reasons_sha256=reasons_sha256,
    )


def notice_received(
    *,
    notice_id: str,
    source: str,
    case_id: str | None = None,
    content_sha256: str | None = None,
    time: str | None = None,
) -> Entry:
    return _make(
        "notice.received",
        time,
        notice_id=notice_id,
        source=source,
        case_id=case_id,
        content_sha256=content_sha256,
    )


def notice_withdrawn(*, notice_id: str, case_id: str, time: str | None = None) -> Entry:
    return _make("notice.withdrawn", time, notice_id=notice_id, case_id=case_id)


def action_taken(
    *,
    action_id: str,
    case_id: str,
    action: str,
    content_sha256: str | None = None,
    time: str | None = None,
) -> Entry:
    return _make(
        "action.taken",
        time,
        action_id=action_id,
        case_id=case_id,
        action=action,
        content_sha256=content_sha256,
    )


def subject_enrolled(
    *,
    subject_id: str,
    modality: str,
    template_sha256: str,
    consent_sha256: str | None = None,
    enrolment_sha256: str | None = None,
    time: str | None = None,
) -> Entry:
    return _make(
        "subject.enrolled",
        time,
        subject_id=subject_id,
        modality=modality,
        template_sha256=template_sha256,
        consent_sha256=consent_sha256,
        enrolment_sha256=enrolment_sha256,
    )


def subject_withdrawn(
    *, subject_id: str, enrolment_sha256: str | None = None, time: str | None = None
) -> Entry:
    return _make(
        "subject.withdrawn", time, subject_id=subject_id, enrolment_sha256=enrolment_sha256
    )


def alibi_recorded(
    *, content_sha256: str, claimant: str | None = None, time: str | None = None
) -> Entry:
    return _make("alibi.recorded", time, content_sha256=content_sha256, claimant=claimant)


def consent_granted(
    *,
    consent_id: str,
    subject_id: str,
    grantee: str,
    record_sha256: str,
    evidence_sha256: str,
    valid_until: str,
    time: str | None = None,
) -> Entry:
    return _make(
        "consent.granted",
        time,
        consent_id=consent_id,
        subject_id=subject_id,
        grantee=grantee,
        record_sha256=record_sha256,
        evidence_sha256=evidence_sha256,
        valid_until=valid_until,
    )


def consent_revoked(*, consent_id: str, record_sha256: str, time: str | None = None) -> Entry:
    return _make("consent.revoked", time, consent_id=consent_id, record_sha256=record_sha256)


def screen_decided(
    *,
    tool: str,
    decision: str,
    policy: str | None = None,
    rules: list[str] | None = None,
    input: str | None = None,
    input_hmac: str | None = None,
    user_hmac: str | None = None,
    event_id: str | None = None,
    ban_id: str | None = None,
    time: str | None = None,
) -> Entry:
    return _make(
        "screen.decided",
        time,
        tool=tool,
        decision=decision,
        policy=policy,
        rules=rules or None,
        input=input,
        input_hmac=input_hmac,
        user_hmac=user_hmac,
        event_id=event_id,
        ban_id=ban_id,
    )
