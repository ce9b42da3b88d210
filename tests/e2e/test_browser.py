"""The pages in a real headless Chromium against a real `mediaproof serve`.

Screenshots go to test-artifacts/ (git-ignored) for a person to look at.
"""

from __future__ import annotations

import base64
import socket
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PIL import Image, ImageDraw
from playwright.sync_api import sync_playwright

from mediaproof.accounts.models import Role
from mediaproof.config import Settings
from mediaproof.media.samples import sample_photo
from mediaproof.provenance.keys import init_keys
from mediaproof.services import accounts
from mediaproof.services.instance import Instance
from mediaproof.transparency.note import Ed25519Verifier
from mediaproof.transparency.proof import verify_tlog_proof
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
def chromium() -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        raise RuntimeError(f"{CHROMIUM} is missing: scripts/setup.sh installs it for tests")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


@pytest.fixture
def tab(chromium: Any) -> Iterator[Any]:
    ctx = chromium.new_context(viewport={"width": 1200, "height": 900}, accept_downloads=True)
    pg = ctx.new_page()
    pg.set_default_timeout(60_000)
    yield pg
    ctx.close()


def shot(page: Any, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def test_verify_page_upload(server: Server, tab: Any, tmp_path: Path) -> None:
    photo = sample_photo(tmp_path / "photo.jpg", 640, 427, seed=3)
    tab.goto(server.url + "/")
    tab.set_input_files("#file", str(photo))
    assert "photo.jpg" in tab.inner_text("#chosen")
    tab.click("#submit")
    verdict = tab.wait_for_selector("#verdict")
    assert verdict.inner_text() == "No provenance found: unknown"
    assert tab.is_visible("text=What this can and cannot tell")
    shot(tab, "verify-unknown")


def test_publish_then_verify_the_release(server: Server, tab: Any, tmp_path: Path) -> None:
    photo = sample_photo(tmp_path / "release.jpg", 800, 533, seed=5)
    tab.goto(server.url + "/publish")
    assert tab.url.endswith("/login?next=/publish")  # sign in first
    tab.fill("#username", "press")
    tab.fill("#password", PASSWORD)
    tab.click("#login-form button[type=submit]")
    tab.wait_for_url(server.url + "/publish")
    tab.fill("#title", "Polling hours for 5 November")
    tab.fill("#author", "County press office")
    tab.select_option("#source_type", "digitalCapture")
    tab.set_input_files("#release-file", str(photo))
    tab.click("#publish-form button[type=submit]")
    headline = tab.wait_for_selector("#published").inner_text()
    assert headline.startswith("Signed and registered as asset")
    shot(tab, "published")
    with tab.expect_download() as dl:
        tab.click("#download")
    signed = tmp_path / "signed.jpg"
    dl.value.save_as(signed)
    tab.click("#asset-link")
    assert tab.inner_text("#asset-title") == "Polling hours for 5 November"
    # the registration's inclusion proof, checked with the log's own code and the key
    # the instance publishes
    assert tab.is_visible("text=What this proves")
    tab.click("text=The proof file")
    proof_text = tab.inner_text("#tlog-proof")
    key = Ed25519Verifier.from_vkey((server.home / "log" / "log.vkey").read_text().strip())
    ok = verify_tlog_proof(proof_text.strip().encode() + b"\n", key)
    assert str(ok.index) == tab.inner_text("#log-index")
    assert ok.leaf_hash.hex() == tab.inner_text("#log-leaf")
    shot(tab, "asset")
    tab.goto(server.url + "/")
    tab.set_input_files("#file", str(signed))
    tab.click("#submit")
    assert tab.wait_for_selector("#verdict").inner_text() == (
        "Signed by a trusted signer and intact"
    )
    assert tab.is_visible("text=County Elections Office content signing")
    shot(tab, "verify-signed")
    # a stripped, re-encoded, slightly edited copy of the release, as re-posts are
    copy = tmp_path / "repost.jpg"
    with Image.open(signed) as im:
        rgb = im.convert("RGB")
    ImageDraw.Draw(rgb).rectangle((340, 165, 372, 192), fill=(240, 240, 240))
    rgb.save(copy, "JPEG", quality=85)
    tab.goto(server.url + "/")
    tab.set_input_files("#file", str(copy))
    tab.click("#submit")
    verdict = tab.wait_for_selector("#verdict").inner_text()
    # the painted box is an edit: a changed copy, never a plain copy (issue 14)
    assert verdict == "Warning: a changed copy of a registered original", verdict
    for alt in ("The registered original", "Where this copy differs from the original"):
        img = tab.wait_for_selector(f"#slot-match img[alt='{alt}']")
        tab.wait_for_function("(img) => img.complete && img.naturalWidth > 0", arg=img)
    tab.locator("#slot-match").scroll_into_view_if_needed()
    shot(tab, "verify-copy-heatmap")


def test_drag_and_drop(server: Server, tab: Any, tmp_path: Path) -> None:
    photo = sample_photo(tmp_path / "dropped.jpg", 320, 240, seed=21)
    tab.goto(server.url + "/")
    # what a browser does when a file is dropped on the zone
    tab.evaluate(
        """async ([b64, name]) => {
            const bytes = Uint8Array.from(atob(b64), c => c.charCodeAt(0));
            const dt = new DataTransfer();
            dt.items.add(new File([bytes], name, {type: "image/jpeg"}));
            const zone = document.getElementById("drop");
            zone.dispatchEvent(new DragEvent("dragover", {dataTransfer: dt, bubbles: true}));
            zone.dispatchEvent(new DragEvent("drop", {dataTransfer: dt, bubbles: true}));
        }""",
        [base64.b64encode(photo.read_bytes()).decode(), "dropped.jpg"],
    )
    assert "dropped.jpg" in tab.inner_text("#chosen")
    tab.click("#submit")
    assert tab.wait_for_selector("#verdict").inner_text() == "No provenance found: unknown"


def test_keyboard_only_upload(server: Server, tab: Any, tmp_path: Path) -> None:
    photo = sample_photo(tmp_path / "kb.jpg", 320, 240, seed=9)
    # listen before the page loads, so the file dialog is intercepted from the start
    tab.on("filechooser", lambda chooser: chooser.set_files(str(photo)))
    tab.goto(server.url + "/")
    for _ in range(12):
        tab.keyboard.press("Tab")
        if tab.evaluate("document.activeElement.id") == "choose":
            break
    else:
        raise AssertionError("the file chooser cannot be reached with Tab")
    shot(tab, "keyboard-focus")
    tab.keyboard.press("Enter")
    tab.wait_for_function("() => document.getElementById('file').files.length === 1")
    assert "kb.jpg" in tab.inner_text("#chosen")
    tab.keyboard.press("Tab")
    assert tab.evaluate("document.activeElement.id") == "submit"
    tab.keyboard.press("Enter")
    assert tab.wait_for_selector("#verdict").inner_text() == "No provenance found: unknown"
    assert tab.evaluate("document.activeElement.id") == "result"  # focus follows the answer


def test_video_shows_progress_then_the_answer(server: Server, tab: Any, corpora: Path) -> None:
    video = corpora / "vpdq-tmk-threatexchange/videos/doorknob-hd-no-bar.mp4"
    tab.goto(server.url + "/")
    tab.set_input_files("#file", str(video))
    tab.click("#submit")
    tab.wait_for_selector("#progress-bar, #verdict")
    verdict = tab.wait_for_selector("#verdict", timeout=120_000)
    assert verdict.inner_text() == "No provenance found: unknown"
    assert tab.is_visible("text=video/mp4")


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
