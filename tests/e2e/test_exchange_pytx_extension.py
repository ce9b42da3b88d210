"""The real `threatexchange` CLI with our extension (mediaproof.exchange_pytx) fetches a
mediaproof collection from a real `mediaproof serve`, verified: signals arrive with their
opinion, its `match` finds a resized, re-encoded copy of a confirmed photo (also when the
collection is down to that one signal, which a faiss bug would otherwise lose), a
withdrawal removes one, and an edited history makes the fetch fail."""

from __future__ import annotations

import csv
import io
import os
import re
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from mediaproof.cases.events import InMemoryEventSink
from mediaproof.cases.models import Outcome
from mediaproof.config import Settings
from mediaproof.exchange.models import CollectionSpec
from mediaproof.fingerprint.fingerprints import fingerprint_file
from mediaproof.services import exchange
from mediaproof.services.cases import CaseService
from mediaproof.services.instance import Instance
from tests.conftest import CORPORA
from tests.e2e.server import SRC, Server
from tests.factories import decided_case
from tests.integration.test_exchange_db import PDQ_A, PDQ_C, T0, banked, notice

IMAGES = CORPORA / "pdq-threatexchange" / "images"
ORIGINAL = IMAGES / "bridge-mods" / "aaa-orig.jpg"
COPY = IMAGES / "bridge-mods" / "shrink-a-lot.jpg"  # the same photo resized and re-encoded
OTHERS = [IMAGES / "misc-images" / "c.png", IMAGES / "python-threatexchange-resources" / "rgb.jpeg"]


def bank_photo(inst: Instance, path: Path) -> str:
    """Bank ``path`` as a two-reviewer removal (what a collection publishes); its PDQ."""
    fp = fingerprint_file(path)
    assert fp.image is not None
    pdq = fp.image.pdq.hex
    decided_case(
        CaseService(inst.db, sink=InMemoryEventSink()),
        notice("9" * 64, {"pdq": pdq}, 9),
        filed_at=T0,
        outcome=Outcome.REMOVE,
        explanation="A synthetic photo of the bridge collapsing; it never happened.",
        decided_at=T0,
        second_reviewer="bob",
        confirmed_at=T0,
    )
    return pdq


def test_threatexchange_cli_fetches_a_mediaproof_feed(tmp_path: Path) -> None:
    pytest.importorskip("threatexchange", reason="python-threatexchange is a dev extra")
    tx = Path(sys.executable).parent / "threatexchange"
    home = tmp_path / "a"
    inst = Instance(Settings(home=home))
    try:
        banked(inst)
        photo = bank_photo(inst, ORIGINAL)
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
        seen = [
            (v, "county-a", "POSITIVE_CLASS", "deepfake_of_candidate")
            for v in (PDQ_A, PDQ_C, photo)
        ]
        assert dataset() == sorted(seen)

        def match(path: Path) -> str:
            return run("match", "photo", str(path)).stdout

        hit = re.fullmatch(
            r"pdq (\d+) \(county-a\) POSITIVE_CLASS deepfake_of_candidate\n", match(COPY)
        )
        assert hit and int(hit[1]) <= 31  # its own PDQ hasher, its threshold
        assert [match(p) for p in OTHERS] == ["", ""]  # unrelated photos match nothing

        # a withdrawal reaches it as a deletion
        inst = Instance(Settings(home=home))
        try:
            exchange.withdraw(inst, "elections", "pdq", PDQ_C, "reversed")
            exchange.withdraw(inst, "elections", "pdq", PDQ_A, "reversed")
        finally:
            inst.close()
        run("fetch")
        assert dataset() == [seen[2]]
        # one PDQ signal left: its index is the size faiss writes empty (the extension
        # rebuilds it when read back), and the copy still matches
        assert re.fullmatch(r"pdq \d+ \(county-a\) POSITIVE_CLASS \S+\n", match(COPY))

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
        assert dataset() == [seen[2]]
    finally:
        a.close()
