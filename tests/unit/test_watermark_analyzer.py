from __future__ import annotations

from pathlib import Path

from PIL import Image

from mediaproof.analysis.evidence import AnalysisContext, EvidenceStatus
from mediaproof.config import Settings
from mediaproof.media.ingest import ingest_file
from mediaproof.watermark import embed_image
from mediaproof.watermark.ai_marks import detect_ai_marks, embed_sd_v1, embed_sdxl
from mediaproof.watermark.analyzer import WatermarkAnalyzer
from mediaproof.watermark.keys import ensure_watermark_key


def _ctx(path: Path, home: Path) -> AnalysisContext:
    settings = Settings(home=home)
    return AnalysisContext(path=path, media=ingest_file(path, settings.limits), settings=settings)


def test_analyzer_reports_decoded_id(tmp_path: Path) -> None:
    from skimage import data

    key = ensure_watermark_key(tmp_path)
    path = tmp_path / "m.png"
    Image.fromarray(embed_image(data.astronaut(), 77, key)).save(path)
    ev = WatermarkAnalyzer().analyze(_ctx(path, tmp_path))
    assert ev.status is EvidenceStatus.FOUND
    assert ev.data["mediaproof"]["payload"]["asset_id"] == 77
    assert ev.limits


def test_analyzer_unmarked_is_not_found(tmp_path: Path) -> None:
    from skimage import data

    ensure_watermark_key(tmp_path)
    path = tmp_path / "u.png"
    Image.fromarray(data.astronaut()).save(path)
    ev = WatermarkAnalyzer().analyze(_ctx(path, tmp_path))
    assert ev.status is EvidenceStatus.NOT_FOUND
    assert ev.data["mediaproof"]["claimed"] is False


def test_stable_diffusion_marks() -> None:
    import pytest

    pytest.importorskip("imwatermark", reason="optional extra ai-marks (pulls torch)")
    from skimage import data

    img = data.astronaut()
    assert not any(m.found for m in detect_ai_marks(img))
    v1 = {m.name: m.found for m in detect_ai_marks(embed_sd_v1(img))}
    xl = {m.name: m.found for m in detect_ai_marks(embed_sdxl(img))}
    assert v1 == {"stable-diffusion-v1": True, "stable-diffusion-xl": False}
    assert xl == {"stable-diffusion-v1": False, "stable-diffusion-xl": True}


def test_video_frames_vote(tmp_path: Path) -> None:
    import av
    import numpy as np
    from skimage import data

    from mediaproof.watermark.models import Payload
    from mediaproof.watermark.video import detect_video, embed_video

    src = tmp_path / "in.mp4"
    base = data.astronaut()
    with av.open(str(src), "w") as out:
        st = out.add_stream("libx264", rate=10)
        st.width, st.height, st.pix_fmt = 512, 512, "yuv420p"
        for i in range(12):
            frame = np.roll(base, 2 * i, axis=1)  # a slow pan
            for pkt in st.encode(av.VideoFrame.from_ndarray(frame, format="rgb24")):
                out.mux(pkt)
        for pkt in st.encode():
            out.mux(pkt)
    key = b"video-key-000000000000000000000x"
    marked = tmp_path / "m.mp4"
    assert embed_video(src, marked, Payload(31337, 2), key) == 12
    det = detect_video(marked, key)
    assert det.claimed and det.payload == Payload(31337, 2)
    assert det.details["votes"]["31337"] >= 2
    assert not detect_video(src, key).claimed
