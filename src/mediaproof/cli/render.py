"""Human rendering of a verify report: the answer first, then the evidence."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.panel import Panel

_STYLE = {
    "signed_but_altered": "bold red",
    "invalid_credentials": "bold red",
    "ai_generated_declared": "bold magenta",
    "contains_ai_content_declared": "bold magenta",
    "remote_credentials_not_fetched": "bold white",
    "signed_and_intact": "bold green",
    "signed_by_unverified_signer": "bold yellow",
    "registered_original": "bold green",
    "copy_of_registered_original": "bold cyan",
    "unknown": "bold white",
}
_STATUS = {"found": "●", "not_found": "○", "not_applicable": "–", "error": "!"}


def render_report(console: Console, r: dict[str, Any]) -> None:
    a = r["assessment"]
    body = "\n".join(f"• {reason}" for reason in a["reasons"])
    title, style = a["headline"], _STYLE.get(a["label"], "")
    if a.get("caution"):
        # found something that must not read as a confirmation
        title, style = f"⚠ {title}", "bold yellow"
    console.print(Panel(body, title=title, title_align="left", style=style))
    m = r["media"]
    dims = f", {m['width']}x{m['height']}" if m.get("width") else ""
    dur = f", {m['duration_s']:.1f} s" if m.get("duration_s") else ""
    console.print(f"[dim]{m['type']}, {m['size']:,} bytes{dims}{dur}, sha256 {m['sha256']}[/]")
    console.print()
    for name, ev in r["evidence"].items():
        console.print(f"{_STATUS.get(ev['status'], '?')} [bold]{name}[/]: {ev['summary']}")
        if name == "provenance" and ev["status"] == "found":
            d = ev["data"]
            if d.get("signer"):
                s = d["signer"]
                when = s.get("time") or "at an unknown time (no time-stamp)"
                # c2pa's "issuer" is the signing certificate's organisation
                if d.get("state") == "trusted":
                    console.print(
                        f"    signer: {s.get('common_name')} (organisation "
                        f"{s.get('issuer')}), signed {when}"
                    )
                else:
                    console.print(
                        # names come from the file: escaped, never read as markup
                        f"    [yellow]claimed signer: {escape(str(s.get('common_name')))} "
                        f"(organisation {escape(str(s.get('issuer')))}), NOT VERIFIED[/], "
                        f"signed {when}"
                    )
            if d.get("claim_generator"):
                console.print(f"    made with: {d['claim_generator']}")
            for act in d.get("actions", [])[:8]:
                dst = (
                    f" [{act.get('digital_source_type_wording') or act['digital_source_type']}]"
                    if act.get("digital_source_type")
                    else ""
                )
                console.print(f"    action: {act['action']}{dst}")
            for ing in d.get("ingredients", [])[:8]:
                console.print(f"    ingredient: {ing.get('title')} ({ing.get('relationship')})")
            for c in d.get("code_details", []):
                if c["kind"] == "failure":
                    console.print(f"    [red]{c['code']}[/] ({c['scope']}): {c['explanation']}")
        if ev.get("limits"):
            console.print(f"    [dim]{ev['limits']}[/]")
