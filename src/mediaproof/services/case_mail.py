"""Case e-mail to reporters: a background sender on the operator's SMTP server.

Messages are queued in memory and sent one by one on a daemon thread, so a slow or
unreachable server never delays a receipt or a decision. A message that cannot be sent
is logged without its address and dropped; messages still queued when the process stops
are lost (the status page always has the same information).
"""

from __future__ import annotations

import logging
import queue
import threading

from mediaproof.config import MailSettings
from mediaproof.errors import UsageError
from mediaproof.smtp import MailError, SmtpServer, send_mail

_log = logging.getLogger(__name__)


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


class CaseMailer:
    """Call it with (recipient, subject, text); it sends in the background."""

    def __init__(self, server: SmtpServer, max_queued: int = 1000) -> None:
        self.server = server
        self._q: queue.Queue[tuple[str, str, str] | None] = queue.Queue(max_queued)
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self.sent = 0
        self.failed = 0

    def __call__(self, to: str, subject: str, text: str) -> None:
        self._start()
        try:
            self._q.put_nowait((to, subject, text))
        except queue.Full:
            self.failed += 1
            _log.warning("case e-mail dropped: the send queue is full")

    def _start(self) -> None:
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="case-mail", daemon=True)
                self._thread.start()

    def _run(self) -> None:
        while (item := self._q.get()) is not None:
            to, subject, text = item
            try:
                send_mail(self.server, [to], subject, text)
                self.sent += 1
            except MailError as e:  # the message names the server, never the address
                self.failed += 1
                _log.warning("case e-mail not sent: %s", e.message)
            finally:
                self._q.task_done()
        self._q.task_done()

    def flush(self) -> None:
        """Wait until everything queued so far was sent or given up (tests, shutdown)."""
        if self._thread is not None:
            self._q.join()

    def stop(self, timeout_s: float | None = None) -> None:
        with self._lock:
            thread, self._thread = self._thread, None
        if thread is not None:
            self._q.put(None)
            thread.join(timeout_s if timeout_s is not None else self.server.timeout_s * 2 + 5)
