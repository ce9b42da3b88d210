"""The matched original side by side with the difference heatmap, through the API."""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from PIL import Image, ImageDraw

from tests.api.conftest import bearer, csrf_of, make_app, publish


def altered_copy(signed: bytes, dest: Path) -> Path:
    """A re-post with its credentials stripped and a box painted over part of it."""
    with Image.open(io.BytesIO(signed)) as im:
        rgb = im.convert("RGB")
    ImageDraw.Draw(rgb).rectangle((200, 100, 230, 130), fill=(250, 20, 20))
    rgb.save(dest, "JPEG", quality=88)
    return dest


def _verify(client: TestClient, path: Path) -> dict[str, Any]:
    r = client.post("/api/v1/verify", files={"file": ("x.jpg", path.read_bytes())})
    assert r.status_code == 200, r.text
    out: dict[str, Any] = r.json()
    return out


def test_copy_gets_heatmap_and_original_preview(
    client: TestClient, inst: Any, photo: Path, tmp_path: Path
) -> None:
    h = bearer(inst, "publisher", ["publish"])
    pub = publish(client, h, photo)
    asset_id = pub["asset"]["asset_id"]
    signed = client.get(pub["download_url"], headers=h).content
    report = _verify(client, altered_copy(signed, tmp_path / "copy.jpg"))
    # the painted box is 0.6 % of the picture: an edit, so a changed copy (issue 14)
    assert report["assessment"]["label"] == "changed_copy_of_registered_original"
    data = report["evidence"]["match"]["data"]
    assert data["changed"]["regions"] >= 1 and data["changed"]["where"]
    assert data["original_url"] == f"/api/v1/assets/{asset_id}/preview"
    heat = client.get(data["heatmap_url"])
    assert heat.status_code == 200 and heat.headers["content-type"] == "image/png"
    with Image.open(io.BytesIO(heat.content)) as im:
        assert im.format == "PNG" and im.width > 0
    prev = client.get(data["original_url"])
    assert prev.status_code == 200 and prev.headers["content-type"] == "image/jpeg"
    with Image.open(io.BytesIO(prev.content)) as im:
        assert max(im.size) <= 640 and not im.info.get("exif")
    # the verify page shows both side by side
    csrf = csrf_of(client.get("/").text)
    r = client.post(
        "/verify?fragment=1",
        data={"csrf_token": csrf},
        files={"file": ("c.jpg", (tmp_path / "copy.jpg").read_bytes(), "image/jpeg")},
    )
    page = re.search(r'<div class="side-by-side">(.*?)</div>', r.text, re.S)
    assert page is not None
    assert f'src="/api/v1/assets/{asset_id}/preview"' in page.group(1)
    assert 'src="/api/v1/verify/images/' in page.group(1)
    # the token is the capability: another one finds nothing
    token = data["heatmap_url"].rsplit("/", 1)[1]
    assert len(token) >= 24
    r = client.get("/api/v1/verify/images/" + token[:-2] + "xx")
    assert r.status_code == 404 and r.json()["error"]["code"] == "not_found"


def test_no_preview_for_unknown_withdrawn_or_when_switched_off(tmp_path: Path, photo: Path) -> None:
    app = make_app(tmp_path / "off", original_previews=False)
    with TestClient(app) as c:
        inst = app.state.ctx.inst
        h = bearer(inst, "publisher", ["publish"])
        pub = publish(c, h, photo)
        signed = c.get(pub["download_url"], headers=h).content
        data = _verify(c, altered_copy(signed, tmp_path / "c.jpg"))["evidence"]["match"]["data"]
        assert "original_url" not in data and data["heatmap_url"]
        assert c.get(f"/api/v1/assets/{pub['asset']['asset_id']}/preview").status_code == 404
    app = make_app(tmp_path / "on")
    with TestClient(app) as c:
        assert c.get("/api/v1/assets/999/preview").status_code == 404
        inst = app.state.ctx.inst
        h = bearer(inst, "publisher", ["publish"])
        pub = publish(c, h, photo)
        asset_id = pub["asset"]["asset_id"]
        from mediaproof.storage.sql.tables import AssetRow

        with inst.db.session() as s:
            s.get(AssetRow, asset_id).status = "withdrawn"
        assert c.get(f"/api/v1/assets/{asset_id}/preview").status_code == 404


def test_result_images_expire_and_stay_bounded(tmp_path: Path) -> None:
    from mediaproof.errors import NotFoundError
    from mediaproof.services.result_images import ResultImages
    from mediaproof.storage.blobs import ContentStore, LocalBlobStore
    from mediaproof.storage.sql.engine import Database
    from mediaproof.storage.sql.migrate import upgrade

    db = Database(f"sqlite:///{tmp_path / 'images.db'}")
    upgrade(db.engine)
    blobs = ContentStore(LocalBlobStore(tmp_path), "blobs")
    store = ResultImages(db, blobs, keep_s=60, max_images=2)
    a, b, c = store.put(b"a"), store.put(b"b"), store.put(b"c")
    assert store.get(b) == b"b" and store.get(c) == b"c"
    try:
        store.get(a)
        raise AssertionError("the oldest image should have been dropped")
    except NotFoundError:
        pass
    gone = ResultImages(db, blobs, keep_s=0.0)
    t = gone.put(b"x")
    try:
        gone.get(t)
        raise AssertionError("an expired image should be gone")
    except NotFoundError:
        pass


def test_jobs_and_result_images_share_the_instance_blob_store(app: Any) -> None:
    """One job store per app, on the instance's open blob store: no second (for S3, no
    second and third client) opened beside it."""
    ctx = app.state.ctx
    assert ctx.jobs.blobs is ctx.images.blobs
    assert ctx.images.blobs.store is ctx.inst.blob_store
    assert ctx.images.blobs.namespace == "job-blobs"  # apart from the registry's blobs
