"""Consent records and the ban rule on each database backend: the record and its log
leaf commit together, a revocation counts at once, bans count blocks per tool and
user_ref."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from pathlib import Path

from sqlalchemy import select

from mediaproof.accounts.models import Role
from mediaproof.services import accounts, likeness
from mediaproof.services import consent as consents
from mediaproof.services import screening as svc
from mediaproof.services.instance import Instance
from mediaproof.storage.sql.tables import LogOutboxRow
from mediaproof.transparency.log import TransparencyLog
from tests.likeness_support import faces_dir

EVIDENCE = hashlib.sha256(b"form").hexdigest()


def test_grant_and_revoke_with_their_leaves(any_db_instance: Instance, corpora: Path) -> None:
    inst = any_db_instance
    accounts.create_user(inst, "imagetool", Role.TOOLMAKER, "a long test password")
    face = faces_dir(corpora) / "knn_examples" / "train" / "obama" / "obama.jpg"
    e, _ = likeness.enrol(inst, "Barack Obama", faces=[face])
    logged = consents.grant(
        inst,
        enrolment_id=e.id,
        grantee="imagetool",
        modalities=["face"],
        permitted_uses=["film"],
        territory=["worldwide"],
        valid_until=dt.datetime.now(dt.UTC) + dt.timedelta(days=30),
        evidence_sha256=EVIDENCE,
        signed_how="electronic",
        recorded_by="test",
    )
    c = logged.consent
    assert logged.log_index is not None
    assert consents.check(inst, c.grantee_id, e.id, "face", "film", None).status == "valid"
    assert [x.id for x in consents.list_consents(inst, grantee="imagetool")] == [c.id]
    assert consents.list_consents(inst, grantee="nobody") == []
    revoked = consents.revoke(inst, c.id, revoked_by="test")
    assert revoked.consent.status() == "revoked"
    assert consents.check(inst, c.grantee_id, e.id, "face", "film", None).status == "revoked"
    with inst.db.session() as s:
        staged = s.execute(select(LogOutboxRow.entry_type, LogOutboxRow.log_index)
                           .where(LogOutboxRow.entry_type.like("consent.%"))
                           .order_by(LogOutboxRow.id)).all()
    assert [(t, i) for t, i in staged] == [
        ("consent.granted", logged.log_index), ("consent.revoked", revoked.log_index)]
    with TransparencyLog.open(inst.home, readonly=True) as log:
        leaf = json.loads(log.entry(logged.log_index))
    assert leaf["record_sha256"] == c.record_sha256 and leaf["consent_id"] == c.id


def test_ban_rule_counts_per_tool_and_user(any_db_instance: Instance) -> None:
    inst = any_db_instance
    svc.add_official(inst, "Elena Marchetti")
    service = svc.ScreeningService(inst, embedder=False)
    bad = "Photo of Elena Marchetti being arrested and led away in handcuffs"
    got = [service.screen(bad, "tool", "u-1").user_banned for _ in range(3)]
    assert got == [False, False, True]
    assert service.screen("a lighthouse", "tool", "u-1").decision.reasons[0].rule == "banned"
    assert service.screen("a lighthouse", "other", "u-1").decision.decision == "allow"
    assert svc.lift_ban(inst, "tool", "u-1", "admin")["lifted_by"] == "admin"
    assert service.screen("a lighthouse", "tool", "u-1").decision.decision == "allow"
    counts = {(x["tool"], x["user_ref"]): x for x in svc.event_counts(inst)}
    assert counts[("tool", "u-1")]["block"] == 4  # three blocks and the banned one
