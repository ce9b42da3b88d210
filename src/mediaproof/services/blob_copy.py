"""Copy a one-box instance's blobs into the configured object store (docs/deploy.md).

    MEDIAPROOF_BLOB_STORE=s3://bucket/prefix MEDIAPROOF_BLOB_S3_...=... \\
        python -m mediaproof.services.blob_copy --home var

Copies ``blobs/`` (registered originals, signed copies, notice media; each checked
against the digest it is named by) and ``previews/``, then the public transparency log
(``log/``: tiles first, ``checkpoint`` last). Blobs already in the store with the same
size are skipped, so a copy that was cut off is resumed by running it again. Index
snapshots are not copied: the first matcher on the store builds one from the database
and publishes it.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from dataclasses import asdict, dataclass
from pathlib import Path

from mediaproof.config import Settings, load_settings
from mediaproof.errors import ConfigError, MediaproofError
from mediaproof.storage.blobs import BlobStore, LocalBlobStore, open_blob_store

_DIGEST_KEY = re.compile(r"^blobs/([0-9a-f]{2})/([0-9a-f]{2})/(\1\2[0-9a-f]{60})$")


@dataclass
class CopyReport:
    copied: int = 0
    skipped: int = 0
    bytes_copied: int = 0
    not_blobs: int = 0  # files under blobs/ not named by a digest: left alone


def copy_local_to_store(home: Path, dst: BlobStore) -> CopyReport:
    src = LocalBlobStore(home)
    report = CopyReport()

    def copy(key: str, sha256: str | None = None, *, always: bool = False) -> None:
        size = src.size(key)
        if not always and dst.exists(key) and dst.size(key) == size:
            report.skipped += 1
            return
        dst.put_file(key, src.path_of(key), sha256=sha256)
        report.copied += 1
        report.bytes_copied += size

    for key in src.list("blobs/"):
        m = _DIGEST_KEY.match(key)
        if m is None:
            report.not_blobs += 1
            continue
        copy(key, m.group(3))
    for key in src.list("previews/"):
        copy(key)
    log_keys = list(src.list("log/"))
    for key in log_keys:
        if key != "log/checkpoint":
            copy(key, always=key == "log/log.vkey" or ".p/" in key)
    if "log/checkpoint" in log_keys:
        copy("log/checkpoint", always=True)
    return report


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        prog="python -m mediaproof.services.blob_copy",
        description="Copy an instance folder's blobs into MEDIAPROOF_BLOB_STORE.",
    )
    ap.add_argument("--home", type=Path, default=None, help="instance folder (default ./var)")
    args = ap.parse_args(argv)
    settings: Settings = load_settings(args.home)
    try:
        if settings.blob.store is None:
            raise ConfigError(
                "MEDIAPROOF_BLOB_STORE is not set: there is no object store to copy to"
            )
        report = copy_local_to_store(settings.home, open_blob_store(settings))
    except MediaproofError as e:
        print(f"error: {e}", file=sys.stderr)
        return e.exit_code
    print(json.dumps(asdict(report)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
