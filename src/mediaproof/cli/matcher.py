"""`mediaproof matcher`: the sharded matchers' snapshots and one matcher replica.

A matcher process needs only the index, the database and the blob store: this module
imports no more than that at load time, so ``python -m mediaproof.cli.matcher serve``
starts in a few seconds (the full CLI imports every command's dependencies)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

app = typer.Typer(help="Sharded, replicated matchers (docs/matchers.md).", no_args_is_help=True)

ShardsOption = Annotated[
    int, typer.Option("--shards", min=1, max=256, help="How many shards the index is split in.")
]
# the same option as cli.common's (not imported from there: it loads the whole instance)
HomeOption = Annotated[
    Path | None,
    typer.Option(
        "--home",
        help="Instance directory (database, keys, blobs). Default: $MEDIAPROOF_HOME or ./var",
        show_default=False,
    ),
]


@app.command("snapshot")
def snapshot_cmd(
    shards: ShardsOption,
    home: HomeOption = None,
    json_out: Annotated[bool, typer.Option("--json", help="Print machine-readable JSON.")] = False,
) -> None:
    """Build every shard's snapshot and publish it to the blob store (replicas swap to it)."""
    from mediaproof.cli.common import console, instance, print_json
    from mediaproof.services.matchers import build_instance_snapshots

    with instance(home) as inst:
        built = build_instance_snapshots(inst, shards)
    if json_out:
        print_json([b.as_dict() for b in built])
        return
    for b in built:
        console.print(f"shard {b.shard}/{b.shards}: {b.name} ({b.hashes} hashes, seq {b.seq})")


@app.command("prune")
def prune_cmd(
    keep_days: Annotated[
        float | None,
        typer.Option("--keep-days", min=0.0, help="Keep this many days of changes "
                     "(default: MEDIAPROOF_SERVICE_CHANGES_KEEP_DAYS, 7)."),
    ] = None,
    home: HomeOption = None,
    json_out: Annotated[bool, typer.Option("--json", help="Print machine-readable JSON.")] = False,
) -> None:
    """Prune the change sequences the matchers and indexes follow (the log writer does it
    hourly); a follower further behind rebuilds from the rows, none misses a change."""
    from mediaproof.cli.common import console, instance, print_json
    from mediaproof.services.change_prune import prune_change_sequences

    with instance(home) as inst:
        days = inst.settings.service.changes_keep_days if keep_days is None else keep_days
        pruned = prune_change_sequences(inst.db, days)
    if json_out:
        print_json([p.as_dict() for p in pruned])
        return
    for p in pruned:
        console.print(f"{p.table}: {p.deleted} deleted, horizon {p.horizon}")


def _fail(message: str, code: int) -> typer.Exit:
    sys.stderr.write(f"error: {message}\n")
    return typer.Exit(code)


@app.command("serve")
def serve_cmd(
    shard: Annotated[int, typer.Option("--shard", min=0, help="Which shard this replica serves.")],
    shards: ShardsOption,
    host: Annotated[str, typer.Option("--host", help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", min=1, max=65535)] = 9001,
    log_level: Annotated[str, typer.Option("--log-level")] = "info",
    home: HomeOption = None,
) -> None:
    """Serve one shard's lookups: load its snapshot, catch up, poll; /readyz 503 until then."""
    import uvicorn

    from mediaproof.cli.matcher_http import create_matcher_app
    from mediaproof.config import load_settings
    from mediaproof.errors import ConfigError, MediaproofError
    from mediaproof.observability.logs import configure_logging
    from mediaproof.services.matchers import open_replica

    try:
        settings = load_settings(home)
        configure_logging(log_level.upper(), settings.log_format)
        if settings.matcher_token is None:
            raise ConfigError(
                "a matcher needs a shared token: set MEDIAPROOF_MATCHER_TOKEN "
                "(at least 16 characters, the same on the API processes)"
            )
        if shard >= shards:
            raise ConfigError(f"--shard must be below --shards ({shards})")
        replica = open_replica(settings, shard, shards, str(port))
        metrics_token = settings.metrics_token
        app_ = create_matcher_app(
            replica, settings.matcher_token.get_secret_value(),
            None if metrics_token is None else metrics_token.get_secret_value(),
        )  # fmt: skip
    except MediaproofError as e:
        raise _fail(str(e), e.exit_code) from e
    except ValueError as e:  # a malformed setting (pydantic names it, never its value)
        raise _fail(str(e), 78) from e
    replica.start_in_background()
    sys.stderr.write(f"mediaproof: matcher shard {shard}/{shards} on http://{host}:{port}/\n")
    sys.stderr.flush()
    try:
        uvicorn.run(
            app_, host=host, port=port, log_level=log_level.lower(), access_log=False,
            log_config=None, timeout_keep_alive=30, server_header=False,
        )  # fmt: skip
    finally:
        replica.close()


if __name__ == "__main__":  # python -m mediaproof.cli.matcher serve ...
    app()
