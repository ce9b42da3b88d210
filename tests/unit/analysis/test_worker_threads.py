"""The analysis workers' native thread pools (analysis.threads): each worker process runs
its steps with BLAS, OpenMP, OpenCV and torch capped at the configured thread count (1 by
default), so the pool's processes, not helper threads, give the parallelism."""

from __future__ import annotations

import os
from typing import Any

import pytest

from mediaproof.analysis.compute import ProcessCompute, make_compute
from mediaproof.analysis.threads import THREAD_ENV, thread_report
from mediaproof.config import ServiceSettings

# on one core every library already starts one thread: nothing would tell capped from not
MULTICORE = pytest.mark.skipif((os.cpu_count() or 1) < 2, reason="needs two cores or more")


def report_after_numpy_work() -> dict[str, Any]:
    """A step that does BLAS and OpenCV work first (a matrix product, a resize), then
    says what the process's thread pools are."""
    import cv2
    import numpy as np

    a = np.random.default_rng(0).random((400, 400))
    _ = a @ a
    _ = cv2.resize(a.astype("float32"), (800, 800))
    return thread_report()


def report_after_torch_import() -> dict[str, Any]:
    """A step that is the first in its worker to import torch (as a speaker embedding
    step would)."""
    import torch

    _ = torch.ones(64, 64) @ torch.ones(64, 64)
    return thread_report()


@MULTICORE
def test_workers_run_steps_with_one_thread_per_library() -> None:
    p = ProcessCompute(2)
    try:
        got = p.run(report_after_numpy_work)
    finally:
        p.close()
    assert got["threadpools"], "numpy's BLAS should be loaded in the worker"
    assert {t["threads"] for t in got["threadpools"]} == {1}, got["threadpools"]
    assert got["opencv"] == 1
    assert all(got["env"][name] == "1" for name in THREAD_ENV)


@MULTICORE
def test_the_thread_count_is_a_setting() -> None:
    p = make_compute(1, threads=2)
    assert isinstance(p, ProcessCompute)
    try:
        got = p.run(report_after_numpy_work)
    finally:
        p.close()
    assert {t["threads"] for t in got["threadpools"]} == {2}, got["threadpools"]
    assert got["opencv"] == 2


@MULTICORE
def test_torch_imported_by_a_step_uses_one_thread() -> None:
    pytest.importorskip("torch")
    p = ProcessCompute(1)
    try:
        got = p.run(report_after_torch_import)
    finally:
        p.close()
    assert got["torch"] == 1


def test_service_setting_defaults_to_one_thread(monkeypatch: pytest.MonkeyPatch) -> None:
    assert ServiceSettings().analysis_threads == 1
    monkeypatch.setenv("MEDIAPROOF_SERVICE_ANALYSIS_THREADS", "3")
    assert ServiceSettings().analysis_threads == 3
    assert ProcessCompute(2).threads == 1
    assert ProcessCompute(2, threads=3).threads == 3
