"""Two instances on one machine, as operators run them: A's reviewers confirm a deepfake
through A's case API, A publishes it, B pulls it with A's pinned key; A's history edited
in its database is refused by B's next pull; A withdraws the signal and B drops it. And
issue 18's scenario end to end: a re-encoded, resized copy uploaded to B opens a case that
names A and the log proof, B's reviewer marks it a false positive, A sees the opinion, A
withdraws, and B stops matching."""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from mediaproof.cases.models import Relationship
from mediaproof.fingerprint.fingerprints import fingerprint_file
from mediaproof.media.samples import sample_photo
from tests.e2e.exchange_support import (
    NOTICE,
    Pair,
    add_peer,
    cli,
    confirm_fake,
    pull,
    reencoded,
    two_instances,
)
from tests.factories import Reporter, multipart_fields, notice_form


@pytest.fixture(scope="module")
def pair(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pair]:
    with two_instances(Path(tmp_path_factory.mktemp("exchange")), b_reviewers=("brev1",)) as p:
        yield p


def signals(b_home: Path) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = json.loads(cli(b_home, "peer", "signals", "county-a").stdout)
    return out


def _notice(reporter: Reporter, explanation: str, content_url: str) -> dict[str, Any]:
    """A report of a deepfake of the candidate, as the upload form's fields."""
    return multipart_fields(
        notice_form(
            reporter=reporter,
            explanation=explanation,
            content_url=content_url,
            location="social.example",
        )
    )


def test_publish_pull_rewrite_withdraw(pair: Pair) -> None:
    a, b = pair.a, pair.b
    photo = sample_photo(pair.root / "fake.jpg", seed=11)
    pdq = fingerprint_file(photo).image.pdq.hex  # type: ignore[union-attr]

    # A: a report with the file, a removal proposed and confirmed by a second reviewer
    reporter = Reporter("Bo Voter", "bo@voters.example", Relationship.THIRD_PARTY)
    notice = _notice(
        reporter,
        "A synthetic photo of the candidate at a rally that never was.",
        "https://social.example/p/1",
    )
    confirm_fake(pair, photo, notice, "Synthetic; the rally never happened.")

    # A publishes: a collection, a token for B, the key B pins; B adds A with that key
    cli(a.home, "create", "elections", "--organisation", "County A Elections")
    grant, vkey = add_peer(pair, "county-a")
    assert vkey.startswith("localhost/mediaproof/exchange+")

    # B pulls with the pinned key and holds the signal for review
    code, res = pull(b.home)
    assert (code, res["status"], res["added"]) == (0, "ok", 1), res
    got = signals(b.home)
    assert [(s["signal_type"], s["value"], s["review"]) for s in got] == [("pdq", pdq, "pending")]
    assert got[0]["owner"] == "County A Elections"
    assert "deepfake_of_candidate" in got[0]["tags"]
    # nothing personal travelled, and A audited the reads
    assert "Bo Voter" not in json.dumps(got)
    reads = json.loads(cli(a.home, "reads", "elections").stdout)
    assert reads and all(r["token_id"] == grant["token_id"] for r in reads)

    # A's history edited in its database: B's next pull refuses it and stores nothing
    db = sqlite3.connect(a.home / "mediaproof.db")
    try:
        db.execute("UPDATE exchange_updates SET tags = 'benign' WHERE seq = 1")
        db.commit()
        code, res = pull(b.home)
        assert (code, res["status"]) == (13, "refused"), res
        assert "rewritten" in res["message"]
        status = json.loads(cli(b.home, "peer", "list", "--json").stdout)[0]
        assert status["status"] == "refused" and "rewritten" in status["last_error"]
        assert [s["tags"] for s in signals(b.home)] == [got[0]["tags"]]
        # put back as it was, the same history verifies again
        db.execute("UPDATE exchange_updates SET tags = 'deepfake_of_candidate' WHERE seq = 1")
        db.commit()
    finally:
        db.close()
    code, res = pull(b.home)
    assert (code, res["status"], res["added"]) == (0, "ok", 0), res

    # A withdraws the signal: a tombstone, and B's next pull removes it
    cli(
        a.home,
        "withdraw",
        "elections",
        "--signal-type",
        "pdq",
        "--value",
        pdq,
        "--reason",
        "Reversed after review",
    )
    code, res = pull(b.home)
    size = json.loads(cli(a.home, "collections", "--json").stdout)[0]["size"]
    assert (code, res["status"], res["removed"], res["size"]) == (0, "ok", 1, size), res
    assert signals(b.home) == []
    # A's own snapshot for python-threatexchange no longer lists it either
    assert cli(a.home, "snapshot", "elections").stdout == ""


def test_peer_opinion_reaches_the_publisher_and_travels_as_a_leaf(pair: Pair) -> None:
    """B's reviewer marks A's signal a false positive (`exchange peer opine`); A sees the
    opinion and the signal stops acting there; B's next pull verifies the opinion's leaf
    and keeps the signal; A's re-confirmation lifts the suspension."""
    a, b = pair.a, pair.b
    photo = sample_photo(pair.root / "fake2.jpg", seed=12)
    pdq = fingerprint_file(photo).image.pdq.hex  # type: ignore[union-attr]
    reporter = Reporter("Al Voter", "al@voters.example", Relationship.THIRD_PARTY)
    notice = _notice(
        reporter,
        "A synthetic photo of the candidate signing a pledge never made.",
        "https://social.example/p/2",
    )
    confirm_fake(pair, photo, notice)
    cli(a.home, "sync")
    code, res = pull(b.home, "county-a")
    assert (code, res["status"], res["added"]) == (0, "ok", 1), res
    seq = signals(b.home)[0]["seq"]

    # A grants B the opine scope; B's reviewer posts a false positive with a reason
    add_peer(pair, "county-a-opine", opine=True)
    sent = cli(
        b.home,
        "peer",
        "opine",
        "county-a-opine",
        str(seq),
        "--opinion",
        "false_positive",
        "--reason",
        "Matched a press photo; ask al@b.example",
    ).stdout
    assert json.loads(sent)["opinion"]["opinion"] == "false_positive"
    assert "al@b.example" not in sent
    seen = json.loads(cli(a.home, "opine", "elections", str(seq)).stdout)
    assert seen["owners"]["county-b"]["opinion"] == "false_positive"
    assert (seen["aggregate"], seen["acting"]) == ("disputed", False)
    disputes = json.loads(cli(a.home, "disputes").stdout)
    assert [(x["value"], x["by"]) for x in disputes] == [(pdq, "county-b")]

    # B's next pull verifies the opinion's leaf with the rest; the signal stays held
    code, res = pull(b.home, "county-a")
    assert (code, res["status"], res["added"], res["removed"]) == (0, "ok", 0, 0), res
    assert [s["value"] for s in signals(b.home)] == [pdq]

    # A's reviewers re-check it and re-confirm: it acts again, and that is a leaf too
    cli(a.home, "opine", "elections", str(seq), "--opinion", "confirmed", "--reason", "Re-checked")
    assert json.loads(cli(a.home, "opine", "elections", str(seq)).stdout)["acting"] is True
    assert json.loads(cli(a.home, "disputes").stdout) == []
    code, res = pull(b.home, "county-a")
    assert (code, res["status"]) == (0, "ok"), res


def test_a_copy_uploaded_to_b_opens_a_case_and_the_verdict_goes_back(pair: Pair) -> None:
    a, b, root = pair.a, pair.b, pair.root
    photo = sample_photo(root / "fake3.jpg", seed=13)
    pdq = fingerprint_file(photo).image.pdq.hex  # type: ignore[union-attr]

    # A's reviewers confirm the deepfake (four eyes) and A publishes it
    confirm_fake(pair, photo, {**NOTICE, "content_url": "https://social.example/p/3"})
    # (the first test created the collection; this one may run alone)
    cli(a.home, "create", "elections", "--organisation", "County A Elections", ok=False)
    cli(a.home, "sync")
    add_peer(pair, "county-a-match", opine=True)
    code, res = pull(b.home, "county-a-match")
    assert (code, res["status"]) == (0, "ok"), res
    held = json.loads(cli(b.home, "peer", "signals", "county-a-match").stdout)
    seq = next(s["seq"] for s in held if s["value"] == pdq)

    # a re-encoded, resized copy reported on B: the notice's case names A and the proof
    copy = reencoded(photo, root / "copy3.jpg", 0.7, 75)
    got = fingerprint_file(copy).image.pdq.hex  # type: ignore[union-attr]
    assert 0 < (int(got, 16) ^ int(pdq, 16)).bit_count() <= 31  # a near copy, not the file
    hb = {"Authorization": f"Bearer {pair.b_tokens['brev1']}"}
    with httpx.Client(base_url=b.url, timeout=60) as c:
        r = c.post(
            "/api/v1/notices",
            data={**NOTICE, "content_url": "https://social-b.example/p/9"},
            files={"file": ("copy3.jpg", copy.read_bytes(), "image/jpeg")},
        )
        assert r.status_code == 201, r.text
        b_number = r.json()["case_number"]
        case = c.get(f"/api/v1/cases/{b_number}", headers=hb)
        assert case.status_code == 200, case.text
        body = case.json()
        said = [n["explanation"] for n in body["notices"] if "exchange peer" in n["explanation"]]
        assert len(said) == 1, body["notices"]
        assert "exchange peer county-a-match (collection elections" in said[0]
        assert "published by County A Elections" in said[0]
        assert f"log index {seq - 1}" in said[0] and "signed checkpoint of size" in said[0]
        assert "nothing is applied" in said[0]
        assert body["decisions"] == [] and body["actions"] == []  # it never acts alone
        # public verify of the copy claims nothing from the unconfirmed pulled signal
        v = c.post("/api/v1/verify", files={"file": ("copy3.jpg", copy.read_bytes())})
        assert v.status_code == 200, v.text
        report = json.dumps(v.json()).lower()
        assert "confirmed" not in report and "county a" not in report
        assert "deepfake" not in v.json()["assessment"]["label"].lower()

        # B's reviewer finds it is not what the signal says: no action
        d = c.post(
            f"/api/v1/cases/{b_number}/decisions",
            json={
                "outcome": "no_action",
                "rule_id": "DM-1",
                "explanation": "Not the fake: an authentic photo of the same scene.",
            },
            headers=hb,
        )
        assert d.status_code == 201, d.text

    # the verdict goes back to A at B's next pull round, and A records it
    code, res = pull(b.home, "county-a-match")
    assert (code, res["status"]) == (0, "ok"), res
    # (B's service pulls every peer on its schedule: the earlier tests' sources of the
    # same collection may hold the signal too, and then get a verdict of their own)
    sent = json.loads(cli(b.home, "verdicts").stdout)
    assert [
        (x["seq"], x["opinion"], x["status"]) for x in sent if x["peer"] == "county-a-match"
    ] == [(seq, "false_positive", "sent")]
    seen = json.loads(cli(a.home, "opine", "elections", str(seq)).stdout)
    assert seen["owners"]["county-b"]["opinion"] == "false_positive"
    assert "no action" in seen["owners"]["county-b"]["reason"]

    # A withdraws the signal; B's next pull drops it and a new copy matches nothing
    cli(
        a.home,
        "withdraw",
        "elections",
        "--signal-type",
        "pdq",
        "--value",
        pdq,
        "--reason",
        "Withdrawn after a peer's false positive",
    )
    code, res = pull(b.home, "county-a-match")
    assert (code, res["status"], res["removed"]) == (0, "ok", 1), res
    every = json.loads(cli(b.home, "pull", "--force", "--json").stdout)  # the other sources
    assert all(x["status"] == "ok" for x in every), every
    assert not any(
        s["value"] == pdq
        for p in ("county-a", "county-a-opine")
        for s in json.loads(cli(b.home, "peer", "signals", p, ok=False).stdout or "[]")
    )
    again = reencoded(photo, root / "copy4.jpg", 0.6, 70)
    with httpx.Client(base_url=b.url, timeout=60) as c:
        r = c.post(
            "/api/v1/notices",
            data={**NOTICE, "content_url": "https://social-b.example/p/10"},
            files={"file": ("copy4.jpg", again.read_bytes(), "image/jpeg")},
        )
        assert r.status_code == 201, r.text
    digest = hashlib.sha256(again.read_bytes()).hexdigest()
    assert json.loads(cli(b.home, "matches", "--media", digest).stdout) == []
    first = hashlib.sha256(copy.read_bytes()).hexdigest()
    # the first copy's match is kept, with its proof (and once per source holding it)
    [m] = [
        m
        for m in json.loads(cli(b.home, "matches", "--media", first).stdout)
        if m["peer"] == "county-a-match"
    ]
    assert (m["outcome"], m["case_number"], m["log_index"]) == ("opened", b_number, seq - 1)
    assert m["checkpoint_size"] >= seq and len(m["checkpoint_root"]) == 64
