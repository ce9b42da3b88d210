"""A platform checks its uploads (issue 18), on SQLite and PostgreSQL, over HTTP with a
``platform`` account's token and real corpus pictures: an identical copy of confirmed
media is labelled at once (an automated decision recorded on the confirmed case, with
words that name the rule and nothing more); a resized, re-encoded copy opens a review
case; an unrelated picture gets nothing; a signal a peer disputed makes people decide;
a signal pulled from a peer opens a review case naming the peer. Checking the same item
again adds nothing. Other roles are refused; bad hashes, oversized and hostile files get
a clear 4xx."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from PIL import Image

from mediaproof.accounts.models import Role
from mediaproof.api import create_app
from mediaproof.cases.models import NoticeCategory, Outcome
from mediaproof.exchange.models import CollectionSpec, InclusionRule, Require
from mediaproof.media.sniff import MediaKind
from mediaproof.provenance.keys import init_keys
from mediaproof.services import accounts, exchange
from mediaproof.services.cases import CaseService
from mediaproof.services.cases.intake_form import media_prints
from mediaproof.services.instance import Instance
from tests.api.conftest import PASSWORD, ROLES, bearer, login, make_settings
from tests.factories import decided_case, notice_input
from tests.integration.test_exchange_match import row, source

IMAGES = "pdq-threatexchange/images"
FAKE = f"{IMAGES}/bridge-mods/aaa-orig.jpg"
UNRELATED = f"{IMAGES}/misc-images/c.png"
DISPUTED = f"{IMAGES}/python-threatexchange-resources/rgb.jpeg"
PEERS_FAKE = f"{IMAGES}/python-threatexchange-resources/sample-b.jpg"
T0 = dt.datetime(2026, 11, 3, 9, 0, tzinfo=dt.UTC)
CHECK = "/api/v1/uploads/check"
HASHES = "/api/v1/uploads/check-hashes"
# words a label must not use unless the confirmed decision's rule says so
CLAIMS = ("AI", "generated", "deepfake", "synthetic", "Deepfake", "Synthetic")


def _app(home: Path, db_url: str | None = None, **service: Any) -> FastAPI:
    settings = make_settings(home, rate_exchange_burst=1000, **service)
    if db_url is not None:
        settings = settings.model_copy(update={"database_url": db_url})
    app = create_app(settings)
    inst: Instance = app.state.ctx.inst
    init_keys(inst.keys_dir, "Test Election Office")
    for role in ROLES:
        accounts.create_user(inst, role, Role(role), PASSWORD)
    return app


@pytest.fixture
def app(tmp_path: Path, db_url: str) -> Iterator[FastAPI]:
    a = _app(tmp_path / "inst", db_url)
    with TestClient(a):  # the lifespan: the fingerprint index, the case service
        yield a


@pytest.fixture
def sqlite_app(tmp_path: Path) -> Iterator[FastAPI]:
    a = _app(tmp_path / "inst")
    with TestClient(a):
        yield a


def inst_of(app: FastAPI) -> Instance:
    i: Instance = app.state.ctx.inst
    return i


def platform(app: FastAPI) -> dict[str, str]:
    return bearer(inst_of(app), "platform", ["uploads:check"])


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def prints(app: FastAPI, path: Path) -> dict[str, str]:
    return media_prints(inst_of(app), path, MediaKind.IMAGE)


def confirm(
    app: FastAPI,
    path: Path,
    *,
    category: NoticeCategory,
    rule_id: str,
) -> str:
    """A case about ``path`` that a reviewer decided to label."""
    svc: CaseService = app.state.cases
    notice = notice_input(
        category=category,
        media_sha256=sha(path),
        fingerprints=prints(app, path),
        mime="image/jpeg",
        content_url=f"https://video.example/{sha(path)[:8]}",
    )
    return decided_case(
        svc,
        notice,
        filed_at=T0,
        outcome=Outcome.LABEL,
        rule_id=rule_id,
        explanation="Reviewed against the official announcement: it is false.",
    ).case_number


def resized(src: Path, dest: Path) -> Path:
    with Image.open(src) as im:
        rgb = im.convert("RGB")
        rgb.resize((rgb.width * 3 // 4, rgb.height * 3 // 4)).save(dest, "JPEG", quality=70)
    return dest


def post_file(
    c: TestClient, headers: dict[str, str], path: Path, **fields: str
) -> tuple[int, dict[str, Any]]:
    r = c.post(CHECK, headers=headers, data=fields, files={"file": ("x", path.read_bytes())})
    return r.status_code, r.json()


def test_a_confirmed_fake_is_caught_at_the_next_upload(
    app: FastAPI, corpora: Path, tmp_path: Path
) -> None:
    fake = corpora / FAKE
    number = confirm(
        app, fake, category=NoticeCategory.FALSE_VOTING_INFORMATION, rule_id="DM-2"
    )
    h = platform(app)
    with TestClient(app) as c:
        # an identical copy: labelled now, by an automated decision on the confirmed case
        code, out = post_file(c, h, fake, content_url="https://social.example/p/1",
                              location="social.example feed")  # fmt: skip
        assert code == 200, out
        assert (out["action"], out["applied"], out["case_number"]) == ("label", "label", number)
        assert out["automated_decision"] is True and out["repeated"] is False
        assert out["bank_match"]["kind"] == "exact" and out["received"] == []
        assert "sha256" in out["checked"] and "pdq" in out["checked"]
        label = out["label_text"]
        assert "False information about when, where or how to vote" in label and number in label
        assert not any(w in label for w in CLAIMS), label  # the rule did not say so
        assert out["uploader_appeal_url"] and out["uploader_appeal_token"]
        detail = app.state.cases.show(number)
        auto = detail.decisions[-1]
        assert auto.automated and auto.reviewer == "auto:bank" and auto.outcome is Outcome.LABEL
        statements = len(detail.statements)
        # the platform checks the same item again (by file, then by hashes): nothing new
        code, again = post_file(c, h, fake, content_url="https://social.example/p/1")
        assert code == 200 and again["repeated"] is True
        assert again["action_id"] == out["action_id"] and again["uploader_appeal_token"] is None
        body = {"sha256": sha(fake), "content_url": "https://social.example/p/1"}
        r = c.post(HASHES, headers=h, json=body)
        assert r.status_code == 200 and r.json()["repeated"] is True, r.text
        assert len(app.state.cases.show(number).statements) == statements
        # a resized, re-encoded copy: a review case for people, nothing applied
        copy = resized(fake, tmp_path / "copy.jpg")
        code, near = post_file(c, h, copy, content_url="https://social.example/p/2")
        assert code == 200, near
        assert near["action"] == "review" and near["applied"] is None
        assert near["label_text"] is None and near["automated_decision"] is False
        assert near["bank_match"]["kind"] == "near" and near["bank_match"]["alg"] == "pdq"
        assert near["bank_match"]["confirmed_case"] == number
        assert near["case_number"] and near["case_number"] != number
        code, near2 = post_file(c, h, copy, content_url="https://social.example/p/2")
        assert near2["case_number"] == near["case_number"]  # joined, not a second case
        # its hashes alone find the same review case
        pdq = prints(app, copy)["pdq"]
        r = c.post(HASHES, headers=h, json={"sha256": sha(copy), "pdq": pdq})
        assert r.status_code == 200 and r.json()["case_number"] == near["case_number"], r.text
        # an unrelated picture: nothing
        code, none = post_file(c, h, corpora / UNRELATED)
        assert code == 200 and none["action"] == "none" and none["case_number"] is None
        assert none["bank_match"] is None and none["received"] == []


def test_a_rule_that_says_synthetic_is_quoted_as_the_rule(app: FastAPI, corpora: Path) -> None:
    fake = corpora / FAKE
    confirm(app, fake, category=NoticeCategory.DEEPFAKE_OF_CANDIDATE, rule_id="DM-1")
    with TestClient(app) as c:
        code, out = post_file(c, platform(app), fake)
    assert code == 200 and out["action"] == "label", out
    # the words are the rule's title, as the published policy names it
    assert "\u201cDeceptive synthetic media of candidates and officials\u201d (DM-1" in (
        out["label_text"]
    )
    assert "AI" not in out["label_text"] and "generated" not in out["label_text"]


def test_a_disputed_signal_makes_people_decide(app: FastAPI, corpora: Path) -> None:
    inst = inst_of(app)
    fake = corpora / DISPUTED
    number = confirm(app, fake, category=NoticeCategory.DEEPFAKE_OF_CANDIDATE, rule_id="DM-1")
    # published after one reviewer's final decision (the default asks for two)
    rule = InclusionRule(Require.FINAL_DECISION)
    exchange.create_collection(inst, CollectionSpec("confirmed", "County A", rule=rule))
    exchange.sync(inst)
    rows = exchange.updates(inst, None, "confirmed")["updates"]
    seq = next(u["seq"] for u in rows if u["value"] == prints(app, fake)["pdq"])
    secret, _ = exchange.grant(inst, "confirmed", "county-b", opine=True)
    b = accounts.token_principal(inst, secret)
    exchange.opine(inst, b, "confirmed", seq, "disputed", "Satire, clearly labelled")
    with TestClient(app) as c:
        code, out = post_file(c, platform(app), fake)
    assert code == 200, out
    assert out["action"] == "review" and out["applied"] is None and out["label_text"] is None
    assert out["bank_match"]["confirmed_case"] == number
    # no decision is added to the confirmed case, which stays decided; the identical copy
    # opens a case of its own in the review queue, so a reviewer here decides it (the
    # dispute waits for a reviewer to re-confirm the signal: docs/exchange.md)
    assert out["case_number"] != number and out["automated_decision"] is False
    detail = app.state.cases.show(number)
    assert [d.reviewer for d in detail.decisions] == ["alice"]
    assert detail.case.state.value == "decided"
    assert out["case_number"] in [c.number for c in app.state.cases.queue()]
    note = app.state.cases.show(out["case_number"]).notices[-1].explanation
    assert "a trusted peer disputed the signal" in note and number in note


def test_a_received_signal_opens_a_review_naming_the_peer(
    app: FastAPI, corpora: Path, tmp_path: Path
) -> None:
    inst = inst_of(app)
    theirs = corpora / PEERS_FAKE
    source(inst, [row(1, prints(app, theirs)["pdq"])], name="county-a")
    copy = resized(theirs, tmp_path / "copy.jpg")
    with TestClient(app) as c:
        code, out = post_file(c, platform(app), copy, content_url="https://social.example/p/9")
    assert code == 200, out
    assert out["action"] == "review" and out["applied"] is None and out["bank_match"] is None
    [hit] = out["received"]
    assert (hit["source"], hit["collection"], hit["log_index"]) == ("county-a", "elections", 0)
    assert hit["distance"] <= 31 and "value" not in hit
    case = app.state.cases.show(out["case_number"])
    assert "exchange peer county-a" in case.notices[0].explanation
    assert case.decisions == ()  # a third party's signal never acts alone


def test_only_platforms_and_admins_check(sqlite_app: FastAPI, corpora: Path) -> None:
    inst = inst_of(sqlite_app)
    body = {"sha256": "ab" * 32}
    with TestClient(sqlite_app) as c:
        assert c.post(HASHES, json=body).status_code == 401
        r = c.post(CHECK, files={"file": ("x", (corpora / FAKE).read_bytes())})
        assert r.status_code == 401
        for role in ("reviewer", "publisher", "reporter", "peer", "toolmaker"):
            h = bearer(inst, role, ["account"])
            assert c.post(HASHES, headers=h, json=body).status_code == 403, role
        # a platform token without the scope
        h = bearer(inst, "platform", ["account"])
        assert c.post(HASHES, headers=h, json=body).status_code == 403
        for who in ("platform", "admin"):
            r = c.post(HASHES, headers=bearer(inst, who, ["uploads:check"]), json=body)
            assert r.status_code == 200 and r.json()["action"] == "none", r.text
        # a platform's signed-in session needs the CSRF token, as every unsafe request
        csrf = login(c, "platform")
        r = c.post(HASHES, json=body)
        assert r.status_code == 403 and r.json()["error"]["code"] == "csrf_failed"
        r = c.post(HASHES, json=body, headers={"x-csrf-token": csrf})
        assert r.status_code == 200, r.text
        r = c.post(CHECK, files={"file": ("x", (corpora / UNRELATED).read_bytes())})
        assert r.status_code == 403 and r.json()["error"]["code"] == "csrf_failed"
        r = c.post(CHECK, data={"csrf_token": csrf},
                   files={"file": ("x", (corpora / UNRELATED).read_bytes())})  # fmt: skip
        assert r.status_code == 200, r.text


@pytest.mark.parametrize(
    "body",
    [
        {"sha256": "AB" * 32},  # upper case
        {"sha256": "ab" * 31},  # short
        {"sha256": "zz" * 32},  # not hex
        {"sha256": "ab" * 32, "pdq": "ab" * 33},
        {"sha256": "ab" * 32, "pdq": "0" * 64},  # flat: would match unrelated media
        {"sha256": "ab" * 32, "pdq": "f" * 64},
        {"sha256": "ab" * 32, "video_md5": "ab" * 15},
        {"sha256": "ab" * 32, "video_md5": "g" * 32},
        {"sha256": "ab" * 32, "md5": "ab" * 16},  # an unknown field
        {"pdq": "5a" * 32},  # no sha256
        {"sha256": "ab" * 32, "vpdq": "0" * 64},  # one flat frame: nothing usable
        {"sha256": "ab" * 32, "vpdq": "5a" * 32 + ",5a"},  # a short frame
        {"sha256": "ab" * 32, "vpdq": '["' + "5a" * 32 + ',40,0.0"]'},  # low quality only
        {"sha256": "ab" * 32, "vpdq": '{"0": "' + "5a" * 32 + '"}'},  # not a list
        {"sha256": "ab" * 32, "chromaprint": "0123456"},  # not whole 32-bit items
        {"sha256": "ab" * 32, "chromaprint": "zz" * 8},
        ["ab" * 32],
    ],
)
def test_bad_hashes_are_refused(sqlite_app: FastAPI, body: Any) -> None:
    with TestClient(sqlite_app) as c:
        r = c.post(HASHES, headers=platform(sqlite_app), json=body)
    assert r.status_code == 422, r.text
    assert "error" in r.json() or "detail" in r.json()


def test_bad_places_are_refused(sqlite_app: FastAPI) -> None:
    with TestClient(sqlite_app) as c:
        h = platform(sqlite_app)
        for url in ("javascript:alert(1)", "ftp://x.example/a", "https://x.example/" + "a" * 2000,
                    "https://x.example/\x00a", "https://x.example/ a"):  # fmt: skip
            r = c.post(HASHES, headers=h, json={"sha256": "ab" * 32, "content_url": url})
            assert r.status_code in (400, 422), (url, r.text)
        for loc in ("feed\x00", "x" * 501):
            r = c.post(HASHES, headers=h, json={"sha256": "ab" * 32, "location": loc})
            assert r.status_code in (400, 422), (loc, r.text)
        r = c.post(CHECK, headers=h, data={"location": "a\x07b"},
                   files={"file": ("x", b"\x89PNG")})  # fmt: skip
        assert r.status_code == 400 and "control characters" in r.json()["error"]["message"]


def test_oversized_and_hostile_files_get_a_clear_4xx(tmp_path: Path, corpora: Path) -> None:
    app = _app(tmp_path / "small", max_upload_bytes=50_000, rate_uploads_burst=1000)
    photo = (corpora / FAKE).read_bytes()
    with TestClient(app) as c:
        h = platform(app)
        r = c.post(CHECK, headers=h, files={"file": ("x", b"\xff" * 60_000)})
        assert r.status_code == 413 and r.json()["error"]["code"] == "limit_exceeded"
        r = c.post(CHECK, headers={**h, "content-type": "application/octet-stream"},
                   content=b"\x00" * 60_000)  # fmt: skip
        assert r.status_code == 413
        # a JSON hash check is small: the app-wide cap holds
        r = c.post(HASHES, headers={**h, "content-type": "application/json"},
                   content=b" " * 70_000)  # fmt: skip
        assert r.status_code == 413
        # not media at all
        r = c.post(CHECK, headers=h, files={"file": ("x.jpg", b"#!/bin/sh\nrm -rf /\n" * 10)})
        assert r.status_code == 415 and r.json()["error"]["code"] == "unsupported_media"
        # a JPEG cut short: refused, not "nothing matched"
        buf = io.BytesIO()
        Image.new("RGB", (400, 300), (120, 30, 200)).save(buf, "JPEG", quality=95)
        r = c.post(CHECK, headers=h, files={"file": ("x", buf.getvalue()[:600])})
        assert r.status_code == 422 and r.json()["error"]["code"] == "malformed_media", r.text
        r = c.post(CHECK, headers=h, files={"file": ("x", b"")})
        assert r.status_code == 400
        cut = b'--zz\r\nContent-Disposition: form-data; name="file"\r\n\r\nab'  # no end
        r = c.post(CHECK, headers={**h, "content-type": "multipart/form-data; boundary=zz"},
                   content=cut)  # fmt: skip
        assert r.status_code == 400, r.text
        assert len(photo) > 50_000  # the corpus photo itself is over this app's limit
    leftovers = list((tmp_path / "small" / "tmp").glob("upload-*"))
    assert leftovers == []  # every upload deleted after its answer


def test_checks_are_rate_limited_per_account(tmp_path: Path) -> None:
    app = _app(tmp_path / "rl", rate_uploads_burst=2, rate_uploads_per_min=1)
    with TestClient(app) as c:
        h = platform(app)
        codes = [c.post(HASHES, headers=h, json={"sha256": "ab" * 32}).status_code
                 for _ in range(3)]  # fmt: skip
        assert codes == [200, 200, 429]
        other = bearer(inst_of(app), "admin", ["uploads:check"])  # another account's bucket
        assert c.post(HASHES, headers=other, json={"sha256": "ab" * 32}).status_code == 200


def test_automated_copies_keep_the_reviewed_decision_in_force(
    app: FastAPI, corpora: Path
) -> None:
    """The bank's decisions on identical copies must not stand in for the reviewers':
    a removal that needed four eyes is applied to every later copy (not sent back to
    people because the previous copy's "reviewer" was the bank), and the signal stays
    in the exchange collection that publishes two-reviewer decisions."""
    inst = inst_of(app)
    fake = corpora / DISPUTED
    svc: CaseService = app.state.cases
    notice = notice_input(
        category=NoticeCategory.NON_CONSENSUAL_INTIMATE_DEEPFAKE,
        media_sha256=sha(fake),
        fingerprints=prints(app, fake),
        mime="image/jpeg",
    )
    number = decided_case(svc, notice, filed_at=T0, outcome=Outcome.REMOVE, rule_id="DM-3",
                          explanation="Intimate image made without consent.",
                          second_reviewer="bob", confirmed_at=T0).case_number  # fmt: skip
    exchange.create_collection(inst, CollectionSpec("confirmed", "County A"))
    exchange.sync(inst)
    published = exchange.updates(inst, None, "confirmed")["updates"]
    assert any(u["value"] == prints(app, fake)["pdq"] for u in published)
    with TestClient(app) as c:
        for n in (1, 2, 3):
            code, out = post_file(c, platform(app), fake, content_url=f"https://x.example/{n}")
            assert code == 200, out
            assert (out["action"], out["applied"], out["case_number"]) == (
                "remove", "remove", number)  # fmt: skip
            assert out["label_text"] is None  # removed, not labelled: nothing to show
    # three automated removals, and the reviewed decision still vouches for the signal
    assert [d.reviewer for d in svc.show(number).decisions].count("auto:bank") == 3
    assert exchange.sync(inst, "confirmed")[0].withdrawn == 0
