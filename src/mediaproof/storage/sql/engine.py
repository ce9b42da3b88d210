"""Engine and session factory; SQLite tuned for one writer and many readers."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from mediaproof.errors import ConflictError, StorageError
from mediaproof.storage.secrets import SecretBox

log = logging.getLogger("mediaproof.storage.sql")


def make_engine(url: str) -> Engine:
    kwargs: dict[str, Any] = {"future": True}
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        kwargs["connect_args"] = {"timeout": 30, "check_same_thread": False}
    else:
        kwargs["pool_pre_ping"] = True
    try:
        engine = create_engine(url, **kwargs)
    except Exception as e:  # bad URL, missing driver
        raise StorageError(f"cannot use database {_redact(url)}: {e}") from e
    if url.startswith("sqlite"):

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn: Any, _rec: Any) -> None:
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")  # readers don't block the writer
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.close()

    return engine


def _redact(url: str) -> str:
    # never print a password from a database URL
    if "@" in url and "://" in url:
        scheme, rest = url.split("://", 1)
        creds, host = rest.rsplit("@", 1)
        user = creds.split(":", 1)[0]
        return f"{scheme}://{user}:***@{host}"
    return url


class Database:
    def __init__(self, url: str, secrets: SecretBox | None = None) -> None:
        self.url = url
        self.engine = make_engine(url)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        # seals secrets stored in rows (webhook keys); sessions carry it in .info
        self.secrets = secrets

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A unit of work: committed on success, rolled back on any error."""
        s = self._sessions()
        if self.secrets is not None:
            s.info["secrets"] = self.secrets
        try:
            yield s
            s.commit()
        except OperationalError as e:
            s.rollback()
            raise StorageError(f"database error: {e.orig}") from e
        except IntegrityError as e:
            # callers above storage see our error, never the driver's: a unique or
            # reference constraint refused a flush or the commit (often a concurrent
            # writer that stored the same thing first)
            s.rollback()
            log.warning("database constraint refused a unit of work: %s", e.orig)
            raise ConflictError(
                "the database refused the change: it breaks a uniqueness or reference "
                "constraint (another request may have stored the same at the same time); "
                "nothing of it was stored"
            ) from e
        except BaseException:
            s.rollback()
            raise
        finally:
            s.close()

    def dispose(self) -> None:
        self.engine.dispose()

    @property
    def display_url(self) -> str:
        return _redact(self.url)
