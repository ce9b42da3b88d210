"""Signing keys and certificates with the profile C2PA requires.

``init_keys`` makes a local root CA and an end-entity signing certificate:
EKU emailProtection + c2pa-kp-claimSigning, keyUsage digitalSignature, AKI/SKI, not a CA.
``import_keys`` takes a chain and key issued by a real CA and checks the same profile.
Private keys are written 0600 and never logged.
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID, ObjectIdentifier

from mediaproof.display_text import check_display_text
from mediaproof.errors import KeyMaterialError

C2PA_CLAIM_SIGNING = ObjectIdentifier("1.3.6.1.4.1.62558.2.1")
Algorithm = Literal["es256", "ed25519"]

ROOT_CERT = "root-ca.pem"
ROOT_KEY = "root-ca.key"
SIGN_CHAIN = "signer-chain.pem"  # end-entity first, then intermediates (not the root)
SIGN_KEY = "signer.key"
SIGN_ALG = "signer.alg"

_PrivateKey = ec.EllipticCurvePrivateKey | ed25519.Ed25519PrivateKey


@dataclass(frozen=True)
class SigningMaterial:
    """What the C2PA signer needs, loaded from the instance's keys directory."""

    alg: Algorithm
    chain_pem: bytes
    key_pem: bytes
    root_pem: bytes | None  # our own root, when the instance made it (used as trust anchor)

    @property
    def certificate(self) -> x509.Certificate:
        return x509.load_pem_x509_certificates(self.chain_pem)[0]


def _new_key(alg: Algorithm) -> _PrivateKey:
    if alg == "es256":
        return ec.generate_private_key(ec.SECP256R1())
    return ed25519.Ed25519PrivateKey.generate()


def _key_usage(*, ca: bool) -> x509.KeyUsage:
    """Digital signatures, and for the CA also certificate and CRL signing."""
    return x509.KeyUsage(
        digital_signature=True,
        content_commitment=False,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=ca,
        crl_sign=ca,
        encipher_only=False,
        decipher_only=False,
    )


def _sign_hash(alg: Algorithm) -> hashes.SHA256 | None:
    return hashes.SHA256() if alg == "es256" else None


def _write_private(path: Path, data: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(data)
    os.chmod(path, 0o600)


def _key_pem(key: _PrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def init_keys(
    keys_dir: Path,
    org: str,
    *,
    alg: Algorithm = "es256",
    valid_days: int = 730,
    force: bool = False,
) -> SigningMaterial:
    """Create a root CA and a C2PA signing certificate under ``keys_dir``."""
    if not org.strip():
        raise KeyMaterialError("an organisation name is required (--org)")
    # the signer named in every credential these keys sign, and on every verify page
    check_display_text("it is the signer named in every credential these keys sign", org=org)
    if (keys_dir / SIGN_CHAIN).exists() and not force:
        raise KeyMaterialError(
            f"signing keys already exist in {keys_dir}",
            hint="use --force to replace them; registered assets keep their signatures",
        )
    keys_dir.mkdir(parents=True, exist_ok=True)
    os.chmod(keys_dir, 0o700)
    now = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=5)

    root_key = _new_key(alg)
    root_name = x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, org),
            x509.NameAttribute(NameOID.COMMON_NAME, f"{org} mediaproof root CA"),
        ]
    )
    root_ski = x509.SubjectKeyIdentifier.from_public_key(root_key.public_key())
    root_cert = (
        x509.CertificateBuilder()
        .subject_name(root_name)
        .issuer_name(root_name)
        .public_key(root_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + dt.timedelta(days=valid_days * 5))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(_key_usage(ca=True), critical=True)
        .add_extension(root_ski, critical=False)
        .sign(root_key, _sign_hash(alg))
    )

    sign_key = _new_key(alg)
    sign_cert = (
        x509.CertificateBuilder()
        .subject_name(
            x509.Name(
                [
                    x509.NameAttribute(NameOID.ORGANIZATION_NAME, org),
                    x509.NameAttribute(NameOID.COMMON_NAME, f"{org} content signing"),
                ]
            )
        )
        .issuer_name(root_name)
        .public_key(sign_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + dt.timedelta(days=valid_days))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_key_usage(ca=False), critical=True)
        .add_extension(
            x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION, C2PA_CLAIM_SIGNING]),
            critical=False,
        )
        .add_extension(
            x509.SubjectKeyIdentifier.from_public_key(sign_key.public_key()), critical=False
        )
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(root_ski),
            critical=False,
        )
        .sign(root_key, _sign_hash(alg))
    )

    root_pem = root_cert.public_bytes(serialization.Encoding.PEM)
    chain_pem = sign_cert.public_bytes(serialization.Encoding.PEM)
    _write_private(keys_dir / ROOT_KEY, _key_pem(root_key))
    _write_private(keys_dir / SIGN_KEY, _key_pem(sign_key))
    (keys_dir / ROOT_CERT).write_bytes(root_pem)
    (keys_dir / SIGN_CHAIN).write_bytes(chain_pem)
    (keys_dir / SIGN_ALG).write_text(alg)
    return SigningMaterial(
        alg=alg, chain_pem=chain_pem, key_pem=_key_pem(sign_key), root_pem=root_pem
    )


def check_signing_profile(cert: x509.Certificate) -> list[str]:
    """Problems that would make C2PA validators reject ``cert`` as a claim signer."""
    problems: list[str] = []
    try:
        bc = cert.extensions.get_extension_for_class(x509.BasicConstraints).value
        if bc.ca:
            problems.append("the signing certificate is a CA certificate")
    except x509.ExtensionNotFound:
        pass
    try:
        ku = cert.extensions.get_extension_for_class(x509.KeyUsage).value
        if not ku.digital_signature:
            problems.append("keyUsage lacks digitalSignature")
    except x509.ExtensionNotFound:
        problems.append("keyUsage extension is missing")
    try:
        eku = cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
        allowed = {
            ExtendedKeyUsageOID.EMAIL_PROTECTION,
            C2PA_CLAIM_SIGNING,
            ObjectIdentifier("1.3.6.1.5.5.7.3.36"),  # documentSigning
        }
        if not allowed.intersection(eku):
            problems.append("extendedKeyUsage has no C2PA-accepted purpose")
    except x509.ExtensionNotFound:
        problems.append("extendedKeyUsage extension is missing")
    for cls, name in (
        (x509.SubjectKeyIdentifier, "subjectKeyIdentifier"),
        (x509.AuthorityKeyIdentifier, "authorityKeyIdentifier"),
    ):
        try:
            cert.extensions.get_extension_for_class(cls)
        except x509.ExtensionNotFound:
            problems.append(f"{name} extension is missing")
    if cert.not_valid_after_utc < dt.datetime.now(dt.UTC):
        problems.append("the signing certificate has expired")
    return problems


def _alg_of(key: object) -> Algorithm:
    if isinstance(key, ec.EllipticCurvePrivateKey) and isinstance(key.curve, ec.SECP256R1):
        return "es256"
    if isinstance(key, ed25519.Ed25519PrivateKey):
        return "ed25519"
    raise KeyMaterialError("only ECDSA P-256 (ES256) and Ed25519 keys are supported")


def import_keys(
    keys_dir: Path, chain_path: Path, key_path: Path, *, force: bool = False
) -> SigningMaterial:
    """Install a certificate chain and private key issued by a real CA."""
    if (keys_dir / SIGN_CHAIN).exists() and not force:
        raise KeyMaterialError(
            f"signing keys already exist in {keys_dir}", hint="use --force to replace them"
        )
    try:
        certs = x509.load_pem_x509_certificates(chain_path.read_bytes())
    except (OSError, ValueError) as e:
        raise KeyMaterialError(f"cannot read certificate chain {chain_path}: {e}") from e
    try:
        key = serialization.load_pem_private_key(key_path.read_bytes(), password=None)
    except (OSError, ValueError, TypeError) as e:
        raise KeyMaterialError(f"cannot read private key {key_path}: {e}") from e
    if not isinstance(key, ec.EllipticCurvePrivateKey | ed25519.Ed25519PrivateKey):
        raise KeyMaterialError("only ECDSA P-256 (ES256) and Ed25519 keys are supported")
    alg = _alg_of(key)
    leaf = certs[0]
    spki = (serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    if leaf.public_key().public_bytes(*spki) != key.public_key().public_bytes(*spki):
        raise KeyMaterialError(
            "the private key does not belong to the first certificate in the chain"
        )
    problems = check_signing_profile(leaf)
    if problems:
        raise KeyMaterialError("certificate not fit for C2PA signing: " + "; ".join(problems))
    # drop a self-signed root from the chain: validators want it as a trust anchor only
    chain = [c for c in certs if c.subject != c.issuer or c is leaf]
    chain_pem = b"".join(c.public_bytes(serialization.Encoding.PEM) for c in chain)
    keys_dir.mkdir(parents=True, exist_ok=True)
    os.chmod(keys_dir, 0o700)
    key_pem = _key_pem(key)
    _write_private(keys_dir / SIGN_KEY, key_pem)
    (keys_dir / SIGN_CHAIN).write_bytes(chain_pem)
    (keys_dir / SIGN_ALG).write_text(alg)
    (keys_dir / ROOT_CERT).unlink(missing_ok=True)
    (keys_dir / ROOT_KEY).unlink(missing_ok=True)
    return SigningMaterial(alg=alg, chain_pem=chain_pem, key_pem=key_pem, root_pem=None)


def load_signing_material(keys_dir: Path) -> SigningMaterial:
    chain = keys_dir / SIGN_CHAIN
    if not chain.exists():
        raise KeyMaterialError(
            f"no signing keys in {keys_dir}",
            hint="run `mediaproof keys init --org NAME` or `mediaproof keys import`",
        )
    alg_text = (
        (keys_dir / SIGN_ALG).read_text().strip() if (keys_dir / SIGN_ALG).exists() else "es256"
    )
    if alg_text not in ("es256", "ed25519"):
        raise KeyMaterialError(f"unknown signing algorithm {alg_text!r} in {keys_dir / SIGN_ALG}")
    root = keys_dir / ROOT_CERT
    return SigningMaterial(
        alg=alg_text,  # type: ignore[arg-type]
        chain_pem=chain.read_bytes(),
        key_pem=(keys_dir / SIGN_KEY).read_bytes(),
        root_pem=root.read_bytes() if root.exists() else None,
    )
