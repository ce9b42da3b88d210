"""Engine and session factory; SQLite tuned for one writer and many readers."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DataError, IntegrityError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from mediaproof.errors import NUL_MESSAGE, ConflictError, InvalidValueError, StorageError
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
    # a failed statement's error (and so a logged traceback) never carries the bound
    # values: they are reporters' names and e-mail addresses, notices, sealed secrets
    kwargs["hide_parameters"] = True
    try:
        engine = create_engine(url, **kwargs)
    except Exception as e:  # bad URL, missing driver
        raise StorageError(f"cannot use database {_redact(url)}: {e}") from e
    event.listen(engine, "before_cursor_execute", _refuse_nul)
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


def _has_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(v) for v in value.values())
    if isinstance(value, list | tuple):
        return any(_has_nul(v) for v in value)
    return False


def _refuse_nul(
    _conn: Any, _cursor: Any, _statement: str, parameters: Any, _context: Any, _many: bool
) -> None:
    """PostgreSQL refuses NUL in text (the driver raises before sending); SQLite would
    keep it, so the two would disagree. Refused on both, as the caller's mistake, before
    the statement runs (the unit of work is rolled back: nothing of it is stored)."""
    if _has_nul(parameters):
        raise InvalidValueError(NUL_MESSAGE, hint="remove the NUL characters and send it again")


def _data_error(e: DataError) -> InvalidValueError | None:
    """A value the database refused as the caller's mistake: a text longer than its
    column or a number past its column's range (PostgreSQL enforces both, SQLite
    neither), or an untranslatable character; None for anything else (a bug, which
    stays a 500)."""
    state = getattr(e.orig, "sqlstate", None)
    if state == "22001":
        return InvalidValueError("a text is longer than the database allows for it")
    if state == "22003":  # an id past a 32-bit column on PostgreSQL (SQLite has none)
        return InvalidValueError("a number is out of the range the database holds for it")
    if state in ("22021", "22P05") or "NUL" in str(e.orig):
        return InvalidValueError(NUL_MESSAGE)
    return None


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
        except DataError as e:
            s.rollback()
            mapped = _data_error(e)
            if mapped is None:
                raise
            raise mapped from e
        except IntegrityError as e:
            # callers above storage see our error, never the driver's: a unique or
            # reference constraint refused a flush or the commit (often a concurrent
            # writer that stored the same thing first)
            s.rollback()
            # the first line names the constraint; PostgreSQL's DETAIL line carries the
            # values (a user name, an address), which stay out of the log
            first = str(e.orig).splitlines()[0] if str(e.orig) else type(e.orig).__name__
            log.warning("database constraint refused a unit of work: %s", first)
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
