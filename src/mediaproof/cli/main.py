"""`mediaproof`: the command line. Exit codes are documented in docs/cli.md.

0 success (for verify: the file was analysed, whatever the answer); 1 unexpected error;
2 usage error; 3 unreadable, malformed or over-limit input; 4 provenance/signing error;
5 storage error; 6 not found; 7 conflict (already registered); 8 case workflow rule
(e.g. an illegal transition or a closed appeal window); 9 log verification failed;
10 log store error; 11 access refused; 12 exchange usage; 13 an exchange pull was
refused (rewritten history, bad signature); 14 a peer could not be reached; 78
configuration/keys.
"""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Annotated

import typer
from pydantic import ValidationError

from mediaproof import __version__
from mediaproof.cli import admin as admin_cmd
from mediaproof.cli import alibi as alibi_cmd
from mediaproof.cli import cases as cases_cmd
from mediaproof.cli import demo as demo_cmd
from mediaproof.cli import detectors as detectors_cmd
from mediaproof.cli import exchange as exchange_cmd
from mediaproof.cli import fingerprints as fingerprints_cmd
from mediaproof.cli import hash as hash_cmd
from mediaproof.cli import keys as keys_cmd
from mediaproof.cli import likeness as likeness_cmd
from mediaproof.cli import log as log_cmd
from mediaproof.cli import matcher as matcher_cmd
from mediaproof.cli import monitor as monitor_cmd
from mediaproof.cli import run as run_cmd
from mediaproof.cli import screen as screen_cmd
from mediaproof.cli import serve as serve_cmd
from mediaproof.cli import upload as upload_cmd
from mediaproof.cli import watermark as watermark_cmd
from mediaproof.cli import worker as worker_cmd
from mediaproof.cli.common import HomeOption, JsonOption, console, err_console, instance, print_json
from mediaproof.cli.render import render_report
from mediaproof.config import Limits
from mediaproof.media.ingest import apply_pixel_limit
from mediaproof.services.publishing import (
    SignRequest,
    parse_assertions,
    register_existing,
    sign_and_register,
)
from mediaproof.services.verification import verify_file

app = typer.Typer(
    name="mediaproof",
    help="Sign, register and verify media; fight deceptive deepfakes.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
app.add_typer(keys_cmd.app, name="keys")
app.add_typer(cases_cmd.app, name="cases")
app.add_typer(exchange_cmd.app, name="exchange")
app.add_typer(fingerprints_cmd.app, name="fingerprints")
app.add_typer(likeness_cmd.app, name="likeness")
app.add_typer(screen_cmd.app, name="screen")
app.add_typer(upload_cmd.app, name="upload")
app.command("monitor")(monitor_cmd.monitor)
app.command("demo")(demo_cmd.demo)
app.command("serve")(serve_cmd.serve)
app.add_typer(admin_cmd.app, name="admin")
app.add_typer(log_cmd.app, name="log")
app.add_typer(matcher_cmd.app, name="matcher")
app.add_typer(alibi_cmd.app, name="alibi")
app.add_typer(watermark_cmd.app, name="watermark")
app.add_typer(detectors_cmd.app, name="detectors")
app.command("hash")(hash_cmd.hash_cli)
app.command("worker")(worker_cmd.worker)
app.add_typer(run_cmd.app, name="run")


def _version(value: bool) -> None:
    if value:
        console.print(f"mediaproof {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the version.")
    ] = False,
) -> None:
    pass


@app.command()
def sign(
    src: Annotated[Path, typer.Argument(help="File to sign.", show_default=False)],
    out: Annotated[Path, typer.Option("-o", "--out", help="Where to write the signed file.")],
    title: Annotated[str, typer.Option("--title", help="Title recorded in the credentials.")],
    author: Annotated[
        str | None, typer.Option("--author", help="Author recorded in the credentials.")
    ] = None,
    source_type: Annotated[
        str,
        typer.Option(
            "--source-type",
            help="IPTC digital source type, e.g. digitalCapture, trainedAlgorithmicMedia, "
            "compositeWithTrainedAlgorithmicMedia.",
        ),
    ] = "digitalCapture",
    assertion: Annotated[
        list[str] | None,
        typer.Option("--assert", help="Custom assertion LABEL=JSON (repeatable)."),
    ] = None,
    watermark: Annotated[
        bool,
        typer.Option(
            "--watermark/--no-watermark",
            help="Embed the invisible watermark (JPEG, PNG, WebP, TIFF, WAV, FLAC).",
        ),
    ] = True,
    home: HomeOption = None,
    json_out: JsonOption = False,
) -> None:
    """Sign a file with C2PA Content Credentials and register it."""
    with instance(home) as inst:
        req = SignRequest(
            src=src,
            dest=out,
            title=title,
            author=author,
            source_type=source_type,
            assertions=parse_assertions(assertion or []),
            watermark=watermark,
        )
        with err_console.status("Signing and registering…", spinner="dots"):
            pub = sign_and_register(inst, req)
        if json_out:
            print_json(
                {
                    "asset": pub.asset.public_dict(),
                    "output": str(pub.output),
                    "created": pub.created,
                }
            )
            return
        if not pub.created:  # the same file was signed here before: no second asset
            console.print(
                f"already published as asset [bold]{pub.asset.id}[/]; "
                f"wrote its signed copy to {out}"
            )
        else:
            console.print(
                f"[green]Signed[/] {out} and registered it as asset [bold]{pub.asset.id}[/]"
            )
        console.print(f"  sha256: {pub.asset.sha256}")
        console.print(f"  signer: {pub.asset.signer_subject}")


@app.command()
def register(
    file: Annotated[Path, typer.Argument(help="Original to register without signing.")],
    title: Annotated[str | None, typer.Option("--title")] = None,
    author: Annotated[str | None, typer.Option("--author")] = None,
    source_type: Annotated[str | None, typer.Option("--source-type")] = None,
    home: HomeOption = None,
    json_out: JsonOption = False,
) -> None:
    """Register an existing original (signed elsewhere, or unsigned) in the registry."""
    with instance(home) as inst:
        asset = register_existing(inst, file, title=title, author=author, source_type=source_type)
        if json_out:
            print_json({"asset": asset.public_dict()})
            return
        console.print(f"[green]Registered[/] {file} as asset [bold]{asset.id}[/] ({asset.mime})")


@app.command()
def verify(
    file: Annotated[Path, typer.Argument(help="File to verify.")],
    trust_anchors: Annotated[
        list[Path] | None,
        typer.Option("--trust-anchors", help="PEM file of trusted roots (repeatable)."),
    ] = None,
    home: HomeOption = None,
    json_out: JsonOption = False,
) -> None:
    """Tell what is known about a file: credentials, registry, generator metadata."""
    with instance(home) as inst:
        if json_out:
            report = verify_file(inst, file, trust_anchors=trust_anchors or [])
            print_json(report.as_dict())
            return
        with console.status("Analysing…", spinner="dots") as status:
            report = verify_file(
                inst,
                file,
                trust_anchors=trust_anchors or [],
                progress=lambda name: status.update(f"Analysing: {name}…"),
            )
        render_report(console, report.as_dict())


@app.command("assets")
def assets_cmd(
    limit: Annotated[int, typer.Option("--limit", min=1, max=10000)] = 50,
    home: HomeOption = None,
    json_out: JsonOption = False,
) -> None:
    """List registered assets, newest first."""
    with instance(home) as inst:
        rows = inst.assets(limit)
        if json_out:
            print_json([a.public_dict() for a in rows])
            return
        from rich.table import Table

        t = Table("id", "title", "type", "signed", "registered", "sha256")
        for a in rows:
            t.add_row(
                str(a.id),
                a.title,
                a.mime,
                "yes" if a.signed else "no",
                a.created_at.strftime("%Y-%m-%d %H:%M"),
                a.sha256[:16] + "…",
            )
        console.print(t)


@app.command("withdraw")
def withdraw_cmd(
    asset_id: Annotated[int, typer.Argument(help="Registered asset to withdraw.")],
    home: HomeOption = None,
    json_out: JsonOption = False,
) -> None:
    """Withdraw a registered original: copies stop matching it; the log records it."""
    from mediaproof.services.withdrawal import withdraw_asset

    with instance(home) as inst:
        asset = withdraw_asset(inst, asset_id)
        if json_out:
            print_json({"asset": asset.public_dict()})
            return
        console.print(f"[yellow]Withdrew[/] asset [bold]{asset.id}[/]: copies no longer match it")


def main() -> None:
    # Pillow's bomb guard follows MEDIAPROOF_LIMIT_MAX_PIXELS in commands that open
    # images without an instance too (hash, watermark detect)
    with contextlib.suppress(ValidationError):  # a bad setting is reported by the command
        apply_pixel_limit(Limits().max_pixels)
    app()


if __name__ == "__main__":
    main()
