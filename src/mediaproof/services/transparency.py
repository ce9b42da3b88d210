"""Record events in the instance's transparency log, without failing the user's request.

Like the case workflow's event hand-over, a log that cannot be written (locked too long,
damaged, disk full) must not undo a registration that already committed. The entry then
waits, fsynced, in ``<home>/tlog/pending.jsonl`` and goes into the log, in order, before
the next event (or on :func:`flush_pending`), so nothing is silently dropped.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

from mediaproof.errors import MediaproofError
from mediaproof.registry.models import AssetRecord
from mediaproof.services.instance import Instance
from mediaproof.transparency import entries
from mediaproof.transparency.entries import Entry
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
    asset: AssetRecord, *, signer: str, manifest_sha256: str | None = None
) -> Entry:
    """The public record of a registration: opaque IDs and digests, never the title,
    author or certificate subject (they can name people)."""
    return entries.asset_registered(
        asset_id=f"asset-{asset.id}",
        content_sha256=asset.sha256,
        signer=signer,
        manifest_sha256=manifest_sha256,
    )


__all__ = ["asset_registered_entry", "flush_pending", "record_event"]
