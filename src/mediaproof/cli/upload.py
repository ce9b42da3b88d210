"""`mediaproof upload check`: what a platform's upload check answers, from the machine
the instance lives on (the HTTP form is ``POST /api/v1/uploads/check``; docs/api.md).

It acts as the HTTP check does: an identical copy of confirmed media gets the confirmed
outcome as an automated decision, a near copy or a received signal opens a review case.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from mediaproof.cli.common import HomeOption, JsonOption, fail, instance, show
from mediaproof.errors import UsageError
from mediaproof.services import upload_check
from mediaproof.services.cases.runtime import case_service, close_case_service

app = typer.Typer(help="Check uploads against confirmed media and received signals.",
                  no_args_is_help=True)  # fmt: skip


@app.command("check")
def check_cmd(
    file: Annotated[
        Path | None, typer.Argument(help="The uploaded file (or give its hashes instead).")
    ] = None,
    sha256: Annotated[str | None, typer.Option("--sha256", help="SHA-256 of the file.")] = None,
    pdq: Annotated[str | None, typer.Option("--pdq", help="PDQ of a picture (64 hex).")] = None,
    video_md5: Annotated[
        str | None, typer.Option("--video-md5", help="MD5 of a video's bytes.")
    ] = None,
    vpdq: Annotated[
        str | None,
        typer.Option(
            "--vpdq",
            help="vPDQ of a video: comma-separated frame hashes or python-threatexchange's "
            "vpdq string; @FILE reads it from a file.",
        ),
    ] = None,
    chromaprint: Annotated[
        str | None,
        typer.Option(
            "--chromaprint",
            help="Raw Chromaprint (hex of little-endian 32-bit items); @FILE reads a file.",
        ),
    ] = None,
    content_url: Annotated[
        str | None, typer.Option("--content-url", help="The upload's address.")
    ] = None,
    location: Annotated[str | None, typer.Option("--location", help="Where it appears.")] = None,
    home: HomeOption = None,
    json_out: JsonOption = False,
) -> None:
    """Check one upload: label (or the confirmed outcome), review, or none, and why."""
    if (file is None) == (sha256 is None):
        raise fail(UsageError("give a FILE or --sha256 (with --pdq / --video-md5), not both"))
    if file is not None and any(h is not None for h in (pdq, video_md5, vpdq, chromaprint)):
        raise fail(UsageError("hashes go with --sha256, not with a file"))
    if file is not None and not file.is_file():
        raise fail(UsageError(f"{file} is not a file"))
    with instance(home) as inst:
        cases = case_service(inst)
        try:
            if file is not None:
                res = upload_check.check_file(
                    inst, cases, file, content_url=content_url, location=location
                )
            else:
                assert sha256 is not None
                hashes = upload_check.UploadHashes(
                    sha256.lower(),
                    pdq and pdq.lower(),
                    video_md5 and video_md5.lower(),
                    _value(vpdq),
                    _value(chromaprint),
                )
                res = upload_check.check_hashes(
                    inst, cases, hashes, content_url=content_url, location=location
                )
        finally:
            close_case_service(cases)
    out = res.as_dict()
    show(out, json_out, _text(out))


def _value(option: str | None) -> str | None:
    """An option's value, or a file's text for ``@FILE`` (a vPDQ runs to many kB)."""
    if option is None or not option.startswith("@"):
        return option
    path = Path(option[1:])
    if not path.is_file() or path.stat().st_size > 4 << 20:
        raise fail(UsageError(f"{path} is not a file of at most 4 MiB"))
    return path.read_text(encoding="utf-8", errors="replace")


def _text(out: dict[str, Any]) -> str:
    colour = {"review": "yellow", "none": "green"}.get(out["action"], "red")
    lines = [f"[bold {colour}]{out['action'].upper()}[/]  sha256 {out['sha256'][:16]}..."]
    if out["case_number"]:
        lines.append(f"  case {out['case_number']}")
    if out["label_text"]:
        lines.append(f"  label: {out['label_text']}")
    m = out["bank_match"]
    if m:
        how = f"{m['alg']} distance {m['distance']}" if m["kind"] == "near" else "same bytes"
        lines.append(f"  matches confirmed case {m['confirmed_case']} ({m['kind']}: {how})")
    for r in out["received"]:
        lines.append(
            f"  matches a signal from {r['source']} (collection {r['collection']}, "
            f"log index {r['log_index']}, distance {r['distance']})"
        )
    if out["uploader_appeal_url"]:
        lines.append(f"  uploader's appeal link (shown once): {out['uploader_appeal_url']}")
    lines.append(f"  [dim]checked: {', '.join(out['checked'])}[/]")
    return "\n".join(lines)
