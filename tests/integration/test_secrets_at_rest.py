"""Finding 7: a fresh instance's files are private (stat modes), and webhook secrets are
sealed at rest on SQLite and PostgreSQL: the raw row never holds the secret, existing
rows are sealed by the migration, and deliveries still sign with the right secret."""

from __future__ import annotations

import datetime as dt
import os
import stat
from pathlib import Path

import pytest
from sqlalchemy import text

from mediaproof.cases import webhooks
from mediaproof.cases.events import InMemoryEventSink
from mediaproof.cases.models import Outcome
from mediaproof.cases.webhooks import RetryPolicy
from mediaproof.config import Settings
from mediaproof.errors import StorageError
from mediaproof.media.samples import sample_photo
from mediaproof.services.cases import CaseService
from mediaproof.services.cases.webhook_targets import parse_networks
from mediaproof.services.instance import Instance
from mediaproof.services.publishing import register_existing
from mediaproof.storage.secrets import KEY_FILE, PREFIX, SecretBox
from mediaproof.storage.sql.engine import Database
from mediaproof.storage.sql.migrate import upgrade
from mediaproof.storage.sql.tables_cases import EndpointRow
from tests.integration.test_cases_flow import (  # noqa: F401  (fixtures)
    SECRET,
    T0,
    Receiver,
    candidate_notice,
    receiver,
)


def _mode(p: Path) -> int:
    return stat.S_IMODE(p.stat().st_mode)


def test_a_fresh_sqlite_instance_is_private(tmp_path: Path) -> None:
    home = tmp_path / "home"
    inst = Instance(Settings(home=home))
    try:
        register_existing(inst, sample_photo(tmp_path / "p.jpg", 64, 48, seed=3))
        CaseService(inst.db, sink=InMemoryEventSink()).register_endpoint(
            "video.example", "https://hooks.video.example/in", SECRET
        )
        db = home / "mediaproof.db"
        wal, shm = db.with_name("mediaproof.db-wal"), db.with_name("mediaproof.db-shm")
        assert wal.exists() and shm.exists()  # the connection is open, in WAL mode
        for f in (db, wal, shm, home / "keys" / KEY_FILE):
            assert _mode(f) == 0o600, f
        for d in (home, *(home / n for n in ("keys", "blobs", "tmp", "tlog"))):
            assert _mode(d) == 0o700, d
        for f in (home / "tlog").rglob("*"):
            if f.is_file():
                assert _mode(f) & 0o077 == 0, f
        blobs = [f for f in (home / "blobs").rglob("*") if f.is_file()]
        assert blobs and all(_mode(f) & 0o077 == 0 for f in blobs)
    finally:
        inst.close()


def test_an_older_instance_is_tightened_when_opened(tmp_path: Path) -> None:
    home = tmp_path / "home"
    Instance(Settings(home=home)).close()
    os.chmod(home, 0o755)
    os.chmod(home / "blobs", 0o755)
    os.chmod(home / "mediaproof.db", 0o644)
    Instance(Settings(home=home)).close()
    assert (_mode(home), _mode(home / "blobs"), _mode(home / "mediaproof.db")) == (
        0o700,
        0o700,
        0o600,
    )


def _raw_secrets(db: Database) -> list[str]:
    with db.engine.connect() as conn:
        return [r[0] for r in conn.execute(text("SELECT secret FROM webhook_endpoints"))]


def _svc(db: Database) -> CaseService:
    return CaseService(
        db,
        sink=InMemoryEventSink(),
        retry=RetryPolicy(max_attempts=3, base=dt.timedelta(seconds=10)),
        webhook_timeout_s=2.0,
        # the test receiver listens on loopback, which webhooks refuse unless allowed
        webhook_allow=parse_networks(["127.0.0.0/8"]),
    )


def _removal_delivered(svc: CaseService, rx: Receiver) -> tuple[dict[str, str], bytes]:
    r = svc.file_notice(candidate_notice(), T0)
    svc.decide(
        r.case_number,
        reviewer="alice",
        outcome=Outcome.REMOVE,
        rule_id="DM-1",
        explanation="The voice is synthetic and the event never happened.",
        now=T0 + dt.timedelta(hours=1),
    )
    svc.confirm(r.case_number, reviewer="bob", now=T0 + dt.timedelta(hours=2))
    assert svc.deliver_due(T0 + dt.timedelta(hours=2)).delivered == 1
    headers, body = rx.requests[-1]
    return headers, body


def test_a_new_secret_is_sealed_and_signs(
    db_url: str,
    tmp_path: Path,
    receiver: Receiver,  # noqa: F811
) -> None:
    keys = tmp_path / "keys"
    db = Database(db_url, secrets=SecretBox(keys))
    upgrade(db.engine, keys_dir=keys)
    try:
        svc = _svc(db)
        svc.register_endpoint("video.example", receiver.url, SECRET)
        (raw,) = _raw_secrets(db)
        assert raw.startswith(PREFIX) and SECRET not in raw
        assert _mode(keys / KEY_FILE) == 0o600
        headers, body = _removal_delivered(svc, receiver)
        assert webhooks.verify(SECRET, headers, body, T0 + dt.timedelta(hours=2, seconds=3))
        # a new secret replaces the old one, sealed again
        svc.register_endpoint("video.example", receiver.url, SECRET + "-rotated")
        (raw2,) = _raw_secrets(db)
        assert raw2.startswith(PREFIX) and raw2 != raw
    finally:
        db.dispose()


@pytest.mark.empty_database
def test_the_migration_seals_existing_secrets(
    db_url: str,
    tmp_path: Path,
    receiver: Receiver,  # noqa: F811
) -> None:
    keys = tmp_path / "keys"
    db = Database(db_url, secrets=SecretBox(keys))
    try:
        upgrade(db.engine, "0010_log_outbox", keys_dir=keys)
        with db.engine.begin() as conn:  # as an older version stored them: in clear
            for platform, secret in (("video.example", SECRET), ("*", "other-secret-0123456789")):
                conn.execute(
                    text(
                        "INSERT INTO webhook_endpoints (platform, url, secret, active, created_at)"
                        " VALUES (:p, :u, :s, :a, :c)"
                    ),
                    {"p": platform, "u": receiver.url, "s": secret, "a": True, "c": T0},
                )
        upgrade(db.engine, keys_dir=keys)
        raw = _raw_secrets(db)
        assert len(raw) == 2 and all(r.startswith(PREFIX) for r in raw)
        assert not any(SECRET in r or "other-secret" in r for r in raw)
        headers, body = _removal_delivered(_svc(db), receiver)
        assert webhooks.verify(SECRET, headers, body, T0 + dt.timedelta(hours=2, seconds=3))
        # a sealed secret copied onto another endpoint's row does not open there
        with db.engine.begin() as conn:
            conn.execute(
                text("UPDATE webhook_endpoints SET secret = :s WHERE platform = '*'"),
                {"s": next(r for r in raw if r)},
            )
        with db.session() as s, pytest.raises(StorageError, match="cannot decrypt"):
            for row in s.query(EndpointRow).all():
                _ = row.secret
    finally:
        db.dispose()


def test_without_the_key_nothing_is_stored(db_url: str, tmp_path: Path) -> None:
    db = Database(db_url)  # no SecretBox: refuses rather than storing in clear
    upgrade(db.engine, keys_dir=tmp_path / "keys")
    try:
        with pytest.raises(StorageError, match="no secrets key"):
            _svc(db).register_endpoint("video.example", "https://h.example/x", SECRET)
        assert _raw_secrets(db) == []
    finally:
        db.dispose()
