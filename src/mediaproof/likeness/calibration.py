"""Per-person thresholds from the person's own samples and from other people.

For each person and modality:
- impostor scores: their template against every vector of someone else (other enrolled
  people and the instance's impostor-reference set);
- genuine scores: each of their samples against the template of their other samples
  (leave-one-out; needs two samples or more).
The threshold sits halfway between the highest impostor score and the lowest genuine
score when they are well apart, and at least a margin above the highest impostor score
in any case; never under the modality's floor (a similarity at which unrelated people
already look alike) and never over its ceiling (so a person with a look-alike in the
reference set can still be found). When their own samples fall under it,
``genuine_min`` shows it and enrolment reports a warning.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mediaproof.likeness.models import Modality, Threshold, Vector, template


@dataclass(frozen=True)
class CalibrationPolicy:
    floor: float
    ceiling: float
    margin: float


# Cosine similarity of normalised vectors, measured on the likeness corpus (bench/):
# faces of different people reach 0.89 against a template, the same person >= 0.96;
# LibriSpeech clips of different speakers reach 0.74, the same speaker >= 0.92.
POLICIES: dict[Modality, CalibrationPolicy] = {
    Modality.FACE: CalibrationPolicy(floor=0.90, ceiling=0.94, margin=0.03),
    Modality.VOICE: CalibrationPolicy(floor=0.80, ceiling=0.88, margin=0.03),
}


def calibrate(
    modality: Modality,
    own: list[Vector],
    others: list[Vector],
    policy: CalibrationPolicy | None = None,
) -> Threshold:
    p = policy or POLICIES[modality]
    tpl = template(own)
    genuine_min = None
    if len(own) >= 2:
        loo = [float(v @ template(own[:i] + own[i + 1 :])) for i, v in enumerate(own)]
        genuine_min = min(loo)
    if not others:
        return Threshold(p.floor, "floor (no impostor reference yet)", genuine_min, None, 0)
    imp = np.stack(others) @ tpl
    imp_max = float(imp.max())
    raw, method = imp_max + p.margin, "impostor_max+margin"
    if genuine_min is not None and (genuine_min + imp_max) / 2 > raw:
        raw, method = (genuine_min + imp_max) / 2, "midpoint(impostor_max, genuine_min)"
    if raw <= p.floor:
        value, method = p.floor, "floor"
    elif raw >= p.ceiling:
        value, method = p.ceiling, "ceiling (someone else scores close)"
    else:
        value = raw
    return Threshold(value, method, genuine_min, imp_max, len(others))
