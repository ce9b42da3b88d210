"""Uploads streamed to a temp file with the byte limit enforced while they arrive.

Content-Length is checked before reading anything; then the body is read chunk by chunk
with an idle timeout and an overall deadline (slow clients get 408), and the file part is
written to a randomly named temp file (the client's file name is never used). A multipart
body carries one file part (``file``) and a few short text fields; a body of any other
type is taken as the file itself (``curl --data-binary``). :func:`read_multipart` is the
one multipart parser; api/multipart_files.py reads several files with it.
"""

from __future__ import annotations

import asyncio
import hmac
import os
import tempfile
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from python_multipart.multipart import MultipartParser, parse_options_header
from starlette.requests import ClientDisconnect, Request

from mediaproof.errors import (
    NUL_MESSAGE,
    CsrfError,
    IngestError,
    InvalidValueError,
    LimitExceededError,
    UploadTimeoutError,
)

MAX_FIELDS = 16
MAX_FIELD_BYTES = 4096
MULTIPART_SLACK = 64 * 1024  # headers, boundaries and text fields around the file


@dataclass
class Upload:
    path: Path
    size: int
    fields: dict[str, str] = field(default_factory=dict)
    _kept: bool = False

    def keep(self) -> Path:
        """Hand the temp file to someone else (a background job), who deletes it."""
        self._kept = True
        return self.path

    def discard(self) -> None:
        if not self._kept:
            self.path.unlink(missing_ok=True)


@dataclass(frozen=True)
class UploadLimits:
    max_bytes: int
    idle_timeout_s: float
    total_timeout_s: float


async def _chunks(request: Request, limits: UploadLimits) -> AsyncIterator[bytes]:
    deadline = time.monotonic() + limits.total_timeout_s
    stream = request.stream()
    while True:
        wait = min(limits.idle_timeout_s, deadline - time.monotonic())
        if wait <= 0:
            raise UploadTimeoutError("the upload took too long")
        try:
            chunk = await asyncio.wait_for(anext(stream), timeout=wait)
        except StopAsyncIteration:
            return
        except TimeoutError as e:
            raise UploadTimeoutError(
                "the upload stalled: no data arrived in time",
                hint=f"each chunk must arrive within {limits.idle_timeout_s:.0f} s",
            ) from e
        except ClientDisconnect as e:
            raise IngestError("the client disconnected before the upload finished") from e
        if chunk:
            yield chunk


def deferred_csrf(request: Request) -> str | None:
    """The CSRF token api.deps left for the streaming parser to check, and the mark that
    a verifying reader took the body (checked after the route: nothing can forget it)."""
    request.state.csrf_handled = True  # the reader verifies, or raises, before returning
    expected = getattr(request.state, "csrf_expected", None)
    return expected if isinstance(expected, str) else None


def check_form_token(fields: dict[str, str], expected: str | None) -> None:
    if expected is None:
        return
    sent = fields.get("csrf_token", "")
    if not hmac.compare_digest(sent.encode(), expected.encode()):
        raise CsrfError("the form's security token is missing or stale; reload the page")


def _too_big(limits: UploadLimits) -> LimitExceededError:
    return LimitExceededError(
        f"the upload is larger than the limit of {limits.max_bytes:,} bytes",
        hint="MEDIAPROOF_SERVICE_MAX_UPLOAD_BYTES sets the limit",
    )


def _check_content_length(request: Request, limit: int) -> None:
    raw = request.headers.get("content-length")
    if raw is None:
        return  # chunked: the streaming count below enforces the limit
    try:
        n = int(raw)
    except ValueError as e:
        raise IngestError("the Content-Length header is not a number") from e
    if n < 0:
        raise IngestError("the Content-Length header is negative")
    if n > limit:
        raise LimitExceededError(
            f"the upload ({n:,} bytes) is larger than the limit of {limit:,} bytes",
            hint="MEDIAPROOF_SERVICE_MAX_UPLOAD_BYTES sets the limit",
        )


async def receive_upload(
    request: Request,
    tmp_dir: Path,
    limits: UploadLimits,
    *,
    file_optional: bool = False,
) -> Upload:
    """Read the request body into a temp file under ``tmp_dir``. The caller must call
    ``discard()`` (or ``keep()`` and delete it later). With ``file_optional`` a multipart
    form without a file (a notice about a URL) is accepted: ``size`` is then 0. A form
    token that api.deps deferred to here is verified before this returns."""
    csrf_expected = deferred_csrf(request)
    ctype, params = parse_options_header(request.headers.get("content-type", ""))
    multipart = ctype == b"multipart/form-data"
    _check_content_length(request, limits.max_bytes + (MULTIPART_SLACK if multipart else 0))
    tmp_dir.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(dir=tmp_dir, prefix="upload-")
    upload = Upload(Path(name), 0)
    try:
        if multipart:
            os.close(fd)
            files = 0

            def open_file(field_name: str) -> IO[bytes] | None:
                nonlocal files
                if field_name != "file":
                    return None  # a text field
                files += 1
                if files > 1:
                    raise IngestError("send one file per request")
                return upload.path.open("wb")  # the client's filename is ignored on purpose

            upload.size = await read_multipart(
                request, limits, boundary_of(params), upload.fields, open_file
            )
        else:
            with os.fdopen(fd, "wb") as out:
                if csrf_expected is not None:
                    raise CsrfError("this form must be sent as multipart/form-data")
                async for chunk in _chunks(request, limits):
                    upload.size += len(chunk)
                    if upload.size > limits.max_bytes:
                        raise _too_big(limits)
                    out.write(chunk)
        if upload.size == 0 and not (file_optional and multipart):
            raise IngestError("no file was uploaded", hint="send the file in a field named 'file'")
        check_form_token(upload.fields, csrf_expected)
    except BaseException:
        upload.discard()
        raise
    return upload


def boundary_of(params: dict[bytes, bytes]) -> bytes:
    boundary = params.get(b"boundary")
    if not boundary or len(boundary) > 200:
        raise IngestError("the multipart body has no usable boundary")
    return boundary


# (field name) -> the open file a file part is written to, or None for a text field
FileOpener = Callable[[str], IO[bytes] | None]


async def read_multipart(
    request: Request,
    limits: UploadLimits,
    boundary: bytes,
    fields: dict[str, str],
    open_file: FileOpener,
) -> int:
    """The one streaming multipart parser: text fields go into ``fields`` (at most
    MAX_FIELDS of MAX_FIELD_BYTES each), each file part into the file ``open_file`` gives
    for its field name (closed at the part's end); the byte limit applies to all files
    together. Returns the bytes of file data written."""
    state: dict[str, Any] = {"hname": b"", "hval": b"", "headers": {}, "part": None, "buf": b""}
    out: list[IO[bytes]] = []  # the open file of the current file part
    size = 0
    ended = [False]

    def on_end() -> None:
        ended[0] = True

    def on_part_begin() -> None:
        state["headers"] = {}
        state["part"] = None
        state["buf"] = b""

    def on_header_field(data: bytes, start: int, end: int) -> None:
        state["hname"] += data[start:end]

    def on_header_value(data: bytes, start: int, end: int) -> None:
        state["hval"] += data[start:end]

    def on_header_end() -> None:
        state["headers"][state["hname"].lower()] = state["hval"]
        state["hname"] = state["hval"] = b""

    def on_headers_finished() -> None:
        _, opts = parse_options_header(state["headers"].get(b"content-disposition", b""))
        name = opts.get(b"name", b"").decode("utf-8", "replace")
        f = open_file(name)
        if f is not None:
            out.append(f)
            state["part"] = "file"
        else:
            if len(fields) >= MAX_FIELDS:
                raise IngestError("too many form fields")
            state["part"] = ("field", name)

    def on_part_data(data: bytes, start: int, end: int) -> None:
        nonlocal size
        piece = data[start:end]
        if state["part"] == "file":
            size += len(piece)
            if size > limits.max_bytes:
                raise _too_big(limits)
            out[-1].write(piece)
        else:
            state["buf"] += piece
            if len(state["buf"]) > MAX_FIELD_BYTES:
                raise IngestError(f"a form field is longer than {MAX_FIELD_BYTES} bytes")

    def on_part_end() -> None:
        part = state["part"]
        if part == "file":
            out.pop().close()
        elif isinstance(part, tuple) and part[1]:
            value = state["buf"].decode("utf-8", "replace")
            if "\x00" in value or "\x00" in part[1]:
                # refused here, before anything is signed or analysed, as the database
                # would refuse it later (storage.sql.engine)
                raise InvalidValueError(f"form field {part[1]!r}: {NUL_MESSAGE}")
            fields[part[1]] = value

    parser = MultipartParser(
        boundary,
        {
            "on_part_begin": on_part_begin,
            "on_part_data": on_part_data,
            "on_part_end": on_part_end,
            "on_header_field": on_header_field,
            "on_header_value": on_header_value,
            "on_header_end": on_header_end,
            "on_headers_finished": on_headers_finished,
            "on_end": on_end,
        },
    )
    try:
        async for chunk in _chunks(request, limits):
            parser.write(chunk)
        parser.finalize()
        if not ended[0]:
            raise IngestError("the upload is incomplete: the multipart body was cut off")
    except (IngestError, CsrfError, InvalidValueError):
        raise
    except Exception as e:  # the parser's own errors: a malformed body
        raise IngestError(f"the multipart body is malformed ({type(e).__name__})") from e
    finally:
        for f in out:
            f.close()
    return size
