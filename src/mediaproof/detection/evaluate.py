"""The evaluation harness: one detector, one labelled manifest, measured the same way
every time (``mediaproof detectors evaluate MANIFEST``).

A manifest is JSON Lines, one file per line::

    {"path": "img/0001.jpg", "label": "ai", "generator": "flux-1-dev", "source": "x",
     "split": "unseen-generator", "language": null, "licence": "CC BY 4.0"}

``path`` is relative to the manifest; ``label`` is ``ai`` or ``real``; ``generator`` is
required for ``ai``; ``source`` names where the file came from (real files' false-positive
rates are reported per source); ``split`` is one of ``in-distribution`` (generators and
sources like the detector's training data), ``unseen-generator``, ``in-the-wild``. The
splits are reported apart and never averaged: a detector's benchmark number says little
about in-the-wild media.
"""

from __future__ import annotations

import hashlib
import json
import statistics
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from mediaproof import __version__
from mediaproof.detection.card import ModelCard
from mediaproof.detection.errors import DetectorError, ManifestError
from mediaproof.detection.metrics import (
    MIN_PER_CLASS,
    Rate,
    bootstrap_auc_ci,
    expected_calibration_error,
    roc_auc,
    tpr_at_fpr,
)
from mediaproof.detection.protocol import Detector
from mediaproof.detection.transforms import (
    transforms_for,
    unavailable_audio_transforms,
)

SPLITS = ("in-distribution", "unseen-generator", "in-the-wild")
Label = Literal["ai", "real"]
_KEYS = {"path", "label", "generator", "source", "split", "language", "licence", "note"}


@dataclass(frozen=True)
class ManifestItem:
    path: Path
    label: Label
    generator: str | None
    source: str
    split: str
    line: int


def read_manifest(path: Path) -> list[ManifestItem]:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise ManifestError(f"cannot read the manifest {path} ({e})") from None
    items: list[ManifestItem] = []
    for n, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        where = f"{path.name} line {n}"
        try:
            doc = json.loads(line)
        except json.JSONDecodeError as e:
            raise ManifestError(f"{where}: not JSON ({e.msg})") from None
        if not isinstance(doc, dict):
            raise ManifestError(f"{where}: each line is a JSON object")
        unknown = set(doc) - _KEYS
        if unknown:
            raise ManifestError(f"{where}: unknown field(s) {', '.join(sorted(unknown))}")
        for key in ("path", "label", "source", "split"):
            if not isinstance(doc.get(key), str) or not doc[key]:
                raise ManifestError(f"{where}: '{key}' is required (a string)")
        if doc["label"] not in ("ai", "real"):
            raise ManifestError(f"{where}: label must be 'ai' or 'real'")
        if doc["split"] not in SPLITS:
            raise ManifestError(f"{where}: split must be one of {', '.join(SPLITS)}")
        gen = doc.get("generator")
        if doc["label"] == "ai" and (not isinstance(gen, str) or not gen):
            raise ManifestError(f"{where}: an 'ai' file needs its generator")
        p = Path(doc["path"])
        p = p if p.is_absolute() else path.parent / p
        if not p.is_file():
            raise ManifestError(f"{where}: file not found: {p}")
        items.append(
            ManifestItem(p, doc["label"], gen if isinstance(gen, str) else None,
                         doc["source"], doc["split"], n)
        )
    if not items:
        raise ManifestError(f"{path.name}: the manifest lists no files")
    return items


@dataclass(frozen=True)
class Scored:
    item: ManifestItem
    transform: str | None
    probability: float | None
    abstain: str | None
    error: str | None
    seconds: float


def score_all(
    detector: Detector,
    items: Sequence[ManifestItem],
    transforms: Sequence[str],
    work_dir: Path,
    progress: Callable[[int, int], None] | None = None,
) -> list[Scored]:
    known = transforms_for(detector.modality)
    out: list[Scored] = []
    total = len(items) * (1 + len(transforms))
    for i, item in enumerate(items):
        for t in (None, *transforms):
            path = item.path
            err: str | None = None
            if t is not None:
                d = work_dir / str(i)
                d.mkdir(parents=True, exist_ok=True)
                try:
                    path = known[t](item.path, d)
                except (OSError, ValueError) as e:
                    err = f"transform failed ({e})"
            t0 = time.perf_counter()
            prob = abstain = None
            if err is None:
                try:
                    r = detector.score(path)
                    prob, abstain = r.probability, r.abstain_reason
                except DetectorError as e:
                    err = e.message
            out.append(Scored(item, t, prob, abstain, err, time.perf_counter() - t0))
            if progress:
                progress(len(out), total)
    return out


def _stats(card: ModelCard, rows: Sequence[Scored], *, bootstrap: int) -> dict[str, Any]:
    th = card.thresholds.consistent_at_least
    ok = [r for r in rows if r.probability is not None]
    y = [1 if r.item.label == "ai" else 0 for r in ok]
    s = [float(r.probability) for r in ok if r.probability is not None]
    n_ai = sum(1 for r in rows if r.item.label == "ai")
    n_real = len(rows) - n_ai
    out: dict[str, Any] = {
        "files": {"ai": n_ai, "real": n_real},
        "scored": len(ok),
        "abstain_rate": Rate(sum(1 for r in rows if r.abstain), len(rows)).as_dict(),
        "errors": sum(1 for r in rows if r.error),
    }
    pos, neg = sum(y), len(y) - sum(y)
    if pos >= MIN_PER_CLASS and neg >= MIN_PER_CLASS:
        out["auc"] = roc_auc(y, s)
        out["auc_ci95"] = bootstrap_auc_ci(y, s, n=bootstrap)
    else:
        out["auc"] = out["auc_ci95"] = None
        out["auc_note"] = (
            f"not reported: {pos} AI and {neg} real files scored; "
            f"at least {MIN_PER_CLASS} of each are needed"
        )
    gens: dict[str, list[Scored]] = {}
    for r in ok:
        if r.item.label == "ai" and r.item.generator:
            gens.setdefault(r.item.generator, []).append(r)
    reals = [r for r in ok if r.item.label == "real"]
    per_gen: dict[str, Any] = {}
    for g, grows in sorted(gens.items()):
        gy = [1] * len(grows) + [0] * len(reals)
        gs = [float(r.probability or 0.0) for r in [*grows, *reals]]
        enough = len(grows) >= MIN_PER_CLASS and len(reals) >= MIN_PER_CLASS
        per_gen[g] = {
            "files": len(grows),
            "seen_in_training": g in card.training_data.generators,
            "auc": roc_auc(gy, gs) if enough else None,
            "auc_ci95": bootstrap_auc_ci(gy, gs, n=bootstrap) if enough else None,
            "at_threshold": Rate(
                sum(1 for r in grows if (r.probability or 0.0) >= th), len(grows)
            ).as_dict(),
        }
    out["per_generator"] = per_gen
    out["tpr_at_fpr"] = {f"{f:.0%}": tpr_at_fpr(y, s, f) for f in (0.01, 0.03)}
    out["at_card_threshold"] = {
        "threshold": th,
        "tpr": Rate(sum(1 for r in ok if r.item.label == "ai" and (r.probability or 0) >= th),
                    pos).as_dict(),
        "fpr": Rate(sum(1 for r in reals if (r.probability or 0) >= th), neg).as_dict(),
    }
    sources: dict[str, list[Scored]] = {}
    for r in reals:
        sources.setdefault(r.item.source, []).append(r)
    out["fpr_per_real_source"] = {
        src: Rate(sum(1 for r in srows if (r.probability or 0) >= th), len(srows)).as_dict()
        for src, srows in sorted(sources.items())
    }
    out["calibration_error"] = expected_calibration_error(y, s)
    return out


def evaluate(
    detector: Detector,
    manifest: Path,
    *,
    transforms: Sequence[str] | None = None,
    bootstrap: int = 1000,
    progress: Callable[[int, int], None] | None = None,
) -> dict[str, Any]:
    """``transforms``: names among those of the detector's kind of media
    (:func:`~mediaproof.detection.transforms.transforms_for`); None for all of them. An
    audio transform this machine's FFmpeg cannot run is skipped and named in the report's
    ``transforms_skipped`` with the reason, never measured as a failure."""
    known = transforms_for(detector.modality)
    if transforms is None:
        transforms = tuple(known)
    unknown = [t for t in transforms if t not in known]
    if unknown:
        raise ManifestError(
            f"unknown transform(s) {', '.join(unknown)} for a {detector.modality} detector; "
            f"known: {', '.join(known)}"
        )
    skipped: dict[str, str] = {}
    if detector.modality == "audio":
        missing = unavailable_audio_transforms()
        skipped = {t: missing[t] for t in transforms if t in missing}
        transforms = [t for t in transforms if t not in missing]
    items = read_manifest(manifest)
    with tempfile.TemporaryDirectory(prefix="mediaproof-eval-") as tmp:
        rows = score_all(detector, items, transforms, Path(tmp), progress)
    card = detector.card
    sections: dict[str, Any] = {}
    for split in SPLITS:
        srows = [r for r in rows if r.item.split == split]
        if not srows:
            continue
        original = [r for r in srows if r.transform is None]
        base = _stats(card, original, bootstrap=bootstrap)
        tstats: dict[str, Any] = {}
        for t in transforms:
            st = _stats(card, [r for r in srows if r.transform == t], bootstrap=bootstrap)
            st["degradation"] = {
                "auc_delta": None if st["auc"] is None or base["auc"] is None
                else st["auc"] - base["auc"],
                "tpr_at_threshold_delta": _delta(st, base, "tpr"),
                "fpr_at_threshold_delta": _delta(st, base, "fpr"),
            }
            tstats[t] = st
        sections[split] = {"original": base, "transforms": tstats}
    secs = sorted(r.seconds for r in rows if r.error is None)
    return {
        "schema": 1,
        "produced_by": "mediaproof detectors evaluate",
        "mediaproof_version": __version__,
        "date": datetime.now(UTC).date().isoformat(),
        "detector": {"id": detector.id, "version": detector.version},
        "manifest": {
            "name": manifest.name,
            "sha256": hashlib.sha256(manifest.read_bytes()).hexdigest(),
            "files": len(items),
        },
        "modality": detector.modality,
        "transforms": list(transforms),
        "transforms_skipped": skipped,
        "thresholds": card.thresholds.model_dump(),
        "sections": sections,
        "cost_per_file_s": {
            "mean": statistics.fmean(secs) if secs else None,
            "p95": secs[min(len(secs) - 1, int(0.95 * len(secs)))] if secs else None,
            "note": "wall time of score() on the machine that ran the harness, CPU",
        },
    }


def _delta(st: dict[str, Any], base: dict[str, Any], key: str) -> float | None:
    a = st["at_card_threshold"][key]["rate"]
    b = base["at_card_threshold"][key]["rate"]
    return None if a is None or b is None else a - b


def accuracy_summary(card: ModelCard) -> dict[str, Any] | None:
    """The measured accuracy shown beside a detector's opinion: the in-the-wild section
    (else unseen-generator, else in-distribution) of the largest evaluation in the card."""
    runs = card.evaluation or {}
    best: tuple[int, int, str, str, dict[str, Any]] | None = None
    for name, rep in runs.items():
        if not isinstance(rep, dict):
            continue
        for rank, split in enumerate(reversed(SPLITS)):
            sec = rep.get("sections", {}).get(split)
            if sec is None:
                continue
            o = sec["original"]
            n = int(o["files"]["ai"]) + int(o["files"]["real"])
            key = (-rank, n, name, split, o)
            if best is None or key[:2] > best[:2]:
                best = key
            break
    if best is None:
        return None
    _, _, name, split, o = best
    thr = o["at_card_threshold"]
    return {
        "manifest": name,
        "modality": card.modality,
        "section": split,
        "files": o["files"],
        "auc": o["auc"],
        "auc_ci95": o["auc_ci95"],
        "fpr_at_threshold": thr["fpr"],
        "tpr_at_threshold": thr["tpr"],
    }


def accuracy_text(summary: dict[str, Any] | None) -> str:
    if summary is None:
        return "No measured accuracy: this detector has not been evaluated here."
    f = summary["files"]
    noun = "recordings" if summary.get("modality") == "audio" else "images"
    parts = [f"Measured on {f['real']} real and {f['ai']} AI-generated {noun} "
             f"({summary['section']}, {summary['manifest']})"]
    if summary["auc"] is not None:
        lo, hi = summary["auc_ci95"] or (None, None)
        ci = f" [95 % CI {lo:.2f}–{hi:.2f}]" if lo is not None else ""
        parts.append(f"ROC AUC {summary['auc']:.2f}{ci}")
    else:
        parts.append(f"too few AI-generated {noun} to measure how many it catches")
    fpr = summary["fpr_at_threshold"]
    if fpr["n"]:
        lo, hi = fpr["ci95"]
        parts.append(
            f"it called {fpr['k']} of {fpr['n']} real {noun} consistent with AI "
            f"({fpr['rate']:.0%}, 95 % CI {lo:.0%}–{hi:.0%})"
        )
    return "; ".join(parts) + "."


def _pct(rate: dict[str, Any]) -> str:
    if not rate["n"]:
        return "–"
    lo, hi = rate["ci95"]
    return f"{rate['k']}/{rate['n']} = {rate['rate']:.1%} [{lo:.1%}, {hi:.1%}]"


def _auc(v: float | None, ci: Sequence[float] | None) -> str:
    if v is None:
        return "–"
    return f"{v:.3f}" + (f" [{ci[0]:.3f}, {ci[1]:.3f}]" if ci else "")


def render_markdown(report: dict[str, Any]) -> str:
    """The card section for one evaluation: tables only, every number from the report."""
    d, m = report["detector"], report["manifest"]
    lines = [
        f"### {d['id']} {d['version']} on `{m['name']}` ({m['files']} files)",
        "",
        f"Produced by `{report['produced_by']}` (mediaproof {report['mediaproof_version']}, "
        f"{report['date']}); manifest sha256 `{m['sha256'][:16]}…`. Threshold for "
        f"'consistent with AI': {report['thresholds']['consistent_at_least']:.3f}. "
        "Sections are separate populations and are never averaged.",
        "",
    ]
    for t, why in (report.get("transforms_skipped") or {}).items():
        lines += [f"Transform {t} not measured: {why}.", ""]
    for split, sec in report["sections"].items():
        o = sec["original"]
        lines += [
            f"#### {split}",
            "",
            f"{o['files']['ai']} AI-generated, {o['files']['real']} real; "
            f"abstained {_pct(o['abstain_rate'])}; errors {o['errors']}.",
            "",
            "| measure | value [95 % CI] |",
            "| --- | --- |",
            f"| ROC AUC | {_auc(o['auc'], o['auc_ci95'])} |",
        ]
        for k, v in o["tpr_at_fpr"].items():
            tpr = _pct(v["tpr"]) if isinstance(v.get("tpr"), dict) else "–"
            lines.append(f"| AI caught at {k} false positives | {tpr} |")
        ece = o["calibration_error"]
        lines += [
            f"| AI caught at the card's threshold | {_pct(o['at_card_threshold']['tpr'])} |",
            f"| real called consistent with AI | {_pct(o['at_card_threshold']['fpr'])} |",
            f"| calibration error (ECE, 10 bins) | {'–' if ece is None else f'{ece:.3f}'} |",
            "",
        ]
        if o.get("auc_note"):
            lines += [f"AUC {o['auc_note']}.", ""]
        if o["per_generator"]:
            lines += ["| generator | files | seen in training | AUC | caught at threshold |",
                      "| --- | --- | --- | --- | --- |"]
            for g, v in o["per_generator"].items():
                lines.append(
                    f"| {g} | {v['files']} | {'yes' if v['seen_in_training'] else 'no'} | "
                    f"{_auc(v['auc'], v['auc_ci95'])} | {_pct(v['at_threshold'])} |"
                )
            lines.append("")
        if o["fpr_per_real_source"]:
            lines += ["| real source | called consistent with AI |", "| --- | --- |"]
            for src, v in o["fpr_per_real_source"].items():
                lines.append(f"| {src} | {_pct(v)} |")
            lines.append("")
        if sec["transforms"]:
            lines += ["| transform | ROC AUC | AUC change | AI caught | real flagged |",
                      "| --- | --- | --- | --- | --- |"]
            for t, v in sec["transforms"].items():
                dlt = v["degradation"]["auc_delta"]
                lines.append(
                    f"| {t} | {_auc(v['auc'], v['auc_ci95'])} | "
                    f"{'–' if dlt is None else f'{dlt:+.3f}'} | "
                    f"{_pct(v['at_card_threshold']['tpr'])} | "
                    f"{_pct(v['at_card_threshold']['fpr'])} |"
                )
            lines.append("")
    c = report["cost_per_file_s"]
    if c["mean"] is not None:
        lines += [f"Cost per file: mean {c['mean']:.3f} s, p95 {c['p95']:.3f} s ({c['note']}).",
                  ""]
    return "\n".join(lines)
