"""A long video analysed in parts gives the report the whole-file analysis gives
(services.job_parts; docs/queue.md, "Long media in parts").

The parts are read here in order, in this process, with a part length far below the
default (1 s), so every corpus video is several parts that start at key frames inside the
file; the queue tests (test_queue_parts.py) run the same steps through RabbitMQ. The
instance has a watermark key and a registered original, so the report holds vPDQ
candidates and the watermark detector's readings, not only "nothing found".
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from mediaproof.config import Settings
from mediaproof.fingerprint.fingerprints import fingerprint_file
from mediaproof.media.ingest import ingest_file
from mediaproof.media.sniff import MediaKind
from mediaproof.services.instance import Instance
from mediaproof.services.job_parts import plan_parts, read_part, seed_cache
from mediaproof.services.public_verify import verify_upload
from mediaproof.services.publishing import register_existing
from mediaproof.watermark import ensure_watermark_key
from mediaproof.watermark.analyzer import VIDEO_FRAMES_CACHE_KEY, read_marks

VIDEOS = "vpdq-tmk-threatexchange/videos"
PART_S = 1.0


@pytest.fixture(scope="module")
def inst(tmp_path_factory: pytest.TempPathFactory, corpora: Path) -> Any:
    home = tmp_path_factory.mktemp("parts-home")
    ensure_watermark_key(home)
    instance = Instance(Settings(home=home))
    # chair-19 is a cut of the same footage: its report has vPDQ candidates
    register_existing(instance, corpora / VIDEOS / "chair-20-sd-bar.mp4", title="chair")
    yield instance
    instance.close()


def _norm(report: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = json.loads(json.dumps(report))
    out.pop("analysed_at")
    return out


def _split(inst: Instance, path: Path, part_s: float = PART_S) -> tuple[int, dict[str, Any]]:
    spans = plan_parts(path, ingest_file(path, inst.settings.limits), part_s)
    assert spans is not None, "not split"
    reads = [read_part(path, s, inst.settings) for s in spans]
    assert all("error" not in r["video"] for r in reads), reads
    assert all(r["video"]["seeked"] for r in reads[1:])  # started at a key frame
    # JSON, as the parts' rows hold it
    reads = json.loads(json.dumps(reads))
    return len(spans), seed_cache(path, reads, inst.settings)


@pytest.mark.parametrize(
    ("name", "part_s"),
    [
        ("chair-19-sd-bar.mp4", PART_S),
        ("chair-20-sd-bar.mp4", PART_S),
        ("chair-22-sd-grey-bar.mp4", PART_S),
        ("doorknob-hd-no-bar.mp4", PART_S),
        ("pattern-hd-no-bar.mp4", PART_S),
        ("test-padded-dimensions.mp4", PART_S),
        # 614 frames in parts of 60: a tail of 14 frames (under a quarter part) is read
        # by the tenth part, which holds 74
        ("chair-20-sd-bar.mp4", 2.0),
    ],
)
def test_split_report_equals_whole_file_report(
    inst: Instance, corpora: Path, name: str, part_s: float
) -> None:
    path = corpora / VIDEOS / name
    n, cache = _split(inst, path, part_s)
    assert n >= 4
    if part_s == 2.0:
        spans = plan_parts(path, ingest_file(path, inst.settings.limits), part_s)
        assert spans is not None and [len(s.pts) for s in spans] == [60] * 9 + [74]
    # the fingerprint from the parts is the whole decode's, frame for frame (number,
    # timestamp, hash, quality), with the same MD5, size and sound track
    whole_fp = fingerprint_file(path, kind=MediaKind.VIDEO, limits=inst.settings.limits)
    assert cache["fingerprints"] == whole_fp
    # the watermark detector's sampled frames, read by the parts, vote as in one decode
    key, frames = cache[VIDEO_FRAMES_CACHE_KEY]
    assert len(frames) == 8
    assert read_marks(path, "video", key, 0, frames) == read_marks(path, "video", key, 0)

    split = _norm(verify_upload(inst, path, cache=cache))
    assert split == _norm(verify_upload(inst, path))
    if name.startswith("chair"):
        assert split["evidence"]["match"]["status"] == "found"
        assert any(c["signal"] == "vpdq" for c in split["evidence"]["match"]["data"]["candidates"])


def test_split_reads_a_watermarked_video_as_the_whole_file_does(
    inst: Instance, tmp_path: Path
) -> None:
    """A video marked with the instance's key: the parts' frames claim the mark, and the
    report is the whole-file one (a claimed ID of an unregistered asset)."""
    import av
    import numpy as np
    from skimage import data

    from mediaproof.watermark.models import Payload
    from mediaproof.watermark.video import embed_video

    src = tmp_path / "in.mp4"
    base = data.astronaut()
    with av.open(str(src), "w") as out:
        st = out.add_stream("libx264", rate=10)
        st.width, st.height, st.pix_fmt = 512, 512, "yuv420p"
        for i in range(40):
            frame = np.roll(base, 2 * i, axis=1)  # a slow pan
            for pkt in st.encode(av.VideoFrame.from_ndarray(frame, format="rgb24")):
                out.mux(pkt)
        for pkt in st.encode():
            out.mux(pkt)
    marked = tmp_path / "marked.mp4"
    key = ensure_watermark_key(inst.settings.home)
    embed_video(src, marked, Payload(4242, 0), key)
    n, cache = _split(inst, marked)
    assert n == 4
    split = _norm(verify_upload(inst, marked, cache=cache))
    assert split == _norm(verify_upload(inst, marked))
    wm = split["evidence"]["watermark"]["data"]
    assert wm["mediaproof"]["claimed"] and wm["mediaproof"]["payload"]["asset_id"] == 4242


def test_short_video_and_audio_are_not_split(inst: Instance, corpora: Path) -> None:
    path = corpora / VIDEOS / "doorknob-hd-no-bar.mp4"  # 4 s
    assert plan_parts(path, ingest_file(path, inst.settings.limits), 4.0) is None
    assert plan_parts(path, ingest_file(path, inst.settings.limits), 0) is None  # off
    wav = corpora / "c2pa-sdk-fixtures/c2pa-rs/sdk/tests/fixtures/sample1.wav"  # 33 s
    assert plan_parts(wav, ingest_file(wav, inst.settings.limits), 1.0) is None


def test_a_video_with_more_frames_than_the_limits_allow_is_not_split(
    inst: Instance, corpora: Path
) -> None:
    """Planning reads every frame's timestamp into memory: it stops at the frame count
    the duration limit allows (1000 fps) and leaves the file to the whole-file reads,
    which refuse it with their own error."""
    path = corpora / VIDEOS / "chair-19-sd-bar.mp4"  # ~19 s, ~570 frames
    media = ingest_file(path, inst.settings.limits)
    assert plan_parts(path, media, 2.0, inst.settings.limits) is not None
    tight = inst.settings.limits.model_copy(update={"max_duration_s": 0.1})  # 101 frames
    assert plan_parts(path, media, 2.0, tight) is None


def test_a_part_whose_numbering_fails_decodes_from_the_start(
    inst: Instance, corpora: Path
) -> None:
    """A frame whose timestamp the part's index does not hold: the part does not trust
    its numbering and decodes from the file's start, counting, as the whole file does,
    with the same readings."""
    from dataclasses import replace

    path = corpora / VIDEOS / "chair-19-sd-bar.mp4"
    spans = plan_parts(path, ingest_file(path, inst.settings.limits), 2.0)
    assert spans is not None
    span = spans[4]
    good = read_part(path, span, inst.settings)["video"]
    assert good["seeked"]
    pts = list(span.pts)
    pts[len(pts) // 2] += 1  # a timestamp no frame has
    bad = read_part(path, replace(span, pts=tuple(pts)), inst.settings)["video"]
    assert not bad["seeked"]
    assert bad == {**good, "seeked": False}


def test_without_a_broker_a_long_video_runs_whole(tmp_path: Path, corpora: Path) -> None:
    """No broker (the single-box default): the job runs on the server's thread as one
    analysis, whatever the part length says, and no part is written."""
    import shutil
    import time

    from mediaproof.config_cluster import QueueSettings
    from mediaproof.services.jobs import JobRunner, job_key
    from mediaproof.services.public_verify import verify_or_queue
    from mediaproof.storage.sql.repos_job_parts import JobPartRepo

    instance = Instance(Settings(home=tmp_path / "home", queue=QueueSettings(part_s=1.0)))
    jobs = JobRunner(instance.db, 60, 4)
    try:
        upload = tmp_path / "upload.mp4"
        shutil.copyfile(corpora / VIDEOS / "chair-19-sd-bar.mp4", upload)
        job = verify_or_queue(instance, jobs, upload, lambda: upload)
        assert not isinstance(job, dict)
        deadline = time.monotonic() + 240
        while jobs.get(job.id).status not in ("done", "failed"):
            assert time.monotonic() < deadline, "the job never ended"
            time.sleep(0.2)
        assert jobs.get(job.id).status == "done"
        assert JobPartRepo(instance.db).count(job_key(job.id)) == 0
    finally:
        jobs.shutdown()
        instance.close()


def _notice_row(inst: Instance, notice_id: str) -> tuple[dict[str, Any], dict[str, str]]:
    from sqlalchemy import select

    from mediaproof.storage.sql.tables_cases import NoticeRow

    with inst.db.session() as s:
        row = s.scalars(select(NoticeRow).where(NoticeRow.public_id == notice_id)).one()
        assert row.analysis is not None
        return _norm(json.loads(row.analysis)), json.loads(row.fingerprints or "{}")


def test_a_split_notice_analysis_attaches_what_the_whole_file_analysis_does(
    inst: Instance, corpora: Path
) -> None:
    """``notice.analyze`` of a long video in parts: the combine runs the notice's
    analysis with the parts' readings, and the notice gets the report and fingerprints
    (vPDQ frames, the sound track's Chromaprint) the whole-file analysis attaches."""
    import hashlib

    from mediaproof.cases.events import InMemoryEventSink
    from mediaproof.services.cases import CaseService
    from mediaproof.services.cases.intake_form import analyse_into
    from tests.factories import notice_input
    from tests.integration.test_exchange_db import T0

    path = corpora / VIDEOS / "chair-19-sd-bar.mp4"
    sha = hashlib.sha256(path.read_bytes()).hexdigest()
    svc = CaseService(inst.db, sink=InMemoryEventSink())
    ids = [
        svc.file_notice(
            notice_input(media_sha256=sha, mime="video/mp4", fingerprints={}), T0
        ).notice_id
        for _ in range(2)
    ]
    whole = analyse_into(inst, svc, ids[0], path)
    n, cache = _split(inst, path, 2.0)
    assert n == 10
    split = analyse_into(inst, svc, ids[1], path, cache)
    assert split == {**whole, "notice_id": ids[1]}
    report, prints = _notice_row(inst, ids[1])
    assert (report, prints) == _notice_row(inst, ids[0])
    assert set(prints) >= {"vpdq", "chromaprint"}
    assert report["evidence"]["match"]["status"] == "found"
