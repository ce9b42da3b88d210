"""The reported file is kept for reviewers (and only them), served so that it cannot run
in the browser, fingerprinted whatever its kind, deleted when its retention ends, and a
background analysis lost to a stop runs again from it on the next start."""

from __future__ import annotations

import datetime as dt
import json
import time
import wave
from pathlib import Path

import numpy as np
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select, update
from typer.testing import CliRunner

from mediaproof.accounts.models import Role
from mediaproof.api import create_app
from mediaproof.cli.main import app as cli_app
from mediaproof.fingerprint.fingerprints import fingerprint_file
from mediaproof.matching.media_bank import fingerprint_map
from mediaproof.media.samples import sample_photo
from mediaproof.provenance.keys import init_keys
from mediaproof.services import accounts, notice_media
from mediaproof.storage.sql.tables_cases import CaseRow, NoticeRow
from tests.api.conftest import PASSWORD, bearer, make_settings, publish
from tests.api.test_cases_api import case_app, notice, signed_in
from tests.factories import multipart_fields
from tests.integration.test_case_media_index import VIDEOS

FIELDS = multipart_fields(notice())


def _post(client: TestClient, data: bytes, name: str, **kw: str) -> dict[str, str]:
    r = client.post("/api/v1/notices", data={**FIELDS, **kw}, files={"file": (name, data)})
    assert r.status_code == 201, r.text
    out: dict[str, str] = r.json()
    return out


def _notice(app: FastAPI, notice_id: str) -> NoticeRow:
    with app.state.ctx.inst.db.session() as s:
        row = s.scalars(select(NoticeRow).where(NoticeRow.public_id == notice_id)).one()
        s.expunge(row)
        return row


def _voice(path: Path, seconds: float, noise: float = 0.0) -> Path:
    rng = np.random.default_rng(1)
    t = np.arange(int(16000 * seconds)) / 16000
    sig = sum(np.sin(2 * np.pi * f * t) * (1 + np.sin(t * k)) for f, k in ((220, 3), (347, 5)))
    sig = sig + rng.normal(0, noise, t.size)
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(16000)
        w.writeframes((sig * 4000).astype("<i2").tobytes())
    return path


def test_reviewers_get_the_kept_file_and_nobody_else(tmp_path: Path) -> None:
    app = case_app(tmp_path / "instance")
    photo = sample_photo(tmp_path / "p.jpg", 640, 480, seed=3).read_bytes()
    with TestClient(app) as client:
        rec = _post(client, photo, "clip.jpg")
        number, nid = rec["case_number"], rec["notice_id"]
        row = _notice(app, nid)
        assert row.media_mime == "image/jpeg" and row.media_kept_until is not None
        left = row.media_kept_until.replace(tzinfo=dt.UTC) - dt.datetime.now(dt.UTC)
        assert dt.timedelta(days=199) < left <= dt.timedelta(days=200)  # the default
        url = f"/review/cases/{number}/notices/{nid}/media"

        rev = signed_in(app, "reviewer")
        assert url in rev.get(f"/review/cases/{number}").text  # linked on the case page
        r = rev.get(url)
        assert r.status_code == 200 and r.content == photo
        assert r.headers["content-type"] == "image/jpeg"
        assert r.headers["content-disposition"] == f'inline; filename="{number}-{nid}.jpeg"'
        assert "sandbox" in r.headers.get_list("content-security-policy")[0]
        assert r.headers["x-content-type-options"] == "nosniff"

        assert client.get(url, follow_redirects=False).status_code == 303  # to sign in
        assert signed_in(app, "reporter").get(url).status_code == 403
        # a notice id from another case is not found under this case
        other = _post(
            client,
            sample_photo(tmp_path / "q.jpg", 320, 240, seed=9).read_bytes(),
            "q.jpg",
            content_url="",
        )
        assert (
            rev.get(f"/review/cases/{number}/notices/{other['notice_id']}/media").status_code == 404
        )

        # a type that is not a plain image, sound or video is never shown inline
        with app.state.ctx.inst.db.session() as s:
            s.execute(
                update(NoticeRow)
                .where(NoticeRow.public_id == nid)
                .values(media_mime="image/svg+xml")
            )
        r = rev.get(url)
        assert r.headers["content-type"] == "application/octet-stream"
        assert r.headers["content-disposition"].startswith("attachment;")


def test_retention_sweep_deletes_what_nothing_else_keeps(tmp_path: Path) -> None:
    app = case_app(tmp_path / "instance")
    inst = app.state.ctx.inst
    photo = sample_photo(tmp_path / "p.jpg", 640, 480, seed=5).read_bytes()
    with TestClient(app) as client:
        a = _post(client, photo, "a.jpg")
        b = _post(client, photo, "b.jpg", content_url="https://other.example/x")  # same bytes
        sha = _notice(app, a["notice_id"]).media_sha256
        assert sha and inst.blobs.exists(sha)
        now = dt.datetime.now(dt.UTC)
        with inst.db.session() as s:  # the first notice's retention has ended
            s.execute(
                update(NoticeRow)
                .where(NoticeRow.public_id == a["notice_id"])
                .values(media_kept_until=now - dt.timedelta(seconds=1))
            )
        assert notice_media.sweep(inst, now) == 1
        assert inst.blobs.exists(sha)  # the second notice still keeps the same bytes
        rev = signed_in(app, "reviewer")
        gone = f"/review/cases/{a['case_number']}/notices/{a['notice_id']}/media"
        assert rev.get(gone).status_code == 404
        with inst.db.session() as s:
            s.execute(
                update(NoticeRow)
                .where(NoticeRow.public_id == b["notice_id"])
                .values(media_kept_until=now - dt.timedelta(seconds=1))
            )
        assert notice_media.sweep(inst, now) == 1
        assert not inst.blobs.exists(sha)
        assert _notice(app, b["notice_id"]).media_kept_until is None
        assert notice_media.sweep(inst, now) == 0


def test_keeping_can_be_switched_off(tmp_path: Path) -> None:
    settings = make_settings(tmp_path / "i", webhook_interval_s=3600, keep_notice_media=False)
    app = create_app(settings)
    with TestClient(app) as client:
        rec = _post(client, sample_photo(tmp_path / "p.jpg", 320, 240).read_bytes(), "p.jpg")
        row = _notice(app, rec["notice_id"])
        assert row.media_kept_until is None and row.media_sha256
        assert not app.state.ctx.inst.blobs.exists(row.media_sha256)


def _wait_analysis(app: FastAPI, nid: str) -> NoticeRow:
    deadline = time.monotonic() + 60
    while (row := _notice(app, nid)).analysis is None:
        assert time.monotonic() < deadline, "the background analysis never arrived"
        time.sleep(0.2)
    return row


def test_long_audio_is_fingerprinted_and_a_lost_analysis_resumes(tmp_path: Path) -> None:
    home = tmp_path / "i"
    settings = make_settings(home, webhook_interval_s=3600, job_audio_min_s=0)
    app = create_app(settings)
    accounts.create_user(app.state.ctx.inst, "reviewer", Role.REVIEWER, PASSWORD)
    first = _voice(tmp_path / "a.wav", 12).read_bytes()
    noisy = _voice(tmp_path / "b.wav", 12, noise=0.05).read_bytes()  # other bytes, same sound
    with TestClient(app) as client:
        a = _post(client, first, "a.wav")
        row = _wait_analysis(app, a["notice_id"])
        prints = json.loads(row.fingerprints)
        assert set(prints) == {"chromaprint"}  # taken at intake, even for long audio
        b = _post(client, noisy, "b.wav", content_url="https://other.example/y")
        assert b["case_number"] == a["case_number"] and b["joined_existing_case"]
        _wait_analysis(app, b["notice_id"])
    # a stop lost the analysis of the first notice: the next start runs it again
    with app.state.ctx.inst.db.session() as s:
        s.execute(
            update(NoticeRow)
            .where(NoticeRow.public_id == a["notice_id"])
            .values(analysis=None, fingerprints="{}")
        )
    again = create_app(settings)
    with TestClient(again):
        row = _wait_analysis(again, a["notice_id"])
        assert json.loads(row.analysis or "{}")["media"]["type"] == "audio/wav"
        assert json.loads(row.fingerprints) == prints


def test_a_video_notice_gets_vpdq_in_the_background_and_matches_at_once(
    tmp_path: Path, corpora: Path
) -> None:
    videos = corpora / VIDEOS
    app = case_app(tmp_path / "instance")
    with TestClient(app) as client:
        rec = _post(client, (videos / "chair-20-sd-bar.mp4").read_bytes(), "v.mp4")
        # the soundtrack's Chromaprint is taken at intake: another cut of the clip with
        # the same sound joins the case at once, whether or not the frames are hashed yet
        assert "chromaprint" in json.loads(_notice(app, rec["notice_id"]).fingerprints)
        other_cut = _post(client, (videos / "chair-19-sd-bar.mp4").read_bytes(), "w.mp4")
        assert other_cut["case_number"] == rec["case_number"]
        row = _wait_analysis(app, rec["notice_id"])
        assert json.loads(row.analysis or "{}")["media"]["type"] == "video/mp4"
        prints = json.loads(row.fingerprints)
        assert prints["vpdq"] and prints["chromaprint"]  # frames added to the intake print
        # this process's index took the new fingerprints in without a restart
        grey = videos / "chair-22-sd-grey-bar.mp4"
        fmap = fingerprint_map(fingerprint_file(grey), dihedral=False)
        case_id = app.state.cases.media_index.find_case_by_media("0" * 64, fmap)
        with app.state.ctx.inst.db.session() as s:
            number = s.scalars(select(CaseRow.number).where(CaseRow.id == case_id)).one()
        assert number == rec["case_number"]


def test_the_cli_sweeps_too(tmp_path: Path) -> None:
    home = tmp_path / "instance"
    app = case_app(home)
    inst = app.state.ctx.inst
    with TestClient(app) as client:
        rec = _post(
            client, sample_photo(tmp_path / "p.jpg", 320, 240, seed=2).read_bytes(), "p.jpg"
        )
    sha = _notice(app, rec["notice_id"]).media_sha256
    assert sha and inst.blobs.exists(sha)
    with inst.db.session() as s:
        s.execute(
            update(NoticeRow).values(
                media_kept_until=dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1)
            )
        )
    out = CliRunner().invoke(cli_app, ["cases", "sweep-media", "--home", str(home), "--json"])
    assert out.exit_code == 0, out.output
    assert json.loads(out.output) == {"released": 1}
    assert not inst.blobs.exists(sha)


def test_the_sweep_never_deletes_a_registered_original_or_release(tmp_path: Path) -> None:
    # the blob store is shared and keyed by content: a notice about an office's own
    # release holds the very bytes the registry keeps
    app = case_app(tmp_path / "instance")
    inst = app.state.ctx.inst
    init_keys(inst.keys_dir, "Test Election Office")
    photo = sample_photo(tmp_path / "p.jpg", 640, 480, seed=7)
    with TestClient(app) as client:
        h = bearer(inst, "publisher", ["publish"])
        asset = publish(client, h, photo)["asset"]
        release = client.get(f"/api/v1/assets/{asset['asset_id']}/file", headers=h).content
        ids = [
            _post(client, photo.read_bytes(), "o.jpg")["notice_id"],
            _post(client, release, "r.jpg", content_url="https://other.example/r")["notice_id"],
        ]
        digests = [_notice(app, n).media_sha256 for n in ids]
        assert digests[1] == asset["sha256"] and all(d and inst.blobs.exists(d) for d in digests)
        now = dt.datetime.now(dt.UTC)
        with inst.db.session() as s:
            s.execute(
                update(NoticeRow)
                .where(NoticeRow.public_id.in_(ids))
                .values(media_kept_until=now - dt.timedelta(seconds=1))
            )
        assert notice_media.sweep(inst, now) == 2
        # the release is what the registry keeps (as its original); the unsigned photo
        # it came from was never kept, so only the notice held it
        assert inst.blobs.exists(str(digests[1])) and not inst.blobs.exists(str(digests[0]))
        r = client.get(f"/api/v1/assets/{asset['asset_id']}/file", headers=h)
        assert r.status_code == 200 and r.content == release
