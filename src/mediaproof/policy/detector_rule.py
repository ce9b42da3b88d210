"""The one way a detector's score can change verify's answer: a rule the operator
configures (``MEDIAPROOF_DETECTORS_CAUTION_AT_LEAST``, per detector id), off by default.

With it, a score at or above the operator's threshold makes the answer a *caution*
(:attr:`Label.DETECTOR_CAUTION`), worded as that detector's opinion with its measured
accuracy; it ranks below every provenance, registry, watermark and fingerprint finding,
so any of those still decides the answer. It never labels a file AI-generated, and
nothing is removed or blocked because of it. Without the setting no score acts at all
(issue 21: "the policy never labels or acts on a detector score alone unless the operator
configures a rule that says so").
"""

from __future__ import annotations

from collections.abc import Mapping

from mediaproof.analysis.evidence import Evidence
from mediaproof.policy.assessment import DEFAULT_RULES, Finding, Label, Rule

RANK = 20  # above "unknown" (0), below every finding about provenance (30 and up)


def detector_caution_rule(thresholds: Mapping[str, float]) -> Rule:
    """A policy rule: the first configured detector whose score reaches its threshold."""
    limits = dict(thresholds)

    def rule(ev: Mapping[str, Evidence]) -> Finding | None:
        d = ev.get("detector")
        if d is None:
            return None
        for entry in d.data.get("detectors") or []:
            det_id, p = entry.get("id"), entry.get("probability")
            if det_id not in limits or not isinstance(p, float | int) or p < limits[det_id]:
                continue
            reasons = [
                f"This instance's operator chose to show a caution when the detector "
                f"{det_id} scores {limits[det_id]:.2f} or more; it scored {p:.2f} here. "
                "That is the detector's opinion, not proof: detectors have called real "
                "footage fake, and nothing else checked here says where this file came from.",
            ]
            if entry.get("accuracy_text"):
                reasons.append(str(entry["accuracy_text"]))
            why = entry.get("not_validated_because") or []
            if why:
                reasons.append("Not validated for this kind of file: " + "; ".join(why) + ".")
            return Finding(Label.DETECTOR_CAUTION, RANK, tuple(reasons))
        return None

    return rule


def rules_for(thresholds: Mapping[str, float]) -> tuple[Rule, ...]:
    """The verify policy: the default rules, plus the detector caution only when the
    operator configured thresholds."""
    if not thresholds:
        return DEFAULT_RULES
    return (*DEFAULT_RULES, detector_caution_rule(thresholds))
