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

from mediaproof.screening.lexicon import REAL_WORDS, WRITTEN_STEMS

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
    # Latin letters read as Greeklish (``pshfodeltia`` -> ψηφοδελτια -> psifodeltia), then
    # folded: for scene words only, "" where the prompt has no Latin word to read
    greeklish: str = ""
    # the reverse: Greek letters read as a Latin-script language written in them
    # (``γκλασαντζε`` -> glasanje, ``κεντρου`` -> kentru), then folded: for scene words
    # only, "" where the prompt has no Greek letter
    greek_as_latin: str = ""
    # the words of ``text`` as they were written, one for each (lower case, accents kept;
    # Greek without its stress marks), for word-list entries that must match in their own
    # letters (``=muš``: Lithuanian "beats", where ``musa`` would be "muse"); "" where the
    # two could not be lined up word for word (those entries then match nothing)
    written: str = ""
    # letters of the scripts read by their own letters (Arabic, Hebrew, Indic, Thai,
    # Chinese, Japanese, Korean ...) as codes, the rest as ``text``: for the word lists'
    # entries in those scripts (:func:`own_script_coded`); "" where the prompt has none
    own: str = ""


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


# Latin letters that look like Cyrillic or Greek ones: typed inside a Cyrillic or Greek
# word ("Нoщна", "Πivακίδα") they stand for that script's letter, not for Latin.
LATIN_TO: dict[str, dict[str, str]] = {
    "CYRILLIC": {
        "a": "а", "e": "е", "o": "о", "p": "р", "c": "с", "x": "х", "y": "у", "i": "і",
        "k": "к", "m": "м", "A": "А", "B": "В", "E": "Е", "K": "К", "M": "М", "H": "Н",
        "O": "О", "P": "Р", "C": "С", "T": "Т", "X": "Х", "Y": "У", "I": "І",
    },
    "GREEK": {
        "a": "α", "o": "ο", "e": "ε", "i": "ι", "k": "κ", "v": "ν", "t": "τ", "p": "ρ",
        "x": "χ", "u": "υ", "y": "γ", "A": "Α", "B": "Β", "E": "Ε", "Z": "Ζ", "H": "Η",
        "I": "Ι", "K": "Κ", "M": "Μ", "N": "Ν", "O": "Ο", "P": "Ρ", "T": "Τ", "Y": "Υ",
        "X": "Χ",
    },
}


def _fold_word(word: str) -> str:
    """Map look-alikes in a mixed-script word to the script most of its letters are in:
    ``Bіdеn`` -> Latin ``Biden``, ``Нoщна`` -> Cyrillic ``Нощна`` (a tie reads as Latin).
    A word wholly in one other script is real text in that script: it is transliterated
    later (``Путин`` -> putin)."""
    counts: dict[str, int] = {}
    for c in word:
        sc = _script(c)
        if sc:
            counts[sc] = counts.get(sc, 0) + 1
    if "LATIN" in counts and len(counts) > 1:
        other = max((k for k in counts if k != "LATIN"), key=lambda k: counts[k])
        if len(counts) == 2 and other in LATIN_TO and counts[other] > counts["LATIN"]:
            table = LATIN_TO[other]
            return "".join(table.get(c, c) for c in word)
        return "".join(CONFUSABLES.get(c, c) for c in word)
    return word


# Greek read as it is pronounced today (ELOT 743 in spirit), with the digraphs Greek uses
# for foreign sounds read as those sounds (``Μπιλλεντε`` -> billede, ``Ραντοσλάβα`` ->
# radoslava, ``ψηφοδέλτια`` -> psifodeltia): unidecode's classical table would give
# "mpillente", "rantoslaba", "psephodeltia".
_GREEK_DI = {"μπ": "b", "ντ": "d", "γκ": "g", "γγ": "ng", "τζ": "tz", "τσ": "ts", "ου": "u"}
_GREEK = dict(zip("αβγδεζηθικλμνξοπρσςτυφχψω",
                  ["a", "v", "g", "d", "e", "z", "i", "th", "i", "k", "l", "m", "n", "x", "o",
                   "p", "r", "s", "s", "t", "y", "f", "ch", "ps", "o"], strict=True))
# Cyrillic signs unidecode writes as apostrophes, which would cut a word in two
# ("премьер" -> prem'er): the soft sign is dropped, the Bulgarian hard sign is a vowel.
_CYR_SIGNS = {"ь": "", "Ь": "", "ъ": "a", "Ъ": "A"}
_CYR_APOSTROPHE = re.compile(r"(?<=[\u0400-\u04ff])['’ʼ](?=[\u0400-\u04ff])")
_GREEK_RUN = re.compile(r"[\u0370-\u03ff\u1f00-\u1fff][\u0370-\u03ff\u1f00-\u1fff\u0300-\u036f]*")


def _greek_word(m: re.Match[str]) -> str:
    w = "".join(c for c in unicodedata.normalize("NFD", m.group(0)) if not unicodedata.combining(c))
    out: list[str] = []
    i = 0
    while i < len(w):
        two = w[i : i + 2].lower()
        if two in _GREEK_DI:
            lat, step = _GREEK_DI[two], 2
        else:
            lat, step = _GREEK.get(w[i].lower(), w[i]), 1
        out.append(lat.capitalize() if w[i].isupper() else lat)
        i += step
    return "".join(out)


def translit(s: str) -> str:
    """Any script to ASCII: Greek by its modern reading, Cyrillic by unidecode (soft and
    hard signs and in-word apostrophes fixed first), the rest by unidecode. Word lists
    written in Greek or Cyrillic are read through this same function."""
    if any("\u0370" <= c <= "\u03ff" or "\u1f00" <= c <= "\u1fff" for c in s):
        s = _GREEK_RUN.sub(_greek_word, s)
    if any("\u0400" <= c <= "\u04ff" for c in s):
        s = _CYR_APOSTROPHE.sub("", s)
        s = "".join(_CYR_SIGNS.get(c, c) for c in s)
    return unidecode(s)


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


_FOLD = (
    ("ts", "c"), ("c", "k"), ("q", "k"), ("ph", "f"), ("w", "v"), ("y", "i"), ("j", "i"),
    ("x", "ks"),
)


def fold_words(text: str, written: str = "") -> str:
    """:func:`fold` word by word, with every everyday word of the word lists' languages
    (``lexicon.REAL_WORDS``) left out as ``0``: spelling-blind reading is for misspelt
    and transliterated words, and ``kyltti`` (Finnish, "sign") is neither, though folded
    it begins like ``kill``. A word written in Greek or Cyrillic letters is read whatever
    it transliterates to (``валйа`` is Swedish "välja" typed in Cyrillic, though
    ``valia`` is a word too). ``written``: :attr:`Normalized.written` where ``text`` is
    the normalised text. Word count and order are kept."""
    folded = fold(text)  # fold keeps words apart: word i of one is word i of the other
    words = text.split(" ")
    if REAL_WORDS.isdisjoint(words):
        return folded
    out = folded.split(" ")
    if len(out) != len(words):  # cannot happen; never mask the wrong word
        return folded
    scripts = written.split(" ") if written and written is not text else []
    if len(scripts) != len(words):
        scripts = []
    for i, w in enumerate(words):
        if w in REAL_WORDS and not (scripts and _NONLATIN_WORD.search(scripts[i])):
            out[i] = "0"
    return " ".join(out)


def fold(s: str) -> str:
    """A spelling-blind form of lower-case ASCII text for scene words: ``ts``/``c``/``k``/``q``,
    ``y``/``i``, ``w``/``v`` merged, doubles collapsed and ``kh`` read as ``h``, so a
    misspelt word or one transliterated back from another script (``Грапхик саыинг`` ->
    ``grapkhik saiing``) reads like the word lists."""
    for a, b in _FOLD:
        s = s.replace(a, b)
    return collapse_doubles(s).replace("kh", "h")


# Greek typed in Latin letters (Greeklish) back to Greek letters, so that it reads through
# translit() like the Greek word lists: h for eta, w for omega, 3 for xi, 8 for theta.
_GREEKLISH_DI = {"th": "θ", "ch": "χ", "ps": "ψ", "ks": "ξ"}
_GREEKLISH = dict(zip("abcdefghijklmnopqrstuvwxyz38",
                      "αμσδεφγηιτκλμνοπκρστυβωχυζξθ", strict=True))
_GREEKLISH["b"], _GREEKLISH["j"] = "μπ", "τζ"
_LATIN_WORD = re.compile(r"[a-z38]*[a-z][a-z38]*")
# Greek short words as Greeklish writes them, none a common word elsewhere ("den", "mia",
# "sto" are): a prompt with none of them is not read as Greeklish (the reading costs a
# quarter of the rules' time on every prompt otherwise)
_GREEKLISH_WORDS = frozenset({
    "apo", "sth", "sthn", "stin", "ston", "stis", "stous", "thn", "tou", "tous", "kai", "gia",
    "einai", "otan", "enas", "fetos", "mporeite", "mporeis",
})


def _greeklish_word(m: re.Match[str]) -> str:
    w, out, i = m.group(0), [], 0
    while i < len(w):
        if w[i : i + 2] in _GREEKLISH_DI:
            out.append(_GREEKLISH_DI[w[i : i + 2]])
            i += 2
        else:
            out.append(_GREEKLISH[w[i]])
            i += 1
    return "".join(out)


def greeklish(s: str) -> str:
    """Latin words (lower-case ASCII, digits 3 and 8 inside them) read as Greeklish and
    transliterated back the way Greek text is: ``e3w`` -> εξω -> exo."""
    return translit(_LATIN_WORD.sub(_greeklish_word, s))


# Greek letters standing for another language's sounds, as that language's writers spell
# them in Greek: tau-zeta for j (``τζε`` is Croatian "je", ``τζινħαρκου`` Maltese
# "jinħarqu"), mu-pi and gamma-kappa for b and g, nu-tau for d only where a word starts
# (``ντρουγκι``, drugi) and nt inside one (``κεντρου``, centru), beta for v.
_GREEK_AS_LATIN_DI = {"τζ": "j", "μπ": "b", "γκ": "g", "γγ": "ng", "τσ": "c", "ου": "u"}
_GREEK_AS_LATIN = {**_GREEK, "η": "i", "υ": "i", "ω": "o", "χ": "h"}
_GREEK_LETTERS = re.compile(r"[\u0370-\u03ff\u1f00-\u1fff]")


def _greek_as_latin_word(m: re.Match[str]) -> str:
    w = "".join(c for c in unicodedata.normalize("NFD", m.group(0)) if not unicodedata.combining(c))
    w = w.lower()
    out: list[str] = []
    i = 0
    while i < len(w):
        two = w[i : i + 2]
        if two == "ντ" and w[i + 1 : i + 3] != "τζ":
            lat, step = ("d" if i == 0 else "nt"), 2
        elif two in _GREEK_AS_LATIN_DI:
            lat, step = _GREEK_AS_LATIN_DI[two], 2
        else:
            lat, step = _GREEK_AS_LATIN.get(w[i], w[i]), 1
        out.append(lat)
        i += step
    return "".join(out)


def greek_as_latin(s: str) -> str:
    """Greek letters read as a Latin-script language written in them (a script evasion:
    Croatian or Maltese typed in Greek letters), the rest as :func:`translit` reads it."""
    return unidecode(_GREEK_RUN.sub(_greek_as_latin_word, s))


# Greek or Cyrillic letters with evasion punctuation or single spaces between them
# (``ε.κ.λ.ο.γ.ι.κ.ο.ύ``): joined before they are transliterated, so that the digraphs
# read as in the word (``ου`` is u, not "o y")
_NONLATIN_L = r"[\u0370-\u03ff\u1f00-\u1fff\u0400-\u04ff]"
_NONLATIN_INWORD = re.compile(
    rf"(?<={_NONLATIN_L})[.\-_*·•'’`´^~:;,/\\|]+(?={_NONLATIN_L})"
)
_NONLATIN_SPACED = re.compile(
    rf"(?<![\w])(?:{_NONLATIN_L}[\u0300-\u036f]*[ .\-_*·]{{1,3}}){{2,}}"
    rf"{_NONLATIN_L}[\u0300-\u036f]*(?![\w])"
)


def _join_nonlatin(s: str) -> str:
    s = _NONLATIN_INWORD.sub("", s)
    return _NONLATIN_SPACED.sub(lambda m: re.sub(r"[ .\-_*·]", "", m.group(0)), s)


_WORD_U = re.compile(r"[^\W_]+")
_NONLATIN_WORD = re.compile(_NONLATIN_L)


def written_form(word: str) -> str:
    """A word as its own letters spell it, for entries written ``=...``: lower case with
    Latin accents kept (``muša`` is not ``musa``), Greek without stress marks and with one
    sigma (``αίματος`` -> ``αιματοσ``: Greek typed without accents is the same word), and
    no apostrophe inside a Cyrillic word (``б'є`` -> ``бє``)."""
    w = unicodedata.normalize("NFC", _CYR_APOSTROPHE.sub("", word).lower())
    if _GREEK_LETTERS.search(w):
        w = "".join(
            c for c in unicodedata.normalize("NFD", w) if not unicodedata.combining(c)
        ).replace("ς", "σ")
        w = unicodedata.normalize("NFC", w)
    return w


# Scripts read by their own letters (issue 19: languages beyond Europe's). unidecode
# writes Chinese and Japanese characters as Mandarin syllables, where homophones collide
# (逮捕 "arrest" and 带不 "cannot carry" are both "dai bu"), Arabic, Persian and Hebrew
# without their vowels and with the article and prepositions fused on, and Thai, Chinese
# and Japanese put no spaces between words. For the word lists these letters are read
# as one code each ("q" and the code point in six digits) inside the prompt's
# :attr:`Normalized.own` reading, and entries written in those scripts are read the same
# way, matching anywhere inside a word (a particle or article joined to it, a compound).
# Names are still read through unidecode (``text``), where a Hindi or Korean spelling of a
# Latin name can come close enough to it.
_OWN_SCRIPTS = (
    "\u0590-\u05ff"  # Hebrew
    "\u0600-\u06ff\u0750-\u077f\u08a0-\u08ff"  # Arabic, Persian, Urdu
    "\u0900-\u0dff"  # Devanagari, Bengali ... Malayalam, Sinhala
    "\u0e00-\u0eff\u1000-\u109f\u1780-\u17ff"  # Thai, Lao, Myanmar, Khmer
    "\u1100-\u11ff\u3130-\u318f\uac00-\ud7af"  # Hangul
    "\u3040-\u30ff\u31f0-\u31ff"  # Hiragana, Katakana
    "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002fa1f"  # CJK ideographs
)
_OWN_SCRIPT = re.compile(f"[{_OWN_SCRIPTS}]")
_OWN_RUN = re.compile(f"[{_OWN_SCRIPTS}]+")
# a letter's code, and the pattern that finds one (its code point in the group)
OWN_CODE = re.compile(r"q(\d{6})")


def own_code(ch: str) -> str:
    return f"q{ord(ch):06d}"


# Hiragana, katakana and CJK ideographs: the scripts that write a name without spaces
KANA_CJK = "\u3040-\u30ff\u3400-\u9fff"
# written or left out as the writer pleases: Arabic vowel signs and the tatweel that
# stretches a word, Hebrew points, the nukta of Indic scripts
_OWN_OPTIONAL = frozenset(
    [chr(c) for c in range(0x064B, 0x0660)] + ["\u0670", "\u0640"]
    + [chr(c) for c in range(0x0591, 0x05C8) if c not in (0x05BE, 0x05C0, 0x05C3, 0x05C6)]
    + ["\u093c", "\u09bc", "\u0a3c", "\u0abc", "\u0b3c"]
)
# one letter, several ways to write it: Arabic alef with hamza or madda, alef maksura and
# Persian yeh, Persian kaf, teh marbuta, Urdu goal heh (not its do-chashmi heh, which marks
# aspiration: پھاڑ is not پہاڑ) and yeh; Hebrew final forms (so that a
# stem matches the word with an ending); chandrabindu as anusvara
_OWN_SAME = str.maketrans({
    "\u0623": "\u0627", "\u0625": "\u0627", "\u0622": "\u0627", "\u0671": "\u0627",
    "\u0649": "\u064a", "\u06cc": "\u064a", "\u06d2": "\u064a", "\u0626": "\u064a",
    "\u06a9": "\u0643", "\u0629": "\u0647", "\u06c0": "\u0647", "\u06c1": "\u0647",
    "\u0624": "\u0648",
    "\u05da": "\u05db", "\u05dd": "\u05de", "\u05df": "\u05e0", "\u05e3": "\u05e4",
    "\u05e5": "\u05e6",
    "\u0901": "\u0902", "\u0981": "\u0982",
})


# Chinese written in traditional characters (Taiwan, Hong Kong) read as simplified, for
# the characters of the word lists' entries and the words around them: one entry serves
# both (選舉 and 选举, "election"). Japanese kanji that share a traditional form are read
# the same way in entries and prompts alike.
_TRADITIONAL = (
    "選舉統總銬監獄車護醫輪擔臟發風毆擊槍開襲傷對燒毀銷棄丟進偽調關閉門暫遷遲網線簡訊話錄"
    "聲長黨領導議員說釋麼為紹諷畫惡戲虛構鄰處點區現屆當視頻圖製報務幫讓們這個來時會從後裡"
    "裏與將給還沒請應無機電郵張擠搶亂號碼簽擁贊競爭勝敗辭參變遊貼傳單隊廳樓縣鄉鎮場廣嗎鬥"
    "殺彈劍腳灑滅撲竊賄賂買賣騙詐謠誤攝紀實證據顯雖劃舊檔邊體髮鬍臉淚紅綠藍黃盤"
)
_SIMPLIFIED = (
    "选举统总铐监狱车护医轮担脏发风殴击枪开袭伤对烧毁销弃丢进伪调关闭门暂迁迟网线简讯话录"
    "声长党领导议员说释么为绍讽画恶戏虚构邻处点区现届当视频图制报务帮让们这个来时会从后里"
    "里与将给还没请应无机电邮张挤抢乱号码签拥赞竞争胜败辞参变游贴传单队厅楼县乡镇场广吗斗"
    "杀弹剑脚洒灭扑窃贿赂买卖骗诈谣误摄纪实证据显虽划旧档边体发胡脸泪红绿蓝黄盘"
)
_OWN_SAME.update({ord(t): s for t, s in zip(_TRADITIONAL, _SIMPLIFIED, strict=True)})


def _own_run(m: re.Match[str]) -> str:
    out: list[str] = []
    for ch in m.group(0).translate(_OWN_SAME):
        if ch in _OWN_OPTIONAL:
            continue
        if unicodedata.category(ch)[0] in "LM":
            out.append(own_code(ch))
        else:  # punctuation and digits of these scripts: read as unidecode reads them
            out.append(f" {ch} ")
    return " " + "".join(out) + " "


def has_own_script(s: str) -> bool:
    """Whether ``s`` has letters of a script read by its own letters (see above)."""
    return _OWN_SCRIPT.search(s) is not None


def own_script_coded(s: str) -> str:
    """``s`` with every run of those scripts' letters written as their codes (the
    zero-width joiners Persian writes inside words left out, as prompts lose them)."""
    return _OWN_RUN.sub(_own_run, s.replace("\u200c", "").replace("\u200d", ""))


def own_script_decoded(s: str) -> str:
    """The letters behind the codes, for a reason a person reads."""
    return OWN_CODE.sub(lambda m: chr(int(m.group(1))), s)


_ANY_WRITTEN: re.Pattern[str] | None = None


def _needs_written(s: str, text: str) -> bool:
    """Whether the written words can change an answer: an entry in its own letters occurs
    in the prompt, or a word the spelling-blind reading leaves out may be a Greek or
    Cyrillic one (lining the words up costs a transliteration per word)."""
    global _ANY_WRITTEN
    if _ANY_WRITTEN is None:
        stems = sorted({written_form(w) for w in WRITTEN_STEMS}, key=len, reverse=True)
        _ANY_WRITTEN = re.compile("|".join(map(re.escape, stems)) or r"(?!)")
    if _ANY_WRITTEN.search(written_form(s)):
        return True
    return bool(_NONLATIN_WORD.search(s)) and not REAL_WORDS.isdisjoint(text.split(" "))


def _written(s: str, text: str) -> str:
    """The words of ``s`` as written, one per word of ``text`` (a written word that
    transliterates to two words stands for both), or "" where they do not line up."""
    if not _needs_written(s, text):
        return ""
    if s.isascii():
        return text  # nothing to keep: every word is written as it reads
    tokens = text.split(" ")
    out: list[str] = []
    for m in _WORD_U.finditer(_CYR_APOSTROPHE.sub("", s)):
        w = m.group(0)
        if w.isascii():
            low = w.lower()
            form = low
        else:
            low = translit(w).lower()
            form = written_form(w)
        parts = [t for t in _NONWORD.split(_REPEAT3.sub(r"\1", low)) if t]
        if tokens[len(out) : len(out) + len(parts)] != parts:
            return ""
        out.extend([form] * len(parts))
    return " ".join(out) if len(out) == len(tokens) else ""


# Emoji standing for a scene's words ("🗳️🔥 behind city hall", "the president 🚔⛓️"):
# read as the English words, which every list holds. One inside a word is evasion
# punctuation and is left out first (``_strip_format``: "Ker🔥tész").
EMOJI_WORDS: dict[str, str] = {
    "\U0001f5f3": "ballot box", "\U0001f525": "burning", "\U0001f5d1": "trash",
    "\U0001f6ae": "trash", "\U0001f694": "police car", "\U0001f693": "police car",
    "\U0001f46e": "police", "\U0001f6a8": "police", "\u26d3": "in chains",
    "\U0001f512": "locked", "\U0001f510": "locked", "\U0001f6ab": "closed",
    "\u26d4": "closed", "\U0001f3e5": "hospital", "\U0001f691": "ambulance",
    "\U0001f9bd": "wheelchair", "\U0001f9bc": "wheelchair", "\U0001f915": "injured",
    "\U0001f480": "dead", "\u2620": "dead", "\U0001f52a": "knife", "\U0001f5e1": "knife",
    "\U0001f52b": "gun", "\U0001f44a": "punch", "\U0001f91c": "punch",
    "\U0001f91b": "punch", "\U0001f94a": "punch", "\U0001f4a3": "bomb",
    "\U0001fa78": "blood", "\U0001f4de": "phone call", "\u260e": "phone call",
    "\U0001f4f2": "text message", "\U0001f4e9": "text message", "\U0001f4e7": "email",
    "\U0001f399": "voice", "\U0001f30a": "flooded",
}
_EMOJI = re.compile("|".join(map(re.escape, EMOJI_WORDS)))


def _emoji_words(s: str) -> str:
    return _EMOJI.sub(lambda m: f" {EMOJI_WORDS[m.group(0)]} ", s)


# Where a Latin word meets letters of those scripts, or katakana meets hiragana or
# kanji, a word ends: Japanese and Chinese write a name straight before its particle
# ("Karimiが", "カリミが", "Karimi被捕"), which transliterated would be one word.
_SCRIPT_SEAM = re.compile(
    rf"(?<=[A-Za-z])(?=[{_OWN_SCRIPTS}])|(?<=[{_OWN_SCRIPTS}])(?=[A-Za-z])"
    r"|(?<=[\u30a0-\u30fa\u30fc-\u30ff])(?=[\u3040-\u309f\u3400-\u9fff])"
    r"|(?<=[\u3040-\u309f\u3400-\u9fff])(?=[\u30a0-\u30fa\u30fc-\u30ff])"
)


def normalize(prompt: str) -> Normalized:
    s = unicodedata.normalize("NFKC", prompt)
    s = _strip_format(s)
    if _EMOJI.search(s):
        s = _emoji_words(s)
    own_letters = has_own_script(s)  # nothing below removes or adds such letters
    if own_letters:
        s = _SCRIPT_SEAM.sub(" ", s)
    s = _WORDISH.sub(lambda m: _fold_word(m.group(0)), s)
    # before the digits are read as leet: Greeklish writes xi as 3 and theta as 8
    raw = s.lower()  # Greeklish is read from here (see greeklish() below)
    s = _WORDISH.sub(lambda m: _deleet(m.group(0)), s)
    cased = translit(s)
    low = cased.lower()
    low = _REPEAT3.sub(r"\1", low)
    text = " ".join(_NONWORD.split(low)).strip()
    joined_src = _join_nonlatin(s)
    if joined_src != s:  # Greek or Cyrillic cut up by punctuation: joined in its own script
        low = _REPEAT3.sub(r"\1", translit(joined_src).lower())
    j = _INWORD.sub("", low)
    j = _SPACED.sub(lambda m: re.sub(r"[^a-z]", "", m.group(0)), j)
    joined = " ".join(_NONWORD.split(j)).strip()
    cased_tokens = tuple(t for t in re.split(r"[^A-Za-z0-9]+", cased) if t)
    written = _written(s, text) if text else ""
    own = ""
    if own_letters:
        own = _REPEAT3.sub(r"\1", translit(own_script_coded(s)).lower())
        own = " ".join(_NONWORD.split(own)).strip()
    return Normalized(
        original=prompt,
        text=text,
        joined=joined,
        tokens=tuple(joined.split()),
        cased_tokens=cased_tokens,
        # (a prompt with letters read by their own: its Latin words, those letters left out)
        folded=fold_words(" ".join("0" if OWN_CODE.match(w) else w for w in own.split()))
        if own else fold_words(text, written),
        greeklish=fold(" ".join(_NONWORD.split(greeklish(raw).lower())).strip())
        if not _GREEKLISH_WORDS.isdisjoint(_NONWORD.split(raw)) else "",
        greek_as_latin=fold(" ".join(_NONWORD.split(greek_as_latin(raw))).strip())
        if _GREEK_LETTERS.search(raw) else "",
        written=written,
        own=own,
    )
