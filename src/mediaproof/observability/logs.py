"""Log lines: JSON (one object a line, the default) or plain text, each with the current
request id (``rid``) when there is one. Which fields a line has is up to the caller: the
access log (``mediaproof.api.logs``) logs no client address, user name, file name, token
or query string, and neither may any other line."""

from __future__ import annotations

import json
import logging
from typing import Any, Literal

from mediaproof.observability.context import current_request_id

LogFormat = Literal["json", "text"]
# our loggers and the server's (uvicorn's access log stays off: ours has no addresses)
LOGGERS = ("mediaproof", "uvicorn", "uvicorn.error", "celery")


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        out: dict[str, Any] = {
            "ts": round(record.created, 3),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        rid = getattr(record, "rid", None) or current_request_id()
        if rid:
            out["rid"] = rid
        fields = getattr(record, "fields", None)
        if isinstance(fields, dict):
            out.update(fields)
        if record.exc_info and record.exc_info[0] is not None:
            out["exc"] = record.exc_info[0].__name__
            out["traceback"] = self.formatException(record.exc_info)
        return json.dumps(out, separators=(",", ":"))


class TextFormatter(logging.Formatter):
    """``2026-12-06 12:00:00,123 INFO mediaproof.access [rid] msg key=value ...``"""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        rid = getattr(record, "rid", None) or current_request_id()
        fields = getattr(record, "fields", None)
        extra = ""
        if isinstance(fields, dict):
            extra = "".join(f" {k}={v}" for k, v in fields.items() if k != "rid")
        head, _, rest = line.partition(f" {record.name} ")
        return f"{head} {record.name} [{rid or '-'}] {rest}{extra}"


def formatter(fmt: LogFormat) -> logging.Formatter:
    return JsonFormatter() if fmt == "json" else TextFormatter()


def configure_logging(level: str = "INFO", fmt: LogFormat = "json") -> None:
    """Our loggers and the server's write ``fmt`` lines to stderr."""
    handler = logging.StreamHandler()
    handler.setFormatter(formatter(fmt))
    for name in LOGGERS:
        logger = logging.getLogger(name)
        logger.handlers[:] = [handler]
        logger.setLevel(level)
        logger.propagate = False
