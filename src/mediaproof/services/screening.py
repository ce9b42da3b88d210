"""Prompt screening on an instance: the protected people it knows, the seed examples,
and the record of blocks and reviews.

Protected people are the operator's officials list (``screen_officials``) plus the
people enrolled for likeness protection (their names, read through the likeness store).
Seeds are the built-in examples plus the operator's (``screen_seeds``): a seed added is
used by the next screening, in this process and in any other, without retraining.

Each block or review is recorded per tool (the calling account) and the tool's
pseudonymous user reference, with a keyed hash (HMAC-SHA256 under a key derived from the
instance secret) of the prompt; the prompt's text is kept only where the operator opted
in (``MEDIAPROOF_SCREEN_KEEP_PROMPT_TEXT``). Allowed prompts leave no row.

Each recorded decision, each ban and each lifted ban is also a ``screen.decided`` leaf of
the transparency log, *staged* (the ``log_outbox``) in the transaction that writes its
row, never written inline: screening does not wait for the log's lock or fsync. The leaf
holds no prompt text, no person and no user reference, only the keyed hashes; staged
leaves land with the next log write, at start-up, or (API) after the answer is sent.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import re
import threading
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from mediaproof.display_text import check_display_text
from mediaproof.errors import NotFoundError, UsageError
from mediaproof.screening import POLICY_VERSION, embed
from mediaproof.screening.engine import ALLOW, BLOCK, MAX_PROMPT_CHARS, Decision, Reason, Screener
from mediaproof.screening.people import Person
from mediaproof.screening.seeds import SCENARIOS, Seed, builtin
from mediaproof.services import screening_webhooks as tool_webhooks
from mediaproof.services.accounts import instance_secret
from mediaproof.services.instance import Instance
from mediaproof.services.transparency import land_staged, stage_entry
from mediaproof.storage.sql.repos_log_outbox import LogOutboxRepository
from mediaproof.storage.sql.repos_screening import ScreeningRepository
from mediaproof.storage.sql.times import aware
from mediaproof.transparency import entries
from mediaproof.transparency.entries import Entry

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from mediaproof.storage.sql.tables_screening import (
        ScreenBanRow,
        ScreenEventRow,
        ScreenOfficialRow,
    )

ENROLLED_TTL_S = 30.0  # how long enrolled names are cached before the store is read again
MAX_NAME = 200
MAX_ALIASES = 20
MAX_SEED = 1000
USER_REF = re.compile(r"^[A-Za-z0-9._:\-]{1,128}$")
LANG = re.compile(r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})?$")


@dataclass(frozen=True)
class Official:
    id: int
    name: str
    aliases: list[str]
    role: str
    created_at: dt.datetime

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "aliases": self.aliases,
            "role": self.role,
            "created_at": self.created_at.isoformat(),
        }


@dataclass(frozen=True)
class Screened:
    decision: Decision
    event_id: int | None  # the recorded block or review; None when allowed
    user_banned: bool = False  # this tool's user_ref is banned (now, or by this prompt)
    log_index: int | None = None  # where its leaf landed; None while staged (or allowed)

    def to_json(self) -> dict[str, Any]:
        return {
            **self.decision.to_json(),
            "event_id": self.event_id,
            "user_banned": self.user_banned,
            "log": None
            if self.event_id is None
            else {"type": "screen.decided", "index": self.log_index},
        }


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _clean(s: str, what: str, limit: int) -> str:
    s = " ".join(s.split())
    if not s or len(s) > limit:
        raise UsageError(f"{what} must be 1-{limit} characters")
    _check_shown(**{what.split()[-1]: s})
    return s


def _check_shown(**fields: str) -> None:
    """An official's name, aliases and role are named in the screening decisions that
    match them (the reasons a tool is given): no text that reads differently on display."""
    check_display_text("it is named in the screening decisions that match it", **fields)


def prompt_key(inst: Instance) -> bytes:
    """The HMAC key for prompts: derived from the instance secret, never stored."""
    return hmac.new(instance_secret(inst), b"mediaproof/screen/prompt/v1", hashlib.sha256).digest()


def prompt_hmac(inst: Instance, prompt: str) -> str:
    return hmac.new(prompt_key(inst), prompt.encode("utf-8"), hashlib.sha256).hexdigest()


def user_key(inst: Instance) -> bytes:
    """The HMAC key for user references in log leaves (derived, never stored)."""
    return hmac.new(instance_secret(inst), b"mediaproof/screen/user/v1", hashlib.sha256).digest()


def user_hmac(inst: Instance, tool: str, user_ref: str) -> str:
    """A tool's user reference as the log shows it: keyed, and per tool (two tools'
    "u1" are different people)."""
    msg = f"{tool[:100]}\n{user_ref}".encode()
    return hmac.new(user_key(inst), msg, hashlib.sha256).hexdigest()


# --- transparency-log leaves of screening decisions ----------------------------------


def _log_time(t: dt.datetime) -> str:
    return aware(t).astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _tool_id(tool: str) -> str:
    # an account name is an opaque id; one the log's validator would read as a phone
    # number (all digits) is prefixed
    tool = tool[:100]
    return tool if re.search(r"[a-z_]", tool) else f"account:{tool}"


def _rules(reasons: str) -> list[str]:
    seen: list[str] = []
    for r in json.loads(reasons):
        rule = r.get("rule") if isinstance(r, dict) else None
        if isinstance(rule, str) and rule not in seen:
            seen.append(rule)
    return sorted(seen)[:16]


def event_leaf(inst: Instance, row: ScreenEventRow) -> Entry:
    """The ``screen.decided`` leaf of a recorded block, review or hold (rebuilt the same
    from the row, so its log index can be looked up later)."""
    return entries.screen_decided(
        tool=_tool_id(row.tool),
        decision=row.decision,
        policy=f"policy:{row.policy_version}",
        rules=_rules(row.reasons),
        input="output" if row.decision == "hold" else "prompt",
        input_hmac=row.prompt_hmac,
        user_hmac=user_hmac(inst, row.tool, row.user_ref) if row.user_ref else None,
        event_id=f"screen-event-{row.id}",
        time=_log_time(row.at),
    )


def ban_leaf(inst: Instance, row: ScreenBanRow, lifted: bool = False) -> Entry:
    """The ``screen.decided`` leaf of a ban (``ban``) or of its lifting (``ban_lifted``)."""
    at = row.lifted_at if lifted and row.lifted_at is not None else row.at
    return entries.screen_decided(
        tool=_tool_id(row.tool),
        decision="ban_lifted" if lifted else "ban",
        user_hmac=user_hmac(inst, row.tool, row.user_ref),
        ban_id=f"screen-ban-{row.id}",
        time=_log_time(at),
    )


def record_event_in(s: Session, inst: Instance, **fields: Any) -> int:
    """Write a block, review or hold and stage its leaf in the same transaction."""
    repo = ScreeningRepository(s)
    event_id = repo.add_event(**fields)
    row = repo.event(event_id)
    assert row is not None
    stage_entry(s, event_leaf(inst, row))
    return event_id


def event_log_index(inst: Instance, s: Session, row: ScreenEventRow) -> int | None:
    """Where the event's leaf landed (None while it is staged)."""
    return LogOutboxRepository(s).log_index_by_body(event_leaf(inst, row).canonical)


# --- the operator's officials list ---------------------------------------------------


def add_official(
    inst: Instance, name: str, aliases: Sequence[str] = (), role: str = ""
) -> Official:
    name = _clean(name, "the name", MAX_NAME)
    clean_aliases = [_clean(a, "an alias", MAX_NAME) for a in aliases if a.strip()]
    if len(clean_aliases) > MAX_ALIASES:
        raise UsageError(f"at most {MAX_ALIASES} aliases per person")
    role = " ".join(role.split())
    if len(role) > MAX_NAME:
        raise UsageError(f"the role must be at most {MAX_NAME} characters")
    _check_shown(role=role)
    with inst.db.session() as s:
        row = ScreeningRepository(s).add_official(
            name=name, aliases=json.dumps(clean_aliases), role=role, created_at=_now()
        )
        return _official(row)


def _official(row: ScreenOfficialRow) -> Official:
    return Official(row.id, row.name, json.loads(row.aliases), row.role, row.created_at)


def list_officials(inst: Instance) -> list[Official]:
    with inst.db.session() as s:
        return [_official(r) for r in ScreeningRepository(s).officials()]


def remove_official(inst: Instance, official_id: int) -> None:
    with inst.db.session() as s:
        if not ScreeningRepository(s).delete_official(official_id):
            raise NotFoundError(f"no protected official with id {official_id}")


def import_officials(inst: Instance, records: Iterable[dict[str, Any]]) -> list[Official]:
    """Add officials from parsed records (``name``, optional ``aliases`` list or
    ``;``-separated string, optional ``role``); all or nothing."""
    parsed: list[tuple[str, list[str], str]] = []
    for i, rec in enumerate(records, 1):
        if not isinstance(rec, dict) or not isinstance(rec.get("name"), str):
            raise UsageError(f"record {i}: a 'name' is required")
        al = rec.get("aliases") or []
        if isinstance(al, str):
            al = [a for a in al.split(";") if a.strip()]
        if not isinstance(al, list) or not all(isinstance(a, str) for a in al):
            raise UsageError(f"record {i}: 'aliases' must be a list of names")
        role = rec.get("role") or ""
        if not isinstance(role, str):
            raise UsageError(f"record {i}: 'role' must be text")
        parsed.append((rec["name"], al, role))
    for name, al, role in parsed:  # validate everything before writing anything
        _clean(name, "the name", MAX_NAME)
        for a in al:
            _clean(a, "an alias", MAX_NAME)
        if len(al) > MAX_ALIASES or len(role) > MAX_NAME:
            raise UsageError(f"{name}: too many aliases or too long a role")
        _check_shown(role=role)
    with inst.db.session() as s:
        rows = ScreeningRepository(s).add_officials(
            [
                {
                    "name": _clean(n, "the name", MAX_NAME),
                    "aliases": json.dumps([_clean(a, "an alias", MAX_NAME) for a in al]),
                    "role": " ".join(r.split()),
                    "created_at": _now(),
                }
                for n, al, r in parsed
            ]
        )
        return [_official(r) for r in rows]


# --- seeds ------------------------------------------------------------------------------


def add_seed(inst: Instance, scenario: str, text: str, language: str = "en") -> Seed:
    scenario = scenario.strip().lower()
    if not re.fullmatch(r"[a-z][a-z0-9_]{1,39}", scenario):
        raise UsageError(
            "the scenario is a short name (letters, digits, _)",
            hint="known scenarios: " + ", ".join(SCENARIOS),
        )
    text = _clean(text, "the example prompt", MAX_SEED)
    if not LANG.match(language):
        raise UsageError("the language is a code like en, de or pt-BR")
    with inst.db.session() as s:
        row = ScreeningRepository(s).add_seed(scenario, text, language, _now())
        return Seed(f"operator:{row.id}", row.scenario, row.text, row.language)


def operator_seeds(inst: Instance) -> list[Seed]:
    with inst.db.session() as s:
        return [
            Seed(f"operator:{r.id}", r.scenario, r.text, r.language)
            for r in ScreeningRepository(s).seeds()
        ]


def remove_seed(inst: Instance, seed_id: int) -> None:
    with inst.db.session() as s:
        if not ScreeningRepository(s).delete_seed(seed_id):
            raise NotFoundError(f"no operator seed with id {seed_id}")


# --- protected people from likeness enrolments ---------------------------------------


def enrolled_people(inst: Instance) -> list[Person]:
    """Names of the people enrolled for likeness protection (read-only; no store or key
    is created where the instance never had likeness data)."""
    from mediaproof.services import likeness

    if not likeness.has_likeness_data(inst):
        return []
    store = likeness.open_store(inst)
    try:
        return [
            Person(f"enrolled:{e.id}", e.name, source="enrolled") for e in store.list_enrolments()
        ]
    finally:
        store.close()


# --- screening ----------------------------------------------------------------------------


class ScreeningService:
    """One per instance and process: keeps the screener and rebuilds it when the
    officials, seeds or enrolled people change."""

    def __init__(self, inst: Instance, embedder: embed.Embedder | bool | None = True) -> None:
        self.inst = inst
        if embedder is True:
            self.embedder: embed.Embedder | None = (
                embed.load(inst.settings.screening.embed_backend)
                if inst.settings.screening.embeddings
                else None
            )
        elif embedder is False:
            self.embedder = None
        else:
            self.embedder = embedder
        self._lock = threading.Lock()
        self._screener: Screener | None = None
        self._version: tuple[Any, ...] | None = None
        self._enrolled: list[Person] = []
        self._enrolled_at = -1e9

    def _db_version(self) -> tuple[Any, ...]:
        with self.inst.db.session() as s:
            return ScreeningRepository(s).version()

    def screener(self) -> Screener:
        with self._lock:
            now = time.monotonic()
            enrolled_changed = False
            if now - self._enrolled_at > ENROLLED_TTL_S:
                people = enrolled_people(self.inst)
                enrolled_changed = people != self._enrolled
                self._enrolled, self._enrolled_at = people, now
            version = self._db_version()
            if self._screener is None or version != self._version or enrolled_changed:
                officials = [
                    Person(f"official:{o.id}", o.name, tuple(o.aliases), o.role)
                    for o in list_officials(self.inst)
                ]
                seeds = builtin() + operator_seeds(self.inst)
                if self._screener is None:
                    self._screener = Screener(officials + self._enrolled, seeds, self.embedder)
                else:  # keep the seed embeddings already computed
                    old = self._screener
                    self._screener = Screener(officials + self._enrolled, [], self.embedder)
                    self._screener.seeds = old.seeds
                    self._screener.seeds.set(seeds)
                self._version = version
            return self._screener

    def screen(self, prompt: str, tool: str, user_ref: str | None = None) -> Screened:
        if not isinstance(prompt, str) or not prompt.strip():
            raise UsageError("the prompt is empty")
        if len(prompt) > MAX_PROMPT_CHARS:
            raise UsageError(f"the prompt is longer than {MAX_PROMPT_CHARS} characters")
        if user_ref is not None and not USER_REF.match(user_ref):
            raise UsageError(
                "user_ref must be a pseudonymous id of 1-128 letters, digits or . _ : -",
                hint="send a stable pseudonym (e.g. a keyed hash of your user id), "
                "never an e-mail address or a name",
            )
        if user_ref is not None and active_ban(self.inst, tool, user_ref) is not None:
            banned = Decision(
                BLOCK,
                POLICY_VERSION,
                (Reason(BANNED, "", detail="this user is banned from this tool"),),
                self.embedder is not None,
            )
            return Screened(banned, self._record(banned, prompt, tool, user_ref), True)
        decision = self.screener().screen(prompt)
        if decision.decision == ALLOW:
            return Screened(decision, None)
        event = self._record(decision, prompt, tool, user_ref)
        now_banned = decision.decision == BLOCK and apply_ban_rule(self.inst, tool, user_ref)
        return Screened(decision, event, now_banned)

    def _record(self, d: Decision, prompt: str, tool: str, user_ref: str | None) -> int:
        keep_text = self.inst.settings.screening.keep_prompt_text
        reasons = [
            {k: v for k, v in r.to_json().items() if keep_text or k not in ("matched",)}
            for r in d.reasons
        ]
        with self.inst.db.session() as s:
            return record_event_in(
                s,
                self.inst,
                at=_now(),
                tool=tool[:100],
                user_ref=user_ref,
                decision=d.decision,
                policy_version=d.policy_version,
                prompt_hmac=prompt_hmac(self.inst, prompt),
                prompt_text=prompt if keep_text else None,
                reasons=json.dumps(reasons, ensure_ascii=False),
            )


def list_events(
    inst: Instance,
    tool: str | None = None,
    user_ref: str | None = None,
    limit: int = 100,
    *,
    show_text: bool = True,
) -> list[dict[str, Any]]:
    """The record, for admins. A prompt's text (and the matched words) is shown only while
    the operator opts in: text kept during an earlier opt-in stays hidden after it ends.
    ``show_text=False`` never shows it (a tool reading its own record)."""
    keep_text = show_text and inst.settings.screening.keep_prompt_text
    with inst.db.session() as s:
        return [
            {
                "id": r.id,
                "at": r.at.isoformat(),
                "tool": r.tool,
                "user_ref": r.user_ref,
                "decision": r.decision,
                "policy_version": r.policy_version,
                "prompt_hmac": r.prompt_hmac,
                "prompt_text": r.prompt_text if keep_text else None,
                "reasons": [
                    {k: v for k, v in reason.items() if keep_text or k != "matched"}
                    for reason in json.loads(r.reasons)
                ],
                "log": {"type": "screen.decided", "index": event_log_index(inst, s, r)},
            }
            for r in ScreeningRepository(s).events(tool, user_ref, limit)
        ]


def event_counts(inst: Instance) -> list[dict[str, Any]]:
    """Blocks and reviews per tool and user reference (for the operator's ban rule)."""
    with inst.db.session() as s:
        rows = ScreeningRepository(s).event_counts()
    out: dict[tuple[str, str | None], dict[str, Any]] = {}
    for tool, ref, decision, n in rows:
        e = out.setdefault(
            (tool, ref), {"tool": tool, "user_ref": ref, "block": 0, "review": 0, "hold": 0}
        )
        e[decision] = int(n)
    return sorted(out.values(), key=lambda e: (-e["block"], -e["review"], e["tool"]))


# --- the operator's ban rule ----------------------------------------------------------

BANNED = "banned"  # the reason of a prompt blocked (an output held) because of a ban
COUNTED = ("block", "hold")  # what the ban rule counts; reviews do not


def active_ban(inst: Instance, tool: str, user_ref: str) -> dict[str, Any] | None:
    with inst.db.session() as s:
        row = ScreeningRepository(s).active_ban(tool[:100], user_ref)
        return _ban(row) if row is not None else None


def _ban(row: ScreenBanRow) -> dict[str, Any]:
    return {
        "id": row.id,
        "tool": row.tool,
        "user_ref": row.user_ref,
        "at": aware(row.at).isoformat(),
        "events": row.events,
        "window_s": row.window_s,
        "lifted_at": aware(row.lifted_at).isoformat() if row.lifted_at else None,
        "lifted_by": row.lifted_by,
        "notified": row.notified_at is not None,
    }


def apply_ban_rule(inst: Instance, tool: str, user_ref: str | None) -> bool:
    """After a block or hold: ban this tool's user_ref when it reached the operator's
    count within the window (counting only since a ban was last lifted). Returns whether
    it is banned now."""
    cfg = inst.settings.screening
    if user_ref is None or cfg.ban_after <= 0:
        return False
    tool = tool[:100]
    now = _now()
    with inst.db.session() as s:
        repo = ScreeningRepository(s)
        if repo.is_banned(tool, user_ref):
            return True
        since = now - dt.timedelta(seconds=cfg.ban_window_s)
        lifted = repo.last_lifted(tool, user_ref)
        if lifted is not None:
            since = max(since, aware(lifted))
        n = repo.count_events(tool, user_ref, COUNTED, since)
        if n < cfg.ban_after:
            return False
        ban = repo.add_ban(tool, user_ref, now, n, cfg.ban_window_s)
        s.flush()
        stage_entry(s, ban_leaf(inst, ban))  # the ban and its leaf commit together
        body = {
            "ban_id": ban.id,
            "user_ref": user_ref,
            "banned_at": now.isoformat(),
            "events": n,
            "window_s": cfg.ban_window_s,
            "appeal": "POST /api/v1/screen/appeals with the event_id of a block or hold",
        }
        if tool_webhooks.enqueue(s, tool, "screen.user_banned", body, now):
            ban.notified_at = now  # staged with the ban: both commit or neither
    return True


def list_bans(
    inst: Instance, tool: str | None = None, active_only: bool = False
) -> list[dict[str, Any]]:
    with inst.db.session() as s:
        return [_ban(r) for r in ScreeningRepository(s).bans(tool, active_only)]


def lift_ban(inst: Instance, tool: str, user_ref: str, by: str) -> dict[str, Any]:
    """Lift a ban (an admin, e.g. after the user contested it): blocks and holds before
    now no longer count towards the next one."""
    with inst.db.session() as s:
        row = lift_ban_in(inst, s, tool, user_ref, by, "lifted by an administrator")
        if row is None:
            raise NotFoundError(f"{user_ref} of {tool} is not banned")
        out = _ban(row)
    land_staged(inst)  # an admin's rare act: its leaf lands now (or stays staged)
    return out


def lift_ban_in(
    inst: Instance,
    s: Session,
    tool: str,
    user_ref: str,
    by: str,
    why: str,
    now: dt.datetime | None = None,
) -> ScreenBanRow | None:
    """Lift the active ban in the caller's transaction and stage the tool's
    ``screen.ban_lifted`` webhook and the ``ban_lifted`` log leaf; None when there was
    no ban."""
    now = now or _now()
    row = ScreeningRepository(s).lift_ban(tool[:100], user_ref, now, by[:100])
    if row is not None:
        s.flush()
        stage_entry(s, ban_leaf(inst, row, lifted=True))
        body = {"ban_id": row.id, "user_ref": user_ref, "lifted_at": now.isoformat(), "why": why}
        tool_webhooks.enqueue(s, row.tool, "screen.ban_lifted", body, now)
    return row


_SERVICES: dict[str, ScreeningService] = {}
_SERVICES_LOCK = threading.Lock()


def service_for(inst: Instance) -> ScreeningService:
    """The process's screening service for this instance (the model loads once)."""
    key = f"{inst.home.resolve()}|{inst.settings.resolved_database_url}|{id(inst)}"
    with _SERVICES_LOCK:
        svc = _SERVICES.get(key)
        if svc is None:
            svc = _SERVICES[key] = ScreeningService(inst)
        return svc
