"""Consent records: a person enrolled for likeness protection (or their authorised agent)
lets one tool maker use their face and/or voice synthetically.

A record names the grantee (a ``toolmaker`` account), the modalities, the permitted and
prohibited uses, the territory, when it is valid (an end date is required), the digest
of the signed document that is the evidence, and how it was signed. It can be revoked at
any time; a revoked or expired record no longer counts for output screening.

Each grant and each revocation is a leaf in the transparency log (``consent.granted``,
``consent.revoked``), staged in the transaction that writes the record, so the log hears
of every record that committed. A leaf holds opaque ids and digests only: the person is
``likeness:<enrolment id>``, the tool ``account:<id>``, the record its SHA-256; never a
name, a use or a territory.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import rfc8785

from mediaproof.accounts.models import Role
from mediaproof.errors import ConflictError, NotFoundError, UsageError
from mediaproof.services.instance import Instance
from mediaproof.services.transparency import land_staged, stage_entry
from mediaproof.storage.sql.account_repos import UserRepository
from mediaproof.storage.sql.repos_consent import ConsentRepository
from mediaproof.storage.sql.repos_log_outbox import LogOutboxRepository
from mediaproof.storage.sql.times import aware
from mediaproof.transparency import entries
from mediaproof.transparency.entries import Entry

if TYPE_CHECKING:
    from mediaproof.storage.sql.tables_screening import ConsentRow

MODALITIES = ("face", "voice")
SIGNED_HOW = ("handwritten", "electronic", "qualified_electronic", "recorded_verbal")
GRANTED_BY = ("subject", "agent")
WORLDWIDE = "worldwide"
# A use is a short slug the operator and the tool maker agree on (docs/screening.md
# suggests a vocabulary); "any" in the permitted uses covers every use not prohibited.
ANY_USE = "any"
USE = re.compile(r"^[a-z][a-z0-9_-]{1,39}$")
TERRITORY = re.compile(r"^[A-Z]{2}$")  # ISO 3166-1 alpha-2
SHA256 = re.compile(r"^[0-9a-f]{64}$")
MAX_LIST = 20


@dataclass(frozen=True)
class Consent:
    id: str  # the public id, "consent-<hex>"
    enrolment_id: str
    grantee: str  # the toolmaker account's username
    grantee_id: int
    modalities: list[str]
    permitted_uses: list[str]
    prohibited_uses: list[str]
    territory: list[str]
    valid_from: dt.datetime
    valid_until: dt.datetime
    evidence_sha256: str
    signed_how: str
    granted_by: str
    record_sha256: str
    recorded_by: str
    created_at: dt.datetime
    revoked_at: dt.datetime | None
    revoked_by: str | None

    def status(self, at: dt.datetime | None = None) -> str:
        """valid | revoked | expired | not_yet_valid"""
        at = at or _now()
        if self.revoked_at is not None and self.revoked_at <= at:
            return "revoked"
        if at >= self.valid_until:
            return "expired"
        if at < self.valid_from:
            return "not_yet_valid"
        return "valid"

    def covers(self, modality: str, use: str, territory: str | None) -> str | None:
        """None when this record covers the use; otherwise why not (a reason code)."""
        if modality not in self.modalities:
            return "modality_not_covered"
        if use in self.prohibited_uses:
            return "use_prohibited"
        if use not in self.permitted_uses and ANY_USE not in self.permitted_uses:
            return "use_not_permitted"
        if WORLDWIDE not in self.territory:
            # a record limited to some countries covers only a use said to be in them
            if territory is None:
                return "territory_not_stated"
            if territory not in self.territory:
                return "territory_not_covered"
        return None

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "enrolment_id": self.enrolment_id,
            "grantee": self.grantee,
            "modalities": self.modalities,
            "permitted_uses": self.permitted_uses,
            "prohibited_uses": self.prohibited_uses,
            "territory": self.territory,
            "valid_from": self.valid_from.isoformat(),
            "valid_until": self.valid_until.isoformat(),
            "evidence_sha256": self.evidence_sha256,
            "signed_how": self.signed_how,
            "granted_by": self.granted_by,
            "record_sha256": self.record_sha256,
            "recorded_by": self.recorded_by,
            "created_at": self.created_at.isoformat(),
            "revoked_at": self.revoked_at.isoformat() if self.revoked_at else None,
            "revoked_by": self.revoked_by,
            "status": self.status(),
        }


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _log_time(t: dt.datetime) -> str:
    return aware(t).astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_time(value: str, *, end_of_day: bool) -> dt.datetime:
    """An ISO date (``2027-06-30``: the start or the end of that day, UTC) or an ISO
    date-time with an offset."""
    value = value.strip()
    try:
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
            day = dt.date.fromisoformat(value)
            t = dt.datetime.combine(day, dt.time(23, 59, 59) if end_of_day else dt.time())
            return t.replace(tzinfo=dt.UTC)
        t = dt.datetime.fromisoformat(value)
        if t.tzinfo is None:
            raise UsageError(f"{value!r} has no time zone", hint="add Z or an offset like +01:00")
        return t.astimezone(dt.UTC).replace(microsecond=0)
    except (ValueError, OverflowError) as e:  # year 1 at +01:00 is before year 1 in UTC
        raise UsageError(f"{value!r} is not a date (YYYY-MM-DD) or an ISO date-time") from e


def _slugs(values: Sequence[str], what: str) -> list[str]:
    out: list[str] = []
    for v in values:
        v = v.strip().lower()
        if not USE.match(v):
            raise UsageError(
                f"{what}: {v!r} is not a use slug (2-40 of a-z 0-9 _ -, starting with a letter)"
            )
        if v not in out:
            out.append(v)
    if len(out) > MAX_LIST:
        raise UsageError(f"{what}: at most {MAX_LIST}")
    return out


def _territory(values: Sequence[str]) -> list[str]:
    out: list[str] = []
    for v in values:
        v = v.strip()
        code = WORLDWIDE if v.lower() == WORLDWIDE else v.upper()
        if code != WORLDWIDE and not TERRITORY.match(code):
            raise UsageError(
                f"territory {v!r}: use ISO 3166-1 alpha-2 country codes (DE, FR) or worldwide"
            )
        if code not in out:
            out.append(code)
    if not out:
        raise UsageError("a territory is required (country codes, or worldwide)")
    if WORLDWIDE in out and len(out) > 1:
        raise UsageError("worldwide already covers every country; give one or the other")
    if len(out) > 60:
        raise UsageError("at most 60 countries")
    return out


def record_digest(fields: dict[str, Any]) -> str:
    """SHA-256 of the record's canonical JSON (RFC 8785): what the log commits to."""
    return hashlib.sha256(rfc8785.dumps(fields)).hexdigest()


def _grantee(inst: Instance, username: str) -> tuple[int, str]:
    with inst.db.session() as s:
        found = UserRepository(s).by_username(username)
    if found is None:
        raise NotFoundError(f"no account named {username!r}")
    user = found[0]
    if user.role is not Role.TOOLMAKER:
        raise UsageError(
            f"{username!r} is not a tool maker's account",
            hint="consent is granted to a toolmaker account (admin create-user NAME "
            "--role toolmaker)",
        )
    if not user.active:
        raise UsageError(f"the account {username!r} is disabled")
    return user.id, user.username


def _check_enrolled(inst: Instance, enrolment_id: str, modalities: Sequence[str]) -> None:
    """The person must be enrolled here, for each modality the record grants."""
    from mediaproof.services import likeness

    if not likeness.has_likeness_data(inst):
        raise NotFoundError("nobody is enrolled for likeness protection on this instance")
    store = likeness.open_store(inst)
    try:
        enrolment = store.get_enrolment(enrolment_id)
    finally:
        store.close()
    from mediaproof.likeness.models import Modality

    for m in modalities:
        if not enrolment.vectors(Modality(m)):
            raise UsageError(
                f"enrolment {enrolment_id} has no {m} samples",
                hint="a consent record covers the modalities the person is enrolled with",
            )


def _consent(row: ConsentRow, grantee: str) -> Consent:
    return Consent(
        id=row.public_id,
        enrolment_id=row.enrolment_id,
        grantee=grantee,
        grantee_id=row.grantee_id,
        modalities=json.loads(row.modalities),
        permitted_uses=json.loads(row.permitted_uses),
        prohibited_uses=json.loads(row.prohibited_uses),
        territory=json.loads(row.territory),
        valid_from=aware(row.valid_from),
        valid_until=aware(row.valid_until),
        evidence_sha256=row.evidence_sha256,
        signed_how=row.signed_how,
        granted_by=row.granted_by,
        record_sha256=row.record_sha256,
        recorded_by=row.recorded_by,
        created_at=aware(row.created_at),
        revoked_at=aware(row.revoked_at) if row.revoked_at else None,
        revoked_by=row.revoked_by,
    )


def _usernames(inst: Instance, ids: set[int]) -> dict[int, str]:
    with inst.db.session() as s:
        repo = UserRepository(s)
        found = {i: repo.get(i) for i in ids}
        return {i: u.username for i, u in found.items() if u is not None}


def log_index(inst: Instance, entry: Entry) -> int | None:
    """Where a staged entry landed in the log (None while it waits)."""
    with inst.db.session() as s:
        return LogOutboxRepository(s).log_index_by_body(entry.canonical)


@dataclass(frozen=True)
class Logged:
    consent: Consent
    entry: Entry
    log_index: int | None  # None: the log was unavailable; the entry stays staged

    def to_json(self) -> dict[str, Any]:
        return {
            "consent": self.consent.to_json(),
            "log": {"type": self.entry.type, "index": self.log_index},
        }


def grant(
    inst: Instance,
    *,
    enrolment_id: str,
    grantee: str,
    modalities: Sequence[str],
    permitted_uses: Sequence[str],
    prohibited_uses: Sequence[str] = (),
    territory: Sequence[str],
    valid_until: dt.datetime,
    evidence_sha256: str,
    signed_how: str,
    granted_by: str = "subject",
    valid_from: dt.datetime | None = None,
    recorded_by: str,
) -> Logged:
    """Record a grant and stage its log leaf in the same transaction."""
    mods = sorted({m.strip().lower() for m in modalities})
    if not mods or any(m not in MODALITIES for m in mods):
        raise UsageError("modalities: face and/or voice")
    permitted = _slugs(permitted_uses, "permitted uses")
    if not permitted:
        raise UsageError("at least one permitted use is required (or 'any')")
    prohibited = _slugs(prohibited_uses, "prohibited uses")
    if ANY_USE in prohibited:
        raise UsageError("'any' cannot be prohibited; a record that permits nothing is no grant")
    if set(permitted) & set(prohibited):
        raise UsageError("a use cannot be both permitted and prohibited")
    terr = _territory(territory)
    evidence = evidence_sha256.strip().lower()
    if not SHA256.match(evidence):
        raise UsageError("the evidence is the SHA-256 (64 hex digits) of the signed document")
    if signed_how not in SIGNED_HOW:
        raise UsageError("signed_how: one of " + ", ".join(SIGNED_HOW))
    if granted_by not in GRANTED_BY:
        raise UsageError("granted_by: subject (the person) or agent (their authorised agent)")
    now = _now().replace(microsecond=0)
    start = (valid_from or now).astimezone(dt.UTC).replace(microsecond=0)
    until = valid_until.astimezone(dt.UTC).replace(microsecond=0)
    if until <= now:
        raise UsageError("the end date is in the past: such a record would never be valid")
    if until <= start:
        raise UsageError("the end date must be after the start")
    grantee_id, grantee_name = _grantee(inst, grantee)
    _check_enrolled(inst, enrolment_id, mods)
    public_id = "consent-" + secrets.token_hex(8)
    fields = {
        "id": public_id,
        "subject": f"likeness:{enrolment_id}",
        "grantee": f"account:{grantee_id}",
        "modalities": mods,
        "permitted_uses": permitted,
        "prohibited_uses": prohibited,
        "territory": terr,
        "valid_from": _log_time(start),
        "valid_until": _log_time(until),
        "evidence_sha256": evidence,
        "signed_how": signed_how,
        "granted_by": granted_by,
    }
    digest = record_digest(fields)
    entry = entries.consent_granted(
        consent_id=public_id,
        subject_id=f"likeness:{enrolment_id}",
        grantee=f"account:{grantee_id}",
        record_sha256=digest,
        evidence_sha256=evidence,
        valid_until=_log_time(until),
        time=_log_time(now),  # the record's created_at: grant_log_index rebuilds the leaf
    )
    with inst.db.session() as s:
        row = ConsentRepository(s).add(
            public_id=public_id,
            enrolment_id=enrolment_id,
            grantee_id=grantee_id,
            modalities=json.dumps(mods),
            permitted_uses=json.dumps(permitted),
            prohibited_uses=json.dumps(prohibited),
            territory=json.dumps(terr),
            valid_from=start,
            valid_until=until,
            evidence_sha256=evidence,
            signed_how=signed_how,
            granted_by=granted_by,
            record_sha256=digest,
            recorded_by=recorded_by[:100],
            created_at=now,
        )
        stage_entry(s, entry)  # the record and its leaf commit together
        s.flush()
        consent = _consent(row, grantee_name)
    land_staged(inst)  # a log that cannot be written now keeps the leaf staged
    return Logged(consent, entry, log_index(inst, entry))


def get(inst: Instance, consent_id: str) -> Consent:
    with inst.db.session() as s:
        row = ConsentRepository(s).by_public_id(consent_id)
        if row is None:
            raise NotFoundError(f"no consent record {consent_id}")
        grantee_id = row.grantee_id
        names = _usernames(inst, {grantee_id})
        return _consent(row, names.get(grantee_id, f"account:{grantee_id}"))


def list_consents(
    inst: Instance, *, grantee: str | None = None, enrolment_id: str | None = None
) -> list[Consent]:
    with inst.db.session() as s:
        grantee_id: int | None = None
        if grantee is not None:
            found = UserRepository(s).by_username(grantee)
            if found is None:
                return []
            grantee_id = found[0].id
        rows = ConsentRepository(s).find(grantee_id=grantee_id, enrolment_id=enrolment_id)
        names = _usernames(inst, {r.grantee_id for r in rows})
        return [_consent(r, names.get(r.grantee_id, f"account:{r.grantee_id}")) for r in rows]


def revoke(inst: Instance, consent_id: str, *, revoked_by: str) -> Logged:
    """Revoke at once; the record stays (marked) and the revocation is a log leaf."""
    now = _now().replace(microsecond=0)
    with inst.db.session() as s:
        row = ConsentRepository(s).by_public_id(consent_id, for_update=True)
        if row is None:
            raise NotFoundError(f"no consent record {consent_id}")
        if row.revoked_at is not None:
            raise ConflictError(f"{consent_id} was revoked already")
        ConsentRepository(s).revoke(row, at=now, by=revoked_by[:100])
        entry = entries.consent_revoked(
            consent_id=row.public_id, record_sha256=row.record_sha256, time=_log_time(now)
        )
        stage_entry(s, entry)
        s.flush()
    land_staged(inst)
    return Logged(get(inst, consent_id), entry, log_index(inst, entry))


def records_for(inst: Instance, grantee_id: int, enrolment_id: str) -> list[Consent]:
    """Every record (valid or not) this tool maker holds for this person."""
    name = _usernames(inst, {grantee_id}).get(grantee_id, f"account:{grantee_id}")
    with inst.db.session() as s:
        rows = ConsentRepository(s).find(grantee_id=grantee_id, enrolment_id=enrolment_id)
        return [_consent(r, name) for r in rows]


@dataclass(frozen=True)
class ConsentCheck:
    status: str  # valid | revoked | expired | not_yet_valid | not_covered | none
    consent: Consent | None  # the valid record, or the most telling invalid one
    why: str | None = None  # for not_covered: the reason code of Consent.covers


def check(
    inst: Instance,
    grantee_id: int,
    enrolment_id: str,
    modality: str,
    use: str,
    territory: str | None,
    at: dt.datetime | None = None,
) -> ConsentCheck:
    """Whether a valid record lets this tool maker make this use of this person's face
    or voice now. When none does, the answer names the nearest miss: a record that would
    cover it but was revoked or has expired, else one that does not cover it."""
    at = at or _now()
    recs = records_for(inst, grantee_id, enrolment_id)
    if not recs:
        return ConsentCheck("none", None)
    lapsed: ConsentCheck | None = None
    uncovered: ConsentCheck | None = None
    for c in reversed(recs):  # newest first
        why = c.covers(modality, use, territory)
        status = c.status(at)
        if why is None and status == "valid":
            return ConsentCheck("valid", c)
        if why is None and lapsed is None:
            lapsed = ConsentCheck(status, c)
        elif why is not None and uncovered is None and status == "valid":
            uncovered = ConsentCheck("not_covered", c, why)
    return lapsed or uncovered or ConsentCheck(recs[-1].status(at), recs[-1])


def grant_log_index(inst: Instance, c: Consent) -> int | None:
    """Where the record's ``consent.granted`` leaf is in the log (None while staged)."""
    enrolment = c.enrolment_id
    entry = entries.consent_granted(
        consent_id=c.id,
        subject_id=f"likeness:{enrolment}",
        grantee=f"account:{c.grantee_id}",
        record_sha256=c.record_sha256,
        evidence_sha256=c.evidence_sha256,
        valid_until=_log_time(c.valid_until),
        time=_log_time(c.created_at),
    )
    return log_index(inst, entry)
