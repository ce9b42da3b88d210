"""A platform checks a video over HTTP against a vPDQ signal pulled from a peer, on
SQLite and PostgreSQL: the file form hashes the video's frames at upload time, the
hashes form takes the platform's own vPDQ; a re-encoded copy of the signal's video opens
a review case naming the peer, an unrelated video gets nothing."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.testclient import TestClient

from mediaproof.exchange.models import SignalType
from mediaproof.media.sniff import MediaKind
from mediaproof.services.cases.intake_form import media_prints
from tests.api.test_upload_check import HASHES, app, inst_of, platform, post_file, sha
from tests.integration.test_exchange_match import row, source
from tests.integration.test_exchange_match_media import Media, media

__all__ = ["app", "media"]  # fixtures


def test_a_video_is_checked_on_its_frames(app: FastAPI, media: Media) -> None:
    inst = inst_of(app)
    vpdq = media_prints(inst, media.original, MediaKind.VIDEO)["vpdq"]
    source(inst, [row(1, vpdq, st=SignalType.VPDQ)], name="county-a")
    with TestClient(app) as c:
        code, out = post_file(c, platform(app), media.unrelated)
        assert code == 200 and out["action"] == "none", out
        assert "vpdq" in out["checked"]
        code, out = post_file(c, platform(app), media.copy)
        assert code == 200 and out["action"] == "review", out
        [hit] = out["received"]
        assert (hit["source"], hit["signal_type"], hit["log_index"]) == ("county-a", "vpdq", 0)
        # the same copy, hashed by the platform: joins the case it opened
        theirs = media_prints(inst, media.copy, MediaKind.VIDEO)["vpdq"]
        body = {"sha256": sha(media.copy), "vpdq": theirs}
        r = c.post(HASHES, headers=platform(app), json=body)
        assert r.status_code == 200 and r.json()["action"] == "review", r.text
        assert r.json()["case_number"] == out["case_number"]
        assert r.json()["checked"] == ["sha256", "vpdq"]
