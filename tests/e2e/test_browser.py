"""The pages in a real headless Chromium against a real `mediaproof serve`.

Screenshots go to test-artifacts/ (git-ignored) for a person to look at.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import sync_playwright

from mediaproof.accounts.models import Role
from mediaproof.config import Settings
from mediaproof.media.samples import sample_photo
from mediaproof.provenance.keys import init_keys
from mediaproof.services import accounts
from mediaproof.services.instance import Instance
from tests.e2e.server import Server

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
PASSWORD = "a long e2e password"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    home = tmp_path_factory.mktemp("e2e") / "instance"
    inst = Instance(Settings(home=home))
    init_keys(inst.keys_dir, "County Elections Office")
    accounts.create_user(inst, "press", Role.PUBLISHER, PASSWORD)
    inst.close()
    srv = Server(home, {"MEDIAPROOF_SERVICE_UPLOAD_IDLE_TIMEOUT_S": "1.5"})
    yield srv
    srv.close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        raise RuntimeError(f"{CHROMIUM} is missing: scripts/setup.sh installs it for tests")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    ctx = browser.new_context(viewport={"width": 1200, "height": 900}, accept_downloads=True)
    pg = ctx.new_page()
    pg.set_default_timeout(60_000)
    yield pg
    ctx.close()


def shot(page: Any, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def test_verify_page_upload(server: Server, page: Any, tmp_path: Path) -> None:
    photo = sample_photo(tmp_path / "photo.jpg", 640, 427, seed=3)
    page.goto(server.url + "/")
    page.set_input_files("#file", str(photo))
    assert "photo.jpg" in page.inner_text("#chosen")
    page.click("#submit")
    verdict = page.wait_for_selector("#verdict")
    assert verdict.inner_text() == "No provenance found: unknown"
    assert page.is_visible("text=What this can and cannot tell")
    shot(page, "verify-unknown")


def test_publish_then_verify_the_release(server: Server, page: Any, tmp_path: Path) -> None:
    photo = sample_photo(tmp_path / "release.jpg", 800, 533, seed=5)
    page.goto(server.url + "/publish")
    assert page.url.endswith("/login?next=/publish")  # sign in first
    page.fill("#username", "press")
    page.fill("#password", PASSWORD)
    page.click("#login-form button[type=submit]")
    page.wait_for_url(server.url + "/publish")
    page.fill("#title", "Polling hours for 5 November")
    page.fill("#author", "County press office")
    page.select_option("#source_type", "digitalCapture")
    page.set_input_files("#release-file", str(photo))
    page.click("#publish-form button[type=submit]")
    headline = page.wait_for_selector("#published").inner_text()
    assert headline.startswith("Signed and registered as asset")
    shot(page, "published")
    with page.expect_download() as dl:
        page.click("#download")
    signed = tmp_path / "signed.jpg"
    dl.value.save_as(signed)
    page.click("#asset-link")
    assert page.inner_text("#asset-title") == "Polling hours for 5 November"
    assert page.is_visible("text=does not keep a transparency log")
    shot(page, "asset")
    page.goto(server.url + "/")
    page.set_input_files("#file", str(signed))
    page.click("#submit")
    assert page.wait_for_selector("#verdict").inner_text() == (
        "Signed by a trusted signer and intact"
    )
    assert page.is_visible("text=County Elections Office content signing")
    shot(page, "verify-signed")


def test_keyboard_only_upload(server: Server, page: Any, tmp_path: Path) -> None:
    photo = sample_photo(tmp_path / "kb.jpg", 320, 240, seed=9)
    page.goto(server.url + "/")
    for _ in range(12):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.id") == "choose":
            break
    else:
        raise AssertionError("the file chooser cannot be reached with Tab")
    shot(page, "keyboard-focus")
    with page.expect_file_chooser() as fc:
        page.keyboard.press("Enter")
    fc.value.set_files(str(photo))
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "submit"
    page.keyboard.press("Enter")
    assert page.wait_for_selector("#verdict").inner_text() == "No provenance found: unknown"
    assert page.evaluate("document.activeElement.id") == "result"  # focus follows the answer


def test_video_shows_progress_then_the_answer(
    server: Server, page: Any, corpora: Path
) -> None:
    video = corpora / "vpdq-tmk-threatexchange/videos/doorknob-hd-no-bar.mp4"
    page.goto(server.url + "/")
    page.set_input_files("#file", str(video))
    page.click("#submit")
    page.wait_for_selector("#progress-bar, #verdict")
    verdict = page.wait_for_selector("#verdict", timeout=120_000)
    assert verdict.inner_text() == "No provenance found: unknown"
    assert page.is_visible("text=video/mp4")


def test_slow_client_gets_408(server: Server) -> None:
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as s:
        s.sendall(
            b"POST /api/v1/verify HTTP/1.1\r\nHost: x\r\nContent-Type: image/jpeg\r\n"
            b"Content-Length: 100000\r\n\r\n" + b"\xff\xd8\xff" + b"\x00" * 997
        )
        start = time.monotonic()
        reply = b""
        while b"}}" not in reply:  # the end of the JSON error body
            chunk = s.recv(4096)
            if not chunk:
                break
            reply += chunk
        waited = time.monotonic() - start
    assert reply.startswith(b"HTTP/1.1 408"), reply[:200]
    assert b"upload_timeout" in reply
    assert waited < 10


def test_first_start_prints_a_one_time_admin_password(tmp_path: Path) -> None:
    srv = Server(tmp_path / "fresh")
    try:
        out = srv.output()
        assert "one-time password:" in out
        password = out.split("one-time password:")[1].split()[0]
        assert len(password) >= 20
    finally:
        srv.close()
    again = Server(tmp_path / "fresh")  # only the very first start makes one
    try:
        assert "one-time password" not in again.output()
    finally:
        again.close()
