"""`mediaproof log`: append to, sign, prove and audit the tamper-evident transparency log."""

from __future__ import annotations

import base64
import json
import os
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from mediaproof.cli._tlog import (
    KeyOption,
    LogOption,
    MinWitnessOption,
    WitnessOption,
    check_proof,
    home_dir,
    log_client,
    read_file,
    read_text,
    run,
    witness_keys,
)
from mediaproof.cli.common import HomeOption, JsonOption, console, print_json
from mediaproof.config import load_settings
from mediaproof.errors import UsageError
from mediaproof.services import transparency as tlog
from mediaproof.transparency.checkpoint import VerifiedCheckpoint, cosign
from mediaproof.transparency.client import LogClient
from mediaproof.transparency.entries import SCHEMA_VERSION, now
from mediaproof.transparency.note import CosignatureSigner
from mediaproof.transparency.proof import SUFFIX

app = typer.Typer(
    help="The tamper-evident log of registrations and decisions (C2SP checkpoints and tiles).",
    no_args_is_help=True,
)


def _cp_json(vc: VerifiedCheckpoint) -> dict[str, Any]:
    cp = vc.checkpoint
    return {
        "origin": cp.origin,
        "size": cp.size,
        "root": base64.b64encode(cp.root).decode(),
        "cosignatures": [
            {"name": c.name, "key_id": c.key_id.hex(), "time": c.timestamp} for c in vc.cosignatures
        ],
        "note": vc.encode().decode(),
    }


def _read_input(src: str) -> bytes:
    if src == "-":
        return sys.stdin.buffer.read()
    return read_file(src)


def _write_output(path: Path, data: bytes, what: str) -> None:
    try:
        path.write_bytes(data)
    except OSError as e:
        raise UsageError(f"cannot write the {what} to {path}: {e.strerror}") from e


@app.command()
def append(
    src: Annotated[
        str, typer.Argument(help="JSON entry, or a list of entries, from a file or - (stdin).")
    ] = "-",
    sign: Annotated[
        bool, typer.Option("--checkpoint", help="Sign a checkpoint afterwards.")
    ] = False,
    origin: Annotated[
        str | None, typer.Option("--origin", help="Log origin, only when creating the log.")
    ] = None,
    home: HomeOption = None,
    as_json: JsonOption = False,
) -> None:
    """Append validated entries (known types, no personal data); fills in `v` and `time`."""

    def body() -> None:
        try:
            data = json.loads(_read_input(src))
        except ValueError as e:
            raise UsageError(f"not JSON: {e}") from e
        except RecursionError as e:
            raise UsageError("not JSON: nested too deeply") from e
        items = data if isinstance(data, list) else [data]
        for item in items:
            if isinstance(item, dict):
                item.setdefault("v", SCHEMA_VERSION)
                item.setdefault("time", now())
        where = home_dir(home)
        with tlog.operator_lock(load_settings(where)):
            indices, vc = tlog.append_entries(where, items, origin=origin, sign=sign)
        if as_json:
            print_json({"ok": True, "indices": indices, "checkpoint": vc and _cp_json(vc)})
        else:
            console.print(
                f"appended {len(indices)} entr{'y' if len(indices) == 1 else 'ies'}: "
                f"index {indices[0]}" + (f"..{indices[-1]}" if len(indices) > 1 else "")
            )
            if vc:
                console.print(f"signed checkpoint of size {vc.checkpoint.size}")

    run(body, as_json)


@app.command()
def checkpoint(
    cosigned: Annotated[
        Path | None,
        typer.Option("--add-cosignatures", help="A cosigned copy of the latest checkpoint."),
    ] = None,
    witness: WitnessOption = None,
    home: HomeOption = None,
    as_json: JsonOption = False,
) -> None:
    """Sign a checkpoint that extends the previous one; publish it and its tiles in <home>/log."""

    def body() -> None:
        note, wits = None, witness_keys(witness)
        if cosigned is not None:
            if not wits:
                raise UsageError("--add-cosignatures needs the --witness keys to check")
            note = read_file(cosigned, "cosigned checkpoint")
        where = home_dir(home)
        with tlog.operator_lock(load_settings(where)):
            vc, added, vkey = tlog.sign_checkpoint(where, cosigned=note, witnesses=wits)
        if as_json:
            print_json(
                {"ok": True, "checkpoint": _cp_json(vc), "cosignatures_added": added, "vkey": vkey}
            )
        else:
            sys.stdout.write(vc.encode().decode())  # verbatim: rich would wrap the signature
            console.print(f"[dim]log key: {vkey}[/]")
            if cosigned is not None:
                console.print(f"added {added} witness cosignature(s)")

    run(body, as_json)


@app.command()
def key(home: HomeOption = None, as_json: JsonOption = False) -> None:
    """Print the log's public verifier key (give it to verifiers out of band)."""

    def body() -> None:
        vkey, origin = tlog.log_identity(home_dir(home))
        if as_json:
            print_json({"ok": True, "vkey": vkey, "origin": origin})
        else:
            console.print(vkey, markup=False, highlight=False)

    run(body, as_json)


@app.command()
def prove(
    index: Annotated[int, typer.Argument(min=0, help="Index of the entry.")],
    out: Annotated[
        Path | None, typer.Option("-o", "--out", help=f"Write the proof here (*{SUFFIX}).")
    ] = None,
    home: HomeOption = None,
    as_json: JsonOption = False,
) -> None:
    """Write a C2SP tlog-proof (checkpoint, inclusion proof, entry) for offline checking."""

    def body() -> None:
        data = tlog.entry_proof(home_dir(home), index).encode()
        if out is not None:
            _write_output(out, data, "proof")
        if as_json:
            print_json(
                {
                    "ok": True,
                    "index": index,
                    "out": str(out) if out else None,
                    "proof": data.decode(),
                }
            )
        elif out is not None:
            console.print(f"wrote proof for entry {index} to {out}")
        else:
            sys.stdout.write(data.decode())

    run(body, as_json)


@app.command("verify-proof")
def verify_proof(
    proof_file: Annotated[Path, typer.Argument(help=f"A *{SUFFIX} file.")],
    key: KeyOption = None,
    entry: Annotated[
        Path | None, typer.Option("--entry", help="The entry's bytes (default: the proof's extra).")
    ] = None,
    witness: WitnessOption = None,
    min_witnesses: MinWitnessOption = 0,
    home: HomeOption = None,
    as_json: JsonOption = False,
) -> None:
    """Verify a tlog-proof offline: signatures, cosignatures, inclusion. Exit 0 only if all hold."""

    def body() -> None:
        res = check_proof(
            read_file(proof_file, "proof"),
            key,
            home,
            entry=read_file(entry, "entry") if entry else None,
            witness=witness,
            min_witnesses=min_witnesses,
        )
        try:  # an --entry of another log's format is proved all the same, shown raw
            entry_json = json.loads(res.entry) if res.entry else None
        except (ValueError, RecursionError):
            entry_json = {"raw": res.entry.decode("utf-8", "replace")} if res.entry else None
        if as_json:
            print_json(
                {
                    "ok": True,
                    "index": res.index,
                    "entry": entry_json,
                    "checkpoint": _cp_json(res.checkpoint),
                }
            )
            return
        cp = res.checkpoint.checkpoint
        console.print(f"[green]OK[/] entry {res.index} is in {cp.origin} at size {cp.size}")
        if entry_json:
            console.print_json(data=entry_json)
        for c in res.checkpoint.cosignatures:
            console.print(f"cosigned by {c.name} at {c.timestamp}")

    run(body, as_json)


def _load_checkpoint(path: Path, log: LogClient) -> VerifiedCheckpoint:
    return log.open(read_file(path, "checkpoint"))


@app.command("verify-consistency")
def verify_consistency(
    old: Annotated[Path, typer.Argument(help="An earlier checkpoint you kept.")],
    new: Annotated[
        Path | None, typer.Argument(help="A later checkpoint (default: the log's current one).")
    ] = None,
    log_prefix: LogOption = None,
    key: KeyOption = None,
    home: HomeOption = None,
    as_json: JsonOption = False,
) -> None:
    """Prove, from the log's tiles, that NEW extends OLD: any rewrite or fork fails."""

    def body() -> None:
        client = log_client(log_prefix, key, home)
        old_vc = _load_checkpoint(old, client)
        new_vc = _load_checkpoint(new, client) if new else client.latest()
        proof = client.check_consistency(old_vc.checkpoint, new_vc.checkpoint)
        if as_json:
            print_json(
                {
                    "ok": True,
                    "old_size": old_vc.checkpoint.size,
                    "new_size": new_vc.checkpoint.size,
                    "proof": [base64.b64encode(h).decode() for h in proof],
                }
            )
        else:
            console.print(
                f"[green]OK[/] size {new_vc.checkpoint.size} extends size "
                f"{old_vc.checkpoint.size} ({len(proof)} proof hashes)"
            )

    run(body, as_json)


@app.command()
def audit(
    pin: Annotated[
        Path,
        typer.Option("--pin", help="File holding the checkpoint you trust; updated on success."),
    ],
    log_prefix: LogOption = None,
    key: KeyOption = None,
    full: Annotated[
        bool,
        typer.Option("--full", help="Also re-hash every entry and check it has no personal data."),
    ] = False,
    new_entries: Annotated[
        bool,
        typer.Option("--new-entries", help="Re-hash and check only entries added since the pin."),
    ] = False,
    update: Annotated[
        bool, typer.Option("--update/--no-update", help="Move the pin forward.")
    ] = True,
    witness: WitnessOption = None,
    min_witnesses: MinWitnessOption = 0,
    home: HomeOption = None,
    as_json: JsonOption = False,
) -> None:
    """Check the log extends your pinned checkpoint (first run pins it); --full re-hashes all."""

    def body() -> None:
        prefix = log_prefix or str(home_dir(home) / "log")
        client = log_client(prefix, key, home, witness=witness, min_witnesses=min_witnesses)
        pinned = _load_checkpoint(pin, client).checkpoint if pin.exists() else None
        report = client.audit(pinned, full=full, new_entries=new_entries)
        if update:
            _write_output(pin, client.latest().encode(), "pinned checkpoint")
        if as_json:
            print_json(
                {
                    "ok": not report.invalid_entries,
                    "pinned_size": report.old_size,
                    "size": report.new_size,
                    "root": base64.b64encode(report.root).decode(),
                    "entries_checked": report.entries_checked,
                    "invalid_entries": report.invalid_entries,
                    "first_use": pinned is None,
                }
            )
            if report.invalid_entries:
                raise typer.Exit(1)
            return
        if pinned is None:
            console.print(
                f"pinned {prefix} at size {report.new_size} (first use: nothing to compare)"
            )
        else:
            console.print(
                f"[green]OK[/] log grew append-only from {report.old_size} to {report.new_size}"
            )
        if full or new_entries:
            t = Table("entries re-hashed", "invalid entries")
            t.add_row(str(report.entries_checked), str(len(report.invalid_entries)))
            console.print(t)
            for i, why in report.invalid_entries[:20]:
                console.print(f"[yellow]entry {i}:[/] {why}")
        if report.invalid_entries:
            # Intact but breaking the no-personal-data rule: the operator must act.
            raise typer.Exit(1)

    run(body, as_json)


@app.command("witness-keygen")
def witness_keygen(
    name: Annotated[str, typer.Argument(help="Witness name, e.g. witness.example.org/w1.")],
    out: Annotated[Path, typer.Option("-o", "--out", help="Where to write the private key.")],
    as_json: JsonOption = False,
) -> None:
    """Make a witness key (tlog-cosignature, type 0x04); prints the public key to share."""

    def body() -> None:
        if out.exists():
            raise UsageError(f"{out} exists; refusing to overwrite a key")
        signer = CosignatureSigner.generate(name)
        try:
            fd = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except OSError as e:
            raise UsageError(f"cannot write the key to {out}: {e.strerror}") from e
        with os.fdopen(fd, "w") as f:
            f.write(signer.skey + "\n")
        if as_json:
            print_json({"ok": True, "vkey": signer.vkey, "key_file": str(out)})
        else:
            console.print(signer.vkey, markup=False, highlight=False)

    run(body, as_json)


@app.command()
def witness(
    witness_key: Annotated[Path, typer.Option("--witness-key", help="Your witness key file.")],
    state: Annotated[
        Path, typer.Option("--state", help="The checkpoint you last cosigned (kept up to date).")
    ],
    out: Annotated[
        Path, typer.Option("-o", "--out", help="Where to write the cosigned checkpoint.")
    ],
    log_prefix: LogOption = None,
    key: KeyOption = None,
    home: HomeOption = None,
    as_json: JsonOption = False,
) -> None:
    """Witness: cosign the log's checkpoint if it extends the one you cosigned last."""

    def body() -> None:
        signer = CosignatureSigner.from_skey(read_text(witness_key, "witness key"))
        client = log_client(log_prefix, key, home)
        latest = client.latest()
        if state.exists():
            last = client.open(read_file(state, "witness state"))
            client.check_consistency(last.checkpoint, latest.checkpoint)
        cosigned = cosign(latest.note, signer)
        _write_output(out, cosigned.encode(), "cosigned checkpoint")
        _write_output(state, latest.note.encode(), "witness state")
        cp = latest.checkpoint
        if as_json:
            print_json({"ok": True, "origin": cp.origin, "size": cp.size, "out": str(out)})
        else:
            console.print(f"cosigned {cp.origin} at size {cp.size} -> {out}")

    run(body, as_json)


@app.command()
def status(home: HomeOption = None, as_json: JsonOption = False) -> None:
    """Show the log's origin, key, size and latest checkpoint."""

    def body() -> None:
        st = tlog.log_status(home_dir(home))
        latest = st.latest
        if as_json:
            print_json(
                {
                    "ok": True,
                    "origin": st.origin,
                    "vkey": st.vkey,
                    "entries": st.entries,
                    "checkpoint": _cp_json(latest) if latest else None,
                }
            )
            return
        t = Table(show_header=False)
        t.add_row("origin", st.origin)
        t.add_row("key", st.vkey)
        t.add_row("entries", str(st.entries))
        if latest:
            cp = latest.checkpoint
            t.add_row("checkpoint", f"size {cp.size}, root {base64.b64encode(cp.root).decode()}")
            t.add_row("cosignatures", ", ".join(c.name for c in latest.cosignatures) or "none")
        else:
            t.add_row("checkpoint", "none yet")
        console.print(t)

    run(body, as_json)
