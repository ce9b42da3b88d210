"""C2SP signed notes (c2sp.org/signed-note) with Ed25519 keys, and tlog-cosignature v1.

A signed note is ``text`` (ending in a newline), a blank line, then signature lines
``— <name> base64(keyID[4] || signature)``. The key ID is
``SHA-256(name || "\\n" || type || public key)[:4]``, type 0x01 for Ed25519 and 0x04 for
timestamped witness cosignatures. Keys travel as verifier-key strings
``name+hex(keyID)+base64(type || public key)``, compatible with golang.org/x/mod/sumdb/note.

Verification follows the spec: signatures from unknown keys are ignored, a known key's
bad signature rejects the whole note, and at least one known key must verify.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
import struct
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import ClassVar, Protocol, Self

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from mediaproof.transparency.errors import NoteError

ALG_ED25519 = 0x01
ALG_COSIGNATURE_V1 = 0x04
MAX_SIGNATURES = 100  # the spec asks verifiers to accept at least 16
_SIG_PREFIX = "— "  # em dash, space
_CONTROL = re.compile(r"[\x00-\x09\x0b-\x1f\x7f]")
_HEX8 = re.compile(r"[0-9a-f]{8}")


def _b64decode(s: str) -> bytes:
    try:
        return base64.b64decode(s.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError, ValueError) as e:
        raise NoteError(f"not standard base64: {s[:40]!r}") from e


def _b64(b: bytes) -> str:
    return base64.b64encode(b).decode("ascii")


def check_key_name(name: str) -> None:
    if not name or "+" in name or any(c.isspace() for c in name) or _CONTROL.search(name):
        raise NoteError(f"invalid key name {name!r}: must be non-empty, no spaces or '+'")


def key_id(name: str, typed_public_key: bytes) -> bytes:
    """``SHA-256(name || 0x0A || type || public key)[:4]``."""
    return hashlib.sha256(name.encode() + b"\n" + typed_public_key).digest()[:4]


# --- verifiers and signers -----------------------------------------------------------


class NoteVerifier(Protocol):
    @property
    def name(self) -> str: ...

    @property
    def key_id(self) -> bytes: ...

    def verify(self, text: bytes, sig: bytes) -> bool: ...


@dataclass(frozen=True)
class Ed25519Verifier:
    """A log's (type 0x01) public key, e.g. from ``Ed25519Verifier.from_vkey(...)``."""

    name: str
    public_key: bytes
    alg: int = ALG_ED25519
    key_id: bytes = field(init=False)

    def __post_init__(self) -> None:
        check_key_name(self.name)
        if len(self.public_key) != 32:
            raise NoteError("an Ed25519 public key is 32 bytes")
        object.__setattr__(self, "key_id", key_id(self.name, bytes([self.alg]) + self.public_key))

    @property
    def vkey(self) -> str:
        return f"{self.name}+{self.key_id.hex()}+{_b64(bytes([self.alg]) + self.public_key)}"

    @classmethod
    def from_vkey(cls, vkey: str, *, alg: int = ALG_ED25519) -> Ed25519Verifier:
        name, typ, pub = parse_vkey(vkey)
        if typ != alg:
            raise NoteError(f"verifier key {name} has type 0x{typ:02x}, expected 0x{alg:02x}")
        return cls(name, pub, alg)

    def _verify_raw(self, msg: bytes, signature: bytes) -> bool:
        try:
            Ed25519PublicKey.from_public_bytes(self.public_key).verify(signature, msg)
        except InvalidSignature:
            return False
        return True

    def verify(self, text: bytes, sig: bytes) -> bool:
        return self._verify_raw(text, sig)


def parse_vkey(vkey: str) -> tuple[str, int, bytes]:
    """``name+hex8+base64(type||key)`` -> (name, type, key); checks the key ID."""
    parts = vkey.strip().split("+", 2)
    if len(parts) != 3 or not _HEX8.fullmatch(parts[1]):
        raise NoteError("malformed verifier key", hint="expected name+hex(keyID)+base64(key)")
    name, hex_id, b64 = parts
    check_key_name(name)
    raw = _b64decode(b64)
    if len(raw) < 2:
        raise NoteError("verifier key has no key material")
    if key_id(name, raw).hex() != hex_id:
        raise NoteError(f"verifier key {name}: key ID does not match the key")
    if raw[0] in (ALG_ED25519, ALG_COSIGNATURE_V1) and len(raw) != 33:
        raise NoteError(f"verifier key {name}: an Ed25519 key is 32 bytes")
    return name, raw[0], raw[1:]


class _Signer:
    """What both signer kinds share: a named Ed25519 private key, its verifier, and the
    note signer-key text ``PRIVATE+KEY+name+hex(id)+base64(type||seed)``."""

    _alg: ClassVar[int]
    _verifier_type: ClassVar[type[Ed25519Verifier]]
    _what: ClassVar[str]  # how errors name the key
    _wrong_type: ClassVar[str]  # the error for a key of the other type

    def __init__(self, name: str, private_key: Ed25519PrivateKey) -> None:
        check_key_name(name)
        self.name = name
        self._key = private_key
        pub = private_key.public_key().public_bytes(
            serialization.Encoding.Raw, serialization.PublicFormat.Raw
        )
        self.verifier = self._verifier_type(name, pub)
        self.key_id = self.verifier.key_id

    @classmethod
    def generate(cls, name: str) -> Self:
        return cls(name, Ed25519PrivateKey.generate())

    @classmethod
    def from_skey(cls, skey: str) -> Self:
        parts = skey.strip().split("+", 4)
        if len(parts) != 5 or parts[:2] != ["PRIVATE", "KEY"] or not _HEX8.fullmatch(parts[3]):
            raise NoteError(f"malformed {cls._what}")
        raw = _b64decode(parts[4])
        if len(raw) != 33 or raw[0] != cls._alg:
            raise NoteError(cls._wrong_type)
        signer = cls(parts[2], Ed25519PrivateKey.from_private_bytes(raw[1:]))
        if signer.key_id.hex() != parts[3]:
            raise NoteError(f"{cls._what}: key ID does not match the key")
        return signer

    @property
    def skey(self) -> str:
        seed = self._key.private_bytes(
            serialization.Encoding.Raw,
            serialization.PrivateFormat.Raw,
            serialization.NoEncryption(),
        )
        return f"PRIVATE+KEY+{self.name}+{self.key_id.hex()}+{_b64(bytes([self._alg]) + seed)}"

    @property
    def vkey(self) -> str:
        return self.verifier.vkey


class Ed25519Signer(_Signer):
    """A note signer. ``skey`` is Go's ``PRIVATE+KEY+name+hex(id)+base64(0x01||seed)``."""

    _alg = ALG_ED25519
    _verifier_type = Ed25519Verifier
    _what = "signer key"
    _wrong_type = "signer key is not an Ed25519 seed"

    def sign(self, text: bytes) -> bytes:
        return self._key.sign(text)


def cosignature_message(body: bytes, timestamp: int) -> bytes:
    """What a tlog-cosignature/v1 signs: header, time line, then the checkpoint body."""
    return b"cosignature/v1\ntime %d\n" % timestamp + body


class CosignatureVerifier(Ed25519Verifier):
    """A witness key (type 0x04): signature = uint64 timestamp || Ed25519 over the message."""

    def __init__(self, name: str, public_key: bytes) -> None:
        super().__init__(name, public_key, ALG_COSIGNATURE_V1)

    @classmethod
    def from_vkey(cls, vkey: str, *, alg: int = ALG_COSIGNATURE_V1) -> CosignatureVerifier:
        name, typ, pub = parse_vkey(vkey)
        if typ != ALG_COSIGNATURE_V1:
            raise NoteError(f"witness key {name} has type 0x{typ:02x}, expected 0x04")
        return cls(name, pub)

    def verify(self, text: bytes, sig: bytes) -> bool:
        if len(sig) != 72:
            return False
        (ts,) = struct.unpack(">Q", sig[:8])
        return self._verify_raw(cosignature_message(text, ts), sig[8:])

    @staticmethod
    def timestamp(sig: bytes) -> int:
        return int(struct.unpack(">Q", sig[:8])[0])


class CosignatureSigner(_Signer):
    """A witness that cosigns checkpoints (used by tests and by operators running a witness);
    ``skey`` is ``PRIVATE+KEY+name+hex(id)+base64(0x04||seed)``, the note signer-key shape."""

    _alg = ALG_COSIGNATURE_V1
    _verifier_type = CosignatureVerifier
    _what = "witness signer key"
    _wrong_type = "not a witness (type 0x04) signer key"
    verifier: CosignatureVerifier

    def sign_at(self, text: bytes, timestamp: int) -> bytes:
        return struct.pack(">Q", timestamp) + self._key.sign(cosignature_message(text, timestamp))


# --- notes ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Signature:
    name: str
    key_id: bytes
    signature: bytes

    def line(self) -> str:
        return f"{_SIG_PREFIX}{self.name} {_b64(self.key_id + self.signature)}\n"


@dataclass(frozen=True)
class Note:
    text: bytes
    signatures: tuple[Signature, ...]

    def encode(self) -> bytes:
        return self.text + b"\n" + "".join(s.line() for s in self.signatures).encode()


@dataclass(frozen=True)
class VerifiedNote:
    text: bytes
    verified: tuple[Signature, ...]  # signatures by known keys, all checked
    unverified: tuple[Signature, ...]  # signatures by keys we do not know (ignored)
    note: Note


def parse_note(msg: bytes) -> Note:
    """Split a signed note into its text and signature lines (nothing is verified here)."""
    try:
        s = msg.decode("utf-8")
    except UnicodeDecodeError as e:
        raise NoteError("a signed note must be UTF-8") from e
    if _CONTROL.search(s):
        raise NoteError("a signed note must not contain control characters")
    split = s.rfind("\n\n")
    if split < 0:
        raise NoteError("malformed note: no blank line before the signatures")
    text, sig_block = s[: split + 1], s[split + 2 :]
    if not sig_block.endswith("\n"):
        raise NoteError("malformed note: signature block must end with a newline")
    lines = sig_block[:-1].split("\n")
    if len(lines) > MAX_SIGNATURES:
        raise NoteError(f"note has more than {MAX_SIGNATURES} signatures")
    sigs = []
    for line in lines:
        if not line.startswith(_SIG_PREFIX):
            raise NoteError("malformed signature line", hint=line[:60])
        name, sep, b64 = line[len(_SIG_PREFIX) :].partition(" ")
        if not sep or " " in b64:
            raise NoteError("malformed signature line", hint=line[:60])
        check_key_name(name)
        raw = _b64decode(b64)
        if len(raw) < 5:
            raise NoteError("signature too short")
        sigs.append(Signature(name, raw[:4], raw[4:]))
    return Note(text.encode("utf-8"), tuple(sigs))


def sign_note(text: bytes, *signers: Ed25519Signer, existing: Note | None = None) -> Note:
    if not text.endswith(b"\n"):
        raise NoteError("note text must end with a newline")
    sigs = list(existing.signatures) if existing else []
    for signer in signers:
        sigs.append(Signature(signer.name, signer.key_id, signer.sign(text)))
    return Note(text, tuple(sigs))


def open_note(msg: bytes | Note, verifiers: Sequence[NoteVerifier]) -> VerifiedNote:
    """Parse and verify: raises :class:`NoteError` unless a known key verifies and none fails."""
    note = parse_note(msg) if isinstance(msg, bytes) else msg
    known = {(v.name, v.key_id): v for v in verifiers}
    verified, unverified = [], []
    for sig in note.signatures:
        v = known.get((sig.name, sig.key_id))
        if v is None:
            unverified.append(sig)
            continue
        if not v.verify(note.text, sig.signature):
            raise NoteError(
                f"invalid signature by {sig.name}+{sig.key_id.hex()}",
                hint="the note was altered or signed with another key",
            )
        verified.append(sig)
    if not verified:
        raise NoteError(
            "no signature by a trusted key",
            hint="check the verifier key (name+id+key) you pinned",
        )
    return VerifiedNote(note.text, tuple(verified), tuple(unverified), note)
