"""From evidence to an assessment.

Each rule looks at the evidence and may contribute a finding: a label candidate with a
rank, and reasons in plain words. The highest-ranked finding names the assessment; every
finding's reasons are kept. Absence of every signal gives "unknown", never "authentic".
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from mediaproof.analysis.evidence import Evidence, EvidenceStatus
from mediaproof.provenance import ai_declaration
from mediaproof.provenance.source_types import AiRole


class Label(StrEnum):
    ALTERED = "signed_but_altered"  # credentials present, content or claim changed
    INVALID = "invalid_credentials"  # credentials present but unreadable / malformed
    AI_DECLARED = "ai_generated_declared"
    AI_CONTENT_DECLARED = "contains_ai_content_declared"  # AI elements inside other content
    SIGNED_TRUSTED = "signed_and_intact"
    SIGNED_UNTRUSTED = "signed_by_unverified_signer"
    REGISTERED = "registered_original"
    COPY = "copy_of_registered_original"
    REMOTE_CREDENTIALS = "remote_credentials_not_fetched"  # a manifest URL, never fetched
    UNKNOWN = "unknown"
    # --- cautions (issue 14): found something that must not read as a confirmation ---
    CHANGED_COPY = "changed_copy_of_registered_original"  # same picture, regions edited
    MARK_UNCHECKED = "registered_mark_content_unchecked"  # our mark, content not checkable
    MARK_ON_OTHER_CONTENT = "registered_mark_on_other_content"  # our mark, other content
    SIGNER_LOOKALIKE = "unverified_signer_claims_known_name"  # untrusted cert, known name
    # --- only when the operator configures it (issue 21): a detector's opinion ---
    DETECTOR_CAUTION = "detector_opinion_caution"


HEADLINES: dict[Label, str] = {
    Label.ALTERED: "Signed, but altered after signing",
    Label.INVALID: "Content Credentials present but not valid",
    Label.AI_DECLARED: "AI-generated, by its own declaration",
    Label.AI_CONTENT_DECLARED: "Contains AI-generated content, by its own declaration",
    Label.SIGNED_TRUSTED: "Signed by a trusted signer and intact",
    Label.SIGNED_UNTRUSTED: "Signed, but the signer is not verified",
    Label.REGISTERED: "A registered original",
    Label.COPY: "A copy of a registered original",
    Label.REMOTE_CREDENTIALS: "Its Content Credentials are stored elsewhere and were not fetched",
    Label.UNKNOWN: "No provenance found: unknown",
    Label.CHANGED_COPY: "Warning: a changed copy of a registered original",
    Label.MARK_UNCHECKED: (
        "Caution: a registered watermark was found, but the content could not be checked"
    ),
    Label.MARK_ON_OTHER_CONTENT: (
        "Warning: a copied watermark; this is not the registered original's content"
    ),
    Label.SIGNER_LOOKALIKE: "Warning: claims a known signer's name, but is not verified",
    Label.DETECTOR_CAUTION: (
        "Caution: a detector's opinion is that this is consistent with AI generation "
        "(an opinion, not proof)"
    ),
}

# answers that report something found which must not be read as a confirmation: shown
# in a caution style on the page and in the CLI, and flagged ``caution`` in the JSON
CAUTION_LABELS = frozenset(
    {
        Label.SIGNED_UNTRUSTED,
        Label.CHANGED_COPY,
        Label.MARK_UNCHECKED,
        Label.MARK_ON_OTHER_CONTENT,
        Label.SIGNER_LOOKALIKE,
        Label.DETECTOR_CAUTION,
    }
)


@dataclass(frozen=True)
class Finding:
    label: Label
    rank: int  # higher wins
    reasons: tuple[str, ...]
    headline: str | None = None  # the label's headline made specific (who declared it)


@dataclass
class Assessment:
    label: Label
    headline: str
    reasons: list[str] = field(default_factory=list)
    # which checks ran on this file and which do not exist (``checks_run``)
    checks: list[dict[str, Any]] = field(default_factory=list)

    @property
    def caution(self) -> bool:
        return self.label in CAUTION_LABELS

    def as_dict(self) -> dict[str, Any]:
        return {
            "label": self.label.value,
            "headline": self.headline,
            "reasons": self.reasons,
            "caution": self.caution,
            "checks": self.checks,
        }


Rule = Callable[[Mapping[str, Evidence]], Finding | None]

_DATA_HASH_CODES = {
    "assertion.dataHash.mismatch",
    "assertion.bmffHash.mismatch",
    "assertion.boxesHash.mismatch",
    "assertion.collectionHash.mismatch",
}


def _found(ev: Mapping[str, Evidence], name: str) -> Evidence | None:
    e = ev.get(name)
    return e if e is not None and e.status is EvidenceStatus.FOUND else None


def rule_provenance(ev: Mapping[str, Evidence]) -> Finding | None:
    e = _found(ev, "provenance")
    if e is None:
        return None
    state = e.data.get("state")
    codes = set(e.data.get("codes") or [])
    if state == "invalid":
        if codes & _DATA_HASH_CODES:
            return Finding(
                Label.ALTERED,
                100,
                (
                    e.summary,
                    "The signature is intact but the content no longer matches what was signed.",
                ),
            )
        return Finding(Label.INVALID, 90, (e.summary,))
    if state == "trusted":
        return Finding(Label.SIGNED_TRUSTED, 50, (e.summary,))
    if state == "valid":
        if e.data.get("lookalike_signer"):
            return Finding(Label.SIGNER_LOOKALIKE, 95, (e.summary,))
        return Finding(Label.SIGNED_UNTRUSTED, 45, (e.summary,))
    return None


_MARK_NAMES = {
    "stable-diffusion-v1": "the Stable Diffusion 1/2 mark",
    "stable-diffusion-xl": "the SDXL mark",
}


def rule_ai_declared(ev: Mapping[str, Evidence]) -> Finding | None:
    """Generative AI declared by the file: intact credentials (any action, any ingredient
    depth), generator metadata, or a generator's invisible mark. "AI-generated" when the
    content as a whole is declared generated; "contains AI-generated content" when AI
    elements are declared inside other content. Outranks a trusted signature: a voter
    must read the AI declaration first, and the signature reasons follow."""
    reasons: list[str] = []
    role = AiRole.NONE
    headline: str | None = None
    prov = _found(ev, "provenance")
    if prov:
        prole = ai_declaration.role(prov.data)
        if prole is not AiRole.NONE:
            role = prole
            headline = ai_declaration.headline(prov.data)
            reasons += ai_declaration.sentences(prov.data)
    gen = _found(ev, "generator")
    if gen and gen.data.get("declares_ai"):
        reasons += list(gen.data.get("ai_reasons") or [gen.summary])
        if gen.data.get("ai_role") == AiRole.GENERATED.value:
            if role is not AiRole.GENERATED:
                headline = None  # the credentials' headline would say less than this
            role = AiRole.GENERATED
        elif role is AiRole.NONE:
            role = AiRole.CONTAINS
    wm = _found(ev, "watermark")
    if wm and wm.data.get("ai_generator_mark"):
        names = sorted(
            {
                _MARK_NAMES.get(str(m.get("name")), "a Stable Diffusion mark")
                for m in wm.data.get("ai_marks") or []
                if m.get("found")
            }
        )
        reasons.append(
            "It carries the invisible watermark that Stable Diffusion software adds to the "
            f"images it generates ({', '.join(names) or 'a generator mark'}); this is weak "
            "evidence, and most generators add no such mark."
        )
        if role is not AiRole.GENERATED:
            headline = None
        role = AiRole.GENERATED
    if not reasons:
        return None
    label = Label.AI_DECLARED if role is AiRole.GENERATED else Label.AI_CONTENT_DECLARED
    return Finding(label, 70, tuple(reasons), headline)


def rule_remote_credentials(ev: Mapping[str, Evidence]) -> Finding | None:
    """A file whose credentials are a remote reference: say where it says they are, and
    that they were not fetched (a URL inside a file is never fetched), instead of "no
    Content Credentials". Ranks below every positive signal."""
    e = ev.get("provenance")
    url = e.data.get("remote_url") if e is not None else None
    if e is None or e.data.get("state") != "absent" or not isinstance(url, str) or not url:
        return None
    return Finding(
        Label.REMOTE_CREDENTIALS,
        5,
        (
            e.summary,
            "Nothing was checked about where it came from: this is neither a sign that it "
            "is authentic nor that it is fake.",
        ),
        f"This file says its Content Credentials are stored at {url}; they were not fetched",
    )


def rule_registry(ev: Mapping[str, Evidence]) -> Finding | None:
    e = _found(ev, "registry")
    return Finding(Label.REGISTERED, 40, (e.summary,)) if e else None


def rule_match(ev: Mapping[str, Evidence]) -> Finding | None:
    e = _found(ev, "match")
    if e is None:
        return None
    if e.data.get("changed"):
        return Finding(Label.CHANGED_COPY, RANK_CHANGED_COPY, (e.summary,))
    return Finding(Label.COPY, 30, (e.summary, "A fingerprint match is a lead, not proof."))


# a changed copy outranks an unverified signer (45) but not a trusted one (50)
RANK_CHANGED_COPY = 48


def rule_watermark(ev: Mapping[str, Evidence]) -> Finding | None:
    e = _found(ev, "watermark")
    if e is None:
        return None
    mark = e.data.get("mark")
    if mark == "changed_copy":
        return Finding(Label.CHANGED_COPY, RANK_CHANGED_COPY, (e.summary,))
    if mark == "refused_unchecked":
        return Finding(Label.MARK_UNCHECKED, 33, (e.summary,))
    if mark == "refused_differs":
        return Finding(Label.MARK_ON_OTHER_CONTENT, 34, (e.summary,))
    if e.data.get("asset_id") is None:
        return None
    return Finding(Label.COPY, 35, (e.summary,))


def rule_likeness(ev: Mapping[str, Evidence]) -> Finding | None:
    e = _found(ev, "likeness")
    # likeness never sets the label: it only adds a reason to look
    return Finding(Label.UNKNOWN, 0, (e.summary,)) if e else None


DEFAULT_RULES: tuple[Rule, ...] = (
    rule_provenance,
    rule_ai_declared,
    rule_remote_credentials,
    rule_registry,
    rule_watermark,
    rule_match,
    rule_likeness,
)


# what does not exist, said next to the checks that ran, so that "unknown" is not read
# as "checked and clean"
NO_DETECTOR = {
    "audio": (
        "mediaproof has no AI-voice detector: a cloned or synthetic voice is not "
        "recognised by listening, only by the checks listed here."
    ),
    "video": (
        "mediaproof has no detector of AI-generated video or AI voices: only declarations, "
        "registrations, watermarks and fingerprints are checked."
    ),
    "image": (
        "No detector of AI-generated pictures ran on this file (this instance enables "
        "none): only declarations, registrations, watermarks and fingerprints were checked."
    ),
}


def _detector_ran(ev: Mapping[str, Evidence], media_kind: str | None) -> bool:
    """Whether a learned detector the operator enabled looked at this picture (or at
    this video's frames, or listened to this sound file): then the "no detector"
    sentence would be false (its opinion is listed as a check)."""
    d = ev.get("detector")
    if d is None:
        return False
    if media_kind == "video":  # a detector looked at the frames or listened, or failed
        return d.status is not EvidenceStatus.NOT_APPLICABLE or bool(d.data.get("detectors"))
    if media_kind == "audio":  # an audio detector answered, abstained or failed on it
        return bool(d.data.get("detectors")) or d.status is EvidenceStatus.ERROR
    return media_kind == "image"


def _check(name: str, ev: Evidence | None, note: str | None = None) -> dict[str, Any]:
    ran = ev is not None and ev.status in (EvidenceStatus.FOUND, EvidenceStatus.NOT_FOUND)
    result = ev.status.value if ev is not None else "not_run"
    if ev is not None and not ran and note is None:
        note = ev.summary
    return {"check": name, "ran": ran, "result": result, "note": note}


SOUNDTRACK_CHECK = "learned AI-voice detectors on the soundtrack (an opinion, not a verdict)"


def _video_detector_checks(d: Evidence) -> list[dict[str, Any]]:
    """On a video, the detectors that looked at its frames and those that listened to
    its soundtrack are separate checks (each ran, or not, on its own)."""
    entries = d.data.get("detectors") or []
    out: list[dict[str, Any]] = []
    for name, part in (
        ("learned detectors on sampled video frames (an opinion, not a verdict)",
         [e for e in entries if e.get("looked_at") != "soundtrack"]),
        (SOUNDTRACK_CHECK, [e for e in entries if e.get("looked_at") == "soundtrack"]),
    ):
        if not part:
            if name == SOUNDTRACK_CHECK:
                out.append({"check": "AI-voice detector", "ran": False,
                            "result": "does_not_exist", "note": NO_DETECTOR["audio"]})
            elif not entries:  # nothing answered at all (a load failure, a time-out)
                out.append(_check(name, d))
            else:  # only audio detectors are enabled
                out.append({"check": name, "ran": False, "result": "not_run",
                            "note": "no detector that looks at video frames is enabled"})
            continue
        ops = {e.get("opinion") for e in part}
        if ops & {"consistent", "not_consistent", "uncertain"}:
            out.append({"check": name, "ran": True, "result": "found", "note": None})
        else:
            status = "error" if "error" in ops else "not_applicable"
            note = " ".join(
                f"{e.get('id')}: {e.get('error') or e.get('abstain_reason')}" for e in part)
            out.append({"check": name, "ran": False, "result": status, "note": note})
    return out


def checks_run(ev: Mapping[str, Evidence], media_kind: str | None) -> list[dict[str, Any]]:
    """Which checks ran on this file, which did not (and why), and which do not exist."""
    out: list[dict[str, Any]] = [
        _check("Content Credentials (C2PA)", ev.get("provenance")),
        _check("registered originals (exact file)", ev.get("registry")),
    ]
    match = ev.get("match")
    signals = (match.data.get("signals") or {}) if match is not None else {}
    if media_kind in ("image", "video"):
        what = "picture fingerprint (PDQ)" if media_kind == "image" else "video fingerprint (vPDQ)"
        out.append(_check(f"{what} against registered originals", match))
    if media_kind in ("audio", "video"):
        c = _check("audio fingerprint (Chromaprint) against registered originals", match)
        if media_kind == "video" and "chromaprint" not in signals and c["ran"]:
            c.update(ran=False, result="not_run", note="no soundtrack was fingerprinted")
        out.append(c)
    wm = ev.get("watermark")
    if media_kind is not None and media_kind in NO_DETECTOR:
        what = {
            "image": "this instance's invisible watermark",
            "audio": "this instance's soundtrack watermark",
            "video": "this instance's video and soundtrack watermarks",
        }[media_kind]
        c = _check(what, wm)
        if wm is not None and wm.data.get("key_present") is False:
            c.update(ran=False, result="not_run", note="this instance has no watermark key")
        out.append(c)
        if media_kind == "image":
            c = _check("generator watermarks (Stable Diffusion)", wm)
            if wm is not None and wm.data.get("ai_marks_checked") is False:
                why = wm.data.get("ai_marks_skipped") or "the decoder is not installed"
                c.update(ran=False, result="not_run", note=why)
            out.append(c)
    out.append(_check("generator metadata declarations", ev.get("generator")))
    like = ev.get("likeness")
    out.append(
        _check("likeness of enrolled people", like)
        if like is not None
        else {
            "check": "likeness of enrolled people",
            "ran": False,
            "result": "not_run",
            "note": "not part of this verification",
        }
    )
    if media_kind == "video" and _detector_ran(ev, media_kind):
        out += _video_detector_checks(ev["detector"])
    elif _detector_ran(ev, media_kind):
        what = {
            "image": "learned AI-image detectors",
            "audio": "learned AI-voice detectors",
        }[media_kind or ""]
        out.append(_check(f"{what} (an opinion, not a verdict)", ev.get("detector")))
    elif media_kind in NO_DETECTOR:
        out.append(
            {
                "check": "AI detector" if media_kind != "audio" else "AI-voice detector",
                "ran": False,
                "result": "does_not_exist",
                "note": NO_DETECTOR[media_kind],
            }
        )
    return out


def _checks_sentences(
    checks: list[dict[str, Any]], media_kind: str | None, detector_ran: bool = False
) -> list[str]:
    ran = [c["check"] for c in checks if c["ran"] and c["result"] == "not_found"]
    skipped = [
        f"{c['check']} ({c['note']})" if c.get("note") else c["check"]
        for c in checks
        if not c["ran"] and c["result"] != "does_not_exist"
    ]
    out = []
    if ran:
        out.append("Checked, and nothing found: " + "; ".join(ran) + ".")
    if skipped:
        out.append("Not checked: " + "; ".join(skipped) + ".")
    if media_kind in NO_DETECTOR and not detector_ran:
        out.append(NO_DETECTOR[media_kind])
    elif media_kind == "video" and not any(c["check"] == SOUNDTRACK_CHECK for c in checks):
        out.append(NO_DETECTOR["audio"])  # a detector looked at frames; nothing listened
    return out


def assess(
    ev: Mapping[str, Evidence],
    rules: Sequence[Rule] = DEFAULT_RULES,
    *,
    media_kind: str | None = None,
) -> Assessment:
    """``media_kind`` (image, audio, video, document) lets the answer list the checks
    that ran and those that do not exist for that kind of media."""
    if not rules:
        raise ValueError("a policy needs at least one rule")  # an empty policy must not pass
    findings = [f for f in (r(ev) for r in rules) if f is not None]
    checks = checks_run(ev, media_kind)
    if not any(f.rank > 0 for f in findings):
        reasons = [
            "No Content Credentials, registered original, watermark or generator "
            "declaration was found.",
            "That does not make the file authentic or fake: it means nothing is known "
            "about where it came from.",
        ]
        errors = [e.summary for e in ev.values() if e.status is EvidenceStatus.ERROR]
        reasons += [f"A check could not finish: {s}" for s in errors]
        reasons += [r for f in findings for r in f.reasons]
        reasons += _checks_sentences(checks, media_kind, _detector_ran(ev, media_kind))
        return Assessment(Label.UNKNOWN, HEADLINES[Label.UNKNOWN], reasons, checks)
    findings.sort(key=lambda f: f.rank, reverse=True)
    top = findings[0]
    merged: list[str] = []
    for f in findings:
        for r in f.reasons:
            if r not in merged:
                merged.append(r)
    return Assessment(top.label, top.headline or HEADLINES[top.label], merged, checks)
