"""C2SP checkpoints (c2sp.org/tlog-checkpoint): a log's signed tree head as a signed note.

Body: ``origin\\nsize\\nbase64(root)\\n`` (optional extension lines are parsed but we never
write any: monitors cannot audit them). The log signs with Ed25519 under a key named like
the origin; witnesses may add tlog-cosignature/v1 lines, which are verified too when the
caller names the witnesses it trusts.
"""

from __future__ import annotations

import base64
import binascii
import time
from dataclasses import dataclass

from mediaproof.transparency.errors import CheckpointError, NoteError
from mediaproof.transparency.merkle import HASH_SIZE, verify_consistency
from mediaproof.transparency.note import (
    CosignatureSigner,
    CosignatureVerifier,
    Ed25519Signer,
    Ed25519Verifier,
    Note,
    NoteVerifier,
    Signature,
    open_note,
    parse_note,
    sign_note,
)


@dataclass(frozen=True)
class Checkpoint:
    origin: str
    size: int
    root: bytes
    extensions: tuple[str, ...] = ()

    def body(self) -> bytes:
        lines = [
            self.origin,
            str(self.size),
            base64.b64encode(self.root).decode(),
            *self.extensions,
        ]
        return ("\n".join(lines) + "\n").encode()

    @classmethod
    def parse(cls, body: bytes) -> Checkpoint:
        try:
            lines = body.decode("utf-8").split("\n")
        except UnicodeDecodeError as e:
            raise CheckpointError("checkpoint is not UTF-8") from e
        if len(lines) < 4 or lines[-1] != "" or any(not line for line in lines[:-1]):
            raise CheckpointError("checkpoint body must be at least three non-empty lines")
        origin, size_s, root_s, *ext = lines[:-1]
        if not size_s.isascii() or not size_s.isdigit() or (size_s != "0" and size_s[0] == "0"):
            raise CheckpointError(f"bad tree size {size_s!r}")
        try:
            root = base64.b64decode(root_s, validate=True)
        except (binascii.Error, ValueError) as e:
            raise CheckpointError("root hash is not base64") from e
        if len(root) != HASH_SIZE:
            raise CheckpointError("root hash must be 32 bytes")
        return cls(origin, int(size_s), root, tuple(ext))


@dataclass(frozen=True)
class Cosignature:
    name: str
    key_id: bytes
    timestamp: int


@dataclass(frozen=True)
class VerifiedCheckpoint:
    checkpoint: Checkpoint
    note: Note
    cosignatures: tuple[Cosignature, ...]  # verified witness cosignatures

    def encode(self) -> bytes:
        return self.note.encode()


def sign_checkpoint(cp: Checkpoint, signer: Ed25519Signer) -> Note:
    return sign_note(cp.body(), signer)


def cosign(note: Note, witness: CosignatureSigner, timestamp: int | None = None) -> Note:
    """Add a witness cosignature (what a witness does after checking consistency)."""
    ts = int(time.time()) if timestamp is None else timestamp
    sig = Signature(witness.name, witness.key_id, witness.sign_at(note.text, ts))
    kept = tuple(s for s in note.signatures if (s.name, s.key_id) != (sig.name, sig.key_id))
    return Note(note.text, (*kept, sig))


def open_checkpoint(
    msg: bytes | Note,
    log_key: Ed25519Verifier,
    *,
    witnesses: list[CosignatureVerifier] | None = None,
    min_witnesses: int = 0,
    origin: str | None = None,
) -> VerifiedCheckpoint:
    """Verify a checkpoint: the log's own signature is required, witnesses as asked.

    ``origin`` defaults to the log key's name. Raises :class:`CheckpointError`.
    """
    note = parse_note(msg) if isinstance(msg, bytes) else msg
    witnesses = witnesses or []
    try:
        opened = open_note(note, [log_key, *witnesses])
    except NoteError as e:
        raise CheckpointError(f"checkpoint rejected: {e.message}", hint=e.hint) from e
    if not any((s.name, s.key_id) == (log_key.name, log_key.key_id) for s in opened.verified):
        raise CheckpointError(
            f"checkpoint is not signed by the log key {log_key.name}+{log_key.key_id.hex()}"
        )
    cp = Checkpoint.parse(opened.text)
    want_origin = log_key.name if origin is None else origin
    if cp.origin != want_origin:
        raise CheckpointError(f"checkpoint origin {cp.origin!r} is not {want_origin!r}")
    wkeys = {(w.name, w.key_id) for w in witnesses}
    cosigs = tuple(
        Cosignature(s.name, s.key_id, CosignatureVerifier.timestamp(s.signature))
        for s in opened.verified
        if (s.name, s.key_id) in wkeys
    )
    if len(cosigs) < min_witnesses:
        raise CheckpointError(
            f"checkpoint has {len(cosigs)} trusted witness cosignatures, {min_witnesses} required"
        )
    return VerifiedCheckpoint(cp, opened.note, cosigs)


def check_extends(old: Checkpoint, new: Checkpoint, proof: list[bytes]) -> None:
    """Raise unless ``new`` is an append-only extension of ``old`` (same origin)."""
    if old.origin != new.origin:
        raise CheckpointError(f"origins differ: {old.origin!r} vs {new.origin!r}")
    verify_consistency(old.size, new.size, old.root, new.root, proof)


__all__ = [
    "Checkpoint",
    "Cosignature",
    "NoteVerifier",
    "VerifiedCheckpoint",
    "check_extends",
    "cosign",
    "open_checkpoint",
    "sign_checkpoint",
]
