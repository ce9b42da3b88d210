"""The transparency log service object: append entries, sign checkpoints, publish tiles.

::

    with TransparencyLog.open(home) as log:
        i = log.append(entries.asset_registered(...))
        cp = log.checkpoint()            # signs and publishes <home>/log/checkpoint + tiles
        proof = log.tlog_proof(i)        # a .tlog-proof anyone can check offline

Files under the instance directory ``home``:

- ``tlog/``: the private store (see :mod:`store`), ``config.json`` (origin) and the last
  signed checkpoint; ``keys/tlog-signer.key``: the log's Ed25519 note key (0600).
- ``log/``: the public, static tlog-tiles tree: ``checkpoint``, ``tile/...``,
  ``tile/entries/...``, and ``log.vkey`` (the log's verifier key). Serve it as is.

A checkpoint is signed only after the new tree is proved consistent with the previous
signed one, and opening the log checks the stored tree against the last checkpoint, so
a store that lost or rewrote published entries refuses to open instead of re-signing.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import tempfile
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any, Literal, Self

from mediaproof.transparency import merkle
from mediaproof.transparency.checkpoint import (
    Checkpoint,
    VerifiedCheckpoint,
    open_checkpoint,
    sign_checkpoint,
)
from mediaproof.transparency.entries import Entry
from mediaproof.transparency.errors import CheckpointError, LogError, NoteError
from mediaproof.transparency.note import (
    CosignatureVerifier,
    Ed25519Signer,
    Ed25519Verifier,
    Note,
    open_note,
    parse_note,
)
from mediaproof.transparency.proof import TlogProof
from mediaproof.transparency.store import LogStore
from mediaproof.transparency.tiles import TILE_WIDTH, TileRef, encode_bundle, tiles_between

DEFAULT_ORIGIN = "localhost/mediaproof/log"
KEY_FILE = "tlog-signer.key"


def _write_atomic(path: Path, data: bytes, mode: int = 0o644, *, sync: bool = True) -> None:
    """Write via a temporary file and rename: readers see the old or the new file.

    With ``sync`` the data and the rename are durable on return; without, the caller
    fsyncs later (see :func:`_sync_paths`), which lets many files share the wait.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
    try:
        os.fchmod(fd, mode)
        os.write(fd, data)
        if sync:
            os.fsync(fd)
    finally:
        os.close(fd)
    try:
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    if sync:
        _sync_paths([], dirs=[path.parent])


def _sync_paths(files: list[Path], dirs: Iterable[Path] = ()) -> None:
    """fsync files, then each directory holding them (so their renames are durable)."""
    for f in files:
        fd = os.open(f, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
    for d in {*dirs, *(f.parent for f in files)}:
        fd = os.open(d, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _signed_size(path: Path) -> int:
    """The size in our own last checkpoint, unverified (the signature is checked once the
    key is loaded): only used so that recovery never cuts entries that were signed."""
    try:
        lines = path.read_bytes().split(b"\n", 2)
        return int(lines[1]) if len(lines) > 2 and lines[1].isdigit() else 0
    except (OSError, ValueError):
        return 0


@dataclass(frozen=True)
class InclusionProof:
    index: int
    size: int
    hashes: tuple[bytes, ...]


class TransparencyLog:
    """An append-only Merkle log with signed checkpoints; one writer per instance."""

    def __init__(
        self,
        home: Path,
        store: LogStore,
        signer: Ed25519Signer | None,
        verifier: Ed25519Verifier,
        origin: str,
    ) -> None:
        self.home = home
        self.public_dir = home / "log"
        self.state_dir = home / "tlog"
        self._store = store
        self._signer = signer
        self.verifier = verifier
        self.origin = origin
        self._mu = threading.RLock()
        self._latest: VerifiedCheckpoint | None = None

    # --- opening ---------------------------------------------------------------------

    @classmethod
    def open(
        cls,
        home: Path,
        *,
        origin: str | None = None,
        readonly: bool = False,
        lock_timeout: float = 0.0,
        verify: Literal["tail", "full"] = "tail",
    ) -> TransparencyLog:
        """Open (creating on first use, unless ``readonly``) the log of instance ``home``.

        Recovers a torn tail, then checks the tree against the last signed checkpoint.
        A writer also checks what it is about to extend: with ``verify="tail"`` every
        entry from the start of the last signed checkpoint's partial tile (the entries a
        new checkpoint republishes) against the stored tree; with ``"full"`` (the
        operator's commands) every entry. A mismatch is a LogError and nothing is signed.
        One process writes at a time: ``lock_timeout`` seconds to wait for another writer
        (services that open, append and close use a few seconds), else LogLockedError.
        """
        home = Path(home)
        state = home / "tlog"
        config_path = state / "config.json"
        if readonly and not config_path.exists():
            raise LogError(f"no transparency log in {home}", hint="append an entry first")
        # Lock first: two processes creating the same log must not both make a key.
        store = LogStore(
            state,
            readonly=readonly,
            lock_timeout=lock_timeout,
            signed_size=max(
                _signed_size(state / "checkpoint"), _signed_size(home / "log" / "checkpoint")
            ),
        )
        try:
            log = cls._open_locked(home, store, origin, readonly)
            log._check_against_checkpoint()
            if not readonly:
                latest = log._latest
                signed = latest.checkpoint.size if latest else 0
                store.verify(0 if verify == "full" else signed - signed % TILE_WIDTH)
                log._republish_if_needed()
            else:
                # A reader sees what was published: beyond it, a live writer may be
                # half-way through updating the hash files.
                latest = log._latest
                store.size = latest.checkpoint.size if latest else 0
                if verify == "full":  # `log status` while the service holds the log
                    store.verify(0)
        except BaseException:
            store.close()
            raise
        return log

    @classmethod
    def _open_locked(
        cls, home: Path, store: LogStore, origin: str | None, readonly: bool
    ) -> TransparencyLog:
        state = home / "tlog"
        config_path = state / "config.json"
        key_path = home / "keys" / KEY_FILE
        vkey_path = home / "log" / "log.vkey"
        if config_path.exists():
            try:
                config = json.loads(config_path.read_bytes())
                if not isinstance(config, dict) or not isinstance(config.get("origin"), str):
                    raise ValueError("no origin")
            except ValueError as e:
                raise LogError(
                    f"{config_path} is damaged ({e})", hint="restore it from a backup"
                ) from e
            if origin is not None and origin != config["origin"]:
                raise LogError(
                    f"this log's origin is {config['origin']!r}, not {origin!r}",
                    hint="a log's identity cannot change; start a new log instead",
                )
            origin = str(config["origin"])
        elif store.size > 0 or key_path.exists():
            raise LogError(f"{config_path} is missing but the log has entries or a key")
        else:
            origin = origin or DEFAULT_ORIGIN
            _write_atomic(config_path, json.dumps({"origin": origin, "format": 1}).encode(), 0o600)

        signer: Ed25519Signer | None = None
        if readonly:
            verifier = Ed25519Verifier.from_vkey(vkey_path.read_text())
        elif key_path.exists():
            signer = Ed25519Signer.from_skey(key_path.read_text())
            verifier = signer.verifier
        elif store.size == 0 and not (state / "checkpoint").exists():
            signer = Ed25519Signer.generate(origin)
            _write_atomic(key_path, (signer.skey + "\n").encode(), 0o600)
            verifier = signer.verifier
        else:
            # Never quietly re-key a log that exists: its checkpoints name the old key.
            raise LogError(
                f"the log's signing key {key_path} is missing",
                hint="restore it from a backup; a new key would make a different log",
            )
        if verifier.name != origin:
            raise LogError(f"the log key is named {verifier.name!r}, the origin is {origin!r}")
        published = (verifier.vkey + "\n").encode()
        if not readonly and (not vkey_path.exists() or vkey_path.read_bytes() != published):
            _write_atomic(vkey_path, published)
        return cls(home, store, signer, verifier, origin)

    def _check_against_checkpoint(self) -> None:
        path = self.state_dir / "checkpoint"
        if not path.exists():
            # Our own copy is gone: the served one (signed by the same key) is still a
            # promise this log made, so a rewrite cannot be re-signed by deleting the copy.
            path = self.public_dir / "checkpoint"
            if not path.exists():
                return
        vc = open_checkpoint(path.read_bytes(), self.verifier)
        cp = vc.checkpoint
        if cp.size > self._store.size:
            raise LogError(
                f"the log has {self._store.size} entries but signed a checkpoint of {cp.size}",
                hint="acknowledged entries are missing; restore the store from a backup",
            )
        if merkle.tree_root(self._store.node, cp.size) != cp.root:
            raise LogError(
                f"the stored tree does not match the signed checkpoint of size {cp.size}",
                hint="the store was altered; restore it from a backup",
            )
        self._latest = vc

    def _republish_if_needed(self) -> None:
        """Finish a publish that a crash interrupted (the private checkpoint is written first)."""
        if self._latest is None:
            return
        served = self.public_dir / "checkpoint"
        old_size = 0
        if served.exists():
            try:
                old = open_checkpoint(served.read_bytes(), self.verifier).checkpoint
                old_size = old.size
            except (NoteError, CheckpointError):
                old_size = 0
        if old_size != self._latest.checkpoint.size or not served.exists():
            self._publish(min(old_size, self._latest.checkpoint.size), self._latest)
        elif served.read_bytes() != self._latest.encode():
            # Same tree, but cosignatures merged just before a crash.
            _write_atomic(served, self._latest.encode())

    # --- state -----------------------------------------------------------------------

    @property
    def size(self) -> int:
        return self._store.size

    @property
    def vkey(self) -> str:
        return self.verifier.vkey

    def latest_checkpoint(self) -> VerifiedCheckpoint | None:
        return self._latest

    def root(self, size: int | None = None) -> bytes:
        return merkle.tree_root(self._store.node, self.size if size is None else size)

    def entry(self, index: int) -> bytes:
        return self._store.entry(index)

    # --- appending -------------------------------------------------------------------

    @staticmethod
    def _as_entry(e: Entry | Mapping[str, Any] | bytes) -> Entry:
        if isinstance(e, Entry):
            return e
        if isinstance(e, bytes):
            return Entry.parse(e)
        return Entry.from_data(e)

    def append(self, entry: Entry | Mapping[str, Any] | bytes) -> int:
        """Validate and append one entry durably; returns its index."""
        return self.append_many([entry])[0]

    def append_many(self, entries: Iterable[Entry | Mapping[str, Any] | bytes]) -> list[int]:
        """Validate all, then append them as one durable batch (one fsync)."""
        canon = [self._as_entry(e).canonical for e in entries]
        with self._mu:
            first = self._store.append_many(canon)
        return list(range(first, first + len(canon)))

    # --- checkpoints -----------------------------------------------------------------

    def checkpoint(self) -> VerifiedCheckpoint:
        """Sign a checkpoint of the current tree and publish it with its tiles.

        Returns the previous checkpoint unchanged when nothing was appended since.
        """
        if self._signer is None:
            raise LogError("the log is open read-only; it cannot sign checkpoints")
        with self._mu:
            size = self._store.size
            prev = self._latest
            if prev is not None and prev.checkpoint.size == size:
                return prev
            self._store.sync()
            root = merkle.tree_root(self._store.node, size)
            if prev is not None:
                old = prev.checkpoint
                proof = merkle.consistency_proof(self._store.node, old.size, size)
                # Never sign a tree that does not extend what we signed before.
                merkle.verify_consistency(old.size, size, old.root, root, proof)
            note = sign_checkpoint(Checkpoint(self.origin, size, root), self._signer)
            vc = open_checkpoint(note, self.verifier)
            _write_atomic(self.state_dir / "checkpoint", note.encode(), 0o600)
            self._publish(prev.checkpoint.size if prev else 0, vc)
            self._latest = vc
            return vc

    def _publish(self, old_size: int, vc: VerifiedCheckpoint) -> None:
        """Write the tiles between the two sizes, make them durable, then the checkpoint.

        A crash before the checkpoint is replaced is repaired at open by publishing again
        from the served checkpoint's size, so the tiles need only one fsync pass here.
        """
        written: list[Path] = []
        for ref in tiles_between(old_size, vc.checkpoint.size):
            written += self._write_tile(ref)
        _sync_paths(written)
        _write_atomic(self.public_dir / "checkpoint", vc.encode())

    def _write_tile(self, ref: TileRef) -> list[Path]:
        start = ref.index * TILE_WIDTH
        data = self._store.level_hashes(8 * ref.level, start, ref.width)
        paths = [self.public_dir / ref.path]
        _write_atomic(paths[0], data, sync=False)
        if ref.level == 0:
            bundle = encode_bundle(list(self._store.entries(start, start + ref.width)))
            paths.append(self.public_dir / ref.entries_path)
            _write_atomic(paths[1], bundle, sync=False)
        if ref.width == TILE_WIDTH:
            # Partial tiles of a now-full tile may go (tlog-tiles allows it); clients
            # fall back to the full tile.
            for p in (ref.path, ref.entries_path if ref.level == 0 else None):
                if p is not None:
                    shutil.rmtree(self.public_dir / f"{p}.p", ignore_errors=True)
        return paths

    def add_cosignatures(self, cosigned: bytes, witnesses: list[CosignatureVerifier]) -> int:
        """Merge witness cosignatures on the latest checkpoint; returns how many were added.

        Each cosignature is verified against the given witness keys; lines from keys not
        given are ignored, and a bad one is refused.
        """
        with self._mu:
            latest = self._latest
            if latest is None:
                raise LogError("no checkpoint to cosign yet")
            incoming = parse_note(cosigned)
            if incoming.text != latest.note.text:
                raise CheckpointError("the cosigned checkpoint is not the latest checkpoint")
            wkeys = {(w.name, w.key_id) for w in witnesses}
            opened = open_note(incoming, list(witnesses))
            have = {(s.name, s.key_id) for s in latest.note.signatures}
            new = [
                s
                for s in opened.verified
                if (s.name, s.key_id) in wkeys and (s.name, s.key_id) not in have
            ]
            if not new:
                return 0
            note = Note(latest.note.text, (*latest.note.signatures, *new))
            vc = open_checkpoint(note, self.verifier, witnesses=witnesses)
            _write_atomic(self.state_dir / "checkpoint", note.encode(), 0o600)
            _write_atomic(self.public_dir / "checkpoint", note.encode())
            self._latest = vc
            return len(new)

    # --- proofs ----------------------------------------------------------------------

    def _proof_size(self, index: int, size: int | None) -> int:
        if size is not None:
            return size
        latest = self._latest
        if latest is None or index >= latest.checkpoint.size:
            if self._signer is None:
                raise LogError(f"entry {index} is not covered by a checkpoint yet")
            latest = self.checkpoint()
        return latest.checkpoint.size

    def prove_inclusion(self, index: int, size: int | None = None) -> InclusionProof:
        """Inclusion proof for ``index`` in the tree of ``size`` (default: latest checkpoint,
        signing a new one when the entry is not covered yet)."""
        with self._mu:
            n = self._proof_size(index, size)
            if n > self.size:
                raise LogError(f"the log has only {self.size} entries")
            return InclusionProof(
                index, n, tuple(merkle.inclusion_proof(self._store.node, index, n))
            )

    def prove_consistency(self, old_size: int, new_size: int | None = None) -> list[bytes]:
        with self._mu:
            n = self.size if new_size is None else new_size
            if n > self.size:
                raise LogError(f"the log has only {self.size} entries")
            return merkle.consistency_proof(self._store.node, old_size, n)

    def tlog_proof(self, index: int) -> TlogProof:
        """A C2SP tlog-proof for entry ``index`` against the latest checkpoint (with any
        cosignatures), carrying the entry itself as ``extra``."""
        with self._mu:
            p = self.prove_inclusion(index)
            latest = self._latest
            assert latest is not None and latest.checkpoint.size == p.size
            return TlogProof(index, p.hashes, latest.encode(), extra=self.entry(index))

    # --- lifecycle -------------------------------------------------------------------

    def close(self) -> None:
        self._store.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def record(
    home: Path, entry: Entry, *, checkpoint: bool = True, lock_timeout: float = 10.0
) -> tuple[int, VerifiedCheckpoint | None]:
    """Append one event and (by default) sign a checkpoint covering it, then close.

    For services: opening costs a few milliseconds and waits up to ``lock_timeout`` for
    another writer, so processes sharing an instance take turns instead of failing.
    """
    with TransparencyLog.open(home, lock_timeout=lock_timeout) as log:
        index = log.append(entry)
        return index, (log.checkpoint() if checkpoint else None)
