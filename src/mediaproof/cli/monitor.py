"""`mediaproof monitor`: watch a drop folder and alert on enrolled likenesses."""

from __future__ import annotations

import signal
from pathlib import Path
from typing import Annotated

import typer

from mediaproof.cli.common import HomeOption, JsonOption, console, err_console, print_json
from mediaproof.config import load_settings
from mediaproof.errors import MediaproofError
from mediaproof.likeness.monitor import CycleResult, Monitor, channels_from_settings
from mediaproof.likeness.service import LikenessService
from mediaproof.likeness.store import LikenessStore
from mediaproof.services.instance import Instance
from mediaproof.services.likeness import CaseNoticeSource, open_store

app = typer.Typer(help="Watch a drop folder for media showing enrolled people.")


@app.command()
def monitor(
    drop_dir: Annotated[
        Path | None,
        typer.Option("--drop-dir", help="Folder to watch. Default: $MEDIAPROOF_MONITOR_DROP_DIR"),
    ] = None,
    once: Annotated[
        bool, typer.Option("--once", help="Process what is there now, then exit.")
    ] = False,
    poll_s: Annotated[float | None, typer.Option("--poll-s", help="Seconds between scans.")] = None,
    settle_s: Annotated[
        float | None,
        typer.Option("--settle-s", help="Seconds a file must be unchanged before reading."),
    ] = None,
    cases: Annotated[
        bool,
        typer.Option("--cases/--no-cases", help="Also analyse the media of new case notices."),
    ] = True,
    home: HomeOption = None,
    as_json: JsonOption = False,
) -> None:
    """Analyse media arriving in the drop folder and with new case notices; alert in-app,
    by e-mail and by webhook (as configured) when it shows someone who looks or sounds
    like an enrolled person. Stop with Ctrl-C or SIGTERM."""
    store: LikenessStore | None = None
    inst: Instance | None = None
    try:
        settings = load_settings(home)
        folder = drop_dir or settings.monitor.drop_dir
        if folder is None and not cases:
            raise MediaproofError(
                "nothing to watch: no drop folder configured and case notices turned off",
                hint="pass --drop-dir or set MEDIAPROOF_MONITOR_DROP_DIR",
            )
        inst = Instance(settings)
        store = open_store(inst)
        mon = Monitor(
            LikenessService(store, settings.limits),
            settings,
            folder,
            channels_from_settings(settings),
            sources=[CaseNoticeSource(inst)] if cases else [],
            settle_s=settle_s,
        )

        def show(result: CycleResult, quiet: bool = False) -> None:
            if quiet and not (
                result.analysed or result.duplicates or result.errors or result.skipped
            ):
                return  # the loop stays silent while nothing arrives
            if as_json:
                print_json(result.as_dict())
                return
            console.print(
                f"analysed {len(result.analysed)}, duplicates "
                f"{len(result.duplicates)}, skipped {len(result.skipped)}, "
                f"alerts {len(result.alerts)}"
            )
            for a in result.alerts:
                sent = ", ".join(f"{k}: {v}" for k, v in a.deliveries.items())
                console.print("  " + "; ".join(a.statements) + (f"  [{sent}]" if sent else ""))
            for p, why in result.errors.items():
                err_console.print(f"  [yellow]{p}[/]: {why}")

        if once:
            show(mon.run_once())
            return
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda *_: mon.stop())
        if not as_json:
            watched = [str(folder)] if folder else []
            watched += ["new case notices"] if cases else []
            console.print(f"watching {' and '.join(watched)} (Ctrl-C to stop)")
        mon.run(poll_s, on_cycle=lambda r: show(r, quiet=True))
    except MediaproofError as e:
        err_console.print(f"[bold red]error:[/] {e.message}")
        if e.hint:
            err_console.print(f"[dim]hint: {e.hint}[/]")
        raise typer.Exit(e.exit_code) from e
    finally:
        if store is not None:
            store.close()
        if inst is not None:
            inst.close()
