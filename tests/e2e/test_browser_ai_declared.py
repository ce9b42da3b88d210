"""The verify page in a real Chromium for files whose Content Credentials declare AI:
the first words a voter reads say so, and name who declared it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import sync_playwright

from mediaproof.config import Settings
from mediaproof.provenance.keys import SigningMaterial, init_keys
from mediaproof.services.instance import Instance
from tests.e2e.server import Server
from tests.e2e.test_browser import ARGS, CHROMIUM, shot
from tests.honesty.build_corpus import (
    _act,
    _jpeg,
    c2pa_capture,
    c2pa_derived,
    c2pa_remote,
    generative_fill,
)

ORG = "County Elections Office"
SIGNER = f"{ORG} content signing"


@pytest.fixture(scope="module")
def instance(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Server, SigningMaterial]]:
    home = tmp_path_factory.mktemp("e2e-ai") / "instance"
    inst = Instance(Settings(home=home))
    material = init_keys(inst.keys_dir, ORG)
    inst.close()
    srv = Server(home)
    yield srv, material
    srv.close()


@pytest.fixture(scope="module")
def tab() -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        raise RuntimeError(f"{CHROMIUM} is missing: scripts/setup.sh installs it for tests")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        ctx = b.new_context(viewport={"width": 1200, "height": 900})
        pg = ctx.new_page()
        pg.set_default_timeout(60_000)
        yield pg
        b.close()


def _verify(server: Server, tab: Any, path: Path) -> tuple[str, list[str], str]:
    tab.goto(server.url + "/")
    tab.set_input_files("#file", str(path))
    tab.click("#submit")
    verdict = tab.wait_for_selector("#verdict").inner_text()
    reasons = [li.inner_text() for li in tab.query_selector_all(".answer .reasons li")]
    tone = tab.get_attribute(".answer", "class") or ""
    return verdict, reasons, tone


def test_trusted_capture_with_a_later_generative_edit(
    instance: tuple[Server, SigningMaterial], tab: Any, tmp_path: Path
) -> None:
    server, material = instance
    capture = c2pa_capture(
        _jpeg(tmp_path / "src.jpg", 7), tmp_path / "capture.jpg", material, "capture.jpg"
    )
    edited = c2pa_derived(
        capture, tmp_path / "edited.jpg", material, "edited.jpg", generative_fill()
    )
    verdict, reasons, tone = _verify(server, tab, edited)
    assert verdict == f"Contains AI-generated content, declared by {SIGNER}"
    assert verdict != "Signed by a trusted signer and intact"
    assert "tone-warn" in tone
    first = reasons[0]
    assert first.startswith(f"Its Content Credentials, signed by {SIGNER}, record that")
    assert "an edit with “Generative Fill”" in first and "made with generative AI" in first
    assert any("a trusted signer" in r for r in reasons[1:])  # the signature comes after
    page = tab.inner_text("body")
    assert "trainedAlgorithmicMedia" not in page  # no raw code anywhere on the page
    shot(tab, "verify-ai-edit-in-trusted-credentials")

    # the same edit one manifest further down the chain is still disclosed first
    cropped = c2pa_derived(
        edited, tmp_path / "cropped.jpg", material, "cropped.jpg", _act("c2pa.cropped")
    )
    verdict, reasons, _ = _verify(server, tab, cropped)
    assert verdict == f"Contains AI-generated content, declared by {SIGNER}"
    assert "its ingredient “edited.jpg”" in reasons[0]


def test_remote_credentials_are_named_not_fetched(
    instance: tuple[Server, SigningMaterial], tab: Any, tmp_path: Path
) -> None:
    server, material = instance
    url = "https://credentials.example.org/m/1.c2pa"
    remote = c2pa_remote(_jpeg(tmp_path / "r.jpg", 8), tmp_path / "remote.jpg", material, url)
    verdict, reasons, _ = _verify(server, tab, remote)
    assert (
        verdict
        == f"This file says its Content Credentials are stored at {url}; they were not fetched"
    )
    assert not any("No Content Credentials" in r for r in reasons)
