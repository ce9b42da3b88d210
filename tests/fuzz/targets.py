"""Fuzz targets: every parser we own that reads untrusted bytes.

Each target takes one input and must either succeed or raise one of the errors its
parser documents (subclasses of the project's error base, ``MediaproofError``); anything
else that escapes is a crash. The targets run under atheris (coverage-guided, see
``tests/fuzz/run.py``) briefly in CI (``tests/unit/test_fuzz.py``) and longer from
``bench/fuzz.py``; inputs that once crashed live in ``tests/fuzz/regressions/<target>/``
and are replayed on every test run.

Targets never touch the network; the multipart targets write to a private temp folder.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from mediaproof.errors import MediaproofError
from mediaproof.media.sniff import Sniffed, id3_tag_size, sniff, sniff_after_id3
from mediaproof.transparency.checkpoint import open_checkpoint
from mediaproof.transparency.entries import Entry
from mediaproof.transparency.note import (
    CosignatureVerifier,
    Ed25519Signer,
    Ed25519Verifier,
    open_note,
    parse_note,
    parse_vkey,
)
from mediaproof.transparency.proof import TlogProof, verify_tlog_proof
from mediaproof.transparency.tiles import TILE_WIDTH, TileReader, decode_bundle, encode_bundle

Target = Callable[[bytes], None]

# A fixed log key, so seeds can carry valid signatures and mutations reach the checks
# after parsing.
_SIGNER = Ed25519Signer(
    "fuzz.example/log",
    Ed25519PrivateKey.from_private_bytes(hashlib.sha256(b"mediaproof fuzz").digest()),
)


def _verifier() -> Ed25519Verifier:
    return _SIGNER.verifier


# --- media sniffing ---------------------------------------------------------------------


def sniff_target(data: bytes) -> None:
    """Sniffing never raises: every prefix gets an answer (possibly unknown)."""
    s = sniff(data)
    assert isinstance(s, Sniffed)
    n = id3_tag_size(data)
    assert n is None or n >= 10
    assert isinstance(sniff_after_id3(data), Sniffed)


# --- transparency log -------------------------------------------------------------------


def entries_target(data: bytes) -> None:
    """Entry.parse accepts canonical, valid entries only; what it accepts round-trips."""
    try:
        e = Entry.parse(data)
    except MediaproofError:
        return
    assert e.canonical == data
    assert Entry.parse(e.canonical).canonical == e.canonical
    assert Entry.from_data(e.data).canonical == e.canonical


def note_target(data: bytes) -> None:
    """Signed notes, checkpoints, verifier keys and tlog-proof files."""
    v = _verifier()
    for step in (
        lambda: parse_note(data),
        lambda: open_note(data, [v]),
        lambda: open_checkpoint(data, v),
        lambda: TlogProof.parse(data),
        lambda: verify_tlog_proof(data, v),
        lambda: verify_tlog_proof(data, v, entry=data[:64]),
        lambda: parse_vkey(data.decode("utf-8", "replace")),
        lambda: Ed25519Verifier.from_vkey(data.decode("utf-8", "replace")),
        lambda: CosignatureVerifier.from_vkey(data.decode("utf-8", "replace")),
    ):
        with contextlib.suppress(MediaproofError):
            step()


def tiles_target(data: bytes) -> None:
    """Entry bundles and hash tiles as a served log hands them to an auditor."""
    try:
        got = decode_bundle(data)
    except MediaproofError:
        got = None
    if got is not None:
        assert encode_bundle(got) == data
    if len(data) < 3:
        return
    size = int.from_bytes(data[:3], "big") % (4 * TILE_WIDTH * TILE_WIDTH) + 1
    body = data[3:]

    def fetch(path: str) -> bytes:
        # every file of the log is the fuzzer's, shifted by the path so tiles differ
        k = int.from_bytes(hashlib.sha256(path.encode()).digest()[:2], "big")
        return body[k % max(1, len(body)) :] + body[: k % max(1, len(body))]

    reader = TileReader(fetch, size)
    for step in (
        lambda: reader.node(0, size - 1),
        lambda: reader.node(8, (size >> 8) - 1) if size >> 8 else None,
        lambda: reader.leaf_hashes((size - 1) // TILE_WIDTH),
        lambda: reader.entries((size - 1) // TILE_WIDTH),
    ):
        with contextlib.suppress(MediaproofError):
            step()


# --- multipart uploads ------------------------------------------------------------------

_TMP: list[Path] = []


def _tmp() -> Path:
    if not _TMP:
        _TMP.append(Path(tempfile.mkdtemp(prefix="mediaproof-fuzz-")))
    return _TMP[0]


def _request(content_type: bytes, body: bytes, chunk: int) -> Any:
    from starlette.requests import Request

    chunks = [body[i : i + chunk] for i in range(0, len(body), chunk)] or [b""]
    sent = iter(range(len(chunks)))

    async def receive() -> dict[str, Any]:
        i = next(sent, None)
        if i is None:
            return {"type": "http.disconnect"}
        return {"type": "http.request", "body": chunks[i], "more_body": i < len(chunks) - 1}

    scope = {
        "type": "http",
        "method": "POST",
        "path": "/",
        "headers": [
            (b"content-type", content_type),
            (b"content-length", str(len(body)).encode()),
        ],
    }
    return Request(scope, receive)


def _split(data: bytes) -> tuple[bytes, bytes, int]:
    """The first byte picks the chunk size and whether the header's boundary is ours."""
    if not data:
        return b"multipart/form-data; boundary=XyZ", b"", 1
    flags, rest = data[0], data[1:]
    chunk = 1 + (flags & 0x3F) * 37
    if flags & 0x80 and b"\n" in rest:
        header, _, body = rest.partition(b"\n")
        return b"multipart/form-data; " + header[:300], body, chunk
    return b"multipart/form-data; boundary=XyZ", rest, chunk


def multipart_target(data: bytes) -> None:
    """api/uploads.py: one file part and a few text fields."""
    from mediaproof.api.uploads import UploadLimits, receive_upload

    ctype, body, chunk = _split(data)
    limits = UploadLimits(max_bytes=1 << 16, idle_timeout_s=5, total_timeout_s=10)
    try:
        up = asyncio.run(receive_upload(_request(ctype, body, chunk), _tmp(), limits))
    except MediaproofError:
        return
    assert up.path.stat().st_size == up.size <= limits.max_bytes
    assert len(up.fields) <= 16
    up.discard()


def multipart_files_target(data: bytes) -> None:
    """api/multipart_files.py: several file parts (likeness enrolment)."""
    from mediaproof.api.multipart_files import receive_files
    from mediaproof.api.uploads import UploadLimits

    ctype, body, chunk = _split(data)
    limits = UploadLimits(max_bytes=1 << 16, idle_timeout_s=5, total_timeout_s=10)
    try:
        up = asyncio.run(
            receive_files(
                _request(ctype, body, chunk),
                _tmp(),
                limits,
                file_fields=frozenset({"face", "voice"}),
                max_files=4,
            )
        )
    except MediaproofError:
        return
    assert len(up.files) <= 4 and sum(p.stat().st_size for _, p in up.files) == up.size
    up.discard()


def cleanup() -> None:
    for p in _TMP:
        shutil.rmtree(p, ignore_errors=True)
    _TMP.clear()


TARGETS: dict[str, Target] = {
    "sniff": sniff_target,
    "entries": entries_target,
    "note": note_target,
    "tiles": tiles_target,
    "multipart": multipart_target,
    "multipart_files": multipart_files_target,
}


# --- seeds: valid inputs, so mutations start deep in each parser --------------------------


def seeds(name: str) -> list[bytes]:
    from mediaproof.transparency import entries as E
    from mediaproof.transparency.checkpoint import Checkpoint, sign_checkpoint

    sha = hashlib.sha256(b"seed").hexdigest()
    entry = E.alibi_recorded(content_sha256=sha, time="2026-01-01T00:00:00Z").canonical
    if name == "sniff":
        return [
            b"\xff\xd8\xff\xe0" + bytes(60),
            b"\x89PNG\r\n\x1a\n" + bytes(56),
            b"RIFF\x00\x00\x00\x00WAVEfmt " + bytes(48),
            b"\x00\x00\x00\x20ftypisom\x00\x00\x02\x00isomiso2mp41" + bytes(36),
            b"ID3\x04\x00\x00\x00\x00\x00\x20" + bytes(32) + b"fLaC",
            b"\xff\xfb\x90\x00" + bytes(60),
            b"<?xml version='1.0'?><svg xmlns='http://www.w3.org/2000/svg'/>",
        ]
    if name == "entries":
        return [entry, b'{"type":"asset.registered"}']
    if name == "note":
        from mediaproof.transparency.merkle import leaf_hash

        cp = sign_checkpoint(Checkpoint("fuzz.example/log", 1, leaf_hash(entry)), _SIGNER)
        proof = TlogProof(0, (), cp.encode(), extra=entry).encode()
        return [cp.encode(), proof, _SIGNER.vkey.encode()]
    if name == "tiles":
        return [b"\x00\x00\x05" + encode_bundle([entry, entry[:10], b""]) + bytes(32 * 5)]
    if name in ("multipart", "multipart_files"):
        field = "face" if name == "multipart_files" else "file"
        body = (
            b'--XyZ\r\nContent-Disposition: form-data; name="title"\r\n\r\nhello\r\n'
            b'--XyZ\r\nContent-Disposition: form-data; name="' + field.encode() + b'"; '
            b'filename="a.jpg"\r\nContent-Type: image/jpeg\r\n\r\n\xff\xd8\xff\x00\r\n'
            b"--XyZ--\r\n"
        )
        return [b"\x05" + body, b"\x85boundary=XyZ\n" + body]
    raise KeyError(name)
