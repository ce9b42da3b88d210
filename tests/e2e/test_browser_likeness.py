"""Likeness alerts in a real headless Chromium: an admin follows the menu to the alert the
monitor raised and opens the analysis it links to; other roles do not get the page."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from mediaproof.accounts.models import Role
from mediaproof.config import Settings
from mediaproof.likeness.monitor import Monitor
from mediaproof.provenance.keys import init_keys
from mediaproof.services import accounts
from mediaproof.services import likeness as likeness_svc
from mediaproof.services.instance import Instance
from tests.e2e.server import Server
from tests.e2e.test_browser import PASSWORD, chromium, shot, tab  # noqa: F401 (fixtures)
from tests.likeness_support import faces_dir

NAME = "Barack Obama"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, corpora: Path) -> Iterator[Server]:
    root = tmp_path_factory.mktemp("e2e-likeness")
    home = root / "instance"
    inst = Instance(Settings(home=home))
    init_keys(inst.keys_dir, "County Elections Office")
    accounts.create_user(inst, "chief", Role.ADMIN, PASSWORD)
    accounts.create_user(inst, "rev", Role.REVIEWER, PASSWORD)
    faces = faces_dir(corpora)
    train = sorted((faces / "knn_examples/train/obama").iterdir())[:3]
    likeness_svc.enrol(inst, NAME, train, consent_note="signed form", consent_recorded_by="chief")
    drop = root / "drop"
    drop.mkdir()
    shutil.copy(faces / "knn_examples/test/obama1.jpg", drop / "rally.jpg")
    with likeness_svc.likeness_service(inst) as s:
        assert len(Monitor(s, inst.settings, drop, [], settle_s=0).run_once().alerts) == 1
    inst.close()
    srv = Server(home)
    yield srv
    srv.close()


def _sign_in(tab: Any, server: Server, user: str, target: str) -> None:  # noqa: F811
    tab.goto(server.url + target)
    tab.fill("#username", user)
    tab.fill("#password", PASSWORD)
    tab.click("#login-form button[type=submit]")


def test_admin_follows_an_alert_to_its_analysis(server: Server, tab: Any) -> None:  # noqa: F811
    _sign_in(tab, server, "chief", "/login?next=/")
    tab.wait_for_url(server.url + "/")
    tab.click("nav >> text=Likeness alerts")
    tab.wait_for_url(server.url + "/likeness")
    row = tab.locator("#alerts tbody tr")
    assert row.count() == 1
    assert NAME in row.inner_text() and "rally.jpg" in row.inner_text()
    assert NAME in tab.inner_text("#enrolments")
    shot(tab, "likeness-alerts")
    row.locator("text=Analysis").click()
    tab.wait_for_selector("#matches")
    matches = tab.inner_text("#matches")
    assert NAME in matches and "shows someone who looks like" in matches
    assert "face at x " in matches  # where, in words
    assert tab.is_visible("text=What this can and cannot tell")
    shot(tab, "likeness-analysis")


def test_a_reviewer_gets_neither_the_menu_entry_nor_the_page(
    server: Server,
    tab: Any,  # noqa: F811
) -> None:
    _sign_in(tab, server, "rev", "/login?next=/")
    tab.wait_for_url(server.url + "/")
    assert tab.locator("nav >> text=Likeness alerts").count() == 0
    resp = tab.goto(server.url + "/likeness")
    assert resp is not None and resp.status == 403
    assert NAME not in tab.content()


def test_where_in_words() -> None:
    from mediaproof.web.likeness_pages import where_in_words

    assert where_in_words({"box": [548, 205, 934, 591], "size_px": 386}) == (
        "face at x 548-934, y 205-591, 386 px"
    )
    assert where_in_words({"time_s": 2.0, "box": [1, 2, 3, 4]}) == "at 2.0 s; face at x 1-3, y 2-4"
    assert where_in_words({"speech_window_s": [0.0, 3.2]}) == "speech 0.0-3.2 s"
    assert where_in_words(None) == ""
