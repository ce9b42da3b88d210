"""How long finding protected people takes on a long prompt in a script read by its own
letters, with many officials (issue 19: names across scripts must not make a prompt's
cost grow with officials x characters).

    PYTHONPATH=src python bench/bench_people_scripts.py [--people 1000] [--chars 8000]

Prints JSON: seconds for ``PeopleIndex.find`` (median of 3) on a Chinese run of
``--chars`` characters and an Arabic prompt of ``--chars``/5 words, and the share the
cross-script reading (``_other_script``) takes of it.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import time

from mediaproof.screening.normalize import normalize
from mediaproof.screening.people import PeopleIndex, Person


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--people", type=int, default=1000)
    ap.add_argument("--chars", type=int, default=8000)
    args = ap.parse_args()
    rng = random.Random(1)
    syl = ["ka", "ri", "mi", "na", "to", "so", "ra", "fa", "el", "an", "de", "lu", "mo", "pe"]

    def name() -> str:
        return "".join(rng.choices(syl, k=3)).title()

    index = PeopleIndex([Person(f"p{i}", f"{name()} {name()}") for i in range(args.people)])
    prompts = {
        "zh": "".join(rng.choices("阿米娜卡里米在演讲时突然晕倒台上医护人员用担架抬救护车视频",
                                  k=args.chars)),
        "ar": " ".join(rng.choices(["أمينة", "كريمي", "الرئيس", "في", "صورة", "مع", "الشرطة"],
                                   k=args.chars // 5)),
    }
    out: dict[str, object] = {"people": args.people, "chars": args.chars}
    for lang, prompt in prompts.items():
        norm = normalize(prompt)
        whole, cross = [], []
        for _ in range(3):
            t = time.perf_counter()
            index.find(norm)
            whole.append(time.perf_counter() - t)
            t = time.perf_counter()
            index._other_script(norm.original)
            cross.append(time.perf_counter() - t)
        out[lang] = {"find_s": round(statistics.median(whole), 3),
                     "cross_script_s": round(statistics.median(cross), 3)}
    print(json.dumps(out))


if __name__ == "__main__":
    main()
