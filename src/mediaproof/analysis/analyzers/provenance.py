"""Provenance: the file's C2PA Content Credentials, validated offline."""

from __future__ import annotations

from mediaproof.analysis.evidence import AnalysisContext, Evidence, EvidenceStatus
from mediaproof.errors import MalformedMediaError
from mediaproof.provenance import ai_declaration
from mediaproof.provenance.c2pa_io import C2paEngine, ProvenanceState

LIMITS = (
    "Credentials say who signed a file and what they declared about it; they do not say "
    "whether the content is true. Missing credentials mean unknown, not fake: most "
    "platforms strip them on upload."
)


class ProvenanceAnalyzer:
    name = "provenance"

    def __init__(self, engine: C2paEngine) -> None:
        self.engine = engine

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
            summary = (
                f"Valid Content Credentials signed by {signer}; this signer is not on the "
                "trust list, so who made them is not vouched for."
            )
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
