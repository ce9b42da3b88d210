"""``mediaproof watermark``: embed the registry ID into an image or audio file, or look
for it. The key is the instance's ``<home>/keys/watermark.key`` (created on first use)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import numpy as np
import typer
from PIL import Image

from mediaproof.config import load_settings
from mediaproof.errors import MediaproofError
from mediaproof.media.sniff import MediaKind, sniff
from mediaproof.services.watermarking import IMAGE_FORMATS
from mediaproof.watermark import AUDIO_SCHEME, IMAGE_SCHEME, Detection, Payload
from mediaproof.watermark.ai_marks import detect_ai_marks
from mediaproof.watermark.errors import WatermarkError
from mediaproof.watermark.keys import ensure_watermark_key, load_watermark_key
from mediaproof.watermark.mediaio import (
    load_audio,
    load_for_marking,
    load_luma,
    load_rgb,
    save_marked,
)

app = typer.Typer(help="Invisible watermarks carrying the registry's asset ID.")

HomeOpt = Annotated[
    Path | None, typer.Option("--home", help="instance directory (default: from settings)")
]


def _kind(path: Path) -> MediaKind:
    with path.open("rb") as f:
        return sniff(f.read(4096)).kind


def _fail(e: MediaproofError) -> typer.Exit:
    typer.echo(f"error: {e}", err=True)
    return typer.Exit(e.exit_code)


@app.command()
def embed(
    src: Annotated[Path, typer.Argument(help="image, audio or video file to mark")],
    out: Annotated[Path, typer.Option("-o", "--out", help="where to write the marked copy")],
    asset_id: Annotated[int, typer.Option("--id", help="registry asset ID to carry")],
    version: Annotated[int, typer.Option("--version", help="payload version (images)")] = 0,
    quality: Annotated[int, typer.Option(help="JPEG quality of the output")] = 95,
    home: HomeOpt = None,
) -> None:
    """Write a marked copy of SRC to OUT."""
    settings = load_settings(home)
    try:
        key = ensure_watermark_key(settings.home)
        kind = _kind(src)
        if kind == MediaKind.IMAGE:
            fmt = Image.registered_extensions().get(out.suffix.lower())
            if fmt is None or fmt not in IMAGE_FORMATS.values():
                raise WatermarkError(
                    f"write the marked image as .jpg, .png, .webp or .tif, not {out.name}"
                )
            rgb, alpha, meta = load_for_marking(src)
            marked = IMAGE_SCHEME.embed(rgb, Payload(asset_id, version), key)
            save_marked(np.asarray(marked, dtype=np.uint8), alpha, meta, out, fmt, quality)
        elif kind == MediaKind.AUDIO:
            import soundfile as sf

            samples, rate = load_audio(src)
            marked_a = AUDIO_SCHEME.embed(samples, Payload(asset_id), key, sample_rate=rate)
            sf.write(str(out), np.clip(marked_a, -1.0, 1.0), rate)
        elif kind == MediaKind.VIDEO:
            from mediaproof.watermark.video import embed_video_with_report

            rep = embed_video_with_report(src, out, Payload(asset_id, version), key)
            sound = "soundtrack marked" if rep.audio_marked else "soundtrack not marked"
            if not rep.audio_track:
                sound = "no soundtrack"
            typer.echo(f"{rep.frames} frames marked, {sound}")
        else:
            raise WatermarkError(f"cannot watermark {kind.value} files yet")
    except MediaproofError as e:
        raise _fail(e) from e
    typer.echo(f"wrote {out} carrying asset ID {asset_id}")


def _detect_file(
    path: Path, key: bytes
) -> tuple[Detection, list[dict[str, object]], Detection | None]:
    """The file's mark, generator marks, and for a video its soundtrack's mark."""
    kind = _kind(path)
    if kind == MediaKind.IMAGE:
        det = IMAGE_SCHEME.detect_luma(load_luma(path), key)
        ai = [m.as_dict() for m in detect_ai_marks(load_rgb(path)[:, :, :3])]
        return det, ai, None
    if kind == MediaKind.AUDIO:
        samples, rate = load_audio(path, max_seconds=60.0)
        return AUDIO_SCHEME.detect(samples, key, sample_rate=rate), [], None
    if kind == MediaKind.VIDEO:
        from mediaproof.watermark.video import detect_video

        frames = detect_video(path, key)
        try:
            samples, rate = load_audio(path, max_seconds=60.0)
        except WatermarkError:  # no soundtrack
            return frames, [], None
        return frames, [], AUDIO_SCHEME.detect(samples, key, sample_rate=rate)
    raise WatermarkError(f"cannot look for watermarks in {kind.value} files")


@app.command()
def detect(
    file: Annotated[Path, typer.Argument(help="image, audio or video file")],
    as_json: Annotated[bool, typer.Option("--json", help="machine-readable output")] = False,
    home: HomeOpt = None,
) -> None:
    """Look for this instance's watermark (and generator marks). Exit 0 either way."""
    settings = load_settings(home)
    try:
        key = load_watermark_key(settings.home)
        det, ai, sound = _detect_file(file, key)
    except MediaproofError as e:
        raise _fail(e) from e
    if as_json:
        doc: dict[str, object] = {"watermark": det.as_dict(), "ai_marks": ai}
        if sound is not None:
            doc["soundtrack"] = sound.as_dict()
        typer.echo(json.dumps(doc, indent=2))
        return
    for what, d in (("watermark", det), ("soundtrack watermark", sound)):
        if d is None:
            continue
        if d.claimed and d.payload is not None:
            typer.echo(
                f"{what}: asset ID {d.payload.asset_id} version {d.payload.version} "
                f"(sync z={d.sync_score:.1f}, CRC ok, false-claim bound {d.false_claim_bound:.1e})"
            )
        else:
            typer.echo(f"{what}: none found (best sync z={d.sync_score:.1f}); this means unknown")
    for m in ai:
        if m["found"]:
            typer.echo(f"generator mark: {m['name']} ({m['agreeing_bits']}/{m['total_bits']} bits)")
