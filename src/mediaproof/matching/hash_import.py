"""Parsing bulk hash files: python-threatexchange's two plain formats.

- ``local_file``: one ``<signal_type> <signal>`` per line (what its
  LocalFileSignalExchangeAPI reads and ``mediaproof exchange snapshot --format
  local_file`` writes); blank lines and ``#`` comments are skipped.
- CSV with a header naming at least ``signal_type`` and ``signal_str`` (what
  ``threatexchange dataset --csv`` and ``exchange snapshot --format csv`` write); the
  optional ``category`` and ``tags`` columns are kept; others (``collab``) are ignored.

Only ``pdq`` (64 hex digits) and ``video_md5`` (32 hex digits) are accepted: the types
python-threatexchange spells as we do. A file is checked whole before anything is
stored: the first bad line is named and nothing of the file is imported.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field

from mediaproof.errors import IngestError

SIGNAL_BYTES = {"pdq": 32, "video_md5": 16}
MAX_CATEGORY = 40
MAX_TAGS = 500


class HashFileError(IngestError, code="hash_file", http_status=422): ...


@dataclass
class ParsedHashes:
    """Columns of one file: parallel lists, one item per hash."""

    signal_type: list[str] = field(default_factory=list)
    value: list[bytes] = field(default_factory=list)
    category: list[str | None] = field(default_factory=list)
    tags: list[str | None] = field(default_factory=list)
    format: str = "local_file"

    def __len__(self) -> int:
        return len(self.value)


def _value(kind: str, text: str, where: str) -> bytes:
    size = SIGNAL_BYTES.get(kind)
    if size is None:
        raise HashFileError(
            f"{where}: signal type {kind[:40]!r} is not importable "
            f"(supported: {', '.join(SIGNAL_BYTES)})"
        )
    if len(text) != 2 * size:
        raise HashFileError(f"{where}: a {kind} value is {2 * size} hex digits")
    try:
        return bytes.fromhex(text)
    except ValueError:
        raise HashFileError(f"{where}: {kind} value is not hexadecimal") from None


def parse_hash_file(data: bytes) -> ParsedHashes:
    """Parse a whole file (either format, told apart by a CSV header line)."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise HashFileError(f"the file is not UTF-8 text (byte {e.start})") from None
    first = text.lstrip().split("\n", 1)[0]
    if "signal_type" in first and "," in first:
        return _parse_csv(text)
    return _parse_local_file(text)


def _parse_local_file(text: str) -> ParsedHashes:
    out = ParsedHashes(format="local_file")
    kinds, values = out.signal_type, out.value
    for n, line in enumerate(text.splitlines(), 1):
        parts = line.split()
        if not parts or parts[0].startswith("#"):
            continue
        if len(parts) != 2:
            raise HashFileError(f"line {n}: expected '<signal_type> <hex>'")
        kind, hexv = parts
        kinds.append(kind)
        values.append(_value(kind, hexv.lower(), f"line {n}"))
    out.category = [None] * len(values)
    out.tags = [None] * len(values)
    return out


def _parse_csv(text: str) -> ParsedHashes:
    out = ParsedHashes(format="csv")
    reader = csv.reader(io.StringIO(text))
    header = [h.strip() for h in next(reader)]
    if "signal_type" not in header or "signal_str" not in header:
        raise HashFileError("line 1: the CSV header must name signal_type and signal_str")
    ti, vi = header.index("signal_type"), header.index("signal_str")
    ci = header.index("category") if "category" in header else None
    gi = header.index("tags") if "tags" in header else None
    width = len(header)
    for n, row in enumerate(reader, 2):
        if not row:
            continue
        if len(row) != width:
            raise HashFileError(f"line {n}: {len(row)} fields, the header has {width}")
        kind = row[ti].strip()
        out.signal_type.append(kind)
        out.value.append(_value(kind, row[vi].strip().lower(), f"line {n}"))
        cat = row[ci].strip() if ci is not None else ""
        tags = row[gi].strip() if gi is not None else ""
        if len(cat) > MAX_CATEGORY or len(tags) > MAX_TAGS:
            raise HashFileError(f"line {n}: category or tags too long")
        out.category.append(cat or None)
        out.tags.append(tags or None)
    return out
