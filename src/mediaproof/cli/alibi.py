"""`mediaproof alibi`: log the digest of your own recording or statement, prove it later.

A person who fears being impersonated logs the SHA-256 of their genuine recording (only
the digest leaves their hands). The signed log then shows the recording existed, in this
exact form, no later than the checkpoint that includes it; a proof bundle lets anyone
check that offline with the log's public key and the file.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Annotated, Any

import typer

from mediaproof.cli._tlog import (
    KeyOption,
    MinWitnessOption,
    WitnessOption,
    check_proof,
    home_dir,
    run,
)
from mediaproof.cli.common import HomeOption, JsonOption, console, print_json
from mediaproof.errors import UsageError
from mediaproof.services import transparency as tlog
from mediaproof.transparency import entries
from mediaproof.transparency.errors import ProofError
from mediaproof.transparency.proof import SUFFIX

app = typer.Typer(
    help="Certified alibi: log the digest of your own recording, prove it existed.",
    no_args_is_help=True,
)

ClaimantOption = Annotated[
    str | None,
    typer.Option("--claimant", help="Your opaque ID (never a name or e-mail)."),
]


def _sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    try:
        with path.open("rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                h.update(block)
    except OSError as e:
        raise UsageError(f"cannot read {path}: {e.strerror}") from e
    return h.hexdigest()


@app.command()
def add(
    file: Annotated[Path, typer.Argument(help="Your recording or statement.", exists=True)],
    claimant: ClaimantOption = None,
    out: Annotated[
        Path | None, typer.Option("-o", "--out", help=f"Also write the proof bundle (*{SUFFIX}).")
    ] = None,
    home: HomeOption = None,
    as_json: JsonOption = False,
) -> None:
    """Log the file's SHA-256 with the time it was logged, and sign a checkpoint."""

    def body() -> None:
        digest = _sha256_file(file)
        entry = entries.alibi_recorded(content_sha256=digest, claimant=claimant)
        index, vc, proof = tlog.record_alibi(home_dir(home), entry, with_proof=out is not None)
        if out is not None and proof is not None:
            out.write_bytes(proof.encode())
        if as_json:
            print_json(
                {
                    "ok": True,
                    "index": index,
                    "sha256": digest,
                    "time": entry.data["time"],
                    "checkpoint_size": vc.checkpoint.size,
                    "proof": str(out) if out else None,
                }
            )
            return
        console.print(f"logged sha256 {digest}")
        console.print(
            f"entry {index} at {entry.data['time']}, in signed checkpoint of size "
            f"{vc.checkpoint.size}"
        )
        if out is not None:
            console.print(f"proof bundle: {out}")

    run(body, as_json)


@app.command()
def prove(
    file: Annotated[
        Path | None, typer.Argument(help="The file you logged (found by its digest).")
    ] = None,
    index: Annotated[int | None, typer.Option("--index", min=0, help="The entry index.")] = None,
    out: Annotated[
        Path | None, typer.Option("-o", "--out", help="Where to write the bundle.")
    ] = None,
    home: HomeOption = None,
    as_json: JsonOption = False,
) -> None:
    """Write a proof bundle (C2SP tlog-proof carrying the entry) a third party checks offline."""

    def body() -> None:
        if (file is None) == (index is None):
            raise UsageError("give the FILE you logged or --index, not both")
        digest = _sha256_file(file) if file is not None else None
        proof = tlog.alibi_proof(home_dir(home), index=index, digest=digest)
        i, data = proof.index, proof.encode()
        target = out or Path(f"{file.name if file else f'entry-{i}'}{SUFFIX}")
        target.write_bytes(data)
        if as_json:
            print_json({"ok": True, "index": i, "out": str(target)})
        else:
            console.print(f"wrote proof bundle for entry {i} to {target}")

    run(body, as_json)


@app.command()
def verify(
    bundle: Annotated[Path, typer.Argument(help=f"The proof bundle (*{SUFFIX}).", exists=True)],
    file: Annotated[
        Path | None, typer.Argument(help="The recording; its digest must match the entry.")
    ] = None,
    key: KeyOption = None,
    witness: WitnessOption = None,
    min_witnesses: MinWitnessOption = 0,
    home: HomeOption = None,
    as_json: JsonOption = False,
) -> None:
    """Check a bundle offline with the log's key: signature, inclusion, and the file's digest."""

    def body() -> None:
        res = check_proof(
            bundle.read_bytes(), key, home, witness=witness, min_witnesses=min_witnesses
        )
        if res.entry is None:
            raise ProofError("the bundle does not carry its entry")
        data: dict[str, Any] = json.loads(res.entry)
        if data.get("type") != "alibi.recorded":
            raise ProofError(f"the entry is a {data.get('type')!r}, not an alibi")
        if file is not None and _sha256_file(file) != data["content_sha256"]:
            raise ProofError(
                "the file's SHA-256 differs from the logged one",
                hint="this is not the file that was logged",
            )
        cp = res.checkpoint.checkpoint
        result = {
            "ok": True,
            "index": res.index,
            "sha256": data["content_sha256"],
            "logged_at": data["time"],
            "file_checked": file is not None,
            "origin": cp.origin,
            "checkpoint_size": cp.size,
            "cosignatures": [
                {"name": c.name, "time": c.timestamp} for c in res.checkpoint.cosignatures
            ],
        }
        if as_json:
            print_json(result)
            return
        console.print(
            f"[green]OK[/] sha256 {data['content_sha256']} was logged by {cp.origin} "
            f"as entry {res.index} at {data['time']}"
        )
        if file is None:
            console.print("[yellow]no file given: the digest was not compared with a file[/]")
        for c in res.checkpoint.cosignatures:
            console.print(f"witnessed by {c.name} at {c.timestamp} (unix time)")

    run(body, as_json)
