"""Sources pulled through python-threatexchange's own exchange clients, each against a
local stand-in of its remote API (tests/integration/standins/pytx.py) or, for
``local_file``, a file: a pull lands PDQ and video MD5 signals (other types counted and
skipped, flat PDQs gated), a second pull goes on from the library's checkpoint, a
deleted record takes its signals out, an outage backs off with the error in the status
(never a credential), and a decided case's verdict goes back through the exchange
client's own feedback call where the API takes one (the stand-in records what it
received) and is recorded as not supported where it has none. Retries and appeals of
those verdicts: test_exchange_pytx_verdicts.py."""

from __future__ import annotations

import datetime as dt
import json
import logging
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from mediaproof.cases.events import InMemoryEventSink
from mediaproof.cases.models import Outcome
from mediaproof.errors import UsageError
from mediaproof.services import exchange_match, exchange_pull, exchange_sources
from mediaproof.services.cases import CaseService
from mediaproof.services.instance import Instance
from tests.api.conftest import make_settings
from tests.integration.standins import pytx as standins

T0 = dt.datetime(2026, 12, 6, 12, 0, tzinfo=dt.UTC)
PDQ_X = "5a" * 32  # 128 bits set: kept by the quality gate
PDQ_Y = "3c" * 32
PDQ_Z = "0f" * 32
PDQ_FLAT = "00" * 32  # a flat image's hash: gated
MD5_M = "0123456789abcdef" * 2
MD5_N = "fedcba9876543210" * 2


@pytest.fixture
def b(tmp_path: Path, db_url: str) -> Iterator[Instance]:
    settings = make_settings(tmp_path / "b")
    inst = Instance(settings.model_copy(update={"database_url": db_url}))
    try:
        yield inst
    finally:
        inst.close()


def creds(tmp_path: Path, text: str, name: str = "creds") -> Path:
    p = tmp_path / name
    p.write_text(text + "\n")
    p.chmod(0o600)
    return p


def held(b: Instance, name: str) -> dict[str, dict[str, Any]]:
    return {s["value"]: s for s in exchange_pull.incoming(b, name)}


def status(b: Instance, name: str) -> dict[str, Any]:
    return next(p for p in exchange_pull.peers(b) if p["name"] == name)


def pull(b: Instance, name: str, now: dt.datetime = T0) -> exchange_pull.PullResult:
    return exchange_pull.pull_one(b, name, now=now, force=True)


def decide(b: Instance, sha: str, value: str, outcome: Outcome, now: dt.datetime) -> Any:
    """Match an upload to ``value`` and decide its case: the decision."""
    svc = CaseService(b.db, sink=InMemoryEventSink())
    keys = {"pdq": value} if len(value) == 64 else {}
    res = exchange_match.check_upload(
        b, svc, sha256=sha, fingerprints=keys, md5=None if keys else value, now=now
    )
    assert res.case_number is not None
    return svc.decide(
        res.case_number,
        reviewer="bea",
        outcome=outcome,
        rule_id="DM-1",
        explanation="Reviewed against the signal.",
        now=now,
    )


def verdict(
    b: Instance, sha: str, value: str, outcome: Outcome, now: dt.datetime
) -> dict[str, Any]:
    """Match an upload to ``value``, decide its case, send verdicts: the one for it."""
    number = decide(b, sha, value, outcome, now).case.number
    exchange_match.send_verdicts(b, now=now)
    return next(v for v in exchange_match.verdicts(b) if v["case_number"] == number)


def failed_and_backs_off(b: Instance, name: str, now: dt.datetime, *secrets: str) -> str:
    r = pull(b, name, now)
    assert r.status == "error" and r.message
    st = status(b, name)
    assert st["status"] == "error" and st["failures"] >= 1 and st["last_error"] == r.message
    # not tried again before its time (the schedule's pull honours the backoff)
    again = exchange_pull.pull_one(b, name, now=now + dt.timedelta(seconds=1))
    assert again.status == "backoff"
    shown = json.dumps(exchange_pull.peers(b))
    for s in secrets:
        assert s not in shown and s not in r.message
    return r.message


def test_local_file_lands_replaces_and_takes_a_verdict(b: Instance, tmp_path: Path) -> None:
    f = tmp_path / "signals.txt"
    f.write_text(f"pdq {PDQ_X}\nvideo_md5 {MD5_M}\nurl https://example.org/x\npdq {PDQ_FLAT}\n")
    out = exchange_sources.add_source(b, "lists", kind="pytx:local_file", filename=f)
    assert out["kind"] == "pytx:local_file" and out["status"] == "new"
    r = pull(b, "lists")
    assert (r.status, r.added, r.removed) == ("ok", 2, 0)
    got = held(b, "lists")
    assert set(got) == {PDQ_X, MD5_M}
    assert got[PDQ_X]["review"] == "pending" and got[PDQ_X]["signal_type"] == "pdq"
    st = status(b, "lists")
    assert st["skipped"] == 1 and st["gated"]["flat"] == 1 and st["signals"] == 2
    # the file is the whole set: a line taken out is a deletion
    f.write_text(f"pdq {PDQ_Y}\nvideo_md5 {MD5_M}\n")
    r = pull(b, "lists", T0 + dt.timedelta(minutes=1))
    assert (r.added, r.removed) == (1, 1)
    assert set(held(b, "lists")) == {PDQ_Y, MD5_M}

    # a confirmed verdict goes back through report_opinion (local_file appends it) ...
    later = T0 + dt.timedelta(minutes=2)
    v = verdict(b, "1" * 64, PDQ_Y, Outcome.LABEL, later)
    assert (v["opinion"], v["status"], v["last_error"]) == ("confirmed", "sent", None)
    assert f.read_text().splitlines()[-1] == f"pdq {PDQ_Y}"
    # ... a false positive it takes none of: recorded so, never retried
    v = verdict(b, "2" * 64, MD5_M, Outcome.NO_ACTION, later)
    assert (v["opinion"], v["status"]) == ("false_positive", "unsupported")
    assert v["last_error"].startswith("not supported by this exchange")

    f.unlink()
    msg = failed_and_backs_off(b, "lists", later)
    assert "No such file" in msg
    assert set(held(b, "lists")) == {PDQ_Y, MD5_M}  # a failed pull changes nothing


def test_threatexchange(b: Instance, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    token = "1234567890|" + "s3cr3t" * 5
    tx = standins.ThreatExchange(token, privacy_group=303)
    tx.updates = [
        standins.TxUpdate(1, PDQ_X, "HASH_PDQ", 100, tags=["deepfake_of_candidate"]),
        standins.TxUpdate(2, MD5_M, "HASH_VIDEO_MD5", 101),
        standins.TxUpdate(3, "https://example.org/x", "URI", 102),
        standins.TxUpdate(4, PDQ_Z, "HASH_PDQ", 103, status="NON_MALICIOUS"),
    ]
    caplog.set_level(logging.DEBUG)
    with tx:
        exchange_sources.add_source(
            b,
            "meta-te",
            kind="pytx:fb_threatexchange",
            base_url=tx.url,
            credentials_file=creds(tmp_path, token),
            privacy_group=303,
        )
        r = pull(b, "meta-te")
        assert (r.status, r.added) == ("ok", 3)
        got = held(b, "meta-te")
        assert got[PDQ_X]["category"] == "positive_class"
        assert "deepfake_of_candidate" in got[PDQ_X]["tags"]
        assert got[PDQ_Z]["category"] == "negative_class"  # known benign: suppresses
        assert status(b, "meta-te")["skipped"] == 1
        first = tx.requests[-1]
        assert first.path == "/303/threat_updates/" and "start_time" not in first.query

        tx.updates += [
            standins.TxUpdate(5, PDQ_Y, "HASH_PDQ", 200),
            standins.TxUpdate(1, PDQ_X, "HASH_PDQ", 201, should_delete=True),
        ]
        r = pull(b, "meta-te", T0 + dt.timedelta(minutes=1))
        assert tx.requests[-1].query["start_time"] == ["103"]  # from the checkpoint
        assert (r.added, r.removed) == (1, 1)
        assert set(held(b, "meta-te")) == {MD5_M, PDQ_Z, PDQ_Y}

        # a confirmed verdict: HELPFUL on the other member's descriptor of PDQ_Y (update
        # 5's descriptor 50), any DISAGREE_WITH_TAGS of ours taken off
        v = verdict(b, "3" * 64, PDQ_Y, Outcome.LABEL, T0 + dt.timedelta(minutes=2))
        assert (v["opinion"], v["status"], v["last_error"]) == ("confirmed", "sent", None)
        assert tx.reacted == [
            (50, "reactions", "HELPFUL"),
            (50, "reactions_to_remove", "DISAGREE_WITH_TAGS"),
        ]
        assert tx.reactions == {50: {"HELPFUL"}}

        tx.fail = 500
        msg = failed_and_backs_off(b, "meta-te", T0 + dt.timedelta(minutes=3), token, "s3cr3t")
        assert "500" in msg
    assert "s3cr3t" not in caplog.text


def test_ncmec_xml(b: Instance, tmp_path: Path) -> None:
    nc = standins.Ncmec("esp-user", "hunter2-password")
    old = int(time.time()) - 86_400
    nc.entries = [
        standins.NcmecEntry("image1", 42, "image", old, {"md5": "a1" * 16, "pdq": PDQ_X}),
        standins.NcmecEntry("video1", 42, "video", old, {"md5": MD5_M, "sha1": "b1" * 20}),
        standins.NcmecEntry("video2", 43, "video", old + 1, {"md5": MD5_M}),  # same hash
        standins.NcmecEntry("image2", 43, "image", old + 2, {"md5": "c1" * 16, "sha1": "c1" * 20}),
    ]
    with nc:
        exchange_sources.add_source(
            b,
            "ncmec",
            kind="pytx:ncmec",
            base_url=nc.url,
            credentials_file=creds(tmp_path, "esp-user:hunter2-password"),
        )
        r = pull(b, "ncmec")
        assert (r.status, r.added) == ("ok", 2)
        got = held(b, "ncmec")
        assert set(got) == {PDQ_X, MD5_M}
        assert got[PDQ_X]["category"] == "positive_class" and "A1" in got[PDQ_X]["tags"]
        assert "42" in got[PDQ_X]["owner"]
        assert status(b, "ncmec")["skipped"] == 1  # image2: no PDQ
        peer = exchange_sources.source(b, "ncmec")
        assert peer.pytx_checkpoint is not None
        end = json.loads(peer.pytx_checkpoint)["get_entries_max_ts"]

        # incremental: only what came after the checkpoint; a deleted entry takes its
        # signals out, but a hash another entry still gives stays
        nc.entries += [
            standins.NcmecEntry("image1", 42, "image", end, deleted=True),
            standins.NcmecEntry("video1", 42, "video", end, deleted=True),
            standins.NcmecEntry("image3", 44, "image", end, {"pdq": PDQ_Y}),
        ]
        # the library fetches only whole seconds older than 5 s: wait for the next one
        while int(time.time()) - 5 <= end:
            time.sleep(0.1)
        r = pull(b, "ncmec", T0 + dt.timedelta(minutes=1))
        assert (
            standins.dt.datetime.strptime(nc.requests[-1].query["from"][0], "%Y-%m-%dT%H:%M:%SZ")
            .replace(tzinfo=dt.UTC)
            .timestamp()
            == end
        )
        assert (r.added, r.removed) == (1, 1)
        assert set(held(b, "ncmec")) == {MD5_M, PDQ_Y}

        # a false positive: a downvote on image3's PDQ, with NCMEC's only reason
        v = verdict(b, "4" * 64, PDQ_Y, Outcome.NO_ACTION, T0 + dt.timedelta(minutes=2))
        assert (v["opinion"], v["status"], v["last_error"]) == ("false_positive", "sent", None)
        assert nc.votes == [(44, "image3", "PDQ", "negative", nc.reasons["PDQ"][0][0])]

    bad = creds(tmp_path, "esp-user:wrong", "bad")
    exchange_sources.add_source(
        b, "ncmec-bad", kind="pytx:ncmec", base_url=nc.url, credentials_file=bad
    )
    with standins.Ncmec("esp-user", "hunter2-password") as nc2:
        with b.db.session() as s:  # the same source, pointed at the running stand-in
            from mediaproof.storage.sql.tables_exchange import ExchangePeerRow

            row = s.query(ExchangePeerRow).filter_by(name="ncmec-bad").one()
            row.url = nc2.url
        msg = failed_and_backs_off(b, "ncmec-bad", T0, "wrong", "hunter2-password")
        assert "401" in msg


def test_stop_ncii(b: Instance, tmp_path: Path) -> None:
    sn = standins.StopNcii("fn-key-123", "sub-key-456")
    sn.records = [
        standins.NciiRecord(
            PDQ_X,
            1000,
            feedbacks=[{"source": "Meta", "feedbackValue": "Blocked", "tags": ["Nude"]}],
        ),
        standins.NciiRecord(MD5_M, 1001, signal_type="VideoMD5", status="Received"),
        standins.NciiRecord("https://example.org/x", 1002, signal_type="URL"),
    ]
    with sn:
        exchange_sources.add_source(
            b,
            "stopncii",
            kind="pytx:stop_ncii",
            base_url=sn.url,
            credentials_file=creds(tmp_path, "fn-key-123,sub-key-456"),
        )
        r = pull(b, "stopncii")
        assert (r.status, r.added) == ("ok", 2)
        assert sn.requests[-1].query["startTimestamp"] == ["10"]  # the library's start
        got = held(b, "stopncii")
        assert got[PDQ_X]["category"] == "positive_class"
        assert got[MD5_M]["category"] == "investigation_seed"
        assert status(b, "stopncii")["skipped"] == 1
        sn.records += [
            standins.NciiRecord(PDQ_X, 2000, status="Withdrawn"),
            standins.NciiRecord(PDQ_Y, 2001),
        ]
        r = pull(b, "stopncii", T0 + dt.timedelta(minutes=1))
        assert sn.requests[-1].query["startTimestamp"] == ["1003"]
        assert (r.added, r.removed) == (1, 1)
        assert set(held(b, "stopncii")) == {MD5_M, PDQ_Y}

        # no SubmitFeedback function key in the credentials: recorded as not sent
        v = verdict(b, "5" * 64, PDQ_Y, Outcome.LABEL, T0 + dt.timedelta(minutes=2))
        assert v["status"] == "unsupported" and "SubmitFeedback" in v["last_error"]
        assert sn.feedback == [] and all(r.path == "/FetchHashes" for r in sn.requests)

        sn.fail = 401
        failed_and_backs_off(
            b, "stopncii", T0 + dt.timedelta(minutes=3), "fn-key-123", "sub-key-456"
        )


def test_tech_against_terrorism(b: Instance, tmp_path: Path) -> None:
    tat = standins.Tat("tat-user", "tat-pass-789")
    tat.entries = [
        standins.TatEntry(1, PDQ_X, "PDQ", 1704901040.2),
        standins.TatEntry(2, MD5_M, "MD5", 1704901040.3, file_type="mp4"),
        standins.TatEntry(3, MD5_N, "MD5", 1704901040.4, file_type="jpg"),  # not a video
    ]
    with tat:
        exchange_sources.add_source(
            b,
            "tat",
            kind="pytx:tat",
            base_url=tat.url,
            credentials_file=creds(tmp_path, "tat-user:tat-pass-789"),
        )
        r = pull(b, "tat")
        assert (r.status, r.added) == ("ok", 2)
        assert set(held(b, "tat")) == {PDQ_X, MD5_M}
        # the library's own fetch_iter drops the MD5 of a picture before we see it: there
        # is nothing to count
        assert status(b, "tat")["skipped"] == 0
        tat.entries += [
            standins.TatEntry(1, PDQ_X, "PDQ", 1704901050.0, deleted=True),
            standins.TatEntry(4, PDQ_Y, "PDQ", 1704901050.1),
        ]
        r = pull(b, "tat", T0 + dt.timedelta(minutes=1))
        assert tat.requests[-1].query["after"] == ["1704901040.4,3"]
        assert (r.added, r.removed) == (1, 1)
        assert set(held(b, "tat")) == {MD5_M, PDQ_Y}

        v = verdict(b, "6" * 64, PDQ_Y, Outcome.LABEL, T0 + dt.timedelta(minutes=2))
        assert v["status"] == "unsupported" and "takes no feedback" in v["last_error"]

        tat.login = ("tat-user", "changed")  # our password no longer works
        failed_and_backs_off(b, "tat", T0 + dt.timedelta(minutes=3), "tat-pass-789")


def test_adding_a_source_is_explicit_and_its_credentials_private(
    b: Instance, tmp_path: Path
) -> None:
    c = creds(tmp_path, "u:p")
    with pytest.raises(UsageError, match="needs --base-url"):
        exchange_sources.add_source(b, "n", kind="pytx:ncmec", credentials_file=c)
    with pytest.raises(UsageError, match="unknown source kind"):
        exchange_sources.add_source(b, "n", kind="ncmec", base_url="http://127.0.0.1:1")
    c.chmod(0o644)
    with pytest.raises(UsageError, match="can be read by others"):
        exchange_sources.add_source(
            b, "n", kind="pytx:ncmec", base_url="http://127.0.0.1:1", credentials_file=c
        )
    c.chmod(0o600)
    with pytest.raises(UsageError, match="format"):
        exchange_sources.add_source(
            b,
            "n",
            kind="pytx:fb_threatexchange",
            base_url="http://127.0.0.1:1",
            credentials_file=c,
            privacy_group=1,
        )
    with pytest.raises(UsageError, match="--privacy-group"):
        exchange_sources.add_source(
            b,
            "n",
            kind="pytx:fb_threatexchange",
            base_url="http://127.0.0.1:1",
            credentials_file=creds(tmp_path, "1234567890|" + "a" * 24, "fb"),
        )
    assert exchange_pull.peers(b) == []  # nothing was added, nothing called


def test_a_match_names_the_exchange_and_claims_no_log_proof(b: Instance, tmp_path: Path) -> None:
    f = tmp_path / "signals.txt"
    f.write_text(f"pdq {PDQ_X}\n")
    exchange_sources.add_source(b, "lists", kind="pytx:local_file", filename=f)
    assert pull(b, "lists").status == "ok"
    svc = CaseService(b.db, sink=InMemoryEventSink())
    res = exchange_match.check_upload(b, svc, sha256="7" * 64, fingerprints={"pdq": PDQ_X}, now=T0)
    assert res.case_number is not None
    [hit] = res.opened
    assert (hit["source"], hit["collection"], hit["log_index"]) == ("lists", "local_file", None)
    text = svc.show(res.case_number).notices[0].explanation
    assert "exchange source lists" in text and "python-threatexchange's local_file" in text
    assert "publishes no signed log" in text and "nothing is applied" in text
    # no proof it does not have: none of a mediaproof peer's log wording
    assert "log index" not in text and "checkpoint" not in text and "proved" not in text
    [m] = exchange_match.matches(b)
    assert m["log_index"] is None

    # must not trigger: a mediaproof peer's match keeps its log proof and no such caveat
    from tests.integration.test_exchange_match import row, source

    source(b, [row(1, PDQ_Y)])
    peer = exchange_match.check_upload(b, svc, sha256="8" * 64, fingerprints={"pdq": PDQ_Y}, now=T0)
    assert peer.case_number is not None and peer.opened[0]["log_index"] == 0
    text = svc.show(peer.case_number).notices[0].explanation
    assert "log index 0" in text and "publishes no signed log" not in text


def test_the_command_line_adds_lists_and_pulls_a_source(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from mediaproof.cli.main import app

    home = tmp_path / "i"
    f = tmp_path / "signals.txt"
    f.write_text(f"{PDQ_X}\n")
    run = CliRunner()
    r = run.invoke(
        app,
        [
            "exchange",
            "source",
            "add",
            "--name",
            "lists",
            "--kind",
            "pytx:local_file",
            "--file",
            str(f),
            "--signal-type",
            "pdq",
            "--home",
            str(home),
        ],
    )
    assert r.exit_code == 0, r.output
    r = run.invoke(app, ["exchange", "pull", "--home", str(home)])
    assert r.exit_code == 0 and "lists: ok +1 -0" in r.output, r.output
    r = run.invoke(app, ["exchange", "source", "list", "--home", str(home)])
    assert "lists (pytx:local_file): ok (1 signals, 0 records skipped)" in r.output, r.output
    r = run.invoke(
        app,
        [
            "exchange",
            "source",
            "add",
            "--name",
            "te",
            "--kind",
            "pytx:fb_threatexchange",
            "--home",
            str(home),
        ],
    )
    assert r.exit_code == 2 and "needs --base-url" in r.output, r.output
    r = run.invoke(app, ["exchange", "source", "kinds"])
    assert [k["kind"] for k in json.loads(r.output)] == [
        "pytx:local_file",
        "pytx:fb_threatexchange",
        "pytx:ncmec",
        "pytx:stop_ncii",
        "pytx:tat",
    ]


def test_peer_only_commands_refuse_a_pytx_source(b: Instance, tmp_path: Path) -> None:
    from mediaproof.services import exchange_contrib

    f = tmp_path / "signals.txt"
    f.write_text(f"pdq {PDQ_X}\n")
    exchange_sources.add_source(b, "lists", kind="pytx:local_file", filename=f)
    with pytest.raises(UsageError, match="pytx:local_file source"):
        exchange_pull.send_opinion(b, "lists", 1, "confirmed", "seen here")
    with pytest.raises(UsageError, match="takes no contributions"):
        exchange_contrib.send_contribution(
            b, "lists", signal_type="pdq", value=PDQ_Y, reason="seen here"
        )
