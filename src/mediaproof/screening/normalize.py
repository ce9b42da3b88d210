"""Normalisation that undoes the usual evasions before anything is matched.

Unicode NFKC (full-width, ligatures), format characters (zero-width spaces and joiners,
soft hyphens), look-alike letters from other scripts inside Latin words, digits and
symbols standing for letters inside words (``B1d3n``), punctuation or spaces inside names
(``B.i.d.e.n``, ``Bi-den``, ``B i d e n``), stretched letters (``Biiiden``), accents and
case. Whole words in another script are transliterated (``Путин`` -> ``putin``), not
read as look-alikes, so prompts written in Cyrillic or Greek stay readable.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from unidecode import unidecode

# Letters from other scripts that look like Latin ones (a subset of Unicode's
# confusables.txt that covers Cyrillic, Greek and a few symbols seen in evasions).
CONFUSABLES: dict[str, str] = {
    # Cyrillic
    "а": "a", "в": "b", "е": "e", "ё": "e", "к": "k", "м": "m", "н": "h", "о": "o",
    "р": "p", "с": "c", "т": "t", "у": "y", "х": "x", "ѕ": "s", "і": "i", "ї": "i",
    "ј": "j", "ԁ": "d", "ԛ": "q", "ԝ": "w", "ɡ": "g", "һ": "h", "ӏ": "l", "ь": "b",
    "А": "A", "В": "B", "Е": "E", "К": "K", "М": "M", "Н": "H", "О": "O", "Р": "P",
    "С": "C", "Т": "T", "У": "Y", "Х": "X", "Ѕ": "S", "І": "I", "Ј": "J", "Ԁ": "D",
    # Greek
    "α": "a", "β": "b", "ε": "e", "ι": "i", "κ": "k", "ν": "v", "ο": "o", "ρ": "p",
    "τ": "t", "υ": "u", "χ": "x", "ω": "w", "γ": "y", "Α": "A", "Β": "B", "Ε": "E",
    "Ζ": "Z", "Η": "H", "Ι": "I", "Κ": "K", "Μ": "M", "Ν": "N", "Ο": "O", "Ρ": "P",
    "Τ": "T", "Υ": "Y", "Χ": "X",
    # Latin look-alikes and symbols
    "ı": "i", "ł": "l", "ø": "o", "ß": "ss", "æ": "ae", "œ": "oe", "ſ": "s",
    "ℓ": "l", "∂": "d", "¡": "i", "|": "l",
}
# Digits and symbols that stand for letters, only inside words that have letters too.
LEET: dict[str, str] = {
    "0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "8": "b", "9": "g",
    "@": "a", "$": "s", "€": "e", "!": "i", "+": "t",
}
_LEET_CHARS = re.escape("".join(LEET))
# a "word" for evasion purposes: letters, digits and leet symbols
_WORDISH = re.compile(rf"[\w{_LEET_CHARS}]+")
# punctuation that evasions put inside a word: B.i.d.e.n, Bi-den, Bi_den, Bi*den, Bi·den
_INWORD = re.compile(r"(?<=[a-z])[.\-_*·•'’`´^~:;,/\\|]+(?=[a-z])")
_SPACED = re.compile(r"\b(?:[a-z][ .\-_*·]{1,3}){2,}[a-z]\b")  # "b i d e n", "b. i. d"
_REPEAT3 = re.compile(r"([a-z])\1{2,}")
_NONWORD = re.compile(r"[^a-z0-9]+")


@dataclass(frozen=True)
class Normalized:
    original: str
    text: str  # lower-case ASCII, in-word punctuation kept as spaces: for rules and phrases
    joined: str  # in-word punctuation and spaced letters joined: for names
    tokens: tuple[str, ...]  # words of ``joined``
    cased_tokens: tuple[str, ...]  # the same words as written (case kept), for name guards
    folded: str = ""  # ``fold(text)``: spelling-blind, for scene words only


_SYMBOL_IN_WORD = re.compile(r"(?<=\w)[^\w\s]{1,3}(?=\w)")


def _strip_format(s: str) -> str:
    # Cf: zero-width space/joiner, soft hyphen, bidi controls; also variation selectors
    s = "".join(
        ch for ch in s if unicodedata.category(ch) != "Cf" and not 0xFE00 <= ord(ch) <= 0xFE0F
    )
    # emoji and other symbols (So, Sk, Sm) inside a word: "Ker🔥tész" is "Kertész"
    return _SYMBOL_IN_WORD.sub(
        lambda m: "" if all(unicodedata.category(c) in ("So", "Sk", "Sm", "Cn") for c in
                            m.group(0)) else m.group(0),
        s,
    )


def _script(ch: str) -> str:
    if not ch.isalpha():
        return ""
    name = unicodedata.name(ch, "")
    return name.split(" ", 1)[0] if name else ""


def _fold_word(word: str) -> str:
    """Map look-alikes in a mixed-script word to Latin. A word wholly in one other script
    is real text in that script: unidecode transliterates it later (``Путин`` -> putin)."""
    scripts = {_script(c) for c in word if c.isalpha()}
    scripts.discard("")
    if "LATIN" in scripts and len(scripts) > 1:
        return "".join(CONFUSABLES.get(c, c) for c in word)
    return word


def _deleet(word: str) -> str:
    if not any(c.isalpha() for c in word) or not any(c in LEET for c in word):
        return word
    # "4k", "3d", "2x" stay as they are: a stand-in needs at least two real letters
    letters = sum(c.isalpha() for c in word)
    if letters < 2:
        return word
    return "".join(LEET.get(c, c) for c in word)


def collapse_doubles(s: str) -> str:
    """``anna`` -> ``ana``, ``biiiden`` -> ``biden``: for comparing names only."""
    return re.sub(r"([a-z])\1+", r"\1", s)


_FOLD = (("c", "k"), ("q", "k"), ("ph", "f"), ("w", "v"), ("y", "i"), ("j", "i"), ("x", "ks"))


def fold(s: str) -> str:
    """A spelling-blind form of lower-case ASCII text for scene words: ``c``/``k``/``q``,
    ``y``/``i``, ``w``/``v`` merged, doubles collapsed and ``kh`` read as ``h``, so a
    misspelt word or one transliterated back from another script (``Грапхик саыинг`` ->
    ``grapkhik saiing``) reads like the word lists."""
    for a, b in _FOLD:
        s = s.replace(a, b)
    return collapse_doubles(s).replace("kh", "h")


def normalize(prompt: str) -> Normalized:
    s = unicodedata.normalize("NFKC", prompt)
    s = _strip_format(s)
    s = _WORDISH.sub(lambda m: _deleet(_fold_word(m.group(0))), s)
    cased = unidecode(s)
    low = cased.lower()
    low = _REPEAT3.sub(r"\1", low)
    text = " ".join(_NONWORD.split(low)).strip()
    j = _INWORD.sub("", low)
    j = _SPACED.sub(lambda m: re.sub(r"[^a-z]", "", m.group(0)), j)
    joined = " ".join(_NONWORD.split(j)).strip()
    cased_tokens = tuple(t for t in re.split(r"[^A-Za-z0-9]+", cased) if t)
    return Normalized(
        original=prompt,
        text=text,
        joined=joined,
        tokens=tuple(joined.split()),
        cased_tokens=cased_tokens,
        folded=fold(text),
    )
