"""A fresh analysis worker is warm before its first step (analysis.compute, analysis.warm):
its first verify of an image imports nothing and costs about what its next one does.

It used to take seconds: the generator-mark check imported invisible-watermark, whose
package imports torch (1.4 s of CPU, 7-16 s at a load of 12, and 200 MiB per worker),
and the step modules, pywt and Pillow's plugins loaded on first use."""

from __future__ import annotations

import secrets
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from mediaproof.analysis.compute import ProcessCompute
from mediaproof.config import Limits
from mediaproof.services.image_reads import read_image_once


def first_read(path: Path, key: bytes) -> dict[str, Any]:
    """In a worker: what one verify read of an image imports and costs."""
    before = set(sys.modules)
    t = time.process_time()
    got = read_image_once(path, Limits(), key, 512 * 384)
    return {
        "imported": sorted(set(sys.modules) - before),
        "cpu_s": time.process_time() - t,
        "read": got is not None,
        "torch": "torch" in sys.modules,
    }


def _photo(path: Path) -> Path:
    rng = np.random.default_rng(7)
    Image.fromarray(rng.integers(0, 256, (384, 512, 3), dtype=np.uint8)).save(path)
    return path


def test_a_fresh_workers_first_read_imports_nothing(tmp_path: Path) -> None:
    photo = _photo(tmp_path / "p.png")
    key = secrets.token_bytes(32)
    pool = ProcessCompute(1)
    try:
        assert not pool.warmed
        (pid,) = pool.warm_up()
        assert pool.warmed
        first = pool.run(first_read, photo, key)
        second = pool.run(first_read, photo, key)
        assert pool.warm_up() == [pid]  # the same worker ran both
    finally:
        pool.close()
    assert first["read"] and second["read"]
    assert first["imported"] == []  # old code: torch and 800 modules more
    assert not first["torch"]  # not needed by the check, and 200 MiB a worker
    # CPU in the worker, not wall time, and a generous ratio: not a timing test
    assert first["cpu_s"] < 5 * second["cpu_s"] + 0.05, (first["cpu_s"], second["cpu_s"])


def test_a_worker_whose_warm_up_fails_still_serves(tmp_path: Path) -> None:
    """A pixel limit below the synthetic picture's size makes Pillow refuse it: the
    warm-up fails, is logged, and the worker takes steps as before."""
    pool = ProcessCompute(1, max_pixels=100)
    try:
        pids = pool.warm_up()
        assert pool.warmed and len(pids) == 1
        assert pool.run(int, "7") == 7
        notes = list(pool._marks.glob("*.warm")) if pool._marks else []
        assert [n.read_text().split()[0] for n in notes] == ["failed"]
    finally:
        pool.close()


def test_warm_up_is_bounded(tmp_path: Path) -> None:
    """A pool whose workers cannot be waited for is declared warm after the time allowed,
    and warm_up does not raise: readiness never blocks for good."""
    pool = ProcessCompute(1)
    try:
        t = time.monotonic()
        pool.warm_up(timeout_s=0.0)
        assert pool.warmed
        assert time.monotonic() - t < 30
    finally:
        pool.close()
