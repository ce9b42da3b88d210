"""The request id: one per HTTP request, on every log line the request causes, in the
``X-Request-ID`` answer header, and carried into the queued jobs it starts.

A caller's own ``X-Request-ID`` is kept when it is sane (1 to 64 of ``A-Z a-z 0-9 . _ : -``,
what proxies and tracing headers use); anything else is replaced by a fresh random id, so
a header cannot put arbitrary text (or personal data in free form) into the logs.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

HEADER = "X-Request-ID"
_SANE = re.compile(r"[A-Za-z0-9._:-]{1,64}")
_current: ContextVar[str | None] = ContextVar("mediaproof_request_id", default=None)


def new_request_id() -> str:
    return secrets.token_hex(8)


def accept_request_id(incoming: str | None) -> str:
    """The caller's id when it is sane, else a new one."""
    if incoming is not None and _SANE.fullmatch(incoming):
        return incoming
    return new_request_id()


def current_request_id() -> str | None:
    return _current.get()


@contextmanager
def request_id_scope(rid: str | None) -> Iterator[str | None]:
    """Make ``rid`` the current request id inside the block (this thread or task, and
    threads started with a copy of the context, as Starlette's thread pool does)."""
    token = _current.set(rid)
    try:
        yield rid
    finally:
        _current.reset(token)
