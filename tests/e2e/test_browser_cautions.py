"""Issue 14 in a real Chromium: the doctored copy and the impersonating signer open with
the right words, in the caution style, never in the style of a confirmation."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PIL import Image, ImageDraw

from mediaproof.config import Settings
from mediaproof.provenance.keys import init_keys
from mediaproof.services.instance import Instance
from mediaproof.services.publishing import SignRequest, sign_and_register
from tests.e2e.server import Server
from tests.e2e.test_browser import chromium, shot  # noqa: F401  (chromium is a fixture)

PHOTO = "pdq-threatexchange/images/bridge-mods/aaa-orig.jpg"
ORG = "County Elections Office"
WARN_BORDER = "rgb(138, 83, 0)"  # --warn in style.css


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory, corpora: Path) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("cautions")
    inst = Instance(Settings(home=root / "instance"))
    init_keys(inst.keys_dir, ORG)
    signed = root / "signed.jpg"
    sign_and_register(inst, SignRequest(src=corpora / PHOTO, dest=signed, title="Bridge"))
    inst.close()
    im = Image.open(signed).convert("RGB")
    w, h = im.size
    ImageDraw.Draw(im).rectangle(
        (int(w * 0.1), int(h * 0.1), int(w * 0.45), int(h * 0.45)), fill=(200, 30, 30)
    )
    doctored = root / "doctored.jpg"
    im.save(doctored, quality=90)
    # a self-made CA whose certificates carry this instance's organisation name
    other = Instance(Settings(home=root / "impostor"))
    init_keys(other.keys_dir, ORG)
    fake = root / "impostor.jpg"
    sign_and_register(
        other, SignRequest(src=corpora / PHOTO, dest=fake, title="Statement", watermark=False)
    )
    other.close()
    return {"home": root / "instance", "doctored": doctored, "impostor": fake, "signed": signed}


@pytest.fixture
def page(chromium: Any) -> Iterator[Any]:  # noqa: F811
    ctx = chromium.new_context(viewport={"width": 1200, "height": 900})
    pg = ctx.new_page()
    pg.set_default_timeout(60_000)
    yield pg
    ctx.close()


@pytest.fixture(scope="module")
def server(files: dict[str, Path]) -> Iterator[Server]:
    srv = Server(files["home"])
    yield srv
    srv.close()


def _verify(tab: Any, server: Server, path: Path) -> tuple[str, Any]:
    tab.goto(server.url + "/")
    tab.set_input_files("#file", str(path))
    tab.click("#submit")
    return tab.wait_for_selector("#verdict").inner_text(), tab.wait_for_selector("#answer")


def _border(answer: Any) -> str:
    return str(answer.evaluate("(el) => getComputedStyle(el).borderLeftColor"))


def test_doctored_copy_opens_with_a_warning(
    server: Server,
    page: Any,
    files: dict[str, Path],
) -> None:
    verdict, answer = _verify(page, server, files["doctored"])
    assert verdict == "Warning: a changed copy of a registered original"
    assert "caution" in (answer.get_attribute("class") or "")
    assert _border(answer) == WARN_BORDER
    kicker = answer.query_selector(".kicker").inner_text()
    assert "caution" in kicker.lower()
    first = answer.query_selector(".reasons li").inner_text()
    assert "% of the picture" in first and "top left" in first
    assert "matches the registered original" not in answer.inner_text()
    # PDQ misses this copy; the watermark's keypoint comparison shows what changed
    for alt in (
        "The registered original the mark names",
        "Where this file differs from the original the mark names",
    ):
        img = page.wait_for_selector(f"#slot-watermark img[alt='{alt}']")
        page.wait_for_function("(img) => img.complete && img.naturalWidth > 0", arg=img)
    shot(page, "verify-doctored-copy")


def test_impersonating_signer_opens_with_a_warning(
    server: Server,
    page: Any,
    files: dict[str, Path],
) -> None:
    verdict, answer = _verify(page, server, files["impostor"])
    assert verdict == "Warning: claims a known signer's name, but is not verified"
    assert "caution" in (answer.get_attribute("class") or "")
    assert _border(answer) == WARN_BORDER
    first = answer.query_selector(".reasons li").inner_text()
    assert first.startswith(f"Claims to be signed by “{ORG} content signing”")
    assert "(not verified)" in first
    shot(page, "verify-impostor")


def test_trusted_signer_keeps_the_good_style(
    server: Server,
    page: Any,
    files: dict[str, Path],
) -> None:
    verdict, answer = _verify(page, server, files["signed"])
    assert verdict == "Signed by a trusted signer and intact"
    assert "caution" not in (answer.get_attribute("class") or "")
    assert _border(answer) != WARN_BORDER
