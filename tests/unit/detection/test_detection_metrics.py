"""The harness's statistics against hand-worked cases and scipy's exact binomial test."""

from __future__ import annotations

import pytest
from scipy.stats import binomtest

from mediaproof.detection.metrics import (
    bootstrap_auc_ci,
    clopper_pearson,
    expected_calibration_error,
    roc_auc,
    tpr_at_fpr,
)


def test_auc_hand_worked() -> None:
    # pairs (pos, neg): 0.9>0.5, 0.9>0.1, 0.4<0.5, 0.4>0.1 -> 3 of 4
    assert roc_auc([1, 1, 0, 0], [0.9, 0.4, 0.5, 0.1]) == pytest.approx(0.75)
    assert roc_auc([1, 0], [0.9, 0.1]) == 1.0
    assert roc_auc([1, 0], [0.1, 0.9]) == 0.0
    assert roc_auc([1, 1, 0, 0], [0.5] * 4) == 0.5  # ties count half
    assert roc_auc([1, 1], [0.2, 0.3]) is None


@pytest.mark.parametrize(("k", "n"), [(0, 10), (3, 40), (10, 10), (1, 1), (17, 300)])
def test_clopper_pearson_matches_scipy(k: int, n: int) -> None:
    lo, hi = clopper_pearson(k, n) or (None, None)
    ref = binomtest(k, n).proportion_ci(confidence_level=0.95, method="exact")
    assert lo == pytest.approx(ref.low, abs=1e-9) and hi == pytest.approx(ref.high, abs=1e-9)
    assert clopper_pearson(0, 0) is None


def test_bootstrap_interval_brackets_the_auc_and_needs_enough_files() -> None:
    y = [1] * 20 + [0] * 20
    s = [0.6 + i / 100 for i in range(20)] + [0.3 + i / 50 for i in range(20)]
    ci = bootstrap_auc_ci(y, s, n=300)
    auc = roc_auc(y, s)
    assert ci is not None and auc is not None and ci[0] <= auc <= ci[1] and ci[1] - ci[0] > 0
    assert bootstrap_auc_ci([1, 1, 0, 0, 0, 0, 0], [0.9, 0.8, 0.1, 0.2, 0.3, 0.4, 0.5]) is None


def test_tpr_at_fpr_admits_at_most_the_allowed_false_positives() -> None:
    neg = [i / 100 for i in range(100)]  # 0.00 .. 0.99
    pos = [0.985, 0.995, 0.5, 0.97]
    y = [1] * len(pos) + [0] * len(neg)
    r = tpr_at_fpr(y, pos + neg, 0.01)  # one false positive allowed: threshold 0.98
    assert r["threshold"] == pytest.approx(0.98)
    assert r["fpr"]["k"] == 1 and r["tpr"]["k"] == 2
    r3 = tpr_at_fpr(y, pos + neg, 0.03)  # three allowed: threshold 0.96
    assert r3["fpr"]["k"] == 3 and r3["tpr"]["k"] == 3
    small = tpr_at_fpr([1, 0, 0], [0.9, 0.8, 0.1], 0.01)
    assert small["fpr"]["k"] == 0 and "cannot be resolved" in small["note"]


def test_calibration_error() -> None:
    assert expected_calibration_error([1, 0], [1.0, 0.0]) == 0.0
    assert expected_calibration_error([0, 0], [0.95, 0.95]) == pytest.approx(0.95)
    assert expected_calibration_error([], []) is None
