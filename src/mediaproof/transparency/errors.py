"""Errors of the transparency log: every failed check raises one of these, never a bare False."""

from __future__ import annotations

from mediaproof.errors import MediaproofError


class LogError(MediaproofError):
    """The log store cannot be opened, appended to or repaired safely."""

    code = "log"
    exit_code = 10  # 8 is taken by the case workflow
    http_status = 500


class LogLockedError(LogError):
    """Another process holds the log open for writing (open it ``readonly`` to read)."""

    code = "log_locked"


class EntryError(LogError):
    """An entry is malformed or would put personal data into a public, permanent log."""

    code = "log_entry_invalid"
    exit_code = 2
    http_status = 422


class ProofError(MediaproofError):
    """An inclusion or consistency proof does not verify: the log or the proof was altered."""

    code = "proof_invalid"
    exit_code = 9
    http_status = 422


class FetchError(ProofError):
    """A file of a served log (checkpoint, tile, entry bundle) cannot be read: the log
    cannot be verified, which is never a pass."""

    code = "log_unreadable"


class NoteError(MediaproofError):
    """A signed note or key is malformed, or no trusted signature on it verifies."""

    code = "note_invalid"
    exit_code = 9
    http_status = 422


class CheckpointError(NoteError):
    """A checkpoint is malformed, wrongly signed, or inconsistent with an earlier one."""

    code = "checkpoint_invalid"
