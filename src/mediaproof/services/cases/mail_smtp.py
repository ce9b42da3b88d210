"""Case e-mail to reporters through the operator's SMTP server.

Messages are staged in the database outbox with the change they tell of
(``CaseService._stage_mail``) and sent by the service's background outbox worker, by
``mediaproof cases deliver``, or at the end of the CLI command that staged them. A slow or
unreachable server never delays a receipt or a decision, and a stop or an outage delays
a message but does not lose it. Errors name the server, never the address.
"""

from __future__ import annotations

from mediaproof.config import MailSettings
from mediaproof.errors import UsageError
from mediaproof.smtp import SmtpServer, send_mail


def smtp_server(mail: MailSettings) -> SmtpServer | None:
    """The configured server, or None: no host, no e-mail."""
    if not mail.smtp_host:
        return None
    if not mail.smtp_from:
        raise UsageError(
            "MEDIAPROOF_MAIL_SMTP_FROM is required with MEDIAPROOF_MAIL_SMTP_HOST",
            hint="set the sender address case e-mail goes out from",
        )
    return SmtpServer(
        mail.smtp_host,
        mail.smtp_port,
        mail.smtp_from,
        mail.smtp_username,
        mail.smtp_password,
        mail.smtp_starttls,
        mail.timeout_s,
    )


class SmtpMailer:
    """Call it with (recipient, subject, text): sends one message now, or raises
    :class:`~mediaproof.smtp.MailError` (the outbox keeps the message for a retry)."""

    def __init__(self, server: SmtpServer) -> None:
        self.server = server

    def __call__(self, to: str, subject: str, text: str) -> None:
        send_mail(self.server, [to], subject, text)
