"""`mediaproof cases` as an operator runs it (in-process; registered in the main CLI at merge)."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from mediaproof.cli.cases import app

runner = CliRunner()


def run(home: Path, *args: str) -> str:
    res = runner.invoke(app, [*args, "--home", str(home)], catch_exceptions=False)
    assert res.exit_code == 0, res.output
    return res.output


def report(home: Path, url: str) -> dict[str, Any]:
    """A county clerk's report of false voting information at URL, by `cases report`."""
    args = ["--category", "false_voting_information",
            "--explanation", "Says polls close at noon; they close at 8 pm.",
            "--name", "Cy Clerk", "--email", "cy@county.example", "--signature", "Cy Clerk",
            "--relationship", "authorised_representative", "--url", url,
            "--location", "video.example", "--good-faith", "--json"]  # fmt: skip
    out: dict[str, Any] = json.loads(run(home, "report", *args))
    return out


def test_cases_cli_round_trip(tmp_path: Path) -> None:
    home = tmp_path / "inst"
    out = report(home, "https://video.example/v/7")
    number, token = out["case_number"], out["status_token"]
    queue = json.loads(run(home, "queue", "--json"))
    assert [q["number"] for q in queue] == [number]
    run(
        home,
        "decide",
        number,
        "--reviewer",
        "alice",
        "--outcome",
        "label",
        "--rule",
        "DM-2",
        "--explanation",
        "Wrong closing time; label with the official hours.",
        "--version",
        str(queue[0]["version"]),
    )
    assert json.loads(run(home, "queue", "--json")) == []
    status = json.loads(run(home, "status", token, "--json"))
    assert status["state"] == "decided" and "DM-2" in status["statements"][0]
    batches = json.loads(run(home, "sor-export"))
    assert len(batches) == 1 and batches[0]["statements"][0]["category"] == (
        "STATEMENT_CATEGORY_NEGATIVE_EFFECTS_ON_CIVIC_DISCOURSE_OR_ELECTIONS"
    )
    text = run(home, "transparency-report", "--from", "2000-01-01", "--to", "2100-01-01")
    rows = list(csv.DictReader(io.StringIO(text)))
    got = {(r["section"], r["metric"], r["dimension"]): r["value"] for r in rows}
    assert got[("notices", "received", "all")] == "1"
    html = run(home, "transparency-report", "--from", "2000-01-01", "--to", "2100-01-01", "--html")
    assert "<svg" in html
    for secret in ("Cy Clerk", "cy@county.example"):
        assert secret not in json.dumps(batches) + text + html
        assert secret not in _log_text(home)
    assert '"type":"notice.received"' in _log_text(home)  # every step is a log leaf
    assert "delivered 0" in run(home, "deliver")
    res = runner.invoke(
        app,
        [
            "decide",
            number,
            "--reviewer",
            "bob",
            "--outcome",
            "remove",
            "--rule",
            "DM-2",
            "--explanation",
            "Second try on a decided case.",
            "--home",
            str(home),
        ],
    )
    assert res.exit_code != 0  # decided cases take no second decision


def _log_text(home: Path) -> str:
    """Everything the transparency log holds: its entries and its published tiles."""
    files = [p for d in ("tlog", "log") for p in (home / d).rglob("*") if p.is_file()]
    assert files, "the case workflow wrote nothing to the transparency log"
    return "\n".join(p.read_bytes().decode("utf-8", "replace") for p in files)


def test_tokens_that_begin_with_a_dash(tmp_path: Path) -> None:
    """Issue 15: new tokens never begin with "-"; older ones that do are accepted as
    --token=VALUE, --token VALUE or after "--"."""
    import hashlib

    from sqlalchemy import update

    from mediaproof.cli.cases import _service
    from mediaproof.storage.sql.tables_cases import NoticeRow

    home = tmp_path / "inst"
    out = report(home, "https://video.example/v/8")
    assert not out["status_token"].startswith("-")
    legacy = "-" + out["status_token"][1:]  # as one in 64 tokens used to be issued
    with _service(home) as svc, svc.db.session() as s:
        s.execute(update(NoticeRow).values(token_hash=hashlib.sha256(legacy.encode()).hexdigest()))
    bare = runner.invoke(app, ["status", legacy, "--home", str(home)])
    assert bare.exit_code != 0  # the shell-style argument is taken for an option
    for args in (["--token=" + legacy], ["--token", legacy], ["--json", "--", legacy]):
        res = runner.invoke(app, ["status", "--home", str(home), "--json", *args])
        assert res.exit_code == 0, (args, res.output)
        assert json.loads(res.output)["case_number"] == out["case_number"], args
    both = runner.invoke(app, ["status", "abc", "--token", "def", "--home", str(home)])
    assert both.exit_code != 0 and "once" in both.output
    assert "Withdrawn" in run(home, "withdraw", "--token=" + legacy)


def test_generated_tokens_never_begin_with_a_dash(tmp_path: Path) -> None:
    import base64
    import hashlib
    import hmac

    from mediaproof.cases.events import InMemoryEventSink
    from mediaproof.services.cases import CaseService, _safe_token
    from mediaproof.storage.sql.engine import Database

    assert not any(_safe_token().startswith("-") for _ in range(2000))
    svc = CaseService(
        Database(f"sqlite:///{tmp_path / 'x.db'}"), sink=InMemoryEventSink(), token_key=b"k" * 32
    )
    ids = [f"n{i}" for i in range(3000)]
    tokens = [svc._status_token(i) for i in ids]
    assert not any(t.startswith("-") for t in tokens)
    # a notice whose first derivation began with "-" (issued before the rule) is rebuilt
    # as issued, and a newer one as issued too
    first = dict(zip(ids, tokens, strict=True))

    def raw(i: str) -> str:
        mac = hmac.new(b"k" * 32, b"status-token:" + i.encode(), "sha256")
        return base64.urlsafe_b64encode(mac.digest()[:24]).decode().rstrip("=")

    dashed = [i for i in ids if raw(i).startswith("-")]
    assert dashed, "one in 64 derivations begins with a dash"
    for i in dashed[:5]:
        old = raw(i)
        assert svc._status_token(i, hashlib.sha256(old.encode()).hexdigest()) == old
        new = first[i]
        assert new != old and svc._status_token(i, hashlib.sha256(new.encode()).hexdigest()) == new
