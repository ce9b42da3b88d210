"""Multipart bodies carrying several files (an enrolment's photos and voice clips).

The same rules as :mod:`mediaproof.api.uploads` (Content-Length checked first, idle and
overall timeouts, client file names never used), with several file parts: each part
named in ``file_fields`` goes to its own randomly named file in a private temp folder,
and the byte limit applies to all files together.
"""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from python_multipart.multipart import MultipartParser, parse_options_header
from starlette.requests import Request

from mediaproof.api.uploads import (
    MAX_FIELD_BYTES,
    MAX_FIELDS,
    MULTIPART_SLACK,
    UploadLimits,
    _check_content_length,
    _chunks,
    _too_big,
    check_form_token,
    deferred_csrf,
)
from mediaproof.errors import CsrfError, IngestError


@dataclass
class FilesUpload:
    """Files as ``(field, path)`` in the order they arrived, plus the text fields."""

    folder: Path
    files: list[tuple[str, Path]] = field(default_factory=list)
    fields: dict[str, str] = field(default_factory=dict)
    size: int = 0

    def named(self, name: str) -> list[Path]:
        return [p for f, p in self.files if f == name]

    def discard(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)


async def receive_files(
    request: Request,
    tmp_dir: Path,
    limits: UploadLimits,
    *,
    file_fields: frozenset[str],
    max_files: int,
) -> FilesUpload:
    """Read a multipart body whose file parts are named in ``file_fields`` (at most
    ``max_files``). The caller must call ``discard()``. A form token api.deps deferred
    to here is verified before this returns."""
    csrf_expected = deferred_csrf(request)
    ctype, params = parse_options_header(request.headers.get("content-type", ""))
    if ctype != b"multipart/form-data":
        raise IngestError("send the files as multipart/form-data")
    boundary = params.get(b"boundary")
    if not boundary or len(boundary) > 200:
        raise IngestError("the multipart body has no usable boundary")
    _check_content_length(request, limits.max_bytes + MULTIPART_SLACK)
    tmp_dir.mkdir(parents=True, exist_ok=True)
    up = FilesUpload(Path(tempfile.mkdtemp(dir=tmp_dir, prefix="upload-")))
    try:
        await _parse(request, limits, boundary, up, file_fields, max_files)
        check_form_token(up.fields, csrf_expected)
    except BaseException:
        up.discard()
        raise
    return up


async def _parse(
    request: Request,
    limits: UploadLimits,
    boundary: bytes,
    up: FilesUpload,
    file_fields: frozenset[str],
    max_files: int,
) -> None:
    state: dict[str, Any] = {"hname": b"", "hval": b"", "headers": {}, "part": None, "buf": b""}
    out: list[IO[bytes]] = []  # the open file of the current file part
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
        if name in file_fields:
            if len(up.files) >= max_files:
                raise IngestError(f"at most {max_files} files per request")
            # numbered by field, so messages can name the sample ("face-2") without
            # ever using the client's file name
            n = sum(1 for f, _ in up.files if f == name) + 1
            path = up.folder / f"{name}-{n}"
            up.files.append((name, path))
            out.append(path.open("xb"))
            state["part"] = "file"
        else:
            if len(up.fields) >= MAX_FIELDS:
                raise IngestError("too many form fields")
            state["part"] = ("field", name)

    def on_part_data(data: bytes, start: int, end: int) -> None:
        piece = data[start:end]
        if state["part"] == "file":
            up.size += len(piece)
            if up.size > limits.max_bytes:
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
            up.fields[part[1]] = state["buf"].decode("utf-8", "replace")

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
    except (IngestError, CsrfError):
        raise
    except Exception as e:  # the parser's own errors: a malformed body
        raise IngestError(f"the multipart body is malformed ({type(e).__name__})") from e
    finally:
        for f in out:
            f.close()
