"""C2SP tlog-proof (c2sp.org/tlog-proof@v1): an offline-verifiable proof of inclusion.

::

    c2sp.org/tlog-proof@v1
    extra <base64 entry>          (optional; we carry the logged entry itself)
    index <n>
    <base64 hash>...              (inclusion proof, leaf's sibling first)
    <blank line>
    <checkpoint, verbatim, with any witness cosignatures>

``extra`` is not authenticated by itself: the verifier hashes it into the leaf and checks
the inclusion proof against the signed checkpoint, so a changed entry fails the proof.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass

from mediaproof.transparency.checkpoint import VerifiedCheckpoint, open_checkpoint
from mediaproof.transparency.errors import ProofError
from mediaproof.transparency.merkle import leaf_hash, verify_inclusion
from mediaproof.transparency.note import CosignatureVerifier, Ed25519Verifier

HEADER = "c2sp.org/tlog-proof@v1"
SUFFIX = ".tlog-proof"


@dataclass(frozen=True)
class TlogProof:
    index: int
    hashes: tuple[bytes, ...]
    checkpoint: bytes  # the signed note, verbatim
    extra: bytes | None = None

    def encode(self) -> bytes:
        lines = [HEADER]
        if self.extra is not None:
            lines.append("extra " + base64.b64encode(self.extra).decode())
        lines.append(f"index {self.index}")
        lines += [base64.b64encode(h).decode() for h in self.hashes]
        return ("\n".join(lines) + "\n\n").encode() + self.checkpoint

    @classmethod
    def parse(cls, data: bytes) -> TlogProof:
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as e:
            raise ProofError("proof is not UTF-8") from e
        head, sep, checkpoint = text.partition("\n\n")
        if not sep:
            raise ProofError("proof has no checkpoint (blank line missing)")
        lines = head.split("\n")
        if lines[0] != HEADER:
            raise ProofError(f"not a {HEADER} proof")
        pos, extra = 1, None
        try:
            if len(lines) > pos and lines[pos].startswith("extra "):
                extra = base64.b64decode(lines[pos][6:], validate=True)
                pos += 1
            if len(lines) <= pos or not lines[pos].startswith("index "):
                raise ProofError("proof has no index line")
            idx = lines[pos][6:]
            if not idx.isascii() or not idx.isdigit() or (idx != "0" and idx[0] == "0"):
                raise ProofError(f"bad index {idx!r}")
            hashes = tuple(base64.b64decode(h, validate=True) for h in lines[pos + 1 :])
        except (binascii.Error, ValueError) as e:
            if isinstance(e, ProofError):
                raise
            raise ProofError("proof hashes are not base64") from e
        return cls(int(idx), hashes, checkpoint.encode(), extra)


@dataclass(frozen=True)
class VerifiedInclusion:
    index: int
    entry: bytes | None  # the entry checked, when one was given or carried
    leaf_hash: bytes
    checkpoint: VerifiedCheckpoint


def verify_tlog_proof(
    data: bytes | TlogProof,
    log_key: Ed25519Verifier,
    *,
    entry: bytes | None = None,
    leaf: bytes | None = None,
    witnesses: list[CosignatureVerifier] | None = None,
    min_witnesses: int = 0,
) -> VerifiedInclusion:
    """Check a proof offline: the checkpoint's signatures, then inclusion of the entry.

    The entry is ``entry`` if given, else the proof's ``extra``; or pass ``leaf`` (a leaf
    hash) alone. Raises :class:`ProofError` or :class:`CheckpointError`.
    """
    proof = TlogProof.parse(data) if isinstance(data, bytes) else data
    if entry is None and leaf is None:
        entry = proof.extra
    if entry is not None:
        if proof.extra is not None and proof.extra != entry:
            raise ProofError("the entry given differs from the one the proof carries")
        computed = leaf_hash(entry)
        if leaf is not None and leaf != computed:
            raise ProofError("the leaf hash given is not the hash of the entry")
        leaf = computed
    if leaf is None:
        raise ProofError("nothing to check: give the entry or its leaf hash")
    vc = open_checkpoint(
        proof.checkpoint, log_key, witnesses=witnesses, min_witnesses=min_witnesses
    )
    verify_inclusion(leaf, proof.index, vc.checkpoint.size, list(proof.hashes), vc.checkpoint.root)
    return VerifiedInclusion(proof.index, entry, leaf, vc)
