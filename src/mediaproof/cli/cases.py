"""`mediaproof cases`: report, review, act, appeal; statements of reasons and reports.

The instance's review policy is ``<home>/review-policy.json`` when present (see
docs/workflow.md), else the built-in default. Case events go to the transparency log
(``<home>/log``): every notice, decision, appeal and action is a leaf there.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer

from mediaproof.cases.models import (
    AppealOutcome,
    NoticeCategory,
    NoticeInput,
    Outcome,
    Relationship,
)
from mediaproof.cases.report import to_csv, to_html
from mediaproof.cli.common import HomeOption, JsonOption, console, instance, print_json
from mediaproof.errors import UsageError
from mediaproof.services import notice_media
from mediaproof.services.cases import CaseService
from mediaproof.services.cases.runtime import case_service, close_case_service

app = typer.Typer(
    help="Report deceptive media, review and decide cases, handle appeals, export "
    "statements of reasons and transparency reports.",
    no_args_is_help=True,
)


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@contextmanager
def _service(home: Path | None) -> Iterator[CaseService]:
    with instance(home) as inst:
        svc = case_service(inst)
        try:
            yield svc
        finally:
            close_case_service(svc)


def _date(value: str, name: str) -> dt.datetime:
    try:
        d = dt.datetime.fromisoformat(value)
    except ValueError as e:
        raise typer.BadParameter(f"{name} must be an ISO date, e.g. 2026-11-01") from e
    return d if d.tzinfo else d.replace(tzinfo=dt.UTC)


def _enum(kind: Any, value: str, name: str) -> Any:
    try:
        return kind(value)
    except ValueError as e:
        allowed = ", ".join(m.value for m in kind)
        raise typer.BadParameter(f"{name} must be one of: {allowed}") from e


@app.command("report")
def report_cmd(
    category: Annotated[
        str,
        typer.Option(
            help="deepfake_of_candidate, false_voting_information, "
            "impersonation, non_consensual_intimate_deepfake, other"
        ),
    ],
    explanation: Annotated[str, typer.Option(help="Why the content is deceptive or unlawful.")],
    name: Annotated[str, typer.Option("--name", help="Your full name.")],
    email: Annotated[str, typer.Option("--email", help="Where we reach you.")],
    signature: Annotated[str, typer.Option(help="Type your full name as your signature.")],
    relationship: Annotated[
        str, typer.Option(help="self, authorised_representative, third_party")
    ] = "third_party",
    sha256: Annotated[str | None, typer.Option(help="SHA-256 of the media file.")] = None,
    url: Annotated[str | None, typer.Option(help="URL where the content is.")] = None,
    location: Annotated[str | None, typer.Option(help="Where it appears (site, time).")] = None,
    good_faith: Annotated[
        bool,
        typer.Option(
            "--good-faith",
            help="I state in good faith that the content is "
            "deceptive or published without consent, and that this notice is accurate.",
        ),
    ] = False,
    verified_candidate: Annotated[
        bool, typer.Option(help="Operator use: the reporter is a verified candidate.")
    ] = False,
    home: HomeOption = None,
    json_out: JsonOption = False,
) -> None:
    """File a notice. Prints the case number and a status token (shown once)."""
    inp = NoticeInput(
        category=_enum(NoticeCategory, category, "--category"),
        explanation=explanation,
        reporter_name=name,
        reporter_email=email,
        relationship=_enum(Relationship, relationship, "--relationship"),
        good_faith=good_faith,
        signature=signature,
        media_sha256=sha256,
        content_url=url,
        location=location,
        verified_candidate=verified_candidate,
    )
    with _service(home) as svc:
        r = svc.file_notice(inp, _now())
    if json_out:
        print_json(
            {
                "case_number": r.case_number,
                "notice_id": r.notice_id,
                "status_token": r.status_token,
                "due_at": r.triage.due_at.isoformat(),
                "priority": r.triage.priority,
                "joined_existing_case": r.joined_existing_case,
            }
        )
        return
    console.print(
        f"Received. Case [bold]{r.case_number}[/] (priority {r.triage.priority}, "
        f"due {r.triage.due_at:%Y-%m-%d %H:%M} UTC: {r.triage.clock})."
    )
    console.print(f"Your status token (keep it; it is not shown again): {r.status_token}")


TokenOption = Annotated[
    str | None,
    typer.Option(
        "--token",
        help='The token as an option (for tokens that begin with "-": --token=-abc...).',
    ),
]


def _token(argument: str | None, option: str | None) -> str:
    """The token from the argument or --token (exactly one): older tokens may begin with
    "-", which a shell argument can only carry after "--" or as --token=VALUE."""
    if (argument is None) == (option is None):
        raise typer.BadParameter("give the token once: as the argument or as --token=TOKEN")
    token = argument if argument is not None else option
    assert token is not None
    return token.strip()


@app.command("status")
def status_cmd(
    token: Annotated[str | None, typer.Argument(help="Your status token.")] = None,
    token_opt: TokenOption = None,
    home: HomeOption = None,
    json_out: JsonOption = False,
) -> None:
    """Follow your notice with its status token."""
    with _service(home) as svc:
        st = svc.status(_token(token, token_opt))
    if json_out:
        print_json(
            {
                "case_number": st.case_number,
                "state": st.state.value,
                "notice_status": st.notice_status,
                "statements": list(st.statements),
            }
        )
        return
    console.print(f"Case {st.case_number}: {st.state.value}; your notice: {st.notice_status}")
    for text in st.statements:
        console.print(text, markup=False)


@app.command("withdraw")
def withdraw_cmd(
    token: Annotated[str | None, typer.Argument(help="Your status token.")] = None,
    token_opt: TokenOption = None,
    home: HomeOption = None,
) -> None:
    """Withdraw your notice."""
    with _service(home) as svc:
        st = svc.withdraw(_token(token, token_opt), _now())
    console.print(f"Withdrawn. Case {st.case_number} is now {st.state.value}.")


@app.command("queue")
def queue_cmd(
    limit: Annotated[int, typer.Option(min=1, max=1000)] = 50,
    home: HomeOption = None,
    json_out: JsonOption = False,
) -> None:
    """Cases awaiting review, most urgent first."""
    with _service(home) as svc:
        rows = svc.queue(limit)
    if json_out:
        print_json(
            [
                {
                    "number": c.number,
                    "state": c.state.value,
                    "category": c.category.value,
                    "priority": c.priority,
                    "due_at": c.due_at.isoformat(),
                    "notices": c.notice_count,
                    "version": c.version,
                }
                for c in rows
            ]
        )
        return
    from rich.table import Table

    t = Table("case", "state", "category", "prio", "due (UTC)", "notices")
    for c in rows:
        t.add_row(
            c.number,
            c.state.value,
            c.category.value,
            str(c.priority),
            f"{c.due_at:%Y-%m-%d %H:%M}",
            str(c.notice_count),
        )
    console.print(t)


@app.command("show")
def show_cmd(
    case: Annotated[str, typer.Argument(help="Case number.")], home: HomeOption = None
) -> None:
    """A case with its notices (no contact details), decisions, appeals and statements."""
    with _service(home) as svc:
        d = svc.show(case)
    from dataclasses import asdict

    print_json(asdict(d))


@app.command("decide")
def decide_cmd(
    case: Annotated[str, typer.Argument(help="Case number.")],
    reviewer: Annotated[str, typer.Option(help="Your reviewer name.")],
    outcome: Annotated[str, typer.Option(help="label, remove, restrict or no_action")],
    rule: Annotated[str, typer.Option(help="Policy rule applied, e.g. DM-1.")],
    explanation: Annotated[
        str, typer.Option(help="Written explanation (goes into the statement of reasons).")
    ],
    version: Annotated[
        int | None, typer.Option(help="Case version you reviewed (conflict check).")
    ] = None,
    confirm: Annotated[
        bool, typer.Option("--confirm", help="Confirm a proposed removal as second reviewer.")
    ] = False,
    reject: Annotated[bool, typer.Option("--reject", help="Do not confirm the proposal.")] = False,
    home: HomeOption = None,
) -> None:
    """Decide a case, or confirm/reject a proposed removal as second reviewer."""
    with _service(home) as svc:
        if confirm and reject:
            raise UsageError("choose --confirm or --reject, not both")
        if reject:
            c = svc.reject(case, reviewer=reviewer, now=_now())
            console.print(f"Not confirmed; case {c.number} is {c.state.value} again.")
            return
        if confirm:
            r = svc.confirm(case, reviewer=reviewer, now=_now())
        else:
            r = svc.decide(
                case,
                reviewer=reviewer,
                outcome=_enum(Outcome, outcome, "--outcome"),
                rule_id=rule,
                explanation=explanation,
                now=_now(),
                expected_version=version,
            )
    console.print(
        f"Case {r.case.number}: {r.case.state.value} ({r.decision.outcome.value}, "
        f"policy {r.decision.policy_version})."
    )
    if r.uploader_token:
        console.print(
            f"No platform endpoint: give the uploader this appeal token: {r.uploader_token}"
        )
        if r.uploader_appeal_url:  # MEDIAPROOF_SERVICE_PUBLIC_URL is set
            console.print(f"or this link: {r.uploader_appeal_url}")


@app.command("appeal")
def appeal_cmd(
    grounds: Annotated[str, typer.Option(help="Why the decision should change.")],
    token: Annotated[
        str | None, typer.Argument(help="Status token or uploader appeal token.")
    ] = None,
    token_opt: TokenOption = None,
    home: HomeOption = None,
) -> None:
    """Appeal a decision (internal complaint, DSA Art. 20)."""
    with _service(home) as svc:
        a = svc.appeal(_token(token, token_opt), grounds=grounds, now=_now())
    console.print(f"Appeal {a.public_id} filed; a different reviewer will decide.")


@app.command("decide-appeal")
def decide_appeal_cmd(
    appeal: Annotated[str, typer.Argument(help="Appeal id.")],
    reviewer: Annotated[str, typer.Option(help="Your reviewer name (not the original one).")],
    outcome: Annotated[str, typer.Option(help="upheld or reversed")],
    explanation: Annotated[str, typer.Option(help="Written reasons.")],
    new_outcome: Annotated[
        str | None, typer.Option(help="When reversing 'no action': the outcome to apply.")
    ] = None,
    rule: Annotated[str | None, typer.Option(help="Rule for --new-outcome.")] = None,
    home: HomeOption = None,
) -> None:
    """Decide an appeal. A reversal restores the content (or applies --new-outcome)."""
    with _service(home) as svc:
        r = svc.decide_appeal(
            appeal,
            reviewer=reviewer,
            outcome=_enum(AppealOutcome, outcome, "--outcome"),
            explanation=explanation,
            now=_now(),
            new_outcome=_enum(Outcome, new_outcome, "--new-outcome") if new_outcome else None,
            rule_id=rule,
        )
    console.print(
        f"Appeal {r.appeal.public_id}: {outcome}; case {r.case.number} is {r.case.state.value}."
    )
    if r.uploader_token:  # a reversal of "no action" acted on content: its uploader may appeal
        console.print(
            f"No platform endpoint: give the uploader this appeal token: {r.uploader_token}"
        )
        if r.uploader_appeal_url:
            console.print(f"or this link: {r.uploader_appeal_url}")


@app.command("sor-export")
def sor_export_cmd(
    out: Annotated[Path | None, typer.Option("-o", "--out", help="Write JSON here.")] = None,
    all_: Annotated[
        bool, typer.Option("--all", help="Include statements already exported.")
    ] = False,
    home: HomeOption = None,
) -> None:
    """Statements of reasons as DSA Transparency Database v2 batches (<= 100 each)."""
    with _service(home) as svc:
        batches = svc.sor_export(_now(), include_exported=all_)
    text = json.dumps(batches, indent=2, ensure_ascii=False) + "\n"
    if out:
        out.write_text(text, encoding="utf-8")
        console.print(
            f"{sum(len(b['statements']) for b in batches)} statements in "
            f"{len(batches)} batches written to {out}"
        )
    else:
        typer.echo(text, nl=False)


@app.command("transparency-report")
def transparency_report_cmd(
    from_: Annotated[str, typer.Option("--from", help="Start date (included).")],
    to: Annotated[str, typer.Option("--to", help="End date (excluded).")],
    html: Annotated[bool, typer.Option("--html", help="HTML page instead of CSV.")] = False,
    out: Annotated[Path | None, typer.Option("-o", "--out")] = None,
    home: HomeOption = None,
) -> None:
    """Transparency report for a period: CSV (RFC 4180, UTF-8) or an HTML page."""
    with _service(home) as svc:
        rep = svc.transparency_report(_date(from_, "--from"), _date(to, "--to"))
    text = to_html(rep) if html else to_csv(rep)
    if out:
        out.write_bytes(text.encode("utf-8"))
        console.print(f"Report written to {out}")
    else:
        typer.echo(text, nl=False)


@app.command("sweep-media")
def sweep_media_cmd(home: HomeOption = None, json_out: JsonOption = False) -> None:
    """Delete reported files past their retention (MEDIAPROOF_SERVICE_NOTICE_MEDIA_DAYS).
    The service also does this on start; run it from a timer on long-running instances."""
    with instance(home) as inst:
        n = notice_media.sweep(inst, _now())
    if json_out:
        print_json({"released": n})
        return
    console.print(f"{n} reported file(s) past their retention released.")


@app.command("deliver")
def deliver_cmd(
    retry: Annotated[
        list[str] | None,
        typer.Option("--retry", help="Put a dead-lettered delivery back in the queue first."),
    ] = None,
    home: HomeOption = None,
    json_out: JsonOption = False,
) -> None:
    """Send the webhooks and reporters' e-mail that are due (run from a timer, e.g.
    every minute; the HTTP service does this itself)."""
    with _service(home) as svc:
        for delivery_id in retry or []:
            svc.retry_dead(delivery_id, _now())
        stats = svc.deliver_due(_now())
        mail = svc.send_mail_due(_now())
        mail_waiting = svc.mail_pending()
        dead = svc.dead_letters()
    if json_out:
        print_json(
            {
                "delivered": stats.delivered,
                "retried": stats.retried,
                "dead": stats.dead,
                "dead_letters": dead,
                "mail": {
                    "sent": mail.delivered,
                    "retried": mail.retried,
                    "given_up": mail.dead,
                    "waiting": mail_waiting,
                },
            }
        )
        return
    console.print(
        f"delivered {stats.delivered}, will retry {stats.retried}, "
        f"dead-lettered {stats.dead}; {len(dead)} in the dead-letter list"
    )
    if svc.mailer is not None:
        console.print(
            f"e-mail: sent {mail.delivered}, will retry {mail.retried}, given up {mail.dead}; "
            f"{mail_waiting} waiting"
        )


@app.command("endpoint")
def endpoint_cmd(
    platform: Annotated[str, typer.Argument(help="Host name of the platform, or * for all.")],
    url: Annotated[str, typer.Option(help="Webhook URL of the platform.")],
    secret: Annotated[str, typer.Option(help="Shared HMAC secret (16+ characters).")],
    home: HomeOption = None,
) -> None:
    """Register where a hosting platform receives action webhooks."""
    with _service(home) as svc:
        svc.register_endpoint(platform, url, secret)
    console.print(f"Webhooks for {platform} go to {url}")
