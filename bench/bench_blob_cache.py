"""What keeping the blob cache under its cap costs (storage/blob_cache.py): counting the
copies takes one ``lstat`` each, under the lock, so it grows with the number of copies
kept; a running total (``.usage``) and trimming to 90 % of the cap make it rare. A hit
only sets the file's mtime.

    PYTHONPATH=src python bench/bench_blob_cache.py --entries 1000,10000,50000 --count 15

Prints JSON: for each number of copies already in the cache (1 KiB each, in the
``blobs/ab/cd/<sha256>`` layout, the cache full), median seconds over ``--count`` tries
of: an admission that has to count (no running total; trims one copy), an admission as
it runs (defaults: the first counts and trims to 90 %, the next ones only add to the
total), and a hit; with the load average. No object store is involved: the download
itself is bench_blobs.py's business.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import statistics
import tempfile
import time
from pathlib import Path

from mediaproof.storage.blob_cache import BlobCache


def _fill(root: Path, n: int) -> list[Path]:
    paths = []
    old = time.time() - 3600
    for i in range(n):
        d = hashlib.sha256(str(i).encode()).hexdigest()
        p = root / "blobs" / d[:2] / d[2:4] / d
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(b"x" * 1024)
        os.utime(p, (old + i, old + i))
        paths.append(p)
    return paths


def run(entries: int, count: int) -> dict[str, object]:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "cache"
        paths = _fill(root, entries)
        times: dict[str, list[float]] = {"counting": [], "running": [], "hit": []}
        for kind, low_water in (("counting", 1.0), ("running", 0.9)):
            cache = BlobCache(root, max_bytes=entries * 1024, low_water=low_water)
            for i in range(count):
                if kind == "counting":
                    (root / ".usage").unlink(missing_ok=True)
                dest = root / "objects" / f"{kind}-{i}"
                dest.parent.mkdir(parents=True, exist_ok=True)
                src = dest.parent / f".fetch-{i}"
                src.write_bytes(b"y" * 1024)
                t = time.perf_counter()
                cache.admit(src, dest)
                times[kind].append(time.perf_counter() - t)
                t = time.perf_counter()
                cache.touch(paths[-1])
                times["hit"].append(time.perf_counter() - t)
            assert cache.usage() <= cache.max_bytes
    return {
        "entries": entries,
        "admit_counting_median_s": round(statistics.median(times["counting"]), 6),
        "admit_running_median_s": round(statistics.median(times["running"]), 6),
        "admit_running_max_s": round(max(times["running"]), 6),
        "hit_median_s": round(statistics.median(times["hit"]), 8),
        "count": count,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--entries", default="1000,10000,50000")
    ap.add_argument("--count", type=int, default=15)
    a = ap.parse_args()
    results = [run(int(n), a.count) for n in a.entries.split(",")]
    print(
        json.dumps(
            {
                "bench": "blob_cache",
                "python": platform.python_version(),
                "loadavg": os.getloadavg(),
                "results": results,
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
