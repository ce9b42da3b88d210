"""A verifier for a served log: checkpoints, proofs computed from tiles, and audits.

Anyone with the log's verifier key and a copy (or URL) of its static ``log/`` directory
can: verify the latest checkpoint, prove it extends a checkpoint they pinned earlier
(so a rewritten or forked log is caught), and re-hash every entry against the root.
URLs are fetched only when the caller passes one; nothing here fetches on its own.
"""

from __future__ import annotations

import urllib.parse
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from mediaproof.transparency import merkle
from mediaproof.transparency.checkpoint import Checkpoint, VerifiedCheckpoint, open_checkpoint
from mediaproof.transparency.entries import Entry
from mediaproof.transparency.errors import EntryError, FetchError, LogError, ProofError
from mediaproof.transparency.note import CosignatureVerifier, Ed25519Verifier
from mediaproof.transparency.tiles import TILE_WIDTH, TileReader


def make_fetch(prefix: str | Path, timeout: float = 30.0) -> Callable[[str], bytes]:
    """A fetcher for a local directory, or an http(s) URL the caller chose explicitly."""
    text = str(prefix)
    if text.startswith(("http://", "https://")):
        base = text.rstrip("/") + "/"

        def fetch_url(path: str) -> bytes:
            url = urllib.parse.urljoin(base, path)
            try:
                with urllib.request.urlopen(url, timeout=timeout) as resp:
                    data: bytes = resp.read()
                    return data
            except OSError as e:  # URLError, HTTPError, timeouts
                raise _unreadable(path, text, e) from e

        return fetch_url
    root = Path(prefix)

    def fetch_file(path: str) -> bytes:
        target = (root / path).resolve()
        if root.resolve() not in target.parents:
            raise LogError(f"path {path!r} escapes the log directory")
        try:
            return target.read_bytes()
        except OSError as e:
            raise _unreadable(path, text, e) from e

    return fetch_file


def _unreadable(path: str, prefix: str, e: OSError) -> FetchError:
    """A file the checks need is not served: the log cannot be verified (never a pass)."""
    why = e.strerror or str(getattr(e, "reason", "")) or str(e)
    return FetchError(
        f"cannot read {path} from the log at {prefix}: {why}",
        hint="the served log is incomplete, or --log points at the wrong place",
    )


@dataclass
class AuditReport:
    old_size: int
    new_size: int
    root: bytes
    entries_checked: int = 0
    invalid_entries: list[tuple[int, str]] = field(default_factory=list)
    cosignatures: int = 0


class LogClient:
    def __init__(
        self,
        prefix: str | Path,
        log_key: Ed25519Verifier,
        *,
        witnesses: list[CosignatureVerifier] | None = None,
        min_witnesses: int = 0,
    ) -> None:
        self.fetch = make_fetch(prefix)
        self.log_key = log_key
        self.witnesses = witnesses or []
        self.min_witnesses = min_witnesses

    def latest(self) -> VerifiedCheckpoint:
        return self.open(self.fetch("checkpoint"))

    def open(self, note: bytes) -> VerifiedCheckpoint:
        return open_checkpoint(
            note, self.log_key, witnesses=self.witnesses, min_witnesses=self.min_witnesses
        )

    def check_consistency(self, old: Checkpoint, new: Checkpoint) -> list[bytes]:
        """Compute a consistency proof from ``new``'s tiles and verify it (raises)."""
        if old.origin != new.origin:
            raise ProofError(f"origins differ: {old.origin!r} vs {new.origin!r}")
        if old.size > new.size:
            raise ProofError(
                f"the log shrank from {old.size} to {new.size} entries",
                hint="the log was rewritten",
            )
        reader = TileReader(self.fetch, new.size)
        proof = merkle.consistency_proof(reader.node, old.size, new.size)
        merkle.verify_consistency(old.size, new.size, old.root, new.root, proof)
        return proof

    def check_inclusion(self, entry: bytes, index: int, cp: Checkpoint) -> list[bytes]:
        reader = TileReader(self.fetch, cp.size)
        proof = merkle.inclusion_proof(reader.node, index, cp.size)
        merkle.verify_inclusion(merkle.leaf_hash(entry), index, cp.size, proof, cp.root)
        return proof

    def audit(
        self, pinned: Checkpoint | None, *, full: bool = False, new_entries: bool = False
    ) -> AuditReport:
        """Verify the latest checkpoint extends ``pinned``. With ``full``, re-hash every
        entry (against the level-0 tiles, the schema and the root); with ``new_entries``,
        only those appended since ``pinned``, resuming from its subtree hashes."""
        vc = self.latest()
        new = vc.checkpoint
        if pinned is not None:
            self.check_consistency(pinned, new)
        report = AuditReport(pinned.size if pinned else 0, new.size, new.root)
        report.cosignatures = len(vc.cosignatures)
        if not (full or new_entries):
            return report
        reader = TileReader(self.fetch, new.size)
        start = 0
        builder = merkle.RootBuilder()
        if new_entries and not full and pinned is not None:
            start = pinned.size
            builder = merkle.RootBuilder.resume(reader.node, start)
            if builder.root() != pinned.root:
                raise ProofError("the tiles do not match the pinned checkpoint")
        for t in range(start // TILE_WIDTH, (new.size + TILE_WIDTH - 1) // TILE_WIDTH):
            entries = reader.entries(t)
            hashes = reader.leaf_hashes(t)
            for j, (raw, h) in enumerate(zip(entries, hashes, strict=True)):
                index = t * TILE_WIDTH + j
                if index < start:
                    continue
                leaf = merkle.leaf_hash(raw)
                if leaf != h:
                    raise ProofError(f"entry {index} does not match its leaf hash in the tiles")
                try:
                    Entry.parse(raw)
                except EntryError as e:
                    report.invalid_entries.append((index, e.message))
                builder.add(leaf)
                report.entries_checked += 1
        if builder.root() != new.root:
            raise ProofError(
                "the entries do not hash to the checkpoint's root", hint="the log was altered"
            )
        return report
