"""Repository for the case workflow's outboxes: log events, reporters' e-mail, and the
webhook endpoints and deliveries.

Each outbox row is written in the transaction of the change it tells of, then claimed by
one sender at a time (``claim*`` are guarded UPDATEs: a second sender's claim finds
nothing), so a crash or a second process never loses or doubles a message.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from mediaproof.storage.sql.tables_cases import EndpointRow, EventRow, MailOutboxRow, OutboxRow


class CaseOutboxRepository:
    def __init__(self, session: Session) -> None:
        self.s = session

    # --- log events ----------------------------------------------------------------

    def add_event(self, event_id: str, body: str, created_at: dt.datetime) -> None:
        self.s.add(EventRow(event_id=event_id, body=body, created_at=created_at))

    def unsent_event_ids(self) -> list[int]:
        return list(
            self.s.scalars(
                select(EventRow.id).where(EventRow.sent_at.is_(None)).order_by(EventRow.id)
            )
        )

    def claim_event(self, row_id: int, now: dt.datetime) -> str | None:
        res = self.s.execute(
            update(EventRow)
            .where(EventRow.id == row_id, EventRow.sent_at.is_(None))
            .values(sent_at=now)
            .execution_options(synchronize_session=False)
        )
        if res.rowcount != 1:  # type: ignore[attr-defined]
            return None
        return self.s.scalar(select(EventRow.body).where(EventRow.id == row_id))

    def unclaim_event(self, row_id: int) -> None:
        self.s.execute(
            update(EventRow)
            .where(EventRow.id == row_id)
            .values(sent_at=None)
            .execution_options(synchronize_session=False)
        )

    # --- reporters' e-mail ----------------------------------------------------------

    def add_mail(self, recipient: str, subject: str, body: str, at: dt.datetime) -> None:
        """A message due at ``at`` (also its place in the outbox's order)."""
        self.s.add(
            MailOutboxRow(
                recipient=recipient,
                subject=subject[:300],
                body=body,
                attempts=0,
                next_attempt_at=at,
                created_at=at,
            )
        )

    def mail_due(self, now: dt.datetime, limit: int) -> list[int]:
        return list(
            self.s.scalars(
                select(MailOutboxRow.id)
                .where(MailOutboxRow.next_attempt_at <= now)
                .order_by(MailOutboxRow.next_attempt_at, MailOutboxRow.id)
                .limit(limit)
            )
        )

    def claim_mail(self, row_id: int, now: dt.datetime, lease_until: dt.datetime) -> bool:
        """Take a due message for this sender; another sender's claim makes this False."""
        res = self.s.execute(
            update(MailOutboxRow)
            .where(MailOutboxRow.id == row_id, MailOutboxRow.next_attempt_at <= now)
            .values(next_attempt_at=lease_until)
            .execution_options(synchronize_session=False)
        )
        return res.rowcount == 1  # type: ignore[attr-defined,no-any-return]

    def mail(self, row_id: int) -> MailOutboxRow | None:
        return self.s.get(MailOutboxRow, row_id)

    def mail_pending(self) -> int:
        return self.s.scalar(select(func.count()).select_from(MailOutboxRow)) or 0

    def delete(self, row: MailOutboxRow) -> None:
        """Sent or given up: the address is not kept longer than needed."""
        self.s.delete(row)

    # --- webhooks ------------------------------------------------------------------

    def endpoint_for(self, platform: str | None) -> EndpointRow | None:
        names = [platform, "*"] if platform else ["*"]
        rows = {
            r.platform: r
            for r in self.s.scalars(
                select(EndpointRow).where(EndpointRow.platform.in_(names), EndpointRow.active)
            )
        }
        return rows.get(platform or "") or rows.get("*")

    def endpoint_exact(self, platform: str) -> EndpointRow | None:
        """The active endpoint registered under exactly this name (no "*" fallback: a
        generation tool's webhooks go to the tool only)."""
        return self.s.scalars(
            select(EndpointRow).where(EndpointRow.platform == platform, EndpointRow.active)
        ).first()

    def save_endpoint(self, platform: str, url: str, secret: str) -> None:
        """Register the platform's endpoint, or replace (and re-activate) it."""
        existing = self.endpoint_for(platform)
        if existing is not None and existing.platform == platform:
            existing.url, existing.secret, existing.active = url, secret, True
        else:
            self.s.add(EndpointRow(platform=platform, url=url, secret=secret, active=True))
            self.s.flush()

    def endpoints(self) -> list[EndpointRow]:
        return list(self.s.scalars(select(EndpointRow).order_by(EndpointRow.platform)))

    def add_delivery(
        self,
        delivery_id: str,
        action_id: int | None,
        endpoint_id: int,
        event: str,
        body: str,
        now: dt.datetime,
        request_id: str | None = None,
    ) -> None:
        """A webhook delivery, due at once (``action_id`` None: it tells of no action)."""
        self.s.add(
            OutboxRow(
                delivery_id=delivery_id,
                action_id=action_id,
                endpoint_id=endpoint_id,
                event=event,
                body=body,
                status="pending",
                attempts=0,
                next_attempt_at=now,
                created_at=now,
                request_id=request_id,
            )
        )
        self.s.flush()

    def due(self, now: dt.datetime, limit: int) -> list[OutboxRow]:
        return list(
            self.s.scalars(
                select(OutboxRow)
                .where(OutboxRow.status == "pending", OutboxRow.next_attempt_at <= now)
                .order_by(OutboxRow.next_attempt_at, OutboxRow.id)
                .limit(limit)
            )
        )

    def claim(self, row_id: int, now: dt.datetime, lease_until: dt.datetime) -> bool:
        """Take a due delivery for this worker; another worker's claim makes this False."""
        res = self.s.execute(
            update(OutboxRow)
            .where(
                OutboxRow.id == row_id,
                OutboxRow.status == "pending",
                OutboxRow.next_attempt_at <= now,
            )
            .values(next_attempt_at=lease_until)
            .execution_options(synchronize_session=False)
        )
        return res.rowcount == 1  # type: ignore[attr-defined,no-any-return]

    def delivery(self, row_id: int) -> OutboxRow | None:
        return self.s.get(OutboxRow, row_id)

    def delivery_target(self, row_id: int) -> tuple[OutboxRow, EndpointRow] | None:
        """A delivery with the endpoint it goes to; None when either is gone."""
        row = self.s.get(OutboxRow, row_id)
        endpoint = self.s.get(EndpointRow, row.endpoint_id) if row else None
        if row is None or endpoint is None:
            return None
        return row, endpoint

    def dead_letters(self) -> list[OutboxRow]:
        return list(
            self.s.scalars(
                select(OutboxRow).where(OutboxRow.status == "dead").order_by(OutboxRow.id)
            )
        )
