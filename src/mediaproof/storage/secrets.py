"""Secrets the service must read back in clear (webhook HMAC keys), sealed at rest.

Like likeness data (mediaproof.likeness.crypto): AES-256-GCM under an instance key kept
outside the database, in ``<home>/keys/secrets.key`` (32 random bytes, 0600 in a 0700
folder, created on first use, refused when others can read it). A database dump or a
stolen backup of the database alone then holds no usable webhook secret. Each sealed
value binds what it belongs to (e.g. ``webhook:<platform>``) as associated data, so a
ciphertext copied onto another row fails to open instead of signing for it.

Stored form: ``mpsec1:`` + base64url(nonce || ciphertext+tag), ASCII for a text column.
"""

from __future__ import annotations

import base64
import os
import threading
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from mediaproof.errors import ConfigError, StorageError
from mediaproof.keyfiles import KEY_SIZE, load_or_create_key_file

KEY_FILE = "secrets.key"
PREFIX = "mpsec1:"
_NONCE = 12


def is_sealed(value: str) -> bool:
    return value.startswith(PREFIX)


class SecretBox:
    """Seals and opens short secrets with the instance's secrets key (loaded lazily, so
    an instance that stores no secret never makes a key)."""

    def __init__(self, keys_dir: Path) -> None:
        self.keys_dir = keys_dir
        self._aead: AESGCM | None = None
        self._mu = threading.Lock()

    def _key(self) -> AESGCM:
        with self._mu:
            if self._aead is None:
                self._aead = AESGCM(load_or_create_key(self.keys_dir))
            return self._aead

    def seal(self, plaintext: str, *, aad: str) -> str:
        nonce = os.urandom(_NONCE)
        ct = self._key().encrypt(nonce, plaintext.encode(), aad.encode())
        return PREFIX + base64.urlsafe_b64encode(nonce + ct).decode("ascii")

    def open(self, stored: str, *, aad: str) -> str:
        if not is_sealed(stored):
            raise StorageError("a stored secret is not sealed", hint="run the migrations")
        try:
            raw = base64.urlsafe_b64decode(stored[len(PREFIX) :].encode("ascii"))
            return self._key().decrypt(raw[:_NONCE], raw[_NONCE:], aad.encode()).decode()
        except (InvalidTag, ValueError) as e:
            raise StorageError(
                "cannot decrypt a stored secret: wrong secrets key or altered record",
                hint=f"restore {self.keys_dir / KEY_FILE} from the backup made with the database",
            ) from e


def load_or_create_key(keys_dir: Path) -> bytes:
    """Read ``keys/secrets.key``, creating it (0600, in a 0700 folder) if there is none."""
    path = keys_dir / KEY_FILE
    key = load_or_create_key_file(path, error=ConfigError)
    if len(key) != KEY_SIZE:
        raise ConfigError(f"{path} is not a 32-byte key", hint="restore it from a backup")
    return key


__all__ = ["KEY_FILE", "PREFIX", "SecretBox", "is_sealed", "load_or_create_key"]
