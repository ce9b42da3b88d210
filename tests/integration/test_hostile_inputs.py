"""Hostile files get a result or a clean error, in bounded time and memory.

The corpora hold some of these (nested moov, bad JUMBF, invalid RIFF); others are kept
apart for acceptance checks, so files of the same shapes are built here: deeply nested
RIFF chunks, a TIFF whose IFDs loop and claim absurd counts, an ID3v2.3 tag whose
compressed frame claims a decompressed size smaller than its data, truncations, and a
file that names a remote manifest URL.
"""

from __future__ import annotations

import os
import signal
import struct
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import pytest

from mediaproof.media.children import limited_command

FIX = "c2pa-sdk-fixtures/c2pa-rs/sdk/tests/fixtures"
TIME_LIMIT_S = 20.0
MEMORY_LIMIT_MB = 1500


def riff_bomb(depth: int = 1000) -> bytes:
    inner = b"fmt " + struct.pack("<I", 16) + struct.pack("<HHIIHH", 1, 1, 8000, 16000, 2, 16)
    inner += b"data" + struct.pack("<I", 4) + b"\x00\x00\x00\x00"
    chunk = inner
    for _ in range(depth):
        chunk = b"LIST" + struct.pack("<I", len(chunk) + 4) + b"INFO" + chunk
    body = b"WAVE" + chunk
    return b"RIFF" + struct.pack("<I", len(body)) + body


def riff_liar() -> bytes:
    # chunk sizes that claim gigabytes
    return (
        b"RIFF"
        + struct.pack("<I", 0xFFFFFFF0)
        + b"WAVE"
        + b"LIST"
        + struct.pack("<I", 0xFFFFFF00)
        + b"x" * 64
    )


def tiff_poc() -> bytes:
    # little-endian TIFF: first IFD at 8 claims 65535 entries; a second IFD points back to
    # itself; strip offsets/counts far outside the file
    entries = [
        (256, 4, 1, 100000),  # ImageWidth
        (257, 4, 1, 100000),  # ImageLength
        (258, 3, 1, 8),
        (259, 3, 1, 1),
        (262, 3, 1, 1),
        (273, 4, 1, 0x7FFFFFF0),  # StripOffsets
        (279, 4, 1, 0x7FFFFFF0),  # StripByteCounts
    ]
    ifd = struct.pack("<H", len(entries))
    for tag, typ, count, value in entries:
        ifd += struct.pack("<HHII", tag, typ, count, value)
    ifd += struct.pack("<I", 8)  # next IFD = this one: a loop
    return b"II*\x00" + struct.pack("<I", 8) + ifd + b"\xff" * 32


def id3_underflow() -> bytes:
    # ID3v2.3 frame with the compression flag and a decompressed size of 1 byte
    payload = struct.pack(">I", 1) + b"\x78\x9c" + b"\x00" * 40
    frame = b"TIT2" + struct.pack(">I", len(payload)) + b"\x00\x80" + payload
    size = len(frame)
    syncsafe = bytes([(size >> 21) & 0x7F, (size >> 14) & 0x7F, (size >> 7) & 0x7F, size & 0x7F])
    tag = b"ID3\x03\x00\x00" + syncsafe + frame
    mp3_frame = b"\xff\xfb\x90\x64" + b"\x00" * 413
    return tag + mp3_frame * 4


def jpeg_with_broken_app11() -> bytes:
    # a JPEG whose APP11 segment claims JUMBF but holds garbage
    seg = b"JP" + b"\x00\x01" + b"\x00\x00\x00\x01" + b"\x00\x00\x00\x10jumb" + b"\xde\xad" * 20
    return b"\xff\xd8" + b"\xff\xeb" + struct.pack(">H", len(seg) + 2) + seg + b"\xff\xd9"


# Runs the command given after it and writes its peak RSS (kB) to the file named first.
# The peak must be measured from a small parent: on Linux a child's ru_maxrss starts at its
# parent's peak RSS (the kernel carries the old address space's high-water mark across
# fork and exec), so measured from the test process itself, every child "used" the whole
# pytest process (1.5 GB late in a full run).
_MEASURE = (
    "import resource,subprocess,sys;"
    "r=subprocess.run(sys.argv[2:]).returncode;"
    "open(sys.argv[1],'w').write(str(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss));"
    "sys.exit(r if r>=0 else 128-r)"
)


def _run_verify(path: Path, home: Path) -> tuple[int, str, float, int]:
    """Verify in a child process with a memory cap; returns code, stderr, seconds, max RSS."""
    start = time.monotonic()
    with tempfile.TemporaryFile("w+") as err, tempfile.NamedTemporaryFile("r") as peak:
        # the cap is set by the child itself (prlimit, or the exec wrapper), as the product
        # does for ffprobe, rather than by a preexec_fn (Python between fork and exec)
        lim = MEMORY_LIMIT_MB * 1024 * 1024 * 4  # address space, not RSS: allow headroom
        cmd = limited_command(
            [sys.executable, "-m", "mediaproof", "verify", str(path), "--json", "--home",
             str(home)],
            lim,
        )  # fmt: skip
        proc = subprocess.Popen(
            [sys.executable, "-c", _MEASURE, peak.name, *cmd],
            stdout=subprocess.DEVNULL, stderr=err, text=True, start_new_session=True,
        )  # fmt: skip
        killer = threading.Timer(TIME_LIMIT_S * 3, os.killpg, (proc.pid, signal.SIGKILL))
        killer.start()
        try:
            code = proc.wait()
        finally:
            killer.cancel()
        took = time.monotonic() - start
        err.seek(0)
        rss = peak.read().strip()
        return code, err.read(), took, int(rss) if rss else 0


BUILT = {
    "riff_bomb.wav": riff_bomb,
    "riff_liar.wav": riff_liar,
    "tiff_poc.tiff": tiff_poc,
    "id3_underflow.mp3": id3_underflow,
    "broken_app11.jpg": jpeg_with_broken_app11,
}
CORPUS = [
    "nested_moov_1000.mp4",
    "sample3.invalid.wav",
    "sample3.svg",
    "sample4.svg",
    "prerelease.jpg",
    "no_alg.jpg",
    "cloud.jpg",
    "libpng-test_with_url.png",
    "dash1.m4s",
]


@pytest.mark.parametrize("name", sorted(BUILT) + CORPUS)
def test_hostile_file_gives_result_or_clean_error(name: str, tmp_path: Path, corpora: Path) -> None:
    if name in BUILT:
        path = tmp_path / name
        path.write_bytes(BUILT[name]())
    else:
        path = corpora / FIX / name
    code, stderr, took, rss_kb = _run_verify(path, tmp_path / "home")
    assert code in (0, 3), (code, stderr[-2000:])
    assert "Traceback" not in stderr, stderr[-2000:]
    if code == 3:
        assert stderr.startswith("error:"), stderr
    assert took < TIME_LIMIT_S, f"{name} took {took:.1f}s"
    assert 0 < rss_kb < MEMORY_LIMIT_MB * 1024, f"{name} used {rss_kb / 1024:.0f} MB"


@pytest.mark.parametrize("fraction", [0.1, 0.5, 0.9])
def test_truncated_signed_files(instance, corpora: Path, tmp_path: Path, fraction: float) -> None:  # type: ignore[no-untyped-def]
    from mediaproof.errors import MediaproofError
    from mediaproof.services.publishing import SignRequest, sign_and_register
    from mediaproof.services.verification import verify_file

    for name in ("earth_apollo17.jpg", "sample1.png", "video1_no_manifest.mp4", "sample1.wav"):
        out = tmp_path / f"signed-{name}"
        if not out.exists():
            sign_and_register(instance, SignRequest(src=corpora / FIX / name, dest=out, title=name))
        data = out.read_bytes()
        cut = tmp_path / f"cut-{fraction}-{name}"
        cut.write_bytes(data[: int(len(data) * fraction)])
        try:
            r = verify_file(instance, cut).as_dict()
        except MediaproofError:
            continue  # a clean, typed error is an acceptable answer
        assert r["provenance"]["state"] in ("absent", "invalid")
