"""Readiness: can this instance serve requests (database reachable, schema current)?"""

from __future__ import annotations

from typing import Any

from mediaproof.errors import MediaproofError, StorageError
from mediaproof.services.instance import Instance
from mediaproof.storage.sql.migrate import current_revision, head_revision


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
        "schema_revision": current,
        "signing_keys": (inst.keys_dir / "signer-chain.pem").exists(),
    }
