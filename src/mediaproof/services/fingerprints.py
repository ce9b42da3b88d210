"""Fingerprints in the registry: stored at registration, served to the match analyzer.

:class:`SqlFingerprintLookup` implements ``matching.lookup.FingerprintLookup`` (and
``OriginalImages``) over the ``fingerprints`` table. Rows are loaded once into an
in-memory ``FingerprintStore`` (exact Hamming indexes for PDQ and vPDQ, a digest map,
the audio prints) and topped up with newer rows at most once a second, so originals
registered by another process (an API worker, the CLI) become matchable without a
restart. Only active assets are served: each refresh also drops assets that were
withdrawn since (by this process or another), and a restart never loads them.

With ``remote`` (``MEDIAPROOF_MATCHERS``: the sharded matchers, services.matcher_client)
PDQ and vPDQ lookups go to the matchers and this process keeps only the audio prints.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import json
import logging
import shutil
import threading
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from mediaproof.config import Limits
from mediaproof.errors import LimitExceededError, MalformedMediaError, MediaproofError
from mediaproof.fingerprint.fingerprints import Fingerprints, fingerprint_file
from mediaproof.fingerprint.pdq import ImageFingerprint
from mediaproof.fingerprint.video import md5_file as _md5
from mediaproof.matching.lookup import (
    Candidate,
    FingerprintEntry,
    FingerprintLookup,
    FingerprintStore,
    entries_for,
)
from mediaproof.media.ingest import MediaInfo
from mediaproof.media.sniff import MediaKind
from mediaproof.observability.metrics import timed_lookup
from mediaproof.storage.blob_snapshots import SnapshotShelf
from mediaproof.storage.blobs import ContentStore
from mediaproof.storage.sql.engine import Database
from mediaproof.storage.sql.repos import AssetRepository
from mediaproof.storage.sql.repos_changes import ChangesPrunedError
from mediaproof.storage.sql.repos_fingerprints import FingerprintColumns, FingerprintRepository
from mediaproof.storage.sql.repos_ops import OpsRepository

log = logging.getLogger(__name__)

HASH_ROWS = ("pdq", "vpdq", "chromaprint")  # md5 lookups query the database's index
REFRESH_EVERY_S = 1.0
CHANGES_BATCH = 5_000  # changes followed per query


# image formats this build always decodes: one of these that does not is broken
DECODED_IMAGE_MIMES = frozenset(
    {"image/jpeg", "image/png", "image/gif", "image/webp", "image/tiff", "image/bmp"}
)
BROKEN_RELEASE_HINT = (
    "send the complete original file: a release must decode, or a stripped copy of it "
    "could never be traced back to it"
)


def fingerprint_entries(
    media: MediaInfo,
    limits: Limits,
    image: ImageFingerprint | None = None,
    *,
    strict: bool = False,
) -> list[FingerprintEntry]:
    """What to store for an original. Media without a fingerprint (documents) or that
    cannot be fingerprinted here (e.g. an image format Pillow cannot decode) still get
    registered, with their MD5 only, and a warning in the log. ``image``: the image's
    PDQ (with its dihedral variants) already computed from the pixels written to it.

    ``strict`` (a release being published): a file of a format this build reads that
    does not decode (cut off, no pixels, a container ffprobe cannot read) is refused with
    :class:`MalformedMediaError` instead of registered with its MD5 only. Formats this
    build cannot read at all (HEIC, AVIF without plugins) and audio or video where no
    ffprobe is installed still register with their MD5 only."""
    if media.kind not in (MediaKind.IMAGE, MediaKind.VIDEO, MediaKind.AUDIO):
        return []
    if image is not None and media.kind is MediaKind.IMAGE:
        md5 = media.md5 or _md5(media.path)  # (ingest's pass computed it for a signed file)
        return entries_for(Fingerprints(MediaKind.IMAGE, md5, image=image))
    if media.kind is not MediaKind.IMAGE and media.duration_s is None:
        if strict and shutil.which("ffprobe") is not None:
            raise MalformedMediaError(
                f"the {media.kind.value} container could not be read", hint=BROKEN_RELEASE_HINT
            )
        # the sandboxed probe could not read the container: do not decode it in-process
        log.warning("registered %s without perceptual fingerprints: unprobed", media.sha256[:12])
        return [FingerprintEntry("md5", digest=_md5(media.path))]
    try:
        fps = fingerprint_file(media.path, kind=media.kind, reference=True, limits=limits)
    except LimitExceededError:
        raise
    except MediaproofError as e:
        broken = isinstance(e, MalformedMediaError) or media.mime in DECODED_IMAGE_MIMES
        if strict and broken:
            raise MalformedMediaError(
                f"the file does not decode: {e}", hint=BROKEN_RELEASE_HINT
            ) from e
        log.warning("registered %s without perceptual fingerprints: %s", media.sha256[:12], e)
        return [FingerprintEntry("md5", digest=_md5(media.path))]
    return entries_for(fps)


SNAPSHOT_VERSION = 1
SNAPSHOT_AFTER_NEW_ROWS = 100_000  # a start that caught up more than this writes a snapshot


def _release_free_heap() -> None:
    """Hand the heap pages a load freed back to the system (glibc keeps them otherwise:
    at 10^6 rows the row batches and build temporaries left ~270 bytes a hash resident)."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        libc.malloc_trim(0)
    except (OSError, AttributeError):  # not glibc: nothing to do
        pass


@dataclass
class IndexProgress:
    """What the fingerprint index is doing (``/readyz`` reports it)."""

    phase: str = "idle"  # idle -> loading (snapshot / rows) -> ready | failed
    snapshot_rows: int = 0  # hashes served from the memory-mapped snapshot
    caught_up_rows: int = 0  # rows read from the database since the snapshot (or all)
    error: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "phase": self.phase, "snapshot_rows": self.snapshot_rows,
            "caught_up_rows": self.caught_up_rows, "error": self.error,
        }  # fmt: skip


def add_hash_columns(store: FingerprintStore, b: FingerprintColumns) -> None:
    """Index the hash rows of ``b`` in ``store`` (its audio rows are added apart)."""
    for signal in FingerprintStore.HASH_SIGNALS:
        sel = b.signal == signal
        if sel.any():
            store.add_hash_arrays(
                signal, rows=b.ids[sel], assets=b.asset_ids[sel], hashes=b.values[sel],
                quality=b.quality[sel], variant=b.variant[sel], frame=b.frame[sel],
                total=b.frames_total[sel],
            )  # fmt: skip


def unserved(store: FingerprintStore, cols: FingerprintColumns) -> np.ndarray[Any, Any]:
    """Which hash rows of ``cols`` ``store`` does not serve yet: applying a change twice
    must not add its rows twice."""
    fresh = np.zeros(len(cols.ids), np.bool_)
    for signal in FingerprintStore.HASH_SIGNALS:
        sel = cols.signal == signal
        if sel.any():
            fresh[sel] = ~store.has_rows(signal, cols.ids[sel])
    return fresh


class SqlFingerprintLookup:
    """``snapshot_dir``: where index snapshots live (``<home>/index``); None: no
    snapshots, every start reads all rows (still in bulk, as arrays). ``shelf``: an
    object store the snapshots are published to and fetched from (``snapshot_dir`` is
    then a local cache of them, memory-mapped). ``remote``: answers PDQ and vPDQ
    lookups instead of this process (the sharded matchers); only audio is loaded here."""

    REMOTE_SIGNALS = ("pdq", "vpdq")

    def __init__(
        self,
        db: Database,
        blobs: ContentStore | None = None,
        snapshot_dir: Path | None = None,
        shelf: SnapshotShelf | None = None,
        remote: FingerprintLookup | None = None,
    ) -> None:
        self._db = db
        self._remote = remote
        self._signals: tuple[str, ...] = ("chromaprint",) if remote is not None else HASH_ROWS
        if remote is not None:  # the matchers keep the hash snapshots, not this process
            snapshot_dir, shelf = None, None
        self._blobs = blobs
        self._snapshot_dir = snapshot_dir
        self._shelf = shelf
        self._store = FingerprintStore(md5=False)  # digests: the database's index answers
        self._last_id = 0
        self._seq = 0  # the last change (``index_changes``) followed
        self._snapshot_seq = 0  # the change the loaded snapshot had followed
        self._checked = -1e9
        self._gone: set[int] = set()  # inactive assets already dropped from the store
        self._lock = threading.Lock()
        self._loaded = threading.Event()
        self._loader: threading.Thread | None = None
        self.progress = IndexProgress()

    # --- start-up ------------------------------------------------------------------

    def start_loading(self) -> None:
        """Load in the background (the service's start): ``/readyz`` answers 503 with
        the progress meanwhile, and lookups wait for the load rather than miss rows."""
        with self._lock:
            if self._loaded.is_set() or self._loader is not None:
                return
            self._loader = threading.Thread(
                target=self._load_logged, name="mediaproof-index", daemon=True
            )
            self._loader.start()

    @property
    def ready(self) -> bool:
        return self._loaded.is_set()

    def wait_ready(self, timeout_s: float) -> bool:
        """Wait up to ``timeout_s`` for the load (a small registry is ready at start)."""
        return self._loaded.wait(timeout_s)

    def _load_logged(self) -> None:
        try:
            self._ensure_loaded()
        except Exception as e:  # reported by /readyz; a lookup retries the load
            log.exception("loading the fingerprint index failed")
            self.progress.phase = "failed"
            self.progress.error = type(e).__name__
        finally:
            with self._lock:
                self._loader = None

    def _ensure_loaded(self) -> None:
        if self._loaded.is_set():
            return
        with self._lock:
            if self._loaded.is_set():
                return
            self.progress = IndexProgress(phase="loading")
            t0 = time.process_time()
            from_snapshot = self._load_snapshot()
            with self._db.session() as s:
                repo = FingerprintRepository(s)
                if from_snapshot and self._snapshot_seq < repo.change_horizon():
                    # changes since the snapshot are pruned: rows it lacks can't be found
                    log.warning("fingerprint snapshot is older than the pruned changes")
                    self._forget_snapshot()
                    from_snapshot = False
                # read before the rows: a change after this is followed at the next refresh
                self._seq = repo.last_change_seq()
                if from_snapshot:  # audio prints are not in snapshots: read them all
                    self._catch_up(repo, 0, ("chromaprint",))
                self._catch_up(repo, self._last_id, self._signals, bulk=True)
                if from_snapshot:
                    # a row with an id the snapshot covers that committed after it was
                    # written is in neither the snapshot nor the rows read after it: the
                    # changes since the snapshot's own place name its asset
                    self._seq = self._snapshot_seq
                    try:
                        self._follow_changes(repo)
                    except ChangesPrunedError:  # pruned meanwhile: read every row
                        self._rebuild()
                self._drop_inactive(repo)
            self._checked = time.monotonic()
            _release_free_heap()
            self.progress.phase = "ready"
            self._loaded.set()
            log.info(
                "fingerprint index ready: %d hashes (%d from a snapshot), %.1f s CPU",
                self._store.hash_count(), self.progress.snapshot_rows, time.process_time() - t0,
            )  # fmt: skip
        fresh = self.progress.caught_up_rows
        if self._snapshot_dir is not None and fresh > SNAPSHOT_AFTER_NEW_ROWS:
            try:
                self.write_snapshot()
            except (OSError, MediaproofError) as e:  # the next start reads rows again
                log.warning("could not write the fingerprint index snapshot: %s", e)

    def _catch_up(
        self,
        repo: FingerprintRepository,
        after_id: int,
        signals: Sequence[str],
        *,
        bulk: bool = False,
    ) -> None:
        """Rows of active assets with id > ``after_id``, read as columns in batches.
        ``bulk`` (a start): hash rows are gathered and indexed once at the end, not
        merged into the index batch after batch (each merge rebuilds the tables)."""
        held: list[FingerprintColumns] = []
        for batch in repo.columns_since(after_id, signals):
            self.progress.caught_up_rows += len(batch.ids) + len(batch.audio)
            if bulk:
                held.append(batch)
                self._add_audio(batch)
                self._last_id = max(self._last_id, batch.last_id)
            else:
                self._add_batch(batch)
        if held:
            self._add_batch(FingerprintColumns.concat(held), audio=False)

    def _add_audio(self, b: FingerprintColumns) -> None:
        for row_id, asset_id, items in b.audio:
            self._store.add(row_id, str(asset_id), FingerprintEntry("chromaprint", items),
                            merge=False)  # fmt: skip
            self._last_id = max(self._last_id, row_id)
        if b.audio:
            self._store.merge_audio()

    def _add_batch(self, b: FingerprintColumns, *, audio: bool = True) -> None:
        add_hash_columns(self._store, b)
        if audio:
            self._add_audio(b)
        self._last_id = max(self._last_id, b.last_id)

    def _drop_inactive(self, repo: FingerprintRepository) -> None:
        # withdrawn elsewhere (another worker, the CLI): stop serving them here too
        new = repo.inactive_asset_ids() - self._gone
        if new:
            self._store.remove_assets(str(a) for a in new)
            self._gone |= new

    # --- snapshots -----------------------------------------------------------------

    def write_snapshot(self) -> Path:
        """Write the hash indexes as a snapshot (``.npy`` files, memory-mapped at the next
        start) covering every row up to the last one read; returns its folder. Written
        aside and then named in ``CURRENT`` (one atomic rename), so a reader sees the
        old snapshot or the new one, never half of one."""
        if self._snapshot_dir is None:
            raise MediaproofError("this lookup has no snapshot folder")
        self._ensure_loaded()
        with self._lock:
            self.refresh_locked()
            arrays, state = self._store.export_hashes()
            last_id, seq = self._last_id, self._seq
        with self._db.session() as s:
            anchor = FingerprintRepository(s).asset_of_row(last_id) if last_id else None
        root = self._snapshot_dir
        root.mkdir(parents=True, exist_ok=True)
        name = f"fingerprints-{last_id}-{uuid.uuid4().hex[:8]}"
        tmp = root / (name + ".tmp")
        tmp.mkdir()
        for key, arr in arrays.items():
            np.save(tmp / f"{key}.npy", np.ascontiguousarray(arr), allow_pickle=False)
        meta = {
            "version": SNAPSHOT_VERSION, "last_row_id": last_id, "last_row_asset": anchor,
            "change_seq": seq, "arrays": sorted(arrays), **state,
        }  # fmt: skip
        (tmp / "meta.json").write_text(json.dumps(meta))
        tmp.rename(root / name)
        pointer = root / "CURRENT.tmp"
        pointer.write_text(name)
        pointer.replace(root / "CURRENT")
        # another worker may have switched CURRENT meanwhile: keep whatever it names now,
        # and snapshots still being written (.tmp); mapped files stay readable when removed
        current = (root / "CURRENT").read_text().strip()
        for old in root.glob("fingerprints-*"):
            if old.name not in (name, current) and old.is_dir() and old.suffix != ".tmp":
                shutil.rmtree(old, ignore_errors=True)
        if self._shelf is not None:  # other processes and machines map it from there
            self._shelf.publish(root / name)
        log.info("wrote fingerprint index snapshot %s (rows up to %d)", name, last_id)
        return root / name

    def _load_snapshot(self) -> bool:
        root = self._snapshot_dir
        if root is not None and self._shelf is not None:
            try:  # a checked local copy of the store's current snapshot
                self._shelf.fetch(root)
            except MediaproofError as e:
                log.warning("cannot fetch the fingerprint index snapshot: %s", e)
                return False
        if root is None or not (root / "CURRENT").is_file():
            return False
        folder = root / (root / "CURRENT").read_text().strip()
        try:
            meta = json.loads((folder / "meta.json").read_text())
            if meta.get("version") != SNAPSHOT_VERSION:
                raise ValueError(f"version {meta.get('version')}")
            last_id = int(meta["last_row_id"])
            with self._db.session() as s:
                anchor = FingerprintRepository(s).asset_of_row(last_id) if last_id else None
            if anchor != meta.get("last_row_asset"):
                # another database (restored, or reset): its rows are not these
                log.warning("fingerprint snapshot %s does not match the database", folder.name)
                return False
            arrays = {
                k: np.load(folder / f"{k}.npy", mmap_mode="r", allow_pickle=False)
                for k in meta["arrays"]
            }
            self._store.import_hashes(arrays, meta)
        except (OSError, ValueError, KeyError, TypeError, MediaproofError) as e:
            log.warning("ignoring fingerprint snapshot %s: %s", folder.name, e)
            self._store = FingerprintStore(md5=False)
            return False
        self._last_id = last_id
        # the change it had followed (0 in snapshots written before it was recorded)
        self._snapshot_seq = int(meta.get("change_seq", 0))
        self.progress.snapshot_rows = self._store.hash_count()
        return True

    def _forget_snapshot(self) -> None:
        self._store = FingerprintStore(md5=False)
        self._last_id = 0
        self.progress.snapshot_rows = 0

    # --- serving -------------------------------------------------------------------

    def refresh(self, *, force: bool = False) -> None:
        """Load rows added since the last call (at most once a second unless forced)."""
        if not self._loaded.is_set():
            self._ensure_loaded()
            return
        if not force and time.monotonic() - self._checked < REFRESH_EVERY_S:
            return
        with self._lock:
            self.refresh_locked()

    def refresh_locked(self) -> None:
        try:
            with self._db.session() as s:
                repo = FingerprintRepository(s)
                self._catch_up(repo, self._last_id, self._signals)
                self._follow_changes(repo)
                self._drop_inactive(repo)
        except ChangesPrunedError as e:  # idle past the retention: changes it needs are gone
            log.warning("fingerprint index: %s; rebuilding it from the rows", e)
            self._rebuild()
        self._checked = time.monotonic()

    def _rebuild(self) -> None:
        """Read every row into a new index, then swap it in: until then lookups get the
        old one's answers (or wait for this refresh), never an emptied index's "no
        match"."""
        fresh = SqlFingerprintLookup(self._db, remote=self._remote)
        fresh._ensure_loaded()
        self._store, self._last_id, self._seq, self._gone = (
            fresh._store, fresh._last_id, fresh._seq, fresh._gone
        )  # fmt: skip

    def _follow_changes(self, repo: FingerprintRepository) -> None:
        """Rows that reading by row id passed over for good. On PostgreSQL ids are
        handed out before commit, so with two writers a row can commit after a higher id
        was read, and ``id > last`` never returns it. The change sequence becomes
        visible in order (docs/matchers.md), so re-reading the assets of every change
        since the last refresh finds such rows, hash rows and audio prints alike; rows
        served already are not added twice."""
        signals = list(self._signals)
        while True:
            changes = repo.changes_after(self._seq, CHANGES_BATCH)
            if not changes:
                return
            cols = repo.hash_columns_of_assets(sorted({a for _, a, _ in changes}), signals)
            # only rows behind the id reader: those after it, it reads next time
            fresh = (cols.ids <= self._last_id) & unserved(self._store, cols)
            if fresh.any():
                add_hash_columns(self._store, cols.subset(fresh))
            late = [
                (row_id, asset_id, items) for row_id, asset_id, items in cols.audio
                if row_id <= self._last_id and not self._store.serves_audio(str(asset_id))
            ]  # fmt: skip
            for row_id, asset_id, items in late:
                self._store.add(row_id, str(asset_id), FingerprintEntry("chromaprint", items),
                                merge=False)  # fmt: skip
            if late:
                self._store.merge_audio()
            self._seq = changes[-1][0]
            if len(changes) < CHANGES_BATCH:
                return

    def forget_asset(self, asset_id: int) -> None:
        """Stop serving an asset's fingerprints at once (after it was withdrawn)."""
        with self._lock:
            self._store.remove_asset(str(asset_id))
            self._gone.add(asset_id)

    def find_near(self, signal: str, value: Any, max_distance: float) -> list[Candidate]:
        with timed_lookup(signal):  # mediaproof_lookup_duration_seconds
            if signal == "md5":
                with self._db.session() as s:
                    found = FingerprintRepository(s).active_assets_by_digest(str(value))
                return [Candidate(str(a), "md5", 0) for a in found]
            if self._remote is not None and signal in self.REMOTE_SIGNALS:
                return self._remote.find_near(signal, value, max_distance)
            self.refresh()
            return self._store.find_near(signal, value, max_distance)

    def rows_behind(self) -> int:
        """Fingerprint rows in the database after the last one this index has read (its
        lag, for the metrics; 0 when caught up)."""
        with self._db.session() as s:
            return OpsRepository(s).fingerprint_rows_after(self._last_id, self._signals)

    @property
    def hash_count(self) -> int:
        return self._store.hash_count()

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
