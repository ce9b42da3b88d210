"""Moving a one-box instance to an object store: its blobs, previews and public log are
copied into the bucket (checked against their digests), the same box then runs on the
bucket and keeps publishing its log there, and a second box reads it all."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from mediaproof.config import Settings
from mediaproof.media.samples import sample_photo
from mediaproof.provenance.keys import init_keys
from mediaproof.services.blob_copy import copy_local_to_store, main
from mediaproof.services.instance import Instance
from mediaproof.services.logfiles import log_file
from mediaproof.services.publishing import register_existing
from mediaproof.services.result_images import preview_path
from mediaproof.storage.blobs import open_blob_store
from mediaproof.transparency.client import LogClient
from mediaproof.transparency.log import TransparencyLog
from mediaproof.transparency.note import Ed25519Verifier
from tests.blobs.conftest import S3Server, s3_settings
from tests.blobs.test_blob_paths_s3 import objects


def _audit(inst: Instance, vkey: str) -> int:
    reader = LogClient("unused", Ed25519Verifier.from_vkey(vkey))
    reader.fetch = lambda path: log_file(inst, path).read_bytes()
    return reader.audit(None, full=True).entries_checked


def test_copy_a_box_into_the_bucket_then_run_on_it(
    tmp_path: Path, s3_server: S3Server, s3_env: dict[str, Any]
) -> None:
    home = tmp_path / "box"
    box = Instance(Settings(home=home))
    init_keys(box.keys_dir, "Test Election Office")
    assets = [
        register_existing(box, sample_photo(tmp_path / f"p{i}.jpg", 320, 240, seed=i), title="t")
        for i in range(2)
    ]
    shas = [a.sha256 for a in assets]
    assert preview_path(box, assets[0].id) is not None
    db_url = box.settings.resolved_database_url
    box.close()
    (home / "blobs" / "stray.txt").write_text("not a blob")

    settings = s3_settings(home, s3_env)
    report = copy_local_to_store(home, open_blob_store(settings))
    assert report.not_blobs == 1 and report.skipped == 0
    keys = objects(s3_server, s3_env["store"])
    for sha in shas:
        assert f"blobs/{sha[:2]}/{sha[2:4]}/{sha}" in keys
    assert f"previews/{shas[0]}.jpg" in keys and "log/checkpoint" in keys
    again = copy_local_to_store(home, open_blob_store(settings))  # resumable: nothing new
    assert again.bytes_copied < report.bytes_copied and again.skipped >= len(shas) + 1

    # the same box on the bucket: its log goes on from what was copied
    box = Instance(settings.model_copy(update={"database_url": db_url}))
    try:
        register_existing(box, sample_photo(tmp_path / "late.jpg", 320, 240, seed=7), title="t")
        with TransparencyLog.open(home, readonly=True) as log:
            size, vkey = log.size, log.vkey
        # a second box: another home, the same database and bucket
        other = Instance(s3_settings(tmp_path / "other", s3_env).model_copy(
            update={"database_url": db_url}))  # fmt: skip
        try:
            assert _audit(other, vkey) == size >= 3
            for sha in shas:
                assert other.blobs.path(sha).read_bytes() == (
                    home / "blobs" / sha[:2] / sha[2:4] / sha
                ).read_bytes()
        finally:
            other.close()
    finally:
        box.close()


def test_copy_needs_an_object_store(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--home", str(tmp_path / "h")]) == 78
    assert "MEDIAPROOF_BLOB_STORE is not set" in capsys.readouterr().err
