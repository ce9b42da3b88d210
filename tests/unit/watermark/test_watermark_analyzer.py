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


def test_sdxl_mark_as_diffusers_embeds_it() -> None:
    """diffusers' StableDiffusionXLWatermarker hands the encoder the VAE's RGB float array
    (v0.18-0.2x); the reference code hands it BGR. Both are found, each in its order."""
    import pytest

    pytest.importorskip("imwatermark", reason="optional extra ai-marks (pulls torch)")
    from skimage import data

    from mediaproof.watermark.ai_marks import embed_sdxl_diffusers

    img = data.astronaut()
    marks = {m.name: m for m in detect_ai_marks(embed_sdxl_diffusers(img))}
    assert marks["stable-diffusion-xl"].found
    assert marks["stable-diffusion-xl"].channel_order == "rgb"
    assert not marks["stable-diffusion-v1"].found
    ref = {m.name: m for m in detect_ai_marks(embed_sdxl(img))}
    assert ref["stable-diffusion-xl"].found and ref["stable-diffusion-xl"].channel_order == "bgr"
    # later diffusers releases flip to BGR first: the mark reads in the reference order
    newer = {m.name: m for m in detect_ai_marks(embed_sdxl_diffusers(data.rocket(), True))}
    assert newer["stable-diffusion-xl"].found
    assert newer["stable-diffusion-xl"].channel_order == "bgr"
    # the unmarked photos stay unmarked in both orders
    for plain in (img, data.rocket()):
        assert not any(m.found for m in detect_ai_marks(plain))


def test_vectorised_dwtdct_decoder_equals_the_library() -> None:
    """detect_ai_marks reads all blocks in one numpy pass; the library loops in Python.
    Both must give the same bits for every length, on odd sizes, marked and not."""
    import io

    import numpy as np
    import pytest

    pytest.importorskip("imwatermark", reason="optional extra ai-marks (pulls torch)")
    from skimage import data

    from mediaproof.watermark.ai_marks import _bits_from_votes, _decode_dwtdct, _dwtdct_votes

    rng = np.random.default_rng(3)
    base = data.astronaut()
    images = [base, embed_sd_v1(base), embed_sdxl(base), base[:301, :479], base[3:, 5:262]]
    buf = io.BytesIO()
    Image.fromarray(embed_sd_v1(base)).save(buf, "JPEG", quality=90)
    images.append(np.asarray(Image.open(io.BytesIO(buf.getvalue())).convert("RGB")))
    images.append(rng.integers(0, 256, (333, 517, 3), dtype=np.uint8))
    for img in images:
        bgr = np.ascontiguousarray(img[:, :, 2::-1])
        votes = _dwtdct_votes(bgr)
        for n_bits in (48, 136, 7):
            assert np.array_equal(_bits_from_votes(votes, n_bits), _decode_dwtdct(bgr, n_bits))


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


def _video_with_speech(path: Path, corpora: Path, seconds: float = 4.0) -> None:
    """A 512 px pan over a photo with a LibriSpeech soundtrack (stereo AAC in MP4)."""
    import av
    import numpy as np
    import soundfile as sf
    from skimage import data

    speech, sr = sf.read(
        corpora / "likeness/voices/librispeech_test-other/1688/1688-142285-0000.flac",
        dtype="float32",
    )
    speech = np.ascontiguousarray(np.stack([speech, speech])[:, : int(seconds * sr)])
    base = data.astronaut()
    fps = 4
    with av.open(str(path), "w") as out:
        vs = out.add_stream("libx264", rate=fps)
        vs.width, vs.height, vs.pix_fmt = 512, 512, "yuv420p"
        aus = out.add_stream("aac", rate=sr)
        aus.layout = "stereo"
        for i in range(int(seconds * fps)):
            frame = np.roll(base, 2 * i, axis=1)
            for pkt in vs.encode(av.VideoFrame.from_ndarray(frame, format="rgb24")):
                out.mux(pkt)
        for pkt in vs.encode():
            out.mux(pkt)
        for i in range(0, speech.shape[1], 1024):
            af = av.AudioFrame.from_ndarray(
                np.ascontiguousarray(speech[:, i : i + 1024]), format="fltp", layout="stereo"
            )
            af.sample_rate, af.pts = sr, i
            for pkt in aus.encode(af):
                out.mux(pkt)
        for pkt in aus.encode():
            out.mux(pkt)


def test_video_soundtrack_is_marked_and_remuxed(tmp_path: Path, corpora: Path) -> None:
    import av

    from mediaproof.watermark import AUDIO_SCHEME
    from mediaproof.watermark.mediaio import load_audio
    from mediaproof.watermark.models import Payload
    from mediaproof.watermark.video import detect_video, embed_video_with_report

    src, marked = tmp_path / "in.mp4", tmp_path / "m.mp4"
    _video_with_speech(src, corpora)
    # a fixed key: the audio mark misses on a 4 s clip for a few keys in a hundred
    # (measured by the bench, not here), and a random key would make this test flaky
    key = b"video-soundtrack-key-00000000001"
    wk = tmp_path / "keys" / "watermark.key"
    wk.parent.mkdir(mode=0o700)
    wk.write_bytes(key)
    wk.chmod(0o600)
    assert ensure_watermark_key(tmp_path) == key  # the analyzer reads the instance's key
    rep = embed_video_with_report(src, marked, Payload(424242, 1), key)
    assert rep.frames == 16 and rep.audio_track and rep.audio_marked
    with av.open(str(marked)) as c:
        assert c.streams.audio[0].codec_context.name == "aac"
        assert c.streams.audio[0].codec_context.channels == 2
        assert c.streams.audio[0].duration is not None
    det = detect_video(marked, key)
    assert det.claimed and det.payload == Payload(424242, 1)
    samples, rate = load_audio(marked)
    assert samples.size >= 3.9 * rate  # the whole soundtrack came through
    audio = AUDIO_SCHEME.detect(samples, key, sample_rate=rate)
    assert audio.claimed and audio.payload == Payload(424242)
    # verify's analyzer reads both marks from the file
    ev = WatermarkAnalyzer().analyze(_ctx(marked, tmp_path))
    assert ev.status is EvidenceStatus.FOUND
    assert ev.data["mediaproof"]["payload"]["asset_id"] == 424242
    assert ev.data["mediaproof_audio"]["payload"]["asset_id"] == 424242
    assert "soundtrack" in ev.summary
    # the unmarked source's soundtrack claims nothing under this key
    s0, r0 = load_audio(src)
    assert not AUDIO_SCHEME.detect(s0, key, sample_rate=r0).claimed
    # and a copy made without the audio mark keeps its soundtrack, unmarked
    plain = tmp_path / "p.mp4"
    rep2 = embed_video_with_report(src, plain, Payload(424242, 1), key, mark_audio=False)
    assert rep2.audio_track and not rep2.audio_marked
    s2, r2 = load_audio(plain)
    assert not AUDIO_SCHEME.detect(s2, key, sample_rate=r2).claimed


def test_video_output_container_must_hold_h264_and_aac(tmp_path: Path) -> None:
    import pytest

    from mediaproof.watermark.errors import WatermarkError
    from mediaproof.watermark.models import Payload
    from mediaproof.watermark.video import embed_video

    with pytest.raises(WatermarkError, match=r"\.webm.*\.mp4"):
        embed_video(tmp_path / "in.mp4", tmp_path / "out.webm", Payload(1), b"k" * 32)
