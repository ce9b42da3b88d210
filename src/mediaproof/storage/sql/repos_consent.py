"""Repository for likeness consent records (``consent_records``): new records, the
lookups by public id, grantee and enrolment, and the locked row a revocation marks.

Rows come back to the consent service only to be turned into ``Consent`` records."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from mediaproof.storage.sql.tables_screening import ConsentRow


class ConsentRepository:
    def __init__(self, session: Session) -> None:
        self.s = session

    def add(self, **fields: Any) -> ConsentRow:
        """A new record, added to the session (flushed with what is staged beside it)."""
        row = ConsentRow(**fields)
        self.s.add(row)
        return row

    def by_public_id(self, public_id: str, *, for_update: bool = False) -> ConsentRow | None:
        q = select(ConsentRow).where(ConsentRow.public_id == public_id)
        if for_update:
            q = q.with_for_update()
        return self.s.scalars(q).first()

    def find(
        self, *, grantee_id: int | None = None, enrolment_id: str | None = None
    ) -> list[ConsentRow]:
        """Records in the order they were made, optionally of one grantee or person."""
        q = select(ConsentRow).order_by(ConsentRow.id)
        if grantee_id is not None:
            q = q.where(ConsentRow.grantee_id == grantee_id)
        if enrolment_id is not None:
            q = q.where(ConsentRow.enrolment_id == enrolment_id)
        return list(self.s.scalars(q))

    def revoke(self, row: ConsentRow, *, at: dt.datetime, by: str) -> None:
        """Mark a record (locked with ``by_public_id(..., for_update=True)``) revoked."""
        row.revoked_at = at
        row.revoked_by = by
