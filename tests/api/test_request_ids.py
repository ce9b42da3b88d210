"""Request ids on every log line of a request, in the answer's header, and no personal
data in the logs (mediaproof.api.logs, mediaproof.observability)."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from mediaproof.observability.logs import JsonFormatter, TextFormatter

log = logging.getLogger("mediaproof.test_rid")


class Capture(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []
        self.json: list[dict[str, Any]] = []
        self.text: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        # formatted here, in the thread that logged it (the request id is a context var)
        self.records.append(record)
        self.json.append(json.loads(JsonFormatter().format(record)))
        self.text.append(TextFormatter().format(record))


@pytest.fixture
def logs() -> Iterator[Capture]:
    cap = Capture()
    root = logging.getLogger("mediaproof")
    old = root.level
    root.addHandler(cap)
    root.setLevel(logging.DEBUG)
    try:
        yield cap
    finally:
        root.removeHandler(cap)
        root.setLevel(old)


def test_a_sane_incoming_id_is_kept_and_returned(client: TestClient, logs: Capture) -> None:
    r = client.get("/healthz", headers={"X-Request-ID": "edge-4f2a:9"})
    assert r.headers["x-request-id"] == "edge-4f2a:9"
    access = [j for j in logs.json if j["msg"] == "request"]
    assert access[-1]["rid"] == "edge-4f2a:9" and access[-1]["route"] == "/healthz"


@pytest.mark.parametrize(
    "incoming",
    ["", "x" * 65, "jane@example.org", "a b", "id\nforged: line", "ünïcode", "../../etc"],
)
def test_an_insane_incoming_id_is_replaced(
    client: TestClient, logs: Capture, incoming: str
) -> None:
    r = client.get("/healthz", headers={"X-Request-ID": incoming.encode("utf-8")})  # type: ignore[dict-item]
    rid = r.headers["x-request-id"]
    assert rid != incoming and len(rid) == 16 and int(rid, 16) >= 0
    assert logs.json[-1]["rid"] == rid


def test_ids_differ_between_requests_and_one_header_only(client: TestClient) -> None:
    a = client.get("/healthz")
    b = client.get("/healthz")
    assert a.headers["x-request-id"] != b.headers["x-request-id"]
    assert len(a.headers.get_list("x-request-id")) == 1


def test_every_line_a_request_causes_carries_its_id(
    client: TestClient, logs: Capture, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Lines logged by a service in Starlette's thread pool, not only the access line."""
    from mediaproof.api.routers import health

    real = health.readiness

    def noisy(inst: Any) -> dict[str, Any]:
        log.info("checking readiness")
        log.warning("a warning from the service")
        return real(inst)

    monkeypatch.setattr(health, "readiness", noisy)
    r = client.get("/readyz", headers={"X-Request-ID": "rid-every-line"})
    assert r.status_code == 200
    mine = [j for j in logs.json if j.get("rid") == "rid-every-line"]
    assert [j["msg"] for j in mine] == ["checking readiness", "a warning from the service",
                                        "request"]  # fmt: skip
    assert all("[rid-every-line]" in t for t in logs.text if "readiness" in t or "warning" in t)
    # and nothing outside the request has it
    log.info("after the request")
    assert "rid" not in logs.json[-1]
    assert "[-]" in logs.text[-1]


def test_no_personal_data_in_the_logs(
    client: TestClient, logs: Capture, photo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    secrets = {
        "name": "Jane-Q-Public",
        "email": "jane.public@example.org",
        "address": "203.0.113.77",
        "file": "Jane_Doe_passport_scan.jpg",
        "password": "hunter2-not-the-password",
        "cookie": "sessioncookievalue123",
        "query": "votersecretquery",
    }
    h = {"X-Forwarded-For": secrets["address"], "User-Agent": secrets["name"],
         "Cookie": f"mp_session={secrets['cookie']}",
         "X-Request-ID": secrets["email"]}  # fmt: skip
    client.post(
        f"/api/v1/verify?note={secrets['query']}&email={secrets['email']}",
        files={"file": (secrets["file"], photo.read_bytes(), "image/jpeg")},
        headers=h,
    )
    client.get(f"/api/v1/assets/12345?who={secrets['name']}", headers=h)
    client.get("/login", headers=h)
    client.post(
        "/login",
        data={"username": secrets["name"], "password": secrets["password"], "csrf_token": "x"},
        headers=h,
    )
    client.post(
        "/api/v1/verify",
        files={"file": (secrets["file"], b"not media at all", "image/jpeg")},
        headers=h,
    )
    client.get("/api/v1/assets/1", headers={"Authorization": f"Bearer {secrets['password']}"})
    assert len([j for j in logs.json if j["msg"] == "request"]) == 6
    out = "\n".join(json.dumps(j) for j in logs.json) + "\n".join(logs.text)
    for what, value in secrets.items():
        assert value not in out, what
        assert value.lower() not in out.lower(), what
