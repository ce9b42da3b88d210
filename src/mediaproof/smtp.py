"""Sending one e-mail through the operator's SMTP server (likeness alerts, case mail).

Nothing is sent unless the operator configured a server. Errors name the server, never
the recipients: addresses are personal data and error messages end up in logs.
"""

from __future__ import annotations

import smtplib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from email.message import EmailMessage

from mediaproof.errors import MediaproofError


class MailError(MediaproofError):
    """The SMTP server could not be reached or refused the message."""


@dataclass(frozen=True)
class SmtpServer:
    host: str
    port: int
    sender: str
    username: str | None = None
    password: str | None = None
    starttls: bool = False
    timeout_s: float = 10.0


def send_mail(
    server: SmtpServer,
    recipients: Sequence[str],
    subject: str,
    text: str,
    headers: Mapping[str, str] | None = None,
) -> None:
    """Send a plain-text message or raise :class:`MailError`."""
    if not recipients:
        raise MailError("an e-mail needs at least one recipient")
    msg = EmailMessage()
    msg["Subject"] = subject
    msg["From"] = server.sender
    msg["To"] = ", ".join(recipients)
    for k, v in (headers or {}).items():
        msg[k] = v
    msg.set_content(text)
    try:
        with smtplib.SMTP(server.host, server.port, timeout=server.timeout_s) as smtp:
            if server.starttls:
                smtp.starttls()
            if server.username and server.password:
                smtp.login(server.username, server.password)
            smtp.send_message(msg)
    except (OSError, smtplib.SMTPException) as e:
        raise MailError(f"e-mail via {server.host}:{server.port} failed: {type(e).__name__}") from e
