"""API tokens do not outlive a leak (issue 15): "revoke all" in the API, on the account
page and in the CLI; an operator's password reset revokes them; the CLI refuses to make
a token that could not work yet."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from fastapi import FastAPI
from fastapi.testclient import TestClient

from mediaproof.accounts.models import Role
from mediaproof.services import accounts
from tests.api.conftest import PASSWORD, bearer, login, make_app


def _works(c: TestClient, h: dict[str, str]) -> bool:
    return c.get("/api/v1/me", headers=h).status_code == 200


def test_revoke_all_over_the_api(app: FastAPI, client: TestClient) -> None:
    inst = app.state.ctx.inst
    one, two = (bearer(inst, "publisher", ["account"]) for _ in range(2))
    other = bearer(inst, "reviewer", ["account"])
    # tokens never manage tokens (like creating and revoking one): a signed-in session does
    assert client.post("/api/v1/tokens/revoke-all", headers=one).status_code == 403
    csrf = login(client, "publisher")
    assert client.post("/api/v1/tokens/revoke-all").status_code == 403  # no CSRF header
    r = client.post("/api/v1/tokens/revoke-all", headers={"x-csrf-token": csrf})
    assert r.status_code == 200 and r.json() == {"revoked": 2}
    assert not _works(client, one) and not _works(client, two)
    assert _works(client, other), "only the caller's tokens go"


def test_revoke_all_on_the_account_page(app: FastAPI, client: TestClient) -> None:
    h = bearer(app.state.ctx.inst, "publisher", ["account"])
    token = login(client, "publisher")
    page = client.get("/account/tokens").text
    assert 'id="revoke-all"' in page
    r = client.post("/account/tokens/revoke-all", data={"csrf_token": token})
    assert r.status_code == 200 and "Revoked 1 token." in r.text
    assert not _works(client, h)
    forged = client.post("/account/tokens/revoke-all", files={"x": (None, "")})
    assert forged.status_code == 403  # a multipart forgery without the token


def _change(client: TestClient, token: str, new: str, **extra: str) -> int:
    data = {"current": PASSWORD, "new": new, "repeat": new, "csrf_token": token, **extra}
    return client.post("/account/password", data=data, follow_redirects=False).status_code


def test_a_password_change_offers_to_revoke_tokens(app: FastAPI) -> None:
    inst = app.state.ctx.inst
    kept = bearer(inst, "publisher", ["account"])
    gone = bearer(inst, "reviewer", ["account"])
    with TestClient(app) as c:
        token = login(c, "publisher")
        assert 'id="revoke-tokens"' in c.get("/account/password").text
        assert _change(c, token, "another long password") == 303
        assert _works(c, kept), "without the box, tokens stay"
    with TestClient(app) as c:
        token = login(c, "reviewer")
        assert _change(c, token, "another long password", revoke_tokens="true") == 303
        assert not _works(c, gone)


def _cli(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "MEDIAPROOF_HOME": str(home)}
    return subprocess.run(
        [sys.executable, "-m", "mediaproof", "admin", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )


def test_operator_reset_revokes_tokens_and_create_token_explains(tmp_path: Path) -> None:
    home = tmp_path / "h"
    app = make_app(home)
    inst = app.state.ctx.inst
    accounts.create_user(inst, "newbie", Role.PUBLISHER, None)  # one-time password
    refused = _cli(home, "create-token", "newbie", "--name", "cms", "--scope", "publish")
    assert refused.returncode == 2, refused.stderr
    assert "must first change the one-time password" in refused.stderr
    h = bearer(inst, "publisher", ["publish", "account"])
    with TestClient(app) as c:
        assert _works(c, h)
        out = _cli(home, "reset-password", "publisher", "--json")
        assert out.returncode == 0, out.stderr
        otp = json.loads(out.stdout)["one_time_password"]
        assert not _works(c, h), "a reset revokes the tokens"
        _, user = accounts.login(inst, "publisher", otp)
        assert user.must_change_password
        # and the user gets a fresh token only after choosing a password
        refused = _cli(home, "create-token", "publisher", "--name", "x", "--scope", "publish")
        assert refused.returncode == 2
    h2 = bearer(inst, "reviewer", ["account"])
    out = _cli(home, "revoke-tokens", "reviewer")
    assert out.returncode == 0 and "revoked 1 token of reviewer" in out.stdout
    with TestClient(app) as c:
        assert not _works(c, h2)
