"""Webhooks to generation tools: a tool registers one endpoint (URL and secret) and hears
when the operator's ban rule bans one of its users, when a ban is lifted, and when an
appeal of a block is decided.

They go through the case workflow's webhook outbox (``services.cases.deliveries``):
staged in the transaction of the change they tell of, signed like every other webhook
(``cases.webhooks.signed_headers``, the endpoint's secret), sent by the same background
worker with the same retries and dead letters, and only to public addresses unless the
operator allows networks (``MEDIAPROOF_SERVICE_WEBHOOK_ALLOW_NETWORKS``; checked at save
and again at delivery by ``webhook_http``). A tool's endpoint is stored as the platform
``tool:<username>`` and is used only for that tool (no ``*`` fallback). Bodies carry the
tool's own pseudonymous ``user_ref`` and ids, never a prompt or a person's name.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import TYPE_CHECKING, Any

from mediaproof.errors import NotFoundError, UsageError
from mediaproof.services.cases.core import _new_id
from mediaproof.services.cases.webhook_targets import check_url, parse_networks
from mediaproof.services.instance import Instance
from mediaproof.storage.sql.repos_case_outbox import CaseOutboxRepository

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

PREFIX = "tool:"
MIN_SECRET = 16


def platform_of(tool: str) -> str:
    return PREFIX + tool[:100]


def register(inst: Instance, tool: str, url: str, secret: str) -> dict[str, Any]:
    """Register (or replace) the tool's endpoint."""
    url = url.strip()
    allow = parse_networks(inst.settings.service.webhook_allow_networks)
    try:
        check_url(url, allow)  # and again at delivery, after DNS resolution
    except ValueError as e:  # urlsplit's own refusals (a broken IPv6 literal, ...)
        raise UsageError(f"the webhook URL is not a valid address: {e}") from e
    if len(secret) < MIN_SECRET:
        raise UsageError(f"use a webhook secret of at least {MIN_SECRET} characters")
    with inst.db.session() as s:
        CaseOutboxRepository(s).save_endpoint(platform_of(tool), url, secret)
    return {"url": url, "active": True}


def endpoint(inst: Instance, tool: str) -> dict[str, Any]:
    """The tool's endpoint, without its secret."""
    with inst.db.session() as s:
        row = CaseOutboxRepository(s).endpoint_exact(platform_of(tool))
        if row is None:
            raise NotFoundError("this tool has registered no webhook")
        return {"url": row.url, "active": row.active}


def enqueue(s: Session, tool: str, event: str, body: dict[str, Any], now: dt.datetime) -> bool:
    """Stage a webhook to the tool in the caller's transaction; False when the tool has
    registered no endpoint (nothing is sent, nothing is kept)."""
    outbox = CaseOutboxRepository(s)
    ep = outbox.endpoint_exact(platform_of(tool))
    if ep is None:
        return False
    full = {"type": event, "tool": tool, "created_at": now.isoformat(), **body}
    outbox.add_delivery(_new_id(), None, ep.id, event, json.dumps(full, sort_keys=True), now)
    return True
