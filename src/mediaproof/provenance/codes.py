"""C2PA validation status codes, each with a short explanation a person can follow.

Codes not listed here are still reported, with a generic explanation derived from their
family (the part before the first dot).
"""

from __future__ import annotations

EXPLANATIONS: dict[str, str] = {
    # success / informational
    "claimSignature.validated": "the signature over the credentials checks out",
    "claimSignature.insideValidity": "the signer's certificate was valid when it signed",
    "signingCredential.trusted": "the signer's certificate chains to a trusted root",
    "signingCredential.untrusted": (
        "the signer is not on this verifier's trust list: the credentials are intact, "
        "but who made them is not vouched for"
    ),
    "signingCredential.invalid": "the signer's certificate is not valid for signing credentials",
    "signingCredential.revoked": "the signer's certificate has been revoked",
    "signingCredential.expired": "the signer's certificate had expired when it was checked",
    "signingCredential.ocsp.skipped": "certificate revocation was not checked (offline)",
    "signingCredential.ocsp.inaccessible": "certificate revocation could not be checked",
    "timeStamp.validated": "a trusted time-stamp confirms when it was signed",
    "timeStamp.trusted": "the time-stamp authority is trusted",
    "timeStamp.untrusted": "the time-stamp authority is not trusted",
    "timeStamp.mismatch": "the time-stamp does not match the signature",
    "timeStamp.malformed": "the time-stamp could not be read",
    "timeStamp.outsideValidity": "the time-stamp is outside the certificate's validity",
    "assertion.hashedURI.match": "a part of the credentials matches its recorded hash",
    "assertion.hashedURI.mismatch": (
        "a part of the credentials was altered after signing (an assertion's hash differs)"
    ),
    "assertion.dataHash.match": "the content is exactly what was signed",
    "assertion.dataHash.mismatch": "the content changed after signing",
    "assertion.bmffHash.match": "the media content is exactly what was signed",
    "assertion.bmffHash.mismatch": "the media content changed after signing",
    "assertion.boxesHash.match": "the content is exactly what was signed",
    "assertion.boxesHash.mismatch": "the content changed after signing",
    "assertion.collectionHash.mismatch": "a file in the signed collection changed",
    "assertion.missing": "the credentials refer to a part that is missing",
    "assertion.required.missing": "a part the credentials must contain is missing",
    "assertion.multipleHardBindings": "the credentials bind the content more than once",
    "assertion.undeclared": "the credentials contain a part the signature does not cover",
    "assertion.inaccessible": "a part of the credentials could not be read",
    "assertion.notRedacted": "a part that was to be redacted is still present",
    "assertion.selfRedacted": "the credentials tried to redact themselves",
    "assertion.action.ingredientMismatch": "an edit refers to an ingredient that does not match",
    "assertion.action.malformed": "an edit record in the credentials is malformed",
    "assertion.action.redacted": "an edit record was redacted",
    "assertion.cbor.invalid": "a part of the credentials is not valid CBOR",
    "assertion.json.invalid": "a part of the credentials is not valid JSON",
    "assertion.outsideManifest": "the credentials point outside themselves",
    "claim.missing": "the credentials refer to a claim that is missing",
    "claim.multiple": "there is more than one claim where one is allowed",
    "claim.hardBindings.missing": "the credentials do not bind to the content at all",
    "claim.malformed": "the credentials' claim is malformed",
    "claim.required.missing": "the claim lacks a required field",
    "claimSignature.missing": "the credentials are not signed",
    "claimSignature.mismatch": "the signature does not match the credentials: they were altered",
    "claimSignature.outsideValidity": "the certificate was not valid when it signed",
    "manifest.inaccessible": "the credentials are stored elsewhere and could not be read",
    "manifest.multipleParents": "the credentials name more than one parent",
    "manifest.update.invalid": "an update to the credentials is not valid",
    "manifest.update.wrongParents": "an update to the credentials has the wrong parent",
    "manifest.remote.notFetched": (
        "the file points to credentials stored on a remote server; mediaproof does not "
        "fetch URLs named inside files"
    ),
    "manifest.unreadable": "credentials are present but could not be read",
    "manifest.unsupported": "this file format's credentials cannot be read here",
    "ingredient.manifest.missing": "an ingredient's credentials are missing",
    "ingredient.manifest.mismatch": "an ingredient's credentials do not match",
    "ingredient.hashedURI.mismatch": "an ingredient was altered",
    "ingredient.claimSignature.mismatch": "an ingredient's signature does not match",
    "algorithm.unsupported": "the credentials use an unsupported algorithm",
    "algorithm.deprecated": "the credentials use a deprecated algorithm",
    "general.error": "the credentials could not be validated",
    "status.prerelease": "the credentials use a pre-1.0 draft format",
}

_FAMILY: dict[str, str] = {
    "cawg": "an identity assertion (CAWG) did not validate",
    "assertion": "a part of the credentials did not validate",
    "claim": "the credentials' claim did not validate",
    "signingCredential": "the signer's certificate did not validate",
    "timeStamp": "the time-stamp did not validate",
    "ingredient": "an ingredient's credentials did not validate",
    "manifest": "the credentials did not validate",
}

# Codes that reflect on who signed rather than on integrity: untrusted still means intact.
TRUST_CODES = frozenset({"signingCredential.untrusted"})
INFORMATIONAL = frozenset(
    {
        "signingCredential.ocsp.skipped",
        "signingCredential.ocsp.inaccessible",
        "timeStamp.malformed",
        "timeStamp.untrusted",
    }
)


def explain(code: str) -> str:
    if code in EXPLANATIONS:
        return EXPLANATIONS[code]
    family = code.split(".", 1)[0]
    return _FAMILY.get(family, "see the C2PA specification for this status code")
