"""Trust anchors: PEM roots the operator names. Nothing is fetched from the network."""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

from mediaproof.errors import ConfigError

# Extended key usages C2PA validators accept for claim signers (C2PA trust model).
C2PA_EKU_CONFIG = "\n".join(
    [
        "//id-kp-emailProtection",
        "1.3.6.1.5.5.7.3.4",
        "//id-kp-documentSigning",
        "1.3.6.1.5.5.7.3.36",
        "//id-kp-timeStamping",
        "1.3.6.1.5.5.7.3.8",
        "//id-kp-OCSPSigning",
        "1.3.6.1.5.5.7.3.9",
        "//MS C2PA Signing",
        "1.3.6.1.4.1.311.76.59.1.9",
        "//c2pa-kp-claimSigning",
        "1.3.6.1.4.1.62558.2.1",
    ]
)


def load_pem_bundle(path: Path) -> str:
    """Read a PEM file of one or more certificates; refuse anything else clearly."""
    try:
        data = path.read_bytes()
    except OSError as e:
        raise ConfigError(f"cannot read trust anchors {path}: {e.strerror}") from e
    if path.suffix == ".json" and b"trust_anchors" in data:
        # a c2pa settings file (e.g. the SDK's test trust config): take its anchors
        try:
            anchors = json.loads(data)["trust"]["trust_anchors"]
        except (ValueError, KeyError, TypeError) as e:
            raise ConfigError(f"{path} is JSON but has no trust.trust_anchors") from e
        data = str(anchors).encode()
    try:
        certs = x509.load_pem_x509_certificates(data)
    except ValueError as e:
        raise ConfigError(f"{path} holds no PEM certificates: {e}") from e
    return "".join(c.public_bytes(Encoding.PEM).decode() for c in certs)


def anchors_pem(paths: Iterable[Path], extra_pems: Iterable[bytes | str] = ()) -> str:
    parts = [load_pem_bundle(p) for p in paths]
    parts += [p.decode() if isinstance(p, bytes) else p for p in extra_pems]
    return "".join(parts)
