"""The sharded, replicated matchers (issue 20, item 3): shard snapshots and one replica.

**Shards** split the exact PDQ/vPDQ index by record (``matching.shards``: every hash of
an asset on one shard), so the union of the shards' answers is the exact answer.

**Snapshots** (:func:`build_snapshots`): per shard, the hash rows of active assets read
after the change sequence stood at ``seq``, written as ``.npy`` files plus ``meta.json``
(``seq`` among them) and published to the blob store under ``matchers/<N>/<i>``
(``storage.blob_snapshots``: a manifest, then ``CURRENT``). Rows written after ``seq``
may be in it too: applying a change is idempotent, so a replica applying them again
changes nothing.

**A replica** (:class:`ShardReplica`) memory-maps its shard's current snapshot, applies
the changes after its ``seq`` from ``index_changes`` (re-reading each changed asset's
rows and status), then polls for more about every half second (jittered). It is ready
only while caught up (a poll that succeeded within ``stale_after_s``). Another thread
looks for a newer snapshot now and then (jittered): it loads and catches up the new one
beside the old, which serves until the new one is swapped in.
"""

from __future__ import annotations

import json
import logging
import random
import shutil
import threading
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from mediaproof.errors import BusyError, StorageError
from mediaproof.matching.lookup import LOOKUP_LIMIT, Candidate, FingerprintStore, Matches
from mediaproof.matching.shards import check_shards, shard_of, shards_of
from mediaproof.observability.matcher_metrics import MatcherGauges
from mediaproof.services.fingerprints import add_hash_columns, unserved
from mediaproof.storage.blob_snapshots import SnapshotShelf
from mediaproof.storage.blobs import BlobStore, open_blob_store
from mediaproof.storage.sql.engine import Database
from mediaproof.storage.sql.repos_changes import ChangesPrunedError
from mediaproof.storage.sql.repos_fingerprints import FingerprintColumns, FingerprintRepository

if TYPE_CHECKING:
    from mediaproof.config import Settings
    from mediaproof.services.instance import Instance

log = logging.getLogger(__name__)

SIGNALS = ("pdq", "vpdq")
SNAPSHOT_VERSION = 1
CHANGES_BATCH = 5_000


def shelf_for(store: BlobStore, shard: int, shards: int) -> SnapshotShelf:
    """Where shard ``shard`` of ``shards`` keeps its snapshots in the blob store."""
    return SnapshotShelf(store, f"matchers/{check_shards(shards)}/{shard}")


def _read_shards(
    db: Database, shards: int, only: int | None = None
) -> tuple[int, list[FingerprintStore]]:
    """(seq, a store per shard) from the rows: ``seq`` is read first, so every change up
    to it is in the stores (and maybe some after it). ``only``: build that shard alone."""
    parts: list[list[FingerprintColumns]] = [[] for _ in range(shards)]
    with db.session() as s:
        repo = FingerprintRepository(s)
        seq = repo.last_change_seq()
        for batch in repo.columns_since(0, SIGNALS):
            if not len(batch.ids):
                continue
            where = shards_of(batch.asset_ids, shards)
            for i in range(shards) if only is None else (only,):
                sel = where == i
                if sel.any():
                    parts[i].append(batch.subset(sel))
    stores = []
    for i in range(shards):
        store = FingerprintStore(md5=False)
        if parts[i]:
            add_hash_columns(store, FingerprintColumns.concat(parts[i]))
        parts[i] = []
        stores.append(store)
    return seq, stores


@dataclass(frozen=True)
class BuiltSnapshot:
    shard: int
    shards: int
    name: str
    seq: int
    hashes: int

    def as_dict(self) -> dict[str, Any]:
        return {"shard": self.shard, "shards": self.shards, "name": self.name,
                "seq": self.seq, "hashes": self.hashes}  # fmt: skip


def _write_folder(store: FingerprintStore, folder: Path, meta: dict[str, Any]) -> None:
    arrays, state = store.export_hashes()
    folder.mkdir(parents=True)
    for key, arr in arrays.items():
        np.save(folder / f"{key}.npy", np.ascontiguousarray(arr), allow_pickle=False)
    body = {"version": SNAPSHOT_VERSION, "arrays": sorted(arrays), **state, **meta}
    (folder / "meta.json").write_text(json.dumps(body))


def build_snapshots(
    db: Database, store: BlobStore, shards: int, workdir: Path
) -> list[BuiltSnapshot]:
    """Build and publish a snapshot of every shard (a queue task and a CLI command).
    ``workdir``: a local folder for the files before they are uploaded."""
    check_shards(shards)
    seq, stores = _read_shards(db, shards)
    out = []
    workdir.mkdir(parents=True, exist_ok=True)
    for i, st in enumerate(stores):
        name = f"shard-{i}-of-{shards}-seq-{seq}-{uuid.uuid4().hex[:8]}"
        folder = workdir / name
        try:
            meta = {"shard": i, "shards": shards, "seq": seq, "built_at": time.time()}
            _write_folder(st, folder, meta)
            shelf_for(store, i, shards).publish(folder)
        finally:
            shutil.rmtree(folder, ignore_errors=True)
        out.append(BuiltSnapshot(i, shards, name, seq, st.hash_count()))
        stores[i] = FingerprintStore(md5=False)  # let the built one go
        log.info("published matcher snapshot %s (%d hashes)", name, out[-1].hashes)
    return out


class ShardReplica:
    """One matcher process's index of one shard (see the module's docstring)."""

    def __init__(
        self,
        db: Database,
        blob_store: BlobStore,
        shard: int,
        shards: int,
        cache_dir: Path,
        *,
        poll_s: float = 0.5,
        snapshot_check_s: float = 30.0,
        stale_after_s: float = 5.0,
    ) -> None:
        check_shards(shards)
        if not 0 <= shard < shards:
            raise ValueError(f"shard must be in [0, {shards})")
        self.shard, self.shards = shard, shards
        self._db = db
        self._shelf = shelf_for(blob_store, shard, shards)
        self._cache = cache_dir
        self.poll_s, self.snapshot_check_s, self.stale_after_s = (
            poll_s, snapshot_check_s, stale_after_s
        )  # fmt: skip
        self._store = FingerprintStore(md5=False)
        self.seq = 0
        self.snapshot: str | None = None
        self.snapshot_built_at: float | None = None  # unix time (None: no snapshot)
        self._apply = threading.Lock()  # one writer of the live store at a time
        self._caught_up_at: float | None = None
        self.error: str | None = None
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self.owns_db = False  # close() disposes of the database's engine

    # --- loading ---------------------------------------------------------------------

    def _load_current(self) -> tuple[FingerprintStore, int, str | None, float | None]:
        """The shard's current snapshot (memory-mapped), or its rows when none exists;
        with the seq served, the snapshot's name and when it was built."""
        name = self._shelf.fetch(self._cache)
        if name is None:
            seq, stores = _read_shards(self._db, self.shards, only=self.shard)
            return stores[self.shard], seq, None, None
        folder = self._cache / name
        try:
            meta = json.loads((folder / "meta.json").read_text())
            if meta.get("version") != SNAPSHOT_VERSION:
                raise ValueError(f"version {meta.get('version')}")
            if (meta.get("shard"), meta.get("shards")) != (self.shard, self.shards):
                raise ValueError("it is another shard's")
            arrays = {
                k: np.load(folder / f"{k}.npy", mmap_mode="r", allow_pickle=False)
                for k in meta["arrays"]
            }
            seq = int(meta["seq"])
            with self._db.session() as s:
                repo = FingerprintRepository(s)
                newest, pruned = repo.last_change_seq(), repo.change_horizon()
            # ahead: made from another database (a reset or restored one); behind the
            # pruned horizon: changes it needs are gone. Either way, read the rows.
            if seq > newest or seq < pruned:
                log.warning("matcher snapshot %s (seq %d) is outside the database's change "
                            "sequence (%d..%d): reading the rows instead",
                            name, seq, pruned, newest)  # fmt: skip
                seq, stores = _read_shards(self._db, self.shards, only=self.shard)
                return stores[self.shard], seq, name, None
            store = FingerprintStore(md5=False)
            store.import_hashes(arrays, meta)
            built = meta.get("built_at")  # absent from snapshots built before it was kept
            return store, seq, name, float(built) if isinstance(built, int | float) else None
        except (OSError, ValueError, KeyError, TypeError) as e:
            raise StorageError(f"matcher snapshot {name} cannot be read: {e}") from e

    def load(self) -> None:
        """Load the current snapshot and catch up (blocking; the process's start)."""
        store, seq, name, built = self._load_current()
        store, seq, rebuilt = self._catch_up(store, seq)
        with self._apply:
            store, seq, again = self._catch_up(store, seq)
            self._store, self.seq, self.snapshot = store, seq, name
            self.snapshot_built_at = None if rebuilt or again else built
            self._caught_up_at = time.monotonic()
        log.info("matcher shard %d/%d ready: %d hashes, snapshot %s, seq %d",
                 self.shard, self.shards, store.hash_count(), name, self.seq)  # fmt: skip

    def _advance(self, store: FingerprintStore, seq: int) -> int:
        """Apply every change after ``seq`` to ``store``; returns the last seq read.
        A change is applied by re-reading the asset: its rows are served if it is
        active (rows already served are not added twice), dropped if it is not."""
        with self._db.session() as s:
            repo = FingerprintRepository(s)
            while True:
                changes = repo.changes_after(seq, CHANGES_BATCH)
                if not changes:
                    return seq
                mine = sorted({a for _, a, _ in changes if shard_of(a, self.shards) == self.shard})
                if mine:
                    cols = repo.hash_columns_of_assets(mine, SIGNALS)
                    active = set(cols.asset_ids.tolist())
                    gone = [str(a) for a in mine if a not in active]
                    if gone:
                        store.remove_assets(gone)
                    fresh = unserved(store, cols)
                    if fresh.any():
                        add_hash_columns(store, cols.subset(fresh))
                seq = changes[-1][0]
                if len(changes) < CHANGES_BATCH:
                    return seq

    def _catch_up(self, store: FingerprintStore, seq: int) -> tuple[FingerprintStore, int, bool]:
        """:meth:`_advance`, or, when ``seq`` is below the pruned horizon (the changes
        it needs are gone), a new store read from the rows and advanced: (store, seq,
        whether it was rebuilt). ``store`` is left as it was, so it serves meanwhile."""
        rebuilt = False
        for _ in range(3):  # each prune that overtakes a rebuild costs one more
            try:
                return store, self._advance(store, seq), rebuilt
            except ChangesPrunedError as e:
                log.warning("matcher shard %d: %s; rebuilding from the rows", self.shard, e)
                seq, stores = _read_shards(self._db, self.shards, only=self.shard)
                store, rebuilt = stores[self.shard], True
        raise StorageError(f"matcher shard {self.shard}: the change sequence was pruned "
                           "past every rebuild; check the retention")  # fmt: skip

    def poll(self) -> None:
        """Apply the changes since the last poll (the polling thread's step); a replica
        that fell below the pruned horizon swaps in a store rebuilt from the rows."""
        with self._apply:
            store, self.seq, rebuilt = self._catch_up(self._store, self.seq)
            if rebuilt:
                self._store, self.snapshot_built_at = store, None
            self._caught_up_at = time.monotonic()
            self.error = None

    def refresh_snapshot(self) -> bool:
        """Swap to a newer snapshot if one was published: loaded and caught up beside the
        live one, which serves until the swap. True when it swapped."""
        current = self._shelf.current()
        if current is None or current == self.snapshot:
            return False
        store, seq, name, built = self._load_current()
        store, seq, rebuilt = self._catch_up(store, seq)
        with self._apply:  # the few changes that came meanwhile, then the swap
            store, seq, again = self._catch_up(store, seq)
            self._store, self.seq, self.snapshot = store, seq, name
            self.snapshot_built_at = None if rebuilt or again else built
            self._caught_up_at = time.monotonic()
        log.info("matcher shard %d/%d swapped to snapshot %s", self.shard, self.shards, name)
        return True

    # --- threads -----------------------------------------------------------------------

    def start_in_background(self) -> None:
        """Load (retrying while the database or the store is away), then poll: what a
        matcher process does while its HTTP server already answers ``/readyz`` 503."""

        def run() -> None:
            delay = 0.5
            while not self._stop.is_set():
                try:
                    self.load()
                    break
                except Exception as e:
                    self.error = f"{type(e).__name__}: {e}"[:300]
                    log.warning("matcher shard %d: load failed: %s", self.shard, self.error)
                    if self._stop.wait(delay):
                        return
                    delay = min(delay * 2, 10.0)
            self.start()

        t = threading.Thread(target=run, name="matcher-load", daemon=True)
        t.start()
        self._threads.append(t)

    def start(self) -> None:
        for target, name in ((self._poll_loop, "poll"), (self._snapshot_loop, "snapshots")):
            t = threading.Thread(target=target, name=f"matcher-{name}", daemon=True)
            t.start()
            self._threads.append(t)

    def stop(self) -> None:
        self._stop.set()
        for t in self._threads:
            t.join(timeout=5)

    def close(self) -> None:
        self.stop()
        if self.owns_db:
            self._db.dispose()

    def _poll_loop(self) -> None:
        while not self._stop.wait(self.poll_s * random.uniform(0.5, 1.0)):
            try:
                self.poll()
            except Exception as e:  # the database is away: not ready until it is back
                self.error = f"{type(e).__name__}: {e}"[:300]
                log.warning("matcher shard %d: poll failed: %s", self.shard, self.error)

    def _snapshot_loop(self) -> None:
        # jittered, so the replicas of a deployment do not all load at once
        while not self._stop.wait(self.snapshot_check_s * random.uniform(0.5, 1.5)):
            try:
                self.refresh_snapshot()
            except Exception as e:  # the old snapshot keeps serving
                log.warning("matcher shard %d: snapshot refresh failed: %s", self.shard, e)

    # --- serving -----------------------------------------------------------------------

    @property
    def ready(self) -> bool:
        at = self._caught_up_at
        return at is not None and time.monotonic() - at < self.stale_after_s

    def status(self) -> dict[str, Any]:
        at = self._caught_up_at
        return {
            "status": "ready" if self.ready else "catching_up",
            "shard": self.shard,
            "shards": self.shards,
            "seq": self.seq,
            "snapshot": self.snapshot,
            "hashes": self._store.hash_count(),
            "index_bytes": self._store.nbytes,  # mapped snapshot arrays and heap alike
            "caught_up_s_ago": None if at is None else round(time.monotonic() - at, 3),
            "error": self.error,
        }

    def gauges(self) -> MatcherGauges:
        """What ``/metrics`` reports; the lag needs the database's newest change (one
        read of the sequence's index), left out when the database does not answer."""
        try:
            with self._db.session() as s:
                newest: int | None = FingerprintRepository(s).last_change_seq()
        except Exception as e:  # the database is away: /readyz says so too
            log.debug("matcher metrics: no newest seq: %s", e)
            newest = None
        at, built = self._caught_up_at, self.snapshot_built_at
        return MatcherGauges(
            shard=self.shard, ready=self.ready, applied_seq=self.seq, newest_seq=newest,
            caught_up_age_s=None if at is None else time.monotonic() - at,
            snapshot_age_s=None if built is None else max(0.0, time.time() - built),
            index_bytes=self._store.nbytes, index_hashes=self._store.hash_count(),
        )  # fmt: skip

    def find_near(
        self, signal: str, value: bytes, max_distance: int, limit: int = LOOKUP_LIMIT
    ) -> tuple[int, Matches]:
        """(seq served, matches) of this shard, its nearest ``limit`` assets
        (``lookup.Matches``); BusyError while not caught up."""
        if not self.ready:
            raise BusyError(f"matcher shard {self.shard} is not caught up")
        if signal not in SIGNALS:
            raise ValueError(f"matchers serve {', '.join(SIGNALS)} lookups")
        seq, store = self.seq, self._store
        return seq, store.find_near(signal, value, max_distance, limit)


def open_replica(settings: Settings, shard: int, shards: int, tag: str) -> ShardReplica:
    """A replica of ``shard`` over the settings' database and blob store (not a whole
    Instance: a matcher neither migrates the schema nor needs keys); ``tag`` (the port,
    say) keeps the local snapshot copies of replicas on one box apart. ``close()`` it."""
    cache = settings.cache_dir / "matchers" / f"{shards}-{shard}-{tag}"
    db = Database(settings.resolved_database_url)
    replica = ShardReplica(db, open_blob_store(settings), shard, shards, cache)
    replica.owns_db = True
    return replica


def build_instance_snapshots(inst: Instance, shards: int) -> list[BuiltSnapshot]:
    """:func:`build_snapshots` of the instance (the CLI's and the queue task's entry)."""
    work = inst.settings.cache_dir / "matcher-build" / uuid.uuid4().hex[:8]
    try:
        return build_snapshots(inst.db, inst.blob_store, shards, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def candidates_as_dicts(found: Sequence[Candidate]) -> list[dict[str, Any]]:
    return [c.as_dict() for c in found]
