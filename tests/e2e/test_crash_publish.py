"""Finding 4, end to end: SIGKILL a real `mediaproof serve` while publishes are in flight,
restart it, retry every publish, and audit the public log: every active asset has exactly
one `asset.registered` leaf, no publish made two assets, and no signing folder is left."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx

from mediaproof.accounts.models import Role
from mediaproof.config import Settings
from mediaproof.media.samples import sample_photo
from mediaproof.provenance.keys import init_keys
from mediaproof.services import accounts
from mediaproof.services import transparency as tsvc
from mediaproof.services.instance import Instance
from mediaproof.transparency.log import TransparencyLog
from tests.e2e.server import SRC, Server

PASSWORD = "a long crash-test password"
ENV = {"MEDIAPROOF_SERVICE_ANALYSIS_PROCESSES": "0"}
CLIENTS = 4
FILES_PER_CLIENT = 4


def _setup(home: Path) -> str:
    inst = Instance(Settings(home=home))
    try:
        init_keys(inst.keys_dir, "Crash Test Office")
        accounts.create_user(inst, "pub", Role.PUBLISHER, PASSWORD)
        secret, _ = accounts.login(inst, "pub", PASSWORD)
        principal = accounts.session_principal(inst, secret)
        assert principal is not None
        token, _ = accounts.create_token(inst, principal, "crash", ["publish"])
        return token
    finally:
        inst.close()


def _publish(url: str, token: str, photo: Path) -> int | None:
    try:
        r = httpx.post(
            url + "/api/v1/assets",
            headers={"Authorization": f"Bearer {token}"},
            data={"title": photo.stem},
            files={"file": (photo.name, photo.read_bytes(), "image/jpeg")},
            timeout=120,
        )
    except httpx.HTTPError:
        return None  # the server died under us
    assert r.status_code in (200, 201), r.text
    return int(r.json()["asset"]["asset_id"])


def _mediaproof(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "MEDIAPROOF_HOME": str(home), "PYTHONPATH": str(SRC), "COLUMNS": "200"}
    return subprocess.run(
        [sys.executable, "-m", "mediaproof", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )


def test_sigkill_during_concurrent_publishes_loses_and_duplicates_nothing(tmp_path: Path) -> None:
    home = tmp_path / "home"
    token = _setup(home)
    photos = [
        [
            sample_photo(tmp_path / f"c{c}-{k}.jpg", 400, 300, seed=100 * c + k)
            for k in range(FILES_PER_CLIENT)
        ]
        for c in range(CLIENTS)
    ]
    server = Server(home, env=ENV)
    answered: dict[Path, int] = {}
    lock = threading.Lock()

    def client(mine: list[Path]) -> None:
        for p in mine:
            got = _publish(server.url, token, p)
            if got is None:
                return
            with lock:
                answered[p] = got

    threads = [threading.Thread(target=client, args=(mine,)) for mine in photos]
    for t in threads:
        t.start()
    # kill once a few publishes have committed, while the others are in flight
    deadline = time.monotonic() + 120
    while len(answered) < CLIENTS and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(random.uniform(0.0, 0.5))
    os.kill(server.proc.pid, signal.SIGKILL)
    server.proc.wait()
    for t in threads:
        t.join(timeout=130)
    server.close()
    all_photos = [p for mine in photos for p in mine]
    assert 0 < len(answered) < len(all_photos), "the kill should land mid-run"

    # restart: start-up lands what was staged; then every publisher retries everything
    server = Server(home, env=ENV)
    try:
        again = {p: _publish(server.url, token, p) for p in all_photos}
    finally:
        server.close()
    for p, asset_id in answered.items():
        assert again[p] == asset_id, f"a retry of {p.name} made a second asset"

    inst = Instance(Settings(home=home))
    try:
        assets = inst.assets(limit=1000)
        assert tsvc.staged_count(inst) == 0
    finally:
        inst.close()
    assert sorted(a.id for a in assets) == sorted(set(again.values()))  # one per file
    assert all(a.status == "active" for a in assets)
    with TransparencyLog.open(home, readonly=True) as log:
        logged = [json.loads(log.entry(i)) for i in range(log.size)]
    registered = [e["asset_id"] for e in logged if e["type"] == "asset.registered"]
    assert sorted(registered) == sorted(f"asset-{a.id}" for a in assets)  # each exactly once
    assert not list((home / "tmp").glob("sign-*"))

    pin = tmp_path / "pin"
    res = _mediaproof(home, "log", "audit", "--full", "--pin", str(pin), "--json")
    assert res.returncode == 0, res.stdout + res.stderr
    report = json.loads(res.stdout)
    assert report["size"] == len(logged) and report["invalid_entries"] == []
