"""Old against new screening speed, in alternating processes (issue #19).

    PYTHONPATH=src python bench/bench_screening_ab.py --old /path/to/old/src [--rounds 3]

Each round runs one process per side (old first, then new, then the order swaps), each
importing ``mediaproof`` from its own ``src``: the default embedder (``embed.load()``),
one torch thread, a warm-up on 64 prompts not in the set, then ``Screener.screen_many``
in batches of 64 with **no cache** (``cache_size=0``: every prompt embedded afresh) on
the red-team prompts the rules allow (each needs the embedding: the worst case and the
one the 200 prompts/s aim is about) and on a quarter of every part (``redteam_mix``),
as prompts per second of the process's CPU time (per core). Prints JSON: every round,
the medians, new/old ratios of the medians, the load average before and after, and
each side's load time (model, int8 copy and its check).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from typing import Any

_CHILD = r"""
import json, time
t0 = time.perf_counter()
import torch
torch.set_num_threads(1)
from mediaproof.screening import embed
from mediaproof.screening.engine import ALLOW, Screener
from mediaproof.screening.evaluate import REPORT_ONLY, SPLITS, load_officials, load_set
from mediaproof.screening.seeds import builtin
e = embed.load()
load_s = time.perf_counter() - t0
rows = [r for s in (*SPLITS, *REPORT_ONLY) for r in load_set(s)]
texts = [r["text"] for r in rows]
people = [p for s in (*SPLITS, *REPORT_ONLY) for p in load_officials(s)]
rules = Screener(people, builtin(), None).screen_many(texts)
allowed = [t for t, d in zip(texts, rules) if d.decision == ALLOW]
out = {"load_s": round(load_s, 2), "int8": type(e.int8_encoder).__name__}
for name, prompts in (("rules_allow_only", allowed), ("redteam_mix", texts[::4])):
    s = Screener(people, builtin(), e, cache_size=0)
    s.screen_many([f"A watercolour of lighthouse number {i} at dawn" for i in range(64)])
    c0 = time.process_time()
    for i in range(0, len(prompts), 64):
        s.screen_many(prompts[i : i + 64])
    out[name] = round(len(prompts) / (time.process_time() - c0), 1)
    out[name + "_prompts"] = len(prompts)
print(json.dumps(out))
"""


def _side(src: str) -> dict[str, Any]:
    env = dict(os.environ, PYTHONPATH=src)
    res = subprocess.run([sys.executable, "-c", _CHILD], env=env, capture_output=True,
                         text=True, check=True)
    return dict(json.loads(res.stdout.strip().splitlines()[-1]))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--old", required=True, help="the src folder of the old code")
    ap.add_argument("--new", default=os.path.join(os.path.dirname(__file__), "..", "src"))
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    out: dict[str, Any] = {"load_average_before": [round(x, 2) for x in os.getloadavg()]}
    rounds: list[dict[str, Any]] = []
    for r in range(args.rounds):
        order = ("old", "new") if r % 2 == 0 else ("new", "old")
        got = {side: _side(args.old if side == "old" else args.new) for side in order}
        rounds.append(got)
        print(json.dumps({"round": r, **got}), file=sys.stderr)
    out["rounds"] = rounds
    for key in ("rules_allow_only", "redteam_mix", "load_s"):
        med = {side: statistics.median(x[side][key] for x in rounds) for side in ("old", "new")}
        out[key] = {"median": med, "new_over_old": round(med["new"] / med["old"], 3)}
    out["load_average_after"] = [round(x, 2) for x in os.getloadavg()]
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
