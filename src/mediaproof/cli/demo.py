"""`mediaproof demo`: the main job on the embedded default, end to end.

Creates an instance (SQLite, local files), makes keys, signs and registers a sample photo,
makes a stripped copy (re-encoded, as platforms do) and a tampered copy (one content byte
flipped), and verifies all three.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from mediaproof.cli.common import HomeOption, JsonOption, console, err_console, instance, print_json
from mediaproof.media.samples import flip_content_byte, sample_photo, strip_by_reencoding
from mediaproof.provenance.keys import init_keys
from mediaproof.services.publishing import SignRequest, sign_and_register
from mediaproof.services.verification import verify_file


def demo(
    workdir: Annotated[
        Path | None,
        typer.Option("--workdir", help="Where to write the demo files (default: HOME/demo)."),
    ] = None,
    home: HomeOption = None,
    json_out: JsonOption = False,
) -> None:
    """Run the end-to-end demo: sign, register, strip, tamper, verify."""
    with instance(home) as inst:
        work = workdir or inst.home / "demo"
        work.mkdir(parents=True, exist_ok=True)
        if not (inst.keys_dir / "signer-chain.pem").exists():
            init_keys(inst.keys_dir, "mediaproof demo election office")
            err_console.print(f"created demo signing keys in {inst.keys_dir}")
        import uuid

        # a fresh sample each run, so the demo can be re-run on the same instance
        original = sample_photo(work / "original.jpg", seed=uuid.uuid4().int % 2**32)
        signed = work / "signed.jpg"
        pub = sign_and_register(
            inst,
            SignRequest(
                src=original,
                dest=signed,
                title="Polling hours statement",
                author="Election office press team",
                source_type="digitalCapture",
            ),
        )
        stripped = strip_by_reencoding(signed, work / "stripped.jpg")
        tampered = work / "tampered.jpg"
        flip_content_byte(signed, tampered)
        results = {}
        for name, path in (("signed", signed), ("stripped", stripped), ("tampered", tampered)):
            results[name] = verify_file(inst, path).as_dict()
        if json_out:
            print_json(
                {
                    "asset_id": pub.asset.id,
                    "files": {k: str(work / f"{k}.jpg") for k in results},
                    "reports": results,
                }
            )
            return
        console.print(f"signed and registered [bold]{signed}[/] as asset {pub.asset.id}\n")
        t = Table("file", "credentials", "registry", "answer")
        for name, r in results.items():
            t.add_row(
                name,
                r["provenance"]["state"],
                str(r["registry"]["asset_id"] or "-"),
                r["assessment"]["headline"],
            )
        console.print(t)
        console.print(f"\nfiles are in {work}; try [bold]mediaproof verify {tampered}[/]")
