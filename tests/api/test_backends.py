"""The service on each database backend: sign in, publish, verify, resolve."""

from __future__ import annotations

import base64
import hashlib
import io
from pathlib import Path

from fastapi.testclient import TestClient
from PIL import Image

from mediaproof.accounts.models import Role
from mediaproof.api import create_app
from mediaproof.media.samples import sample_photo
from mediaproof.provenance.keys import init_keys
from mediaproof.services import accounts
from mediaproof.storage.sql.migrate import head_revision
from tests.api.conftest import PASSWORD, login, make_settings


def test_service_on_each_backend(tmp_path: Path, db_url: str) -> None:
    settings = make_settings(tmp_path / "inst").model_copy(update={"database_url": db_url})
    app = create_app(settings)
    inst = app.state.ctx.inst
    init_keys(inst.keys_dir, "Test Election Office")
    accounts.create_user(inst, "publisher", Role.PUBLISHER, PASSWORD)
    photo = sample_photo(tmp_path / "p.jpg", 320, 240)
    with TestClient(app) as c:
        assert c.get("/readyz").json()["schema_revision"] == head_revision(inst.db.engine)
        csrf = login(c, "publisher")
        r = c.post(
            "/api/v1/assets",
            headers={"x-csrf-token": csrf},
            data={"title": "On every backend"},
            files={"file": ("p.jpg", photo.read_bytes())},
        )
        assert r.status_code == 201, r.text
        signed = c.get(r.json()["download_url"]).content
        c.post("/logout", data={"csrf_token": csrf})
        rep = c.post("/api/v1/verify", files={"file": ("s", signed)}).json()
        assert rep["assessment"]["label"] == "signed_and_intact"
        value = base64.b64encode(hashlib.sha256(signed).digest()).decode()
        m = c.get("/matches/byBinding", params={"alg": "io.mediaproof.sha256", "value": value})
        label = m.json()["matches"][0]["manifestId"]
        assert c.get(f"/manifests/{label}").headers["content-type"] == "application/c2pa"
        # a stripped copy resolves by its PDQ fingerprint (the registry's rows on this backend)
        with Image.open(io.BytesIO(signed)) as im:
            buf = io.BytesIO()
            im.convert("RGB").save(buf, "JPEG", quality=80)
        m = c.post("/matches/byContent", content=buf.getvalue())
        assert [x["manifestId"] for x in m.json()["matches"]] == [label]
