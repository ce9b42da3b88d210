"""The likeness store on the instance's SQL database (SQLite or PostgreSQL).

Same contract as :class:`mediaproof.likeness.store.SqliteLikenessStore`, with
crypto-shredding: every row about a person (the enrolment, its kept samples, its alerts,
reports naming it) is AES-GCM sealed under that enrolment's own data key
(:class:`~mediaproof.likeness.crypto.Keyring`, files outside the database) with its row id
as associated data. A report naming several people is sealed under a key derived from all
of theirs, so deleting any one of them shreds it. Deleting an enrolment destroys its key
file first, then deletes its rows: every copy of those rows anywhere (PostgreSQL dead
tuples, WAL archives, database backups) is unreadable from then on. On SQLite the
connection also turns ``secure_delete`` on and checkpoints the WAL afterwards.

Sealed formats (first byte): 0x01 the instance key (the impostor reference, and rows
written before per-enrolment keys, which :meth:`SqlLikenessStore.reseal_legacy` moves
over); 0x02 an enrolment's data key; 0x03 a report under the keys of the people it names
(``0x03 | u16 length | JSON list of enrolment ids | nonce | ciphertext``).
"""

from __future__ import annotations

import json
import time
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from sqlalchemy import delete, func, select, text, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from mediaproof.likeness.crypto import Keyring, SealingKey
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

LEGACY = b"\x01"  # sealed under the instance key
PERSON = b"\x02"  # sealed under one enrolment's data key
REPORT = b"\x03"  # sealed under the keys of everyone a report names
ORPHAN_KEY_GRACE_S = 3600.0  # a key with no enrolment row younger than this may be in use


class Shredded(Exception):
    """The data key a row was sealed under is gone: the row counts as deleted."""


def _report_key(raw_keys: list[bytes]) -> SealingKey:
    kdf = HKDF(hashes.SHA256(), 32, salt=None, info=b"mediaproof likeness report")
    return SealingKey(kdf.derive(b"".join(raw_keys)), version=REPORT)


class SqlLikenessStore:
    def __init__(self, db: Database, keyring: Keyring) -> None:
        self.db = db
        self.keys = keyring
        self._key = keyring.instance  # what is tied to nobody: the impostor reference
        self._sqlite = db.engine.dialect.name == "sqlite"

    def close(self) -> None:
        """The database belongs to the instance, which closes it."""

    def _seal(self, obj: Any, aad: str, key: SealingKey) -> bytes:
        return key.seal(json.dumps(obj, separators=(",", ":")).encode(), aad=aad)

    def _open_bytes(
        self,
        blob: bytes,
        aad: str,
        enrolment_id: str,
        cache: dict[str, SealingKey | None] | None = None,
    ) -> bytes:
        """Open a row about one person. ``cache`` holds the keys read during one call
        (a listing), never longer: a deletion elsewhere must take effect at once."""
        if blob[:1] == LEGACY:
            if self.keys.shredded(enrolment_id):
                raise Shredded(enrolment_id)  # not re-sealed yet, but being deleted
            return self._key.open(blob, aad=aad)
        if cache is not None and enrolment_id in cache:
            key = cache[enrolment_id]
        else:
            key = self.keys.get(enrolment_id)
            if cache is not None:
                cache[enrolment_id] = key
        if key is None:
            raise Shredded(enrolment_id)
        return key.open(blob, aad=aad)

    def _open(
        self,
        blob: bytes,
        aad: str,
        enrolment_id: str,
        cache: dict[str, SealingKey | None] | None = None,
    ) -> Any:
        return json.loads(self._open_bytes(blob, aad, enrolment_id, cache))

    def _insert_ignore(self, s: Session, table: Any, **values: Any) -> None:
        ins = sqlite_insert if self._sqlite else pg_insert
        s.execute(ins(table).values(**values).on_conflict_do_nothing())

    def _person_key(self, s: Session, enrolment_id: str) -> SealingKey | None:
        """The key to write a row about this person under; None when they are not
        enrolled (never were, or were deleted: nothing about them may be written)."""
        key = self.keys.get(enrolment_id)
        if key is not None:
            return key
        payload = s.scalar(
            select(LikenessEnrolmentRow.payload).where(LikenessEnrolmentRow.id == enrolment_id)
        )
        if payload is not None and payload[:1] == LEGACY and not self.keys.shredded(enrolment_id):
            return self.keys.create(enrolment_id)  # not yet resealed
        return None

    # --- enrolments -------------------------------------------------------------

    def add_enrolment(self, enrolment: Enrolment, raw_samples: dict[str, bytes]) -> None:
        key = self.keys.create(enrolment.id)  # before any row: no row without its key
        with self.db.session() as s:
            s.add(
                LikenessEnrolmentRow(
                    id=enrolment.id,
                    created_at=enrolment.created_at,
                    payload=self._seal(enrolment.to_json(), f"enrolment:{enrolment.id}", key),
                )
            )
            s.flush()  # the samples reference it
            for sha, data in raw_samples.items():
                aad = f"sample:{enrolment.id}:{sha}"
                s.add(
                    LikenessSampleRow(
                        enrolment_id=enrolment.id,
                        sha256=sha,
                        payload=key.seal(data, aad=aad),
                    )
                )

    def update_enrolment(self, enrolment: Enrolment) -> None:
        with self.db.session() as s:
            key = self._person_key(s, enrolment.id)
            n = (
                0
                if key is None
                else s.execute(
                    update(LikenessEnrolmentRow)
                    .where(LikenessEnrolmentRow.id == enrolment.id)
                    .values(
                        payload=self._seal(enrolment.to_json(), f"enrolment:{enrolment.id}", key)
                    )
                ).rowcount  # type: ignore[attr-defined]
            )
            if n == 0:
                raise EnrolmentNotFound(f"no enrolment with id {enrolment.id}")

    def get_enrolment(self, enrolment_id: str) -> Enrolment:
        with self.db.session() as s:
            payload = s.scalar(
                select(LikenessEnrolmentRow.payload).where(LikenessEnrolmentRow.id == enrolment_id)
            )
        try:
            if payload is not None:
                return Enrolment.from_json(
                    self._open(payload, f"enrolment:{enrolment_id}", enrolment_id)
                )
        except Shredded:
            pass  # its key was destroyed: deleted, the rows just not swept yet
        raise EnrolmentNotFound(
            f"no enrolment with id {enrolment_id}", hint="see `mediaproof likeness list`"
        )

    def list_enrolments(self) -> list[Enrolment]:
        with self.db.session() as s:
            rows = s.execute(
                select(LikenessEnrolmentRow.id, LikenessEnrolmentRow.payload).order_by(
                    LikenessEnrolmentRow.created_at, LikenessEnrolmentRow.id
                )
            ).all()
        out = []
        for i, p in rows:
            try:
                out.append(Enrolment.from_json(self._open(p, f"enrolment:{i}", i)))
            except Shredded:
                continue
        return out

    def kept_samples(self, enrolment_id: str) -> dict[str, bytes]:
        with self.db.session() as s:
            rows = s.execute(
                select(LikenessSampleRow.sha256, LikenessSampleRow.payload).where(
                    LikenessSampleRow.enrolment_id == enrolment_id
                )
            ).all()
        cache: dict[str, SealingKey | None] = {}
        try:
            return {
                sha: self._open_bytes(p, f"sample:{enrolment_id}:{sha}", enrolment_id, cache)
                for sha, p in rows
            }
        except Shredded:
            return {}

    def delete_enrolment(self, enrolment_id: str) -> str:
        """Shred the enrolment's data key, then delete its rows and everything derived
        from it; returns its digest. A crash between the two leaves a tombstone that
        :meth:`recover` finishes; until then the rows cannot be opened and read as gone."""
        digest = self.get_enrolment(enrolment_id).digest()
        self.keys.shred(enrolment_id, digest)
        self._delete_rows(enrolment_id)
        self.keys.clear_tombstone(enrolment_id)
        return digest

    def _delete_rows(self, enrolment_id: str) -> None:
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
            self._delete_reports(s, report_ids)
            s.execute(delete(LikenessEnrolmentRow).where(LikenessEnrolmentRow.id == enrolment_id))
        if self._sqlite:
            with self.db.engine.connect() as c:
                # move the overwritten pages into the file and empty the WAL
                c.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")

    @staticmethod
    def _delete_reports(s: Session, report_ids: list[str]) -> None:
        s.execute(delete(LikenessReportRow).where(LikenessReportRow.id.in_(report_ids)))
        s.execute(
            delete(LikenessReportSubjectRow).where(
                LikenessReportSubjectRow.report_id.in_(report_ids)
            )
        )

    # --- crash recovery and the move off the instance key --------------------------------

    def recover(self, *, orphan_key_grace_s: float = ORPHAN_KEY_GRACE_S) -> dict[str, str]:
        """Finish deletions cut short and sweep what no one can read any more. Returns
        the enrolments whose deletion was finished here (id -> digest).

        - a tombstone (key shredded, rows maybe not deleted): delete the rows, then the
          tombstone;
        - alerts, samples and reports sealed under a key that is gone, whose enrolment row
          is gone too (a writer raced a deletion): delete them;
        - a key file with no enrolment row, older than ``orphan_key_grace_s`` (an
          enrolment whose rows were deleted before its key, or one never committed):
          shred it.

        An enrolment row whose key is missing *without* a tombstone is left alone: that is
        a lost keys folder, not a deletion, and restoring the folder brings it back."""
        finished = self.keys.tombstones()
        for eid in finished:
            self.keys.shred(eid, finished[eid])  # a key re-created meanwhile goes too
            self._delete_rows(eid)
            self.keys.clear_tombstone(eid)
        keyed = self.keys.key_ids()
        with self.db.session() as s:
            enrolled = set(s.scalars(select(LikenessEnrolmentRow.id)))

            def gone(eid: str) -> bool:
                return eid not in keyed and eid not in enrolled

            for table in (LikenessAlertRow, LikenessSampleRow):
                rows = s.execute(
                    select(table.enrolment_id)
                    .where(func.substr(table.payload, 1, 1) == PERSON)
                    .distinct()
                ).all()
                dead = [e for (e,) in rows if gone(e)]
                if dead:
                    s.execute(delete(table).where(table.enrolment_id.in_(dead)))
            reports = s.execute(
                select(LikenessReportRow.id, LikenessReportRow.payload).where(
                    func.substr(LikenessReportRow.payload, 1, 1) == REPORT
                )
            ).all()
            dead_reports = [r for r, p in reports if any(gone(e) for e in _report_ids(p))]
            if dead_reports:
                self._delete_reports(s, dead_reports)
        now = time.time()
        for eid, mtime in keyed.items():
            if eid not in enrolled and now - mtime > orphan_key_grace_s:
                self.keys.shred(eid, "")
                self.keys.clear_tombstone(eid)
        return finished

    def has_legacy_rows(self) -> bool:
        """Whether any row about a person is still sealed under the instance key (a
        report naming nobody stays there and does not count)."""
        named = select(LikenessReportSubjectRow.report_id)
        with self.db.session() as s:
            for table, extra in (
                (LikenessEnrolmentRow, None),
                (LikenessSampleRow, None),
                (LikenessAlertRow, None),
                (LikenessReportRow, LikenessReportRow.id.in_(named)),
            ):
                q = select(func.count()).select_from(table)
                q = q.where(func.substr(table.payload, 1, 1) == LEGACY)
                if extra is not None:
                    q = q.where(extra)
                if s.scalar(q):
                    return True
        return False

    def reseal_legacy(self) -> int:
        """Re-seal rows written under the instance key (format 0x01) under per-enrolment
        keys: each enrolment with its samples and alerts in one transaction, then the
        reports. Each row is rewritten only if it still holds what was read (a
        concurrent writer wins). Idempotent; returns how many rows were re-sealed."""
        n = 0
        with self.db.session() as s:
            legacy_ids = list(
                s.scalars(
                    select(LikenessEnrolmentRow.id).where(
                        func.substr(LikenessEnrolmentRow.payload, 1, 1) == LEGACY
                    )
                )
            )
            alert_ids = set(
                s.scalars(
                    select(LikenessAlertRow.enrolment_id).where(
                        func.substr(LikenessAlertRow.payload, 1, 1) == LEGACY
                    )
                )
            )
        for eid in sorted(set(legacy_ids) | alert_ids):
            with self.db.session() as s:
                key = self._person_key(s, eid)
                if key is None:
                    # alerts about no enrolled person: nobody can ask for them
                    s.execute(delete(LikenessAlertRow).where(LikenessAlertRow.enrolment_id == eid))
                    continue
                n += self._reseal(s, key, LikenessEnrolmentRow, "id", eid, "enrolment:{eid}")
                n += self._reseal(s, key, LikenessSampleRow, "sha256", eid, "sample:{eid}:{rid}")
                n += self._reseal(s, key, LikenessAlertRow, "id", eid, "alert:{rid}")
        with self.db.session() as s:
            reports = s.execute(
                select(LikenessReportRow.id, LikenessReportRow.payload).where(
                    func.substr(LikenessReportRow.payload, 1, 1) == LEGACY
                )
            ).all()
            for rid, old in reports:
                subjects = sorted(
                    s.scalars(
                        select(LikenessReportSubjectRow.enrolment_id).where(
                            LikenessReportSubjectRow.report_id == rid
                        )
                    )
                )
                if not subjects:
                    continue  # names nobody: stays under the instance key
                report = json.loads(self._key.open(old, aad=f"report:{rid}"))
                new = self._seal_report(s, rid, report, subjects)
                if new is None:
                    self._delete_reports(s, [rid])  # names someone deleted
                    continue
                n += s.execute(
                    update(LikenessReportRow)
                    .where(LikenessReportRow.id == rid, LikenessReportRow.payload == old)
                    .values(payload=new)
                ).rowcount  # type: ignore[attr-defined]
        return n

    def _reseal(
        self, s: Session, key: SealingKey, table: Any, pk_name: str, eid: str, aad_fmt: str
    ) -> int:
        """Re-seal one person's legacy rows of ``table`` under ``key``."""
        pk = getattr(table, pk_name)
        owner = table.id if table is LikenessEnrolmentRow else table.enrolment_id
        rows = s.execute(
            select(pk, table.payload).where(
                owner == eid, func.substr(table.payload, 1, 1) == LEGACY
            )
        ).all()
        n = 0
        for rid, old in rows:
            aad = aad_fmt.format(eid=eid, rid=rid)
            new = key.seal(self._key.open(old, aad=aad), aad=aad)
            n += s.execute(
                update(table)
                .where(owner == eid, pk == rid, table.payload == old)
                .values(payload=new)
            ).rowcount  # type: ignore[attr-defined]
        return n

    # --- impostor reference (tied to nobody: the instance key) ---------------------------

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
                        payload=self._seal(payload, f"reference:{modality.value}", self._key),
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
            d = json.loads(self._key.open(p, aad=f"reference:{modality.value}"))
            out.append(ReferenceVector(modality, d["label"], _dec(d["vector"])))
        return out

    # --- reports, alerts, seen media ----------------------------------------------------

    def _seal_report(
        self, s: Session, report_id: str, report: dict[str, Any], subjects: list[str]
    ) -> bytes | None:
        """The report sealed under the keys of everyone it names (the instance key when
        it names nobody); None when one of them is no longer enrolled."""
        if not subjects:
            return self._seal(report, f"report:{report_id}", self._key)
        raw = []
        for eid in subjects:
            if self._person_key(s, eid) is None:
                return None
            r = self.keys.raw(eid)
            if r is None:
                return None
            raw.append(r)
        header = json.dumps(subjects, separators=(",", ":")).encode()
        sealed = self._seal(report, f"report:{report_id}:" + header.decode(), _report_key(raw))
        return REPORT + len(header).to_bytes(2, "big") + header + sealed

    def _open_report(self, report_id: str, blob: bytes) -> Any:
        if blob[:1] == LEGACY:
            return json.loads(self._key.open(blob, aad=f"report:{report_id}"))
        subjects = _report_ids(blob)
        raw = []
        for eid in subjects:
            r = self.keys.raw(eid)
            if r is None:
                raise Shredded(eid)
            raw.append(r)
        header_len = 3 + int.from_bytes(blob[1:3], "big")
        aad = f"report:{report_id}:" + blob[3:header_len].decode()
        return json.loads(_report_key(raw).open(blob[header_len:], aad=aad))

    def save_report(
        self, report_id: str, created_at: str, report: dict[str, Any], enrolment_ids: list[str]
    ) -> None:
        """Saved under the keys of everyone it names. A report naming someone who is no
        longer enrolled (deleted while it was being made) is not kept: it would be
        deleted with them."""
        with self.db.session() as s:
            named = set(
                s.scalars(
                    select(LikenessReportSubjectRow.enrolment_id).where(
                        LikenessReportSubjectRow.report_id == report_id
                    )
                )
            )
            subjects = sorted(named | set(enrolment_ids))
            payload = self._seal_report(s, report_id, report, subjects)
            if payload is None:
                return
            s.merge(LikenessReportRow(id=report_id, created_at=created_at, payload=payload))
            for eid in enrolment_ids:
                self._insert_ignore(
                    s, LikenessReportSubjectRow, report_id=report_id, enrolment_id=eid
                )

    def get_report(self, report_id: str) -> dict[str, Any]:
        with self.db.session() as s:
            payload = s.scalar(
                select(LikenessReportRow.payload).where(LikenessReportRow.id == report_id)
            )
        try:
            if payload is not None:
                result: dict[str, Any] = self._open_report(report_id, payload)
                return result
        except Shredded:
            pass
        raise EnrolmentNotFound(f"no likeness report with id {report_id}")

    def add_alert(self, alert: Alert) -> None:
        """Sealed under the person's key. An alert for someone not enrolled (deleted
        while the media was analysed) is not kept."""
        with self.db.session() as s:
            key = self._person_key(s, alert.enrolment_id)
            if key is None:
                return
            s.add(
                LikenessAlertRow(
                    id=alert.id,
                    created_at=alert.created_at,
                    enrolment_id=alert.enrolment_id,
                    media_sha256=alert.media_sha256,
                    payload=self._seal(alert.to_json(), f"alert:{alert.id}", key),
                )
            )

    def update_alert(self, alert: Alert) -> None:
        with self.db.session() as s:
            key = self._person_key(s, alert.enrolment_id)
            if key is None:
                return
            s.execute(
                update(LikenessAlertRow)
                .where(LikenessAlertRow.id == alert.id)
                .values(payload=self._seal(alert.to_json(), f"alert:{alert.id}", key))
            )

    def list_alerts(self, enrolment_id: str | None = None) -> list[Alert]:
        q = select(LikenessAlertRow.id, LikenessAlertRow.enrolment_id, LikenessAlertRow.payload)
        if enrolment_id is not None:
            q = q.where(LikenessAlertRow.enrolment_id == enrolment_id)
        with self.db.session() as s:
            rows = s.execute(q.order_by(LikenessAlertRow.created_at, LikenessAlertRow.id)).all()
        out = []
        cache: dict[str, SealingKey | None] = {}
        for i, eid, p in rows:
            try:
                out.append(Alert.from_json(self._open(p, f"alert:{i}", eid, cache)))
            except Shredded:
                continue
        return out

    def seen(self, media_sha256: str) -> bool:
        with self.db.session() as s:
            hit = s.scalar(
                select(LikenessSeenRow.sha256).where(LikenessSeenRow.sha256 == media_sha256)
            )
        return hit is not None

    def mark_seen(self, media_sha256: str, at: str) -> None:
        with self.db.session() as s:
            self._insert_ignore(s, LikenessSeenRow, sha256=media_sha256, at=at)


def _report_ids(blob: bytes) -> list[str]:
    """The enrolment ids a 0x03 report is sealed under (in clear, as in its subject rows)."""
    n = int.from_bytes(blob[1:3], "big")
    ids: list[str] = json.loads(blob[3 : 3 + n])
    return ids
