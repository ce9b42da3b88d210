"""Reporters get their receipt and every statement of reasons by e-mail, through the
operator's SMTP server only (a real local one here), with their own status link; the
address never reaches the logs, and an unreachable server never fails the workflow."""

from __future__ import annotations

import logging
import socket
from email.message import Message
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from mediaproof.services.case_mail import CaseMailer
from tests.api.test_cases_api import EMAIL, NAME, _decide, case_app, file_json, signed_in
from tests.likeness_support import Inbox, smtp_server


def _flush(app: FastAPI) -> None:
    mailer = app.state.cases.mailer
    assert isinstance(mailer, CaseMailer)
    mailer.flush()


def _text(m: Message) -> str:
    body = m.get_payload(decode=True)
    assert isinstance(body, bytes)
    return body.decode()


def _mail_app(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, port: int) -> FastAPI:
    monkeypatch.setenv("MEDIAPROOF_MAIL_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("MEDIAPROOF_MAIL_SMTP_PORT", str(port))
    monkeypatch.setenv("MEDIAPROOF_MAIL_SMTP_FROM", "cases@office.example")
    return case_app(tmp_path / "instance")


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
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    app = _mail_app(tmp_path, monkeypatch, port)
    caplog.set_level(logging.WARNING)
    with TestClient(app) as client:
        rec = file_json(client)  # the receipt does not wait for, or depend on, the mail
        _flush(app)
        assert app.state.cases.mailer.failed == 1
    assert "case e-mail not sent" in caplog.text and f"127.0.0.1:{port}" in caplog.text
    assert EMAIL not in caplog.text and rec["status_token"] not in caplog.text


def test_no_server_configured_sends_nothing(tmp_path: Path) -> None:
    app = case_app(tmp_path / "instance")
    assert app.state.cases.mailer is None
