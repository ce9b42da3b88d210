"""What every command shares: the instance option, output, and error handling."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console

from mediaproof.errors import MediaproofError
from mediaproof.services.instance import Instance

console = Console()
err_console = Console(stderr=True)

HomeOption = Annotated[
    Path | None,
    typer.Option(
        "--home",
        help="Instance directory (database, keys, blobs). Default: $MEDIAPROOF_HOME or ./var",
        show_default=False,
    ),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print machine-readable JSON.")]

T = TypeVar("T")


def print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, indent=2, ensure_ascii=False, default=str) + "\n")


def show(data: Any, as_json: bool, text: str) -> None:
    """One result: ``data`` as JSON, or ``text`` (rich markup) for people."""
    if as_json:
        print_json(data)
    else:
        console.print(text)


def show_rows(
    rows: Iterable[T],
    as_json: bool,
    line: Callable[[T], str],
    *,
    as_dict: Callable[[T], Any] | None = None,
) -> None:
    """A list: JSON (each row through ``as_dict`` when given), or one ``line`` a row."""
    if as_json:
        print_json([as_dict(r) if as_dict else r for r in rows])
        return
    for r in rows:
        console.print(line(r))


def print_error(e: MediaproofError, *, as_json: bool = False) -> None:
    """Say what went wrong: a message and hint on stderr, or a JSON error object."""
    if as_json:
        print_json({"ok": False, "error": {"code": e.code, "message": e.message, "hint": e.hint}})
        return
    err_console.print(f"[bold red]error:[/] {e.message}")
    if e.hint:
        err_console.print(f"[dim]hint: {e.hint}[/]")


def fail(e: MediaproofError, *, as_json: bool = False) -> typer.Exit:
    print_error(e, as_json=as_json)
    return typer.Exit(e.exit_code)


@contextmanager
def instance(home: Path | None) -> Iterator[Instance]:
    try:
        inst = Instance.open(home)
    except MediaproofError as e:
        raise fail(e) from e
    try:
        yield inst
    except MediaproofError as e:
        raise fail(e) from e
    finally:
        inst.close()


def guarded(fn: Callable[[], T]) -> T:
    try:
        return fn()
    except MediaproofError as e:
        raise fail(e) from e
