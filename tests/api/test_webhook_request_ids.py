"""A webhook delivery carries the id of the request that caused it (X-Request-ID, outside
the signature), however much later the outbox sends it."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from fastapi.testclient import TestClient

from mediaproof.cases import webhooks
from tests.api.conftest import bearer
from tests.api.test_cases_api import (
    SECRET,
    Receiver,
    _decide,
    case_app,
    file_json,
    receiver,
    signed_in,
)

__all__ = ["receiver"]  # the fixture


def test_webhook_carries_the_causing_request_id(tmp_path: Path, receiver: Receiver) -> None:
    app = case_app(tmp_path / "instance")
    with TestClient(app) as client:
        admin = bearer(app.state.ctx.inst, "admin", ["webhooks:manage"])
        r = client.post(
            "/api/v1/webhooks/endpoints",
            headers=admin,
            json={"platform": "video.example", "url": receiver.url, "secret": SECRET},
        )
        assert r.status_code == 201
        number = file_json(client)["case_number"]
        rev, rev2 = signed_in(app, "reviewer"), signed_in(app, "reviewer2")
        d = _decide(rev, number, "remove", headers={"X-Request-ID": "rid-propose"})
        assert d.status_code in (200, 201), d.text
        c = rev2.post(f"/api/v1/cases/{number}/confirm", headers={"X-Request-ID": "rid-confirm"})
        assert c.status_code == 200, c.text
        assert c.headers["x-request-id"] == "rid-confirm"
        # sent later, outside any request (as the outbox thread does)
        assert app.state.cases.deliver_due(dt.datetime.now(dt.UTC)).delivered == 1
        headers, body = receiver.requests[0]
        # the confirmation made the removal final, so it queued the webhook
        assert {k.lower(): v for k, v in headers.items()}["x-request-id"] == "rid-confirm"
        assert webhooks.verify(SECRET, headers, body, dt.datetime.now(dt.UTC))
        with app.state.ctx.inst.db.session() as s:
            from mediaproof.storage.sql.tables_cases import OutboxRow

            row = s.query(OutboxRow).one()
            assert row.request_id == "rid-confirm"
