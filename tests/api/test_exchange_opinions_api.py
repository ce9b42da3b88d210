"""The opinion routes over HTTP: a peer token needs the opine scope (403 without), an
unknown signal is a 404, bad bodies are 422/400 in the API's error shape, and a signed-in
admin's POST needs the CSRF token like every other form of state change."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.testclient import TestClient

from mediaproof.api.params import MAX_ID
from mediaproof.exchange.models import Category, CollectionSpec, FeedRow, SignalType
from mediaproof.services import exchange
from mediaproof.services.instance import Instance
from mediaproof.storage.sql.repos_exchange import ExchangeRepository
from tests.api.conftest import login

PDQ = "a1" * 32
URL = "/api/v1/exchange/collections/{c}/signals/{s}/opinions"


def _collection(inst: Instance) -> None:
    """A collection with one signal (seq 1), written as a publisher's sync would."""
    exchange.create_collection(inst, CollectionSpec("confirmed", "County A"))
    exchange.create_collection(inst, CollectionSpec("other", "County A"))
    # no bank here: the row is appended as a sync appends a published signal
    with inst.db.session() as s:
        repo = ExchangeRepository(s)
        for name in ("confirmed", "other"):
            row = repo.collection(name)
            assert row is not None
            repo.append(
                row,
                FeedRow(
                    name,
                    1,
                    SignalType.PDQ,
                    PDQ,
                    Category.POSITIVE_CLASS,
                    (),
                    None,
                    "County A",
                    False,
                    "2026-12-06T06:00:00Z",
                ),
                row.created_at,
            )


def test_scopes_grants_and_ids(app: FastAPI, inst: Instance, client: TestClient) -> None:
    _collection(inst)
    reader, _ = exchange.grant(inst, "confirmed", "county-d")
    opiner, _ = exchange.grant(inst, "confirmed", "county-b", opine=True)
    body = {"opinion": "disputed", "reason": "It is labelled satire"}

    def post(token: str, c: str = "confirmed", s: object = 1, json: object = body) -> int:
        h = {"Authorization": f"Bearer {token}"}
        return client.post(URL.format(c=c, s=s), headers=h, json=json).status_code

    assert post(reader) == 403  # read scope only
    assert post(opiner, c="other") == 403  # not granted: learns nothing
    assert post(opiner, s=2) == 404  # no such signal in this collection
    assert post(opiner, s=MAX_ID) == 404
    assert post(opiner, s=MAX_ID + 1) == 422
    assert post(opiner, s=0) == 422
    assert post(opiner, c="x" * 64) == 422
    assert post(opiner, json={"opinion": "disputed"}) == 422
    assert post(opiner, json={**body, "extra": 1}) == 422
    assert post(opiner, json={**body, "reason": "x" * 1001}) == 422
    r = client.post(
        URL.format(c="confirmed", s=1),
        headers={"Authorization": f"Bearer {opiner}"},
        json={"opinion": "great", "reason": "x"},
    )
    assert r.status_code == 400 and r.json()["error"]["code"] == "usage"
    assert post(opiner) == 201
    got = client.get(URL.format(c="confirmed", s=1), headers={"Authorization": f"Bearer {reader}"})
    assert got.status_code == 200
    assert got.json()["counts"]["disputed"] == 1 and got.json()["acting"] is False


def test_a_session_post_needs_the_csrf_token(
    app: FastAPI, inst: Instance, client: TestClient
) -> None:
    _collection(inst)
    body = {"opinion": "confirmed", "reason": "Re-checked by two reviewers"}
    csrf = login(client, "admin")
    r = client.post(URL.format(c="confirmed", s=1), json=body)
    assert r.status_code == 403 and "csrf" in r.text
    r = client.post(URL.format(c="confirmed", s=1), json=body, headers={"x-csrf-token": csrf})
    assert r.status_code == 201, r.text
    assert r.json()["opinion"]["owner"] == "County A"  # the admin opines as the publisher
