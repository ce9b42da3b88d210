"""Repository for the transparency log's outbox (``log_outbox``): leaves staged in the
same transaction as the records they commit to, then landed in the log."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from mediaproof.storage.sql.tables import LogOutboxRow


class LogOutboxRepository:
    def __init__(self, session: Session) -> None:
        self.s = session

    def log_index_by_body(self, body: bytes) -> int | None:
        """Where the staged leaf with this canonical body landed (None while it waits)."""
        idx = self.s.scalars(
            select(LogOutboxRow.log_index).where(LogOutboxRow.body == body)
        ).first()
        return int(idx) if idx is not None else None
