"""The webhook sender that goes over the network: the adapter behind
:class:`~mediaproof.services.cases.results.WebhookSender`.

The delivery logic (``deliveries.WebhookOutbox``) only signs, claims and retries; it is
given a sender. This one POSTs with the guarded transport of
``services.case_webhook_targets``: public addresses only unless the operator allows
networks (checked against the address actually reached, after DNS), no redirects, no
proxy from the environment.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from mediaproof.services.case_webhook_targets import Network, guarded_sender


class HttpWebhookSender:
    """``(url, headers, body, timeout) -> HTTP status`` over HTTP(S); raises
    :class:`OSError` (``WebhookTargetRefused`` among them) when nothing answered."""

    def __init__(self, allowed: Sequence[Network] = ()) -> None:
        self.allowed = tuple(allowed)
        self._post = guarded_sender(self.allowed)

    def __call__(self, url: str, headers: Mapping[str, str], body: bytes, timeout: float) -> int:
        return int(self._post(url, headers, body, timeout))
