"""Every route has an explicit access rule, and the rule holds for every role.

The route list comes from the app itself, so a new route without a rule in
mediaproof.api.access.ACCESS fails here (and is refused at run time).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.routing import iter_route_contexts
from fastapi.testclient import TestClient
from starlette.routing import Mount

from mediaproof.api.access import ACCESS
from tests.api.conftest import ROLES, csrf_of, login, make_app

PARAMS = {
    "asset_id": "1",
    "job_id": "no-such-job",
    "token_id": "999",
    "manifest_id": "urn:c2pa:nothing",
    "path": "checkpoint",
    "token": "no-such-token",
    "number": "C-2026-999999",
    "appeal_id": "no-such-appeal",
    "delivery_id": "no-such-delivery",
    "username": "nobody",
    "version": "2000-01-01",
    "enrolment_id": "no-such-enrolment",
    "report_id": "no-such-report",
    "notice_id": "no-such-notice",
    "collection": "no-such-collection",
    "signal_id": "1",
    "list_name": "no-such-list",
    "consent_id": "consent-00",
    "contribution_id": "1",
}
DENIED = (401, 403)


def routes(app: FastAPI) -> list[tuple[str, str, str]]:
    """(name, method, concrete path) for every route and mount of the app."""
    out = []
    for r in iter_route_contexts(app.routes):
        assert r.name and r.path, r
        if isinstance(r.original_route, Mount):
            out.append((r.name, "GET", r.path + "/style.css"))
            continue
        path = re.sub(r"\{(\w+)(:\w+)?\}", lambda m: PARAMS[m.group(1)], r.path)
        for method in sorted(r.methods or {"GET"}):
            if method != "HEAD":
                out.append((r.name, method, path))
    return out


# The policy, written out independently of the access table so that a wrong entry there
# fails here. "*" = anyone; "users" = any signed-in user; else the roles allowed.
PUBLIC, USERS = "*", "users"
PUBLISHERS = frozenset({"admin", "publisher"})
ADMINS = frozenset({"admin"})
REVIEWERS = frozenset({"admin", "reviewer"})
POLICY: dict[str, str | frozenset[str]] = {
    "openapi": PUBLIC,
    "static": PUBLIC,
    "health.healthz": PUBLIC,
    "health.readyz": PUBLIC,
    "health.metrics": PUBLIC,  # its own token; off (404) in these apps
    "verify.api": PUBLIC,
    "jobs.get": PUBLIC,
    "verify.image": PUBLIC,
    "assets.get": PUBLIC,
    "assets.preview": PUBLIC,
    "assets.file": PUBLISHERS,
    "assets.publish": PUBLISHERS,
    "assets.withdraw": PUBLISHERS,
    "softbinding.by_binding_get": PUBLIC,
    "softbinding.by_binding_post": PUBLIC,
    "softbinding.by_content": PUBLIC,
    "softbinding.manifest": PUBLIC,
    "softbinding.algorithms": PUBLIC,
    "log.file": PUBLIC,
    "account.me": USERS,
    "tokens.list": USERS,
    "tokens.create": USERS,
    "tokens.revoke": USERS,
    "tokens.revoke_all": USERS,
    "users.list": ADMINS,
    "users.create": ADMINS,
    "web.index": PUBLIC,
    "web.verify": PUBLIC,
    "web.job": PUBLIC,
    "web.login_form": PUBLIC,
    "web.login": PUBLIC,
    "web.logout": USERS,
    "web.password_form": USERS,
    "web.password": USERS,
    "web.tokens": USERS,
    "web.token_create": USERS,
    "web.token_revoke": USERS,
    "web.tokens_revoke_all": USERS,
    "web.publish_form": PUBLISHERS,
    "web.publish": PUBLISHERS,
    "web.asset": PUBLIC,
    # the case workflow: anyone reports, follows by secret token and appeals; reviewers
    # review; admins run webhooks and approve candidates
    "cases.notice_create": PUBLIC,
    "cases.status": PUBLIC,
    "cases.withdraw": PUBLIC,
    "cases.appeal_create": PUBLIC,
    "cases.my_notices": USERS,
    "cases.policy": PUBLIC,
    "cases.report_csv": PUBLIC,
    "cases.queue": REVIEWERS,
    "cases.show": REVIEWERS,
    "cases.decide": REVIEWERS,
    "cases.confirm": REVIEWERS,
    "cases.reject": REVIEWERS,
    "cases.appeal_decide": REVIEWERS,
    "cases.statements": REVIEWERS,
    "cases.statements_export": REVIEWERS,
    "cases.endpoints": ADMINS,
    "cases.endpoint_set": ADMINS,
    "cases.dead_letters": ADMINS,
    "cases.dead_letter_retry": ADMINS,
    "cases.candidates": ADMINS,
    "cases.candidate_approve": ADMINS,
    "cases.candidate_revoke": ADMINS,
    "web.report_form": PUBLIC,
    "web.report": PUBLIC,
    "web.status": PUBLIC,
    "web.withdraw": PUBLIC,
    "web.status_appeal": PUBLIC,
    "web.appeal_form": PUBLIC,
    "web.appeal": PUBLIC,
    "web.my_reports": USERS,
    "web.policy": PUBLIC,
    "web.policy_version": PUBLIC,
    "web.transparency": PUBLIC,
    "web.review_queue": REVIEWERS,
    "web.review_case": REVIEWERS,
    "web.review_media": REVIEWERS,
    "web.review_decide": REVIEWERS,
    "web.review_retry_analysis": REVIEWERS,
    "web.review_confirm": REVIEWERS,
    "web.review_reject": REVIEWERS,
    "web.likeness": ADMINS,
    "web.likeness_report": ADMINS,
    "web.exchange": REVIEWERS,
    "web.exchange_accept": REVIEWERS,
    "web.exchange_reject": REVIEWERS,
    "web.review_appeal": REVIEWERS,
    "web.webhooks": ADMINS,
    "web.endpoint_set": ADMINS,
    "web.dead_letter_retry": ADMINS,
    "web.candidates": ADMINS,
    "web.candidate_approve": ADMINS,
    "web.candidate_revoke": ADMINS,
    "likeness.enrol": ADMINS,
    "likeness.list": ADMINS,
    "likeness.show": ADMINS,
    "likeness.delete": ADMINS,
    "likeness.check": ADMINS,
    "likeness.alerts": ADMINS,
    "likeness.report": ADMINS,
    # the hash exchange: admins, and peers' tokens granted a collection (a peer's session
    # has no grant; tests/integration/test_exchange_db.py covers tokens)
    "hash_lists.list": ADMINS,
    "hash_lists.import": ADMINS,
    "hash_lists.match": ADMINS,
    "exchange.collections": ADMINS,
    "exchange.collection": ADMINS,
    "exchange.updates": ADMINS,
    "exchange.checkpoint": ADMINS,
    "exchange.consistency": ADMINS,
    "exchange.snapshot": ADMINS,
    # a peer's role may opine (the body is checked first here, so 422); the service then
    # wants a token with the opine scope granted the collection (test_exchange_opinions)
    "exchange.opine": frozenset({"admin", "peer"}),
    "exchange.opinions": ADMINS,
    # contributions come from a peer's token granted the contribute scope (never a
    # session: tests/api/test_exchange_contrib_api.py); the POST's body is checked first
    "exchange.contribute": frozenset({"admin", "peer"}),
    "exchange.my_contributions": frozenset(),
    "exchange.contributions": REVIEWERS,
    "exchange.contribution_accept": REVIEWERS,
    "exchange.contribution_reject": REVIEWERS,
    # prompt screening: generation tools screen; admins keep the lists and the record
    "screen.prompt": frozenset({"admin", "toolmaker"}),
    "screen.seeds": ADMINS,
    "screen.seed_add": ADMINS,
    "screen.officials": ADMINS,
    "screen.official_add": ADMINS,
    "screen.events": ADMINS,
    "screen.own_events": frozenset({"admin", "toolmaker"}),  # its own record, never others'
    # output screening: the same tools; consent records name enrolled people (admins)
    "screen.output": frozenset({"admin", "toolmaker"}),
    # platforms check their uploads against the bank and received signals (issue 18)
    "uploads.check": frozenset({"admin", "platform"}),
    "uploads.check_hashes": frozenset({"admin", "platform"}),
    "screen.output_file": frozenset({"admin", "toolmaker"}),
    "screen.consents": ADMINS,
    "screen.consent": ADMINS,
    "screen.consent_grant": ADMINS,
    "screen.consent_revoke": ADMINS,
    "screen.bans": ADMINS,
    "screen.ban_lift": ADMINS,
    # a tool's own webhook, and its users' appeals of blocks (a reviewer decides them)
    "screen.webhook": frozenset({"admin", "toolmaker"}),
    "screen.webhook_set": frozenset({"admin", "toolmaker"}),
    "screen.appeal": frozenset({"admin", "toolmaker"}),
}


def expected(name: str, who: str) -> str:
    allowed = POLICY[name]
    if allowed == PUBLIC:
        return "allowed"
    if who == "anonymous":
        return "unauthenticated"
    if allowed == USERS or who in allowed:
        return "allowed"
    return "forbidden"


@pytest.fixture(scope="module")
def matrix_app(tmp_path_factory: pytest.TempPathFactory) -> FastAPI:
    return make_app(Path(tmp_path_factory.mktemp("matrix")) / "instance")


def test_every_route_has_an_explicit_rule(matrix_app: FastAPI) -> None:
    names = [r.name for r in iter_route_contexts(matrix_app.routes)]
    assert len(names) == len(set(names)), "route names must be unique: they key the rules"
    missing = sorted(set(names) - set(ACCESS))
    assert not missing, f"routes without an access rule: {missing}"
    stale = sorted(set(ACCESS) - set(names))
    assert not stale, f"rules for routes that do not exist: {stale}"
    unreviewed = sorted(set(names) - set(POLICY))
    assert not unreviewed, f"add these routes to POLICY in this test: {unreviewed}"


def test_a_route_without_a_rule_is_refused(tmp_path: Path) -> None:
    app = make_app(tmp_path / "i")

    @app.get("/unruled", name="test.unruled")
    async def unruled() -> dict[str, str]:
        return {"secret": "x"}

    with TestClient(app) as c:
        r = c.get("/unruled", headers={"accept": "application/json"})
        assert r.status_code == 403
        assert "this endpoint has no access rule" in r.text
        assert "secret" not in r.text


@pytest.mark.parametrize("who", ["anonymous", *ROLES])
def test_access_matrix(matrix_app: FastAPI, who: str) -> None:
    with TestClient(matrix_app) as c:
        headers = {}
        if who != "anonymous":
            headers["x-csrf-token"] = login(c, who)
        else:
            headers["x-csrf-token"] = csrf_of(c.get("/login").text)  # anonymous form token
        todo = routes(matrix_app)
        # signing out ends the session: do it last
        todo.sort(key=lambda t: t[0] == "web.logout")
        failures = []
        for name, method, path in todo:
            want = expected(name, who)
            r = c.request(method, path, headers=headers, follow_redirects=False)
            code = r.status_code
            if code >= 500:  # a crash is a failure, never "allowed"
                failures.append(f"{who} {method} {path} ({name}): server error {code}")
                continue
            if code == 303 and r.headers.get("location", "").startswith("/login"):
                code = 401  # pages send people to the sign-in form instead
            got = {401: "unauthenticated", 403: "forbidden"}.get(code, "allowed")
            if r.status_code == 403 and "csrf_failed" in r.text:
                got = "csrf"  # must never happen with the right token
            if got != want:
                failures.append(f"{who} {method} {path} ({name}): want {want}, got {r.status_code}")
        assert not failures, "\n".join(failures)


def test_tokens_are_limited_to_their_scopes(matrix_app: FastAPI) -> None:
    from mediaproof.services import accounts
    from tests.api.conftest import _principal

    inst = matrix_app.state.ctx.inst
    admin = _principal(inst, "admin")
    secret, _ = accounts.create_token(inst, admin, "read-only", ["account"])
    with TestClient(matrix_app) as c:
        h = {"Authorization": f"Bearer {secret}"}
        assert c.get("/api/v1/me", headers=h).status_code == 200
        # the admin role could, but this token was not given the scope
        assert c.get("/api/v1/users", headers=h).status_code == 403
        assert c.post("/api/v1/assets", headers=h).status_code == 403
        # tokens never mint tokens
        r = c.post("/api/v1/tokens", headers=h, json={"name": "x", "scopes": ["account"]})
        assert r.status_code == 403


UNSAFE = ("POST", "PUT", "PATCH", "DELETE")
BOUNDARY = "mpboundary"


def _bodies(with_file: bool) -> dict[str, tuple[str, bytes]]:
    """One forged body per content type a browser (or a sibling origin) can send."""
    parts = [
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="name"\r\n\r\nx\r\n',
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="scope"\r\n\r\naccount\r\n',
    ]
    if with_file:
        parts.append(
            f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="a.bin"\r\n'
            "Content-Type: application/octet-stream\r\n\r\nnot media\r\n"
        )
    multipart = ("".join(parts) + f"--{BOUNDARY}--\r\n").encode()
    return {
        "multipart": (f"multipart/form-data; boundary={BOUNDARY}", multipart),
        "urlencoded": ("application/x-www-form-urlencoded", b"name=x&scope=account"),
        "json": ("application/json", b'{"name": "x", "scopes": ["account"]}'),
        "text/plain": ("text/plain", b'{"name": "x", "scopes": ["account"]}'),
        "none": ("", b""),
    }


def unsafe_routes(app: FastAPI) -> list[tuple[str, str, str]]:
    return [t for t in routes(app) if t[1] in UNSAFE]


@pytest.mark.parametrize("kind", ["multipart", "urlencoded", "json", "text/plain", "none"])
def test_session_requests_without_a_token_are_refused(matrix_app: FastAPI, kind: str) -> None:
    """Finding 1 of issue 15: a session cookie alone never acts, whatever the body."""
    with TestClient(matrix_app) as c:
        login(c, "admin")  # the admin may call every route: only the token is missing
        failures = []
        todo = sorted(unsafe_routes(matrix_app), key=lambda t: t[0] == "web.logout")
        assert len(todo) > 30
        for name, method, path in todo:
            ctype, body = _bodies(with_file=True)[kind]
            headers = {"content-type": ctype} if ctype else {}
            r = c.request(method, path, content=body, headers=headers, follow_redirects=False)
            if r.status_code != 403 or "csrf_failed" not in r.text:
                failures.append(f"{kind} {method} {path} ({name}): {r.status_code} {r.text[:80]}")
        assert not failures, "\n".join(failures)
        assert c.get("/api/v1/me").status_code == 200, "the forged logout signed us out"


@pytest.mark.parametrize("kind", ["multipart", "urlencoded", "json", "text/plain", "none"])
def test_anonymous_forms_need_the_token(matrix_app: FastAPI, kind: str) -> None:
    """Login CSRF and forged anonymous forms: a form route needs its token from anyone."""
    rules = ACCESS
    forms = [
        t for t in unsafe_routes(matrix_app) if rules[t[0]].form and rules[t[0]].who == "public"
    ]
    assert any(t[0] == "web.login" for t in forms)
    with TestClient(matrix_app) as c:
        c.get("/login")  # holds a valid anonymous token cookie; the forgery lacks the value
        failures = []
        for name, method, path in forms:
            ctype, body = _bodies(with_file=True)[kind]
            headers = {"content-type": ctype} if ctype else {}
            r = c.request(method, path, content=body, headers=headers, follow_redirects=False)
            if r.status_code != 403 or "csrf_failed" not in r.text:
                failures.append(f"{kind} {method} {path} ({name}): {r.status_code}")
        assert not failures, "\n".join(failures)


def test_multipart_form_with_the_right_token_is_accepted(matrix_app: FastAPI) -> None:
    """The repro of finding 1 fails without the token and works with it (non-upload
    route parsed in api.deps; upload routes keep their streaming check)."""
    with TestClient(matrix_app) as c:
        token = login(c, "publisher")
        data = {"name": "from a form", "scope": "account"}
        r = c.post("/account/tokens", files={"x": (None, "")}, data=data, follow_redirects=False)
        assert r.status_code == 403 and "csrf_failed" in r.text
        r = c.post(
            "/account/tokens",
            files={"x": (None, "")},
            data={**data, "csrf_token": token},
            follow_redirects=False,
        )
        assert r.status_code < 400, r.text
        # a streaming upload route: the token travels in the form, checked while parsing
        photo = ("a.bin", b"not media", "application/octet-stream")
        r = c.post("/publish", files={"file": photo}, data={"csrf_token": "wrong"})
        assert r.status_code == 403 and "csrf_failed" in r.text


def test_a_route_that_skips_the_deferred_check_fails_loudly(tmp_path: Path) -> None:
    """An upload route that acts without reading its body through the verifying readers
    is answered 500 (and logged), never let through."""
    from mediaproof.api import bodylimit

    app = make_app(tmp_path / "i")
    acted: list[str] = []

    @app.post("/api/v1/verify-forgetful", name="verify.api_forgetful")
    async def forgetful() -> dict[str, str]:
        acted.append("x")
        return {"ok": "yes"}

    ACCESS["verify.api_forgetful"] = ACCESS["verify.api"]
    routes_before = bodylimit.UPLOAD_ROUTES
    bodylimit.UPLOAD_ROUTES = routes_before | {("POST", "/api/v1/verify-forgetful")}
    try:
        import mediaproof.api.deps as deps

        deps.UPLOAD_ROUTES = bodylimit.UPLOAD_ROUTES
        with TestClient(app, raise_server_exceptions=False) as c:
            login(c, "admin")
            ctype, body = _bodies(with_file=True)["multipart"]
            r = c.post("/api/v1/verify-forgetful", content=body, headers={"content-type": ctype})
            assert r.status_code == 500
            assert "yes" not in r.text and r.json()["error"]["code"] == "internal_error"
    finally:
        bodylimit.UPLOAD_ROUTES = routes_before
        deps.UPLOAD_ROUTES = routes_before
        del ACCESS["verify.api_forgetful"]
