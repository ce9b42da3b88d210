"""Measuring screening on a labelled prompt set: recall and false-positive rate per slice
with Clopper-Pearson intervals (used by bench/bench_screening.py and the CI floor test)."""

from __future__ import annotations

import json
import time
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path
from typing import Any

from scipy.stats import beta

from mediaproof.screening.engine import BLOCK, REVIEW, Screener
from mediaproof.screening.people import Person

REDTEAM = Path(str(files("mediaproof.screening") / "redteam"))
SPLITS = ("dev", "heldout", "para")  # held to floors in CI
# measured and reported, never tuned on (see bench/screening_redteam.py)
REPORT_ONLY = ("blind", "para_blind", "eu_blind", "world_blind")


def load_set(split: str, root: Path = REDTEAM) -> list[dict[str, Any]]:
    with (root / f"{split}.jsonl").open(encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def load_officials(split: str, root: Path = REDTEAM) -> list[Person]:
    data = json.loads((root / "officials.json").read_text(encoding="utf-8"))
    return [
        Person(f"official:{split}:{i}", o["name"], tuple(o.get("aliases", ())), o.get("role", ""))
        for i, o in enumerate(data[split])
    ]


def clopper_pearson(k: int, n: int, alpha: float = 0.05) -> tuple[float, float]:
    if n == 0:
        return (0.0, 1.0)
    lo = 0.0 if k == 0 else float(beta.ppf(alpha / 2, k, n - k + 1))
    hi = 1.0 if k == n else float(beta.ppf(1 - alpha / 2, k + 1, n - k))
    return (lo, hi)


@dataclass(frozen=True)
class Rate:
    k: int
    n: int

    @property
    def rate(self) -> float:
        return self.k / self.n if self.n else 0.0

    def to_json(self) -> dict[str, Any]:
        lo, hi = clopper_pearson(self.k, self.n)
        return {"k": self.k, "n": self.n, "rate": round(self.rate, 4),
                "ci95": [round(lo, 4), round(hi, 4)]}


SLICINGS: dict[str, tuple[str, ...]] = {
    "evasion": ("evasion",),
    "language": ("language",),
    "scenario": ("scenario",),
    "evasion_x_language": ("evasion", "language"),
    "evasion_x_language_x_scenario": ("evasion", "language", "scenario"),
}


def evaluate(screener: Screener, rows: list[dict[str, Any]], batch: int = 64) -> dict[str, Any]:
    t0 = time.perf_counter()
    decisions = []
    for i in range(0, len(rows), batch):
        decisions += screener.screen_many([r["text"] for r in rows[i : i + batch]])
    elapsed = time.perf_counter() - t0
    deceptive = [(r, d) for r, d in zip(rows, decisions, strict=True) if r["kind"] == "deceptive"]
    negatives = [(r, d) for r, d in zip(rows, decisions, strict=True) if r["kind"] != "deceptive"]

    def caught(d: Any) -> bool:
        return d.decision in (BLOCK, REVIEW)

    slices: dict[str, dict[str, Any]] = {}
    for name, keys in SLICINGS.items():
        groups: dict[str, list[bool]] = defaultdict(list)
        for r, d in deceptive:
            groups[" x ".join(str(r[k]) for k in keys)].append(caught(d))
        slices[name] = {g: Rate(sum(v), len(v)).to_json() for g, v in sorted(groups.items())}
    neg_groups: dict[str, list[bool]] = defaultdict(list)
    for r, d in negatives:
        neg_groups[f"{r['scenario']} x {r['language']}"].append(d.decision == BLOCK)
    misses = [
        {"text": r["text"], "decision": d.decision, "evasion": r["evasion"],
         "language": r["language"], "scenario": r["scenario"]}
        for r, d in deceptive if not caught(d)
    ]
    false_blocks = [
        {"text": r["text"], "scenario": r["scenario"], "language": r["language"],
         "reasons": [x.rule for x in d.reasons]}
        for r, d in negatives if d.decision == BLOCK
    ]
    return {
        "prompts": len(rows),
        "seconds": round(elapsed, 3),
        "prompts_per_s": round(len(rows) / elapsed, 1) if elapsed else None,
        "embeddings": screener.embedder is not None,
        "recall": Rate(sum(caught(d) for _, d in deceptive), len(deceptive)).to_json(),
        "recall_block_only": Rate(
            sum(d.decision == BLOCK for _, d in deceptive), len(deceptive)
        ).to_json(),
        "hard_negatives_blocked": Rate(len(false_blocks), len(negatives)).to_json(),
        "hard_negatives_reviewed": Rate(
            sum(d.decision == REVIEW for _, d in negatives), len(negatives)
        ).to_json(),
        "worst": {name: _worst(s) for name, s in slices.items()},
        "slices": slices,
        "hard_negative_slices": {
            g: Rate(sum(v), len(v)).to_json() for g, v in sorted(neg_groups.items())
        },
        "misses": misses,
        "false_blocks": false_blocks,
    }


def _worst(slices: dict[str, dict[str, Any]]) -> dict[str, Any]:
    name = min(slices, key=lambda g: (slices[g]["rate"], -slices[g]["n"]))
    return {"slice": name, **slices[name]}


def rows_for(split: str | Iterable[str]) -> list[dict[str, Any]]:
    splits = [split] if isinstance(split, str) else list(split)
    return [r for s in splits for r in load_set(s)]
