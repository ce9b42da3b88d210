"""What `mediaproof log` and `mediaproof alibi` share beyond cli.common: key options, files."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Annotated, TypeVar

import typer

from mediaproof.cli.common import err_console, fail
from mediaproof.config import load_settings
from mediaproof.errors import MediaproofError, UsageError
from mediaproof.transparency.client import LogClient
from mediaproof.transparency.errors import LogError
from mediaproof.transparency.note import CosignatureVerifier, Ed25519Verifier
from mediaproof.transparency.proof import VerifiedInclusion, verify_tlog_proof

KeyOption = Annotated[
    str | None,
    typer.Option(
        "--key",
        help="The log's verifier key (name+id+key) or a file holding it. Pin it out of band.",
        show_default=False,
    ),
]
WitnessOption = Annotated[
    list[str] | None,
    typer.Option("--witness", help="A trusted witness key (type 0x04 vkey) or file; repeatable."),
]
LogOption = Annotated[
    str | None,
    typer.Option("--log", help="The log's tile directory or URL (default: <home>/log)."),
]
MinWitnessOption = Annotated[
    int, typer.Option("--min-witnesses", min=0, help="Cosignatures required from --witness keys.")
]

T = TypeVar("T")


def home_dir(home: Path | None) -> Path:
    return home if home is not None else load_settings().home


def run(fn: Callable[[], T], as_json: bool) -> T:
    """Run a command body: a MediaproofError becomes a message and its exit code."""
    try:
        try:
            return fn()
        except OSError as e:
            # A file the command reads or writes (a pin, an output, the store) is missing,
            # unreadable or on a full disk: say which, never a traceback.
            where = f"{e.filename}: " if e.filename else ""
            raise LogError(f"{where}{e.strerror or e}") from e
    except MediaproofError as e:
        raise fail(e, as_json=as_json) from e


def read_file(path: Path | str, what: str = "") -> bytes:
    """The bytes of a file named on the command line, or a UsageError saying why not."""
    try:
        return Path(path).read_bytes()
    except OSError as e:
        raise UsageError(f"cannot read {what + ' ' if what else ''}{path}: {e.strerror}") from e


def read_text(path: Path | str, what: str) -> str:
    try:
        return read_file(path, what).decode("utf-8")
    except UnicodeDecodeError as e:
        raise UsageError(f"{what} {path} is not text (UTF-8)") from e


def _key_text(value: str) -> str:
    p = Path(value)
    if "+" not in value or (p.exists() and p.is_file()):
        return read_text(p, "key file").strip()
    return value.strip()


def log_key(value: str | None, home: Path | None) -> Ed25519Verifier:
    """The log key from --key, else the one this instance publishes (trust on first use)."""
    if value is None:
        path = home_dir(home) / "log" / "log.vkey"
        if not path.exists():
            raise UsageError("no --key given and no local log key", hint="pass --key NAME+ID+KEY")
        err_console.print(f"[dim]using the log key in {path}; third parties should pin --key[/]")
        value = str(path)
    return Ed25519Verifier.from_vkey(_key_text(value))


def witness_keys(values: list[str] | None) -> list[CosignatureVerifier]:
    return [CosignatureVerifier.from_vkey(_key_text(v)) for v in values or []]


def log_client(
    log_prefix: str | None,
    key: str | None,
    home: Path | None,
    *,
    witness: list[str] | None = None,
    min_witnesses: int = 0,
) -> LogClient:
    """A client of the served log at --log (default: this instance's <home>/log)."""
    return LogClient(
        log_prefix or str(home_dir(home) / "log"),
        log_key(key, home),
        witnesses=witness_keys(witness),
        min_witnesses=min_witnesses,
    )


def check_proof(
    proof: bytes,
    key: str | None,
    home: Path | None,
    *,
    entry: bytes | None = None,
    witness: list[str] | None = None,
    min_witnesses: int = 0,
) -> VerifiedInclusion:
    """Check a tlog-proof offline against the --key and --witness keys."""
    return verify_tlog_proof(
        proof,
        log_key(key, home),
        entry=entry,
        witnesses=witness_keys(witness),
        min_witnesses=min_witnesses,
    )
