"""Screening leaves on each database backend (issue 19): a block, a ban and a lifted ban
stage ``screen.decided`` leaves in the transaction of their rows; screening does not write
the log (nothing reaches it until the outbox is landed), then each leaf is found at the
index the events listing gives, with a valid inclusion proof. A decision whose transaction
rolls back stages nothing."""

from __future__ import annotations

import pytest

from mediaproof.services import screening as svc
from mediaproof.services import transparency as tsvc
from mediaproof.services.instance import Instance
from mediaproof.storage.sql.repos_screening import ScreeningRepository
from mediaproof.transparency import merkle
from mediaproof.transparency.entries import Entry
from mediaproof.transparency.log import TransparencyLog

BAD = "Photo of Elena Marchetti being arrested and led away in handcuffs"


def _size(inst: Instance) -> int:
    if not (inst.home / "tlog" / "checkpoint").exists():
        return 0
    with TransparencyLog.open(inst.home, readonly=True) as log:
        return log.size


def test_block_ban_and_lift_are_staged_then_landed_with_proofs(
    any_db_instance: Instance,
) -> None:
    inst = any_db_instance
    svc.add_official(inst, "Elena Marchetti")
    screener = svc.ScreeningService(inst, embedder=False)
    results = [screener.screen(BAD, "tool", "u-1") for _ in range(3)]
    assert results[-1].user_banned is True
    # staged, not written inline: nothing is in the log yet
    assert tsvc.staged_count(inst) == 4  # three blocks, the ban
    assert _size(inst) == 0
    assert all(e["log"]["index"] is None for e in svc.list_events(inst, "tool"))
    assert tsvc.land_staged(inst) == 4
    # an admin lifting the ban lands its leaf at once
    svc.lift_ban(inst, "tool", "u-1", by="admin")
    assert tsvc.staged_count(inst) == 0
    listed = svc.list_events(inst, "tool")
    with TransparencyLog.open(inst.home, readonly=True) as log:
        cp = log.latest_checkpoint()
        assert cp is not None and log.size == 5
        leaves = []
        for i in range(log.size):
            raw = log.entry(i)
            proof = log.prove_inclusion(i, cp.checkpoint.size)
            merkle.verify_inclusion(
                merkle.leaf_hash(raw), i, proof.size, proof.hashes, cp.checkpoint.root
            )
            leaves.append(Entry.parse(raw).data)
    assert [d["decision"] for d in leaves] == ["block", "block", "block", "ban", "ban_lifted"]
    for e in listed:
        assert leaves[e["log"]["index"]]["event_id"] == f"screen-event-{e['id']}"
    [ban] = svc.list_bans(inst, "tool")
    assert leaves[3]["ban_id"] == leaves[4]["ban_id"] == f"screen-ban-{ban['id']}"


def test_a_rolled_back_decision_stages_no_leaf(any_db_instance: Instance) -> None:
    inst = any_db_instance
    fields = dict(
        at=svc._now(), tool="tool", user_ref="u-2", decision="block",
        policy_version="p1", prompt_hmac="a" * 64, prompt_text=None, reasons="[]",
    )
    with pytest.raises(RuntimeError), inst.db.session() as s:
        svc.record_event_in(s, inst, **fields)
        raise RuntimeError("the transaction fails after the row and its leaf were added")
    assert tsvc.staged_count(inst) == 0
    with inst.db.session() as s:
        assert ScreeningRepository(s).events("tool", None, 10) == []
