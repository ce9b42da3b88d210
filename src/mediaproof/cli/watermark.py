"""``mediaproof watermark``: embed the registry ID into an image or audio file, or look
for it. The key is the instance's ``<home>/keys/watermark.key`` (created on first use)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import numpy as np
import typer

from mediaproof.config import load_settings
from mediaproof.errors import MediaproofError
from mediaproof.media.sniff import MediaKind, sniff
from mediaproof.watermark import AUDIO_SCHEME, IMAGE_SCHEME, Detection, Payload
from mediaproof.watermark.ai_marks import detect_ai_marks
from mediaproof.watermark.errors import WatermarkError
from mediaproof.watermark.keys import ensure_watermark_key, load_watermark_key
from mediaproof.watermark.mediaio import load_audio, load_luma, load_rgb, save_image

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
    src: Annotated[Path, typer.Argument(help="image or audio file to mark")],
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
            pixels = load_rgb(src)
            marked = IMAGE_SCHEME.embed(pixels, Payload(asset_id, version), key)
            save_image(np.asarray(marked, dtype=np.uint8), out, quality=quality)
        elif kind == MediaKind.AUDIO:
            import soundfile as sf

            samples, rate = load_audio(src)
            marked_a = AUDIO_SCHEME.embed(samples, Payload(asset_id), key, sample_rate=rate)
            sf.write(str(out), np.clip(marked_a, -1.0, 1.0), rate)
        else:
            raise WatermarkError(f"cannot watermark {kind.value} files yet")
    except MediaproofError as e:
        raise _fail(e) from e
    typer.echo(f"wrote {out} carrying asset ID {asset_id}")


def _detect_file(path: Path, key: bytes) -> tuple[Detection, list[dict[str, object]]]:
    kind = _kind(path)
    if kind == MediaKind.IMAGE:
        det = IMAGE_SCHEME.detect_luma(load_luma(path), key)
        ai = [m.as_dict() for m in detect_ai_marks(load_rgb(path)[:, :, :3])]
        return det, ai
    if kind in (MediaKind.AUDIO, MediaKind.VIDEO):
        samples, rate = load_audio(path, max_seconds=60.0)
        return AUDIO_SCHEME.detect(samples, key, sample_rate=rate), []
    raise WatermarkError(f"cannot look for watermarks in {kind.value} files")


@app.command()
def detect(
    file: Annotated[Path, typer.Argument(help="image or audio file")],
    as_json: Annotated[bool, typer.Option("--json", help="machine-readable output")] = False,
    home: HomeOpt = None,
) -> None:
    """Look for this instance's watermark (and generator marks). Exit 0 either way."""
    settings = load_settings(home)
    try:
        key = load_watermark_key(settings.home)
        det, ai = _detect_file(file, key)
    except MediaproofError as e:
        raise _fail(e) from e
    if as_json:
        typer.echo(json.dumps({"watermark": det.as_dict(), "ai_marks": ai}, indent=2))
        return
    if det.claimed and det.payload is not None:
        typer.echo(
            f"watermark: asset ID {det.payload.asset_id} version {det.payload.version} "
            f"(sync z={det.sync_score:.1f}, CRC ok, false-claim bound {det.false_claim_bound:.1e})"
        )
    else:
        typer.echo(f"watermark: none found (best sync z={det.sync_score:.1f}); this means unknown")
    for m in ai:
        if m["found"]:
            typer.echo(f"generator mark: {m['name']} ({m['agreeing_bits']}/{m['total_bits']} bits)")
