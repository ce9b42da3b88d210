"""Prompt screening on the red-team set: recall and false-positive rate per slice.

    PYTHONPATH=src python bench/bench_screening.py [--split dev|heldout|blind|all]
        [--no-embeddings]
        [--limit N] [--full]

Prints JSON: per split, recall (block or review) of deceptive prompts and the share of
hard negatives blocked, each with a 95 % Clopper-Pearson interval, per slice (evasion,
language, scenario and their crossings), the worst slice of each, the misses, and
prompts/s after a warm-up (one process; the embedder uses the threads torch gives it).
"""

from __future__ import annotations

import argparse
import json
import time

from mediaproof.screening import POLICY_VERSION, embed
from mediaproof.screening.engine import Screener
from mediaproof.screening.evaluate import (
    REPORT_ONLY,
    SPLITS,
    evaluate,
    load_officials,
    load_set,
)
from mediaproof.screening.seeds import builtin


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--split", default="all", choices=[*SPLITS, *REPORT_ONLY, "all"])
    ap.add_argument("--no-embeddings", action="store_true")
    ap.add_argument("--limit", type=int, default=0, help="first N prompts of each split")
    ap.add_argument("--full", action="store_true", help="every slice, not only the worst")
    ap.add_argument("--threads", type=int, default=0, help="torch threads (0: its default)")
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
    }
    for split in (*SPLITS, *REPORT_ONLY) if args.split == "all" else (args.split,):
        rows = load_set(split)
        if args.limit:
            rows = rows[: args.limit]
        screener = Screener(load_officials(split), builtin(), embedder)
        screener.screen_many([r["text"] for r in rows[:32]])  # warm-up
        res = evaluate(screener, rows)
        if not args.full:
            res.pop("slices")
        out[split] = res
    print(json.dumps(out, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
