"""Write ``screening/lexicon_data/real_words.txt``: everyday words that the spelling-blind
reading of prompts would otherwise take for a word-list entry they are not.

Reading a prompt spelling-blind (``normalize.fold``: c/k/q, i/y/j, w/v merged, doubles
collapsed) catches misspelt and transliterated scene words, but it also turns real words
of other languages into entries: Finnish ``kyltti`` ("sign") into ``kill``, Portuguese
``faça`` ("make") into Czech ``facka`` ("slap"), Hungarian ``kell`` ("must") into
``cell``. A word that a language uses every day is not a misspelling, so these words are
kept out of that reading (``normalize.fold_words``).

The list is data derived from wordfreq (https://github.com/rspeer/wordfreq, its word
lists are CC BY-SA 4.0): for every language of the word lists that wordfreq knows, its
most common words, normalised as prompts are, that some list's spelling-blind form
matches and that no list holds as they are. Rerun it after editing ``lexicon_data``:

    pip install wordfreq   # a tool for this script only, not a dependency of mediaproof
    PYTHONPATH=src python scripts/screening_real_words.py [--top 50000]
"""

from __future__ import annotations

import argparse
import os
import sys
import time

LANGS = [
    "bg", "ca", "cs", "da", "de", "el", "en", "es", "fi", "fr", "hu", "it", "lt",
    "lv", "nb", "nl", "pl", "pt", "ro", "ru", "sh", "sk", "sl", "sv", "tr", "uk",
    # the Latin-script languages of lexicon_data/world.json
    "id", "ms", "fil", "vi",
]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--top", type=int, default=50000, help="most common words per language")
    args = ap.parse_args()
    try:
        import wordfreq
    except ImportError:
        print("needs wordfreq: pip install wordfreq", file=sys.stderr)
        return 2
    from mediaproof.screening import rules
    from mediaproof.screening.lexicon import REAL_WORDS_PATH
    from mediaproof.screening.normalize import normalize

    seen: set[str] = set()
    out: set[str] = set()
    t0 = time.monotonic()
    for lang in LANGS:
        for w in wordfreq.top_n_list(lang, args.top, wordlist="best"):
            n = normalize(w)
            t = n.text
            if not t or " " in t or t in seen or not any(c.isalpha() for c in t):
                continue
            seen.add(t)
            # a word some list holds as it is stays readable spelling-blind: another
            # list's entry may need it beside a misspelt word ("zatvorena" beside a
            # misspelt "polling station")
            if rules.only_spelling_blind(t):
                out.add(t)
        print(f"{lang}: {len(out)} words so far ({time.monotonic() - t0:.0f} s)",
              file=sys.stderr)
    header = [
        "# Everyday words that prompts' spelling-blind reading must not take for a word-list",
        "# entry (written by scripts/screening_real_words.py; see its docstring).",
        f"# Derived from wordfreq's word lists (CC BY-SA 4.0), top {args.top} words of: "
        + " ".join(LANGS),
    ]
    tmp = REAL_WORDS_PATH + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write("\n".join(header + sorted(out)) + "\n")
    os.replace(tmp, REAL_WORDS_PATH)
    print(f"{len(out)} words -> {REAL_WORDS_PATH}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
