"""The transparency log's public files with an object store: the log's writer sends each
checkpoint's tiles to the bucket (checkpoint last), every API process serves /log/ from
there, and a second writer with a log of its own cannot overwrite the published one."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from mediaproof.media.samples import sample_photo
from mediaproof.services.instance import Instance
from mediaproof.transparency.client import LogClient
from mediaproof.transparency.log import TransparencyLog
from mediaproof.transparency.note import Ed25519Verifier
from tests.api.conftest import bearer, publish
from tests.blobs.conftest import S3Server
from tests.blobs.test_blob_paths_s3 import objects, s3_app


def _audit(client: TestClient, vkey: str) -> int:
    reader = LogClient("unused", Ed25519Verifier.from_vkey(vkey))
    reader.fetch = lambda path: client.get(f"/log/{path}").raise_for_status().content
    return reader.audit(None, full=True).entries_checked


def test_the_public_log_is_served_from_the_bucket(
    tmp_path: Path, s3_server: S3Server, s3_env: dict[str, Any]
) -> None:
    one_app = s3_app(tmp_path / "one", s3_env)
    one: Instance = one_app.state.ctx.inst
    with TestClient(one_app) as client:
        h = bearer(one, "publisher", ["publish"])
        for seed in range(3):
            publish(client, h, sample_photo(tmp_path / f"p{seed}.jpg", 320, 240, seed=seed))
        with TransparencyLog.open(one.home, readonly=True) as log:
            size, vkey = log.size, log.vkey
        public = one.home / "log"
        local = {p.relative_to(public).as_posix() for p in public.rglob("*") if p.is_file()}
        stored = {k.removeprefix("log/") for k in objects(s3_server, s3_env["store"])
                  if k.startswith("log/")}  # fmt: skip
        assert size >= 3 and "checkpoint" in stored and "log.vkey" in stored
        assert stored == local  # partial tiles that filled up went from the bucket too
        for rel in stored:
            assert one.blob_store.get(f"log/{rel}") == (public / rel).read_bytes(), rel
        assert _audit(client, vkey) == size

    # another API process on another box (its own home): serves the same log from the
    # bucket; its own writer's log is refused there and the published one stays whole
    two_app = s3_app(tmp_path / "two", s3_env)
    two: Instance = two_app.state.ctx.inst
    with TestClient(two_app) as client:
        before = client.get("/log/checkpoint")
        assert before.status_code == 200
        assert before.content == (one.home / "log" / "checkpoint").read_bytes()
        assert before.headers["cache-control"] == "no-cache"
        full = client.get("/log/tile/0/000.p/" + str(size)) if size < 256 else None
        assert full is None or full.status_code == 200
        publish(client, bearer(two, "publisher", ["publish"]),
                sample_photo(tmp_path / "q.jpg", 320, 240, seed=9))  # fmt: skip
        assert (two.home / "log" / "checkpoint").read_bytes() != before.content
        assert client.get("/log/checkpoint").content == before.content
        assert _audit(client, vkey) == size
        assert client.get("/log/../secret.key").status_code == 404
        assert client.get("/log/tile/9/999").status_code == 404
