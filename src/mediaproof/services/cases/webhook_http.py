"""The webhook sender that goes over the network: the adapter behind
:class:`~mediaproof.services.cases.results.WebhookSender`.

The delivery logic (``deliveries.WebhookOutbox``) only signs, claims and retries; it is
given a sender. This one POSTs with the guarded transport below, under the rule of
``webhook_targets``: public addresses only unless the operator allows
networks (checked against the address actually reached, after DNS), no redirects, no
proxy from the environment.
"""

from __future__ import annotations

import functools
import http.client
import ipaddress
import socket
import ssl
import urllib.error
import urllib.request
from collections.abc import Mapping, Sequence
from typing import Any

from mediaproof.services.cases.webhook_targets import Network, address_allowed, refusal_message


class WebhookTargetRefused(OSError):
    """The delivery reached (or would reach) an address that is not allowed. An OSError,
    so the outbox treats it like an unreachable receiver: retried, then dead-lettered."""


def _guarded_connect(
    address: tuple[str, int],
    timeout: Any = socket._GLOBAL_DEFAULT_TIMEOUT,  # type: ignore[attr-defined]
    source_address: Any = None,
    *,
    allowed: Sequence[Network],
) -> socket.socket:
    sock = socket.create_connection(address, timeout, source_address)
    peer = ipaddress.ip_address(str(sock.getpeername()[0]).split("%")[0])
    if not address_allowed(peer, allowed):
        sock.close()
        raise WebhookTargetRefused(refusal_message(address[0], peer))
    return sock


def _guarded(base: type[http.client.HTTPConnection], allowed: Sequence[Network]) -> Any:
    class Guarded(base):  # type: ignore[valid-type,misc]
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self._create_connection = functools.partial(_guarded_connect, allowed=allowed)

    return Guarded


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None  # a webhook receiver that redirects is a misconfiguration, not a hop


def guarded_sender(
    allowed: Sequence[Network] = (),
) -> Any:
    """A webhook sender (url, headers, body, timeout) -> status that connects only to
    allowed addresses, follows no redirects and uses no proxy from the environment."""
    http_conn = _guarded(http.client.HTTPConnection, allowed)
    https_conn = _guarded(http.client.HTTPSConnection, allowed)
    context = ssl.create_default_context()

    class _Http(urllib.request.HTTPHandler):
        def http_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
            return self.do_open(http_conn, req)

    class _Https(urllib.request.HTTPSHandler):
        def https_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
            return self.do_open(https_conn, req, context=context)

    opener = urllib.request.OpenerDirector()
    for h in (
        urllib.request.ProxyHandler({}),
        urllib.request.UnknownHandler(),
        _Http(),
        _Https(),
        urllib.request.HTTPDefaultErrorHandler(),
        _NoRedirect(),
        urllib.request.HTTPErrorProcessor(),
    ):
        opener.add_handler(h)

    def send(url: str, headers: Mapping[str, str], body: bytes, timeout: float) -> int:
        req = urllib.request.Request(url, data=body, headers=dict(headers), method="POST")
        try:
            with opener.open(req, timeout=timeout) as resp:
                return int(resp.status)
        except urllib.error.HTTPError as e:
            return int(e.code)
        except urllib.error.URLError as e:
            if isinstance(e.reason, OSError):
                raise e.reason from e  # WebhookTargetRefused keeps its message
            raise

    return send


class HttpWebhookSender:
    """``(url, headers, body, timeout) -> HTTP status`` over HTTP(S); raises
    :class:`OSError` (``WebhookTargetRefused`` among them) when nothing answered."""

    def __init__(self, allowed: Sequence[Network] = ()) -> None:
        self.allowed = tuple(allowed)
        self._post = guarded_sender(self.allowed)

    def __call__(self, url: str, headers: Mapping[str, str], body: bytes, timeout: float) -> int:
        return int(self._post(url, headers, body, timeout))
