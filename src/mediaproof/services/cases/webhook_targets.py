"""Where webhooks may go: public addresses only, unless the operator names networks.

A webhook URL is typed by an administrator, but it makes the service send requests (with
uploaders' appeal tokens) from inside the operator's network: loopback, private, link-
local and other non-global addresses are refused unless listed in
``MEDIAPROOF_SERVICE_WEBHOOK_ALLOW_NETWORKS``. The rule is checked when an endpoint is
saved (literal addresses and names that resolve) and again on every delivery against the
address the connection actually reached, so a name that later resolves elsewhere (DNS
rebinding) cannot slip through.

The rule lives here; the transport that applies it on every delivery is
``webhook_http``.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterable, Sequence
from urllib.parse import urlsplit

from mediaproof.errors import UsageError

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Address = ipaddress.IPv4Address | ipaddress.IPv6Address


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


def refusal_message(host: str, ip: Address) -> str:
    return (
        f"the webhook address {host} is {ip}, a loopback, private or otherwise non-public "
        "address; the operator may allow its network with "
        "MEDIAPROOF_SERVICE_WEBHOOK_ALLOW_NETWORKS"
    )


def check_url(url: str, allowed: Sequence[Network]) -> None:
    """At save time: a well-formed http(s) URL whose host is not a refused address (a
    literal one, or one the name resolves to now; a name that does not resolve yet is
    checked at delivery)."""
    try:
        parts = urlsplit(url)
        hostname = parts.hostname
    except ValueError as e:  # urlsplit's own refusals: a broken IPv6 literal, ...
        raise UsageError(f"the webhook URL is not a valid address: {e}") from e
    if parts.scheme not in ("http", "https") or not hostname:
        raise UsageError("the webhook URL must be an http:// or https:// address with a host")
    if parts.username or parts.password:
        raise UsageError("put no user name or password in the webhook URL; it has a secret")
    host = hostname
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
            raise UsageError(refusal_message(host, ip))
