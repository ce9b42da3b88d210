"""Verdicts back to ThreatExchange, NCMEC and StopNCII through the library's own clients,
against the stand-ins of their APIs (tests/integration/standins/pytx.py), which record
what they took: the right verdict for the right record of the right signal, nothing
twice, an outage retried on the verdict outbox's backoff (30 s doubling), an answer that
will not change recorded as refused, and a verdict reversed on appeal replacing ours."""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path
from typing import Any

import pytest

from mediaproof.cases.events import InMemoryEventSink
from mediaproof.cases.models import AppealOutcome, Outcome
from mediaproof.errors import UsageError
from mediaproof.services import exchange_match, exchange_sources
from mediaproof.services.cases import CaseService
from mediaproof.services.instance import Instance
from tests.integration.standins import pytx as standins
from tests.integration.test_exchange_pytx_sources import (
    MD5_M,
    PDQ_X,
    PDQ_Y,
    b,
    creds,
    decide,
    pull,
)

__all__ = ["b"]  # the fixture, shared with the pytx source tests

T0 = dt.datetime(2026, 12, 6, 12, 0, tzinfo=dt.UTC)
S = dt.timedelta(seconds=1)
TOKEN = "1234567890|" + "t0k3n" * 6


def only_verdict(b: Instance) -> dict[str, Any]:
    [v] = exchange_match.verdicts(b)
    return v


def posts(s: standins.StandIn, path: str) -> int:
    return sum(1 for r in s.requests if r.path == path and r.method != "GET")


def test_threatexchange_outage_is_retried_with_backoff_and_sent_once(
    b: Instance, tmp_path: Path
) -> None:
    tx = standins.ThreatExchange(TOKEN, privacy_group=303)
    tx.updates = [
        standins.TxUpdate(1, PDQ_X, "HASH_PDQ", 100, owner=2222),
        standins.TxUpdate(2, PDQ_Y, "HASH_PDQ", 101, owner=3333),
    ]
    with tx:
        exchange_sources.add_source(
            b,
            "te",
            kind="pytx:fb_threatexchange",
            base_url=tx.url,
            credentials_file=creds(tmp_path, TOKEN),
            privacy_group=303,
        )
        assert pull(b, "te").status == "ok"
        labelled = decide(b, "1" * 64, PDQ_X, Outcome.LABEL, T0)

        tx.fail = 503
        out = exchange_match.send_verdicts(b, now=T0)
        assert [o["status"] for o in out] == ["pending"]
        v = only_verdict(b)
        assert (v["status"], v["attempts"]) == ("pending", 1) and "t0k3n" not in v["last_error"]
        assert tx.reacted == []
        # not due again before 30 s: nothing is sent
        tried = len(tx.requests)
        assert exchange_match.send_verdicts(b, now=T0 + 29 * S) == []
        assert len(tx.requests) == tried
        # still down at 30 s: the next try waits 60 s
        assert [o["status"] for o in exchange_match.send_verdicts(b, now=T0 + 30 * S)] == [
            "pending"
        ]
        assert exchange_match.send_verdicts(b, now=T0 + 89 * S) == []
        tx.fail = None
        out = exchange_match.send_verdicts(b, now=T0 + 90 * S)
        assert [o["status"] for o in out] == ["sent"]
        assert (only_verdict(b)["status"], only_verdict(b)["attempts"]) == ("sent", 3)
        # to update 1's descriptor only (PDQ_Y's was not matched), once
        assert tx.reacted == [
            (10, "reactions", "HELPFUL"),
            (10, "reactions_to_remove", "DISAGREE_WITH_TAGS"),
        ]
        assert exchange_match.send_verdicts(b, now=T0 + 3600 * S) == []
        assert len(tx.reacted) == 2

        # reversed on appeal: our reaction becomes DISAGREE_WITH_TAGS, HELPFUL taken off
        svc = CaseService(b.db, sink=InMemoryEventSink())
        ap = svc.appeal(labelled.uploader_token, grounds="My own parody.", now=T0 + 2000 * S)
        svc.decide_appeal(
            ap.public_id,
            reviewer="carol",
            outcome=AppealOutcome.REVERSED,
            explanation="A labelled parody.",
            now=T0 + 3000 * S,
        )
        out = exchange_match.send_verdicts(b, now=T0 + 4000 * S)
        assert [o["status"] for o in out] == ["sent"]
        assert only_verdict(b)["opinion"] == "false_positive"
        assert tx.reactions == {10: {"DISAGREE_WITH_TAGS"}}
        assert exchange_match.send_verdicts(b, now=T0 + 9000 * S) == []
        assert len(tx.reacted) == 4


def test_threatexchange_refusal_is_final_and_carries_no_token(b: Instance, tmp_path: Path) -> None:
    tx = standins.ThreatExchange(TOKEN, privacy_group=303)
    tx.updates = [standins.TxUpdate(1, PDQ_X, "HASH_PDQ", 100, owner=2222)]
    with tx:
        exchange_sources.add_source(
            b,
            "te",
            kind="pytx:fb_threatexchange",
            base_url=tx.url,
            credentials_file=creds(tmp_path, TOKEN),
            privacy_group=303,
        )
        assert pull(b, "te").status == "ok"
        decide(b, "2" * 64, PDQ_X, Outcome.NO_ACTION, T0)
        tx.token = "1234567890|revoked"  # our token no longer works: Graph's error 190
        out = exchange_match.send_verdicts(b, now=T0)
        assert [o["status"] for o in out] == ["refused"]
        v = only_verdict(b)
        assert "Invalid OAuth access token" in v["last_error"] and "t0k3n" not in v["last_error"]
        tried = len(tx.requests)
        assert exchange_match.send_verdicts(b, now=T0 + 3600 * S) == []
        assert len(tx.requests) == tried


def test_stop_ncii_feedback_with_its_function_key(b: Instance, tmp_path: Path) -> None:
    sn = standins.StopNcii("fn-key-123", "sub-key-456", feedback_key="fb-key-789")
    sn.records = [
        standins.NciiRecord(PDQ_X, 1000),
        standins.NciiRecord(MD5_M, 1001, signal_type="VideoMD5"),
    ]
    with sn:
        exchange_sources.add_source(
            b,
            "ncii",
            kind="pytx:stop_ncii",
            base_url=sn.url,
            credentials_file=creds(tmp_path, "fn-key-123,sub-key-456\nfb-key-789"),
        )
        assert pull(b, "ncii").status == "ok"
        decide(b, "3" * 64, MD5_M, Outcome.NO_ACTION, T0)
        # SubmitFeedback is a POST: the library does not retry it; the outbox does
        sn.fail = 502
        assert [o["status"] for o in exchange_match.send_verdicts(b, now=T0)] == ["pending"]
        sn.fail = None
        out = exchange_match.send_verdicts(b, now=T0 + 30 * S)
        assert [o["status"] for o in out] == ["sent"]
        assert sn.feedback == [{"tags": [], "feedbackValue": "NotBlocked", "hashValue": MD5_M}]
        fb = [r for r in sn.requests if r.path == "/SubmitFeedback"]
        assert fb[-1].headers["x-functions-key"] == "fb-key-789"
        assert exchange_match.send_verdicts(b, now=T0 + 3600 * S) == []
        assert posts(sn, "/SubmitFeedback") == 2  # the failed try and the one taken
        assert "fb-key-789" not in str(exchange_match.verdicts(b))


def test_ncmec_votes_on_each_entry_and_needs_a_reason_among_several(
    b: Instance, tmp_path: Path
) -> None:
    nc = standins.Ncmec("esp-user", "hunter2-password")
    old = int(time.time()) - 86_400
    nc.entries = [
        standins.NcmecEntry("video1", 42, "video", old, {"md5": MD5_M}),
        standins.NcmecEntry("video2", 43, "video", old + 1, {"md5": MD5_M}),
        standins.NcmecEntry("image1", 42, "image", old + 2, {"pdq": PDQ_X}),
    ]
    guid = "0a1b2c3d-0000-4000-8000-00000000000b"
    nc.reasons["PDQ"] = [("0a1b2c3d-0000-4000-8000-00000000000a", "Not CSAM"), (guid, "Adult")]
    with nc:
        exchange_sources.add_source(
            b,
            "ncmec",
            kind="pytx:ncmec",
            base_url=nc.url,
            credentials_file=creds(tmp_path, "esp-user:hunter2-password"),
        )
        assert pull(b, "ncmec").status == "ok"
        # confirmed: an upvote on both entries that give the hash
        decide(b, "4" * 64, MD5_M, Outcome.LABEL, T0)
        assert [o["status"] for o in exchange_match.send_verdicts(b, now=T0)] == ["sent"]
        assert sorted(nc.votes) == [
            (42, "video1", "MD5", "affirmative", None),
            (43, "video2", "MD5", "affirmative", None),
        ]
        # a false positive where NCMEC offers several reasons and none is chosen
        decide(b, "5" * 64, PDQ_X, Outcome.NO_ACTION, T0)
        out = exchange_match.send_verdicts(b, now=T0 + S)
        assert [o["status"] for o in out] == ["refused"]
        assert "ncmec_negative_reason" in (out[0]["error"] or "") and len(nc.votes) == 2

        # a source with the reason chosen sends it
        exchange_sources.add_source(
            b,
            "ncmec2",
            kind="pytx:ncmec",
            base_url=nc.url,
            credentials_file=creds(tmp_path, "esp-user:hunter2-password", "c2"),
            ncmec_negative_reason=guid,
        )
        assert pull(b, "ncmec2").status == "ok"
        decide(b, "6" * 64, PDQ_X, Outcome.NO_ACTION, T0 + 2 * S)
        out = exchange_match.send_verdicts(b, now=T0 + 2 * S)
        assert ("ncmec2", "sent") in {(o["peer"], o["status"]) for o in out}
        assert nc.votes[-1] == (42, "image1", "PDQ", "negative", guid)
    with pytest.raises(UsageError, match="GUID"):
        exchange_sources.add_source(
            b,
            "ncmec3",
            kind="pytx:ncmec",
            base_url=nc.url,
            credentials_file=creds(tmp_path, "esp-user:hunter2-password", "c3"),
            ncmec_negative_reason="not-a-guid",
        )
