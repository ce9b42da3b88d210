"""Integer parameters are bounded everywhere: an out-of-range id is a 422 (or a 404 when
in range but unknown) in the API's error shape, never a 500 (issue 15, finding 9)."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from mediaproof.api.params import MAX_ID
from tests.api.conftest import login


def _int_schemas(node: Any, where: str) -> list[tuple[str, dict[str, Any]]]:
    out: list[tuple[str, dict[str, Any]]] = []
    if isinstance(node, dict):
        if node.get("type") == "integer":
            out.append((where, node))
        for k, v in node.items():
            out.extend(_int_schemas(v, f"{where}/{k}"))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            out.extend(_int_schemas(v, f"{where}/{i}"))
    return out


def test_every_integer_a_client_sends_is_bounded(app: FastAPI) -> None:
    spec = app.openapi()
    unbounded = []
    for path, ops in spec["paths"].items():
        for method, op in ops.items():
            for p in op.get("parameters", []):
                for where, s in _int_schemas(p.get("schema", {}), f"{method} {path} {p['name']}"):
                    if s.get("maximum", s.get("exclusiveMaximum", MAX_ID + 1)) > MAX_ID:
                        unbounded.append(where)
    assert not unbounded, unbounded


@pytest.mark.parametrize("raw", ["9223372036854775808", "0", "-1", "99999999999999999999999"])
def test_out_of_range_asset_ids_are_422(
    client: TestClient, raw: str, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.ERROR):
        r = client.get(f"/api/v1/assets/{raw}")
        assert r.status_code == 422, r.text
        assert r.json()["error"]["code"] == "invalid_request"
        r = client.get(f"/assets/{raw}")  # the page: an error page, not a crash
        assert r.status_code == 422
        assert "text/html" in r.headers["content-type"]
    assert not [rec for rec in caplog.records if rec.exc_info], "no traceback is logged"


def test_the_largest_id_is_a_plain_404(client: TestClient) -> None:
    r = client.get(f"/api/v1/assets/{MAX_ID}")
    assert r.status_code == 404
    assert r.json()["error"]["code"] == "not_found"


def test_out_of_range_ids_for_signed_in_routes(client: TestClient) -> None:
    token = login(client, "admin")
    h = {"x-csrf-token": token}
    for path in (
        f"/api/v1/assets/{MAX_ID + 1}/file",
        f"/api/v1/assets/{MAX_ID + 1}/withdraw",
        f"/api/v1/tokens/{MAX_ID + 1}",
    ):
        method = "GET" if path.endswith("/file") else ("DELETE" if "tokens" in path else "POST")
        r = client.request(method, path, headers=h)
        assert r.status_code == 422, (path, r.status_code, r.text)
    r = client.post(f"/account/tokens/{MAX_ID + 1}/revoke", data={"csrf_token": token})
    assert r.status_code == 422
