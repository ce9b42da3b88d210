"""Where webhooks may go: public addresses only, unless the operator names networks.

A webhook URL is typed by an administrator, but it makes the service send requests (with
uploaders' appeal tokens) from inside the operator's network: loopback, private, link-
local and other non-global addresses are refused unless listed in
``MEDIAPROOF_SERVICE_WEBHOOK_ALLOW_NETWORKS``. The rule is checked when an endpoint is
saved (literal addresses and names that resolve) and again on every delivery against the
address the connection actually reached, so a name that later resolves elsewhere (DNS
rebinding) cannot slip through.
"""

from __future__ import annotations

import functools
import http.client
import ipaddress
import socket
import ssl
import urllib.error
import urllib.request
from collections.abc import Iterable, Mapping, Sequence
from typing import Any
from urllib.parse import urlsplit

from mediaproof.errors import UsageError

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Address = ipaddress.IPv4Address | ipaddress.IPv6Address


class WebhookTargetRefused(OSError):
    """The delivery reached (or would reach) an address that is not allowed. An OSError,
    so the outbox treats it like an unreachable receiver: retried, then dead-lettered."""


def parse_networks(values: Iterable[str]) -> tuple[Network, ...]:
    out = []
    for v in values:
        try:
            out.append(ipaddress.ip_network(v.strip(), strict=False))
        except ValueError as e:
            raise ValueError(f"not a network: {v!r} (write e.g. 10.0.0.0/8 or ::1/128)") from e
    return tuple(out)


def address_allowed(ip: Address, allowed: Sequence[Network]) -> bool:
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if any(ip.version == n.version and ip in n for n in allowed):
        return True
    return ip.is_global and not ip.is_multicast


def _refusal(host: str, ip: Address) -> str:
    return (
        f"the webhook address {host} is {ip}, a loopback, private or otherwise non-public "
        "address; the operator may allow its network with "
        "MEDIAPROOF_SERVICE_WEBHOOK_ALLOW_NETWORKS"
    )


def check_url(url: str, allowed: Sequence[Network]) -> None:
    """At save time: a well-formed http(s) URL whose host is not a refused address (a
    literal one, or one the name resolves to now; a name that does not resolve yet is
    checked at delivery)."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UsageError("the webhook URL must be an http:// or https:// address with a host")
    if parts.username or parts.password:
        raise UsageError("put no user name or password in the webhook URL; it has a secret")
    host = parts.hostname
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError as e:
        raise UsageError("the webhook URL has an invalid port") from e
    try:
        literal: Address | None = ipaddress.ip_address(host)
    except ValueError:
        literal = None
    if literal is not None:
        addresses = [literal]
    else:
        try:
            infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except (OSError, UnicodeError):
            return  # not resolvable from here now: delivery checks the address it reaches
        addresses = [ipaddress.ip_address(str(i[4][0]).split("%")[0]) for i in infos]
    for ip in addresses:
        if not address_allowed(ip, allowed):
            raise UsageError(_refusal(host, ip))


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
        raise WebhookTargetRefused(_refusal(address[0], peer))
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
