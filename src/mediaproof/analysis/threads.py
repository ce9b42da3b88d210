"""How many threads the native libraries of one analysis worker may start.

numpy's and scipy's OpenBLAS, OpenCV (its parallel loops, and the OpenBLAS it bundles)
and torch each start a pool of helper threads the size of the machine by default. The
service already runs one worker process per core (analysis.compute), so every helper
thread beyond the first only makes two requests' steps fight over the same cores, and a
step's time then depends on what else runs. Each worker is therefore capped at
``MEDIAPROOF_SERVICE_ANALYSIS_THREADS`` threads per library (default 1): the pool size
gives the parallelism.

Two ways are needed because libraries load at different times. Those already loaded in
the worker (the fork server imported numpy and OpenCV before the worker existed) are
capped through their own calls, with threadpoolctl for the BLAS and OpenMP runtimes;
those a step imports later (torch, onnxruntime's OpenMP, a scipy that loads its own
OpenBLAS) read the usual environment variables when they load, so these are set first.
"""

from __future__ import annotations

import contextlib
import os
import sys
from typing import Any

# read by OpenBLAS, MKL, BLIS, Accelerate, numexpr and every OpenMP runtime at load time
THREAD_ENV = (
    "OMP_NUM_THREADS",
    "OPENBLAS_NUM_THREADS",
    "MKL_NUM_THREADS",
    "BLIS_NUM_THREADS",
    "VECLIB_MAXIMUM_THREADS",
    "NUMEXPR_NUM_THREADS",
)

DEFAULT_THREADS = 1


def cap_threads(n: int) -> None:
    """Limit this process's native thread pools to ``n`` threads each, for the libraries
    loaded now and those loaded later. Meant for a worker process at its start: it sets
    process-wide state (environment variables, library globals)."""
    if n < 1:
        raise ValueError("at least one thread")
    for name in THREAD_ENV:
        os.environ[name] = str(n)
    from threadpoolctl import threadpool_limits

    threadpool_limits(limits=n)  # BLAS and OpenMP libraries loaded already
    cv2 = sys.modules.get("cv2")
    if cv2 is not None:
        cv2.setNumThreads(n)
    torch = sys.modules.get("torch")  # imported later, it reads OMP_NUM_THREADS
    if torch is not None:
        torch.set_num_threads(n)


def thread_report() -> dict[str, Any]:
    """What this process's native libraries would use now: the thread count of each BLAS
    and OpenMP library loaded, OpenCV's and torch's (where loaded), and the threads the
    process has (Linux). For tests and diagnostics; runs as a step in a worker."""
    from threadpoolctl import threadpool_info

    out: dict[str, Any] = {
        "threadpools": [
            {"library": i.get("prefix"), "api": i.get("user_api"), "threads": i["num_threads"]}
            for i in threadpool_info()
        ],
        "env": {name: os.environ.get(name) for name in THREAD_ENV},
    }
    cv2 = sys.modules.get("cv2")
    if cv2 is not None:
        out["opencv"] = cv2.getNumThreads()
    torch = sys.modules.get("torch")
    if torch is not None:
        out["torch"] = torch.get_num_threads()
    with contextlib.suppress(OSError):
        out["process_threads"] = len(os.listdir("/proc/self/task"))
    return out
