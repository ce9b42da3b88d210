"""Over HTTP: a signed-in reporter or appellant never decides their own matter, and an
appeal that turns "no action" into a removal waits for a second reviewer (issue 15)."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.api.test_cases_api import _decide, case_app, file_json, notice, signed_in

GROUNDS = {"grounds": "The voice is cloned; please look again."}


@pytest.fixture
def app(tmp_path: Path) -> FastAPI:
    return case_app(tmp_path / "instance")


def test_a_reviewer_cannot_decide_what_they_reported(app: FastAPI, client: TestClient) -> None:
    rev, rev2, rev3 = (signed_in(app, n) for n in ("reviewer", "reviewer2", "reviewer3"))
    rec = rev.post("/api/v1/notices", json=notice()).json()  # reported while signed in
    number = rec["case_number"]
    for outcome in ("no_action", "remove", "label"):
        r = _decide(rev, number, outcome)
        assert r.status_code == 403 and "reported or appealed" in r.text, r.text
    page = rev.post(
        f"/review/cases/{number}/decide",
        data={
            "outcome": "no_action",
            "rule_id": "DM-1",
            "explanation": "Nothing wrong with it at all.",
            "version": "1",
            "csrf_token": rev.headers["x-csrf-token"],
        },
    )
    assert page.status_code == 403 and "reported or appealed" in page.text
    assert _decide(rev2, number, "remove").status_code == 201
    r = rev.post(f"/api/v1/cases/{number}/confirm")
    assert r.status_code == 403 and "reported or appealed" in r.text
    assert rev3.post(f"/api/v1/cases/{number}/reject").status_code == 200
    # no action; the reporter (a reviewer) appeals with the status token, and may not
    # decide the appeal, nor confirm the removal it proposes
    assert _decide(rev2, number, "no_action").status_code == 201
    a = rev.post("/api/v1/appeals", json={"token": rec["status_token"], **GROUNDS})
    assert a.status_code == 201, a.text
    appeal_id = a.json()["appeal_id"]
    body = {
        "outcome": "reversed",
        "explanation": "Cloned voice; it goes.",
        "new_outcome": "remove",
        "rule_id": "DM-1",
    }
    r = rev.post(f"/api/v1/appeals/{appeal_id}/decision", json=body)
    assert r.status_code == 403 and "reported or appealed" in r.text
    ok = rev3.post(f"/api/v1/appeals/{appeal_id}/decision", json=body)
    assert ok.status_code == 200, ok.text
    assert ok.json()["case"]["state"] == "awaiting_second_review"
    assert ok.json()["new_decision"]["status"] == "proposed"
    assert ok.json()["restore_action_id"] is None
    r = rev.post(f"/api/v1/cases/{number}/confirm")
    assert r.status_code == 403 and "reported or appealed" in r.text
    r = rev3.post(f"/api/v1/cases/{number}/confirm")
    assert r.status_code == 403 and "different reviewer" in r.text
    admin = signed_in(app, "admin")
    done = admin.post(f"/api/v1/cases/{number}/confirm")
    assert done.status_code == 200 and done.json()["decision"]["status"] == "final"


def test_an_appeal_never_removes_alone(app: FastAPI, client: TestClient) -> None:
    """The reproduction of finding 2: no action, an appeal reversed to "remove" by one
    reviewer; nothing is removed until a second reviewer confirms."""
    rec = file_json(client)
    number = rec["case_number"]
    rev, rev2 = signed_in(app, "reviewer"), signed_in(app, "reviewer2")
    assert _decide(rev, number, "no_action").status_code == 201
    a = client.post("/api/v1/appeals", json={"token": rec["status_token"], **GROUNDS})
    body = {
        "outcome": "reversed",
        "explanation": "Cloned voice; it goes.",
        "new_outcome": "remove",
        "rule_id": "DM-1",
    }
    r = rev2.post(f"/api/v1/appeals/{a.json()['appeal_id']}/decision", json=body)
    assert r.status_code == 200 and r.json()["case"]["state"] == "awaiting_second_review"
    shown = rev.get(f"/api/v1/cases/{number}").json()
    assert shown["actions"] == [] and [d["status"] for d in shown["decisions"]] == [
        "final",
        "proposed",
    ]
    st = client.get(f"/api/v1/status/{rec['status_token']}").json()
    assert "second reviewer" in str(st["statements"])
    r = rev2.post(f"/api/v1/cases/{number}/confirm")
    assert r.status_code == 403
    done = rev.post(f"/api/v1/cases/{number}/confirm")
    assert done.status_code == 200
    assert [x["action"] for x in rev.get(f"/api/v1/cases/{number}").json()["actions"]] == ["remove"]
