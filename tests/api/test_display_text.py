"""Operator-entered text that is shown in decisions and pages or signed into credentials
is refused at entry when it holds a bidirectional override, embedding or isolate or a
control character (mediaproof.display_text), with 422 ``invalid_request`` naming the
character: before, a protected official's name was stored as sent and an instance's
signing organisation was written into its certificates as sent. Right-to-left text and
the plain direction marks are accepted."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from mediaproof.errors import InvalidValueError, UsageError
from mediaproof.provenance.keys import init_keys
from mediaproof.services import accounts
from mediaproof.services import screening as svc
from mediaproof.services.instance import Instance
from tests.api.conftest import bearer


def _refused(r: object, char: str) -> None:
    assert r.status_code == 422, r.text  # type: ignore[attr-defined]
    err = r.json()["error"]  # type: ignore[attr-defined]
    assert err["code"] == "invalid_request" and f"U+{char}" in err["message"], err


def test_an_officials_names_are_checked_when_added(app: FastAPI, client: TestClient) -> None:
    h = bearer(app.state.ctx.inst, "admin", ["screen:manage"])
    for body, char in (
        ({"name": "Ana \u202eatadidnaC"}, "202E"),  # RIGHT-TO-LEFT OVERRIDE
        ({"name": "Ana Candidata", "aliases": ["A. \u2066C\u2069"]}, "2066"),  # an isolate
        ({"name": "Ana Candidata", "role": "returning\x07officer"}, "0007"),
    ):
        _refused(client.post("/api/v1/screen/officials", headers=h, json=body), char)
    assert client.get("/api/v1/screen/officials", headers=h).json() == []
    rtl = "\u0622\u0646\u0627 \u200f\u06a9\u0627\u0646\u062f\u06cc\u062f\u0627"
    r = client.post("/api/v1/screen/officials", headers=h, json={"name": rtl})
    assert r.status_code == 201, r.text
    assert r.json()["name"] == rtl


def test_an_officials_import_is_checked_before_anything_is_written(inst: Instance) -> None:
    records = [{"name": "Ana Candidata"}, {"name": "Bo", "role": "chair\u202d"}]
    with pytest.raises(InvalidValueError, match="U\\+202D"):
        svc.import_officials(inst, records)
    assert svc.list_officials(inst) == []


def test_the_signing_organisation_is_checked_before_keys_are_made(tmp_path: Path) -> None:
    keys = tmp_path / "keys"
    with pytest.raises(InvalidValueError, match="U\\+202E"):
        init_keys(keys, "Election \u202eeciffO")
    assert not keys.exists()
    init_keys(keys, "\u05d5\u05e2\u05d3\u05ea \u05d4\u05d1\u05d7\u05d9\u05e8\u05d5\u05ea")


def test_a_tools_name_is_its_user_name_which_is_plain_ascii(inst: Instance) -> None:
    """A generation tool signs as its account's user name ("Generated with <name>"), and
    a user name is lower-case ASCII: a hidden character never gets that far."""
    from mediaproof.accounts.models import Role

    with pytest.raises(UsageError):
        accounts.create_user(inst, "imagetool\u202e", Role.TOOLMAKER, "a long test password")


def test_a_collections_organisation_and_description_are_checked(inst: Instance) -> None:
    from mediaproof.exchange.models import CollectionSpec
    from mediaproof.services import exchange_collections as exchange

    with pytest.raises(InvalidValueError, match=r"organisation.*U\+2067"):
        exchange.create_collection(inst, CollectionSpec("elections", "County \u2067A"))
    with pytest.raises(InvalidValueError, match=r"description.*U\+202B"):
        exchange.create_collection(
            inst, CollectionSpec("elections", "County A", description="x\u202by")
        )
    assert exchange.list_collections(inst) == []
    made = exchange.create_collection(
        inst, CollectionSpec("elections", "County A", description="Line one.\nLine two.")
    )
    assert made["name"] == "elections"
