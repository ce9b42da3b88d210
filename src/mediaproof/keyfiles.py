"""Instance key files: random bytes kept outside the database, readable by the owner only.

Both the likeness key (``mediaproof.likeness.crypto``) and the secrets key
(``mediaproof.storage.secrets``) live as ``<home>/keys/<name>``: 32 random bytes, mode
0600 in a 0700 folder, created on first use, and refused when other users can read them.
Each caller passes the error its domain raises, so a bad key still says which key it is.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from mediaproof.errors import MediaproofError

KEY_SIZE = 32


def load_or_create_key_file(path: Path, *, error: type[MediaproofError]) -> bytes:
    """Read the key at ``path``, creating it (0600, in a 0700 folder) if there is none.

    Raises ``error`` when others can read it. The length is the caller's to check.
    """
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass  # another process won the race; read theirs
        else:
            with os.fdopen(fd, "wb") as f:
                f.write(os.urandom(KEY_SIZE))
                f.flush()
                os.fsync(f.fileno())
    mode = path.stat().st_mode
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise error(
            f"{path} can be read by other users (mode {stat.S_IMODE(mode):o})",
            hint=f"chmod 600 {path}",
        )
    return path.read_bytes()


def fsync_dir(path: Path) -> None:
    """Make a rename or unlink in ``path`` durable."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
