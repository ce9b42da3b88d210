"""Sign-in, sessions, CSRF, API tokens, users, and the first administrator."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import text

from mediaproof.services import accounts
from tests.api.conftest import PASSWORD, bearer, csrf_of, login, make_app


def test_passwords_are_stored_as_argon2id(inst) -> None:  # type: ignore[no-untyped-def]
    with inst.db.engine.connect() as c:
        hashes = [r[0] for r in c.execute(text("SELECT password_hash FROM users"))]
    assert hashes and all(h.startswith("$argon2id$") for h in hashes)
    assert not any(PASSWORD in h for h in hashes)


def test_login_sets_a_safe_session_cookie(client: TestClient) -> None:
    token = csrf_of(client.get("/login").text)
    r = client.post(
        "/login",
        data={"username": "publisher", "password": PASSWORD, "csrf_token": token},
        follow_redirects=False,
    )
    assert r.status_code == 303
    cookie = r.headers["set-cookie"].lower()
    assert "mp_session=" in cookie and "httponly" in cookie and "samesite=lax" in cookie
    assert "secure" not in cookie  # plain http here; https gets Secure (next test)
    me = client.get("/api/v1/me").json()
    assert me["user"]["username"] == "publisher" and me["via"] == "session"
    assert "password_hash" not in str(me)


def test_cookies_are_secure_over_https(app: FastAPI) -> None:
    with TestClient(app, base_url="https://testserver") as c:
        r = c.get("/login")
        assert "secure" in r.headers["set-cookie"].lower()


def test_login_without_csrf_token_is_refused(client: TestClient) -> None:
    r = client.post("/login", data={"username": "publisher", "password": PASSWORD})
    assert r.status_code == 403
    assert "csrf_failed" in r.text


def test_login_with_token_from_another_browser_is_refused(app: FastAPI) -> None:
    with TestClient(app) as a, TestClient(app) as b:
        token_a = csrf_of(a.get("/login").text)
        b.get("/login")
        r = b.post(
            "/login", data={"username": "publisher", "password": PASSWORD, "csrf_token": token_a}
        )
        assert r.status_code == 403


def test_wrong_password_and_unknown_user_look_the_same(client: TestClient) -> None:
    token = csrf_of(client.get("/login").text)
    bodies = []
    for user in ("publisher", "nobody"):
        r = client.post(
            "/login", data={"username": user, "password": "wrong password!", "csrf_token": token}
        )
        assert r.status_code == 401
        bodies.append("wrong user name or password" in r.text)
    assert bodies == [True, True]


def test_session_requires_csrf_for_unsafe_api_calls(client: TestClient) -> None:
    csrf = login(client, "admin")
    body = {"username": "newbie", "role": "reporter"}
    assert client.post("/api/v1/users", json=body).status_code == 403
    stale = client.post("/api/v1/users", json=body, headers={"x-csrf-token": "nope"})
    assert stale.status_code == 403
    r = client.post("/api/v1/users", json=body, headers={"x-csrf-token": csrf})
    assert r.status_code == 201
    assert len(r.json()["one_time_password"]) >= 20


def test_logout_ends_the_session(client: TestClient) -> None:
    csrf = login(client, "reviewer")
    cookie = client.cookies.get("mp_session")
    r = client.post("/logout", data={"csrf_token": csrf}, follow_redirects=False)
    assert r.status_code == 303
    client.cookies.set("mp_session", cookie or "")  # replaying the old cookie
    assert client.get("/api/v1/me").status_code == 401


def test_api_tokens_lifecycle(client: TestClient) -> None:
    csrf = login(client, "publisher")
    h = {"x-csrf-token": csrf}
    r = client.post("/api/v1/tokens", json={"name": "ci", "scopes": ["publish"]}, headers=h)
    assert r.status_code == 201
    secret, info = r.json()["token"], r.json()["info"]
    assert secret.startswith("mp_") and info["prefix"] == secret[:10]
    listed = client.get("/api/v1/tokens").json()
    assert [t["id"] for t in listed] == [info["id"]] and "token" not in listed[0]
    with TestClient(client.app) as machine:
        auth = {"Authorization": f"Bearer {secret}"}
        assert machine.get("/api/v1/me", headers=auth).json()["via"] == "token"
        assert client.delete(f"/api/v1/tokens/{info['id']}", headers=h).json()["revoked"]
        r = machine.get("/api/v1/me", headers=auth)
        assert r.status_code == 401 and r.json()["error"]["code"] == "unauthenticated"
        bad = machine.get("/api/v1/me", headers={"Authorization": "Bearer mp_forged"})
        assert bad.status_code == 401


def test_tokens_are_stored_hashed(client: TestClient, inst) -> None:  # type: ignore[no-untyped-def]
    h = bearer(inst, "admin", ["account"])
    secret = h["Authorization"].split()[1]
    with inst.db.engine.connect() as c:
        stored = [r[0] for r in c.execute(text("SELECT token_hash FROM api_tokens"))]
    assert secret not in stored and len(stored[0]) == 64


def test_token_scopes_cannot_exceed_the_role(client: TestClient) -> None:
    csrf = login(client, "reporter")
    r = client.post(
        "/api/v1/tokens",
        json={"name": "x", "scopes": ["publish"]},
        headers={"x-csrf-token": csrf},
    )
    assert r.status_code == 403
    r = client.post(
        "/api/v1/tokens", json={"name": "x", "scopes": ["fly"]}, headers={"x-csrf-token": csrf}
    )
    assert r.status_code == 400 and r.json()["error"]["hint"]


def test_malformed_authorization_header(client: TestClient) -> None:
    r = client.get("/api/v1/me", headers={"Authorization": "Basic dXNlcjpwYXNz"})
    assert r.status_code == 401


def test_first_admin_gets_a_one_time_password_to_change(tmp_path: Path) -> None:
    from mediaproof.api import create_app
    from tests.api.conftest import make_settings

    app = create_app(make_settings(tmp_path / "fresh"))
    inst = app.state.ctx.inst
    otp = accounts.ensure_first_admin(inst)
    assert otp and len(otp) >= 20
    assert accounts.ensure_first_admin(inst) is None  # only once
    with TestClient(app) as c:
        token = csrf_of(c.get("/login").text)
        r = c.post(
            "/login",
            data={"username": "admin", "password": otp, "csrf_token": token},
            follow_redirects=False,
        )
        assert r.headers["location"] == "/account/password"
        # nothing else works until the password is changed
        assert c.get("/api/v1/users").json()["error"]["code"] == "password_change_required"
        r = c.get("/publish", follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"] == "/account/password"
        csrf = csrf_of(c.get("/account/password").text)
        r = c.post(
            "/account/password",
            data={
                "current": otp,
                "new": "my own long password",
                "repeat": "my own long password",
                "csrf_token": csrf,
            },
            follow_redirects=False,
        )
        assert r.status_code == 303
        assert c.get("/api/v1/users").status_code == 200
    # the one-time password no longer works
    with TestClient(app) as c:
        token = csrf_of(c.get("/login").text)
        r = c.post("/login", data={"username": "admin", "password": otp, "csrf_token": token})
        assert r.status_code == 401


def test_login_is_rate_limited(tmp_path: Path) -> None:
    app = make_app(tmp_path / "i", rate_login_burst=3, rate_login_per_min=1)
    with TestClient(app) as c:
        token = csrf_of(c.get("/login").text)
        codes = [
            c.post(
                "/login", data={"username": "admin", "password": "guess " * 3, "csrf_token": token}
            ).status_code
            for _ in range(4)
        ]
        assert codes == [401, 401, 401, 429]


def test_admin_cli_creates_users(tmp_path: Path) -> None:
    import json
    import os
    import subprocess
    import sys

    env = {**os.environ, "MEDIAPROOF_HOME": str(tmp_path / "h")}
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "mediaproof",
            "admin",
            "create-user",
            "ed",
            "--role",
            "publisher",
            "--one-time-password",
            "--json",
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=True,
    )
    created = json.loads(out.stdout)
    assert created["user"]["role"] == "publisher" and created["user"]["must_change_password"]
    prompted = subprocess.run(
        [sys.executable, "-m", "mediaproof", "admin", "create-user", "al", "--role", "admin"],
        input="a long admin password\na long admin password\n",
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert prompted.returncode == 0, prompted.stderr
    dup = subprocess.run(
        [
            sys.executable,
            "-m",
            "mediaproof",
            "admin",
            "create-user",
            "al",
            "--role",
            "admin",
            "--one-time-password",
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert dup.returncode == 7 and "taken" in dup.stderr


def test_big_bodies_outside_upload_routes_are_refused(client: TestClient) -> None:
    token = csrf_of(client.get("/login").text)
    big = {"username": "x" * 70_000, "password": "y", "csrf_token": token}
    r = client.post("/login", data=big)
    assert r.status_code == 413

    def chunks():  # type: ignore[no-untyped-def]
        for _ in range(100):
            yield b'{"alg": "' + b"a" * 1000

    r = client.post(
        "/matches/byBinding", content=chunks(), headers={"content-type": "application/json"}
    )
    assert r.status_code == 413


def test_a_session_is_no_way_around_the_login_limit(tmp_path: Path) -> None:
    app = make_app(tmp_path / "i", rate_login_burst=2, rate_login_per_min=1)
    with TestClient(app) as c:
        login(c, "reporter")  # uses one attempt
        token = csrf_of(c.get("/").text)
        codes = [
            c.post(
                "/login", data={"username": "admin", "password": "guess " * 3, "csrf_token": token}
            ).status_code
            for _ in range(2)
        ]
        assert codes == [401, 429]


def test_admin_cli_issues_tokens(tmp_path: Path) -> None:
    import json
    import os
    import subprocess
    import sys

    from fastapi.testclient import TestClient as TC

    home = tmp_path / "h"
    app = make_app(home)
    env = {**os.environ, "MEDIAPROOF_HOME": str(home)}
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "mediaproof",
            "admin",
            "create-token",
            "publisher",
            "--name",
            "newsroom CMS",
            "--scope",
            "publish",
            "--json",
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=True,
    )
    secret = json.loads(out.stdout)["token"]
    with TC(app) as c:
        me = c.get("/api/v1/me", headers={"Authorization": f"Bearer {secret}"}).json()
        assert me["user"]["username"] == "publisher" and me["permissions"] == ["publish"]
    refused = subprocess.run(
        [
            sys.executable,
            "-m",
            "mediaproof",
            "admin",
            "create-token",
            "reporter",
            "--name",
            "x",
            "--scope",
            "publish",
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert refused.returncode == 11 and "cannot grant" in refused.stderr
