"""The contribution routes over HTTP: a peer token needs the contribute scope and a grant
(403 otherwise), duplicates are 409, bad bodies and the quality gate 422, unknown or
out-of-range ids 404/422; reviewers list, accept and reject, and a signed-in session's
POST needs the CSRF token."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.testclient import TestClient

from mediaproof.api.params import MAX_ID
from mediaproof.exchange.models import CollectionSpec
from mediaproof.services import exchange
from mediaproof.services.instance import Instance
from tests.api.conftest import bearer, login

URL = "/api/v1/exchange/collections/{c}/contributions"
REVIEW = "/api/v1/exchange/contributions"
PDQ = "5a" * 32
BODY = {
    "signal_type": "pdq",
    "value": PDQ,
    "tags": ["deepfake_of_candidate"],
    "reason": "Confirmed by two of our reviewers",
}


def _setup(inst: Instance) -> tuple[str, str, str]:
    exchange.create_collection(inst, CollectionSpec("confirmed", "County A"))
    exchange.create_collection(inst, CollectionSpec("other", "County A"))
    reader, _ = exchange.grant(inst, "confirmed", "county-d")
    opiner, _ = exchange.grant(inst, "confirmed", "county-e", opine=True)
    contributor, _ = exchange.grant(inst, "confirmed", "county-b", contribute=True)
    return reader, opiner, contributor


def test_submit_scopes_bodies_and_conflicts(
    app: FastAPI, inst: Instance, client: TestClient
) -> None:
    reader, opiner, peer = _setup(inst)

    def post(token: str, c: str = "confirmed", json: object = BODY) -> int:
        h = {"Authorization": f"Bearer {token}"}
        return client.post(URL.format(c=c), headers=h, json=json).status_code

    assert post(reader) == 403  # read scope only
    assert post(opiner) == 403  # opine scope only
    assert post(peer, c="other") == 403  # not granted: learns nothing
    assert post(peer, c="missing") == 403
    assert post(peer, c="x" * 64) == 422
    assert post(peer, json={**BODY, "extra": 1}) == 422
    assert post(peer, json={k: v for k, v in BODY.items() if k != "reason"}) == 422
    assert post(peer, json={**BODY, "reason": "x" * 1001}) == 422
    assert post(peer, json={**BODY, "quality": 101}) == 422
    assert post(peer, json={**BODY, "tags": ["t"] * 21}) == 422
    r = client.post(
        URL.format(c="confirmed"),
        headers={"Authorization": f"Bearer {peer}"},
        json={**BODY, "value": "00" * 32},
    )
    assert r.status_code == 422 and r.json()["error"]["code"] == "quality_gate"
    assert "flat or featureless" in r.json()["error"]["message"]
    r = client.post(
        URL.format(c="confirmed"),
        headers={"Authorization": f"Bearer {peer}"},
        json={**BODY, "quality": 30},
    )
    assert r.status_code == 422 and "quality 30 is below 50" in r.text
    assert post(peer, json={**BODY, "signal_type": "chromaprint"}) == 400  # not in collection
    assert post(peer) == 201
    assert post(peer) == 409  # pending already
    mine = client.get(URL.format(c="confirmed"), headers={"Authorization": f"Bearer {peer}"})
    assert mine.status_code == 200 and [c["status"] for c in mine.json()] == ["pending"]
    other = client.get(URL.format(c="confirmed"), headers={"Authorization": f"Bearer {opiner}"})
    assert other.status_code == 403
    # reviewers' routes are not for peers
    assert client.get(REVIEW, headers={"Authorization": f"Bearer {peer}"}).status_code == 403


def test_reviewers_accept_and_reject_with_csrf(
    app: FastAPI, inst: Instance, client: TestClient
) -> None:
    _, _, peer = _setup(inst)
    h = {"Authorization": f"Bearer {peer}"}
    first = client.post(URL.format(c="confirmed"), headers=h, json=BODY).json()["id"]
    second = client.post(
        URL.format(c="confirmed"), headers=h, json={**BODY, "value": "a1" * 32}
    ).json()["id"]
    csrf = login(client, "reviewer")
    listed = client.get(REVIEW, params={"status": "pending"})
    assert [c["id"] for c in listed.json()] == [second, first]
    assert client.get(REVIEW, params={"status": "maybe"}).status_code == 400
    assert client.get(REVIEW, params={"collection": "missing"}).status_code == 404

    r = client.post(f"{REVIEW}/{first}/accept")
    assert r.status_code == 403 and "csrf" in r.text
    r = client.post(f"{REVIEW}/{first}/accept", headers={"x-csrf-token": csrf})
    assert r.status_code == 200, r.text
    got = r.json()
    assert got["contribution"]["decided_by"] == "reviewer"
    assert (got["update"]["seq"], got["update"]["owner"]) == (1, "county-b")
    assert (
        client.post(f"{REVIEW}/{first}/accept", headers={"x-csrf-token": csrf}).status_code == 409
    )
    for bad, code in ((999, 404), (MAX_ID, 404), (MAX_ID + 1, 422), (0, 422)):
        r = client.post(f"{REVIEW}/{bad}/accept", headers={"x-csrf-token": csrf})
        assert r.status_code == code, (bad, r.text)

    url = f"{REVIEW}/{second}/reject"
    assert client.post(url, json={"reason": "no"}).status_code == 403  # no CSRF token
    assert client.post(url, json={}, headers={"x-csrf-token": csrf}).status_code == 422
    r = client.post(url, json={"reason": "Not synthetic"}, headers={"x-csrf-token": csrf})
    assert r.status_code == 200 and r.json()["contribution"]["status"] == "rejected"
    mine = {c["id"]: c for c in client.get(URL.format(c="confirmed"), headers=h).json()}
    assert mine[second]["decision_reason"] == "Not synthetic"
    assert mine[first]["seq"] == 1

    # a publisher (no review permission) may not decide
    client.post("/logout", headers={"x-csrf-token": csrf})
    pub = bearer(inst, "publisher", ["publish"])
    assert client.get(REVIEW, headers=pub).status_code == 403
