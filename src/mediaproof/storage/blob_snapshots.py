"""Immutable snapshot folders (the fingerprint index's) kept in a blob store.

A snapshot is a folder of files written once. In the store it is
``<namespace>/<name>/<file>`` for each file, then ``<namespace>/<name>/MANIFEST.json``
(each file's SHA-256 and size, written last, so a snapshot without one is incomplete),
then ``<namespace>/CURRENT`` naming the live snapshot (one atomic write).

Memory-mapping needs a local file: :meth:`SnapshotShelf.fetch` copies the current
snapshot into a local folder (each file fetched to a temporary name and checked against
its digest; the folder renamed into place whole) and names it in the local ``CURRENT``,
the layout ``services.fingerprints`` reads. On the local blob store the snapshot folder
already is the store, and no shelf is used.
"""

from __future__ import annotations

import json
import logging
import shutil
import uuid
from pathlib import Path

from mediaproof.errors import BlobNotFoundError, BlobStoreError, StorageError
from mediaproof.storage.blobs import BlobStore, check_key, fetch_into_cache, file_sha256

log = logging.getLogger(__name__)

MANIFEST = "MANIFEST.json"
CURRENT = "CURRENT"


class SnapshotShelf:
    def __init__(self, store: BlobStore, namespace: str = "index") -> None:
        self.store = store
        self.namespace = check_key(namespace)

    def _key(self, *parts: str) -> str:
        return check_key("/".join((self.namespace, *parts)))

    def current(self) -> str | None:
        """The live snapshot's name, or None when none was published."""
        try:
            name = self.store.get(self._key(CURRENT)).decode("ascii", "replace").strip()
        except BlobNotFoundError:
            return None
        check_key(name)
        return name

    def names(self) -> list[str]:
        """Complete snapshots in the store (those with a manifest)."""
        suffix = "/" + MANIFEST
        out = []
        for key in self.store.list(self.namespace + "/"):
            rest = key[len(self.namespace) + 1 :]
            if rest.endswith(suffix) and rest.count("/") == 1:
                out.append(rest[: -len(suffix)])
        return out

    def publish(self, folder: Path) -> str:
        """Upload a finished snapshot folder and make it the current one; then remove
        complete snapshots that are neither it nor what ``CURRENT`` names at that moment
        (another writer may have switched it meanwhile). Returns its name."""
        name = check_key(folder.name)
        manifest: dict[str, dict[str, int | str]] = {}
        for p in sorted(folder.iterdir()):
            if not p.is_file() or p.name.startswith("."):
                continue
            digest = file_sha256(p)
            self.store.put_file(self._key(name, p.name), p, sha256=digest)
            manifest[p.name] = {"sha256": digest, "size": p.stat().st_size}
        if not manifest:
            raise StorageError(f"snapshot folder {folder.name} is empty")
        self.store.put(self._key(name, MANIFEST), json.dumps(manifest, sort_keys=True).encode())
        self.store.put(self._key(CURRENT), name.encode())
        live = self.current()
        for old in self.names():
            if old not in (name, live):
                self._remove(old)
        log.info("published index snapshot %s to %s", name, self.store.describe())
        return name

    def _remove(self, name: str) -> None:
        # the manifest first: a half-removed snapshot reads as incomplete, never as whole
        self.store.delete(self._key(name, MANIFEST))
        for key in self.store.list(self._key(name) + "/"):
            self.store.delete(key)

    def fetch(self, local_root: Path) -> str | None:
        """Make ``local_root/<name>`` a checked copy of the current snapshot and name it
        in ``local_root/CURRENT``; returns its name, None when none is published.
        Raises BlobStoreError when the store fails or a file does not match its digest."""
        name = self.current()
        if name is None:
            return None
        dest = local_root / name
        if not dest.is_dir():
            try:
                manifest = json.loads(self.store.get(self._key(name, MANIFEST)))
            except BlobNotFoundError as e:
                raise BlobStoreError(f"index snapshot {name} is current but incomplete") from e
            except ValueError as e:
                raise BlobStoreError(f"index snapshot {name} has an unreadable manifest") from e
            local_root.mkdir(mode=0o700, parents=True, exist_ok=True)
            tmp = local_root / f"{name}.fetch-{uuid.uuid4().hex[:8]}.tmp"
            try:
                for file, info in sorted(manifest.items()):
                    key = self._key(name, check_key(file))
                    got = fetch_into_cache(self.store, key, tmp / file, str(info["sha256"]))
                    if got.stat().st_size != int(info["size"]):
                        raise BlobStoreError(f"index snapshot file {file} has the wrong size")
                try:
                    tmp.rename(dest)
                except OSError:
                    if not dest.is_dir():  # another process of this box fetched it first
                        raise
            finally:
                shutil.rmtree(tmp, ignore_errors=True)
        before = local_root / CURRENT
        previous = before.read_text().strip() if before.is_file() else None
        pointer = local_root / f"{CURRENT}.{uuid.uuid4().hex[:8]}.tmp"
        pointer.write_text(name)
        pointer.replace(before)
        # local copies other than this one and the one it replaces (which a process of
        # this box may still be mapping) go; fetches under way (.tmp) stay
        for old in local_root.iterdir():
            if old.is_dir() and old.suffix != ".tmp" and old.name not in (name, previous):
                shutil.rmtree(old, ignore_errors=True)
        return name
