"""Issue 18's promise through the platform upload route, on two real `mediaproof serve`
processes: A's reviewers confirm a fake and A publishes it; a platform checking an
identical copy at A gets the label at once; B pulls A's collection, and a platform
uploading a resized, re-encoded copy to B's upload check (not a notice) gets a review
case that names A, by file and by its hashes alone; an unrelated picture gets nothing."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from mediaproof.accounts.models import Role
from mediaproof.config import Settings
from mediaproof.fingerprint.fingerprints import fingerprint_file
from mediaproof.media.samples import sample_photo
from mediaproof.services import accounts
from mediaproof.services.instance import Instance
from tests.e2e.exchange_support import (
    NOTICE,
    Pair,
    add_peer,
    cli,
    confirm_fake,
    pull,
    reencoded,
    two_instances,
)


def platform_token(home: Path) -> str:
    inst = Instance(Settings(home=home))
    try:
        accounts.create_user(inst, "acme", Role.PLATFORM, "a long test password")
        secret, _ = accounts.issue_token(inst, "acme", "uploads", ["uploads:check"])
        return secret
    finally:
        inst.close()


def platform_tokens(a_home: Path, b_home: Path) -> dict[str, Any]:
    return {"a_platform": platform_token(a_home), "b_platform": platform_token(b_home)}


@pytest.fixture(scope="module")
def pair(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pair]:
    root = Path(tmp_path_factory.mktemp("uploads"))
    with two_instances(root, before_serve=platform_tokens) as p:
        yield p


def test_b_upload_check_catches_a_confirmed_fake(pair: Pair) -> None:
    a, b, root = pair.a, pair.b, pair.root
    photo = sample_photo(root / "fake.jpg", seed=21)
    notice = {**NOTICE, "content_url": "https://social.example/p/1"}
    number = confirm_fake(pair, photo, notice, timeout=120)
    with httpx.Client(base_url=a.url, timeout=120) as c:
        # a platform checks an identical copy at A: the confirmed rule allows a label
        ha = {"Authorization": f"Bearer {pair.extra['a_platform']}"}
        r = c.post(
            "/api/v1/uploads/check",
            headers=ha,
            data={"content_url": "https://platform-a.example/v/7"},
            files={"file": ("x", photo.read_bytes())},
        )
        assert r.status_code == 200, r.text
        out = r.json()
        assert (out["action"], out["case_number"], out["automated_decision"]) == (
            "label",
            number,
            True,
        )
        assert "AI" not in out["label_text"] and "DM-1" in out["label_text"]
    cli(a.home, "create", "elections", "--organisation", "County A Elections")
    cli(a.home, "sync")
    add_peer(pair, "county-a")
    code, res = pull(b.home, "county-a")
    assert (code, res["status"]) == (0, "ok"), res

    copy = reencoded(photo, root / "copy.jpg", 0.7, 75)
    hb = {"Authorization": f"Bearer {pair.extra['b_platform']}"}
    with httpx.Client(base_url=b.url, timeout=120) as c:
        r = c.post(
            "/api/v1/uploads/check",
            headers=hb,
            data={"content_url": "https://platform-b.example/v/9", "location": "feed"},
            files={"file": ("copy.jpg", copy.read_bytes())},
        )
        assert r.status_code == 200, r.text
        out = r.json()
        assert out["action"] == "review" and out["applied"] is None, out
        assert out["bank_match"] is None  # B's own bank never saw it: A's signal caught it
        [hit] = out["received"]
        assert (hit["source"], hit["collection"]) == ("county-a", "elections")
        assert 0 < hit["distance"] <= 31
        # the same copy by its hashes alone joins the same case
        pdq = fingerprint_file(copy).image.pdq.hex  # type: ignore[union-attr]
        body = {"sha256": hashlib.sha256(copy.read_bytes()).hexdigest(), "pdq": pdq}
        r = c.post("/api/v1/uploads/check-hashes", headers=hb, json=body)
        assert r.status_code == 200, r.text
        assert r.json()["case_number"] == out["case_number"]
        # an unrelated picture: nothing
        other = sample_photo(root / "other.jpg", seed=99)
        r = c.post("/api/v1/uploads/check", headers=hb, files={"file": ("o", other.read_bytes())})
        assert r.status_code == 200 and r.json()["action"] == "none", r.text
