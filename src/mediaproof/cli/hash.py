"""``mediaproof hash FILE [--json]``: print a file's fingerprints.

Register in the main CLI with either::

    from mediaproof.cli.hash import app as hash_app
    main_app.command("hash")(hash_cli)

``app`` is also a standalone Typer app (``python -m mediaproof.cli.hash hash FILE``).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from mediaproof.cli.common import console, print_error
from mediaproof.config import Limits
from mediaproof.errors import MediaproofError
from mediaproof.fingerprint.fingerprints import Fingerprints, fingerprint_file
from mediaproof.fingerprint.pdq import DIHEDRAL_ORDER
from mediaproof.media.ingest import ingest_file

app = typer.Typer(add_completion=False, no_args_is_help=True)


@app.callback()
def _group() -> None:
    """Fingerprints (a group, so ``hash`` stays a named sub-command when mounted)."""


def compute(file: Path, *, reference: bool = True) -> Fingerprints:
    """Ingest safely (limits, sniffing), then fingerprint."""
    limits = Limits()
    info = ingest_file(file, limits)
    return fingerprint_file(file, kind=info.kind, reference=reference, limits=limits)


def render(fps: Fingerprints, console: Console) -> None:
    table = Table(title=None, show_header=True, header_style="bold")
    table.add_column("signal")
    table.add_column("value", overflow="fold")
    table.add_column("notes")
    table.add_row("md5", fps.md5, "exact copies only")
    if fps.image is not None:
        p = fps.image.pdq
        note = f"quality {p.quality}" + ("" if p.usable else " (under 50: not used for matching)")
        table.add_row("pdq", p.hex, note)
        for d, h in zip(DIHEDRAL_ORDER[1:], fps.image.dihedral[1:], strict=False):
            table.add_row(f"pdq/{d.value}", h.hex, "dihedral variant")
    if fps.video is not None:
        v = fps.video
        usable = sum(1 for f in v.frames if f.pdq.usable)
        if v.seconds_per_hash == 0:
            rate = "every frame"
        elif v.seconds_per_hash < 1:
            rate = f"up to {round(1 / v.seconds_per_hash)} frames/s"
        else:
            rate = f"1 frame per {v.seconds_per_hash:g} s"
        table.add_row("vpdq", f"{len(v.frames)} frame hashes", f"{rate}; {usable} usable")
        for f in v.frames[:3]:
            table.add_row(
                f"  frame {f.frame}", f.pdq.hex, f"t={f.timestamp_s:.2f}s q={f.pdq.quality}"
            )
        if len(v.frames) > 3:
            table.add_row("  ...", f"{len(v.frames) - 3} more (use --json)", "")
    if fps.audio is not None:
        a = fps.audio
        table.add_row("chromaprint", a.encoded() or "(empty: audio too short)",
                      f"{len(a.items)} items, {a.duration_s:.1f} s")  # fmt: skip
    console.print(table)
    console.print("[dim]A fingerprint match is a lead, not proof of authenticity.[/dim]")


def hash_command(file: Path, json_out: bool, *, query: bool = False) -> int:
    """Print the fingerprints of ``file``; returns the exit code.

    By default they are computed as for registering an original (8 PDQ variants, every
    video frame); ``query=True`` computes them as a lookup does (plain PDQ, 1 frame/s).
    """
    try:
        fps = compute(file, reference=not query)
    except MediaproofError as e:
        print_error(e)
        return e.exit_code
    if json_out:
        typer.echo(json.dumps(fps.as_dict(), indent=2))
    else:
        render(fps, console)
    return 0


@app.command("hash")
def hash_cli(
    file: Annotated[Path, typer.Argument(help="image, video or audio file")],
    json_out: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
    query: Annotated[
        bool,
        typer.Option("--query", help="as a lookup computes them: plain PDQ, 1 video frame/s"),
    ] = False,
) -> None:
    """Print a file's fingerprints (PDQ, vPDQ, MD5, Chromaprint)."""
    code = hash_command(file, json_out, query=query)
    if code:
        raise typer.Exit(code)


if __name__ == "__main__":  # pragma: no cover
    app()
