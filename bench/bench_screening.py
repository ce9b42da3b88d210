"""Prompt screening on the red-team set: recall and false-positive rate per slice, and speed.

    PYTHONPATH=src python bench/bench_screening.py [--split dev|heldout|para|blind|para_blind|
        eu_blind|world_blind|all]
        [--no-embeddings] [--limit N] [--full] [--threads 1] [--speed]

Prints JSON: per split, recall (block or review) of deceptive prompts and the share of
hard negatives blocked (and reviewed), each with a 95 % Clopper-Pearson interval, per
slice (evasion, language, scenario and their crossings), the worst slice of each, the
misses, and prompts/s after a warm-up. ``--speed`` adds a side-by-side run in this one
process: the screener as it was (every prompt embedded, no cache) against as it is (no
embedding where the rules already block, LRU cache), on the red-team mix and on the
prompts the rules allow (each of which needs the embedding: the worst case), each on a
cold cache after a warm-up on other prompts, with the load average before and after,
as prompts per wall-clock second and per CPU second of this process (with
``--threads 1``, the default, that is per core, and it holds on a shared machine).
"before" is the first screener (sentence-transformers' ``encode`` on every prompt, no
cache); "skip_and_cache" adds the skip where the rules block and the LRU cache; "after"
is today's default backend (``int8_checked``: the direct encoder, ``inference_mode``,
batches of 16 by token count, an int8 first pass with the exact recheck near the
thresholds); "float" is the ``float`` backend (the exact path alone: float32, or bfloat16
where the CPU has bfloat16 instructions); "cosine_to_previous" checks that the exact
embeddings stayed what the seed thresholds were set on.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from typing import Any

from mediaproof.screening import POLICY_VERSION, embed
from mediaproof.screening.engine import ALLOW, Screener
from mediaproof.screening.evaluate import (
    REPORT_ONLY,
    SPLITS,
    evaluate,
    load_officials,
    load_set,
)
from mediaproof.screening.seeds import builtin


def _rate(screener: Screener, texts: list[str], batch: int = 64) -> dict[str, float]:
    """Prompts per wall-clock second, and per second of this process's CPU time: with one
    torch thread that is prompts/s per core, and it holds on a machine shared with other
    work (wall-clock time there counts the waits for a core too)."""
    t0, c0 = time.perf_counter(), time.process_time()
    for i in range(0, len(texts), batch):
        screener.screen_many(texts[i : i + batch])
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    return {"wall": round(len(texts) / wall, 1), "per_cpu_s": round(len(texts) / cpu, 1)}


class _STEncode:
    """The embedder as it was before the direct path: sentence-transformers' own
    ``encode`` in float32 (batch 64), for the side-by-side run and the cosine check."""

    def __init__(self, e: embed.SentenceEmbedder) -> None:
        self.name, self.model = e.name, e.model

    def encode(self, texts: list[str]) -> Any:
        import numpy as np

        if not texts:
            return np.zeros((0, 384), dtype=np.float32)
        out = self.model.encode(  # type: ignore[attr-defined]
            texts, batch_size=64, normalize_embeddings=True, convert_to_numpy=True,
            show_progress_bar=False,
        )
        return np.asarray(out, dtype=np.float32)


def cosine_to_previous(embedder: embed.SentenceEmbedder) -> dict[str, Any]:
    """Cosine of each red-team prompt's embedding (masked as the screener embeds it) now
    against sentence-transformers' float32 ``encode``: the seed thresholds stay valid
    where it is >= 0.999 throughout."""
    import numpy as np

    from mediaproof.screening.engine import _mask
    from mediaproof.screening.normalize import normalize

    rows = [r for s in (*SPLITS, *REPORT_ONLY) for r in load_set(s)]
    people = [p for s in (*SPLITS, *REPORT_ONLY) for p in load_officials(s)]
    scr = Screener(people, builtin(), None)
    texts = sorted({_mask(n, scr.index.find(n)) for n in (normalize(r["text"]) for r in rows)})
    cos = np.sum(_STEncode(embedder).encode(texts) * embedder.encode(texts), axis=1)
    return {"texts": len(texts), "bf16": embedder.bf16, "min": round(float(cos.min()), 6),
            "p01": round(float(np.percentile(cos, 1)), 6), "mean": round(float(cos.mean()), 6)}


def speed(embedder: embed.SentenceEmbedder | None) -> dict[str, Any]:
    """Before/after on the same prompts in one process (see the module docstring)."""
    rows = [r for s in (*SPLITS, *REPORT_ONLY) for r in load_set(s)]
    texts = [r["text"] for r in rows]
    people = [p for s in (*SPLITS, *REPORT_ONLY) for p in load_officials(s)]
    warm = [f"A watercolour of lighthouse number {i} at dawn" for i in range(64)]  # not in the set
    mix = texts[::4]  # a quarter of every part, in file order
    allowed = [
        t for t, d in zip(texts, Screener(people, builtin(), None).screen_many(texts), strict=True)
        if d.decision == ALLOW
    ]
    out: dict[str, Any] = {"load_average_before": [round(x, 2) for x in os.getloadavg()]}
    for name, prompts in (("redteam_mix", mix), ("rules_allow_only", allowed)):
        res: dict[str, Any] = {"prompts": len(prompts)}
        previous = _STEncode(embedder) if embedder is not None else None
        configs: list[tuple[str, dict[str, Any], embed.Embedder | None]] = [
            ("before", {"cache_size": 0, "skip_when_blocked": False}, previous),
            ("skip_and_cache", {}, previous),
            ("float", {}, embed.load("float") if embedder is not None else None),
            ("after", {}, embedder),
            ("rules_only", {}, None),
        ]
        for label, kw, emb in configs:
            s = Screener(people, builtin(), emb, **kw)
            s.screen_many(warm)
            res[f"{label}_prompts_per_s"] = _rate(s, prompts)
        out[name] = res
    out["load_average_after"] = [round(x, 2) for x in os.getloadavg()]
    if embedder is not None:
        out["cosine_to_previous"] = cosine_to_previous(embedder)
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--split", default="all", choices=[*SPLITS, *REPORT_ONLY, "all"])
    ap.add_argument("--no-embeddings", action="store_true")
    ap.add_argument("--limit", type=int, default=0, help="first N prompts of each split")
    ap.add_argument("--full", action="store_true", help="every slice, not only the worst")
    ap.add_argument("--threads", type=int, default=1, help="torch threads (0: its default)")
    ap.add_argument("--speed", action="store_true", help="before/after speed, side by side")
    ap.add_argument("--speed-only", action="store_true", help="--speed without the recall part")
    args = ap.parse_args()
    if args.threads:
        import torch

        torch.set_num_threads(args.threads)
    t0 = time.perf_counter()
    embedder = None if args.no_embeddings else embed.load()
    load_s = time.perf_counter() - t0
    out: dict[str, object] = {
        "policy_version": POLICY_VERSION,
        "embedder": embedder.name if embedder else None,
        "embedder_error": embed.load_error(),
        "model_load_s": round(load_s, 2),
        "torch_threads": args.threads or "default",
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "cpus": os.cpu_count(),
    }
    splits = (*SPLITS, *REPORT_ONLY) if args.split == "all" else (args.split,)
    for split in () if args.speed_only else splits:
        rows = load_set(split)
        if args.limit:
            rows = rows[: args.limit]
        screener = Screener(load_officials(split), builtin(), embedder)
        screener.screen_many([r["text"] for r in rows[:32]])  # warm-up
        res = evaluate(screener, rows)
        if not args.full:
            res.pop("slices")
        out[split] = res
    if args.speed or args.speed_only:
        out["speed"] = speed(embedder)
    print(json.dumps(out, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
