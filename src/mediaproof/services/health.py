"""Readiness: can this instance serve requests (database reachable, schema current)?"""

from __future__ import annotations

from typing import Any

from mediaproof.errors import MediaproofError, StorageError
from mediaproof.services.instance import Instance
from mediaproof.storage.sql.migrate import current_revision, head_revision


class NotReadyError(StorageError):
    code = "not_ready"
    http_status = 503


def readiness(inst: Instance) -> dict[str, Any]:
    try:
        current = current_revision(inst.db.engine)
    except MediaproofError:
        raise
    except Exception as e:
        raise NotReadyError(f"the database is not reachable ({type(e).__name__})") from e
    if current != head_revision(inst.db.engine):
        raise NotReadyError("the database schema is not at the newest migration")
    return {
        "status": "ready",
        "database": inst.db.engine.dialect.name,
        "schema_revision": current,
        "signing_keys": (inst.keys_dir / "signer-chain.pem").exists(),
    }
