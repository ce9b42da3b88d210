"""The real `threatexchange` CLI (python-threatexchange 1.2.17) loads our snapshot through
its own `local_file` exchange: `fetch` takes every line, `dataset` lists our signals and
`match` finds them."""

from __future__ import annotations

import csv
import io
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from mediaproof.config import Settings
from mediaproof.exchange.models import CollectionSpec
from mediaproof.exchange.snapshot import CSV_COLUMNS
from mediaproof.services import exchange
from mediaproof.services.instance import Instance
from tests.e2e.server import SRC
from tests.integration.test_exchange_db import PDQ_A, PDQ_C, banked


def test_threatexchange_cli_fetches_our_snapshot(tmp_path: Path) -> None:
    pytest.importorskip("threatexchange", reason="python-threatexchange is a dev extra")
    tx = Path(sys.executable).parent / "threatexchange"
    assert tx.exists() or shutil.which("threatexchange"), "threatexchange CLI not installed"
    home = tmp_path / "a"
    inst = Instance(Settings(home=home))
    try:
        banked(inst)
        exchange.create_collection(inst, CollectionSpec("elections", "County A"))
    finally:
        inst.close()
    snap = tmp_path / "elections.txt"
    cmd = [sys.executable, "-m", "mediaproof", "exchange", "snapshot", "elections"]
    subprocess.run(
        [*cmd, "-o", str(snap), "--home", str(home)],
        env={**os.environ, "PYTHONPATH": str(SRC)},
        check=True,
        timeout=120,
    )
    assert snap.read_text() == f"pdq {PDQ_A}\npdq {PDQ_C}\n"
    env = {**os.environ, "HOME": str(tmp_path / "txhome")}  # the CLI keeps its state there

    def run(*args: str) -> str:
        p = subprocess.run([str(tx), *args], env=env, capture_output=True, text=True, timeout=300)
        assert p.returncode == 0, p.stdout + p.stderr
        return p.stdout

    run("config", "collab", "edit", "local_file", "county-a", "--create", "--filename", str(snap))
    run("fetch")
    listed = run("dataset", "-P", "--csv", "--only-collabs", "county-a")
    rows = list(csv.DictReader(io.StringIO(listed)))
    assert tuple(rows[0]) == CSV_COLUMNS  # its own dataset CSV has our snapshot's columns
    # local_file lines carry no opinion: it files them as investigation seeds
    assert sorted(
        (r["signal_type"], r["signal_str"], r["collab"], r["category"]) for r in rows
    ) == [("pdq", v, "county-a", "INVESTIGATION_SEED") for v in sorted([PDQ_A, PDQ_C])]
    # its `match` finds a hash it fetched (two signals: the faiss bug that empties a
    # one-signal index on disk does not arise here; test_exchange_pytx_extension covers it)
    assert run("match", "-H", "photo", "--", PDQ_C) == "pdq 0 (county-a) INVESTIGATION_SEED\n"
