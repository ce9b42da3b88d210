"""The likeness store on the instance's SQL database (SQLite or PostgreSQL).

Same contract and same sealing as :class:`mediaproof.likeness.store.SqliteLikenessStore`:
every row about a person is AES-GCM sealed under the instance key with its row id as
associated data, so the database (and its backups) holds only ids, times, media digests
and ciphertext. Deleting an enrolment deletes its rows in one transaction; on SQLite the
connection turns ``secure_delete`` on first and checkpoints the WAL afterwards, so the
freed pages are overwritten rather than left in the file.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import delete, select, text, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from mediaproof.likeness.crypto import SealingKey
from mediaproof.likeness.errors import EnrolmentNotFound
from mediaproof.likeness.models import Enrolment, Modality, ReferenceVector, _dec, _enc
from mediaproof.likeness.store import Alert
from mediaproof.storage.sql.engine import Database
from mediaproof.storage.sql.tables_likeness import (
    LikenessAlertRow,
    LikenessEnrolmentRow,
    LikenessReferenceRow,
    LikenessReportRow,
    LikenessReportSubjectRow,
    LikenessSampleRow,
    LikenessSeenRow,
)


class SqlLikenessStore:
    def __init__(self, db: Database, key: SealingKey) -> None:
        self.db = db
        self._key = key
        self._sqlite = db.engine.dialect.name == "sqlite"

    def close(self) -> None:
        """The database belongs to the instance, which closes it."""

    def _seal(self, obj: Any, aad: str) -> bytes:
        return self._key.seal(json.dumps(obj, separators=(",", ":")).encode(), aad=aad)

    def _open(self, blob: bytes, aad: str) -> Any:
        return json.loads(self._key.open(blob, aad=aad))

    def _insert_ignore(self, s: Session, table: Any, **values: Any) -> None:
        ins = sqlite_insert if self._sqlite else pg_insert
        s.execute(ins(table).values(**values).on_conflict_do_nothing())

    # --- enrolments -------------------------------------------------------------

    def add_enrolment(self, enrolment: Enrolment, raw_samples: dict[str, bytes]) -> None:
        with self.db.session() as s:
            s.add(
                LikenessEnrolmentRow(
                    id=enrolment.id,
                    created_at=enrolment.created_at,
                    payload=self._seal(enrolment.to_json(), f"enrolment:{enrolment.id}"),
                )
            )
            s.flush()  # the samples reference it
            for sha, data in raw_samples.items():
                aad = f"sample:{enrolment.id}:{sha}"
                s.add(
                    LikenessSampleRow(
                        enrolment_id=enrolment.id,
                        sha256=sha,
                        payload=self._key.seal(data, aad=aad),
                    )
                )

    def update_enrolment(self, enrolment: Enrolment) -> None:
        with self.db.session() as s:
            n = s.execute(
                update(LikenessEnrolmentRow)
                .where(LikenessEnrolmentRow.id == enrolment.id)
                .values(payload=self._seal(enrolment.to_json(), f"enrolment:{enrolment.id}"))
            ).rowcount  # type: ignore[attr-defined]
            if n == 0:
                raise EnrolmentNotFound(f"no enrolment with id {enrolment.id}")

    def get_enrolment(self, enrolment_id: str) -> Enrolment:
        with self.db.session() as s:
            payload = s.scalar(
                select(LikenessEnrolmentRow.payload).where(LikenessEnrolmentRow.id == enrolment_id)
            )
        if payload is None:
            raise EnrolmentNotFound(
                f"no enrolment with id {enrolment_id}", hint="see `mediaproof likeness list`"
            )
        return Enrolment.from_json(self._open(payload, f"enrolment:{enrolment_id}"))

    def list_enrolments(self) -> list[Enrolment]:
        with self.db.session() as s:
            rows = s.execute(
                select(LikenessEnrolmentRow.id, LikenessEnrolmentRow.payload).order_by(
                    LikenessEnrolmentRow.created_at, LikenessEnrolmentRow.id
                )
            ).all()
        return [Enrolment.from_json(self._open(p, f"enrolment:{i}")) for i, p in rows]

    def kept_samples(self, enrolment_id: str) -> dict[str, bytes]:
        with self.db.session() as s:
            rows = s.execute(
                select(LikenessSampleRow.sha256, LikenessSampleRow.payload).where(
                    LikenessSampleRow.enrolment_id == enrolment_id
                )
            ).all()
        return {sha: self._key.open(p, aad=f"sample:{enrolment_id}:{sha}") for sha, p in rows}

    def delete_enrolment(self, enrolment_id: str) -> str:
        """Delete the enrolment and everything derived from it; returns its digest."""
        digest = self.get_enrolment(enrolment_id).digest()
        with self.db.session() as s:
            if self._sqlite:
                # overwrite freed pages (per connection; harmless for later users of it)
                s.execute(text("PRAGMA secure_delete = ON"))
            reports = select(LikenessReportSubjectRow.report_id).where(
                LikenessReportSubjectRow.enrolment_id == enrolment_id
            )
            report_ids = list(s.scalars(reports))
            s.execute(
                delete(LikenessSampleRow).where(LikenessSampleRow.enrolment_id == enrolment_id)
            )
            s.execute(delete(LikenessAlertRow).where(LikenessAlertRow.enrolment_id == enrolment_id))
            # a report naming this person is theirs too: drop it whole, for everyone
            s.execute(delete(LikenessReportRow).where(LikenessReportRow.id.in_(report_ids)))
            s.execute(
                delete(LikenessReportSubjectRow).where(
                    LikenessReportSubjectRow.report_id.in_(report_ids)
                )
            )
            s.execute(delete(LikenessEnrolmentRow).where(LikenessEnrolmentRow.id == enrolment_id))
        if self._sqlite:
            with self.db.engine.connect() as c:
                # move the overwritten pages into the file and empty the WAL
                c.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        return digest

    # --- impostor reference -----------------------------------------------------------

    def replace_reference(self, modality: Modality, vectors: list[ReferenceVector]) -> None:
        with self.db.session() as s:
            s.execute(
                delete(LikenessReferenceRow).where(LikenessReferenceRow.modality == modality.value)
            )
            for v in vectors:
                payload = {"label": v.label, "vector": _enc(v.vector)}
                s.add(
                    LikenessReferenceRow(
                        modality=modality.value,
                        payload=self._seal(payload, f"reference:{modality.value}"),
                    )
                )

    def reference(self, modality: Modality) -> list[ReferenceVector]:
        with self.db.session() as s:
            rows = s.scalars(
                select(LikenessReferenceRow.payload)
                .where(LikenessReferenceRow.modality == modality.value)
                .order_by(LikenessReferenceRow.id)
            ).all()
        out = []
        for p in rows:
            d = self._open(p, f"reference:{modality.value}")
            out.append(ReferenceVector(modality, d["label"], _dec(d["vector"])))
        return out

    # --- reports, alerts, seen media ----------------------------------------------------

    def save_report(
        self, report_id: str, created_at: str, report: dict[str, Any], enrolment_ids: list[str]
    ) -> None:
        with self.db.session() as s:
            s.merge(
                LikenessReportRow(
                    id=report_id,
                    created_at=created_at,
                    payload=self._seal(report, f"report:{report_id}"),
                )
            )
            for eid in enrolment_ids:
                self._insert_ignore(
                    s, LikenessReportSubjectRow, report_id=report_id, enrolment_id=eid
                )

    def get_report(self, report_id: str) -> dict[str, Any]:
        with self.db.session() as s:
            payload = s.scalar(
                select(LikenessReportRow.payload).where(LikenessReportRow.id == report_id)
            )
        if payload is None:
            raise EnrolmentNotFound(f"no likeness report with id {report_id}")
        result: dict[str, Any] = self._open(payload, f"report:{report_id}")
        return result

    def add_alert(self, alert: Alert) -> None:
        with self.db.session() as s:
            s.add(
                LikenessAlertRow(
                    id=alert.id,
                    created_at=alert.created_at,
                    enrolment_id=alert.enrolment_id,
                    media_sha256=alert.media_sha256,
                    payload=self._seal(alert.to_json(), f"alert:{alert.id}"),
                )
            )

    def update_alert(self, alert: Alert) -> None:
        with self.db.session() as s:
            s.execute(
                update(LikenessAlertRow)
                .where(LikenessAlertRow.id == alert.id)
                .values(payload=self._seal(alert.to_json(), f"alert:{alert.id}"))
            )

    def list_alerts(self, enrolment_id: str | None = None) -> list[Alert]:
        q = select(LikenessAlertRow.id, LikenessAlertRow.payload)
        if enrolment_id is not None:
            q = q.where(LikenessAlertRow.enrolment_id == enrolment_id)
        with self.db.session() as s:
            rows = s.execute(q.order_by(LikenessAlertRow.created_at, LikenessAlertRow.id)).all()
        return [Alert.from_json(self._open(p, f"alert:{i}")) for i, p in rows]

    def seen(self, media_sha256: str) -> bool:
        with self.db.session() as s:
            hit = s.scalar(
                select(LikenessSeenRow.sha256).where(LikenessSeenRow.sha256 == media_sha256)
            )
        return hit is not None

    def mark_seen(self, media_sha256: str, at: str) -> None:
        with self.db.session() as s:
            self._insert_ignore(s, LikenessSeenRow, sha256=media_sha256, at=at)
