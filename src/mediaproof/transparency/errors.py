"""Errors of the transparency log: every failed check raises one of these, never a bare False."""

from __future__ import annotations

from mediaproof.errors import MediaproofError


class LogError(MediaproofError, code="log", exit_code=10, http_status=500):
    """The log store cannot be opened, appended to or repaired safely (exit code 10: 8 is
    taken by the case workflow)."""


class LogLockedError(LogError, code="log_locked"):
    """Another process holds the log open for writing (open it ``readonly`` to read)."""


class EntryError(LogError, code="log_entry_invalid", exit_code=2, http_status=422):
    """An entry is malformed or would put personal data into a public, permanent log."""


class ProofError(MediaproofError, code="proof_invalid", exit_code=9, http_status=422):
    """An inclusion or consistency proof does not verify: the log or the proof was altered."""


class FetchError(ProofError, code="log_unreadable"):
    """A file of a served log (checkpoint, tile, entry bundle) cannot be read: the log
    cannot be verified, which is never a pass."""


class NoteError(MediaproofError, code="note_invalid", exit_code=9, http_status=422):
    """A signed note or key is malformed, or no trusted signature on it verifies."""


class CheckpointError(NoteError, code="checkpoint_invalid"):
    """A checkpoint is malformed, wrongly signed, or inconsistent with an earlier one."""
