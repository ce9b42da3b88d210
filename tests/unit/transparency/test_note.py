# ruff: noqa: E501  (test vectors are kept verbatim, one line each)
"""C2SP signed notes against published vectors: golang.org/x/mod/sumdb/note, the signed-note
spec example, and a real CT checkpoint cosigned by a public witness."""

from __future__ import annotations

import pytest

from mediaproof.transparency.errors import NoteError
from mediaproof.transparency.note import (
    CosignatureSigner,
    CosignatureVerifier,
    Ed25519Signer,
    Ed25519Verifier,
    key_id,
    open_note,
    parse_note,
    parse_vkey,
    sign_note,
)

# golang.org/x/mod/sumdb/note package documentation and note_test.go.
GO_SKEY = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"
GO_VKEY = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
GO_TEXT = (
    b"If you think cryptography is the answer to your problem,\n"
    b"then you don't know what your problem is.\n"
)
GO_SIG = "\u2014 PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n"
ENOCH_VKEY = "EnochRoot+af0cfe78+ATtqJ7zOtqQtYqOo0CpvDXNlMhV3HeJDpjrASKGLWdop"
ENOCH_SIG = "\u2014 EnochRoot rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+MNtCOXm2/5n2tiOHp+vAF1aGrQ5ovTG01oOTGwnWLox33WWd1RvMc+QQ=\n"

# c2sp.org/signed-note: the example note, and the example verifier key.
SPEC_NOTE = (
    "Ognuno sta solo sul cuor della terra\n"
    "trafitto da un raggio di sole:\n"
    "\n"
    "ed \u00e8 subito sera.\n"
    "\n"
    "\u2014 quasimodo.example/salvatore NnugSzTjtVAewIS+Z/iJhUPeFDkO/5QQ2i5ddnGITLlC+EhfLW9oJKONrMouFSQU0xMcXxj99ihAQwaqP3ZekRwNtIc=\n"
).encode()
SPEC_VKEY = "example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k"

# A checkpoint of the arche2025h1 staging CT log, with an RFC 6962 (0x05) signature, an
# Ed25519 (0x01) log signature and four tlog-cosignature/v1 (0x04) witness cosignatures.
ARCHE = (
    "arche2025h1.staging.ct.transparency.dev\n"
    "1432088532\n"
    "U7WM79jrzyhGZ5/GUBTpM7NzwdyfFx61t3RovgcC4Ro=\n"
    "\n"
    "\u2014 arche2025h1.staging.ct.transparency.dev zTM8sQAAAZ5W0WdjBAMARjBEAiBjW5IQf9pvsYLfQFX6hoGREPMHbdQ3urbllzalApkptQIgIpwtEroeW2BXaHAI4kJXFbon5Ch9MNL5zRNZ55lvGt0=\n"
    "\u2014 arche2025h1.staging.ct.transparency.dev ui8GwCF1+kWqZrxGdhj4aX3gcw7XUlXQQabg/27lefwhUkzbC3NygNI75MdhL1bfTW9g8Ei59RA23oHP7Ry1k3ZFWwQ=\n"
    "\u2014 transparency.dev/DEV:witness-little-garden 2AQqhwAAAABqEiEgzgFIqqhbUoDwjMWE6UP8nd8/KYTzwZ2rhIgcqoXHAwVkjZr4AscylP3v7sEodkRAErumC2q44vdgJY096st5BQ==\n"
    "\u2014 witness1.smartit.nu/witness1 pIyCDwAAAABqEiEghIp82KWebrw7/oHQwlTAm3g2RKS4+eebl8eO0WH+/iEcxZ75W3u5hNI7TOQtmJbqmNWVuE0tgh0XwzdZsDsUAQ==\n"
    "\u2014 remora.n621.de 2net5wAAAABqEiEgPlfF3V06o0Y+fHM+J5J9s27wgxxcOVSpZ/2g/KSiXCg9DEZI+aVCIobWX9sXTynk5XeU/zZ0WBxtqB0DrAWfBw==\n"
    "\u2014 witness.stagemole.eu Z/euoAAAAABqEiEgw0i+7g2ENfDAWHmtRzCfKTHSDwYDJA2NmKeGi9Y8FtEyOUvVr+AJmIY/2TUFucgKi7lI7cUiOvKFYe/TmN9DAg==\n"
).encode()
ARCHE_VKEY = (
    "arche2025h1.staging.ct.transparency.dev+ba2f06c0+AU0vHmlGCS/PdN8b2OaGmKprLI8HKM+dJ472xgFYh15f"
)
REMORA_VKEY = "remora.n621.de+da77ade7+BOvN63jn/bLvkieywe8R6UYAtVtNbZpXh34x7onlmtw2"


def test_go_vector_signs_byte_for_byte() -> None:
    signer = Ed25519Signer.from_skey(GO_SKEY)
    assert signer.vkey == GO_VKEY
    assert signer.skey == GO_SKEY
    assert sign_note(GO_TEXT, signer).encode() == GO_TEXT + b"\n" + GO_SIG.encode()


def test_go_vector_verifies_with_two_signers() -> None:
    msg = GO_TEXT + b"\n" + GO_SIG.encode() + ENOCH_SIG.encode()
    verifiers = [Ed25519Verifier.from_vkey(GO_VKEY), Ed25519Verifier.from_vkey(ENOCH_VKEY)]
    opened = open_note(msg, verifiers)
    assert opened.text == GO_TEXT
    assert [s.name for s in opened.verified] == ["PeterNeumann", "EnochRoot"]
    # Only one key known: the other signature is ignored, not an error.
    opened = open_note(msg, verifiers[1:])
    assert [s.name for s in opened.unverified] == ["PeterNeumann"]


def test_spec_example_parses_at_the_last_blank_line() -> None:
    note = parse_note(SPEC_NOTE)
    assert note.text.endswith(b"\ned \xc3\xa8 subito sera.\n")
    assert b"\n\n" in note.text  # the text's own blank line stays in the text
    (sig,) = note.signatures
    assert sig.name == "quasimodo.example/salvatore"
    assert len(sig.signature) == 64
    assert note.encode() == SPEC_NOTE


def test_spec_vkey_key_id_is_the_documented_derivation() -> None:
    name, typ, pub = parse_vkey(SPEC_VKEY)
    assert (name, typ) == ("example.com/foo", 1)
    assert key_id(name, bytes([typ]) + pub).hex() == "530d903a"


def test_real_checkpoint_log_signature_and_witness_cosignature_verify() -> None:
    log = Ed25519Verifier.from_vkey(ARCHE_VKEY)
    witness = CosignatureVerifier.from_vkey(REMORA_VKEY)
    opened = open_note(ARCHE, [log, witness])
    assert [s.name for s in opened.verified] == [log.name, witness.name]
    cosig = opened.verified[1]
    assert CosignatureVerifier.timestamp(cosig.signature) > 1_700_000_000
    tampered = ARCHE.replace(b"1432088532", b"1432088533")
    with pytest.raises(NoteError, match="invalid signature"):
        open_note(tampered, [witness])


def test_wrong_key_or_tampered_text_is_rejected() -> None:
    msg = GO_TEXT + b"\n" + GO_SIG.encode()
    other = Ed25519Signer.generate("PeterNeumann")  # same name, different key and key ID
    with pytest.raises(NoteError, match="no signature by a trusted key"):
        open_note(msg, [other.verifier])
    with pytest.raises(NoteError, match="invalid signature"):
        open_note(msg.replace(b"answer", b"ANSWER"), [Ed25519Verifier.from_vkey(GO_VKEY)])
    # A known name and key ID with a different key is caught when the signature fails.
    forged = Ed25519Verifier.from_vkey(GO_VKEY)
    object.__setattr__(forged, "public_key", other.verifier.public_key)
    with pytest.raises(NoteError, match="invalid signature"):
        open_note(msg, [forged])


@pytest.mark.parametrize(
    "vkey",
    [
        "PeterNeumann+c74f20a4+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",  # wrong key ID
        "PeterNeumann+c74f20a3",
        "Peter Neumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
        "PeterNeumann+C74F20A3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
        "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10T!",
    ],
)
def test_malformed_verifier_keys_are_rejected(vkey: str) -> None:
    with pytest.raises(NoteError):
        Ed25519Verifier.from_vkey(vkey)


@pytest.mark.parametrize(
    "msg",
    [
        GO_TEXT + GO_SIG.encode(),  # no blank line
        GO_TEXT + b"\n" + GO_SIG.encode().rstrip(b"\n"),  # no final newline
        GO_TEXT + b"\n" + GO_SIG.encode().replace(b"\xe2\x80\x94 ", b"- "),
        GO_TEXT.replace(b"\n", b"\r\n", 1) + b"\n" + GO_SIG.encode(),  # control character
        b"\xff\n\n" + GO_SIG.encode(),
    ],
)
def test_malformed_notes_are_rejected(msg: bytes) -> None:
    with pytest.raises(NoteError):
        open_note(msg, [Ed25519Verifier.from_vkey(GO_VKEY)])


def test_cosignature_roundtrip_and_type_separation() -> None:
    w = CosignatureSigner.generate("witness.example/w1")
    assert w.vkey.split("+")[2].startswith("B")  # type byte 0x04
    sig = w.sign_at(b"o\n1\n" + b"A" * 43 + b"=\n", 1_700_000_000)
    assert w.verifier.verify(b"o\n1\n" + b"A" * 43 + b"=\n", sig)
    assert not w.verifier.verify(b"o\n2\n" + b"A" * 43 + b"=\n", sig)
    # The same key as a plain Ed25519 note key has a different key ID.
    plain = Ed25519Verifier(w.name, w.verifier.public_key)
    assert plain.key_id != w.key_id
    with pytest.raises(NoteError):
        Ed25519Verifier.from_vkey(w.vkey)
