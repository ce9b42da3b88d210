"""Contributions on SQLite and PostgreSQL: a peer granted the contribute scope submits a
signal, it waits (nothing published) until a reviewer accepts it (a signal row of the
feed, a log leaf owned by the peer, which a puller verifies and later syncs keep) or
rejects it with a reason; the quality gate refuses poor hashes at submit; every
submission is audited; and a peer instance submits through `send_contribution`."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import cast

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from mediaproof.accounts.models import Permission, Principal, Role
from mediaproof.api import create_app
from mediaproof.errors import ConflictError, NotFoundError, PermissionDeniedError, UsageError
from mediaproof.exchange.contributions import QualityGateError
from mediaproof.exchange.models import CollectionSpec, SignalType
from mediaproof.services import accounts, exchange, exchange_contrib, exchange_pull
from mediaproof.services.instance import Instance
from tests.api.conftest import make_settings
from tests.integration.test_exchange_db import PDQ_A, PDQ_B, inst_of, peer_instance

PDQ_N = "5a" * 32  # 128 bits set: a usable hash


@pytest.fixture
def app(tmp_path: Path, db_url: str) -> Iterator[FastAPI]:
    settings = make_settings(tmp_path / "a", rate_exchange_burst=1000)
    a = create_app(settings.model_copy(update={"database_url": db_url}))
    with TestClient(a):  # runs the lifespan (and closes the instance after)
        yield a


def peer(inst: Instance, name: str, *, opine: bool = False, contribute: bool = False) -> Principal:
    secret, _ = exchange.grant(inst, "confirmed", name, opine=opine, contribute=contribute)
    p = accounts.token_principal(inst, secret)
    assert p is not None
    return p


def setup(app: FastAPI) -> Instance:
    inst = inst_of(app)
    exchange.create_collection(
        inst,
        CollectionSpec(
            "confirmed", "County A", signal_types=(SignalType.PDQ, SignalType.VIDEO_MD5)
        ),
    )
    exchange.create_collection(inst, CollectionSpec("other", "County A"))
    return inst


def submit(inst: Instance, who: Principal, value: str = PDQ_N, **kw: object) -> dict[str, object]:
    args: dict[str, object] = {
        "signal_type": "pdq",
        "value": value,
        "reason": "Confirmed by two of our reviewers: a synthetic clip of the candidate",
        "tags": ["deepfake_of_candidate"],
        **kw,
    }
    return exchange_contrib.contribute(inst, who, "confirmed", **args)  # type: ignore[arg-type]


def test_a_contribution_waits_for_review_then_is_published_as_the_peers(app: FastAPI) -> None:
    inst = setup(app)
    b = peer(inst, "county-b", contribute=True)
    c = submit(inst, b, quality=90)
    assert (c["status"], c["contributor"], c["seq"]) == ("pending", "county-b", None)
    # nothing is published before a reviewer accepts it
    assert exchange.updates(inst, b, "confirmed")["size"] == 0
    with pytest.raises(ConflictError):  # the same signal pending twice
        submit(inst, b)
    assert [x["id"] for x in exchange_contrib.contributions(inst, status="pending")] == [c["id"]]
    assert [x["id"] for x in exchange_contrib.my_contributions(inst, b, "confirmed")] == [c["id"]]

    done = exchange_contrib.accept(inst, int(str(c["id"])), "rita")
    row = done["update"]
    assert (row["seq"], row["owner"], row["value"], row["tags"], row["quality"]) == (
        1,
        "county-b",
        PDQ_N,
        ["deepfake_of_candidate"],
        90,
    )
    assert done["contribution"]["status"] == "accepted"
    assert done["contribution"]["decided_by"] == "rita" and done["contribution"]["seq"] == 1
    page = exchange.updates(inst, b, "confirmed")
    assert [(u["seq"], u["owner"]) for u in page["updates"]] == [(1, "county-b")]
    assert page["updates"][0]["inclusion_proof"] == []  # a one-leaf tree: the leaf is the root
    # a sync keeps it: an accepted contribution is published like an admitted bank entry
    assert (exchange.sync(inst, "confirmed")[0].added, exchange.sync(inst)[0].withdrawn) == (0, 0)
    assert exchange.updates(inst, b, "confirmed")["size"] == 1
    with pytest.raises(ConflictError):  # decided already
        exchange_contrib.accept(inst, int(str(c["id"])))
    with pytest.raises(ConflictError):  # published already
        submit(inst, b)

    # withdrawn: a tombstone, later syncs keep it out, and it cannot come back
    exchange.withdraw(inst, "confirmed", "pdq", PDQ_N, "Reversed on appeal at County B")
    exchange.sync(inst)
    assert [u["deleted"] for u in exchange.updates(inst, b, "confirmed")["updates"]] == [
        False,
        True,
    ]
    with pytest.raises(ConflictError):
        submit(inst, b)

    # every submission and every listing by the peer is in the collection's audit
    assert {"contribute", "contributions"} <= {r["what"] for r in exchange.reads(inst, "confirmed")}


def test_rejected_with_a_reason_the_contributor_reads(app: FastAPI) -> None:
    inst = setup(app)
    b = peer(inst, "county-b", contribute=True)
    c = submit(inst, b, value=PDQ_A)
    with pytest.raises(UsageError):
        exchange_contrib.reject(inst, int(str(c["id"])), "   ")
    out = exchange_contrib.reject(
        inst, int(str(c["id"])), "Not a deepfake: call county-b at +44 20 7946 0958", "rita"
    )["contribution"]
    assert out["status"] == "rejected" and out["seq"] is None
    assert "7946" not in out["decision_reason"] and "county-b" not in out["decision_reason"]
    mine = exchange_contrib.my_contributions(inst, b, "confirmed")
    assert mine[0]["status"] == "rejected" and mine[0]["decision_reason"] == out["decision_reason"]
    assert exchange.updates(inst, b, "confirmed")["size"] == 0
    with pytest.raises(ConflictError):
        exchange_contrib.accept(inst, int(str(c["id"])))
    # rejected is not pending: the peer may submit it again (with new evidence)
    assert submit(inst, b, value=PDQ_A)["status"] == "pending"
    for far in (999, 2**31, 2**63 - 1):
        with pytest.raises(NotFoundError):
            exchange_contrib.accept(inst, far)


def test_who_may_contribute_and_the_quality_gate(app: FastAPI) -> None:
    inst = setup(app)
    reader = peer(inst, "county-d")
    opiner = peer(inst, "county-e", opine=True)
    b = peer(inst, "county-b", contribute=True)
    for who in (reader, opiner):
        with pytest.raises(PermissionDeniedError):  # no contribute scope
            submit(inst, who)
    with pytest.raises(PermissionDeniedError):  # not granted that collection
        exchange_contrib.contribute(
            inst, b, "other", signal_type="pdq", value=PDQ_N, reason="seen it"
        )
    with pytest.raises(PermissionDeniedError):  # no hint whether it exists
        exchange_contrib.contribute(
            inst, b, "missing", signal_type="pdq", value=PDQ_N, reason="seen it"
        )
    # the publisher's own admins do not contribute: they publish through the bank
    accounts.create_user(inst, "admin", Role.ADMIN, "a long test password")
    secret, _ = accounts.login(inst, "admin", "a long test password")
    adm = accounts.session_principal(inst, secret)
    assert adm is not None
    with pytest.raises(PermissionDeniedError):
        submit(inst, adm)

    with pytest.raises(QualityGateError, match="quality 49 is below 50"):
        submit(inst, b, quality=49)
    for flat in ("00" * 32, "ff" * 32, "01" * 32):  # 0, 256 and 32 bits set
        with pytest.raises(QualityGateError, match="flat or featureless"):
            submit(inst, b, value=flat)
    assert submit(inst, b, quality=50)["status"] == "pending"  # the threshold itself passes
    with pytest.raises(UsageError, match="does not take vpdq"):
        submit(inst, b, signal_type="vpdq", value=PDQ_B)
    with pytest.raises(UsageError, match="malformed"):
        submit(inst, b, value="zz" * 32)
    with pytest.raises(UsageError, match="unknown category"):
        submit(inst, b, value=PDQ_B, category="great")
    with pytest.raises(UsageError, match="needs a reason"):
        submit(inst, b, value=PDQ_B, reason=" ")
    # an MD5 is exact: no quality gate
    md5 = exchange_contrib.contribute(
        inst, b, "confirmed", signal_type="video_md5", value="0" * 32, reason="same file"
    )
    assert md5["status"] == "pending"


def test_a_peer_instance_contributes_and_pulls_it_back(app: FastAPI, tmp_path: Path) -> None:
    inst = setup(app)
    secret, _ = exchange.grant(inst, "confirmed", "county-b", contribute=True)
    b = peer_instance(tmp_path)
    client = cast(httpx.Client, TestClient(app))
    try:
        exchange_pull.add_peer(
            b,
            "county-a",
            url="http://testserver",
            collection="confirmed",
            token=secret,
            key=exchange.public_key(inst),
        )
        sent = exchange_contrib.send_contribution(
            b,
            "county-a",
            signal_type="pdq",
            value=PDQ_N,
            reason="Our reviewers confirmed it",
            tags=["deepfake_of_candidate"],
            client=client,
        )
        assert sent["status"] == "pending" and sent["contributor"] == "county-b"
        with pytest.raises(ConflictError):
            exchange_contrib.send_contribution(
                b, "county-a", signal_type="pdq", value=PDQ_N, reason="again", client=client
            )
        with pytest.raises(UsageError, match="422: refused by the quality gate"):
            exchange_contrib.send_contribution(
                b, "county-a", signal_type="pdq", value="00" * 32, reason="x", client=client
            )
        exchange_contrib.accept(inst, int(str(sent["id"])), "rita")
        r = exchange_pull.pull_one(b, "county-a", client=client)
        assert (r.status, r.added) == ("ok", 1)
        got = exchange_pull.incoming(b, "county-a")
        assert [(s["value"], s["owner"]) for s in got] == [(PDQ_N, "county-b")]
        with pytest.raises(NotFoundError):
            exchange_contrib.send_contribution(
                b, "nobody", signal_type="pdq", value=PDQ_N, reason="x", client=client
            )
    finally:
        b.close()


def test_the_operator_reviews_from_the_command_line(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from mediaproof.cli.main import app as cli_app
    from mediaproof.config import Settings

    home = tmp_path / "a"

    def run(*args: str) -> tuple[int, str]:
        r = CliRunner().invoke(cli_app, ["exchange", *args, "--home", str(home)])
        return r.exit_code, r.output

    assert run("create", "confirmed", "--organisation", "County A")[0] == 0
    code, out = run("grant", "confirmed", "--peer", "county-b", "--contribute", "--json")
    assert code == 0, out
    token = json.loads(out)["token"]
    inst = Instance(Settings(home=home))
    try:
        who = accounts.token_principal(inst, token)
        assert who is not None and who.can(Permission.EXCHANGE_CONTRIBUTE)
        first = submit(inst, who)["id"]
        second = submit(inst, who, value=PDQ_A)["id"]
    finally:
        inst.close()
    code, out = run("contributions", "--status", "pending")
    assert code == 0 and out.splitlines() == [
        f"#{second} confirmed: pdq a1a1a1a1a1a1a1a1... from county-b: pending",
        f"#{first} confirmed: pdq 5a5a5a5a5a5a5a5a... from county-b: pending",
    ], out
    code, out = run("accept", str(first), "--by", "rita")
    assert code == 0 and json.loads(out)["update"]["owner"] == "county-b", out
    assert run("accept", str(first))[0] == 7  # decided already (conflict)
    assert run("accept", "999")[0] == 6  # not found
    assert run("reject", str(second))[0] == 2  # a reason is required
    code, out = run("reject", str(second), "--reason", "We found the original [photo]")
    assert code == 0 and json.loads(out)["contribution"]["status"] == "rejected"
    code, out = run("contributions")
    out = " ".join(out.split())  # the console wraps long lines; [photo] is text, not markup
    assert (
        f"#{second} confirmed: pdq a1a1a1a1a1a1a1a1... from county-b: "
        "rejected (We found the original [photo])" in out
    )
    assert f"#{first} confirmed: pdq 5a5a5a5a5a5a5a5a... from county-b: accepted as seq 1" in out
