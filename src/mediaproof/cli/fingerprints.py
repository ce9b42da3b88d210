"""`mediaproof fingerprints`: bulk import of hash lists, and the index snapshot."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from mediaproof.cli.common import HomeOption, JsonOption, console, instance, print_json
from mediaproof.errors import IngestError

app = typer.Typer(help="Imported hash lists and the fingerprint index.", no_args_is_help=True)


@app.command("import")
def import_cmd(
    file: Annotated[Path, typer.Argument(help="local_file lines ('pdq <hex>') or CSV; '-': stdin")],
    list_name: Annotated[str, typer.Option("--list", help="The list to add them to.")],
    home: HomeOption = None,
    json_out: JsonOption = False,
) -> None:
    """Import hashes into a named list: leads for reviewers, never registered originals."""
    from mediaproof.matching.hash_import import parse_hash_file
    from mediaproof.services.hash_lists import import_hashes

    with instance(home) as inst:
        try:
            data = sys.stdin.buffer.read() if str(file) == "-" else file.read_bytes()
        except OSError as e:
            raise IngestError(f"cannot read {file}: {e.strerror}") from e
        result = import_hashes(inst.db, list_name, parse_hash_file(data))
        if json_out:
            print_json(result.as_dict())
            return
        console.print(
            f"Imported [bold]{result.imported}[/] hashes ({result.format}) into list "
            f"[bold]{result.list}[/]"
        )


@app.command("lists")
def lists_cmd(home: HomeOption = None, json_out: JsonOption = False) -> None:
    """The imported hash lists and their sizes."""
    from mediaproof.services.hash_lists import lists

    with instance(home) as inst:
        rows = lists(inst.db)
        if json_out:
            print_json(rows)
            return
        for r in rows:
            console.print(f"{r['name']}\t{r['entries']}\t{r['created_at']}")


@app.command("snapshot")
def snapshot_cmd(home: HomeOption = None, json_out: JsonOption = False) -> None:
    """Write the registry's fingerprint index snapshot (mapped by the next `serve`)."""
    with instance(home) as inst:
        lookup = inst.fingerprint_lookup
        folder = lookup.write_snapshot()
        out = {"snapshot": str(folder), "hashes": lookup.hash_count}
        if json_out:
            print_json(out)
            return
        console.print(f"Wrote {folder} ({lookup.hash_count} hashes)")
