"""Links that leave the instance (receipts, webhooks, the reviewer's hand-over) use the
configured public address, so they work behind a proxy and outside any request."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError

from mediaproof.cases.models import Outcome
from mediaproof.config import ServiceSettings
from mediaproof.services.cases.runtime import case_service
from mediaproof.services.instance import Instance
from tests.api.conftest import bearer, make_settings
from tests.api.test_cases_api import SECRET, case_app, file_json, signed_in
from tests.integration.test_cases_flow import Receiver, candidate_notice

PUBLIC = "https://verify.example.org/mp"


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    r.start()
    yield r
    r.stop()


def test_public_url_setting_is_checked() -> None:
    assert ServiceSettings(public_url=PUBLIC + "/").public_url == PUBLIC
    assert ServiceSettings(public_url="  ").public_url is None
    assert ServiceSettings().public_url is None
    for bad in ("verify.example.org", "ftp://x.example", "https://x.example/?a=1", "https://"):
        with pytest.raises(ValidationError, match="public_url"):
            ServiceSettings(public_url=bad)


def test_receipts_webhooks_and_hand_over_use_the_public_address(
    tmp_path: Path, receiver: Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MEDIAPROOF_SERVICE_PUBLIC_URL", PUBLIC)
    app = case_app(tmp_path / "instance")
    assert app.state.ctx.inst.settings.service.public_url == PUBLIC  # read from the env
    with TestClient(app) as client:
        rec = file_json(client)
        assert rec["status_url"] == f"{PUBLIC}/status/{rec['status_token']}"

        # no endpoint for this platform: the reviewer's page shows the link once
        other = file_json(client, content_url="https://elsewhere.example/v/1")
        rev = signed_in(app, "reviewer")
        page = rev.post(
            f"/review/cases/{other['case_number']}/decide",
            data={
                "outcome": "label",
                "rule_id": "DM-1",
                "explanation": "Synthetic voice; a label tells viewers.",
                "version": "1",
                "csrf_token": rev.headers["x-csrf-token"],
            },
        )
        assert page.status_code == 200 and 'id="uploader-appeal-url"' in page.text
        assert f"{PUBLIC}/appeal?token=" in page.text

        admin = bearer(app.state.ctx.inst, "admin", ["webhooks:manage"])
        client.post(
            "/api/v1/webhooks/endpoints",
            headers=admin,
            json={"platform": "video.example", "url": receiver.url, "secret": SECRET},
        )
        third = file_json(client, content_url="https://video.example/watch/7")
        r = rev.post(
            f"/api/v1/cases/{third['case_number']}/decisions",
            json={"outcome": "label", "rule_id": "DM-1", "explanation": "Synthetic, labelled."},
        )
        assert r.status_code == 201, r.text
        assert r.json()["uploader_appeal_url"] is None  # it went to the platform
        assert app.state.cases.deliver_due(dt.datetime.now(dt.UTC)).delivered == 1
        body = json.loads(receiver.requests[0][1])
        token = body["uploader_appeal_token"]
        assert body["uploader_appeal_url"] == f"{PUBLIC}/appeal?token={token}"
        # the link's path is the uploader's appeal page on this instance
        page = client.get(body["uploader_appeal_url"].removeprefix(PUBLIC))
        assert page.status_code == 200 and 'id="uploader-case"' in page.text


def test_without_an_address_or_request_there_is_no_link(tmp_path: Path) -> None:
    """The CLI decides outside any request: with no public address the uploader gets the
    token alone rather than a link to a guessed host."""
    inst = Instance(make_settings(tmp_path / "instance"))
    try:
        svc = case_service(inst)
        t0 = dt.datetime(2026, 11, 1, 9, tzinfo=dt.UTC)
        rec = svc.file_notice(candidate_notice(), t0)
        res = svc.decide(
            rec.case_number,
            reviewer="alice",
            outcome=Outcome.LABEL,
            rule_id="DM-1",
            explanation="Synthetic voice; likely to deceive voters.",
            now=t0,
        )
        assert res.uploader_token and res.uploader_appeal_url is None
        svc.public_url = PUBLIC
        assert svc.base_url("http://proxy.internal/") == PUBLIC  # the setting wins
    finally:
        inst.close()
