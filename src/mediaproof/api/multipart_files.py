"""Multipart bodies carrying several files (an enrolment's photos and voice clips).

The same parser and rules as :mod:`mediaproof.api.uploads` (Content-Length checked first,
idle and overall timeouts, client file names never used), with several file parts: each
part named in ``file_fields`` goes to its own file in a private temp folder, and the byte
limit applies to all files together.
"""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from python_multipart.multipart import parse_options_header
from starlette.requests import Request

from mediaproof.api.uploads import (
    MULTIPART_SLACK,
    UploadLimits,
    _check_content_length,
    boundary_of,
    check_form_token,
    deferred_csrf,
    read_multipart,
)
from mediaproof.errors import IngestError


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
    boundary = boundary_of(params)
    _check_content_length(request, limits.max_bytes + MULTIPART_SLACK)
    tmp_dir.mkdir(parents=True, exist_ok=True)
    up = FilesUpload(Path(tempfile.mkdtemp(dir=tmp_dir, prefix="upload-")))

    def open_file(name: str) -> IO[bytes] | None:
        if name not in file_fields:
            return None  # a text field
        if len(up.files) >= max_files:
            raise IngestError(f"at most {max_files} files per request")
        # numbered by field, so messages can name the sample ("face-2") without ever
        # using the client's file name
        n = sum(1 for f, _ in up.files if f == name) + 1
        path = up.folder / f"{name}-{n}"
        up.files.append((name, path))
        return path.open("xb")

    try:
        up.size = await read_multipart(request, limits, boundary, up.fields, open_file)
        check_form_token(up.fields, csrf_expected)
    except BaseException:
        up.discard()
        raise
    return up
