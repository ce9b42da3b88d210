"""The request id travels with the jobs a request queues: the publishing process puts the
current id in the message's headers, and the worker makes it current while the task runs,
so the worker's log lines about that job carry the id of the request that caused it.

Celery is the ``queue`` extra: it is imported only when :func:`install` is called (by
``mediaproof.queue.app.make_celery``).
"""

from __future__ import annotations

import threading
from contextvars import Token
from typing import Any

from mediaproof.observability import context

HEADER = "mediaproof_request_id"
_installed = False
_lock = threading.Lock()
_tokens: dict[str, Token[str | None]] = {}


def request_id_of(request: Any) -> str | None:
    """The id a task's request carries (a message header), if it is a sane one."""
    rid = getattr(request, HEADER, None)
    if rid is None:
        headers = getattr(request, "headers", None)
        rid = headers.get(HEADER) if isinstance(headers, dict) else None
    if not isinstance(rid, str):
        return None
    return rid if context.accept_request_id(rid) == rid else None


def on_publish(headers: dict[str, Any] | None = None, **_: Any) -> None:
    rid = context.current_request_id()
    if rid is not None and headers is not None:
        headers[HEADER] = rid


def on_prerun(task_id: str | None = None, task: Any = None, **_: Any) -> None:
    if task_id is None or task is None:
        return
    _tokens[task_id] = context._current.set(request_id_of(task.request))


def on_postrun(task_id: str | None = None, **_: Any) -> None:
    token = _tokens.pop(task_id or "", None)
    if token is not None:
        context._current.reset(token)


def install() -> None:
    """Connect the three handlers to Celery's signals, once per process."""
    global _installed
    with _lock:
        if _installed:
            return
        from celery.signals import before_task_publish, task_postrun, task_prerun

        before_task_publish.connect(on_publish, weak=False)
        task_prerun.connect(on_prerun, weak=False)
        task_postrun.connect(on_postrun, weak=False)
        _installed = True
