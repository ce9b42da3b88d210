"""What leaves the instance after a decision: signed webhooks to the platform hosting the
content, and e-mail to reporters, each from an outbox in the database.

Both outboxes are filled in the transaction of the change they tell of and emptied by
``deliver_due`` / ``send_mail_due`` (a timer, the service's background worker, or
``mediaproof cases deliver``). Each send is claimed first, so two senders at once never
send the same message twice, and a crash loses nothing. The webhook HTTP call is not
made here: :class:`WebhookOutbox` is given a
:class:`~mediaproof.services.cases.results.WebhookSender`.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from mediaproof.cases import webhooks
from mediaproof.errors import NotFoundError, UsageError
from mediaproof.observability.context import HEADER, current_request_id, request_id_scope
from mediaproof.services.cases.core import CaseContext, _new_id, _utc
from mediaproof.services.cases.results import DeliveryStats, WebhookSender
from mediaproof.services.cases.webhook_targets import Network, check_url
from mediaproof.storage.sql.repos_case_outbox import CaseOutboxRepository
from mediaproof.storage.sql.repos_cases import aware

if TYPE_CHECKING:
    from mediaproof.storage.sql.tables_cases import ActionRow, CaseRow

_log = logging.getLogger(__name__)


class WebhookOutbox:
    """Webhook endpoints, and the deliveries of actions to them."""

    def __init__(
        self, ctx: CaseContext, sender: WebhookSender, allow: Sequence[Network] = ()
    ) -> None:
        self.ctx = ctx
        self.sender = sender
        # public addresses only, unless the operator allows networks (SSRF)
        self.allow = tuple(allow)

    def register_endpoint(self, platform: str, url: str, secret: str) -> None:
        if not url.startswith(("http://", "https://")):
            raise UsageError("the webhook URL must start with http:// or https://")
        check_url(url, self.allow)  # and again at delivery, after DNS resolution
        if len(secret) < 16:
            raise UsageError("use a webhook secret of at least 16 characters")
        with self.ctx.db.session() as s:
            CaseOutboxRepository(s).save_endpoint(platform, url, secret)

    def endpoints(self) -> list[dict[str, Any]]:
        """Registered webhook endpoints, without their secrets."""
        with self.ctx.db.session() as s:
            return [
                {"platform": r.platform, "url": r.url, "active": r.active}
                for r in CaseOutboxRepository(s).endpoints()
            ]

    def enqueue(
        self,
        outbox: CaseOutboxRepository,
        case: CaseRow,
        action: ActionRow,
        now: dt.datetime,
        *,
        appeal_token: str | None,
        appeal_url: str | None = None,
    ) -> bool:
        """Queue the action for the platform's endpoint, in the caller's transaction.
        True when the uploader's appeal token travels with it (to the platform)."""
        host = urlsplit(action.content_url).hostname if action.content_url else None
        endpoint = outbox.endpoint_for(host or case.platform)
        if endpoint is None:
            return False
        body: dict[str, Any] = {
            "type": f"action.{action.action}",
            "action_id": action.public_id,
            "case": case.public_id,
            "case_number": case.number,
            "action": action.action,
            "media_sha256": action.media_sha256,
            "content_url": action.content_url,
            "policy_version": self.ctx.policy.version,
            "created_at": now.isoformat(),
        }
        if appeal_token:
            body["uploader_appeal_token"] = appeal_token  # pass on to the uploader
            if appeal_url:
                body["uploader_appeal_url"] = appeal_url  # the page to appeal on
        outbox.add_delivery(
            _new_id(),
            action.id,
            endpoint.id,
            f"action.{action.action}",
            json.dumps(body, sort_keys=True),
            now,
            request_id=current_request_id(),  # sent as X-Request-ID, logged with the send
        )
        return appeal_token is not None

    def deliver_due(self, now: dt.datetime, limit: int = 100) -> DeliveryStats:
        """Send every due webhook once. Run it from a timer; it is safe to run twice at once
        (each delivery is claimed first) and after a crash (the outbox is in the database)."""
        now = _utc(now)
        self.ctx.flush_events()  # the same timer retries log hand-overs that failed earlier
        stats = DeliveryStats()
        lease = now + dt.timedelta(seconds=max(60.0, 3 * self.ctx.webhook_timeout_s))
        with self.ctx.db.session() as s:
            due = [r.id for r in CaseOutboxRepository(s).due(now, limit)]
        for row_id in due:
            with self.ctx.db.session() as s:
                outbox = CaseOutboxRepository(s)
                if not outbox.claim(row_id, now, lease):
                    continue
                target = outbox.delivery_target(row_id)
                if target is None:
                    continue
                row, endpoint = target
                url, secret = endpoint.url, endpoint.secret
                event, delivery, body = row.event, row.delivery_id, row.body.encode()
                rid = row.request_id
            error: str | None = None
            with request_id_scope(rid):  # the send's log lines carry the causing request's id
                try:
                    headers = webhooks.signed_headers(secret, event, delivery, body, now)
                    if rid is not None:  # not signed: a correlation aid, not a claim
                        headers = {**headers, HEADER: rid}
                    code = self.sender(url, headers, body, self.ctx.webhook_timeout_s)
                    if not 200 <= code < 300:
                        error = f"HTTP {code}"
                except OSError as e:
                    error = f"{type(e).__name__}: {e}"
            with self.ctx.db.session() as s:
                done = CaseOutboxRepository(s).delivery(row_id)
                assert done is not None
                done.attempts += 1
                if error is None:
                    done.status, done.delivered_at, done.last_error = "delivered", now, None
                    stats.delivered += 1
                    continue
                done.last_error = error[:2000]
                stats.errors.append(f"{delivery}: {error}")
                nxt = self.ctx.retry.after_failure(done.attempts, now)
                if nxt is None:
                    done.status = "dead"
                    stats.dead += 1
                else:
                    done.next_attempt_at = nxt
                    stats.retried += 1
        return stats

    def dead_letters(self) -> list[dict[str, Any]]:
        with self.ctx.db.session() as s:
            return [
                {
                    "delivery_id": r.delivery_id,
                    "event": r.event,
                    "attempts": r.attempts,
                    "last_error": r.last_error,
                    "created_at": aware(r.created_at).isoformat(),
                }
                for r in CaseOutboxRepository(s).dead_letters()
            ]

    def retry_dead(self, delivery_id: str, now: dt.datetime) -> None:
        now = _utc(now)
        with self.ctx.db.session() as s:
            for r in CaseOutboxRepository(s).dead_letters():
                if r.delivery_id == delivery_id:
                    r.status, r.attempts, r.next_attempt_at = "pending", 0, now
                    return
        raise NotFoundError(f"no dead-letter delivery {delivery_id}")


class MailOutbox:
    """Reporters' e-mail, sent through the operator's mailer (none: nothing is sent)."""

    def __init__(self, ctx: CaseContext) -> None:
        self.ctx = ctx

    def send_mail_due(self, now: dt.datetime, limit: int = 50) -> DeliveryStats:
        """Send due reporter e-mail once each. Safe to run twice at once (each message is
        claimed first) and after a crash (the outbox is in the database). A message the
        server accepted, or that failed ``retry.max_attempts`` times, is deleted: the
        address is not kept longer than needed, and the status page says the same."""
        now = _utc(now)
        stats = DeliveryStats()
        mailer = self.ctx.mailer
        if mailer is None:
            return stats
        lease = now + dt.timedelta(seconds=max(60.0, 3 * self.ctx.webhook_timeout_s))
        with self.ctx.db.session() as s:
            due = CaseOutboxRepository(s).mail_due(now, limit)
        for row_id in due:
            with self.ctx.db.session() as s:
                outbox = CaseOutboxRepository(s)
                if not outbox.claim_mail(row_id, now, lease):
                    continue  # another sender took it
                row = outbox.mail(row_id)
                if row is None:
                    continue
                to, subject, text = row.recipient, row.subject, row.body
            error: str | None = None
            try:
                mailer(to, subject, text)
            except Exception as e:  # the address stays out of the log and the stats
                error = getattr(e, "message", None) or type(e).__name__
            with self.ctx.db.session() as s:
                outbox = CaseOutboxRepository(s)
                row = outbox.mail(row_id)
                if row is None:
                    continue
                row.attempts += 1
                if error is None:
                    outbox.delete(row)
                    stats.delivered += 1
                    continue
                stats.errors.append(f"mail {row_id}: {error}")
                nxt = self.ctx.retry.after_failure(row.attempts, now)
                if nxt is None:
                    outbox.delete(row)
                    stats.dead += 1
                    _log.warning(
                        "case e-mail %d given up after %d attempts: %s", row_id, row.attempts, error
                    )
                else:
                    row.next_attempt_at = nxt
                    stats.retried += 1
                    _log.warning("case e-mail %d not sent, will retry: %s", row_id, error)
            # a server that failed once is likely down for the rest: end the round, so a
            # round (and a stop waiting for it) costs at most one timeout
            break
        return stats

    def mail_pending(self) -> int:
        """Messages in the outbox (queued or waiting for a retry)."""
        with self.ctx.db.session() as s:
            return CaseOutboxRepository(s).mail_pending()
