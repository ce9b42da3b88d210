"""Fingerprints in the registry: stored at registration, served to the match analyzer.

:class:`SqlFingerprintLookup` implements ``matching.lookup.FingerprintLookup`` (and
``OriginalImages``) over the ``fingerprints`` table. Rows are loaded once into an
in-memory ``FingerprintStore`` (exact Hamming indexes for PDQ and vPDQ, a digest map,
the audio prints) and topped up with newer rows at most once a second, so originals
registered by another process (an API worker, the CLI) become matchable without a
restart. Only active assets are served: each refresh also drops assets that were
withdrawn since (by this process or another), and a restart never loads them.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from mediaproof.config import Limits
from mediaproof.errors import LimitExceededError, MediaproofError
from mediaproof.fingerprint.fingerprints import fingerprint_file
from mediaproof.fingerprint.video import md5_file as _md5
from mediaproof.matching.lookup import Candidate, FingerprintEntry, FingerprintStore, entries_for
from mediaproof.media.ingest import MediaInfo
from mediaproof.media.sniff import MediaKind
from mediaproof.storage.blobs import BlobStore
from mediaproof.storage.sql.engine import Database
from mediaproof.storage.sql.repos import AssetRepository
from mediaproof.storage.sql.repos_fingerprints import FingerprintRepository

log = logging.getLogger(__name__)

SIGNALS = ("pdq", "vpdq", "md5", "chromaprint")
REFRESH_EVERY_S = 1.0


def fingerprint_entries(media: MediaInfo, limits: Limits) -> list[FingerprintEntry]:
    """What to store for an original. Media without a fingerprint (documents) or that
    cannot be fingerprinted here (e.g. an image format Pillow cannot decode) still get
    registered, with their MD5 only, and a warning in the log."""
    if media.kind not in (MediaKind.IMAGE, MediaKind.VIDEO, MediaKind.AUDIO):
        return []
    if media.kind is not MediaKind.IMAGE and media.duration_s is None:
        # the sandboxed probe could not read the container: do not decode it in-process
        log.warning("registered %s without perceptual fingerprints: unprobed", media.sha256[:12])
        return [FingerprintEntry("md5", digest=_md5(media.path))]
    try:
        fps = fingerprint_file(media.path, kind=media.kind, reference=True, limits=limits)
    except LimitExceededError:
        raise
    except MediaproofError as e:
        log.warning("registered %s without perceptual fingerprints: %s", media.sha256[:12], e)
        return [FingerprintEntry("md5", digest=_md5(media.path))]
    return entries_for(fps)


class SqlFingerprintLookup:
    def __init__(self, db: Database, blobs: BlobStore | None = None) -> None:
        self._db = db
        self._blobs = blobs
        self._store = FingerprintStore()
        self._last_id = 0
        self._checked = -1e9
        self._gone: set[int] = set()  # inactive assets already dropped from the store
        self._lock = threading.Lock()

    def refresh(self, *, force: bool = False) -> None:
        """Load rows added since the last call (at most once a second unless forced)."""
        if not force and time.monotonic() - self._checked < REFRESH_EVERY_S:
            return
        with self._lock, self._db.session() as s:
            repo = FingerprintRepository(s)
            self._store.add_many(self._new_rows(repo))  # one audio-index merge per batch
            # withdrawn elsewhere (another worker, the CLI): stop serving them here too
            for asset_id in repo.inactive_asset_ids() - self._gone:
                self._store.remove_asset(str(asset_id))
                self._gone.add(asset_id)
            self._checked = time.monotonic()

    def _new_rows(self, repo: FingerprintRepository) -> Iterator[tuple[int, str, FingerprintEntry]]:
        for row_id, asset_id, entry in repo.since(self._last_id, SIGNALS):
            self._last_id = max(self._last_id, row_id)
            yield row_id, str(asset_id), entry

    def forget_asset(self, asset_id: int) -> None:
        """Stop serving an asset's fingerprints at once (after it was withdrawn)."""
        with self._lock:
            self._store.remove_asset(str(asset_id))
            self._gone.add(asset_id)

    def find_near(self, signal: str, value: Any, max_distance: float) -> list[Candidate]:
        self.refresh()
        return self._store.find_near(signal, value, max_distance)

    def original_image(self, asset_id: str) -> Path | None:
        """The kept original's file, when originals are kept and it is an image."""
        if self._blobs is None or not asset_id.isdigit():
            return None
        with self._db.session() as s:
            asset = AssetRepository(s).get(int(asset_id))
        if asset is None or asset.original_blob is None or not asset.mime.startswith("image/"):
            return None
        if not self._blobs.exists(asset.original_blob):
            return None
        return self._blobs.path(asset.original_blob)
