"""Provenance: the file's C2PA Content Credentials, validated offline."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from mediaproof.analysis.evidence import AnalysisContext, Evidence, EvidenceStatus
from mediaproof.errors import MalformedMediaError
from mediaproof.provenance import ai_declaration
from mediaproof.provenance.c2pa_io import C2paEngine, ProvenanceState
from mediaproof.provenance.lookalike import KnownSigner, find_lookalike

LIMITS = (
    "Credentials say who signed a file and what they declared about it; they do not say "
    "whether the content is true. Missing credentials mean unknown, not fake: most "
    "platforms strip them on upload."
)


class ProvenanceAnalyzer:
    name = "provenance"

    def __init__(
        self, engine: C2paEngine, known_signers: Callable[[], list[KnownSigner]] | None = None
    ) -> None:
        """``known_signers``: the names an unverified signer must not pass for
        (``services.signers``); without it, only the "not verified" wording applies."""
        self.engine = engine
        self.known_signers = known_signers or (lambda: [])

    def analyze(self, ctx: AnalysisContext) -> Evidence:
        report = self.engine.read(ctx.path, ctx.media.mime)
        if report.error and "could not be parsed" in report.error:
            raise MalformedMediaError(
                f"the file is malformed: {report.error.split(':', 1)[-1].strip()}"
            )
        data = report.as_dict()
        ctx.cache["provenance_report"] = report
        state = report.state
        signer = (report.signer or {}).get("common_name") or "an unknown signer"
        if state is ProvenanceState.ABSENT:
            summary = "No Content Credentials were found in this file."
            if report.remote_url:
                summary = (
                    "This file says its Content Credentials are stored at "
                    f"{report.remote_url}; they were not fetched (mediaproof never fetches "
                    "URLs named inside files), so they were not checked."
                )
            return Evidence(self.name, EvidenceStatus.NOT_FOUND, summary, data, LIMITS)
        if state is ProvenanceState.INVALID:
            failures = [c for c in report.codes if c.kind == "failure" and c.scope == "active"]
            why = failures[0].explanation if failures else "they did not validate"
            summary = f"The file carries Content Credentials that are not valid: {why}."
        elif state is ProvenanceState.TRUSTED:
            summary = f"Valid Content Credentials signed by {signer}, a trusted signer."
        else:
            summary = self._unverified(report.signer or {}, data)
        # the AI steps of the active manifest and its ingredient chain; the assessment
        # lists each step with who declared it
        ai = ai_declaration.summary(data)
        if ai:
            summary += " " + ai
        elif state is not ProvenanceState.INVALID and report.digital_source_type:
            # a declared source without AI, in words ("a screenshot", "not generative AI")
            wording = data.get("digital_source_type_wording") or "an unrecognised source type"
            summary += f" They declare it {wording}."
        return Evidence(self.name, EvidenceStatus.FOUND, summary, data, LIMITS)

    def _unverified(self, signer: dict[str, Any], data: dict[str, Any]) -> str:
        """Untrusted signer: the name is the certificate's own claim. Say so, and warn
        when it is a name this instance knows (a trusted root's organisation, its own
        signer, a registered original's signer)."""
        cn = signer.get("common_name")
        org = signer.get("issuer")  # c2pa reports the signing certificate's O here
        claimed = cn or org or "an unnamed signer"
        also = f" of “{org}”" if org and cn and org not in cn else ""
        data["signer_verified"] = False
        try:
            known = self.known_signers()
        except Exception as e:  # the "not verified" answer stands without the comparison
            known = []
            data["lookalike_check_error"] = f"known signers unavailable ({type(e).__name__})"
        look = find_lookalike({"common_name": cn, "organization": org}, known)
        if look is not None:
            data["lookalike_signer"] = look
            relation = "is the same as" if look["relation"] == "same" else "contains"
            return (
                f"Claims to be signed by “{claimed}”{also} (not verified). That name "
                f"{relation} “{look['known_name']}”, {look['known_as']}, but this "
                "certificate does not lead to a root this instance trusts: anyone can "
                "put that name in a certificate, so this may be an impersonation. The "
                "content is unchanged since this signature was made."
            )
        return (
            f"Claims to be signed by “{claimed}”{also} (not verified): the certificate "
            "does not lead to a root this instance trusts, so the name is the signer's "
            "own claim. The content is unchanged since this signature was made."
        )
