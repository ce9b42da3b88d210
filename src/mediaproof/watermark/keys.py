"""The instance's watermark key: 32 random bytes in ``<home>/keys/watermark.key``.

The key seeds every keyed pattern, so whoever holds it can both read and forge this
instance's marks: it is written 0600 and never logged. Losing it means existing marks
can no longer be read.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from mediaproof.watermark.errors import WatermarkKeyError

KEY_FILE = "watermark.key"
KEY_BYTES = 32


def watermark_key_path(home: Path) -> Path:
    return home / "keys" / KEY_FILE


def load_watermark_key(home: Path) -> bytes:
    path = watermark_key_path(home)
    try:
        data = path.read_bytes()
    except FileNotFoundError as e:
        raise WatermarkKeyError(
            f"no watermark key at {path}", hint="run `mediaproof watermark embed` once"
        ) from e
    except OSError as e:
        raise WatermarkKeyError(f"cannot read the watermark key {path}: {e.strerror}") from e
    if len(data) < 16:
        raise WatermarkKeyError(f"watermark key {path} is shorter than 16 bytes")
    return data


def ensure_watermark_key(home: Path) -> bytes:
    """Return the instance's key, creating it (0600, in a 0700 keys directory) if absent."""
    path = watermark_key_path(home)
    if path.exists():
        return load_watermark_key(home)
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    key = secrets.token_bytes(KEY_BYTES)
    # O_EXCL: two processes racing to create the key must not both win
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return load_watermark_key(home)
    with os.fdopen(fd, "wb") as f:
        f.write(key)
    return key
