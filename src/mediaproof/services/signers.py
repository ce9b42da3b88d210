"""The signers this instance knows by name: its trust anchors' organisations, its own
signing certificate, and the signers of registered originals. An unverified signer
that claims one of these names is called out (``provenance.lookalike``)."""

from __future__ import annotations

from collections.abc import Callable

from cryptography import x509

from mediaproof.errors import MediaproofError
from mediaproof.provenance.c2pa_io import C2paEngine
from mediaproof.provenance.lookalike import KnownSigner, names_in_subject, names_of
from mediaproof.services.instance import Instance
from mediaproof.storage.sql.repos import AssetRepository

TRUSTED_ROOT = "the organisation of a root certificate this instance trusts"
OWN_SIGNER = "this instance's own signer"
REGISTERED_SIGNER = "the signer of originals registered here"


def known_signers(inst: Instance, engine: C2paEngine) -> Callable[[], list[KnownSigner]]:
    anchors: list[KnownSigner] = []
    if engine.trust_pem:
        for cert in x509.load_pem_x509_certificates(engine.trust_pem.encode()):
            # organisations only: a root's common name is often generic ("Root CA")
            for a in cert.subject.get_attributes_for_oid(x509.NameOID.ORGANIZATION_NAME):
                anchors.append(KnownSigner(str(a.value), TRUSTED_ROOT))

    def find() -> list[KnownSigner]:
        out = list(anchors)
        try:
            cert = inst.signing_material().certificate
        except (MediaproofError, OSError, ValueError):  # no keys yet, or unreadable
            cert = None
        if cert is not None:
            out += [KnownSigner(n, OWN_SIGNER) for n in names_of(cert)]
        with inst.db.session() as s:
            subjects = AssetRepository(s).signer_subjects()
        for subject in subjects:
            if subject:
                out += [KnownSigner(n, REGISTERED_SIGNER) for n in names_in_subject(subject)]
        return out

    return find
