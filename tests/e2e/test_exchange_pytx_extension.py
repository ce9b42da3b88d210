"""The real `threatexchange` CLI with our extension (mediaproof.exchange_pytx) fetches a
mediaproof collection from a real `mediaproof serve`, verified: signals arrive with their
opinion, a withdrawal removes one, and an edited history makes the fetch fail."""

from __future__ import annotations

import csv
import io
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from mediaproof.config import Settings
from mediaproof.exchange.models import CollectionSpec
from mediaproof.services import exchange
from mediaproof.services.instance import Instance
from tests.e2e.server import SRC, Server
from tests.integration.test_exchange_db import PDQ_A, PDQ_C, banked


def test_threatexchange_cli_fetches_a_mediaproof_feed(tmp_path: Path) -> None:
    pytest.importorskip("threatexchange", reason="python-threatexchange is a dev extra")
    tx = Path(sys.executable).parent / "threatexchange"
    home = tmp_path / "a"
    inst = Instance(Settings(home=home))
    try:
        banked(inst)
        exchange.create_collection(inst, CollectionSpec("elections", "County A"))
        token, _ = exchange.grant(inst, "elections", "hma-operator")
        key = exchange.public_key(inst)
    finally:
        inst.close()
    env = {
        **os.environ,
        "HOME": str(tmp_path / "txhome"),
        "PYTHONPATH": str(SRC),
        "TX_MEDIAPROOF_TOKEN": token,
    }

    def run(*args: str, ok: bool = True) -> subprocess.CompletedProcess[str]:
        p = subprocess.run([str(tx), *args], env=env, capture_output=True, text=True, timeout=300)
        if ok:
            assert p.returncode == 0, p.stdout + p.stderr
        return p

    def dataset() -> list[tuple[str, str, str, str]]:
        out = run("dataset", "-P", "--csv", "--only-collabs", "county-a").stdout
        rows = csv.DictReader(io.StringIO(out))
        return sorted((r["signal_str"], r["collab"], r["category"], r["tags"]) for r in rows)

    a = Server(home)
    try:
        run("config", "extensions", "add", "mediaproof.exchange_pytx")
        run(
            "config", "collab", "edit", "mediaproof", "county-a", "--create",
            "--url", a.url, "--collection", "elections", "--key", key,
        )  # fmt: skip
        run("fetch")
        seen = [(v, "county-a", "POSITIVE_CLASS", "deepfake_of_candidate") for v in (PDQ_A, PDQ_C)]
        assert dataset() == sorted(seen)

        # a withdrawal reaches it as a deletion
        inst = Instance(Settings(home=home))
        try:
            exchange.withdraw(inst, "elections", "pdq", PDQ_C, "reversed")
        finally:
            inst.close()
        run("fetch")
        assert dataset() == sorted(seen[:1])

        # an edited history: the fetch is refused, the dataset keeps what was verified
        db = sqlite3.connect(home / "mediaproof.db")
        try:
            db.execute("UPDATE exchange_updates SET category = 'negative_class' WHERE seq = 1")
            db.commit()
        finally:
            db.close()
        p = run("fetch", ok=False)
        # its CLI reports a failed collab without the reason (our PullRefusedError)
        assert p.returncode != 0 and "county-a - failed to fetch" in p.stderr
        assert dataset() == sorted(seen[:1])
    finally:
        a.close()
