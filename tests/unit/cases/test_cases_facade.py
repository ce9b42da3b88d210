"""CaseService is a facade over one part per responsibility (services/cases/): each use
case is the method of the part that owns it, and a setting changed on the service is
the one its parts read."""

from __future__ import annotations

from pathlib import Path

import mediaproof.services.cases as cases_pkg
from mediaproof.cases.events import InMemoryEventSink
from mediaproof.services.cases import CaseService
from mediaproof.services.cases.appeals import Appeals
from mediaproof.services.cases.bank import Bank
from mediaproof.services.cases.deliveries import MailOutbox, WebhookOutbox
from mediaproof.services.cases.intake import Intake
from mediaproof.services.cases.reporting import Reporting
from mediaproof.services.cases.review import Review
from mediaproof.services.cases.service import _Forward
from mediaproof.storage.sql.engine import Database

# the methods CaseService had as one class, before it was split into parts
USE_CASES = [
    "appeal",
    "appeal_queue",
    "attach_analysis",
    "base_url",
    "check_upload",
    "confirm",
    "dead_letters",
    "decide",
    "decide_appeal",
    "deliver_due",
    "endpoints",
    "file_notice",
    "flush_events",
    "mail_pending",
    "notices_of_account",
    "queue",
    "register_endpoint",
    "reject",
    "retry_dead",
    "send_mail_due",
    "show",
    "sor_export",
    "status",
    "transparency_report",
    "uploader_status",
    "withdraw",
]
PARTS = {
    "intake": Intake,
    "review": Review,
    "appeals": Appeals,
    "bank": Bank,
    "reporting": Reporting,
    "webhooks": WebhookOutbox,
    "mail": MailOutbox,
}


def _svc(tmp_path: Path) -> CaseService:
    return CaseService(Database(f"sqlite:///{tmp_path / 'c.db'}"), sink=InMemoryEventSink())


def test_every_use_case_is_on_the_service_as_the_method_of_the_part_that_owns_it(
    tmp_path: Path,
) -> None:
    svc = _svc(tmp_path)
    for attr, cls in PARTS.items():
        assert isinstance(getattr(svc, attr), cls)
    forwarded = {n: f for n, f in vars(CaseService).items() if isinstance(f, _Forward)}
    assert set(USE_CASES) <= set(forwarded)
    for name, fwd in forwarded.items():
        part = getattr(svc, fwd.part)
        method = getattr(svc, name)
        assert method.__self__ is part, name
        assert method.__func__ is getattr(type(part), fwd.name), name
        assert fwd.__doc__ == method.__doc__


def test_settings_written_on_the_service_are_what_the_parts_read(tmp_path: Path) -> None:
    svc = _svc(tmp_path)
    assert svc.base_url("http://proxy.internal/") == "http://proxy.internal"
    svc.public_url = "https://cases.example"
    assert svc.ctx.public_url == "https://cases.example"
    assert svc.base_url("http://proxy.internal/") == "https://cases.example"
    woken: list[str] = []
    svc.on_mail = lambda: woken.append("woken")
    svc.ctx.mail_staged([])  # nothing staged: nobody is woken
    assert woken == []

    def sender(url: str, headers: object, body: bytes, timeout: float) -> int:
        return 204

    svc.sender = sender
    assert svc.webhooks.sender is sender
    assert svc.bank_rules is svc.bank.rules and svc.webhook_allow == ()


def test_the_package_exports_what_it_names() -> None:
    for name in cases_pkg.__all__:
        assert hasattr(cases_pkg, name), name
    assert "CaseService" in cases_pkg.__all__
