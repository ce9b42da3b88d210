"""Blob store throughput: the instance folder next to an S3-compatible store (the local
SeaweedFS that scripts/s3.sh starts, on loopback), through ``BlobStore``.

    scripts/s3.sh start
    PYTHONPATH=src python bench/bench_blobs.py --sizes 65536,4194304,67108864 --count 8

Prints JSON: for each store and blob size, wall seconds per put_file, per get (through
the read stream) and per first ``local_path`` (a fetch into the local cache for S3),
median over ``--count`` blobs, and MiB/s. Loopback and one machine: what the object
store costs over the folder in CPU and copying, not what a network adds.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import statistics
import subprocess
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

from pydantic import SecretStr

from mediaproof.config import Settings
from mediaproof.config_cluster import BlobSettings
from mediaproof.storage.blob_s3 import S3BlobStore
from mediaproof.storage.blobs import BlobStore, LocalBlobStore

REPO = Path(__file__).resolve().parents[1]


def _s3_store(home: Path) -> tuple[S3BlobStore, str]:
    script = REPO / "scripts" / "s3.sh"
    subprocess.run([str(script), "start"], check=True, cwd=REPO)
    out = subprocess.run([str(script), "env"], check=True, cwd=REPO, capture_output=True, text=True)
    env = dict(line.split("=", 1) for line in out.stdout.splitlines() if "=" in line)
    bucket = f"mp-bench-{uuid.uuid4().hex[:10]}"
    settings = Settings(
        home=home,
        blob=BlobSettings(
            store=f"s3://{bucket}/bench",
            s3_endpoint_url=env["MEDIAPROOF_BLOB_S3_ENDPOINT_URL"],
            s3_access_key_id=env["MEDIAPROOF_BLOB_S3_ACCESS_KEY_ID"],
            s3_secret_access_key=SecretStr(env["MEDIAPROOF_BLOB_S3_SECRET_ACCESS_KEY"]),
        ),
    )
    store = S3BlobStore.from_settings(settings)
    store._client.create_bucket(Bucket=bucket)
    return store, bucket


def _drop_bucket(store: S3BlobStore, bucket: str) -> None:
    for key in list(store.list("")):
        store.delete(key)
    store._client.delete_bucket(Bucket=bucket)


def _run(store: BlobStore, sizes: list[int], count: int, work: Path) -> list[dict[str, Any]]:
    rows = []
    for size in sizes:
        src = work / f"src-{size}"
        src.write_bytes(os.urandom(size))
        digest = hashlib.sha256(src.read_bytes()).hexdigest()
        put, get, local = [], [], []
        for i in range(count):
            key = f"bench/{size}/{i}"
            t = time.perf_counter()
            store.put_file(key, src, sha256=digest)
            put.append(time.perf_counter() - t)
            t = time.perf_counter()
            with store.open(key) as f:
                while f.read(1 << 20):
                    pass
            get.append(time.perf_counter() - t)
            t = time.perf_counter()
            store.local_path(key, sha256=digest)
            local.append(time.perf_counter() - t)
        mib = size / (1 << 20)
        row: dict[str, Any] = {"bytes": size, "count": count}
        for name, xs in (("put_file", put), ("get", get), ("local_path_first", local)):
            med = statistics.median(xs)
            row[name] = {"median_s": round(med, 5), "mib_per_s": round(mib / med, 1)}
        rows.append(row)
    return rows


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="65536,4194304,67108864")
    ap.add_argument("--count", type=int, default=8)
    args = ap.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    out: dict[str, Any] = {
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        "stores": {},
    }
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        local = LocalBlobStore(work / "home")
        out["stores"]["local"] = _run(local, sizes, args.count, work)
        s3, bucket = _s3_store(work / "s3home")
        try:
            out["stores"]["s3_seaweedfs_loopback"] = _run(s3, sizes, args.count, work)
        finally:
            _drop_bucket(s3, bucket)
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
