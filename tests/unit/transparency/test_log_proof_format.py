"""The C2SP tlog-proof text format: the spec's layout, and malformed files refused."""

from __future__ import annotations

import base64

import pytest

from mediaproof.transparency.errors import ProofError
from mediaproof.transparency.proof import HEADER, TlogProof

CHECKPOINT = b"example.com/log\n3\n" + base64.b64encode(b"\1" * 32) + b"\n\n\xe2\x80\x94 x y\n"


def test_layout_matches_the_spec() -> None:
    p = TlogProof(73894, (b"\2" * 32, b"\3" * 32), CHECKPOINT, extra=b"entry")
    text = p.encode()
    lines = text.split(b"\n")
    assert lines[0] == HEADER.encode()
    assert lines[1] == b"extra " + base64.b64encode(b"entry")
    assert lines[2] == b"index 73894"
    assert lines[3:5] == [base64.b64encode(b"\2" * 32), base64.b64encode(b"\3" * 32)]
    assert lines[5] == b""
    assert text.endswith(CHECKPOINT)
    assert TlogProof.parse(text) == p
    no_extra = TlogProof(0, (), CHECKPOINT)
    assert no_extra.encode().startswith(f"{HEADER}\nindex 0\n\n".encode())
    assert TlogProof.parse(no_extra.encode()) == no_extra


@pytest.mark.parametrize(
    "text",
    [
        b"c2sp.org/tlog-proof@v2\nindex 1\n\n" + CHECKPOINT,
        b"c2sp.org/tlog-proof@v1\nindex 01\n\n" + CHECKPOINT,
        b"c2sp.org/tlog-proof@v1\nindex -1\n\n" + CHECKPOINT,
        b"c2sp.org/tlog-proof@v1\n\n" + CHECKPOINT,
        b"c2sp.org/tlog-proof@v1\nindex 1\nnot base64!\n\n" + CHECKPOINT,
        b"c2sp.org/tlog-proof@v1\nextra %%%\nindex 1\n\n" + CHECKPOINT,
        b"c2sp.org/tlog-proof@v1\nindex 1\n",
        b"\xff\xfe",
    ],
)
def test_malformed_proofs_are_refused(text: bytes) -> None:
    with pytest.raises(ProofError):
        TlogProof.parse(text)
