"""Record events in the instance's transparency log, without failing the user's request.

Registrations and withdrawals of assets are *staged* in the database, in the transaction
of the change they record (the ``log_outbox`` table, like the case workflow's events):
they exist if and only if the change committed, so a crash between the commit and the
log cannot leave a live asset that the log never hears of. After the commit, and at
start-up (:func:`recover`), staged entries are handed to the log in order; each records
the log's size before its append, so a retry after a crash between the append and the
bookkeeping finds the entry in the log instead of appending it twice.

Other events (likeness, case events through :class:`CaseEventLog`) are recorded directly;
a log that cannot be written (locked too long, damaged, disk full) must not undo what
already committed, so such an entry waits, fsynced, in ``<home>/tlog/pending.jsonl`` and
goes into the log, in order, before the next event (or on :func:`flush_pending`).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import os
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import rfc8785
from cryptography.hazmat.primitives import hashes

from mediaproof.config import Settings
from mediaproof.errors import MediaproofError, NotFoundError
from mediaproof.matching.lookup import FingerprintEntry
from mediaproof.registry.models import AssetRecord
from mediaproof.services.instance import Instance
from mediaproof.services.log_publish import publish_quietly
from mediaproof.storage.sql.engine import Database
from mediaproof.storage.sql.locks import hold
from mediaproof.storage.sql.repos import AssetRepository
from mediaproof.storage.sql.repos_fingerprints import FingerprintRepository
from mediaproof.storage.sql.repos_log_outbox import LogOutboxRepository
from mediaproof.storage.sql.times import aware
from mediaproof.transparency import entries
from mediaproof.transparency.checkpoint import VerifiedCheckpoint, open_checkpoint
from mediaproof.transparency.entries import Entry
from mediaproof.transparency.errors import EntryError, LogLockedError
from mediaproof.transparency.log import TransparencyLog
from mediaproof.transparency.note import CosignatureVerifier
from mediaproof.transparency.proof import TlogProof

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

_log = logging.getLogger(__name__)
PENDING = "pending.jsonl"
LOCK_TIMEOUT_S = 10.0
LOG_WRITER_LOCK = "transparency-log-writer"


@contextmanager
def _writer(inst: Instance) -> Iterator[TransparencyLog]:
    """The instance's log, open for writing by this process alone: first the database's
    ``transparency-log-writer`` lock (so processes on several hosts, or with a store whose
    file locks do not reach them all, never interleave appends), then the log's own
    file lock. A lock not had within LOCK_TIMEOUT_S raises a MediaproofError, and the
    callers keep the entries staged or queued for the next writer."""
    with (
        hold(inst.db, LOG_WRITER_LOCK, timeout_s=LOCK_TIMEOUT_S),
        TransparencyLog.open(inst.home, lock_timeout=LOCK_TIMEOUT_S) as log,
    ):
        yield log


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
    """Append ``entry`` (after any queued or staged ones) and sign a checkpoint covering it.

    Returns its index, or None when the log could not be written and the entry was queued.
    """
    try:
        with _writer(inst) as log:
            _drain(log, inst.home)
            _land_staged(log, inst)
            index = log.append(entry)
            log.checkpoint()
            publish_quietly(inst, log)  # to the object store, when one is configured
            return index
    except (MediaproofError, OSError) as e:
        _queue(inst.home, entry)
        _log.warning("transparency log unavailable, entry queued for later: %s", e)
        return None


def flush_pending(inst: Instance) -> int:
    """Move queued and staged entries into the log and checkpoint; returns how many."""
    with _writer(inst) as log:
        moved = _drain(log, inst.home) + _land_staged(log, inst)
        if moved:
            log.checkpoint()
        publish_quietly(inst, log)  # also what an earlier publish left out
        return moved


# --- entries staged in the database with the change they record ---------------------


def stage_entry(s: Session, entry: Entry, *, asset_id: int | None = None) -> None:
    """Stage ``entry`` in the caller's transaction (see the module docstring)."""
    LogOutboxRepository(s).stage(asset_id=asset_id, entry_type=entry.type, body=entry.canonical)


def land_staged(inst: Instance) -> int | None:
    """Hand staged entries to the log and checkpoint; None when the log is unavailable
    (they stay staged for the next event or the next start-up)."""
    if not _pending_path(inst.home).exists() and staged_count(inst) == 0:
        return 0  # nothing to do: do not create (or wait for) the log
    try:
        return flush_pending(inst)
    except (MediaproofError, OSError) as e:
        _log.warning("transparency log unavailable, entries stay staged: %s", e)
        return None


def staged_count(inst: Instance) -> int:
    """Staged entries not in the log yet."""
    with inst.db.session() as s:
        return LogOutboxRepository(s).unsent_count()


def _land_staged(log: TransparencyLog, inst: Instance) -> int:
    """Append staged entries in order (the caller holds the log's writer lock, so one
    process at a time gets here) and mark them sent with their index."""
    with inst.db.session() as s:
        rows = LogOutboxRepository(s).unsent()
    if not rows:
        return 0
    landed: dict[int, int] = {}
    tried = [(r, int(r.attempt_size)) for r in rows if r.attempt_size is not None]
    if tried:
        # An earlier attempt may have appended them and died before saying so: look for
        # each one among the entries appended since that attempt began.
        lo = min(size for _, size in tried)
        first_at: dict[bytes, int] = {}
        for i in range(lo, log.size):
            first_at.setdefault(log.entry(i), i)
        for r, size in tried:
            i = first_at.get(bytes(r.body), -1)
            if i >= size:
                landed[r.id] = i
    todo = [r for r in rows if r.id not in landed]
    if todo:
        with inst.db.session() as s:
            LogOutboxRepository(s).mark_attempt([r.id for r in todo], log.size)
        indices = log.append_many([bytes(r.body) for r in todo])
        landed.update(zip([r.id for r in todo], indices, strict=True))
    now = dt.datetime.now(dt.UTC)
    with inst.db.session() as s:
        LogOutboxRepository(s).mark_sent(landed, now)
    return len(landed)


def reconcile_assets(inst: Instance) -> int:
    """Make sure every active asset has a logged or staged ``asset.registered`` entry.

    Assets registered before the outbox existed (or by a version that crashed between
    its commit and the log) have none: the log is searched once for their entries, found
    ones are recorded as sent, missing ones are staged. Returns how many were staged.
    Cheap when nothing is missing (one query), so it runs at every start-up.
    """
    with inst.db.session() as s:
        missing = LogOutboxRepository(s).active_assets_unlogged()
    if not missing:
        return 0
    staged = 0
    with _writer(inst) as log:
        _drain(log, inst.home)
        logged: dict[str, tuple[int, bytes]] = {}
        for i in range(log.size):
            raw = log.entry(i)
            if b'"asset.registered"' in raw:
                try:
                    data = json.loads(raw)
                except ValueError:
                    continue  # an auditor's finding, not ours to fix here
                if isinstance(data, dict) and data.get("type") == "asset.registered":
                    logged.setdefault(str(data.get("asset_id")), (i, raw))
        now = dt.datetime.now(dt.UTC)
        with inst.db.session() as s:
            for asset_id in missing:
                found = logged.get(f"asset-{asset_id}")
                if found is not None:
                    LogOutboxRepository(s).add_landed(
                        asset_id=asset_id,
                        entry_type="asset.registered",
                        body=found[1],
                        index=found[0],
                        at=now,
                    )
                    continue
                assets = AssetRepository(s)
                asset = assets.get(asset_id)
                assert asset is not None
                entry = _entry_for_asset(inst, s, asset, assets.manifest_store(asset_id))
                stage_entry(s, entry, asset_id=asset_id)
                staged += 1
        if _land_staged(log, inst):
            log.checkpoint()
            publish_quietly(inst, log)
    if staged:
        _log.warning("%d registered asset(s) were missing from the log and were added", staged)
    return staged


def _entry_for_asset(
    inst: Instance, s: Session, asset: AssetRecord, manifest_store: bytes | None
) -> Entry:
    """The registration entry of an asset that never reached the log, from its record."""
    signer = "external"  # we vouch for a signer only when it is provably our current key
    if manifest_store is not None and asset.signer_subject:
        try:
            cert = inst.signing_material().certificate
            if cert.subject.rfc4514_string() == asset.signer_subject:
                signer = "x509-sha256:" + cert.fingerprint(hashes.SHA256()).hex()
        except (MediaproofError, OSError):
            pass
    created = aware(asset.created_at)
    return entries.asset_registered(
        asset_id=f"asset-{asset.id}",
        content_sha256=asset.sha256,
        signer=signer,
        manifest_sha256=(hashlib.sha256(manifest_store).hexdigest() if manifest_store else None),
        fingerprints=fingerprint_digests(FingerprintRepository(s).for_asset(asset.id)) or None,
        time=created.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
    )


def recover(inst: Instance) -> int | None:
    """At start-up: stage what a crash kept from the log, then land everything staged."""
    try:
        reconcile_assets(inst)
    except (MediaproofError, OSError) as e:
        _log.error("could not reconcile registered assets with the log: %s", e)
    return land_staged(inst)


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


# --- the operator's log commands (`mediaproof log`, `mediaproof alibi`) --------------
#
# The CLI works on the log of an instance directory without its database, so these take
# the home folder, not an Instance. Each opens the log for as long as it needs it.


@dataclass(frozen=True)
class LogStatus:
    origin: str
    vkey: str
    entries: int
    latest: VerifiedCheckpoint | None


def open_for_proofs(home: Path, *, verify: Literal["tail", "full"] = "tail") -> TransparencyLog:
    """Open as the writer (so an uncovered entry gets a checkpoint), or read-only when a
    running service holds the log: proofs then cover the last published checkpoint."""
    try:
        return TransparencyLog.open(home, verify=verify)
    except LogLockedError:
        return TransparencyLog.open(home, readonly=True, verify=verify)


@contextmanager
def operator_lock(settings: Settings) -> Iterator[None]:
    """For the operator's log commands (``mediaproof log append``, ``log checkpoint``):
    the database's ``transparency-log-writer`` lock, the one the service's writers take,
    so a command run on one host never appends between the log writer's or an API
    process's steps on another. A log folder with no instance database (a stand-alone
    log) has no such lock; the log's own file lock still keeps writers apart there."""
    url = settings.database_url
    if url is None:
        db_file = settings.home / "mediaproof.db"
        if not db_file.exists():
            yield
            return
        url = settings.resolved_database_url
    db = Database(url)
    try:
        with hold(db, LOG_WRITER_LOCK, timeout_s=LOCK_TIMEOUT_S):
            yield
    finally:
        db.dispose()


def append_entries(
    home: Path,
    items: Sequence[Entry | Mapping[str, Any] | bytes],
    *,
    origin: str | None,
    sign: bool,
) -> tuple[list[int], VerifiedCheckpoint | None]:
    """Append validated entries (creating the log with ``origin`` if there is none) and,
    when ``sign``, sign a checkpoint covering them."""
    with TransparencyLog.open(home, origin=origin, verify="full") as log:
        indices = log.append_many(items)
        return indices, (log.checkpoint() if sign else None)


def sign_checkpoint(
    home: Path, *, cosigned: bytes | None = None, witnesses: Sequence[CosignatureVerifier] = ()
) -> tuple[VerifiedCheckpoint, int, str]:
    """Sign a checkpoint extending the previous one; with ``cosigned`` (a witnessed copy of
    the latest checkpoint), keep the cosignatures of ``witnesses`` that verify.

    Returns the checkpoint (with its cosignatures), how many were added, and the log key.
    """
    with TransparencyLog.open(home, verify="full") as log:
        vc = log.checkpoint()
        added = 0
        if cosigned is not None:
            added = log.add_cosignatures(cosigned, list(witnesses))
            latest = log.latest_checkpoint()
            assert latest is not None
            vc = open_checkpoint(latest.note, log.verifier, witnesses=list(witnesses))
        return vc, added, log.vkey


def log_identity(home: Path) -> tuple[str, str]:
    """The log's public verifier key and origin."""
    with TransparencyLog.open(home, readonly=True) as log:
        return log.vkey, log.origin


def log_status(home: Path) -> LogStatus:
    with open_for_proofs(home, verify="full") as log:
        return LogStatus(log.origin, log.vkey, log.size, log.latest_checkpoint())


def entry_proof(home: Path, index: int) -> TlogProof:
    """A C2SP tlog-proof (checkpoint, inclusion proof, entry) of one entry."""
    with open_for_proofs(home) as log:
        return log.tlog_proof(index)


def record_alibi(
    home: Path, entry: Entry, *, with_proof: bool
) -> tuple[int, VerifiedCheckpoint, TlogProof | None]:
    """Append an ``alibi.recorded`` entry and sign a checkpoint covering it."""
    with TransparencyLog.open(home) as log:
        index = log.append(entry)
        vc = log.checkpoint()
        return index, vc, (log.tlog_proof(index) if with_proof else None)


def alibi_proof(home: Path, *, index: int | None = None, digest: str | None = None) -> TlogProof:
    """The proof of an alibi entry, by index or by the logged file's SHA-256 (newest first:
    a person usually proves what they logged recently)."""
    with open_for_proofs(home) as log:
        if index is None:
            assert digest is not None
            index = _find_alibi(log, digest)
        return log.tlog_proof(index)


def _find_alibi(log: TransparencyLog, digest: str) -> int:
    for i in range(log.size - 1, -1, -1):
        data = json.loads(log.entry(i))
        if data.get("type") == "alibi.recorded" and data.get("content_sha256") == digest:
            return i
    raise NotFoundError("this file's digest is not in the log", hint="log it with `alibi add`")


__all__ = [
    "CaseEventLog",
    "LogStatus",
    "alibi_proof",
    "append_entries",
    "asset_registered_entry",
    "case_event_entry",
    "entry_proof",
    "fingerprint_digests",
    "flush_pending",
    "land_staged",
    "log_identity",
    "log_status",
    "open_for_proofs",
    "operator_lock",
    "reconcile_assets",
    "record_alibi",
    "record_event",
    "recover",
    "sign_checkpoint",
    "stage_entry",
    "staged_count",
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

    def stage(self, session: Session, entry: dict[str, Any]) -> None:
        """Stage the event's leaf in the caller's transaction (the one that claims the
        case event), so a crash cannot claim it and lose the leaf."""
        stage_entry(session, case_event_entry(entry))

    def land(self) -> None:
        land_staged(self.inst)
