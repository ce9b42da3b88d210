"""`mediaproof exchange`: publish collections of confirmed signals, grant peers, and pull
from peers (docs/exchange.md)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape

from mediaproof.cli.common import (
    HomeOption,
    JsonOption,
    console,
    instance,
    print_json,
    show,
    show_rows,
)
from mediaproof.errors import NotFoundError
from mediaproof.exchange.models import (
    Category,
    CollectionSpec,
    InclusionRule,
    Require,
    SignalType,
    Tlp,
    parse_enum,
)
from mediaproof.services import (
    exchange,
    exchange_contrib,
    exchange_match,
    exchange_pull,
    exchange_sources,
)

app = typer.Typer(help="The hash exchange: collections, peers, pulls.", no_args_is_help=True)
peer_app = typer.Typer(help="Sources this instance pulls from.", no_args_is_help=True)
app.add_typer(peer_app, name="peer")
source_app = typer.Typer(
    help="Sources pulled through python-threatexchange's exchanges (pytx:<exchange>).",
    no_args_is_help=True,
)
app.add_typer(source_app, name="source")


@app.command("key")
def key_cmd(
    init: Annotated[bool, typer.Option("--init", help="Create the key (once).")] = False,
    name: Annotated[
        str, typer.Option("--name", help="Key name, e.g. elections.example.org/exchange.")
    ] = exchange.DEFAULT_KEY_NAME,
    home: HomeOption = None,
) -> None:
    """Print the verifier key peers pin (created on first use with the default name)."""
    with instance(home) as inst:
        if init:
            exchange.init_key(inst, name)
        console.print(exchange.public_key(inst), soft_wrap=True)


@app.command("create")
def create_cmd(
    name: Annotated[str, typer.Argument(help="Collection name: a-z, 0-9, '-', '_'.")],
    organisation: Annotated[str, typer.Option(help="The publishing organisation.")],
    description: Annotated[str, typer.Option(help="What the collection holds.")] = "",
    signal_type: Annotated[
        list[str] | None, typer.Option("--signal-type", help="pdq, video_md5, vpdq, chromaprint")
    ] = None,
    tlp: Annotated[str, typer.Option(help="clear, green, amber, amber+strict, red")] = "amber",
    policy_url: Annotated[str | None, typer.Option(help="The sharing policy's URL.")] = None,
    category: Annotated[
        str, typer.Option(help="positive_class, negative_class, investigation_seed")
    ] = "positive_class",
    require: Annotated[
        str, typer.Option(help="two_reviewers (default) or final_decision")
    ] = "two_reviewers",
    outcome: Annotated[
        list[str] | None, typer.Option("--outcome", help="Only decisions with this outcome.")
    ] = None,
    case_category: Annotated[
        list[str] | None, typer.Option("--case-category", help="Only cases of this category.")
    ] = None,
    tombstone_days: Annotated[int, typer.Option(help="How long withdrawals stay pageable.")] = 90,
    home: HomeOption = None,
    json_out: JsonOption = False,
) -> None:
    """Create a collection. It publishes bank entries its inclusion rule admits."""
    with instance(home) as inst:
        spec = CollectionSpec(
            name=name,
            organisation=organisation,
            description=description,
            signal_types=tuple(
                parse_enum(SignalType, t, "signal type") for t in (signal_type or ["pdq", "vpdq"])
            ),
            tlp=parse_enum(Tlp, tlp, "TLP level"),
            policy_url=policy_url,
            category=parse_enum(Category, category, "category"),
            rule=InclusionRule(
                parse_enum(Require, require, "requirement"),
                tuple(sorted(outcome or [])),
                tuple(sorted(case_category or [])),
            ),
            tombstone_days=tombstone_days,
        )
        out = exchange.create_collection(inst, spec)
    show(out, json_out, f"created collection [bold]{name}[/]")


@app.command("collections")
def collections_cmd(home: HomeOption = None, json_out: JsonOption = False) -> None:
    """The collections this instance publishes."""
    with instance(home) as inst:
        out = exchange.list_collections(inst)
    show_rows(out, json_out, _collection_line)


def _collection_line(c: dict[str, Any]) -> str:
    alarm = f"  [bold red]ALARM: {c['alarm']}[/]" if c["alarm"] else ""
    return f"{c['name']}: {c['size']} updates, {c['tlp']}{alarm}"


@app.command("sync")
def sync_cmd(
    name: Annotated[str | None, typer.Argument(help="One collection (default: all).")] = None,
    home: HomeOption = None,
    json_out: JsonOption = False,
) -> None:
    """Bring collections in line with the bank (confirmed entries in, reversed ones out),
    reading the whole bank and log and checking the log's hash against the tree signed
    last, also when nothing changed (a pull's own sync skips that): run it from cron."""
    with instance(home) as inst:
        res = exchange.sync(inst, name)
    show_rows(
        res,
        json_out,
        lambda r: f"{r.collection}: +{r.added} -{r.withdrawn}, log size {r.size}",
        as_dict=lambda r: r.__dict__,
    )


@app.command("withdraw")
def withdraw_cmd(
    name: Annotated[str, typer.Argument(help="Collection.")],
    signal_type: Annotated[str, typer.Option("--signal-type")],
    value: Annotated[str, typer.Option("--value")],
    reason: Annotated[str, typer.Option("--reason", help="Why (kept, not published).")],
    home: HomeOption = None,
    json_out: JsonOption = False,
) -> None:
    """Withdraw a signal: a tombstone now, and sync will not publish it again."""
    with instance(home) as inst:
        r = exchange.withdraw(inst, name, signal_type, value, reason)
    show(r.__dict__, json_out, f"{r.collection}: withdrawn, log size {r.size}")


@app.command("grant")
def grant_cmd(
    name: Annotated[str, typer.Argument(help="Collection.")],
    peer: Annotated[str, typer.Option("--peer", help="The peer's account (created if new).")],
    expires_in_days: Annotated[int, typer.Option(help="Token lifetime.")] = 365,
    opine: Annotated[
        bool, typer.Option("--opine", help="The token may also submit opinions on signals.")
    ] = False,
    contribute: Annotated[
        bool,
        typer.Option("--contribute", help="The token may also submit signals for review."),
    ] = False,
    home: HomeOption = None,
    json_out: JsonOption = False,
) -> None:
    """Issue a token that reads this one collection; printed once."""
    with instance(home) as inst:
        secret, token_id = exchange.grant(
            inst, name, peer, expires_in_days=expires_in_days, opine=opine, contribute=contribute
        )
    if json_out:
        print_json({"token": secret, "token_id": token_id, "collection": name, "peer": peer})
        return
    console.print(f"token for {peer} (shown once): [bold]{secret}[/]", soft_wrap=True)


@app.command("reads")
def reads_cmd(
    name: Annotated[str, typer.Argument(help="Collection.")],
    limit: Annotated[int, typer.Option(min=1, max=10_000)] = 100,
    home: HomeOption = None,
) -> None:
    """The audit record of reads of a collection, newest first (JSON)."""
    with instance(home) as inst:
        print_json(exchange.reads(inst, name, limit))


@app.command("snapshot")
def snapshot_cmd(
    name: Annotated[str, typer.Argument(help="Collection.")],
    fmt: Annotated[str, typer.Option("--format", help="local_file, csv or json")] = "local_file",
    out: Annotated[Path | None, typer.Option("-o", "--out")] = None,
    home: HomeOption = None,
) -> None:
    """Write the collection's live signals in a format other tools read."""
    with instance(home) as inst:
        _media, body = exchange.snapshot(inst, None, name, fmt)
    text = json.dumps(body, indent=2) + "\n" if isinstance(body, dict) else body
    if out is None:
        typer.echo(text, nl=False)
    else:
        out.write_text(text)


@peer_app.command("add")
def peer_add_cmd(
    name: Annotated[str, typer.Argument(help="A name for the source.")],
    url: Annotated[str, typer.Option("--url", help="The peer instance's base URL.")],
    token: Annotated[str, typer.Option("--token", help="The token the peer granted you.")],
    key: Annotated[str, typer.Option("--key", help="The peer's checkpoint key, got out of band.")],
    collection: Annotated[str, typer.Option("--collection", help="Its collection name.")],
    home: HomeOption = None,
    json_out: JsonOption = False,
) -> None:
    """Add a source with its pinned key."""
    with instance(home) as inst:
        out = exchange_pull.add_peer(
            inst, name, url=url, collection=collection, token=token, key=key
        )
    show(out, json_out, f"added peer [bold]{name}[/]")


@peer_app.command("list")
def peer_list_cmd(home: HomeOption = None, json_out: JsonOption = False) -> None:
    """Sources and their status."""
    with instance(home) as inst:
        out = exchange_pull.peers(inst)
    show_rows(out, json_out, _peer_line)


def _peer_line(p: dict[str, Any]) -> str:
    err = f": {p['last_error']}" if p["last_error"] else ""
    if p.get("kind", "mediaproof") != "mediaproof":
        return (
            f"{p['name']} ({p['kind']}): {p['status']}{err} ({p['signals']} signals, "
            f"{p['skipped']} records skipped)"
        )
    return f"{p['name']}: {p['status']}{err} ({p['signals']} signals, log {p['size']})"


@source_app.command("add")
def source_add_cmd(
    name: Annotated[str, typer.Option("--name", help="A name for the source.")],
    kind: Annotated[
        str,
        typer.Option(
            "--kind",
            help="pytx:local_file, pytx:fb_threatexchange, pytx:ncmec, "
            "pytx:stop_ncii or pytx:tat (`exchange source kinds`).",
        ),
    ],
    base_url: Annotated[
        str | None,
        typer.Option("--base-url", help="The exchange's API base URL (required: no default)."),
    ] = None,
    credentials_file: Annotated[
        Path | None,
        typer.Option(
            "--credentials-file",
            help="A file only you can read, in python-threatexchange's format for the kind "
            "(read at each pull, never shown).",
        ),
    ] = None,
    file: Annotated[
        Path | None, typer.Option("--file", help="local_file: the signal file to read.")
    ] = None,
    signal_type: Annotated[
        str | None,
        typer.Option("--signal-type", help="local_file: the type of lines without one."),
    ] = None,
    privacy_group: Annotated[
        int | None,
        typer.Option("--privacy-group", help="fb_threatexchange: the privacy group id."),
    ] = None,
    only_esp_id: Annotated[
        list[int] | None,
        typer.Option("--only-esp-id", help="ncmec: take only these members' entries."),
    ] = None,
    ncmec_negative_reason: Annotated[
        str | None,
        typer.Option(
            "--ncmec-negative-reason",
            help="ncmec: the GUID of NCMEC's reason sent with a false-positive verdict "
            "(needed where NCMEC offers several).",
        ),
    ] = None,
    home: HomeOption = None,
    json_out: JsonOption = False,
) -> None:
    """Add a source pulled through python-threatexchange's own client for its exchange.
    It is pulled with the peers (`exchange pull`, and on `serve`'s schedule)."""
    with instance(home) as inst:
        out = exchange_sources.add_source(
            inst,
            name,
            kind=kind,
            base_url=base_url,
            credentials_file=credentials_file,
            filename=file,
            signal_type=signal_type,
            privacy_group=privacy_group,
            only_esp_ids=tuple(only_esp_id or ()),
            ncmec_negative_reason=ncmec_negative_reason,
        )
    show(out, json_out, f"added source [bold]{escape(name)}[/] ({escape(out['kind'])})")


@source_app.command("kinds")
def source_kinds_cmd() -> None:
    """The python-threatexchange exchanges a source can be, and what each needs (JSON)."""
    print_json(exchange_sources.kinds())


@source_app.command("list")
def source_list_cmd(home: HomeOption = None, json_out: JsonOption = False) -> None:
    """Every source (peers too) and its status: last error, counts."""
    peer_list_cmd(home, json_out)


@peer_app.command("signals")
def peer_signals_cmd(name: Annotated[str, typer.Argument()], home: HomeOption = None) -> None:
    """The signals received from a source, held for review (JSON)."""
    with instance(home) as inst:
        print_json(exchange_pull.incoming(inst, name))


@app.command("pull")
def pull_cmd(
    name: Annotated[str | None, typer.Argument(help="One source (default: all).")] = None,
    force: Annotated[bool, typer.Option("--force", help="Ignore the backoff.")] = False,
    home: HomeOption = None,
    json_out: JsonOption = False,
) -> None:
    """Pull, verify and store what sources published. Exit 13 if any pull was refused."""
    with instance(home) as inst:
        res = exchange_pull.pull(inst, name, force=force)
    show_rows(res, json_out, _pull_line, as_dict=lambda r: r.as_dict())
    if any(r.status == "refused" for r in res):
        raise typer.Exit(13)
    if any(r.status == "error" for r in res):
        raise typer.Exit(14)


def _pull_line(r: exchange_pull.PullResult) -> str:
    msg = f": {r.message}" if r.message else ""
    return f"{r.peer}: {r.status} +{r.added} -{r.removed} (log {r.size}){msg}"


@app.command("opine")
def opine_cmd(
    name: Annotated[str, typer.Argument(help="Collection.")],
    signal_id: Annotated[
        int, typer.Argument(min=1, help="The seq of a feed row that carries the signal.")
    ],
    opinion: Annotated[
        str | None, typer.Option(help="confirmed, false_positive, disputed or seen.")
    ] = None,
    reason: Annotated[str | None, typer.Option(help="Why (published, scrubbed).")] = None,
    home: HomeOption = None,
) -> None:
    """Opine on a signal as the publisher (a ``confirmed`` re-enables a signal a peer
    suspended), or, without --opinion, show the opinions on it (JSON)."""
    with instance(home) as inst:
        if opinion is None:
            print_json(exchange.opinions(inst, None, name, signal_id))
            return
        print_json(exchange.opine(inst, None, name, signal_id, opinion, reason or ""))


@app.command("disputes")
def disputes_cmd(home: HomeOption = None) -> None:
    """Signals a peer's opinion stops acting automatically (JSON)."""
    with instance(home) as inst:
        print_json(exchange.disputes(inst))


@peer_app.command("opine")
def peer_opine_cmd(
    name: Annotated[str, typer.Argument(help="The peer we pull from.")],
    signal_id: Annotated[
        int, typer.Argument(min=1, help="The seq we received the signal at (peer signals).")
    ],
    opinion: Annotated[str, typer.Option(help="confirmed, false_positive, disputed or seen.")],
    reason: Annotated[str, typer.Option(help="Why (sent to the peer, scrubbed).")],
    home: HomeOption = None,
) -> None:
    """Send our reviewers' opinion on a peer's signal back to that peer (its token must
    have been granted with --opine there)."""
    with instance(home) as inst:
        print_json(exchange_pull.send_opinion(inst, name, signal_id, opinion, reason))


# --- contributions (docs/exchange.md, "Contributions") -------------------------------


@app.command("contributions")
def contributions_cmd(
    status: Annotated[
        str | None, typer.Option(help="pending, accepted or rejected (default: all).")
    ] = None,
    collection: Annotated[str | None, typer.Option(help="One collection.")] = None,
    home: HomeOption = None,
    json_out: JsonOption = False,
) -> None:
    """Signals peers submitted to our collections, newest first."""
    with instance(home) as inst:
        out = exchange_contrib.contributions(inst, status=status, collection=collection)
    show_rows(out, json_out, _contribution_line)


def _contribution_line(c: dict[str, Any]) -> str:
    why = f" ({c['decision_reason']})" if c["decision_reason"] else ""
    seq = f" as seq {c['seq']}" if c["seq"] else ""
    return escape(
        f"#{c['id']} {c['collection']}: {c['signal_type']} {c['value'][:16]}... from "
        f"{c['contributor']}: {c['status']}{seq}{why}"
    )


@app.command("accept")
def accept_cmd(
    contribution_id: Annotated[int, typer.Argument(min=1, help="The contribution's id.")],
    by: Annotated[str, typer.Option(help="Who decided (kept).")] = exchange_contrib.OPERATOR,
    home: HomeOption = None,
) -> None:
    """Publish a pending contribution as a signal of its collection, owned by the peer."""
    with instance(home) as inst:
        print_json(exchange_contrib.accept(inst, contribution_id, by))


@app.command("reject")
def reject_cmd(
    contribution_id: Annotated[int, typer.Argument(min=1, help="The contribution's id.")],
    reason: Annotated[str, typer.Option(help="Why (the contributor reads it, scrubbed).")],
    by: Annotated[str, typer.Option(help="Who decided (kept).")] = exchange_contrib.OPERATOR,
    home: HomeOption = None,
) -> None:
    """Refuse a pending contribution, with a reason."""
    with instance(home) as inst:
        print_json(exchange_contrib.reject(inst, contribution_id, reason, by))


@peer_app.command("contribute")
def peer_contribute_cmd(
    name: Annotated[str, typer.Argument(help="The peer we pull from.")],
    signal_type: Annotated[str, typer.Option("--signal-type", help="pdq, video_md5, ...")],
    value: Annotated[str, typer.Option("--value", help="The hash, lower-case hex.")],
    reason: Annotated[str, typer.Option(help="Why (sent to the peer, scrubbed).")],
    category: Annotated[
        str, typer.Option(help="positive_class, negative_class or investigation_seed.")
    ] = "positive_class",
    tag: Annotated[list[str] | None, typer.Option("--tag", help="Repeat for more.")] = None,
    quality: Annotated[int | None, typer.Option(min=0, max=100, help="PDQ quality.")] = None,
    home: HomeOption = None,
) -> None:
    """Submit a signal to a peer's collection for its reviewers (our token must have
    been granted with --contribute there). Prints the pending contribution."""
    with instance(home) as inst:
        print_json(
            exchange_contrib.send_contribution(
                inst,
                name,
                signal_type=signal_type,
                value=value,
                reason=reason,
                category=category,
                tags=tag or [],
                quality=quality,
            )
        )


# --- received signals: matches, quarantine, negatives, verdicts (exchange_match) ------

negative_app = typer.Typer(
    help="The local negative list: known-benign signals that suppress matches.",
    no_args_is_help=True,
)
app.add_typer(negative_app, name="negative")


@app.command("matches")
def matches_cmd(
    media: Annotated[
        str | None, typer.Option("--media", help="Only this upload's SHA-256.")
    ] = None,
    home: HomeOption = None,
) -> None:
    """Uploads that matched received signals: the case opened, or why none (JSON)."""
    with instance(home) as inst:
        print_json(exchange_match.matches(inst, media_sha256=media))


@app.command("verdicts")
def verdicts_cmd(home: HomeOption = None) -> None:
    """Our reviewers' verdicts on received signals and whether their source got them
    (sent at each pull round, retried with backoff) (JSON)."""
    with instance(home) as inst:
        print_json(exchange_match.verdicts(inst))


@app.command("quarantined")
def quarantined_cmd(home: HomeOption = None) -> None:
    """Received signals the flood guard quarantined (JSON)."""
    with instance(home) as inst:
        print_json(exchange_match.quarantined(inst))


@peer_app.command("release")
def peer_release_cmd(
    name: Annotated[str, typer.Argument(help="The peer we pull from.")],
    seq: Annotated[int, typer.Argument(min=1, help="The seq of the quarantined signal.")],
    home: HomeOption = None,
) -> None:
    """Release a signal the flood guard quarantined: its matches open cases again."""
    with instance(home) as inst:
        print_json(exchange_match.release(inst, name, seq))


@negative_app.command("add")
def negative_add_cmd(
    signal_type: Annotated[str, typer.Option("--signal-type", help="pdq or video_md5")],
    value: Annotated[str, typer.Option("--value", help="The hash.")],
    reason: Annotated[str, typer.Option("--reason", help="Why it is benign.")],
    home: HomeOption = None,
) -> None:
    """Add a known-benign signal: uploads it matches open no case from received signals."""
    with instance(home) as inst:
        print_json(exchange_match.add_negative(inst, signal_type, value, reason))


@negative_app.command("list")
def negative_list_cmd(home: HomeOption = None) -> None:
    """The local negative list (JSON)."""
    with instance(home) as inst:
        print_json(exchange_match.negatives(inst))


@negative_app.command("remove")
def negative_remove_cmd(
    signal_type: Annotated[str, typer.Option("--signal-type", help="pdq or video_md5")],
    value: Annotated[str, typer.Option("--value", help="The hash.")],
    home: HomeOption = None,
) -> None:
    """Take a signal off the local negative list."""
    with instance(home) as inst:
        if not exchange_match.remove_negative(inst, signal_type, value):
            raise NotFoundError("that signal is not on the local negative list")
    console.print("removed")
