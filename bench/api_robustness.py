"""Hostile input against the whole API of a real `mediaproof serve` (not in CI: it is long).

Makes a throw-away instance (SQLite, or a PostgreSQL database of its own that is dropped
afterwards), with signing keys, one account of every role and an API token per role with
every scope that role may hold; publishes one image and files one notice so that ids 1
exist; starts `mediaproof serve` on a free port and runs the schemathesis CLI against
its /openapi.json once per caller (admin, reviewer, publisher, toolmaker, platform, peer,
anonymous). A finding is any 5xx, any answer slower than ``--max-response-time``
seconds, or any answer that breaks the documented schema. Afterwards the server's log is
searched for what must never be in it: passwords, token secrets, the notice's e-mail
address and name. Exit 0 only when there are no findings.

    PYTHONPATH=src .venv/bin/python bench/api_robustness.py --db sqlite --examples 30
    PYTHONPATH=src .venv/bin/python bench/api_robustness.py --db postgres --examples 30

The PostgreSQL server is ``MEDIAPROOF_TEST_PG_URL`` (default the test suite's
postgres@127.0.0.1:5432/test); the database made here is named mp_robust_<random>.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parents[1]
SRC = str(REPO / "src")
PASSWORD = "a long robustness password"
REPORTER_EMAIL = "robust.reporter@example.org"
REPORTER_NAME = "Robust Reporternamé"
PG_ADMIN_URL = os.environ.get(
    "MEDIAPROOF_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
CHECKS = (
    "not_a_server_error,status_code_conformance,content_type_conformance,"
    "response_schema_conformance,response_headers_conformance"
)  # and --max-response-time: an answer slower than that is a finding too
CALLERS = ("admin", "reviewer", "publisher", "toolmaker", "platform", "peer", "anonymous")
# every bucket large: the run is about answers, not about the rate limiter (which answers
# 429 to a fuzzer, a correct but useless answer)
RATES = {
    f"MEDIAPROOF_SERVICE_RATE_{name}_BURST": "100000"
    for name in (
        "VERIFY",
        "LOOKUP",
        "LOGIN",
        "NOTICE",
        "EXCHANGE",
        "VERIFY_SIGNED",
        "NOTICE_SIGNED",
        "SCREEN",
        "UPLOADS",
    )
}


def _pg(sql: str) -> None:
    from sqlalchemy import create_engine, text

    eng = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with eng.connect() as c:
        c.execute(text(sql))
    eng.dispose()


def make_instance(home: Path, db_url: str | None) -> dict[str, str]:
    """Keys, accounts and a token per role; returns caller -> token secret."""
    sys.path.insert(0, SRC)
    from mediaproof.accounts.models import ROLE_PERMISSIONS, TOKEN_SCOPES, Role
    from mediaproof.config import Settings
    from mediaproof.provenance.keys import init_keys
    from mediaproof.services import accounts
    from mediaproof.services.instance import Instance

    inst = Instance(Settings(home=home, database_url=db_url))
    try:
        init_keys(inst.keys_dir, "Robustness Election Office")
        tokens: dict[str, str] = {}
        for role in Role:
            accounts.create_user(inst, role.value, role, PASSWORD)
            secret, _ = accounts.login(inst, role.value, PASSWORD)
            who = accounts.session_principal(inst, secret)
            assert who is not None
            scopes = sorted(p.value for p in ROLE_PERMISSIONS[role] & TOKEN_SCOPES)
            tokens[role.value], _ = accounts.create_token(inst, who, "robustness", scopes)
        return tokens
    finally:
        inst.close()


def launch(home: Path, db_url: str | None, log: Path) -> tuple[subprocess.Popen[bytes], str]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {
        **os.environ,
        **RATES,
        "PYTHONPATH": os.pathsep.join(filter(None, [SRC, os.environ.get("PYTHONPATH")])),
        "MEDIAPROOF_HOME": str(home),
        "MEDIAPROOF_LOG_FORMAT": "json",
    }
    if db_url:
        env["MEDIAPROOF_DATABASE_URL"] = db_url
    out = log.open("wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "mediaproof", "serve", "--port", str(port)],
        env=env,
        stdout=out,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            if httpx.get(url + "/readyz", timeout=2).status_code == 200:
                return proc, url
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    proc.kill()
    raise RuntimeError(f"the service did not become ready; see {log}")


def seed(url: str, tokens: dict[str, str]) -> None:
    """One asset and one case, so the fuzzer's small ids find something; warms the
    screening model, whose first load is slower than any answer should be."""
    sys.path.insert(0, SRC)
    from mediaproof.media.samples import sample_photo

    with tempfile.TemporaryDirectory() as d:
        photo = sample_photo(Path(d) / "p.jpg", 320, 240, seed=3)
        pub = {"Authorization": f"Bearer {tokens['publisher']}"}
        r = httpx.post(
            url + "/api/v1/assets",
            headers=pub,
            timeout=120,
            data={"title": "Polling hours", "author": "Press office"},
            files={"file": ("p.jpg", photo.read_bytes(), "image/jpeg")},
        )
        print("seed asset:", r.status_code)
    notice = {
        "category": "impersonation",
        "explanation": "a fake of the returning officer",
        "reporter_name": REPORTER_NAME,
        "reporter_email": REPORTER_EMAIL,
        "relationship": "third_party",
        "good_faith": True,
        "signature": REPORTER_NAME,
        "content_url": "https://example.org/fake",
        "location": "Ward 4",
    }
    r = httpx.post(url + "/api/v1/notices", json=notice, timeout=60)
    print("seed notice:", r.status_code, r.text[:200])
    tm = {"Authorization": f"Bearer {tokens['toolmaker']}"}
    r = httpx.post(
        url + "/api/v1/screen/prompt",
        headers=tm,
        timeout=300,
        json={"prompt": "a poster for the town fair", "user_ref": "u1"},
    )
    print("warm screening:", r.status_code)
    # the analysis workers' first verify each loads what the pipeline needs (7-16 s on a
    # loaded machine, 0.1 s afterwards: the only finding of the first runs for the
    # publisher): warm each worker, as a load balancer's first requests would
    png = (
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x00"
        b"\x00\x00\x00:~\x9bU\x00\x00\x00\nIDATx\x9cc`\x00\x00\x00\x02\x00\x01H\xaf"
        b"\xa4q\x00\x00\x00\x00IEND\xaeB`\x82"
    )

    def verify(_: int) -> float:
        t0 = time.monotonic()
        httpx.post(url + "/api/v1/verify", files={"file": ("w.png", png)}, timeout=300)
        return time.monotonic() - t0

    with ThreadPoolExecutor(4) as pool:
        for _ in range(3):
            took = list(pool.map(verify, range(4)))
    print("warm verify:", " ".join(f"{t:.1f}" for t in took), "s")


def fuzz(url: str, caller: str, token: str | None, args: argparse.Namespace, out: Path) -> int:
    st = Path(sys.executable).with_name("schemathesis")
    report = out / caller
    cmd = [
        str(st),
        "run",
        url + "/openapi.json",
        "--checks",
        CHECKS,
        "--max-response-time",
        str(args.max_response_time),
        "--request-timeout",
        str(args.max_response_time * 3),
        "--phases",
        args.phases,
        "--max-examples",
        str(args.examples),
        "--seed",
        str(args.seed),
        "--workers",
        "1",
        "--generation-database",
        "none",
        "--report",
        "junit",
        "--report-dir",
        str(report),
        "--no-color",
        # revoking the run's own token would make the rest of the run anonymous
        "--exclude-path-regex",
        "^/api/v1/tokens/",
    ]
    if token:
        cmd += ["-H", f"Authorization: Bearer {token}"]
    t0 = time.monotonic()
    with (out / f"{caller}.txt").open("w") as f:
        rc = subprocess.run(cmd, stdout=f, stderr=subprocess.STDOUT, check=False).returncode
    failures = _junit_failures(report)
    print(
        f"{caller}: exit {rc}, {len(failures)} failing operations, {time.monotonic() - t0:.0f} s",
        flush=True,
    )
    for name, text in failures:
        print(f"  {name}: {text[:600]}")
    return len(failures) + (1 if rc not in (0, 1) else 0)


def _junit_failures(report: Path) -> list[tuple[str, str]]:
    found = []
    for xml in report.glob("*.xml"):
        for case in ET.parse(xml).getroot().iter("testcase"):
            for bad in list(case.iter("failure")) + list(case.iter("error")):
                found.append((case.get("name", "?"), (bad.get("message") or bad.text or "")))
    return found


def leaks(log: Path, tokens: dict[str, str]) -> list[str]:
    text = log.read_text(errors="replace")
    secret_words = [PASSWORD, REPORTER_EMAIL, REPORTER_NAME, *tokens.values()]
    found = [f"log holds {w[:6]}…" for w in secret_words if w in text]
    found += [
        f"log line: {m[:200]}" for m in re.findall(r".*Traceback.*|.*\"level\": \"ERROR\".*", text)
    ]
    return found


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--db", choices=("sqlite", "postgres"), default="sqlite")
    ap.add_argument("--examples", type=int, default=30)
    ap.add_argument("--phases", default="examples,coverage,fuzzing,stateful")
    ap.add_argument("--callers", default=",".join(CALLERS))
    ap.add_argument("--max-response-time", type=int, default=10)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--out", type=Path, default=None, help="keep reports and the log here")
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="mp-robust-"))
    out = args.out or work / "reports"
    out.mkdir(parents=True, exist_ok=True)
    db_url = None
    if args.db == "postgres":
        name = f"mp_robust_{secrets.token_hex(4)}"
        _pg(f'CREATE DATABASE "{name}"')
        db_url = PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + name
    proc = None
    try:
        tokens = make_instance(work / "home", db_url)
        log = out / "serve.log"
        proc, url = launch(work / "home", db_url, log)
        seed(url, tokens)
        bad = 0
        for caller in args.callers.split(","):
            bad += fuzz(url, caller, tokens.get(caller), args, out)
        found = leaks(log, tokens)
        for line in found:
            print(line)
        print(
            json.dumps(
                {"db": args.db, "findings": bad, "log_problems": len(found), "reports": str(out)}
            )
        )
        return 1 if bad or found else 0
    finally:
        if proc is not None:
            proc.send_signal(signal.SIGINT)
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                proc.kill()
        if db_url:
            _pg(f'DROP DATABASE IF EXISTS "{db_url.rsplit("/", 1)[1]}" WITH (FORCE)')
        if args.out is None:
            print("reports kept in", out)
        shutil.rmtree(work / "home", ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
