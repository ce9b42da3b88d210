"""Encryption at rest for biometric data: AES-256-GCM under one instance key.

The key lives in ``<home>/keys/likeness.key`` (32 random bytes, mode 0600, created on first
use). Every sealed record binds its own id as associated data, so a ciphertext copied onto
another record's row fails to open instead of silently decrypting.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from mediaproof.likeness.errors import LikenessKeyError

KEY_FILE = "likeness.key"
_NONCE = 12
_VERSION = b"\x01"


class SealingKey:
    def __init__(self, key: bytes) -> None:
        if len(key) != 32:
            raise LikenessKeyError("the likeness key must be 32 bytes")
        self._aead = AESGCM(key)

    def seal(self, plaintext: bytes, *, aad: str) -> bytes:
        nonce = os.urandom(_NONCE)
        return _VERSION + nonce + self._aead.encrypt(nonce, plaintext, aad.encode())

    def open(self, blob: bytes, *, aad: str) -> bytes:
        if not blob.startswith(_VERSION) or len(blob) < 1 + _NONCE + 16:
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
    path = keys_dir / KEY_FILE
    if not path.exists():
        keys_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass  # another process won the race; read theirs
        else:
            with os.fdopen(fd, "wb") as f:
                f.write(os.urandom(32))
    mode = path.stat().st_mode
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise LikenessKeyError(
            f"{path} can be read by other users (mode {stat.S_IMODE(mode):o})",
            hint=f"chmod 600 {path}",
        )
    return SealingKey(path.read_bytes())
