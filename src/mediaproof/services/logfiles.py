"""The transparency log's static tlog-tiles files, read-only, for the HTTP service."""

from __future__ import annotations

import re
from pathlib import Path

from mediaproof.errors import NotFoundError
from mediaproof.services import log_publish
from mediaproof.services.instance import Instance
from mediaproof.storage.blobs import LocalBlobStore

_SEGMENT = re.compile(r"^[A-Za-z0-9_-][A-Za-z0-9._-]{0,63}$")  # no "..", no hidden files


def log_root(inst: Instance) -> Path | None:
    root = inst.home / "log"
    return root if root.is_dir() else None


def log_file(inst: Instance, rel: str) -> Path:
    """A file under ``<home>/log/``; anything else (traversal, links out, dirs) is 404.
    With an object store, the store's ``log/`` (see services.log_publish)."""
    if not isinstance(inst.blob_store, LocalBlobStore):
        return log_publish.log_file(inst, rel)
    root = log_root(inst)
    if root is None:
        raise NotFoundError("this instance does not publish a transparency log")
    parts = rel.split("/")
    if not 1 <= len(parts) <= 12 or not all(_SEGMENT.match(p) for p in parts):
        raise NotFoundError("no such log file")
    real_root = root.resolve()
    path = root.joinpath(*parts).resolve()
    if not path.is_relative_to(real_root) or not path.is_file():
        raise NotFoundError("no such log file")
    return path
