"""Webhooks go to public addresses only, unless the operator allows a network (issue 15):
checked when an endpoint is saved and again at delivery, on the address reached."""

from __future__ import annotations

import datetime as dt
import ipaddress
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from mediaproof.cases.events import InMemoryEventSink
from mediaproof.cases.models import Outcome
from mediaproof.errors import UsageError
from mediaproof.services.cases import CaseService
from mediaproof.services.cases.webhook_http import WebhookTargetRefused, guarded_sender
from mediaproof.services.cases.webhook_targets import (
    address_allowed,
    check_url,
    parse_networks,
)
from mediaproof.storage.secrets import SecretBox
from mediaproof.storage.sql.engine import Database
from mediaproof.storage.sql.migrate import upgrade
from mediaproof.storage.sql.tables_cases import OutboxRow
from tests.api.conftest import bearer, make_app
from tests.integration.test_cases_flow import SECRET, T0, Receiver, voter_notice

REFUSED = [
    "127.0.0.1",
    "127.8.9.10",
    "::1",
    "10.1.2.3",
    "172.16.0.9",
    "192.168.1.1",
    "169.254.169.254",  # cloud metadata
    "100.64.0.1",  # carrier-grade NAT
    "0.0.0.0",
    "::ffff:127.0.0.1",
    "fd00::1",
    "fe80::1",
    "224.0.0.1",
]
ALLOWED = ["93.184.216.34", "2606:2800:220:1:248:1893:25c8:1946", "8.8.8.8"]


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    r.start()
    yield r
    r.stop()


@pytest.mark.parametrize("ip", REFUSED)
def test_non_public_addresses_are_refused(ip: str) -> None:
    assert not address_allowed(ipaddress.ip_address(ip), ())
    host = f"[{ip}]" if ":" in ip else ip
    with pytest.raises(UsageError, match="MEDIAPROOF_SERVICE_WEBHOOK_ALLOW_NETWORKS"):
        check_url(f"https://{host}/hook", ())


@pytest.mark.parametrize("ip", ALLOWED)
def test_public_addresses_are_allowed(ip: str) -> None:
    host = f"[{ip}]" if ":" in ip else ip
    check_url(f"https://{host}/hook", ())


def test_names_are_resolved_and_networks_can_be_allowed() -> None:
    with pytest.raises(UsageError, match="loopback"):
        check_url("http://localhost:8080/hook", ())
    check_url("http://localhost:8080/hook", parse_networks(["127.0.0.0/8", "::1/128"]))
    check_url("http://10.1.2.3/hook", parse_networks(["10.0.0.0/8"]))
    with pytest.raises(UsageError):
        check_url("http://10.1.2.3/hook", parse_networks(["192.168.0.0/16"]))
    with pytest.raises(UsageError, match="user name or password"):
        check_url("https://user:pw@hooks.example.org/x", ())
    with pytest.raises(ValueError, match="not a network"):
        parse_networks(["ten.0.0.0/8"])


def test_a_broken_address_is_a_usage_error_not_a_crash() -> None:
    """urlsplit refuses a broken IPv6 literal with ValueError: that is the caller's
    mistake (a 4xx at the API), never a 500."""
    for url in ("http://[::1/hook", "https://[not-an-address]/hook", "http://[::1]x/hook"):
        with pytest.raises(UsageError):
            check_url(url, ())


def test_delivery_checks_the_address_it_reaches(tmp_path: Path, receiver: Receiver) -> None:
    """An endpoint saved while allowed (or whose name now resolves elsewhere) is refused
    at delivery: nothing reaches the receiver and the outbox says why."""
    with pytest.raises(WebhookTargetRefused):
        guarded_sender(())(receiver.url, {}, b"{}", 2.0)
    assert receiver.requests == []
    assert guarded_sender(parse_networks(["127.0.0.0/8"]))(receiver.url, {}, b"{}", 2.0) == 204
    receiver.requests.clear()
    db = Database(f"sqlite:///{tmp_path / 'c.db'}", secrets=SecretBox(tmp_path / "keys"))
    upgrade(db.engine)
    lax = CaseService(db, sink=InMemoryEventSink(), webhook_allow=parse_networks(["127.0.0.0/8"]))
    lax.register_endpoint("*", receiver.url, SECRET)
    strict = CaseService(db, sink=InMemoryEventSink())
    with pytest.raises(UsageError):
        strict.register_endpoint("*", receiver.url, SECRET)
    r = strict.file_notice(voter_notice(), T0)
    strict.decide(
        r.case_number,
        reviewer="alice",
        outcome=Outcome.LABEL,
        rule_id="DM-1",
        explanation="Synthetic voice; label it.",
        now=T0,
    )
    stats = strict.deliver_due(T0 + dt.timedelta(seconds=1))
    assert stats.delivered == 0 and receiver.requests == []
    with db.session() as s:
        errors = [row.last_error for row in s.query(OutboxRow)]
    assert errors and all("non-public" in (e or "") for e in errors), errors
    db.dispose()


def test_the_api_refuses_a_loopback_endpoint_by_default(tmp_path: Path) -> None:
    app = make_app(tmp_path / "i")
    admin = bearer(app.state.ctx.inst, "admin", ["webhooks:manage"])
    with TestClient(app) as c:
        for url in ("http://127.0.0.1:9/hook", "http://localhost/hook", "http://[::1]/x"):
            r = c.post(
                "/api/v1/webhooks/endpoints",
                headers=admin,
                json={"platform": "video.example", "url": url, "secret": SECRET},
            )
            assert r.status_code == 400, r.text
            assert "WEBHOOK_ALLOW_NETWORKS" in r.json()["error"]["message"]
        assert c.get("/api/v1/webhooks/endpoints", headers=admin).json() == []
    allowed = make_app(tmp_path / "j", webhook_allow_networks=["127.0.0.0/8"])
    admin = bearer(allowed.state.ctx.inst, "admin", ["webhooks:manage"])
    with TestClient(allowed) as c:
        r = c.post(
            "/api/v1/webhooks/endpoints",
            headers=admin,
            json={"platform": "video.example", "url": "http://127.0.0.1:9/h", "secret": SECRET},
        )
        assert r.status_code == 201
