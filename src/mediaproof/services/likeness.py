"""Likeness use cases on an instance: the store it keeps, and the transparency-log record.

Enrolment and deletion each leave leaves in the instance's transparency log holding only
an opaque subject id and digests (``subject.enrolled`` per modality, ``subject.withdrawn``);
never a name, a consent note or an embedding. The log commits the operator to when a
person was enrolled and withdrawn, without saying who.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from mediaproof.analysis.evidence import AnalysisContext
from mediaproof.errors import NotFoundError
from mediaproof.likeness.crypto import KEY_FILE, Keyring
from mediaproof.likeness.models import Enrolment, Modality
from mediaproof.likeness.monitor import SourceItem
from mediaproof.likeness.service import LikenessService
from mediaproof.likeness.store import LikenessStore, SqliteLikenessStore
from mediaproof.services.instance import Instance
from mediaproof.services.transparency import record_event
from mediaproof.storage.sql.likeness_store import SqlLikenessStore
from mediaproof.storage.sql.repos_case_media import CaseMediaRepository, NoticeMediaRepository
from mediaproof.transparency import entries
from mediaproof.transparency.entries import Entry

LEGACY_FILE = Path("likeness") / "likeness.db"  # the file store before 0007_likeness


def open_store(inst: Instance) -> LikenessStore:
    """The instance's likeness store: tables in its SQL database, sealed under
    per-enrolment keys in ``keys/likeness/`` wrapped by ``keys/likeness.key``. A file
    store left by an older version is moved in first; deletions a crash cut short are
    finished (and their withdrawal logged) on every open; the first open in a process
    also sweeps unreadable leftovers and re-seals rows still under the instance key."""
    store = SqlLikenessStore(inst.db, Keyring.open(inst.keys_dir))
    if (inst.home / LEGACY_FILE).exists():
        migrate_file_store(inst, store)
    if store.keys.tombstones() or inst.home not in _MAINTAINED:
        maintain(inst, store)
    return store


_MAINTAINED: set[Path] = set()  # homes whose store was swept and re-sealed in this process


def maintain(inst: Instance, store: SqlLikenessStore | None = None) -> Maintenance:
    """Finish cut-short deletions (logging their withdrawal), sweep rows and keys no one
    can read any more, and re-seal rows still under the instance key. Idempotent; run by
    :func:`open_store` and by ``mediaproof likeness maintain``."""
    if store is None:
        store = SqlLikenessStore(inst.db, Keyring.open(inst.keys_dir))
    finished = store.recover()
    for eid, digest in sorted(finished.items()):
        if digest:
            record_event(inst, withdrawn_entry(eid, digest))
    resealed = store.reseal_legacy() if store.has_legacy_rows() else 0
    _MAINTAINED.add(inst.home)
    return Maintenance(sorted(finished), resealed)


@dataclass(frozen=True)
class Maintenance:
    finished_deletions: list[str]  # enrolment ids whose deletion a crash had cut short
    resealed_rows: int  # rows moved from the instance key to per-enrolment keys


def has_likeness_data(inst: Instance) -> bool:
    """Whether this instance ever stored likeness data (its key exists): without it a
    verify must not create a key or a store."""
    return (inst.keys_dir / KEY_FILE).exists()


def instance_likeness(inst: Instance) -> Callable[[AnalysisContext], LikenessService | None]:
    """For the verify pipeline: the instance's likeness service per analysis, or None
    when nobody was ever enrolled here."""

    def open_for(_ctx: AnalysisContext) -> LikenessService | None:
        if not has_likeness_data(inst):
            return None
        return LikenessService(open_store(inst), inst.settings.limits)

    return open_for


def migrate_file_store(inst: Instance, store: SqlLikenessStore) -> int:
    """Copy ``<home>/likeness/likeness.db`` into the SQL store, then wipe and remove the
    file. Idempotent (a copy cut short is finished by the next open) and serialised
    across processes by a lock file. Returns how many enrolments were copied."""
    legacy = inst.home / LEGACY_FILE
    lock_path = legacy.parent / ".migrate.lock"
    fd = os.open(lock_path, os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        if not legacy.exists():
            return 0  # another process moved it meanwhile
        old = SqliteLikenessStore.open(inst.home)
        copied = 0
        try:
            for e in old.list_enrolments():
                try:
                    store.get_enrolment(e.id)
                except NotFoundError:
                    store.add_enrolment(e, old.kept_samples(e.id))
                    copied += 1
            for m in Modality:
                vectors = old.reference(m)
                if vectors:
                    store.replace_reference(m, vectors)
            for rid, created, report, subjects in old.all_reports():
                store.save_report(rid, created, report, subjects)
            have = {a.id for a in store.list_alerts()}
            for a in old.list_alerts():
                if a.id not in have:
                    store.add_alert(a)
            for sha, at in old.all_seen():
                store.mark_seen(sha, at)
        finally:
            old.close()
        for suffix in ("", "-wal", "-shm", "-journal"):
            _wipe(legacy.with_name(legacy.name + suffix))
        return copied
    finally:
        os.close(fd)


def _wipe(path: Path) -> None:
    """Overwrite with zeros, then remove: the sealed rows should not linger on disk."""
    if not path.exists():
        return
    size = path.stat().st_size
    with path.open("r+b") as f:
        f.write(b"\0" * size)
        f.flush()
        os.fsync(f.fileno())
    path.unlink()


@contextmanager
def likeness_service(inst: Instance) -> Iterator[LikenessService]:
    """A service on the instance's store, closed afterwards (engines are shared)."""
    store = open_store(inst)
    try:
        yield LikenessService(store, inst.settings.limits)
    finally:
        store.close()


def subject_id(enrolment_id: str) -> str:
    # prefixed: a bare all-digit id would read as a phone number to the log's validator
    return f"likeness:{enrolment_id}"


def template_digest(enrolment: Enrolment, modality: Modality) -> str:
    """SHA-256 of the person's template vector (little-endian float32): commits to it
    without revealing it; the vector itself cannot be recovered from the digest."""
    tpl = enrolment.template(modality)
    assert tpl is not None
    return hashlib.sha256(np.asarray(tpl, dtype="<f4").tobytes()).hexdigest()


def enrolled_entries(enrolment: Enrolment) -> list[Entry]:
    return [
        entries.subject_enrolled(
            subject_id=subject_id(enrolment.id),
            modality=m.value,
            template_sha256=template_digest(enrolment, m),
            enrolment_sha256=enrolment.digest(),
        )
        for m in Modality
        if enrolment.vectors(m)
    ]


def withdrawn_entry(enrolment_id: str, digest: str) -> Entry:
    return entries.subject_withdrawn(subject_id=subject_id(enrolment_id), enrolment_sha256=digest)


@dataclass(frozen=True)
class Deleted:
    enrolment_id: str
    digest: str
    log_index: int | None  # None: the log was busy, the entry is queued


def enrol(
    inst: Instance,
    name: str,
    faces: Sequence[Path] = (),
    voices: Sequence[Path] = (),
    *,
    consent_note: str | None = None,
    consent_recorded_by: str | None = None,
    keep_samples: bool = False,
) -> tuple[Enrolment, list[int | None]]:
    """Enrol (see :meth:`LikenessService.enrol`) and log it; returns the enrolment and
    the log indexes of its entries."""
    with likeness_service(inst) as svc:
        e = svc.enrol(
            name,
            faces,
            voices,
            consent_note=consent_note,
            keep_samples=keep_samples,
            consent_recorded_by=consent_recorded_by,
        )
    return e, [record_event(inst, entry) for entry in enrolled_entries(e)]


def delete(inst: Instance, enrolment_id: str) -> Deleted:
    """Delete the enrolment and everything derived from it; log its withdrawal."""
    with likeness_service(inst) as svc:
        digest = svc.delete(enrolment_id)
    index = record_event(inst, withdrawn_entry(enrolment_id, digest))
    return Deleted(enrolment_id, digest, index)


# --- the media of case notices, for the monitor ---------------------------------------

INBOX = Path("likeness") / "inbox"
_HEX = frozenset("0123456789abcdef")


def queue_notice_media(inst: Instance, path: Path, sha256: str) -> bool:
    """Hand the media of a new notice to the likeness monitor before the upload is
    discarded (the case intake keeps only its digest). Copied to
    ``<home>/likeness/inbox/<sha256>`` (0600); the monitor deletes it once analysed.
    Does nothing, and returns False, when nobody was ever enrolled here."""
    if len(sha256) != 64 or not set(sha256) <= _HEX:
        raise ValueError("sha256 must be 64 lowercase hex characters")
    if not has_likeness_data(inst):
        return False
    inbox = inst.home / INBOX
    inbox.mkdir(parents=True, exist_ok=True, mode=0o700)
    dest = inbox / sha256
    if not dest.exists():
        tmp = inbox / f".{sha256}.{os.getpid()}.part"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as out, path.open("rb") as src:
            while chunk := src.read(1 << 20):
                out.write(chunk)
        os.replace(tmp, dest)
    return True


UNSEEN_SPAN = 10_000  # ids below a row read that may still commit (see CaseNoticeSource)


class CaseNoticeSource:
    """New case notices that carry media, for :class:`~mediaproof.likeness.monitor.Monitor`.

    Reads ``case_notices`` (id, public id, media digest only: never the reporter's
    details) past the last notice seen by this process, and those it passed because they
    were not committed yet (two writers on PostgreSQL, where ids are handed out before
    commit): they come back through the change sequence ``case_media_changes``. It
    finds each notice's bytes in
    the likeness inbox (:func:`queue_notice_media`) or the instance's blob store. A
    notice whose bytes were not kept is listed as skipped. After a restart the notices
    are offered again; media analysed before is a duplicate and raises no second alert.
    """

    name = "case_notices"

    def __init__(self, inst: Instance, *, batch: int = 100) -> None:
        self.inst = inst
        self.batch = batch
        self.after = 0  # the highest notice row id read so far
        self._seq: int | None = None  # the last change followed; None before the first poll
        self._unseen: set[int] = set()  # ids below ``after`` not read (not committed then)
        self._pending: dict[Path, int] = {}  # inbox file -> items of this poll using it

    def _locate(self, sha256: str) -> Path | None:
        queued = self.inst.home / INBOX / sha256
        if queued.exists():
            return queued
        if self.inst.blobs.exists(sha256):
            return self.inst.blobs.path(sha256)
        return None

    def poll(self) -> list[SourceItem]:
        found: list[tuple[int, str, str]] = []
        with self.inst.db.session() as s:
            changes = CaseMediaRepository(s)
            notices = NoticeMediaRepository(s)
            if self._seq is None:
                self._seq = changes.last_change()  # before the rows: see media_index
            for row_id, public_id, sha in notices.with_media_since(self.after, self.batch):
                # ids passed over: uncommitted then, or rolled back (never filled); a
                # jump past what writers in flight could hold is not remembered whole
                self._unseen.update(range(max(self.after + 1, row_id - UNSEEN_SPAN), row_id))
                self.after = row_id
                if sha is not None:
                    found.append((row_id, public_id, sha))
            while batch := changes.changes_after(self._seq, 10_000):
                late = {i for _, k, i in batch if k == "notice" and i in self._unseen}
                self._unseen -= late
                found += notices.with_media_of(late)
                self._seq = batch[-1][0]
        items = []
        for _row_id, public_id, sha256 in found:
            path = self._locate(sha256)
            if path is not None and path.parent == self.inst.home / INBOX:
                self._pending[path] = self._pending.get(path, 0) + 1
            items.append(
                SourceItem(
                    ref=f"case-notice:{public_id}",
                    label=f"media of case notice {public_id}",
                    path=path,
                    missing=None if path else "media not kept",
                )
            )
        return items

    def done(self, item: SourceItem, analysed: bool) -> None:
        if item.path is None or item.path not in self._pending:
            return
        self._pending[item.path] -= 1
        if self._pending[item.path] == 0:
            del self._pending[item.path]
            if analysed:
                item.path.unlink(missing_ok=True)  # keep notice media no longer than needed
