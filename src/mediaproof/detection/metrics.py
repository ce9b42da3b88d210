"""Accuracy statistics for the harness, each with its uncertainty.

Small sets are the norm here, so every rate comes with an interval, and a statistic that
the data cannot support (too few files of a class) is ``None`` with a reason, not a number.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.stats import beta, rankdata

MIN_PER_CLASS = 5  # below this an AUC is not reported


def roc_auc(labels: Sequence[int], scores: Sequence[float]) -> float | None:
    """Area under the ROC curve (Mann-Whitney U; ties count half). None if a class is
    empty."""
    y = np.asarray(labels, dtype=np.int8)
    s = np.asarray(scores, dtype=np.float64)
    n_pos = int(y.sum())
    n_neg = int(y.size - n_pos)
    if n_pos == 0 or n_neg == 0:
        return None
    ranks = rankdata(s)
    u = float(ranks[y == 1].sum()) - n_pos * (n_pos + 1) / 2.0
    return u / (n_pos * n_neg)


def bootstrap_auc_ci(
    labels: Sequence[int], scores: Sequence[float], *, n: int = 1000, seed: int = 0
) -> tuple[float, float] | None:
    """95 % percentile interval of the AUC, resampling each class separately."""
    y = np.asarray(labels, dtype=np.int8)
    s = np.asarray(scores, dtype=np.float64)
    pos, neg = s[y == 1], s[y == 0]
    if pos.size < MIN_PER_CLASS or neg.size < MIN_PER_CLASS:
        return None
    rng = np.random.default_rng(seed)
    aucs = np.empty(n)
    lab = np.concatenate([np.ones(pos.size, np.int8), np.zeros(neg.size, np.int8)])
    for i in range(n):
        bs = np.concatenate([rng.choice(pos, pos.size), rng.choice(neg, neg.size)])
        aucs[i] = roc_auc(lab.tolist(), bs.tolist()) or 0.0
    lo, hi = np.percentile(aucs, [2.5, 97.5])
    return float(lo), float(hi)


def clopper_pearson(k: int, n: int, level: float = 0.95) -> tuple[float, float] | None:
    """Exact binomial interval for k successes in n trials."""
    if n <= 0:
        return None
    a = (1.0 - level) / 2.0
    lo = 0.0 if k == 0 else float(beta.ppf(a, k, n - k + 1))
    hi = 1.0 if k == n else float(beta.ppf(1.0 - a, k + 1, n - k))
    return lo, hi


@dataclass(frozen=True)
class Rate:
    k: int
    n: int

    @property
    def value(self) -> float | None:
        return self.k / self.n if self.n else None

    def as_dict(self) -> dict[str, Any]:
        ci = clopper_pearson(self.k, self.n)
        return {"k": self.k, "n": self.n, "rate": self.value, "ci95": ci}


def tpr_at_fpr(labels: Sequence[int], scores: Sequence[float], fpr: float) -> dict[str, Any]:
    """The share of AI files caught at the strictest threshold whose false-positive rate on
    these real files is at most ``fpr`` (a file is flagged when its score is above it)."""
    y = np.asarray(labels, dtype=np.int8)
    s = np.asarray(scores, dtype=np.float64)
    pos, neg = s[y == 1], np.sort(s[y == 0])[::-1]
    if pos.size == 0 or neg.size == 0:
        return {"target_fpr": fpr, "threshold": None, "tpr": None, "fpr": None,
                "note": "needs both AI and real files"}
    allowed = math.floor(fpr * neg.size)  # how many real files may be above the threshold
    threshold = float(neg[allowed]) if allowed < neg.size else float(neg[-1]) - 1e-12
    tp = int((pos > threshold).sum())
    fp = int((neg > threshold).sum())
    out: dict[str, Any] = {
        "target_fpr": fpr,
        "threshold": threshold,
        "tpr": Rate(tp, int(pos.size)).as_dict(),
        "fpr": Rate(fp, int(neg.size)).as_dict(),
    }
    if neg.size < math.ceil(1.0 / fpr):
        out["note"] = (
            f"only {neg.size} real files: a {fpr:.0%} false-positive rate cannot be "
            "resolved, so the threshold admits no false positive at all"
        )
    return out


def expected_calibration_error(
    labels: Sequence[int], probs: Sequence[float], bins: int = 10
) -> float | None:
    """Weighted mean gap between predicted probability and observed AI share, per bin."""
    y = np.asarray(labels, dtype=np.float64)
    p = np.asarray(probs, dtype=np.float64)
    if p.size == 0:
        return None
    idx = np.minimum((p * bins).astype(int), bins - 1)
    ece = 0.0
    for b in range(bins):
        m = idx == b
        if m.any():
            ece += float(m.sum()) / p.size * abs(float(p[m].mean()) - float(y[m].mean()))
    return ece
