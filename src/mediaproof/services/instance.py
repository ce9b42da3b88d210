"""An instance: settings + database + blobs + keys, opened once and shared.

``Instance.open`` creates the instance directory on first use and brings the schema to
the newest migration, so every entry point (CLI, API, tests) sees the same state.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import cached_property
from pathlib import Path

from mediaproof.analysis.compute import Compute, InlineCompute
from mediaproof.config import Settings, load_settings
from mediaproof.errors import ConfigError, KeyMaterialError
from mediaproof.media.ingest import apply_pixel_limit
from mediaproof.provenance.c2pa_io import C2paEngine
from mediaproof.provenance.keys import SigningMaterial, load_signing_material
from mediaproof.provenance.trust import anchors_pem
from mediaproof.registry.models import AssetRecord
from mediaproof.services.case_media import SqlCaseMediaIndex
from mediaproof.services.fingerprints import SqlFingerprintLookup
from mediaproof.storage.blobs import BlobStore
from mediaproof.storage.sql.engine import Database
from mediaproof.storage.sql.migrate import upgrade
from mediaproof.storage.sql.repos import AssetRepository


class Instance:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.home = settings.home
        apply_pixel_limit(settings.limits.max_pixels)  # Pillow's guard = our setting
        try:
            self.home.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise ConfigError(f"cannot create instance directory {self.home}: {e.strerror}") from e
        self.db = Database(settings.resolved_database_url)
        upgrade(self.db.engine)
        self.blobs = BlobStore(settings.blobs_dir)
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
    def fingerprint_lookup(self) -> SqlFingerprintLookup:
        """Registered originals' fingerprints, served from memory (see services.fingerprints)."""
        return SqlFingerprintLookup(self.db, self.blobs)
