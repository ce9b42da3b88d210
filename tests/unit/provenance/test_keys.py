from __future__ import annotations

import datetime as dt
import stat
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from mediaproof.errors import KeyMaterialError
from mediaproof.provenance.keys import (
    C2PA_CLAIM_SIGNING,
    check_signing_profile,
    import_keys,
    init_keys,
    load_signing_material,
)


@pytest.mark.parametrize("alg", ["es256", "ed25519"])
def test_init_creates_c2pa_profile(tmp_path: Path, alg: str) -> None:
    m = init_keys(tmp_path / "k", "Example County", alg=alg)  # type: ignore[arg-type]
    cert = m.certificate
    assert check_signing_profile(cert) == []
    eku = cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert ExtendedKeyUsageOID.EMAIL_PROTECTION in eku and C2PA_CLAIM_SIGNING in eku
    assert not cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    assert cert.extensions.get_extension_for_class(x509.KeyUsage).value.digital_signature
    for name in ("signer.key", "root-ca.key"):
        assert stat.S_IMODE((tmp_path / "k" / name).stat().st_mode) == 0o600
    assert load_signing_material(tmp_path / "k").alg == alg


def test_init_refuses_to_overwrite(tmp_path: Path) -> None:
    init_keys(tmp_path / "k", "A")
    with pytest.raises(KeyMaterialError, match="already exist"):
        init_keys(tmp_path / "k", "A")
    init_keys(tmp_path / "k", "B", force=True)


def test_missing_keys_are_explained(tmp_path: Path) -> None:
    with pytest.raises(KeyMaterialError, match="keys init"):
        load_signing_material(tmp_path)


def _ca_and_leaf(tmp_path: Path, *, eku: bool = True, ca_leaf: bool = False) -> tuple[Path, Path]:
    """A chain as a real CA would issue it (root + intermediate-less leaf)."""
    now = dt.datetime.now(dt.UTC)
    root_key = ec.generate_private_key(ec.SECP256R1())
    root_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Real CA")])
    root = (
        x509.CertificateBuilder()
        .subject_name(root_name)
        .issuer_name(root_name)
        .public_key(root_key.public_key())
        .serial_number(1)
        .not_valid_before(now)
        .not_valid_after(now + dt.timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(root_key.public_key()), False)
        .sign(root_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    b = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Newsroom")]))
        .issuer_name(root_name)
        .public_key(key.public_key())
        .serial_number(2)
        .not_valid_before(now)
        .not_valid_after(now + dt.timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=ca_leaf, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(True, False, False, False, False, False, False, False, False), True
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(root_key.public_key()), False
        )
    )
    if eku:
        b = b.add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION]), False)
    leaf = b.sign(root_key, hashes.SHA256())
    chain = tmp_path / "chain.pem"
    chain.write_bytes(
        leaf.public_bytes(serialization.Encoding.PEM)
        + root.public_bytes(serialization.Encoding.PEM)
    )
    kp = tmp_path / "leaf.key"
    kp.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return chain, kp


def test_import_real_ca_chain(tmp_path: Path) -> None:
    chain, key = _ca_and_leaf(tmp_path)
    m = import_keys(tmp_path / "k", chain, key)
    assert m.alg == "es256"
    # the self-signed root is dropped from the signing chain: it belongs in trust anchors
    assert len(x509.load_pem_x509_certificates(m.chain_pem)) == 1
    assert stat.S_IMODE((tmp_path / "k" / "signer.key").stat().st_mode) == 0o600


@pytest.mark.parametrize(
    ("kwargs", "problem"),
    [({"eku": False}, "extendedKeyUsage"), ({"ca_leaf": True}, "CA certificate")],
)
def test_import_rejects_unfit_certificates(
    tmp_path: Path, kwargs: dict[str, bool], problem: str
) -> None:
    chain, key = _ca_and_leaf(tmp_path, **kwargs)
    with pytest.raises(KeyMaterialError, match=problem):
        import_keys(tmp_path / "k", chain, key)


def test_import_rejects_mismatched_key(tmp_path: Path) -> None:
    chain, _ = _ca_and_leaf(tmp_path)
    other = tmp_path / "other.key"
    other.write_bytes(
        ec.generate_private_key(ec.SECP256R1()).private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    with pytest.raises(KeyMaterialError, match="does not belong"):
        import_keys(tmp_path / "k", chain, other)
