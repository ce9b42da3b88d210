"""The exchange page's sections from real state: a source that pulled fine and one whose
pull was refused (status, last error, backoff), the received signal held for review, a
disputed signal, and collections with their counts; an empty instance says so instead."""

from __future__ import annotations

import datetime as dt
import re
from typing import cast

import httpx
from fastapi import FastAPI
from fastapi.testclient import TestClient

from mediaproof.exchange.models import Category, CollectionSpec, FeedRow, SignalType
from mediaproof.services import accounts, exchange, exchange_contrib, exchange_pull
from mediaproof.services.exchange_collections import init_key
from mediaproof.services.instance import Instance
from mediaproof.storage.sql.repos_exchange_incoming import IncomingRepository
from mediaproof.transparency.note import Ed25519Signer
from mediaproof.web import exchange_pages
from tests.api.conftest import login

PDQ = "5a" * 32


def _text(html: str, element_id: str) -> str:
    m = re.search(rf'id="{element_id}".*?</table>', html, re.S)
    assert m, f"no #{element_id}"
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", m.group(0)))


def test_an_empty_instance_says_so(app: FastAPI, inst: Instance, client: TestClient) -> None:
    login(client, "reviewer")
    html = client.get("/exchange").text
    for empty in ("contributions-empty", "collections-empty", "sources-empty"):
        assert f'id="{empty}"' in html
    assert 'id="incoming-empty"' in html and 'id="disputes-empty"' in html
    assert "Alarm" not in html and 'id="exchange-done"' not in html


def test_sources_incoming_and_disputes(app: FastAPI, inst: Instance, client: TestClient) -> None:
    init_key(inst)
    exchange.create_collection(inst, CollectionSpec("confirmed", "County A"))
    # a signal a peer contributed and a reviewer accepted (a sync keeps it), then disputed
    token, _ = exchange.grant(inst, "confirmed", "county-b", opine=True, contribute=True)
    p = accounts.token_principal(inst, token)
    assert p is not None
    c = exchange_contrib.contribute(
        inst, p, "confirmed", signal_type="pdq", value=PDQ, reason="seen twice",
        tags=["deepfake_of_candidate"],
    )  # fmt: skip
    exchange_contrib.accept(inst, c["id"], "rev")
    exchange.opine(inst, p, "confirmed", 1, "false_positive", "It matched a weather map")
    # this instance also pulls: its own feed (fine) and one with a key it did not pin
    exchange_pull.add_peer(
        inst, "county-a", url="http://testserver", collection="confirmed", token=token,
        key=exchange.public_key(inst),
    )  # fmt: skip
    stranger = Ed25519Signer.generate(exchange.signer(inst).name).vkey
    exchange_pull.add_peer(
        inst, "county-x", url="http://testserver", collection="confirmed", token=token,
        key=stranger,
    )  # fmt: skip
    http = cast(httpx.Client, TestClient(app))
    assert exchange_pull.pull_one(inst, "county-a", client=http).status == "ok"
    assert exchange_pull.pull_one(inst, "county-x", client=http).status == "refused"

    login(client, "reviewer")
    html = client.get("/exchange").text
    sources = _text(html, "sources")
    assert "county-a http://testserver confirmed ok" in sources
    assert "1 (1 awaiting review)" in sources
    x = re.search(r'data-source="county-x".*?</tr>', html, re.S)
    assert x and 'class="tone-bad">refused<' in x.group(0)
    assert "never" in x.group(0) and "any time" not in x.group(0)  # backing off
    incoming = _text(html, "incoming")
    assert "county-a 1 pdq 5a5a5a5a5a5a5a5a" in incoming
    assert "county-b positive_class: deepfake_of_candidate" in incoming  # the owner
    disputes = _text(html, "disputes")
    assert "county-b false_positive It matched a weather map" in disputes
    collections = _text(html, "collections")
    assert "confirmed County A amber 2 updates 1 accepted" in collections
    assert 'id="contributions-empty"' in html
    decided = re.search(r'id="decided".*?</details>', html, re.S)
    assert decided and "accepted, feed row 1" in decided.group(0)


def test_reviewers_only(app: FastAPI, inst: Instance, client: TestClient) -> None:
    login(client, "publisher")
    assert client.get("/exchange").status_code == 403


def _held(inst: Instance, name: str, values: list[str]) -> None:
    """A source whose verified updates were ``values`` (PDQ, each 128 bits set)."""
    exchange_pull.add_peer(
        inst, name, url="http://x.example", collection="elections", token="t",
        key=exchange.public_key(inst),
    )  # fmt: skip
    rows = [
        FeedRow("elections", i + 1, SignalType.PDQ, v, Category.POSITIVE_CLASS, (), None,
                "County A", False, "2026-11-03T09:00:00Z")
        for i, v in enumerate(values)
    ]  # fmt: skip
    with inst.db.session() as s:
        repo = IncomingRepository(s)
        p = repo.peer(name)
        assert p is not None
        repo.apply_updates(p.id, rows, dt.datetime(2026, 11, 3, tzinfo=dt.UTC))


def test_waiting_signals_are_counted_and_paged(
    app: FastAPI, inst: Instance, client: TestClient
) -> None:
    init_key(inst)
    per = exchange_pages.MAX_INCOMING_SHOWN
    # 128 bits set each, all different: the row number in the low 16 bits, mirrored
    values = [f"{'5a' * 28}{n:04x}{(~n) & 0xFFFF:04x}" for n in range(per + 5)]
    _held(inst, "county-a", values)
    _held(inst, "county-b", values[:3])
    with inst.db.session() as s:  # one reviewed already: not waiting
        repo = IncomingRepository(s)
        p = repo.peer("county-a")
        assert p is not None
        first = repo.incoming_by_seq(p.id, 1)
        assert first is not None
        repo.set_review(first.id, "confirmed")
    login(client, "reviewer")
    html = client.get("/exchange").text
    sources = _text(html, "sources")
    assert f"{per + 5} ({per + 4} awaiting review)" in sources
    assert "3 (3 awaiting review)" in sources
    rows = _text(html, "incoming")
    assert rows.count("county-a ") == per and rows.count("county-b ") == 3
    assert f"county-a 2 pdq {values[1][:16]}" in rows
    assert "county-a 1 pdq" not in rows  # reviewed: not listed as waiting
    assert "Page 1 of 2" in html and "?page=2" in html
    page2 = client.get("/exchange?page=2").text
    rows2 = _text(page2, "incoming")
    assert rows2.count("county-a ") == 4 and "county-b" not in rows2
    assert f"county-a {per + 5} pdq" in rows2 and "?page=1" in page2
    # must not claim signals that are not there: past the last page, an empty page
    empty = client.get("/exchange?page=3").text
    assert 'id="incoming-empty"' in empty and "on this page" in empty
    assert client.get("/exchange?page=0").status_code == 422
