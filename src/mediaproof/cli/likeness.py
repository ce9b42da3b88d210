"""`mediaproof likeness ...`: enrol people, list and delete enrolments, check a file."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer

from mediaproof.cli.common import (
    HomeOption,
    JsonOption,
    console,
    err_console,
    print_json,
    show,
)
from mediaproof.config import load_settings
from mediaproof.errors import MediaproofError
from mediaproof.likeness.analyzer import describe
from mediaproof.likeness.errors import EnrolmentRejected
from mediaproof.likeness.models import Modality
from mediaproof.likeness.service import LikenessService
from mediaproof.services import likeness as likeness_svc
from mediaproof.services.instance import Instance

app = typer.Typer(help="Subject defense: enrol faces and voices, check media for them.")

@contextmanager
def likeness_instance(home: Path | None) -> Iterator[Instance]:
    """Open the instance; turn product errors into a clean exit."""
    inst = None
    try:
        inst = Instance(load_settings(home))
        yield inst
    except MediaproofError as e:
        if isinstance(e, EnrolmentRejected) and e.rejections:
            err_console.print("[bold red]error:[/] enrolment refused; nothing was stored")
            for r in e.rejections:
                err_console.print(f"  - {r.message}  [dim]({r.reason})[/]")
        else:
            err_console.print(f"[bold red]error:[/] {e.message}")
        if e.hint:
            err_console.print(f"[dim]hint: {e.hint}[/]")
        raise typer.Exit(e.exit_code) from e
    finally:
        if inst is not None:
            inst.close()


@contextmanager
def likeness_service(home: Path | None) -> Iterator[LikenessService]:
    """The instance's likeness service; product errors become a clean exit."""
    with likeness_instance(home) as inst, likeness_svc.likeness_service(inst) as svc:
        yield svc


@app.command()
def enrol(
    name: Annotated[str, typer.Argument(help="The person's name as alerts should show it.")],
    face: Annotated[list[Path] | None, typer.Option("--face", help="A photo (repeat).")] = None,
    voice: Annotated[
        list[Path] | None, typer.Option("--voice", help="A speech clip (repeat).")
    ] = None,
    consent_note: Annotated[
        str | None,
        typer.Option("--consent-note", help="Who consented, when, how (kept with the record)."),
    ] = None,
    keep_samples: Annotated[
        bool,
        typer.Option("--keep-samples", help="Also keep the sample files (encrypted)."),
    ] = False,
    home: HomeOption = None,
    as_json: JsonOption = False,
) -> None:
    """Enrol a person from several photos and/or voice clips.

    Every sample is checked first: a photo must show exactly one face large enough, a
    clip must hold enough speech. If any sample is unusable, nothing is stored.
    """
    with likeness_instance(home) as inst:
        e, _ = likeness_svc.enrol(
            inst,
            name,
            face or [],
            voice or [],
            consent_note=consent_note,
            keep_samples=keep_samples,
        )
        s = e.summary()
        if as_json:
            print_json(s)
            return
        console.print(
            f"enrolled [bold]{e.name}[/] as {e.id}: {s['faces']} face(s), "
            f"{s['voices']} voice clip(s)"
        )
        if not consent_note:
            console.print(
                "  [yellow]note:[/] no consent recorded; pass --consent-note to keep "
                "who agreed, when and how"
            )
        for m, t in e.thresholds.items():
            console.print(f"  {m.value} threshold {t.value:.3f} ({t.method})")
            if t.genuine_min is not None and t.genuine_min < t.value:
                console.print(
                    f"  [yellow]warning:[/] one of the {m.value} samples scores "
                    f"{t.genuine_min:.3f} against the others; similar media may be "
                    "missed. Add more varied samples."
                )


@app.command("list")
def list_(home: HomeOption = None, as_json: JsonOption = False) -> None:
    """List enrolled people (never their embeddings)."""
    with likeness_service(home) as svc:
        people = [e.summary() for e in svc.enrolments()]
        if as_json:
            print_json(people)
            return
        if not people:
            console.print("no one is enrolled")
        for p in people:
            th = ", ".join(f"{k} {v['value']:.3f}" for k, v in p["thresholds"].items())
            console.print(
                f"{p['id']}  {p['name']}  faces={p['faces']} voices={p['voices']}  "
                f"thresholds: {th}  enrolled {p['created_at']}"
            )


@app.command()
def delete(
    enrolment_id: Annotated[str, typer.Argument(metavar="ID")],
    home: HomeOption = None,
    as_json: JsonOption = False,
) -> None:
    """Delete an enrolment and everything derived from it (samples, alerts, reports)."""
    with likeness_instance(home) as inst:
        digest = likeness_svc.delete(inst, enrolment_id).digest
    show(
        {"deleted": enrolment_id, "digest": digest},
        as_json,
        f"deleted {enrolment_id} (digest {digest})",
    )


@app.command()
def maintain(home: HomeOption = None, as_json: JsonOption = False) -> None:
    """Finish deletions a crash cut short, sweep unreadable leftovers, and re-seal rows
    still under the instance key under per-enrolment keys (also done on first use)."""
    with likeness_instance(home) as inst:
        done = likeness_svc.maintain(inst)
    show(
        {"finished_deletions": done.finished_deletions, "resealed_rows": done.resealed_rows},
        as_json,
        f"finished {len(done.finished_deletions)} cut-short deletion(s); "
        f"re-sealed {done.resealed_rows} row(s) under per-enrolment keys",
    )


@app.command()
def check(
    file: Annotated[Path, typer.Argument(help="Image, audio or video file.")],
    home: HomeOption = None,
    as_json: JsonOption = False,
) -> None:
    """Whose enrolled face or voice this file resembles, with scores and thresholds."""
    with likeness_service(home) as svc:
        result = svc.check(file)
        if as_json:
            print_json({**result.as_dict(), "summary": describe(result)})
        else:
            console.print(describe(result))
            console.print("[dim]Likeness is a reason to look, not a verdict.[/]")


@app.command()
def reference(
    faces: Annotated[
        Path | None, typer.Option("--faces", help="Folder of <person>/<photos>.")
    ] = None,
    voices: Annotated[
        Path | None, typer.Option("--voices", help="Folder of <speaker>/<clips>.")
    ] = None,
    home: HomeOption = None,
    as_json: JsonOption = False,
) -> None:
    """Load an impostor reference: people who are NOT enrolled, to calibrate thresholds.

    Only their embeddings are kept (sealed). Replaces the previous set of that kind.
    """
    with likeness_service(home) as svc:
        counts: dict[str, int] = {}
        if faces:
            counts["face"] = svc.set_reference(Modality.FACE, faces)
        if voices:
            counts["voice"] = svc.set_reference(Modality.VOICE, voices)
        conflicts = svc.reference_conflicts()
        if as_json:
            print_json({"loaded": counts, "conflicts": conflicts})
            return
        for k, n in counts.items():
            console.print(f"{k} reference: {n} samples; thresholds recalibrated")
        for c in conflicts:
            console.print(
                f"[yellow]warning:[/] reference identity {c['reference_identity']!r} "
                f"scores {c['score']:.3f} against {c['name']}'s {c['modality']}, as "
                "high as their own samples: is it the same person? Remove them from "
                "the reference."
            )


@app.command()
def alerts(home: HomeOption = None, as_json: JsonOption = False) -> None:
    """Alerts raised by `mediaproof monitor` (the in-app list)."""
    with likeness_service(home) as svc:
        items = [a.to_json() for a in svc.store.list_alerts()]
        if as_json:
            print_json(items)
            return
        if not items:
            console.print("no alerts")
        for a in items:
            console.print(
                f"{a['created_at']}  {'; '.join(a['statements'])}  report {a['report_id']}"
            )


@app.command()
def report(
    report_id: Annotated[str, typer.Argument(metavar="REPORT_ID")],
    home: HomeOption = None,
) -> None:
    """Print a stored analysis report (JSON) that an alert links to."""
    with likeness_service(home) as svc:
        print_json(svc.store.get_report(report_id))
