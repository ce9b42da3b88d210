"""``mediaproof detectors``: list the learned detectors and measure them (docs/detectors.md)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from mediaproof.cli.common import JsonOption, err_console, fail, print_json
from mediaproof.config import load_settings
from mediaproof.detection.card import write_evaluation
from mediaproof.detection.errors import DetectorError
from mediaproof.detection.evaluate import accuracy_summary, accuracy_text, evaluate, render_markdown
from mediaproof.detection.registry import available, load_detector
from mediaproof.detection.transforms import AUDIO_TRANSFORMS, TRANSFORMS
from mediaproof.errors import MediaproofError

app = typer.Typer(
    help="Learned detectors: opinions with a measured accuracy.", no_args_is_help=True
)


@app.command("list")
def list_cmd(as_json: JsonOption = False) -> None:
    """Every detector installed, whether it is enabled, and whether it loads."""
    settings = load_settings().detectors
    try:
        found = available(settings)
    except MediaproofError as e:
        raise fail(e) from e
    rows: list[dict[str, Any]] = []
    broken = False
    for det_id, a in sorted(found.items()):
        row: dict[str, Any] = {"id": det_id, "origin": a.origin,
                               "enabled": det_id in settings.enabled}
        try:
            det = load_detector(det_id, settings)
            row.update(loads=True, error=None, version=det.version, modality=det.modality,
                       licence=det.card.licence,
                       accuracy=accuracy_summary(det.card),
                       accuracy_text=accuracy_text(accuracy_summary(det.card)))
        except DetectorError as e:
            row.update(loads=False, error=e.message)
            broken = broken or row["enabled"]
        rows.append(row)
    missing = [i for i in settings.enabled if i not in found]
    if as_json:
        print_json({"detectors": rows, "enabled_but_missing": missing})
    else:
        if not rows:
            typer.echo("no detectors installed (see docs/detectors.md)")
        for r in rows:
            state = "enabled" if r["enabled"] else "off"
            if r["loads"]:
                typer.echo(f"{r['id']} {r['version']} ({r['modality']}, {r['origin']}, {state})")
                typer.echo(f"  {r['accuracy_text']}")
            else:
                typer.echo(f"{r['id']} ({r['origin']}, {state}): DOES NOT LOAD: {r['error']}")
        for i in missing:
            typer.echo(f"{i}: enabled in settings but not installed")
    if broken or missing:
        raise typer.Exit(1)


@app.command("evaluate")
def evaluate_cmd(
    manifest: Annotated[Path, typer.Argument(help="JSON Lines manifest of labelled files")],
    detector: Annotated[str, typer.Option("--detector", "-d", help="detector id")],
    transforms: Annotated[
        str,
        typer.Option(help="comma-separated, 'none', or 'all' (those of the detector's "
                     f"kind of media; images: {', '.join(TRANSFORMS)}; audio: "
                     f"{', '.join(AUDIO_TRANSFORMS)})"),
    ] = "all",
    out: Annotated[
        Path | None, typer.Option("--out", help="folder for the JSON report and Markdown")
    ] = None,
    write_card: Annotated[
        Path | None,
        typer.Option("--write-card", help="store the report in this model card (JSON)"),
    ] = None,
    bootstrap: Annotated[int, typer.Option(min=100, help="bootstrap resamples")] = 1000,
    as_json: JsonOption = False,
) -> None:
    """Score every file of MANIFEST (and its transformed copies) and report accuracy."""
    names: list[str] | None = [] if transforms.strip() == "none" else None if (
        transforms.strip() == "all") else [t.strip() for t in transforms.split(",") if t.strip()]
    try:
        det = load_detector(detector, load_settings().detectors)

        def progress(done: int, total: int) -> None:
            if done % 25 == 0 or done == total:
                err_console.print(f"[dim]{done}/{total} scored[/]")

        report = evaluate(det, manifest, transforms=names, bootstrap=bootstrap,
                          progress=progress)
        if write_card is not None:
            write_evaluation(write_card, report)
    except MediaproofError as e:
        raise fail(e) from e
    md = render_markdown(report)
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
        stem = f"{det.id}.{manifest.stem}"
        (out / f"{stem}.json").write_text(
            json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
        )
        (out / f"{stem}.md").write_text(md, encoding="utf-8")
    if as_json:
        print_json(report)
    else:
        typer.echo(md)
