"""Alert channels: in-app (the store), e-mail (SMTP) and signed webhooks.

A webhook POST carries the alert as JSON with two headers:
``X-Mediaproof-Timestamp`` (Unix seconds) and ``X-Mediaproof-Signature``
(``sha256=`` + hex HMAC-SHA256 over ``"<timestamp>.<body>"`` with the shared secret).
Receivers recompute it (see :func:`verify_signature`) and refuse stale timestamps, so a
captured request cannot be replayed later.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Sequence
from typing import Protocol

from mediaproof.likeness.errors import AlertDeliveryError
from mediaproof.likeness.store import Alert
from mediaproof.smtp import MailError, SmtpServer, send_mail

TIMESTAMP_HEADER = "X-Mediaproof-Timestamp"
SIGNATURE_HEADER = "X-Mediaproof-Signature"
NOT_A_VERDICT = (
    "Likeness is a reason to look, not a verdict: this media may be genuine, a look-alike "
    "or manipulated. Open the report to see the evidence."
)


class AlertChannel(Protocol):
    name: str

    def deliver(self, alert: Alert) -> None:
        """Send the alert or raise :class:`AlertDeliveryError` with a human reason."""
        ...


def alert_text(alert: Alert) -> str:
    lines = [
        f"New media {alert.media_path}:",
        *[f"  - {s}" for s in alert.statements],
        "",
        f"Media SHA-256: {alert.media_sha256}",
        f"Report: {alert.report_url or alert.report_id}"
        + ("" if alert.report_url else f"  (mediaproof likeness report {alert.report_id})"),
        "",
        NOT_A_VERDICT,
    ]
    return "\n".join(lines)


class EmailChannel:
    name = "email"

    def __init__(
        self,
        host: str,
        port: int,
        sender: str,
        recipients: Sequence[str],
        *,
        username: str | None = None,
        password: str | None = None,
        starttls: bool = False,
        timeout_s: float = 10.0,
    ) -> None:
        if not recipients:
            raise AlertDeliveryError("e-mail alerts need at least one recipient")
        self.host, self.port, self.sender = host, port, sender
        self.recipients = list(recipients)
        self.username, self.password = username, password
        self.starttls = starttls
        self.timeout_s = timeout_s

    def deliver(self, alert: Alert) -> None:
        server = SmtpServer(
            self.host,
            self.port,
            self.sender,
            self.username,
            self.password,
            self.starttls,
            self.timeout_s,
        )
        try:
            send_mail(
                server,
                self.recipients,
                f"[mediaproof] {alert.statements[0] if alert.statements else 'alert'}",
                alert_text(alert),
                {"X-Mediaproof-Alert": alert.id},
            )
        except MailError as e:
            raise AlertDeliveryError(e.message) from e


def sign(secret: str, timestamp: str, body: bytes) -> str:
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def verify_signature(
    secret: str,
    timestamp: str,
    body: bytes,
    signature: str,
    *,
    tolerance_s: float = 300.0,
    now: float | None = None,
) -> bool:
    """True when ``signature`` is ours over this body and the timestamp is fresh."""
    try:
        age = abs((now if now is not None else time.time()) - float(timestamp))
    except ValueError:
        return False
    return age <= tolerance_s and hmac.compare_digest(sign(secret, timestamp, body), signature)


class WebhookChannel:
    name = "webhook"

    def __init__(
        self,
        url: str,
        secret: str,
        *,
        retries: int = 3,
        backoff_s: float = 1.0,
        timeout_s: float = 10.0,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if not url.startswith(("https://", "http://")):
            raise AlertDeliveryError(f"webhook URL must be http(s): {url}")
        if not secret:
            raise AlertDeliveryError("a webhook needs a shared secret to sign with")
        self.url, self.secret = url, secret
        self.retries, self.backoff_s, self.timeout_s = retries, backoff_s, timeout_s
        self._sleep = sleep

    def deliver(self, alert: Alert) -> None:
        body = json.dumps({"type": "likeness.alert", "alert": alert.to_json()}).encode()
        last = "no attempt made"
        for attempt in range(self.retries + 1):
            if attempt:
                self._sleep(self.backoff_s * 2 ** (attempt - 1))  # 1x, 2x, 4x...
            ts = str(int(time.time()))  # fresh per attempt: a retry is not a replay
            req = urllib.request.Request(
                self.url,
                data=body,
                method="POST",
                headers={
                    "Content-Type": "application/json",
                    "User-Agent": "mediaproof-likeness",
                    TIMESTAMP_HEADER: ts,
                    SIGNATURE_HEADER: sign(self.secret, ts, body),
                },
            )
            try:
                with urllib.request.urlopen(req, timeout=self.timeout_s) as resp:
                    resp.read()
                return
            except urllib.error.HTTPError as e:
                last = f"HTTP {e.code}"
                if e.code < 500 and e.code != 429:
                    break  # the receiver refused this request; sending it again won't help
            except (urllib.error.URLError, OSError) as e:
                last = str(getattr(e, "reason", e))
        raise AlertDeliveryError(f"webhook {self.url} failed: {last}")
