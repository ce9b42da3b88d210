"""Reporters get their receipt and every statement of reasons by e-mail, through the
operator's SMTP server only (a real local one here), with their own status link; the
address never reaches the logs, an unreachable server never fails the workflow, and a
message survives an outage and a restart (it waits in the database outbox)."""

from __future__ import annotations

import datetime as dt
import logging
import socket
import time
from email.message import Message
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select

from mediaproof.api import create_app
from mediaproof.storage.sql.tables_cases import MailOutboxRow
from tests.api.conftest import make_settings
from tests.api.test_cases_api import EMAIL, NAME, _decide, case_app, file_json, signed_in
from tests.likeness_support import Inbox, smtp_server


def _flush(app: FastAPI, timeout_s: float = 20.0) -> None:
    """Wait until the service's background outbox worker sent everything staged."""
    deadline = time.monotonic() + timeout_s
    while app.state.cases.mail_pending():
        assert time.monotonic() < deadline, "the outbox worker did not send the e-mail"
        time.sleep(0.02)


def _outbox(app: FastAPI) -> list[MailOutboxRow]:
    with app.state.cases.db.session() as s:
        rows = list(s.scalars(select(MailOutboxRow).order_by(MailOutboxRow.id)))
        s.expunge_all()
        return rows


def _dead_port() -> int:
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _text(m: Message) -> str:
    body = m.get_payload(decode=True)
    assert isinstance(body, bytes)
    return body.decode()


def _mail_app(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, port: int, db_url: str | None = None
) -> FastAPI:
    monkeypatch.setenv("MEDIAPROOF_MAIL_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("MEDIAPROOF_MAIL_SMTP_PORT", str(port))
    monkeypatch.setenv("MEDIAPROOF_MAIL_SMTP_FROM", "cases@office.example")
    return case_app(tmp_path / "instance", db_url)


def test_receipt_decision_and_appeal_outcome_are_mailed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    inbox: Inbox
    with smtp_server() as (port, inbox):
        app = _mail_app(tmp_path, monkeypatch, port)
        with TestClient(app) as client:
            rec = file_json(client)
            number, link = rec["case_number"], rec["status_url"]
            _flush(app)
            [receipt] = inbox.messages
            assert receipt["To"] == EMAIL and receipt["From"] == "cases@office.example"
            assert number in receipt["Subject"] and link in _text(receipt)
            assert inbox.envelopes[0][1] == [f"<{EMAIL}>"]

            rev, rev2 = signed_in(app, "reviewer"), signed_in(app, "reviewer2")
            d = _decide(rev, number, "label")
            assert d.status_code == 201, d.text
            _flush(app)
            decision = inbox.messages[1]
            text = _text(decision)
            assert f"Decision on case {number}" in decision["Subject"]
            assert "DM-1" in text  # the statement of reasons names the rule it applied
            assert link in text  # the same private link, rebuilt: no token is stored

            # the uploader appeals with the token the reviewer handed over
            token = d.json()["uploader_token"]
            a = client.post(
                "/api/v1/appeals", json={"token": token, "grounds": "It is satire, see title."}
            )
            assert a.status_code == 201, a.text
            r = rev2.post(
                f"/api/v1/appeals/{a.json()['appeal_id']}/decision",
                json={"outcome": "upheld", "explanation": "Not labelled as satire anywhere."},
            )
            assert r.status_code == 200, r.text
            _flush(app)
            outcome = inbox.messages[2]
            assert f"Appeal decided on case {number}" in outcome["Subject"]
            assert "original decision stands" in _text(outcome) and link in _text(outcome)
            assert len(inbox.messages) == 3  # a proposal or an appeal filing sends nothing
    assert EMAIL not in caplog.text and NAME not in caplog.text


def test_withdrawn_reporters_get_no_decision_mail(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with smtp_server() as (port, inbox):
        app = _mail_app(tmp_path, monkeypatch, port)
        with TestClient(app) as client:
            rec = file_json(client)
            assert client.post(f"/api/v1/status/{rec['status_token']}/withdraw").status_code == 200
            other = file_json(client, reporter_email="second@voters.example")
            assert other["case_number"] == rec["case_number"]  # same URL: same case
            _decide(signed_in(app, "reviewer"), rec["case_number"], "label")
            _flush(app)
            assert [m["To"] for m in inbox.messages] == [
                EMAIL,
                "second@voters.example",
                "second@voters.example",
            ]


def test_an_unreachable_server_is_logged_without_the_address(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    port = _dead_port()
    app = _mail_app(tmp_path, monkeypatch, port)
    caplog.set_level(logging.WARNING)
    with TestClient(app) as client:
        rec = file_json(client)  # the receipt does not wait for, or depend on, the mail
        deadline = time.monotonic() + 20
        while not any(r.attempts for r in _outbox(app)):  # the worker tried once
            assert time.monotonic() < deadline
            time.sleep(0.02)
        [row] = _outbox(app)
        assert row.attempts == 1  # kept for a retry, later: not lost, not hammered
    assert "not sent, will retry" in caplog.text and f"127.0.0.1:{port}" in caplog.text
    assert EMAIL not in caplog.text and rec["status_token"] not in caplog.text


def test_mail_waits_out_an_outage_and_a_restart(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, db_url: str
) -> None:
    """The receipt is staged with the notice; the server is down, the service stops; the
    next process (here with the server back, on a new port) sends it once, unchanged."""
    app = _mail_app(tmp_path, monkeypatch, _dead_port(), db_url)
    with TestClient(app) as client:
        rec = file_json(client)
        rev = signed_in(app, "reviewer")
        assert _decide(rev, rec["case_number"], "label").status_code == 201
    # the stop's last try failed too; both messages wait, in the order they were made
    waiting = _outbox(app)
    assert [r.recipient for r in waiting] == [EMAIL, EMAIL]
    assert "Notice received" in waiting[0].subject and "Decision" in waiting[1].subject

    with smtp_server() as (port, inbox):
        monkeypatch.setenv("MEDIAPROOF_MAIL_SMTP_PORT", str(port))
        settings = make_settings(tmp_path / "instance", webhook_interval_s=3600)
        again = create_app(settings.model_copy(update={"database_url": db_url}))
        svc = again.state.cases
        later = dt.datetime.now(dt.UTC) + dt.timedelta(hours=1)  # past the retry back-off
        for _ in range(2):  # a round ends at the first failure; these both succeed
            svc.send_mail_due(later)
        assert [m["Subject"] for m in inbox.messages] == [r.subject for r in waiting]
        assert rec["status_url"] in _text(inbox.messages[0])
        assert svc.mail_pending() == 0  # sent: the addresses are gone from the outbox
        assert svc.send_mail_due(later).delivered == 0  # and nothing goes twice
        again.state.ctx.inst.close()


def test_mail_is_given_up_after_the_retry_limit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    app = _mail_app(tmp_path, monkeypatch, _dead_port())
    svc = app.state.cases
    caplog.set_level(logging.WARNING)
    with TestClient(app) as client:
        file_json(client)
    t = dt.datetime.now(dt.UTC)
    given_up = 0
    for _ in range(svc.retry.max_attempts + 2):
        t += svc.retry.cap + dt.timedelta(seconds=1)
        given_up += svc.send_mail_due(t).dead
    assert given_up == 1 and svc.mail_pending() == 0  # the address is not kept forever
    assert "given up after" in caplog.text and EMAIL not in caplog.text
    app.state.ctx.inst.close()


def test_no_server_configured_sends_nothing(tmp_path: Path) -> None:
    app = case_app(tmp_path / "instance")
    assert app.state.cases.mailer is None
