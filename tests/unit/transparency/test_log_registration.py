"""Registering an asset appends an `asset.registered` entry to the transparency log."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from PIL import Image

from mediaproof.services import transparency as tsvc
from mediaproof.services.instance import Instance
from mediaproof.services.publishing import SignRequest, register_existing, sign_and_register
from mediaproof.transparency.log import TransparencyLog
from mediaproof.transparency.proof import verify_tlog_proof


def _png(path: Path, shade: int) -> Path:
    Image.new("RGB", (64, 48), (shade, 80, 160)).save(path)
    return path


def _entries(home: Path) -> list[dict[str, object]]:
    with TransparencyLog.open(home, readonly=True) as log:
        return [json.loads(log.entry(i)) for i in range(log.size)]


def test_register_existing_is_logged_without_personal_data(
    instance: Instance, tmp_path: Path
) -> None:
    asset = register_existing(
        instance, _png(tmp_path / "a.png", 10), title="Rally, Jane Doe", author="Jane Doe"
    )
    (entry,) = _entries(instance.home)
    assert entry["type"] == "asset.registered"
    assert entry["asset_id"] == f"asset-{asset.id}"
    assert entry["content_sha256"] == asset.sha256
    assert entry["signer"] == "external"
    assert "Jane" not in json.dumps(entry)
    with TransparencyLog.open(instance.home) as log:
        proof = log.tlog_proof(0)
        assert log.latest_checkpoint() is not None
        key = log.verifier
    assert verify_tlog_proof(proof.encode(), key).index == 0


def test_signed_registration_names_the_certificate_by_digest(
    instance: Instance, tmp_path: Path
) -> None:
    pub = sign_and_register(
        instance,
        SignRequest(
            src=_png(tmp_path / "b.png", 20), dest=tmp_path / "b-signed.png", title="Press release"
        ),
    )
    (entry,) = _entries(instance.home)
    assert entry["content_sha256"] == pub.asset.sha256
    assert str(entry["signer"]).startswith("x509-sha256:")
    assert len(str(entry["manifest_sha256"])) == 64


def test_a_locked_log_queues_the_entry_and_the_next_event_drains_it(
    instance: Instance, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(tsvc, "LOCK_TIMEOUT_S", 0.05)
    with TransparencyLog.open(instance.home):  # another process holds the writer lock
        first = register_existing(instance, _png(tmp_path / "c.png", 30))
    assert tsvc.staged_count(instance) == 1  # staged with the asset, not lost
    second = register_existing(instance, _png(tmp_path / "d.png", 40))
    got = [e["content_sha256"] for e in _entries(instance.home)]
    assert got == [first.sha256, second.sha256]  # in order, nothing lost
    assert tsvc.staged_count(instance) == 0
    assert tsvc.flush_pending(instance) == 0
