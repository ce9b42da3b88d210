"""An instance: settings + database + blobs + keys, opened once and shared.

``Instance.open`` creates the instance directory on first use and brings the schema to
the newest migration, so every entry point (CLI, API, tests) sees the same state.
"""

from __future__ import annotations

import contextlib
import os
import stat
from collections.abc import Iterable
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from mediaproof.analysis.compute import Compute, InlineCompute
from mediaproof.config import Settings, load_settings
from mediaproof.config_cluster import parse_matchers
from mediaproof.errors import ConfigError, KeyMaterialError
from mediaproof.media.ingest import apply_pixel_limit
from mediaproof.provenance.c2pa_io import C2paEngine
from mediaproof.provenance.keys import SigningMaterial, load_signing_material
from mediaproof.provenance.trust import anchors_pem
from mediaproof.registry.models import AssetRecord
from mediaproof.services.cases.media_index import SqlCaseMediaIndex
from mediaproof.services.fingerprints import SqlFingerprintLookup
from mediaproof.storage.blob_snapshots import SnapshotShelf
from mediaproof.storage.blobs import BlobStore, ContentStore, LocalBlobStore, open_blob_store
from mediaproof.storage.secrets import SecretBox
from mediaproof.storage.sql.engine import Database
from mediaproof.storage.sql.migrate import upgrade
from mediaproof.storage.sql.repos import AssetRepository

if TYPE_CHECKING:
    from mediaproof.services.exchange_index import ReceivedIndex
    from mediaproof.services.hash_lists import HashListIndex

# The instance home holds reporters' contact details, keys and webhook secrets: only its
# owner may enter it. Its own folders are private too, in case the home is loosened.
PRIVATE_DIRS = ("keys", "blobs", "tmp", "tlog")


def _private_home(home: Path) -> None:
    home.mkdir(mode=0o700, parents=True, exist_ok=True)
    if stat.S_IMODE(home.stat().st_mode) & 0o077:
        os.chmod(home, 0o700)  # an instance made by an older version was 0755
    for name in PRIVATE_DIRS:
        d = home / name
        d.mkdir(mode=0o700, exist_ok=True)
        if stat.S_IMODE(d.stat().st_mode) & 0o077:
            os.chmod(d, 0o700)


def _private_sqlite(url: str) -> None:
    """Create the SQLite file 0600 before SQLite does (it gives its -wal and -shm files
    the database file's mode), and tighten files an older version left 0644."""
    if not url.startswith("sqlite:///"):
        return
    path = Path(url.split("///", 1)[1].split("?", 1)[0])
    if not path.name or path.name == ":memory:":
        return
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.close(os.open(path, os.O_RDWR | os.O_CREAT, 0o600))
    for f in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        with contextlib.suppress(FileNotFoundError):
            if stat.S_IMODE(f.stat().st_mode) & 0o077:
                os.chmod(f, 0o600)


class Instance:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.home = settings.home
        apply_pixel_limit(settings.limits.max_pixels)  # Pillow's guard = our setting
        try:
            _private_home(self.home)
        except OSError as e:
            raise ConfigError(f"cannot create instance directory {self.home}: {e.strerror}") from e
        _private_sqlite(settings.resolved_database_url)
        self.db = Database(settings.resolved_database_url, secrets=SecretBox(self.keys_dir))
        upgrade(self.db.engine, keys_dir=self.keys_dir)
        # the instance folder by default; an object store when MEDIAPROOF_BLOB_STORE says so
        self.blob_store: BlobStore = open_blob_store(settings)
        self.blobs = ContentStore(self.blob_store, cache=settings.cache_dir)
        self._engines: dict[tuple[str, ...], C2paEngine] = {}
        # heavy analysis steps run here; the service swaps in worker processes
        self.compute: Compute = InlineCompute()

    @classmethod
    def open(cls, home: Path | None = None) -> Instance:
        return cls(load_settings(home))

    def close(self) -> None:
        self.db.dispose()

    # --- keys and trust ------------------------------------------------------------

    @property
    def keys_dir(self) -> Path:
        return self.settings.keys_dir

    def signing_material(self) -> SigningMaterial:
        return load_signing_material(self.keys_dir)

    def own_root_pem(self) -> bytes | None:
        root = self.keys_dir / "root-ca.pem"
        return root.read_bytes() if root.exists() else None

    def c2pa(self, extra_anchors: Iterable[Path] = ()) -> C2paEngine:
        """A C2PA engine trusting our own root, configured anchors and ``extra_anchors``."""
        extra = tuple(sorted(str(p) for p in extra_anchors))
        if extra not in self._engines:
            own = self.own_root_pem()
            pem = anchors_pem(
                [*self.settings.trust_anchors, *(Path(p) for p in extra)],
                [own] if own else [],
            )
            self._engines[extra] = C2paEngine(pem or None)
        return self._engines[extra]

    def require_keys(self) -> SigningMaterial:
        try:
            return self.signing_material()
        except KeyMaterialError:
            raise
        except OSError as e:
            raise KeyMaterialError(f"cannot read signing keys: {e}") from e

    # --- registry lookups (the RegistryLookup protocol) -----------------------------

    def asset_by_sha256(self, sha256: str) -> AssetRecord | None:
        with self.db.session() as s:
            return AssetRepository(s).by_sha256(sha256)

    def asset(self, asset_id: int) -> AssetRecord | None:
        with self.db.session() as s:
            return AssetRepository(s).get(asset_id)

    def asset_by_watermark_id(self, watermark_id: int) -> AssetRecord | None:
        with self.db.session() as s:
            return AssetRepository(s).by_watermark_id(watermark_id)

    def manifest_store(self, asset_id: int) -> bytes | None:
        with self.db.session() as s:
            return AssetRepository(s).manifest_store(asset_id)

    def assets(self, limit: int = 100, offset: int = 0) -> list[AssetRecord]:
        with self.db.session() as s:
            return AssetRepository(s).list(limit, offset)

    @cached_property
    def case_media_index(self) -> SqlCaseMediaIndex:
        """Noticed and banked media by fingerprint, for the case workflow."""
        return SqlCaseMediaIndex(self.db)

    @cached_property
    def exchange_index(self) -> ReceivedIndex:
        """Signals received from peers and the local negative list, for matching uploads
        (services.exchange_index)."""
        from mediaproof.services.exchange_index import ReceivedIndex

        return ReceivedIndex(self.db)

    @cached_property
    def hash_list_index(self) -> HashListIndex:
        """Imported hash lists (services.hash_lists), apart from registered originals."""
        from mediaproof.services.hash_lists import HashListIndex

        return HashListIndex(self.db)

    @cached_property
    def fingerprint_lookup(self) -> SqlFingerprintLookup:
        """Registered originals' fingerprints, served from memory (see services.fingerprints),
        or PDQ/vPDQ from the sharded matchers when ``MEDIAPROOF_MATCHERS`` names them."""
        if self.settings.matchers is not None:
            from mediaproof.services.matcher_client import MatcherFanOut

            token = self.settings.matcher_token
            if token is None:
                raise ConfigError(
                    "MEDIAPROOF_MATCHERS is set but MEDIAPROOF_MATCHER_TOKEN is not",
                    hint="set the same token on the matchers and the API processes",
                )
            fanout = MatcherFanOut(
                parse_matchers(self.settings.matchers), token.get_secret_value(),
                self.settings.matcher_timeout_s,
            )  # fmt: skip
            return SqlFingerprintLookup(self.db, self.blobs, remote=fanout)
        if isinstance(self.blob_store, LocalBlobStore):  # <home>/index is in the store
            return SqlFingerprintLookup(self.db, self.blobs, snapshot_dir=self.home / "index")
        return SqlFingerprintLookup(
            self.db, self.blobs, snapshot_dir=self.settings.cache_dir / "index",
            shelf=SnapshotShelf(self.blob_store, "index"),
        )  # fmt: skip
