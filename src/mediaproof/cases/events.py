"""Transparency-log events for the case workflow, and where they go.

Events carry opaque ids (case and notice public ids), media digests, categories, outcomes
and policy versions: never names, e-mail addresses, tokens or free text a person wrote.
Services call an :class:`EventSink`; the transparency log's ``append(entry)`` fits it.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Protocol, runtime_checkable

EVENT_SCHEMA = "mediaproof.case-event/1"


class EventSink(Protocol):
    def append(self, entry: dict[str, Any]) -> Any: ...


@runtime_checkable
class StagingEventSink(EventSink, Protocol):
    """A sink that can stage an event in the caller's database transaction: the claim of
    the case event and its staged log leaf then commit together, so a crash between the
    two cannot lose the leaf (``land`` hands what was staged to the log afterwards)."""

    def stage(self, session: Any, entry: dict[str, Any]) -> None: ...

    def land(self) -> None: ...


class InMemoryEventSink:
    """For tests and for instances without a log: keeps events in a list."""

    def __init__(self) -> None:
        self.events: list[dict[str, Any]] = []

    def append(self, entry: dict[str, Any]) -> None:
        self.events.append(entry)

    def types(self) -> list[str]:
        return [e["type"] for e in self.events]


def _base(kind: str, at: dt.datetime, case_public_id: str) -> dict[str, Any]:
    return {
        "schema": EVENT_SCHEMA,
        "type": kind,
        "at": at.astimezone(dt.UTC).isoformat(),
        "case": case_public_id,
    }


def notice_received(
    at: dt.datetime,
    case_public_id: str,
    notice_public_id: str,
    category: str,
    source: str,
    media_sha256: str | None,
) -> dict[str, Any]:
    e = _base("notice.received", at, case_public_id)
    e.update(notice=notice_public_id, category=category, source=source, media_sha256=media_sha256)
    return e


def notice_withdrawn(at: dt.datetime, case_public_id: str, notice_public_id: str) -> dict[str, Any]:
    e = _base("notice.withdrawn", at, case_public_id)
    e["notice"] = notice_public_id
    return e


def decision_made(
    at: dt.datetime,
    case_public_id: str,
    decision_ref: str,
    outcome: str,
    status: str,
    rule_id: str,
    policy_version: str,
    media_sha256: str | None,
    automated: bool,
    sor_puid: str | None,
) -> dict[str, Any]:
    e = _base("decision." + status, at, case_public_id)
    e.update(
        decision=decision_ref,
        outcome=outcome,
        rule=rule_id,
        policy_version=policy_version,
        media_sha256=media_sha256,
        automated=automated,
        sor=sor_puid,
    )
    return e


def appeal_filed(
    at: dt.datetime, case_public_id: str, appeal_public_id: str, party: str, decision_ref: str
) -> dict[str, Any]:
    e = _base("appeal.filed", at, case_public_id)
    e.update(appeal=appeal_public_id, party=party, decision=decision_ref)
    return e


def appeal_decided(
    at: dt.datetime,
    case_public_id: str,
    appeal_public_id: str,
    outcome: str,
    decision_ref: str,
    policy_version: str,
    sor_puid: str | None,
) -> dict[str, Any]:
    e = _base("appeal.decided", at, case_public_id)
    e.update(
        appeal=appeal_public_id,
        outcome=outcome,
        decision=decision_ref,
        policy_version=policy_version,
        sor=sor_puid,
    )
    return e


def action_taken(
    at: dt.datetime, case_public_id: str, action_ref: str, action: str, media_sha256: str | None
) -> dict[str, Any]:
    e = _base("action." + action, at, case_public_id)
    e.update(action=action_ref, media_sha256=media_sha256)
    return e
