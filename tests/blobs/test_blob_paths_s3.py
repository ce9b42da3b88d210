"""The writers moved onto the blob interface, on a real S3-compatible server: registered
originals, notice uploads, previews and fingerprint index snapshots live in the bucket
(nothing under the instance folder), and a second instance on another home, sharing the
database and the bucket (a second machine), reads every one of them."""

from __future__ import annotations

import hashlib
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from mediaproof.accounts.models import Role
from mediaproof.api import create_app
from mediaproof.config_cluster import BlobSettings
from mediaproof.errors import BlobStoreError, NotFoundError
from mediaproof.media.samples import sample_photo
from mediaproof.provenance.keys import init_keys
from mediaproof.services import accounts
from mediaproof.services.fingerprints import SqlFingerprintLookup
from mediaproof.services.instance import Instance
from mediaproof.services.publishing import SignRequest, sign_and_register
from mediaproof.services.result_images import ResultImages
from mediaproof.services.verification import verify_file
from mediaproof.storage.blob_s3 import S3BlobStore
from mediaproof.storage.blob_snapshots import SnapshotShelf
from mediaproof.storage.blobs import ContentStore
from mediaproof.storage.sql.engine import Database
from mediaproof.storage.sql.migrate import upgrade
from tests.api.conftest import PASSWORD, bearer, make_settings, publish
from tests.api.test_cases_api import notice, signed_in
from tests.api.test_match_images import altered_copy
from tests.blobs.conftest import S3Server, s3_settings
from tests.factories import multipart_fields
from tests.integration.test_fingerprint_index_snapshot import _near, _register


def s3_app(home: Path, s3_env: dict[str, Any], db_url: str | None = None) -> FastAPI:
    """The API on an instance whose blobs are in the bucket, with a user of each role
    (``db_url``: another API process on the database of an earlier one)."""
    update: dict[str, Any] = {"blob": BlobSettings(**s3_env)}
    if db_url is not None:
        update["database_url"] = db_url
    app = create_app(make_settings(home).model_copy(update=update))
    inst: Instance = app.state.ctx.inst
    if db_url is None:
        init_keys(inst.keys_dir, "Test Election Office")
        for role in Role:
            accounts.create_user(inst, role.value, role, PASSWORD)
    return app


def objects(server: S3Server, store: str) -> list[str]:
    bucket, _, prefix = store.removeprefix("s3://").partition("/")
    pages = server.client().get_paginator("list_objects_v2").paginate(
        Bucket=bucket, Prefix=prefix + "/"
    )
    return [o["Key"][len(prefix) + 1 :] for p in pages for o in p.get("Contents", [])]


def _files(folder: Path) -> list[Path]:
    return [p for p in folder.rglob("*") if p.is_file()] if folder.exists() else []


def test_originals_live_in_the_bucket_and_another_box_reads_them(
    tmp_path: Path, s3_server: S3Server, s3_env: dict[str, Any]
) -> None:
    one = Instance(s3_settings(tmp_path / "one", s3_env))
    init_keys(one.keys_dir, "Test Election Office")
    src = sample_photo(tmp_path / "p.jpg", 320, 240)
    pub = sign_and_register(one, SignRequest(src=src, dest=tmp_path / "s.jpg", title="t"))
    sha = pub.media.sha256
    key = f"blobs/{sha[:2]}/{sha[2:4]}/{sha}"
    assert key in objects(s3_server, s3_env["store"])
    assert _files(tmp_path / "one" / "blobs") == []  # nothing kept on this box
    assert one.blobs.exists(sha)

    # another machine: its own home, the same database and bucket
    two = Instance(
        s3_settings(tmp_path / "two", s3_env).model_copy(
            update={"database_url": one.settings.resolved_database_url}
        )
    )
    try:
        local = two.blobs.path(sha)  # fetched into its cache, digest checked
        assert local.is_relative_to(tmp_path / "two" / "cache")
        assert local.read_bytes() == (tmp_path / "s.jpg").read_bytes()
        out = tmp_path / "copy.jpg"
        two.blobs.copy_to(sha, out)
        assert out.read_bytes() == local.read_bytes()
        # a stripped, re-encoded copy still leads back to the original kept in the bucket
        report = verify_file(two, altered_copy(out.read_bytes(), tmp_path / "alt.jpg"))
        data = report.as_dict()["evidence"]["match"]["data"]
        assert [str(a) for a in data["matched_assets"]] == [str(pub.asset.id)], data
        assert data["differences"]["asset_id"] == str(pub.asset.id)  # compared with it
        cached_on_one = one.blobs.path(sha)
        two.blobs.delete(sha)  # e.g. a retention sweep on the other box
        assert not one.blobs.exists(sha) and not local.exists()
        with pytest.raises(NotFoundError):
            one.blobs.path(sha)
        assert not cached_on_one.exists()  # its stale copy went on the next read
    finally:
        two.close()
        one.close()


def test_a_blob_altered_in_the_bucket_is_refused(
    tmp_path: Path, s3_server: S3Server, s3_env: dict[str, Any]
) -> None:
    inst = Instance(s3_settings(tmp_path / "h", s3_env))
    try:
        data = b"original bytes" * 1000
        sha = inst.blobs.put_bytes(data)
        bucket, _, prefix = s3_env["store"].removeprefix("s3://").partition("/")
        s3_server.client().put_object(
            Bucket=bucket, Key=f"{prefix}/{inst.blobs.key(sha)}", Body=b"swapped" * 1000
        )
        with pytest.raises(BlobStoreError, match="corrupt"):
            inst.blobs.path(sha)
        assert _files(tmp_path / "h" / "cache") == []  # no bad copy left behind
    finally:
        inst.close()


def test_notice_uploads_and_previews_go_to_the_bucket(
    tmp_path: Path, s3_server: S3Server, s3_env: dict[str, Any]
) -> None:
    app = s3_app(tmp_path / "instance", s3_env)
    inst: Instance = app.state.ctx.inst
    with TestClient(app) as client:
        # a reported file: kept for reviewers, in the bucket
        photo = sample_photo(tmp_path / "n.jpg", 640, 480, seed=3).read_bytes()
        fields = multipart_fields(notice())
        r = client.post("/api/v1/notices", data=fields, files={"file": ("clip.jpg", photo)})
        assert r.status_code == 201, r.text
        number, nid = r.json()["case_number"], r.json()["notice_id"]
        sha = hashlib.sha256(photo).hexdigest()
        assert f"blobs/{sha[:2]}/{sha[2:4]}/{sha}" in objects(s3_server, s3_env["store"])
        got = signed_in(app, "reviewer").get(f"/review/cases/{number}/notices/{nid}/media")
        assert got.status_code == 200 and got.content == photo

        # a registered original's preview, made once and kept in the bucket
        h = bearer(inst, "publisher", ["publish"])
        pub = publish(client, h, sample_photo(tmp_path / "p.jpg", 800, 600, seed=4))
        asset_id, asset_sha = pub["asset"]["asset_id"], pub["asset"]["sha256"]
        prev = client.get(f"/api/v1/assets/{asset_id}/preview")
        assert prev.status_code == 200 and prev.headers["content-type"] == "image/jpeg"
        assert f"previews/{asset_sha}.jpg" in objects(s3_server, s3_env["store"])
    assert _files(tmp_path / "instance" / "blobs") == []
    assert _files(tmp_path / "instance" / "previews") == []


def test_index_snapshot_is_published_and_mapped_from_a_checked_copy(
    tmp_path: Path, s3_server: S3Server, s3_env: dict[str, Any]
) -> None:
    db = Database(f"sqlite:///{tmp_path / 'fp.db'}")
    upgrade(db.engine)
    store = S3BlobStore.from_settings(s3_settings(tmp_path / "h", s3_env))
    try:
        rng = np.random.default_rng(11)
        old = _register(db, rng, 30)
        writer = SqlFingerprintLookup(
            db, snapshot_dir=tmp_path / "a" / "index", shelf=SnapshotShelf(store)
        )
        folder = writer.write_snapshot()
        keys = objects(s3_server, s3_env["store"])
        assert f"index/{folder.name}/MANIFEST.json" in keys and "index/CURRENT" in keys
        late = _register(db, rng, 1)

        # another machine: an empty local cache, the snapshot comes from the bucket
        reader = SqlFingerprintLookup(
            db, snapshot_dir=tmp_path / "b" / "index", shelf=SnapshotShelf(store)
        )
        found = reader.find_near("pdq", _near(late[0][1]), 31)
        assert [c.asset_id for c in found] == [str(late[0][0])]
        assert reader.progress.snapshot_rows == 30 * 8 and reader.progress.caught_up_rows == 8
        assert isinstance(reader._store._index["pdq"]._state.main.words, np.memmap)
        assert [c.asset_id for c in reader.find_near("pdq", old[2][1], 31)] == [str(old[2][0])]

        # a snapshot file altered in the bucket is not mapped: the rows are read instead
        bad = next(k for k in keys if k.startswith(f"index/{folder.name}/") and k.endswith(".npy"))
        store.put(bad, b"\x93NUMPY tampered")
        third = SqlFingerprintLookup(
            db, snapshot_dir=tmp_path / "c" / "index", shelf=SnapshotShelf(store)
        )
        assert [c.asset_id for c in third.find_near("pdq", old[2][1], 31)] == [str(old[2][0])]
        assert third.progress.snapshot_rows == 0 and third.progress.caught_up_rows == 31 * 8
        assert not (tmp_path / "c" / "index" / folder.name).exists()

        # a newer snapshot replaces the old one in the bucket
        newer = writer.write_snapshot()
        names = SnapshotShelf(store).names()
        assert names == [newer.name] and SnapshotShelf(store).current() == newer.name
    finally:
        db.dispose()


def test_heatmaps_are_answered_by_any_api_process(
    tmp_path: Path, s3_server: S3Server, s3_env: dict[str, Any]
) -> None:
    one_app = s3_app(tmp_path / "one", s3_env)
    one: Instance = one_app.state.ctx.inst
    with TestClient(one_app) as client:
        h = bearer(one, "publisher", ["publish"])
        pub = publish(client, h, sample_photo(tmp_path / "p.jpg", 480, 320, seed=11))
        signed = client.get(pub["download_url"], headers=h).content
        copy = altered_copy(signed, tmp_path / "copy.jpg")
        r = client.post("/api/v1/verify", files={"file": ("x.jpg", copy.read_bytes())})
        assert r.status_code == 200, r.text
        url = r.json()["evidence"]["match"]["data"]["heatmap_url"]
        mine = client.get(url)
        assert mine.status_code == 200 and mine.content.startswith(b"\x89PNG")
    token = url.rsplit("/", 1)[1]
    png = hashlib.sha256(mine.content).hexdigest()
    assert f"job-blobs/{png[:2]}/{png[2:4]}/{png}" in objects(s3_server, s3_env["store"])

    two_app = s3_app(tmp_path / "two", s3_env, db_url=one.settings.resolved_database_url)
    with TestClient(two_app) as client:
        theirs = client.get(url)  # made by the other process
        assert theirs.status_code == 200 and theirs.content == mine.content
        for bad in ("0-" + "a" * 24, token[:-1], ".x", "zz-" + "a" * 24, token + ".png"):
            assert client.get(f"/api/v1/verify/images/{bad}").status_code == 404, bad


def test_expired_heatmaps_are_not_served_and_are_swept(
    tmp_path: Path, s3_server: S3Server, s3_env: dict[str, Any]
) -> None:
    store = S3BlobStore.from_settings(s3_settings(tmp_path / "h", s3_env))
    db = Database(f"sqlite:///{tmp_path / 'images.db'}")
    upgrade(db.engine)
    try:
        blobs = ContentStore(store, "job-blobs", cache=tmp_path / "cache")
        old = ResultImages(db, blobs, keep_s=1.0).put(b"\x89PNG old")
        time.sleep(1.1)
        fresh = ResultImages(db, blobs, keep_s=60.0)
        with pytest.raises(NotFoundError):
            fresh.get(old)  # past its time, though still in the bucket; the miss sweeps it
        new = fresh.put(b"\x89PNG new")
        assert fresh.get(new) == b"\x89PNG new"
        kept = blobs.key(hashlib.sha256(b"\x89PNG new").hexdigest())
        assert list(store.list("job-blobs/")) == [kept]  # the old one was swept
    finally:
        db.dispose()
