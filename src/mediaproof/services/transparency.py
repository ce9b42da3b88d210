"""Record events in the instance's transparency log, without failing the user's request.

Like the case workflow's event hand-over, a log that cannot be written (locked too long,
damaged, disk full) must not undo a registration that already committed. The entry then
waits, fsynced, in ``<home>/tlog/pending.jsonl`` and goes into the log, in order, before
the next event (or on :func:`flush_pending`), so nothing is silently dropped.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import rfc8785

from mediaproof.errors import MediaproofError
from mediaproof.matching.lookup import FingerprintEntry
from mediaproof.registry.models import AssetRecord
from mediaproof.services.instance import Instance
from mediaproof.transparency import entries
from mediaproof.transparency.entries import Entry
from mediaproof.transparency.errors import EntryError
from mediaproof.transparency.log import TransparencyLog

_log = logging.getLogger(__name__)
PENDING = "pending.jsonl"
LOCK_TIMEOUT_S = 10.0


def _pending_path(home: Path) -> Path:
    return home / "tlog" / PENDING


def _queue(home: Path, entry: Entry) -> None:
    path = _pending_path(home)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        os.write(fd, entry.canonical + b"\n")  # canonical JSON never contains a newline
        os.fsync(fd)
    finally:
        os.close(fd)


def _drain(log: TransparencyLog, home: Path) -> int:
    path = _pending_path(home)
    if not path.exists():
        return 0
    waiting = [line for line in path.read_bytes().split(b"\n") if line]
    if waiting:
        log.append_many(waiting)  # validated again; one durable batch
    path.unlink()  # only after the append was acknowledged
    return len(waiting)


def record_event(inst: Instance, entry: Entry) -> int | None:
    """Append ``entry`` (after any queued ones) and sign a checkpoint covering it.

    Returns its index, or None when the log could not be written and the entry was queued.
    """
    try:
        with TransparencyLog.open(inst.home, lock_timeout=LOCK_TIMEOUT_S) as log:
            _drain(log, inst.home)
            index = log.append(entry)
            log.checkpoint()
            return index
    except (MediaproofError, OSError) as e:
        _queue(inst.home, entry)
        _log.warning("transparency log unavailable, entry queued for later: %s", e)
        return None


def flush_pending(inst: Instance) -> int:
    """Move queued entries into the log and checkpoint; returns how many were moved."""
    with TransparencyLog.open(inst.home, lock_timeout=LOCK_TIMEOUT_S) as log:
        moved = _drain(log, inst.home)
        if moved:
            log.checkpoint()
        return moved


def asset_registered_entry(
    asset: AssetRecord,
    *,
    signer: str,
    manifest_sha256: str | None = None,
    fingerprints: dict[str, str] | None = None,
) -> Entry:
    """The public record of a registration: opaque IDs and digests, never the title,
    author or certificate subject (they can name people)."""
    return entries.asset_registered(
        asset_id=f"asset-{asset.id}",
        content_sha256=asset.sha256,
        signer=signer,
        manifest_sha256=manifest_sha256,
        fingerprints=fingerprints or None,
    )


def fingerprint_digests(prints: Sequence[FingerprintEntry]) -> dict[str, str]:
    """One SHA-256 per signal over its stored values (in order), so the log commits to
    the fingerprints an asset was registered with without publishing them."""
    by_signal: dict[str, hashlib._Hash] = {}
    for fp in prints:
        h = by_signal.setdefault(fp.signal, hashlib.sha256())
        h.update(fp.value if fp.value is not None else (fp.digest or "").encode())
    return {signal: h.hexdigest() for signal, h in sorted(by_signal.items())}


__all__ = [
    "CaseEventLog",
    "asset_registered_entry",
    "case_event_entry",
    "fingerprint_digests",
    "flush_pending",
    "record_event",
]


# --- the case workflow's events ----------------------------------------------------


def _log_time(at: str) -> str:
    """The case events' ISO time (with offset, microseconds) as the log's UTC second."""
    t = dt.datetime.fromisoformat(at).astimezone(dt.UTC)
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def _digest(event: Mapping[str, Any]) -> str:
    # the full record of reasons stays in the database; the log commits to its digest
    return hashlib.sha256(rfc8785.dumps(dict(event))).hexdigest()


def _policy_id(version: object) -> str | None:
    # "policy:" keeps a dated version ("2026-11-01") from reading as a phone number
    return f"policy:{version}" if version is not None else None


def case_event_entry(event: Mapping[str, Any]) -> Entry:
    """Map one case-workflow event (mediaproof.cases.events) onto a log entry.

    Only opaque IDs, enums and digests cross over: the case events carry no personal data,
    and the log's validator refuses anything that looks like it.
    """
    kind = str(event["type"])
    case = str(event["case"])
    data: dict[str, Any] = {"v": entries.SCHEMA_VERSION, "time": _log_time(str(event["at"]))}
    if kind == "notice.received":
        data |= {
            "type": kind,
            "notice_id": event["notice"],
            "case_id": case,
            "source": event["source"],
            "category": event["category"],
            "content_sha256": event.get("media_sha256"),
        }
    elif kind == "notice.withdrawn":
        data |= {"type": kind, "notice_id": event["notice"], "case_id": case}
    elif kind.startswith("decision."):
        data |= {
            "type": "decision.made",
            "case_id": case,
            "decision": event["outcome"],
            "policy": _policy_id(event["policy_version"]),
            "reasons_sha256": _digest(event),
            "automated": "fully" if event.get("automated") else "not",
            "content_sha256": event.get("media_sha256"),
            "status": kind.split(".", 1)[1],
            "rule": event.get("rule"),
            "sor": event.get("sor"),
        }
    elif kind == "appeal.filed":
        data |= {
            "type": kind,
            "appeal_id": event["appeal"],
            "case_id": case,
            "party": event.get("party"),
            "decision_id": event.get("decision"),
        }
    elif kind == "appeal.decided":
        data |= {
            "type": kind,
            "appeal_id": event["appeal"],
            "case_id": case,
            "outcome": event["outcome"],
            "reasons_sha256": _digest(event),
            "decision_id": event.get("decision"),
            "policy": _policy_id(event.get("policy_version")),
            "sor": event.get("sor"),
        }
    elif kind.startswith("action."):
        data |= {
            "type": "action.taken",
            "action_id": event["action"],
            "case_id": case,
            "action": kind.split(".", 1)[1],
            "content_sha256": event.get("media_sha256"),
        }
    else:
        raise EntryError(f"no transparency-log mapping for case event {kind!r}")
    return Entry.from_data({k: v for k, v in data.items() if v is not None})


class CaseEventLog:
    """The case workflow's EventSink: every notice, decision, appeal and action becomes a
    leaf in the instance's transparency log (queued, never lost, if the log is busy)."""

    def __init__(self, inst: Instance) -> None:
        self.inst = inst
        self.indexes: list[int | None] = []

    def append(self, entry: dict[str, Any]) -> None:
        self.indexes.append(record_event(self.inst, case_event_entry(entry)))
