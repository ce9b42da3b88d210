"""The only ways a detector's score acts: rules the operator configures, per detector
id, off by default.

* ``MEDIAPROOF_DETECTORS_CAUTION_AT_LEAST``: verify's answer becomes a caution.
* ``MEDIAPROOF_DETECTORS_REVIEW_CASE_AT_LEAST``: an upload checked through
  ``services.cases.detector_review`` opens a review case (an automated notice, for a
  person to decide; never a decision, a removal or a label by itself).

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
from dataclasses import dataclass
from typing import Any

from mediaproof.analysis.evidence import Evidence
from mediaproof.policy.assessment import DEFAULT_RULES, Finding, Label, Rule

RANK = 20  # above "unknown" (0), below every finding about provenance (30 and up)


@dataclass(frozen=True)
class Reached:
    """A detector whose score reached the operator's threshold for it."""

    detector_id: str
    probability: float
    threshold: float
    entry: Mapping[str, Any]  # the detector's entry in the evidence (card, accuracy, flags)

    def context(self) -> list[str]:
        """The detector's measured accuracy and its not-validated flag, as sentences."""
        out = []
        if self.entry.get("accuracy_text"):
            out.append(str(self.entry["accuracy_text"]))
        why = self.entry.get("not_validated_because") or []
        if why:
            out.append("Not validated for this kind of file: " + "; ".join(why) + ".")
        return out


def reaching(ev: Mapping[str, Evidence], thresholds: Mapping[str, float]) -> Reached | None:
    """The first detector named in ``thresholds`` whose score is at or above its
    threshold; None when there are no thresholds, no scores, or none reaches."""
    d = ev.get("detector")
    if d is None or not thresholds:
        return None
    for entry in d.data.get("detectors") or []:
        det_id, p = entry.get("id"), entry.get("probability")
        if not isinstance(det_id, str) or det_id not in thresholds:
            continue
        if isinstance(p, float | int) and not isinstance(p, bool) and p >= thresholds[det_id]:
            return Reached(det_id, float(p), float(thresholds[det_id]), entry)
    return None


def detector_caution_rule(thresholds: Mapping[str, float]) -> Rule:
    """A policy rule: the first configured detector whose score reaches its threshold."""
    limits = dict(thresholds)

    def rule(ev: Mapping[str, Evidence]) -> Finding | None:
        r = reaching(ev, limits)
        if r is None:
            return None
        reasons = [
            f"This instance's operator chose to show a caution when the detector "
            f"{r.detector_id} scores {r.threshold:.2f} or more; it scored "
            f"{r.probability:.2f} here. That is the detector's opinion, not proof: detectors "
            "have called real footage fake, and nothing else checked here says where this "
            "file came from.",
            *r.context(),
        ]
        return Finding(Label.DETECTOR_CAUTION, RANK, tuple(reasons))

    return rule


def rules_for(thresholds: Mapping[str, float]) -> tuple[Rule, ...]:
    """The verify policy: the default rules, plus the detector caution only when the
    operator configured thresholds."""
    if not thresholds:
        return DEFAULT_RULES
    return (*DEFAULT_RULES, detector_caution_rule(thresholds))
