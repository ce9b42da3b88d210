"""Where enrolments, the impostor reference, alerts and reports are kept.

:class:`LikenessStore` is the contract; :class:`SqliteLikenessStore` keeps everything in
``<home>/likeness/likeness.db`` until the instance's SQL storage takes it over. Every row
that says anything about a person is sealed (AES-GCM, see crypto.py) with its row id as
associated data; only ids, timestamps and media digests are in clear. SQLite's
``secure_delete`` overwrites deleted rows, so deleting an enrolment does not leave its
ciphertext in free pages either.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from mediaproof.likeness.crypto import SealingKey, load_or_create_key
from mediaproof.likeness.errors import EnrolmentNotFound
from mediaproof.likeness.models import Enrolment, Modality, ReferenceVector, _dec, _enc


@dataclass
class Alert:
    id: str
    created_at: str
    enrolment_id: str
    name: str
    media_sha256: str
    media_path: str
    report_id: str
    statements: list[str]  # "shows someone who looks like X (score 0.93, threshold 0.85)"
    report_url: str | None = None
    deliveries: dict[str, str] = field(default_factory=dict)  # channel -> "sent" / error
    attempts: dict[str, int] = field(default_factory=dict)  # channel -> tries so far

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "created_at": self.created_at,
            "enrolment_id": self.enrolment_id,
            "name": self.name,
            "media_sha256": self.media_sha256,
            "media_path": self.media_path,
            "report_id": self.report_id,
            "report_url": self.report_url,
            "statements": self.statements,
            "deliveries": self.deliveries,
            "attempts": self.attempts,
        }

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> Alert:
        return cls(**d)


class LikenessStore(Protocol):
    """Storage for likeness data. Implementations must encrypt anything about a person
    at rest and, on :meth:`delete_enrolment`, remove every row derived from it (samples,
    alerts, reports); only :meth:`Enrolment.digest` may outlive it, elsewhere."""

    def add_enrolment(self, enrolment: Enrolment, raw_samples: dict[str, bytes]) -> None: ...
    def update_enrolment(self, enrolment: Enrolment) -> None: ...
    def get_enrolment(self, enrolment_id: str) -> Enrolment: ...
    def list_enrolments(self) -> list[Enrolment]: ...
    def kept_samples(self, enrolment_id: str) -> dict[str, bytes]: ...
    def delete_enrolment(self, enrolment_id: str) -> str: ...
    def replace_reference(self, modality: Modality, vectors: list[ReferenceVector]) -> None: ...
    def reference(self, modality: Modality) -> list[ReferenceVector]: ...
    def save_report(
        self, report_id: str, created_at: str, report: dict[str, Any], enrolment_ids: list[str]
    ) -> None: ...
    def get_report(self, report_id: str) -> dict[str, Any]: ...
    def add_alert(self, alert: Alert) -> None: ...
    def update_alert(self, alert: Alert) -> None: ...
    def list_alerts(self, enrolment_id: str | None = None) -> list[Alert]: ...
    def seen(self, media_sha256: str) -> bool: ...
    def mark_seen(self, media_sha256: str, at: str) -> None: ...
    def close(self) -> None: ...


_SCHEMA = """
CREATE TABLE IF NOT EXISTS enrolments (id TEXT PRIMARY KEY, created_at TEXT, payload BLOB);
CREATE TABLE IF NOT EXISTS samples (
    enrolment_id TEXT, sha256 TEXT, payload BLOB, PRIMARY KEY (enrolment_id, sha256));
CREATE TABLE IF NOT EXISTS reference (
    id INTEGER PRIMARY KEY AUTOINCREMENT, modality TEXT, payload BLOB);
CREATE TABLE IF NOT EXISTS reports (id TEXT PRIMARY KEY, created_at TEXT, payload BLOB);
CREATE TABLE IF NOT EXISTS report_subjects (
    report_id TEXT, enrolment_id TEXT, PRIMARY KEY (report_id, enrolment_id));
CREATE TABLE IF NOT EXISTS alerts (
    id TEXT PRIMARY KEY, created_at TEXT, enrolment_id TEXT, media_sha256 TEXT,
    payload BLOB);
CREATE TABLE IF NOT EXISTS seen (sha256 TEXT PRIMARY KEY, at TEXT);
"""


class SqliteLikenessStore:
    def __init__(self, path: Path, key: SealingKey) -> None:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        self.path = path
        self._key = key
        self._lock = threading.Lock()
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA secure_delete = ON")
        self._db.execute("PRAGMA foreign_keys = ON")
        self._db.executescript(_SCHEMA)
        path.chmod(0o600)

    @classmethod
    def open(cls, home: Path) -> SqliteLikenessStore:
        return cls(home / "likeness" / "likeness.db", load_or_create_key(home / "keys"))

    def close(self) -> None:
        with self._lock:
            self._db.close()

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def _seal(self, obj: Any, aad: str) -> bytes:
        return self._key.seal(json.dumps(obj, separators=(",", ":")).encode(), aad=aad)

    def _open(self, blob: bytes, aad: str) -> Any:
        return json.loads(self._key.open(blob, aad=aad))

    # --- enrolments -------------------------------------------------------------

    def add_enrolment(self, enrolment: Enrolment, raw_samples: dict[str, bytes]) -> None:
        with self._tx() as db:
            db.execute(
                "INSERT INTO enrolments VALUES (?, ?, ?)",
                (
                    enrolment.id,
                    enrolment.created_at,
                    self._seal(enrolment.to_json(), f"enrolment:{enrolment.id}"),
                ),
            )
            for sha, data in raw_samples.items():
                aad = f"sample:{enrolment.id}:{sha}"
                db.execute(
                    "INSERT INTO samples VALUES (?, ?, ?)",
                    (enrolment.id, sha, self._key.seal(data, aad=aad)),
                )

    def update_enrolment(self, enrolment: Enrolment) -> None:
        with self._tx() as db:
            cur = db.execute(
                "UPDATE enrolments SET payload = ? WHERE id = ?",
                (self._seal(enrolment.to_json(), f"enrolment:{enrolment.id}"), enrolment.id),
            )
            if cur.rowcount == 0:
                raise EnrolmentNotFound(f"no enrolment with id {enrolment.id}")

    def get_enrolment(self, enrolment_id: str) -> Enrolment:
        with self._lock:
            row = self._db.execute(
                "SELECT payload FROM enrolments WHERE id = ?", (enrolment_id,)
            ).fetchone()
        if row is None:
            raise EnrolmentNotFound(
                f"no enrolment with id {enrolment_id}", hint="see `mediaproof likeness list`"
            )
        return Enrolment.from_json(self._open(row[0], f"enrolment:{enrolment_id}"))

    def list_enrolments(self) -> list[Enrolment]:
        with self._lock:
            rows = self._db.execute(
                "SELECT id, payload FROM enrolments ORDER BY created_at, id"
            ).fetchall()
        return [Enrolment.from_json(self._open(p, f"enrolment:{i}")) for i, p in rows]

    def kept_samples(self, enrolment_id: str) -> dict[str, bytes]:
        with self._lock:
            rows = self._db.execute(
                "SELECT sha256, payload FROM samples WHERE enrolment_id = ?", (enrolment_id,)
            ).fetchall()
        return {s: self._key.open(p, aad=f"sample:{enrolment_id}:{s}") for s, p in rows}

    def delete_enrolment(self, enrolment_id: str) -> str:
        """Delete the enrolment and everything derived from it; returns its digest."""
        digest = self.get_enrolment(enrolment_id).digest()
        with self._tx() as db:
            db.execute("DELETE FROM enrolments WHERE id = ?", (enrolment_id,))
            db.execute("DELETE FROM samples WHERE enrolment_id = ?", (enrolment_id,))
            db.execute("DELETE FROM alerts WHERE enrolment_id = ?", (enrolment_id,))
            # a report naming this person is theirs too: drop it whole
            db.execute(
                "DELETE FROM reports WHERE id IN "
                "(SELECT report_id FROM report_subjects WHERE enrolment_id = ?)",
                (enrolment_id,),
            )
            db.execute(
                "DELETE FROM report_subjects WHERE report_id NOT IN (SELECT id FROM reports)"
            )
        with self._lock:
            self._db.execute("VACUUM")  # shrink the file: no freed pages left behind
        return digest

    # --- impostor reference -----------------------------------------------------------

    def replace_reference(self, modality: Modality, vectors: list[ReferenceVector]) -> None:
        with self._tx() as db:
            db.execute("DELETE FROM reference WHERE modality = ?", (modality.value,))
            for v in vectors:
                payload = {"label": v.label, "vector": _enc(v.vector)}
                db.execute(
                    "INSERT INTO reference (modality, payload) VALUES (?, ?)",
                    (modality.value, self._seal(payload, f"reference:{modality.value}")),
                )

    def reference(self, modality: Modality) -> list[ReferenceVector]:
        with self._lock:
            rows = self._db.execute(
                "SELECT payload FROM reference WHERE modality = ? ORDER BY id", (modality.value,)
            ).fetchall()
        out = []
        for (p,) in rows:
            d = self._open(p, f"reference:{modality.value}")
            out.append(ReferenceVector(modality, d["label"], _dec(d["vector"])))
        return out

    # --- reports, alerts, seen media ----------------------------------------------------

    def save_report(
        self, report_id: str, created_at: str, report: dict[str, Any], enrolment_ids: list[str]
    ) -> None:
        with self._tx() as db:
            db.execute(
                "INSERT OR REPLACE INTO reports VALUES (?, ?, ?)",
                (report_id, created_at, self._seal(report, f"report:{report_id}")),
            )
            for eid in enrolment_ids:
                db.execute("INSERT OR IGNORE INTO report_subjects VALUES (?, ?)", (report_id, eid))

    def get_report(self, report_id: str) -> dict[str, Any]:
        with self._lock:
            row = self._db.execute(
                "SELECT payload FROM reports WHERE id = ?", (report_id,)
            ).fetchone()
        if row is None:
            raise EnrolmentNotFound(f"no likeness report with id {report_id}")
        result: dict[str, Any] = self._open(row[0], f"report:{report_id}")
        return result

    def add_alert(self, alert: Alert) -> None:
        with self._tx() as db:
            db.execute(
                "INSERT INTO alerts VALUES (?, ?, ?, ?, ?)",
                (
                    alert.id,
                    alert.created_at,
                    alert.enrolment_id,
                    alert.media_sha256,
                    self._seal(alert.to_json(), f"alert:{alert.id}"),
                ),
            )

    def update_alert(self, alert: Alert) -> None:
        with self._tx() as db:
            db.execute(
                "UPDATE alerts SET payload = ? WHERE id = ?",
                (self._seal(alert.to_json(), f"alert:{alert.id}"), alert.id),
            )

    def list_alerts(self, enrolment_id: str | None = None) -> list[Alert]:
        q = "SELECT id, payload FROM alerts"
        args: tuple[str, ...] = ()
        if enrolment_id is not None:
            q += " WHERE enrolment_id = ?"
            args = (enrolment_id,)
        with self._lock:
            rows = self._db.execute(q + " ORDER BY created_at, id", args).fetchall()
        return [Alert.from_json(self._open(p, f"alert:{i}")) for i, p in rows]

    def seen(self, media_sha256: str) -> bool:
        with self._lock:
            row = self._db.execute(
                "SELECT 1 FROM seen WHERE sha256 = ?", (media_sha256,)
            ).fetchone()
        return row is not None

    def mark_seen(self, media_sha256: str, at: str) -> None:
        with self._tx() as db:
            db.execute("INSERT OR IGNORE INTO seen VALUES (?, ?)", (media_sha256, at))

    # --- export (moving to the instance's SQL store) -----------------------------------

    def all_reports(self) -> list[tuple[str, str, dict[str, Any], list[str]]]:
        """Every report as (id, created_at, report, enrolment ids it names)."""
        with self._lock:
            rows = self._db.execute("SELECT id, created_at FROM reports ORDER BY id").fetchall()
            subjects = self._db.execute("SELECT report_id, enrolment_id FROM report_subjects")
            named: dict[str, list[str]] = {}
            for rid, eid in subjects.fetchall():
                named.setdefault(rid, []).append(eid)
        return [(i, c, self.get_report(i), sorted(named.get(i, []))) for i, c in rows]

    def all_seen(self) -> list[tuple[str, str]]:
        with self._lock:
            rows = self._db.execute("SELECT sha256, at FROM seen ORDER BY sha256").fetchall()
        return [(str(s), str(a)) for s, a in rows]
