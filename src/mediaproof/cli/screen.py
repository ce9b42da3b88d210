"""`mediaproof screen ...`: screen prompts, keep the protected-officials list and the
seed examples, read the record of blocks and reviews (docs/screening.md)."""

from __future__ import annotations

import csv
import hashlib
import io
import json
from pathlib import Path
from typing import Annotated, Any

import typer

from mediaproof.cli.common import (
    HomeOption,
    JsonOption,
    console,
    instance,
    print_json,
    show,
    show_rows,
)
from mediaproof.errors import UsageError
from mediaproof.services import consent as consents
from mediaproof.services import screening as svc
from mediaproof.services.transparency import land_staged

app = typer.Typer(help="Prompt screening for generation tools.", no_args_is_help=True)
officials_app = typer.Typer(help="The protected-officials list.", no_args_is_help=True)
seeds_app = typer.Typer(help="Seed examples of deceptive prompts.", no_args_is_help=True)
app.add_typer(officials_app, name="officials")
app.add_typer(seeds_app, name="seeds")
consent_app = typer.Typer(
    help="Consent records: a person lets a tool maker use their face or voice.",
    no_args_is_help=True,
)
app.add_typer(consent_app, name="consent")
bans_app = typer.Typer(help="Users banned under the ban rule.", no_args_is_help=True)
app.add_typer(bans_app, name="bans")

MAX_FILE_PROMPTS = 100_000


def _read_prompts(path: Path) -> list[str]:
    """Prompts from a JSONL file: one object per line with "prompt" or "text"."""
    try:
        raw = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise UsageError(f"cannot read {path}: {e}") from e
    prompts: list[str] = []
    for n, line in enumerate(raw.splitlines(), 1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as e:
            raise UsageError(f"{path}:{n}: not a JSON object ({e.msg})") from e
        text = obj.get("prompt", obj.get("text")) if isinstance(obj, dict) else None
        if not isinstance(text, str):
            raise UsageError(f"{path}:{n}: each line needs a \"prompt\" (or \"text\") string")
        prompts.append(text)
        if len(prompts) > MAX_FILE_PROMPTS:
            raise UsageError(f"{path}: more than {MAX_FILE_PROMPTS} prompts")
    if not prompts:
        raise UsageError(f"{path}: no prompts")
    return prompts


@app.command("prompt")
def prompt_cmd(
    text: Annotated[str | None, typer.Argument(help="The prompt to screen.")] = None,
    file: Annotated[
        Path | None, typer.Option("--file", help="A JSONL file: \"prompt\" or \"text\" per line.")
    ] = None,
    record: Annotated[
        bool, typer.Option("--record", help="Record blocks and reviews as the tool 'cli'.")
    ] = False,
    user_ref: Annotated[str | None, typer.Option("--user-ref", help="With --record.")] = None,
    home: HomeOption = None,
    as_json: JsonOption = False,
) -> None:
    """Screen one prompt, or every prompt in a file: allow, review or block, and why."""
    if (text is None) == (file is None):
        raise typer.BadParameter("give a prompt or --file, not both")
    with instance(home) as inst:
        prompts = [text] if text is not None else _read_prompts(file)  # type: ignore[arg-type]
        service = svc.service_for(inst)
        results: list[dict[str, Any]] = []
        for p in prompts:
            if record:
                res = service.screen(p, "cli", user_ref).to_json()
            else:
                if not p.strip():
                    raise UsageError("the prompt is empty")
                res = service.screener().screen(p).to_json()
            results.append({"prompt": p, **res})
        if record and any(r["event_id"] is not None for r in results):
            land_staged(inst)  # the recorded decisions' log leaves, staged with their rows
        if as_json:
            print_json(results[0] if text is not None else results)
            return
        for r in results:
            colour = {"allow": "green", "review": "yellow", "block": "red"}[r["decision"]]
            console.print(f"[bold {colour}]{r['decision'].upper()}[/]  {r['prompt'][:100]}")
            for reason in r["reasons"]:
                who = f"  person: {reason['person']}" if reason.get("person") else ""
                console.print(f"    {reason['rule']}: {reason['matched']!r}{who}")
        if not results[0]["embeddings"]:
            console.print("[dim]sentence embeddings unavailable: rules only[/]")


@officials_app.command("add")
def officials_add(
    name: Annotated[str, typer.Argument(help="Full name.")],
    alias: Annotated[list[str] | None, typer.Option("--alias", help="Repeat for more.")] = None,
    role: Annotated[str, typer.Option("--role", help="e.g. 'mayor of Springfield'.")] = "",
    home: HomeOption = None,
    as_json: JsonOption = False,
) -> None:
    """Add a protected official (candidate, office-holder, election official)."""
    with instance(home) as inst:
        o = svc.add_official(inst, name, alias or [], role)
    show(o.to_json(), as_json, f"added official {o.id}: {o.name}")


@officials_app.command("list")
def officials_list(home: HomeOption = None, as_json: JsonOption = False) -> None:
    with instance(home) as inst:
        rows = svc.list_officials(inst)
    show_rows(rows, as_json, _official_line, as_dict=lambda o: o.to_json())


def _official_line(o: svc.Official) -> str:
    aliases = f" (aliases: {', '.join(o.aliases)})" if o.aliases else ""
    role = f" - {o.role}" if o.role else ""
    return f"{o.id:>4}  {o.name}{role}{aliases}"


@officials_app.command("remove")
def officials_remove(official_id: int, home: HomeOption = None) -> None:
    with instance(home) as inst:
        svc.remove_official(inst, official_id)
        console.print(f"removed official {official_id}")


def _records(path: Path) -> list[dict[str, Any]]:
    try:
        raw = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise UsageError(f"cannot read {path}: {e}") from e
    if path.suffix.lower() == ".csv":
        return [dict(r) for r in csv.DictReader(io.StringIO(raw))]
    try:
        data = json.loads(raw)
    except json.JSONDecodeError:
        try:
            return [json.loads(line) for line in raw.splitlines() if line.strip()]
        except json.JSONDecodeError as e:
            raise UsageError(f"{path}: neither JSON, JSONL nor CSV ({e.msg})") from e
    if not isinstance(data, list):
        raise UsageError(f"{path}: expected a list of officials")
    return data


@officials_app.command("import")
def officials_import(
    path: Annotated[Path, typer.Argument(help="JSON list, JSONL or CSV (name,aliases,role).")],
    home: HomeOption = None,
) -> None:
    """Add officials from a file; aliases in CSV are separated by ';'. All or nothing."""
    with instance(home) as inst:
        added = svc.import_officials(inst, _records(path))
        console.print(f"imported {len(added)} officials")


@seeds_app.command("add")
def seeds_add(
    text: Annotated[str, typer.Argument(help="An example prompt of the incident.")],
    scenario: Annotated[str, typer.Option("--scenario", help="e.g. ballots, arrest, or new.")],
    language: Annotated[str, typer.Option("--language")] = "en",
    home: HomeOption = None,
    as_json: JsonOption = False,
) -> None:
    """Add a seed example; screening uses it from the next prompt on."""
    with instance(home) as inst:
        seed = svc.add_seed(inst, scenario, text, language)
    show(seed.__dict__, as_json, f"added seed {seed.id} ({seed.scenario})")


@seeds_app.command("list")
def seeds_list(home: HomeOption = None, as_json: JsonOption = False) -> None:
    with instance(home) as inst:
        seeds = svc.operator_seeds(inst)
    show_rows(
        seeds,
        as_json,
        lambda s: f"{s.id:>14}  [{s.scenario}] {s.text}",
        as_dict=lambda s: s.__dict__,
    )


@seeds_app.command("remove")
def seeds_remove(seed_id: int, home: HomeOption = None) -> None:
    with instance(home) as inst:
        svc.remove_seed(inst, seed_id)
        console.print(f"removed seed operator:{seed_id}")


@app.command("events")
def events_cmd(
    tool: Annotated[str | None, typer.Option("--tool")] = None,
    user_ref: Annotated[str | None, typer.Option("--user-ref")] = None,
    limit: Annotated[int, typer.Option("--limit", min=1, max=10_000)] = 100,
    home: HomeOption = None,
    as_json: JsonOption = False,
) -> None:
    """Recorded blocks and reviews, and the counts per tool and user reference."""
    with instance(home) as inst:
        data = {
            "events": svc.list_events(inst, tool, user_ref, limit),
            "counts": svc.event_counts(inst),
        }
        if as_json:
            print_json(data)
            return
        for c in data["counts"]:
            console.print(f"{c['tool']:<20} {c['user_ref'] or '-':<24} "
                          f"block {c['block']:>4}  review {c['review']:>4}  "
                          f"hold {c.get('hold', 0):>4}")


# --- consent records ---------------------------------------------------------------------


def _evidence_digest(evidence: Path | None, evidence_sha256: str | None) -> str:
    if (evidence is None) == (evidence_sha256 is None):
        raise UsageError(
            "give the signed document (--evidence FILE) or its digest (--evidence-sha256)"
        )
    if evidence_sha256 is not None:
        return evidence_sha256
    assert evidence is not None
    h = hashlib.sha256()
    try:
        with evidence.open("rb") as f:  # only the digest is kept, never the document
            while chunk := f.read(1 << 20):
                h.update(chunk)
    except OSError as e:
        raise UsageError(f"cannot read {evidence}: {e}") from e
    return h.hexdigest()


@consent_app.command("grant")
def consent_grant(
    enrolment_id: Annotated[str, typer.Argument(help="The person's likeness enrolment id.")],
    grantee: Annotated[str, typer.Option("--grantee", help="The toolmaker account.")],
    until: Annotated[str, typer.Option("--until", help="End: YYYY-MM-DD (that day, UTC) "
                                       "or an ISO date-time. Required.")],
    signed_how: Annotated[str, typer.Option(
        "--signed-how", help=" | ".join(consents.SIGNED_HOW))],
    modality: Annotated[list[str], typer.Option("--modality", help="face or voice; repeat.")],
    use: Annotated[list[str], typer.Option("--use", help="A permitted use (slug); repeat; "
                                           "'any' for every use not prohibited.")],
    prohibit: Annotated[list[str] | None, typer.Option(
        "--prohibit", help="A prohibited use; repeat.")] = None,
    territory: Annotated[list[str] | None, typer.Option(
        "--territory", help="ISO country code; repeat; default worldwide.")] = None,
    start: Annotated[str | None, typer.Option("--from", help="Start (default: now).")] = None,
    evidence: Annotated[Path | None, typer.Option(
        "--evidence", help="The signed document: its SHA-256 is recorded.")] = None,
    evidence_sha256: Annotated[str | None, typer.Option("--evidence-sha256")] = None,
    agent: Annotated[bool, typer.Option(
        "--agent", help="Granted by the person's authorised agent.")] = False,
    home: HomeOption = None,
    as_json: JsonOption = False,
) -> None:
    """Record a grant; a consent.granted leaf goes into the transparency log."""
    with instance(home) as inst:
        digest = _evidence_digest(evidence, evidence_sha256)
        logged = consents.grant(
            inst,
            enrolment_id=enrolment_id,
            grantee=grantee,
            modalities=modality,
            permitted_uses=use,
            prohibited_uses=prohibit or [],
            territory=territory or [consents.WORLDWIDE],
            valid_from=consents.parse_time(start, end_of_day=False) if start else None,
            valid_until=consents.parse_time(until, end_of_day=True),
            evidence_sha256=digest,
            signed_how=signed_how,
            granted_by="agent" if agent else "subject",
            recorded_by="cli",
        )
        if as_json:
            print_json(logged.to_json())
            return
        c = logged.consent
        where = "log index " + str(logged.log_index) if logged.log_index is not None else (
            "log entry staged")
        console.print(f"granted {c.id} to {c.grantee} until {c.valid_until.isoformat()} "
                      f"({where})")


@consent_app.command("list")
def consent_list(
    grantee: Annotated[str | None, typer.Option("--grantee")] = None,
    enrolment_id: Annotated[str | None, typer.Option("--enrolment")] = None,
    home: HomeOption = None,
    as_json: JsonOption = False,
) -> None:
    """Consent records, valid or not, oldest first."""
    with instance(home) as inst:
        found = consents.list_consents(inst, grantee=grantee, enrolment_id=enrolment_id)
    show_rows(found, as_json, _consent_line, as_dict=lambda c: c.to_json())


def _consent_line(c: consents.Consent) -> str:
    return (
        f"{c.id}  {c.status():<13} person {c.enrolment_id}  tool {c.grantee}  "
        f"{'+'.join(c.modalities)}  uses {','.join(c.permitted_uses)}  "
        f"until {c.valid_until.date().isoformat()}"
    )


@consent_app.command("revoke")
def consent_revoke(
    consent_id: Annotated[str, typer.Argument(help="consent-...")],
    home: HomeOption = None,
    as_json: JsonOption = False,
) -> None:
    """Revoke at once; a consent.revoked leaf goes into the log."""
    with instance(home) as inst:
        logged = consents.revoke(inst, consent_id, revoked_by="cli")
    show(logged.to_json(), as_json, f"revoked {consent_id} (log index {logged.log_index})")


# --- bans ------------------------------------------------------------------------------


@bans_app.command("list")
def bans_list(
    tool: Annotated[str | None, typer.Option("--tool")] = None,
    active: Annotated[bool, typer.Option("--active", help="Only bans not lifted.")] = False,
    home: HomeOption = None,
    as_json: JsonOption = False,
) -> None:
    """Bans under the operator's ban rule, newest first."""
    with instance(home) as inst:
        bans = svc.list_bans(inst, tool, active)
    show_rows(bans, as_json, _ban_line)


def _ban_line(b: dict[str, Any]) -> str:
    state = f"lifted {b['lifted_at']} by {b['lifted_by']}" if b["lifted_at"] else "active"
    return f"{b['tool']:<20} {b['user_ref']:<24} {b['at']}  {b['events']} blocks/holds  {state}"


@bans_app.command("lift")
def bans_lift(
    tool: Annotated[str, typer.Argument(help="The tool (its account name).")],
    user_ref: Annotated[str, typer.Argument(help="The tool's user reference.")],
    home: HomeOption = None,
) -> None:
    """Lift a ban: the user's prompts are screened normally again."""
    with instance(home) as inst:
        svc.lift_ban(inst, tool, user_ref, "cli")
        console.print(f"lifted the ban of {user_ref} at {tool}")
