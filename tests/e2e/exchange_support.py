"""Two instances on one machine, as operators run them, for the exchange's end-to-end
tests (tests/e2e/test_exchange_two_instances.py, test_upload_check_two_instances.py):
A (County A, reviewers rev1 and rev2) publishes, B (County B) pulls only when a test
says so. The set-up, A's reviewers confirming a fake through A's case API, B adding A as
a peer, and B's pulls through the real `mediaproof exchange` command."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from PIL import Image

from mediaproof.accounts.models import Role
from mediaproof.config import Settings
from mediaproof.provenance.keys import init_keys
from mediaproof.services import accounts
from mediaproof.services.instance import Instance
from tests.e2e.server import SRC, Server

PASSWORD = "a long test password"
# B pulls only when the test says so: its scheduler's own round (every 300 s by default)
# could take a new row between A's sync and the test's pull, which would then add 0
ONLY_CLI_PULLS = {"MEDIAPROOF_SERVICE_EXCHANGE_PULL_INTERVAL_S": "0"}
# a report of a deepfake of the candidate, as the upload form's fields (less content_url)
NOTICE = {
    "category": "deepfake_of_candidate",
    "explanation": "This looks like the fake photo of the candidate going round.",
    "reporter_name": "Cy Voter",
    "reporter_email": "cy@voters.example",
    "relationship": "third_party",
    "good_faith": "true",
    "signature": "Cy Voter",
    "location": "social-b.example",
}


def cli(home: Path, *args: str, ok: bool = True) -> subprocess.CompletedProcess[str]:
    """`mediaproof exchange ARGS --home HOME` in a process of its own."""
    p = subprocess.run(
        [sys.executable, "-m", "mediaproof", "exchange", *args, "--home", str(home)],
        env={"PYTHONPATH": str(SRC), "PATH": "/usr/bin:/bin", "COLUMNS": "200"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    if ok:
        assert p.returncode == 0, p.stdout + p.stderr
    return p


def prepare(home: Path, org: str, reviewers: tuple[str, ...] = ()) -> dict[str, str]:
    """An instance with its keys, an admin, and reviewers with a review token each."""
    inst = Instance(Settings(home=home))
    try:
        init_keys(inst.keys_dir, org)
        accounts.create_user(inst, "admin", Role.ADMIN, PASSWORD)
        tokens = {}
        for name in reviewers:
            accounts.create_user(inst, name, Role.REVIEWER, PASSWORD)
            tokens[name], _ = accounts.issue_token(inst, name, "review", ["cases:review"])
        return tokens
    finally:
        inst.close()


@dataclass
class Pair:
    a: Server
    b: Server
    root: Path
    tokens: dict[str, str]  # A's reviewers' tokens (rev1, rev2)
    b_tokens: dict[str, str]  # B's reviewers' tokens
    extra: dict[str, Any] = field(default_factory=dict)  # what before_serve returned


@contextmanager
def two_instances(
    root: Path,
    b_reviewers: tuple[str, ...] = (),
    before_serve: Callable[[Path, Path], dict[str, Any]] | None = None,
) -> Iterator[Pair]:
    """A and B prepared under ROOT/a and ROOT/b (``before_serve(a_home, b_home)`` may add
    to them while neither serves), then both serving; stopped on exit."""
    a_home, b_home = root / "a", root / "b"
    tokens = prepare(a_home, "County A Elections", ("rev1", "rev2"))
    b_tokens = prepare(b_home, "County B Elections", b_reviewers)
    extra = before_serve(a_home, b_home) if before_serve else {}
    a = Server(a_home)
    try:
        b = Server(b_home, env=ONLY_CLI_PULLS)
        try:
            yield Pair(a, b, root, tokens, b_tokens, extra)
        finally:
            b.close()
    finally:
        a.close()


def confirm_fake(
    pair: Pair,
    photo: Path,
    notice: dict[str, Any],
    explanation: str = "Synthetic.",
    timeout: float = 60,
) -> str:
    """A notice with PHOTO at A, a removal proposed by rev1 and confirmed by rev2 (four
    eyes): the case number."""
    with httpx.Client(base_url=pair.a.url, timeout=timeout) as c:
        r = c.post(
            "/api/v1/notices",
            data=notice,
            files={"file": (photo.name, photo.read_bytes(), "image/jpeg")},
        )
        assert r.status_code == 201, r.text
        number: str = r.json()["case_number"]
        d = c.post(
            f"/api/v1/cases/{number}/decisions",
            json={"outcome": "remove", "rule_id": "DM-1", "explanation": explanation},
            headers={"Authorization": f"Bearer {pair.tokens['rev1']}"},
        )
        assert d.status_code == 201, d.text
        h2 = {"Authorization": f"Bearer {pair.tokens['rev2']}"}
        assert c.post(f"/api/v1/cases/{number}/confirm", headers=h2).status_code == 200
    return number


def add_peer(pair: Pair, name: str, *, opine: bool = False) -> tuple[dict[str, Any], str]:
    """A grants county-b a token to its `elections` collection (with the opine scope if
    asked); B adds A as peer NAME with that token and A's key pinned. (grant, A's key)"""
    scopes = ["--opine"] if opine else []
    granted = cli(pair.a.home, "grant", "elections", "--peer", "county-b", *scopes, "--json")
    grant: dict[str, Any] = json.loads(granted.stdout)
    vkey = cli(pair.a.home, "key").stdout.strip()
    cli(pair.b.home, "peer", "add", name, "--url", pair.a.url, "--token", grant["token"],
        "--key", vkey, "--collection", "elections")  # fmt: skip
    return grant, vkey


def pull(b_home: Path, name: str | None = None) -> tuple[int, dict[str, Any]]:
    """B pulls (peer NAME, or its only peer) now: the exit code and the one result."""
    p = cli(b_home, "pull", *([name] if name else []), "--force", "--json", ok=False)
    out = json.loads(p.stdout)
    assert len(out) == 1, p.stderr
    return p.returncode, out[0]


def reencoded(src: Path, dst: Path, scale: float, quality: int) -> Path:
    """What a platform does on upload: resized and saved again as JPEG."""
    with Image.open(src) as im:
        w, h = im.size
        im.convert("RGB").resize((int(w * scale), int(h * scale))).save(
            dst, "JPEG", quality=quality
        )
    return dst
