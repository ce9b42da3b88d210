"""Readiness: can this instance serve requests (database reachable, schema current,
blob store reachable and writable, analysis workers started and warm, fingerprint index
loaded)? A failed check names the dependency that is down."""

from __future__ import annotations

import os
from typing import Any

from mediaproof.analysis.compute import ProcessCompute
from mediaproof.errors import MediaproofError, StorageError
from mediaproof.services.instance import Instance
from mediaproof.storage.blobs import BlobStore, LocalBlobStore
from mediaproof.storage.sql.migrate import current_revision, head_revision

# a key that is never written: asking for it is one HEAD request on an object store
PROBE_KEY = "health/readyz-probe"


class NotReadyError(StorageError, code="not_ready", http_status=503): ...


def readiness(inst: Instance) -> dict[str, Any]:
    try:
        current = current_revision(inst.db.engine)
    except MediaproofError:
        raise
    except Exception as e:
        raise NotReadyError(f"the database is not reachable ({type(e).__name__})") from e
    if current != head_revision(inst.db.engine):
        raise NotReadyError("the database schema is not at the newest migration")
    blob_store = check_blob_store(inst.blob_store)
    if isinstance(inst.compute, ProcessCompute) and not inst.compute.warmed:
        # each worker's first verify would otherwise pay its start (imports, first
        # reads): seconds on a loaded machine; warm_up gives up waiting after a bound
        raise NotReadyError("the analysis workers are still starting")
    index: dict[str, Any] | None = None
    if "fingerprint_lookup" in inst.__dict__:  # this process serves fingerprint lookups
        lookup = inst.fingerprint_lookup
        index = {**lookup.progress.as_dict(), "hashes": lookup.hash_count}
        if not lookup.ready:
            raise NotReadyError(
                f"the fingerprint index is not loaded yet ({index['phase']}): "
                f"{index['snapshot_rows']} hashes from its snapshot, "
                f"{index['caught_up_rows']} rows read since"
            )
    return {
        "status": "ready",
        "fingerprint_index": index,
        "database": inst.db.engine.dialect.name,
        "blob_store": blob_store,
        "schema_revision": current,
        "signing_keys": (inst.keys_dir / "signer-chain.pem").exists(),
    }


def check_blob_store(store: BlobStore) -> str:
    """``local`` or ``s3`` when the blob store can be used; NotReadyError otherwise.

    A folder must exist (or be creatable) and be writable by this process; an object
    store must answer one HEAD request with these credentials (a missing key is a good
    answer, a refusal or no answer is not). The message names the store's kind only:
    /readyz is public, and the endpoint and bucket are the operator's business."""
    if isinstance(store, LocalBlobStore):
        try:
            store.root.mkdir(mode=0o700, parents=True, exist_ok=True)
        except OSError as e:
            raise NotReadyError(f"the blob store folder cannot be created ({e.strerror})") from e
        if not os.access(store.root, os.W_OK | os.X_OK):
            raise NotReadyError("the blob store folder is not writable by this process")
        return "local"
    try:
        store.exists(PROBE_KEY)
    except MediaproofError as e:
        raise NotReadyError(
            "the blob store (object store) is not reachable or refuses these credentials"
        ) from e
    except Exception as e:  # the client's own errors: no answer at all
        raise NotReadyError(
            f"the blob store (object store) is not reachable ({type(e).__name__})"
        ) from e
    return "s3"
