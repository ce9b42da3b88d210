"""Encryption at rest for biometric data: AES-256-GCM.

The instance key lives in ``<home>/keys/likeness.key`` (32 random bytes, mode 0600,
created on first use); it seals what is tied to nobody (the impostor reference) and wraps
the per-enrolment data keys of :class:`Keyring`, which seal everything about one person so
that deleting the person's key file erases every copy of their rows. Every sealed record
binds its own id as associated data, so a ciphertext copied onto another record's row
fails to open instead of silently decrypting.
"""

from __future__ import annotations

import os
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from mediaproof.keyfiles import fsync_dir, load_or_create_key_file
from mediaproof.likeness.errors import LikenessKeyError

KEY_FILE = "likeness.key"
_NONCE = 12
_VERSION = b"\x01"


class SealingKey:
    """AES-256-GCM with a one-byte format prefix: 0x01 the instance key, 0x02 an
    enrolment's data key (:class:`Keyring`)."""

    def __init__(self, key: bytes, *, version: bytes = _VERSION) -> None:
        if len(key) != 32:
            raise LikenessKeyError("the likeness key must be 32 bytes")
        self._aead = AESGCM(key)
        self.version = version

    def seal(self, plaintext: bytes, *, aad: str) -> bytes:
        nonce = os.urandom(_NONCE)
        return self.version + nonce + self._aead.encrypt(nonce, plaintext, aad.encode())

    def open(self, blob: bytes, *, aad: str) -> bytes:
        if not blob.startswith(self.version) or len(blob) < 1 + _NONCE + 16:
            raise LikenessKeyError("stored likeness record is not in a known format")
        nonce = blob[1 : 1 + _NONCE]
        try:
            return self._aead.decrypt(nonce, blob[1 + _NONCE :], aad.encode())
        except InvalidTag as e:
            raise LikenessKeyError(
                "cannot decrypt stored likeness data: wrong instance key or altered record",
                hint="restore keys/likeness.key from backup; without it the data is unreadable",
            ) from e


def load_or_create_key(keys_dir: Path) -> SealingKey:
    """Read the instance key, creating it (0600, in a 0700 folder) if there is none."""
    return SealingKey(load_or_create_key_file(keys_dir / KEY_FILE, error=LikenessKeyError))


# --- per-enrolment data keys (crypto-shredding) ---------------------------------------

KEYRING_DIR = "likeness"  # <home>/keys/likeness/, one wrapped data key per enrolment
_DATA_VERSION = b"\x02"
_TOMBSTONE = ".deleted"


class Keyring:
    """One random 32-byte data key per enrolment, each in its own 0600 file
    ``<home>/keys/likeness/<hex of the enrolment id>.key``, wrapped (AES-GCM, the
    enrolment id as associated data) under the instance key: a copy of the folder alone
    opens nothing. Destroying a key file makes every row sealed under it unreadable,
    wherever a copy of that row lives (PostgreSQL dead tuples, WAL archives, backups).

    :meth:`shred` leaves a tombstone (``<hex>.deleted``, holding only the enrolment's
    digest) until the store has also deleted the rows, so a crash in between is finished
    by :meth:`SqlLikenessStore.recover` rather than guessed from a missing key (a keys
    folder that was lost must not read as "everyone was deleted").

    Keys are read from disk on every use, never cached across calls: a key shredded by
    another process is gone for this one too.
    """

    def __init__(self, keys_dir: Path, instance_key: SealingKey) -> None:
        self.dir = keys_dir / KEYRING_DIR
        self.instance = instance_key

    @classmethod
    def open(cls, keys_dir: Path) -> Keyring:
        return cls(keys_dir, load_or_create_key(keys_dir))

    def _path(self, enrolment_id: str, suffix: str = ".key") -> Path:
        return self.dir / (enrolment_id.encode().hex() + suffix)

    def raw(self, enrolment_id: str) -> bytes | None:
        """The enrolment's data key, or None when it has none (never had, or shredded;
        a key file a crash left half-overwritten next to its tombstone counts as gone)."""
        if self.shredded(enrolment_id):
            return None
        try:
            wrapped = self._path(enrolment_id).read_bytes()
        except FileNotFoundError:
            return None
        return self.instance.open(wrapped, aad=f"datakey:{enrolment_id}")

    def get(self, enrolment_id: str) -> SealingKey | None:
        raw = self.raw(enrolment_id)
        return None if raw is None else SealingKey(raw, version=_DATA_VERSION)

    def shredded(self, enrolment_id: str) -> bool:
        """Whether the enrolment's key was destroyed and its rows may not be deleted yet."""
        return self._path(enrolment_id, _TOMBSTONE).exists()

    def create(self, enrolment_id: str) -> SealingKey:
        """The enrolment's data key, created (0600, written whole then renamed) if absent.
        Refused for an enrolment being deleted: nothing new may be sealed for it."""
        if self.shredded(enrolment_id):
            raise LikenessKeyError(f"enrolment {enrolment_id} is being deleted")
        have = self.get(enrolment_id)
        if have is not None:
            return have
        self.dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        path = self._path(enrolment_id)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.{os.urandom(4).hex()}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(self.instance.seal(os.urandom(32), aad=f"datakey:{enrolment_id}"))
            f.flush()
            os.fsync(f.fileno())
        try:
            os.link(tmp, path)  # fails if a concurrent creator won: then use theirs
        except FileExistsError:
            pass
        finally:
            tmp.unlink()
        fsync_dir(self.dir)
        key = self.get(enrolment_id)
        if key is None:  # shredded while we were writing it
            raise LikenessKeyError(f"enrolment {enrolment_id} is being deleted")
        return key

    def shred(self, enrolment_id: str, digest: str) -> None:
        """Tombstone, then overwrite and remove the enrolment's key file."""
        self.dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        stone = self._path(enrolment_id, _TOMBSTONE)
        fd = os.open(stone, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(digest)
            f.flush()
            os.fsync(f.fileno())
        path = self._path(enrolment_id)
        try:
            size = path.stat().st_size
            with path.open("r+b") as kf:
                kf.write(os.urandom(size))
                kf.flush()
                os.fsync(kf.fileno())
            path.unlink()
        except FileNotFoundError:
            pass
        fsync_dir(self.dir)

    def tombstones(self) -> dict[str, str]:
        """Enrolments whose key was shredded but whose rows may remain: id -> digest."""
        if not self.dir.exists():
            return {}
        out = {}
        for p in self.dir.glob("*" + _TOMBSTONE):
            try:
                eid = bytes.fromhex(p.name[: -len(_TOMBSTONE)]).decode()
                out[eid] = p.read_text().strip()
            except (ValueError, FileNotFoundError):
                continue
        return out

    def clear_tombstone(self, enrolment_id: str) -> None:
        self._path(enrolment_id, _TOMBSTONE).unlink(missing_ok=True)

    def key_ids(self) -> dict[str, float]:
        """Enrolment ids that have a key file, with the file's modification time."""
        if not self.dir.exists():
            return {}
        out = {}
        for p in self.dir.glob("*.key"):
            if p.name.startswith("."):
                continue
            try:
                out[bytes.fromhex(p.stem).decode()] = p.stat().st_mtime
            except (ValueError, FileNotFoundError):
                continue
        return out
