"""The transparency log's public tlog-tiles files in the blob store.

On the local store ``<home>/log/`` already is the store's ``log/`` namespace: nothing to
do. With an object store, the log's writer (one process, see transparency.log) copies
what a new checkpoint adds there after signing it: the new full and partial tiles and
entry bundles first, ``log.vkey`` once, ``checkpoint`` last, so a reader of the store
never sees a checkpoint whose tiles are missing. What to send is worked out from the
checkpoint the store holds, so a publish that failed half-way is completed by the next.

The store's checkpoint must be one this log signed, for a tree this log extends: a
second writer with a log of its own (a misconfigured replica) is refused rather than
allowed to overwrite the published log. Every API process serves ``/log/`` from the
store (:func:`log_file`): full tiles never change and are cached locally; the
checkpoint and partial tiles are fetched afresh.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import tempfile
from pathlib import Path

from mediaproof.errors import BlobNotFoundError, MediaproofError, NotFoundError
from mediaproof.services.instance import Instance
from mediaproof.storage.blobs import BlobStore, LocalBlobStore, check_key
from mediaproof.transparency.checkpoint import open_checkpoint
from mediaproof.transparency.errors import LogError
from mediaproof.transparency.log import TransparencyLog
from mediaproof.transparency.note import parse_note
from mediaproof.transparency.tiles import TILE_WIDTH, tiles_between

log = logging.getLogger(__name__)

NAMESPACE = "log"
_SEGMENT = re.compile(r"^[A-Za-z0-9_-][A-Za-z0-9._-]{0,63}$")  # no "..", no hidden files


def publish_log(inst: Instance, tlog: TransparencyLog) -> int:
    """Bring the store's copy of the public log up to ``tlog``'s latest checkpoint;
    returns how many files were sent (0 on the local store). Raises LogError when the
    store holds a log this one does not extend, BlobStoreError when the store fails."""
    store = inst.blob_store
    if isinstance(store, LocalBlobStore):
        return 0
    latest = tlog.latest_checkpoint()
    if latest is None:
        return 0
    size = latest.checkpoint.size
    served = (tlog.public_dir / "checkpoint").read_bytes()
    try:
        theirs = store.get(f"{NAMESPACE}/checkpoint")
    except BlobNotFoundError:
        have = 0
    else:
        if theirs == served:
            return 0
        try:
            cp = open_checkpoint(parse_note(theirs), tlog.verifier).checkpoint
        except MediaproofError as e:
            raise LogError(
                "the object store holds a transparency log checkpoint this log did not "
                "sign; not overwriting it",
                hint="another instance writes to the same MEDIAPROOF_BLOB_STORE prefix",
            ) from e
        if cp.origin != latest.checkpoint.origin or cp.size > size or tlog.root(cp.size) != cp.root:
            raise LogError(
                f"the object store's transparency log (size {cp.size}) is not a prefix of "
                f"this one (size {size}); not overwriting it",
                hint="another instance writes to the same MEDIAPROOF_BLOB_STORE prefix",
            )
        have = cp.size
    sent = 0
    for ref in tiles_between(have, size):
        for rel in (ref.path, ref.entries_path if ref.level == 0 else None):
            if rel is None:
                continue
            store.put_file(f"{NAMESPACE}/{rel}", tlog.public_dir / rel)
            sent += 1
            if ref.width == TILE_WIDTH:  # the partial versions of a now-full tile may go
                for old in list(store.list(f"{NAMESPACE}/{rel}.p/")):
                    store.delete(old)
    if not store.exists(f"{NAMESPACE}/log.vkey"):
        store.put(f"{NAMESPACE}/log.vkey", (tlog.public_dir / "log.vkey").read_bytes())
        sent += 1
    store.put(f"{NAMESPACE}/checkpoint", served)
    return sent + 1


def publish_quietly(inst: Instance, tlog: TransparencyLog) -> None:
    """:func:`publish_log` after a checkpoint; a failure is logged, never raised (the
    entries are in the log already; the next checkpoint sends what is missing)."""
    try:
        publish_log(inst, tlog)
    except (MediaproofError, OSError) as e:
        log.warning("the transparency log could not be published to the blob store: %s", e)


def _mutable(rel: str) -> bool:
    return rel in ("checkpoint", "log.vkey") or ".p/" in rel


def _fetch_fresh(store: BlobStore, key: str, dest: Path) -> Path:
    dest.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    data = store.get(key)
    fd, tmp = tempfile.mkstemp(dir=dest.parent, prefix=".fetch-")
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
        os.replace(tmp, dest)  # a response already streaming keeps the old file
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
    return dest


def log_file(inst: Instance, rel: str) -> Path:
    """A public log file from an object store, as a local file to serve (see module)."""
    parts = rel.split("/")
    if not 1 <= len(parts) <= 12 or not all(_SEGMENT.match(p) for p in parts):
        raise NotFoundError("no such log file")
    store = inst.blob_store
    key = check_key(f"{NAMESPACE}/{rel}")
    try:
        if _mutable(rel):
            return _fetch_fresh(store, key, inst.settings.cache_dir / "log-fresh" / rel)
        return store.local_path(key)
    except BlobNotFoundError as e:
        raise NotFoundError("no such log file") from e
