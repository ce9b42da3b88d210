"""Issue 7 end to end, in a real headless Chromium against a real `mediaproof serve`.

A verified candidate reports a deepfake on the report page; one reviewer proposes its
removal and a second confirms it; the platform's webhook receiver (a real local HTTP
server) gets the signed call with the uploader's appeal token; the uploader appeals;
the original reviewers are refused; a third reviewer reverses; the restore webhook
arrives; and the served transparency log holds every step with inclusion proofs that the
log's own client verifies over HTTP. Screenshots go to test-artifacts/.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image, PngImagePlugin

from mediaproof.accounts.models import Role
from mediaproof.cases import webhooks
from mediaproof.config import Settings
from mediaproof.provenance.keys import init_keys
from mediaproof.services import accounts
from mediaproof.services.instance import Instance
from mediaproof.transparency.client import LogClient
from mediaproof.transparency.log import TransparencyLog
from mediaproof.transparency.note import Ed25519Verifier
from tests.e2e.server import Server
from tests.e2e.test_browser import chromium, shot  # noqa: F401  (chromium is a fixture)
from tests.integration.test_cases_flow import Receiver

PASSWORD = "a long e2e password"
SECRET = "whsec-e2e-0123456789abcdef"
CONTENT_URL = "http://video.example/watch/7781"
NAME, EMAIL = "Ana Candidata", "ana@campaign.example"
REVIEWERS = ("rev.alice", "rev.bob", "rev.carol")


@pytest.fixture(scope="module")
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    r.start()
    yield r
    r.stop()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    home = tmp_path_factory.mktemp("e2e-cases") / "instance"
    inst = Instance(Settings(home=home))
    init_keys(inst.keys_dir, "County Elections Office")
    accounts.create_user(inst, "admin", Role.ADMIN, PASSWORD)
    accounts.create_user(inst, "ana", Role.REPORTER, PASSWORD)
    for name in REVIEWERS:
        accounts.create_user(inst, name, Role.REVIEWER, PASSWORD)
    inst.close()
    srv = Server(
        home,
        {
            "MEDIAPROOF_SERVICE_WEBHOOK_INTERVAL_S": "0.3",
            # the platform's receiver listens on loopback: allowed here, refused by default
            "MEDIAPROOF_SERVICE_WEBHOOK_ALLOW_NETWORKS": '["127.0.0.0/8"]',
        },
    )
    yield srv
    srv.close()


def deepfake(path: Path) -> Path:
    """A PNG carrying an image generator's parameters chunk, as such tools write it."""
    rng = np.random.default_rng(7)
    pixels = rng.integers(0, 255, size=(240, 320, 3), dtype=np.uint8)
    info = PngImagePlugin.PngInfo()
    info.add_text(
        "parameters", "a candidate conceding at a podium\nSteps: 30, Sampler: Euler a, Model: sdxl"
    )
    Image.fromarray(pixels).save(path, pnginfo=info)
    return path


def browser(chromium: Any) -> Any:  # noqa: F811
    ctx = chromium.new_context(viewport={"width": 1200, "height": 900})
    page = ctx.new_page()
    page.set_default_timeout(60_000)
    return page


def sign_in(page: Any, server: Server, username: str, target: str) -> None:
    page.goto(f"{server.url}/login?next={target}")
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.click("#login-form button[type=submit]")
    page.wait_for_url(server.url + target)


def wait_for(receiver: Receiver, n: int, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while len(receiver.requests) < n and time.monotonic() < deadline:
        time.sleep(0.1)
    assert len(receiver.requests) >= n, f"only {len(receiver.requests)} webhook calls arrived"


def test_report_remove_appeal_reverse_in_the_browser(
    server: Server,
    receiver: Receiver,
    chromium: Any,  # noqa: F811
    tmp_path: Path,
) -> None:
    media = deepfake(tmp_path / "concession.png")
    sha = hashlib.sha256(media.read_bytes()).hexdigest()

    # the admin registers the platform's webhook and approves the candidate's account
    admin = browser(chromium)
    sign_in(admin, server, "admin", "/admin/webhooks")
    admin.fill("#platform", "video.example")
    admin.fill("#url", receiver.url)
    admin.fill("#secret", SECRET)
    admin.click("#endpoint-form button[type=submit]")
    admin.wait_for_selector(f"#endpoints >> text={receiver.url}")
    admin.goto(server.url + "/admin/candidates")
    admin.fill("#username", "ana")
    admin.click("#candidate-form button[type=submit]")
    admin.wait_for_selector("#candidates >> text=ana")

    # 1. the candidate reports the deepfake
    ana = browser(chromium)
    sign_in(ana, server, "ana", "/report")
    assert ana.is_visible("#candidate-note")
    ana.set_input_files("#report-file", str(media))
    ana.fill("#content_url", CONTENT_URL)
    ana.fill("#location", "video.example, posted 3 November 08:10")
    ana.select_option("#category", "deepfake_of_candidate")
    ana.fill("#explanation", "This image shows me conceding; it never happened. It is AI-made.")
    ana.fill("#reporter_name", NAME)
    ana.fill("#reporter_email", EMAIL)
    ana.select_option("#relationship", "self")
    ana.check("#good_faith")
    ana.fill("#signature", NAME)
    shot(ana, "cases-1-report")
    ana.click("#report-form button[type=submit]")
    number = ana.wait_for_selector("#case-number").inner_text()
    assert number.startswith("C-")
    assert "verified candidate within 12 h" in ana.inner_text("#clock")
    status_url = ana.get_attribute("#status-link", "href")
    shot(ana, "cases-2-receipt")

    # 2. a reviewer proposes removal; removal needs a second reviewer
    alice = browser(chromium)
    sign_in(alice, server, REVIEWERS[0], "/review")
    row = alice.wait_for_selector(f"#queue tr[data-case='{number}']")
    assert "left" in row.inner_text() and "(candidate)" in row.inner_text()
    shot(alice, "cases-3-queue")
    alice.click(f"#queue a:text('{number}')")
    alice.wait_for_selector("#ev-generator")
    assert "sdxl" in alice.inner_text("#ev-generator")  # the evidence panel
    assert NAME not in alice.content() and EMAIL not in alice.content()
    alice.select_option("#rule_id", "DM-1")
    alice.select_option("#outcome", "remove")
    alice.fill("#explanation", "AI-generated image of a concession that never happened.")
    shot(alice, "cases-4-review")
    alice.click("#decide-form button[type=submit]")
    assert "second reviewer" in alice.wait_for_selector("#case-done").inner_text()
    assert alice.inner_text("#case-state") == "awaiting second review"

    bob = browser(chromium)
    sign_in(bob, server, REVIEWERS[1], f"/review/cases/{number}")
    bob.click("#confirm-form button[type=submit]")
    assert "final" in bob.wait_for_selector("#case-done").inner_text()
    assert bob.inner_text("#case-state") == "decided"
    shot(bob, "cases-5-confirmed")

    # 3. the platform receives the signed removal, with the uploader's appeal token
    wait_for(receiver, 1)
    headers, body = receiver.requests[0]
    assert webhooks.verify(SECRET, headers, body, dt.datetime.now(dt.UTC))
    assert not webhooks.verify("wrong-secret-0123456789", headers, body, dt.datetime.now(dt.UTC))
    removal = json.loads(body)
    assert removal["action"] == "remove" and removal["case_number"] == number
    assert removal["content_url"] == CONTENT_URL and removal["media_sha256"] == sha
    assert NAME not in body.decode() and EMAIL not in body.decode()

    # 4. the uploader appeals with the token the platform passed on
    uploader = browser(chromium)
    uploader.goto(f"{server.url}/appeal?token={removal['uploader_appeal_token']}")
    told = uploader.inner_text("#uploader-case")  # what was done and why, before appealing
    assert number in told and "remove" in told and "rule DM-1" in told
    uploader.fill("#grounds", "This is a clearly labelled parody account; see the bio.")
    uploader.click("#uploader-appeal-form button[type=submit]")
    uploader.wait_for_selector("#appeal-filed")
    shot(uploader, "cases-6-appeal")

    # 5. the reviewers who decided are refused, a third reverses
    alice.goto(f"{server.url}/review")
    alice.wait_for_selector(f"#appeals tr[data-case='{number}']")
    alice.goto(f"{server.url}/review/cases/{number}")
    form = ".appeal-decide-form"
    alice.select_option(f"{form} select[name=outcome]", "reversed")
    alice.fill(f"{form} textarea[name=explanation]", "Parody, labelled in the bio.")
    alice.click(f"{form} button[type=submit]")
    refusal = alice.wait_for_selector("#case-error").inner_text()
    assert "own decisions" in refusal
    shot(alice, "cases-7-appeal-refused")

    carol = browser(chromium)
    sign_in(carol, server, REVIEWERS[2], f"/review/cases/{number}")
    carol.select_option(f"{form} select[name=outcome]", "reversed")
    carol.fill(f"{form} textarea[name=explanation]", "A parody account, labelled as such.")
    carol.click(f"{form} button[type=submit]")
    assert carol.wait_for_selector("#case-done").inner_text() == "Appeal decided."
    assert carol.inner_text("#case-state") == "resolved"
    assert "reversed" in carol.inner_text("#appeal-list")
    assert "remove (final)" in carol.inner_text("#decisions")  # the original is kept
    shot(carol, "cases-8-reversed")

    # 6. the restore webhook arrives, signed
    wait_for(receiver, 2)
    headers, body = receiver.requests[1]
    assert webhooks.verify(SECRET, headers, body, dt.datetime.now(dt.UTC))
    restore = json.loads(body)
    assert restore["action"] == "restore" and restore["media_sha256"] == sha

    # the candidate follows the case with the status link
    ana.goto(server.url + status_url)
    assert ana.inner_text("#case-state") == "resolved"
    statements = ana.inner_text("main")
    assert "Statements of reasons" in statements and "The appeal succeeded" in statements
    # the uploader's appeal exhausted the uploader's redress, not hers: she may appeal
    # the reversal, as its statement says
    assert "may appeal this outcome once" in statements
    assert ana.is_visible("#appeal-form") and "until" in ana.inner_text("#appeal-until")
    shot(ana, "cases-9-status")

    # 7. every step is a leaf of the served log, proven against its signed checkpoint
    home = server.home
    key = Ed25519Verifier.from_vkey((home / "log" / "log.vkey").read_text())
    client = LogClient(server.url + "/log", key)
    cp = client.latest().checkpoint  # signature checked with the published key
    with TransparencyLog.open(home, readonly=True) as log:
        raws = [log.entry(i) for i in range(cp.size)]
    entries = [json.loads(r) for r in raws]
    case_id = next(
        e["case_id"]
        for e in entries
        if e["type"] == "notice.received" and e.get("content_sha256") == sha
    )
    steps = [(i, e) for i, e in enumerate(entries) if e.get("case_id") == case_id]
    kinds = [
        e["type"]
        + (f":{e['status']}" if "status" in e else "")
        + (f":{e['action']}" if e["type"] == "action.taken" else "")
        for _, e in steps
    ]
    assert kinds == [
        "notice.received",
        "decision.made:proposed",
        "decision.made:final",  # the decision before the action it causes
        "action.taken:remove",
        "appeal.filed",
        "appeal.decided",
        "decision.made:final",  # what now stands: no action (the reporters may appeal it)
        "action.taken:restore",
    ]
    for i, _ in steps:
        assert client.check_inclusion(raws[i], i, cp)  # raises when the proof fails
        text = raws[i].decode()
        assert NAME not in text and EMAIL not in text and "ana" not in text.split('"')
    assert entries[steps[0][0]]["source"] == "verified_candidate"
