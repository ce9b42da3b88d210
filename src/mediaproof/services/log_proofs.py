"""Inclusion proofs of asset registrations, from the instance's own transparency log.

:class:`LogInclusionProofs` is the service's default ``proofs`` plug-in once the log
exists. It reads the log read-only (the writer holds the lock; readers see what the last
signed checkpoint covers), finds each ``asset.registered`` entry once by scanning new
entries, and proves inclusion against the latest checkpoint. What it returns can be
checked offline with ``mediaproof.transparency.proof.verify_tlog_proof`` and the log's
public key (``/log/log.vkey`` is not served; the key is in ``vkey`` below).
"""

from __future__ import annotations

import base64
import json
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from mediaproof.errors import MediaproofError
from mediaproof.transparency.log import TransparencyLog

EXPLANATION = (
    "This registration is a leaf of a public, append-only Merkle log. The proof's hashes "
    "lead from the entry's leaf hash to the root that the log signed in its checkpoint, so "
    "anyone holding the log's public key can check, offline, that the log committed to "
    "this registration and when; the log cannot later drop or rewrite it without the "
    "change showing in its next checkpoint. It proves the record exists, not that the "
    "content is true."
)


def log_exists(home: Path) -> bool:
    return (home / "tlog" / "config.json").exists() and (home / "tlog" / "checkpoint").exists()


class LogInclusionProofs:
    def __init__(self, home: Path) -> None:
        self.home = home
        self._lock = threading.Lock()
        self._scanned = 0  # entries already looked at
        self._index: dict[str, int] = {}  # "asset-<id>" -> index of its registration

    @property
    def configured(self) -> bool:
        """Whether the log exists yet (it is created by the first registration)."""
        return log_exists(self.home)

    def inclusion_proof(self, asset_id: int) -> Mapping[str, Any] | None:
        if not log_exists(self.home):
            return None
        try:
            with TransparencyLog.open(self.home, readonly=True) as log:
                with self._lock:
                    self._scan(log)
                    index = self._index.get(f"asset-{asset_id}")
                if index is None:
                    return None  # registered before the log, or still queued
                proof = log.tlog_proof(index)
                latest = log.latest_checkpoint()
                assert latest is not None and proof.extra is not None
                cp = latest.checkpoint
                return {
                    "index": index,
                    "tree_size": cp.size,
                    "leaf_hash": log_hash(proof.extra),
                    "entry": json.loads(proof.extra),
                    "hashes": [h.hex() for h in proof.hashes],
                    "root_hash": base64.b64encode(cp.root).decode(),
                    "origin": log.origin,
                    "vkey": log.vkey,
                    "checkpoint": latest.encode().decode(),
                    "tlog_proof": proof.encode().decode(),
                    "explanation": EXPLANATION,
                }
        except MediaproofError:
            return None  # the log is being created or is damaged: show no proof, not a 500

    def _scan(self, log: TransparencyLog) -> None:
        for i in range(self._scanned, log.size):
            raw = log.entry(i)
            if b'"asset.registered"' not in raw:  # cheap filter before parsing
                continue
            data = json.loads(raw)
            if data.get("type") == "asset.registered":
                self._index.setdefault(str(data.get("asset_id")), i)
        self._scanned = max(self._scanned, log.size)


def log_hash(entry: bytes) -> str:
    from mediaproof.transparency.merkle import leaf_hash

    return leaf_hash(entry).hex()
