"""C2SP checkpoints: format, log signature, witness cosignatures, consistency."""

from __future__ import annotations

import base64

import pytest

from mediaproof.transparency.checkpoint import (
    Checkpoint,
    check_extends,
    cosign,
    open_checkpoint,
    sign_checkpoint,
)
from mediaproof.transparency.errors import CheckpointError, ProofError
from mediaproof.transparency.merkle import MemoryTree, leaf_hash
from mediaproof.transparency.note import CosignatureSigner, Ed25519Signer, Note, parse_note

SPEC_BODY = b"example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n"


def test_spec_example_body_roundtrips() -> None:
    cp = Checkpoint.parse(SPEC_BODY)
    assert cp.origin == "example.com/behind-the-sofa"
    assert cp.size == 20852163
    assert cp.root == base64.b64decode("CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=")
    assert cp.body() == SPEC_BODY


@pytest.mark.parametrize(
    "body",
    [
        b"origin\n01\n" + base64.b64encode(b"\0" * 32) + b"\n",  # leading zero
        b"origin\n-1\n" + base64.b64encode(b"\0" * 32) + b"\n",
        b"origin\n1\n" + base64.b64encode(b"\0" * 31) + b"\n",  # short root
        b"origin\n1\n" + base64.b64encode(b"\0" * 32),  # no final newline
        b"origin\n1\n",
        b"origin\n1\n" + base64.b64encode(b"\0" * 32) + b"\n\n",  # empty extension line
    ],
)
def test_malformed_bodies_are_rejected(body: bytes) -> None:
    with pytest.raises(CheckpointError):
        Checkpoint.parse(body)


def _signed(size: int = 3) -> tuple[Ed25519Signer, Note, MemoryTree]:
    signer = Ed25519Signer.generate("example.org/log")
    tree = MemoryTree([leaf_hash(b"%d" % i) for i in range(size)])
    return signer, sign_checkpoint(Checkpoint(signer.name, size, tree.root()), signer), tree


def test_signed_checkpoint_verifies_and_tampering_fails() -> None:
    signer, note, _ = _signed()
    vc = open_checkpoint(note.encode(), signer.verifier)
    assert vc.checkpoint.size == 3
    with pytest.raises(CheckpointError):
        open_checkpoint(note.encode().replace(b"\n3\n", b"\n4\n"), signer.verifier)


def test_wrong_key_and_wrong_origin_are_rejected() -> None:
    signer, note, _ = _signed()
    with pytest.raises(CheckpointError, match="no signature by a trusted key"):
        open_checkpoint(note.encode(), Ed25519Signer.generate(signer.name).verifier)
    impostor = Ed25519Signer.generate("evil.example/log")
    forged = sign_checkpoint(Checkpoint(signer.name, 3, b"\1" * 32), impostor)
    with pytest.raises(CheckpointError):
        open_checkpoint(forged.encode(), signer.verifier)
    # Signed by the right key but claiming another log's origin.
    other = sign_checkpoint(Checkpoint("other.example/log", 3, b"\1" * 32), signer)
    with pytest.raises(CheckpointError, match="origin"):
        open_checkpoint(other.encode(), signer.verifier)


def test_a_witness_signature_alone_does_not_make_a_checkpoint_valid() -> None:
    signer, note, _ = _signed()
    w = CosignatureSigner.generate("witness.example/w")
    only_witness = Note(note.text, cosign(note, w).signatures[1:])
    with pytest.raises(CheckpointError):
        open_checkpoint(only_witness.encode(), signer.verifier, witnesses=[w.verifier])


def test_witness_cosignatures_are_verified_and_counted() -> None:
    signer, note, _ = _signed()
    w1 = CosignatureSigner.generate("witness.example/w1")
    w2 = CosignatureSigner.generate("witness.example/w2")
    cosigned = cosign(cosign(note, w1, 1_700_000_000), w2)
    vc = open_checkpoint(
        cosigned.encode(), signer.verifier, witnesses=[w1.verifier, w2.verifier], min_witnesses=2
    )
    assert [c.name for c in vc.cosignatures] == [w1.name, w2.name]
    assert vc.cosignatures[0].timestamp == 1_700_000_000
    with pytest.raises(CheckpointError, match="2 required"):
        open_checkpoint(
            cosigned.encode(), signer.verifier, witnesses=[w1.verifier], min_witnesses=2
        )
    # A cosignature moved onto another checkpoint fails.
    _, other_note, _ = _signed(4)
    moved = Note(other_note.text, (*other_note.signatures, cosigned.signatures[1]))
    with pytest.raises(CheckpointError):
        open_checkpoint(moved.encode(), signer.verifier, witnesses=[w1.verifier])
    assert parse_note(cosigned.encode()) == cosigned


def test_check_extends() -> None:
    tree = MemoryTree([leaf_hash(b"%d" % i) for i in range(9)])
    old = Checkpoint("o", 5, tree.root(5))
    new = Checkpoint("o", 9, tree.root(9))
    check_extends(old, new, tree.consistency_proof(5, 9))
    with pytest.raises(CheckpointError):
        check_extends(old, Checkpoint("p", 9, tree.root(9)), tree.consistency_proof(5, 9))
    forked = MemoryTree([leaf_hash(b"x%d" % i) for i in range(9)])
    with pytest.raises(ProofError):
        check_extends(old, Checkpoint("o", 9, forked.root()), forked.consistency_proof(5, 9))
