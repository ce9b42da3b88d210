"""Threshold rules on synthetic vectors (no models): floor, margin, midpoint, ceiling."""

from __future__ import annotations

import numpy as np

from mediaproof.likeness.calibration import CalibrationPolicy, calibrate
from mediaproof.likeness.models import Modality, Vector, normalise

POLICY = CalibrationPolicy(floor=0.5, ceiling=0.95, margin=0.05)


def at_cos(base: Vector, other: Vector, c: float) -> Vector:
    """A unit vector at cosine ``c`` from ``base`` (``other`` gives the direction)."""
    o = normalise(other - (other @ base) * base)
    return normalise(c * base + np.sqrt(1 - c * c) * o)


def vecs() -> tuple[Vector, list[Vector]]:
    rng = np.random.default_rng(0)
    return normalise(rng.normal(size=32)), [normalise(rng.normal(size=32)) for _ in range(4)]


def test_no_impostors_means_the_floor() -> None:
    base, _ = vecs()
    th = calibrate(Modality.FACE, [base], [], POLICY)
    assert th.value == 0.5 and th.method.startswith("floor") and th.impostors == 0


def test_impostor_plus_margin_with_a_single_sample() -> None:
    base, r = vecs()
    th = calibrate(Modality.FACE, [base], [at_cos(base, r[0], 0.7)], POLICY)
    assert th.method == "impostor_max+margin"
    assert abs(th.value - 0.75) < 1e-4 and th.genuine_min is None


def test_midpoint_when_own_samples_are_well_apart_from_others() -> None:
    base, r = vecs()
    own = [at_cos(base, r[0], 0.99), at_cos(base, r[1], 0.99)]
    th = calibrate(Modality.FACE, own, [at_cos(base, r[2], 0.6)], POLICY)
    assert th.method.startswith("midpoint")
    assert th.genuine_min is not None and th.impostor_max is not None
    assert abs(th.value - (th.genuine_min + th.impostor_max) / 2) < 1e-6
    assert th.impostor_max + 0.05 < th.value < th.genuine_min


def test_ceiling_when_someone_else_scores_close() -> None:
    base, r = vecs()
    th = calibrate(Modality.FACE, [base], [at_cos(base, r[0], 0.97)], POLICY)
    assert th.value == 0.95 and th.method.startswith("ceiling")
