"""The exchange page in a real headless Chromium: instance B submits a signal to A's
collection (`exchange peer contribute`, over HTTP with the token A granted); A's
reviewer follows the menu to the exchange page, accepts it with the page's form, and
rejects another with a reason; the accepted one is a signal of A's feed under B's name
and B's next pull receives it. A publisher gets neither the menu entry nor the page."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from mediaproof.accounts.models import Role
from mediaproof.config import Settings
from mediaproof.exchange.models import CollectionSpec
from mediaproof.provenance.keys import init_keys
from mediaproof.services import accounts, exchange
from mediaproof.services.instance import Instance
from tests.e2e.exchange_support import cli
from tests.e2e.server import Server
from tests.e2e.test_browser import PASSWORD, chromium, shot, tab  # noqa: F401 (fixtures)

ACCEPTED = "5a" * 32
REJECTED = "a1" * 32


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    root = tmp_path_factory.mktemp("e2e-exchange")
    a_home, b_home = root / "a", root / "b"
    inst = Instance(Settings(home=a_home))
    try:
        init_keys(inst.keys_dir, "County A Elections")
        accounts.create_user(inst, "rev", Role.REVIEWER, PASSWORD)
        accounts.create_user(inst, "pub", Role.PUBLISHER, PASSWORD)
        exchange.create_collection(inst, CollectionSpec("elections", "County A Elections"))
    finally:
        inst.close()
    Instance(Settings(home=b_home)).close()
    a = Server(a_home)
    try:
        grant = json.loads(
            cli(a_home, "grant", "elections", "--peer", "county-b", "--contribute", "--json").stdout
        )
        vkey = cli(a_home, "key").stdout.strip()
        cli(
            b_home, "peer", "add", "county-a", "--url", a.url, "--token", grant["token"],
            "--key", vkey, "--collection", "elections",
        )  # fmt: skip
        ids = {}
        for value in (ACCEPTED, REJECTED):
            out = cli(
                b_home, "peer", "contribute", "county-a", "--signal-type", "pdq",
                "--value", value, "--tag", "deepfake_of_candidate",
                "--reason", "Confirmed by two of our reviewers",
            ).stdout  # fmt: skip
            sent = json.loads(out)
            assert (sent["status"], sent["contributor"]) == ("pending", "county-b")
            ids[value] = sent["id"]
        yield {"a": a, "b_home": b_home, "ids": ids}
    finally:
        a.close()


def _sign_in(tab: Any, server: Server, user: str) -> None:  # noqa: F811
    tab.goto(server.url + "/login?next=/")
    tab.fill("#username", user)
    tab.fill("#password", PASSWORD)
    tab.click("#login-form button[type=submit]")
    tab.wait_for_url(server.url + "/")


def test_a_reviewer_accepts_a_contribution_through_the_page(
    world: dict[str, Any],
    tab: Any,  # noqa: F811
) -> None:
    a: Server = world["a"]
    ids: dict[str, int] = world["ids"]
    _sign_in(tab, a, "rev")
    tab.click("nav >> text=Exchange")
    tab.wait_for_url(a.url + "/exchange")
    rows = tab.locator("#contributions tbody tr")
    assert rows.count() == 2
    row = tab.locator(f"tr[data-contribution='{ids[ACCEPTED]}']")
    assert "county-b" in row.inner_text() and "deepfake_of_candidate" in row.inner_text()
    shot(tab, "exchange-pending")
    row.locator("button[name=accept]").click()
    tab.wait_for_url(f"{a.url}/exchange?accepted={ids[ACCEPTED]}")
    done = tab.inner_text("#exchange-done")
    assert done == (
        f"Contribution {ids[ACCEPTED]} accepted: it is feed row 1 of elections, "
        "published as county-b's."
    )
    assert tab.locator("#contributions tbody tr").count() == 1
    assert "1 accepted, 1 pending" in tab.inner_text("tr[data-collection='elections']")

    other = tab.locator(f"tr[data-contribution='{ids[REJECTED]}']")
    other.locator("input[name=reason]").fill("Our reviewers found the original photo")
    other.locator("button[name=reject]").click()
    tab.wait_for_url(f"{a.url}/exchange?rejected={ids[REJECTED]}")
    assert tab.inner_text("#exchange-done") == f"Contribution {ids[REJECTED]} rejected."
    assert tab.is_visible("#contributions-empty")
    shot(tab, "exchange-decided")

    # what the page did is what the store holds, and B pulls the accepted one
    listed = json.loads(cli(a.home, "contributions", "--json").stdout)
    assert {c["id"]: (c["status"], c["decided_by"]) for c in listed} == {
        ids[ACCEPTED]: ("accepted", "rev"),
        ids[REJECTED]: ("rejected", "rev"),
    }
    cli(world["b_home"], "pull", "--force")
    held = json.loads(cli(world["b_home"], "peer", "signals", "county-a").stdout)
    assert [(s["value"], s["owner"]) for s in held] == [(ACCEPTED, "county-b")]
    # a forged redirect claims nothing: the notice comes from the store
    tab.goto(f"{a.url}/exchange?accepted=999")
    assert tab.locator("#exchange-done").count() == 0


def test_a_publisher_gets_neither_the_menu_entry_nor_the_page(
    world: dict[str, Any],
    tab: Any,  # noqa: F811
) -> None:
    a: Server = world["a"]
    _sign_in(tab, a, "pub")
    assert tab.locator("nav >> text=Exchange").count() == 0
    resp = tab.goto(a.url + "/exchange")
    assert resp is not None and resp.status == 403
    assert "county-b" not in tab.content()
