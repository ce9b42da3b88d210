"""`mediaproof keys`: signing keys and certificates."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from cryptography import x509

from mediaproof.cli.common import HomeOption, JsonOption, console, instance, print_json
from mediaproof.provenance.keys import check_signing_profile, import_keys, init_keys

app = typer.Typer(
    help="Create, import and inspect the instance's C2PA signing keys.", no_args_is_help=True
)


def _describe(cert: x509.Certificate) -> dict[str, str]:
    return {
        "subject": cert.subject.rfc4514_string(),
        "issuer": cert.issuer.rfc4514_string(),
        "not_before": cert.not_valid_before_utc.isoformat(),
        "not_after": cert.not_valid_after_utc.isoformat(),
    }


@app.command("init")
def init_cmd(
    org: Annotated[str, typer.Option("--org", help="Organisation named in the certificates.")],
    alg: Annotated[str, typer.Option("--alg", help="es256 or ed25519")] = "es256",
    force: Annotated[bool, typer.Option("--force", help="Replace existing keys.")] = False,
    home: HomeOption = None,
    json_out: JsonOption = False,
) -> None:
    """Create a local root CA and a C2PA signing certificate (keys written 0600)."""
    if alg not in ("es256", "ed25519"):
        raise typer.BadParameter("--alg must be es256 or ed25519")
    with instance(home) as inst:
        m = init_keys(inst.keys_dir, org, alg=alg, force=force)  # type: ignore[arg-type]
        cert = _describe(m.certificate)
        if json_out:
            print_json({"keys_dir": str(inst.keys_dir), "alg": alg, "certificate": cert})
            return
        console.print(f"[green]Created signing keys[/] in {inst.keys_dir}")
        console.print(f"  signer: {cert['subject']}")
        console.print(f"  valid until: {cert['not_after']}")
        console.print(
            "  Verifiers elsewhere see this signer as [yellow]untrusted[/] unless they add "
            f"{inst.keys_dir / 'root-ca.pem'} to their trust anchors."
        )


@app.command("import")
def import_cmd(
    chain: Annotated[Path, typer.Argument(help="PEM certificate chain, signing cert first.")],
    key: Annotated[Path, typer.Argument(help="PEM private key of the signing certificate.")],
    force: Annotated[bool, typer.Option("--force", help="Replace existing keys.")] = False,
    home: HomeOption = None,
    json_out: JsonOption = False,
) -> None:
    """Install a certificate chain and key issued by a real CA."""
    with instance(home) as inst:
        m = import_keys(inst.keys_dir, chain, key, force=force)
        cert = _describe(m.certificate)
        if json_out:
            print_json({"keys_dir": str(inst.keys_dir), "alg": m.alg, "certificate": cert})
            return
        console.print(f"[green]Imported signing keys[/] for {cert['subject']}")


@app.command("show")
def show_cmd(home: HomeOption = None, json_out: JsonOption = False) -> None:
    """Show the signing certificate and whether it fits the C2PA profile."""
    with instance(home) as inst:
        m = inst.require_keys()
        cert = _describe(m.certificate)
        problems = check_signing_profile(m.certificate)
        if json_out:
            own_root = str(inst.keys_dir / "root-ca.pem") if m.root_pem else None
            print_json(
                {"alg": m.alg, "certificate": cert, "problems": problems, "own_root": own_root}
            )
            return
        console.print(f"signer: {cert['subject']} ({m.alg})")
        console.print(f"issuer: {cert['issuer']}")
        console.print(f"valid: {cert['not_before']} → {cert['not_after']}")
        for p in problems:
            console.print(f"[red]problem:[/] {p}")
