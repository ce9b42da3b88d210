"""Withdraw a registered original: it stops being served as an original at once.

A withdrawn asset keeps its row (the public log still proves it was registered) but
its status becomes ``withdrawn``: the exact-match registry still finds the record (and
says it was withdrawn), while the fingerprint index of this process drops it now and
every other process drops it on its next refresh (at most a second later) or restart.
The withdrawal itself is a public fact: an ``asset.withdrawn`` entry goes to the
transparency log, with opaque ids and digests only.
"""

from __future__ import annotations

from mediaproof.errors import ConflictError, NotFoundError
from mediaproof.registry.models import AssetRecord
from mediaproof.services.instance import Instance
from mediaproof.services.transparency import land_staged, stage_entry
from mediaproof.storage.sql.repos import AssetRepository
from mediaproof.transparency import entries

WITHDRAWN = "withdrawn"


def withdraw_asset(inst: Instance, asset_id: int) -> AssetRecord:
    with inst.db.session() as s:
        repo = AssetRepository(s)
        asset = repo.get(asset_id)
        if asset is None:
            raise NotFoundError(f"no registered asset {asset_id}")
        if asset.status == WITHDRAWN:
            raise ConflictError(f"asset {asset_id} was already withdrawn")
        updated = repo.set_status(asset_id, WITHDRAWN)
        assert updated is not None
        # staged with the change, so a crash cannot keep the withdrawal from the log
        stage_entry(
            s,
            entries.asset_withdrawn(asset_id=f"asset-{asset_id}", content_sha256=asset.sha256),
            asset_id=asset_id,
        )
    # after the commit, so no other process can reload it from the database
    inst.fingerprint_lookup.forget_asset(asset_id)
    land_staged(inst)
    return updated


__all__ = ["WITHDRAWN", "withdraw_asset"]
