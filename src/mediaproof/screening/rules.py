"""Rules over the normalised text: which scenario words, roles and guards occur where."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from mediaproof.screening import lexicon as lx
from mediaproof.screening.normalize import (
    OWN_CODE,
    fold,
    has_own_script,
    own_code,
    own_script_coded,
    translit,
    written_form,
)


def _codes(letters: str) -> str:
    return "(?:" + "|".join(own_code(c) for c in letters) + ")"


# Arabic and Hebrew write the article, "and" and some prepositions as part of the word:
# an entry in those scripts begins a word, or follows these (Arabic "wa-", "fa-", "sa-",
# "bi-", "li-", "ka-", "al-"; Hebrew "ve-", "she-", "ha-", "be-", "le-", "mi-", "ke-").
# Elsewhere (Chinese, Japanese, Thai without spaces; Hindi or Korean compounds) an entry
# matches inside a word.
_ARABIC_PROCLITICS = (
    f"{_codes('وف')}?{_codes('سبلك')}?(?:{_codes('ا')}{_codes('ل')}|{_codes('ل')})?"
)
_HEBREW_PROCLITICS = f"{_codes('ושהבלמכ')}{{0,3}}"


# how a coded entry's expression begins, longest first: one expression per beginning,
# so that the compiler reads the beginning once for all of that expression's entries
_OWN_STARTS = (r"\b" + _ARABIC_PROCLITICS, r"\b" + _HEBREW_PROCLITICS, r"\b")


def _own_start(code: str) -> str:
    """What may stand before an entry's first word in those scripts: the proclitics of
    Arabic and Hebrew after a word's start, or (elsewhere) anything."""
    ch = chr(int(code))
    if "\u0600" <= ch <= "\u08ff":
        return r"\b" + _ARABIC_PROCLITICS
    if "\u0590" <= ch <= "\u05ff":
        return r"\b" + _HEBREW_PROCLITICS
    return ""


def _pattern(entry: str, tail: int | None = None) -> str:
    # entries may be written in their own script: they are read the way prompts are
    # (Greek and Cyrillic transliterated; the scripts read by their own letters as codes,
    # which only the prompt's ``own`` reading holds)
    # "^": an entry in those scripts that must begin a word (Persian ``^رای``, "vote", is
    # the end of ``برای``, "for")
    anchored = entry.startswith("^")
    if anchored and not has_own_script(entry):
        raise ValueError(f"word list entry {entry!r}: '^' is for scripts read by their letters")
    entry = translit(own_script_coded(entry.lstrip("^"))).lower()
    entry = re.sub(r"\s+\$", "$", entry)  # "השר$": the mark after a run of codes
    # split where the prompt's text is split: "sms-ben", "прем'єр" read as the text does;
    # a word ending in "$" is whole ("bi$ bat$": Vietnamese "bị bắt", not "big bats")
    words: list[str] = []
    whole: list[bool] = []
    for token in entry.split():
        sub = [w for w in re.split(r"[^a-z0-9]+", token.rstrip("$")) if w]
        words += sub
        whole += [False] * (len(sub) - 1) + [token.endswith("$")] if sub else []
    codes = [m.group(1) if (m := OWN_CODE.match(w)) else "" for w in words]
    coded = [bool(c) for c in codes]
    parts = [
        re.escape(w) + ("" if exact else r"\w*") for w, exact in zip(words, whole, strict=True)
    ]
    rest = r"\w*" if tail is None else rf"\w{{0,{tail}}}"
    parts[-1] = re.escape(words[-1]) + ("" if whole[-1] or coded[-1] else rest)
    # a coded entry: see _own_start ("^": the word's start, nothing joined before it);
    # no boundary after it (unless "$"), so that a match is only its own letters, not the
    # rest of a sentence that Chinese or Thai writes without spaces
    # (a later word follows a space: it begins a word, its proclitics written in it)
    out = r"\b" if not coded[0] or anchored else _own_start(codes[0])
    out += r"\s+(?:\w+\s+){0,1}".join(parts)
    return out + ("" if coded[-1] and not whole[-1] else r"\b")


_NEVER = re.compile(r"(?!)")


class Lexicon:
    """One word list compiled into one regular expression (longest alternatives first), and
    the same list spelling-blind (:func:`normalize.fold`) for text read that way.

    An entry written ``=word`` (``=word$`` for the whole word) matches only a word spelt
    with the same letters, accents included (:func:`normalize.written_form`): for a word
    whose unaccented or transliterated form is another language's everyday word
    (Lithuanian ``muša``, "beats", and ``musa``, "muse"; Bulgarian ``бате``, "brother",
    and ``bate``, "beats"). Such entries are never read spelling-blind."""

    def __init__(self, name: str, entries: list[str]) -> None:
        self.name = name
        uniq = sorted({e for e in entries if e.strip()}, key=len, reverse=True)
        own = [e for e in uniq if has_own_script(e)]
        plain = [e for e in uniq if not e.startswith("=") and e not in own]
        written = [e[1:] for e in uniq if e.startswith("=")]
        # every plain alternative begins with \b, which the compiler then tests once per
        # position for all of them; the entries in the scripts read by their own letters
        # are more expressions, run only on a reading that has codes, one for each way
        # an entry begins (_OWN_STARTS; the rest all begin with a code's "q"). Mixed, the
        # alternatives share no beginning and each is tried at every position: the
        # rules were 8x slower on Latin prompts, 2.5x on the world part's.
        self.regex = re.compile("|".join(_pattern(e) for e in plain)) if plain else _NEVER
        groups: dict[str, list[str]] = {}
        for pat in (_pattern(e) for e in own):
            start = next((pre for pre in _OWN_STARTS if pat.startswith(pre)), "")
            groups.setdefault(start, []).append(pat)
        self.own: tuple[re.Pattern[str], ...] = tuple(
            re.compile("|".join(group)) for group in groups.values()
        )
        self.written: re.Pattern[str] | None = (
            re.compile("|".join(_written_pattern(e) for e in written)) if written else None
        )
        self._entries = plain
        self._folded: re.Pattern[str] | None = None

    @property
    def folded(self) -> re.Pattern[str]:
        if self._folded is None:  # built on first use: most lexicons never need it
            # entries in the scripts read by their own letters are read only that way
            ents = sorted({_fold_entry(e) for e in self._entries}, key=len, reverse=True)
            alts = [_pattern(e, _folded_tail(e)) for e in ents if e.strip("$ ")]
            self._folded = re.compile("|".join(alts)) if alts else _NEVER
        return self._folded

    def _rx(self, folded: bool) -> re.Pattern[str]:
        return self.folded if folded else self.regex

    def find(self, text: str, folded: bool = False, written: str = "") -> list[tuple[int, int]]:
        """Spans in ``text``; ``written``: the prompt's words as written
        (:attr:`normalize.Normalized.written`) where ``text`` is its normalised text, for
        the ``=`` entries."""
        spans = [m.span() for m in self._rx(folded).finditer(text)]
        if written and self.written is not None and not folded:
            spans = sorted(spans + _written_spans(self.written, text, written))
        if self.own and not folded and _has_codes(text):
            spans = sorted(spans + [m.span() for rx in self.own for m in rx.finditer(text)])
        return spans

    def first(
        self, text: str, folded: bool = False, written: str = ""
    ) -> tuple[int, int] | None:
        m = self._rx(folded).search(text)
        span = m.span() if m else None
        if written and self.written is not None and not folded:
            extra = _written_spans(self.written, text, written)
            if extra and (span is None or extra[0] < span):
                span = extra[0]
        if self.own and not folded and _has_codes(text):
            for rx in self.own:
                m = rx.search(text)
                if m and (span is None or m.span() < span):
                    span = m.span()
        return span


@functools.lru_cache(maxsize=16)
def _has_codes(text: str) -> bool:
    """Whether ``text`` is a reading with letters of the scripts read by their own
    letters (:attr:`normalize.Normalized.own`): asked of every list, answered once."""
    return OWN_CODE.search(text) is not None


def _written_pattern(entry: str) -> str:
    whole = entry.endswith("$")
    word = written_form(entry.rstrip("$"))
    if not word or not re.fullmatch(r"[^\W_]+", word):
        raise ValueError(f"word list entry ={entry!r}: one word, in letters")
    return r"(?<![^ ])" + re.escape(word) + ("" if whole else r"[^\W_]*") + r"(?![^ ])"


def _written_spans(rx: re.Pattern[str], text: str, written: str) -> list[tuple[int, int]]:
    """Spans in ``text`` of the words whose written form ``rx`` matches (the two hold the
    same number of words, space-separated)."""
    if written is text:
        return [m.span() for m in rx.finditer(text)]
    found = {written.count(" ", 0, m.start()) for m in rx.finditer(written)}
    if not found:
        return []
    out: list[tuple[int, int]] = []
    pos = 0
    for i, tok in enumerate(text.split(" ")):
        if i in found:
            out.append((pos, pos + len(tok)))
        pos += len(tok) + 1
    return out


# Spelling-blind, a short stem is a different word's beginning too often ("kill" is
# "kil", the start of "kilometre"): read that way, a stem this short may be followed by
# an ending of at most FOLDED_TAIL letters ("psif-isete" is Greeklish "you vote"), not by
# a whole other word.
FOLDED_SHORT = 4
FOLDED_TAIL = 5


def _folded_tail(folded_entry: str) -> int | None:
    last = folded_entry.rstrip("$").rsplit(" ", 1)[-1]
    return FOLDED_TAIL if len(last) <= FOLDED_SHORT else None


def _fold_entry(entry: str) -> str:
    whole = entry.endswith("$")
    words = re.split(r"[^a-z0-9~]+", translit(entry.rstrip("$")).lower())
    out = " ".join(fold(w) for w in words if w)
    return out + ("$" if whole else "")


ARREST = Lexicon("arrest", lx.ARREST)
HEALTH = Lexicon("health", lx.HEALTH)
VIOLENCE = Lexicon("violence", lx.VIOLENCE)
BALLOT_OBJECT = Lexicon("ballot_object", lx.BALLOT_OBJECT)
BALLOT_HARM = Lexicon("ballot_harm", lx.BALLOT_HARM)
POLLING_PLACE = Lexicon("polling_place", lx.POLLING_PLACE)
POLLING_FALSE = Lexicon("polling_false", lx.POLLING_FALSE)
VOTE = Lexicon("vote", lx.VOTE_WORDS)
FALSE_INSTRUCTION = Lexicon("false_instruction", lx.FALSE_INSTRUCTION)
ENDORSE = Lexicon("endorsement", lx.ENDORSE)
ROBOCALL = Lexicon("robocall", lx.ROBOCALL)
ROLE = Lexicon("role", lx.ROLE)
ROLE_SPECIFIC = Lexicon("role_specific", lx.ROLE_SPECIFIC)
_ARTICLES = {"the", "der$", "die$", "des$", "le$", "la$", "du$", "de la", "el$", "del$", "il$",
             "lo$", "do$", "da$", "het$", "of the united", "of this", "former"}
ROLE_CURRENT = Lexicon("role_current", [e for e in lx.ROLE_SPECIFIC if e not in _ARTICLES])
# where an office-holder's being in office is said after the title ("il presidente
# uscente", "le maire sortant", "el presidente en funciones")
ROLE_CURRENT_AFTER = Lexicon("role_current_after", [
    "actual$", "actuel", "attuale", "atual$", "actualul", "sortant", "uscente", "saliente",
    "cessante", "en exercice", "in carica", "em exercicio", "en funciones", "in functie",
    "in office", "outgoing",
    # after the title in Arabic, Persian, Hebrew, Thai, Indonesian, Vietnamese, Swahili
    "الحالي", "الحالية", "فعلی", "کنونی", "הנוכחי", "הנוכחית", "המכהן", "המכהנת", "ปัจจุบัน",
    "saat ini", "sekarang", "petahana", "hien$ tai$", "duong$ nhiem$", "wa sasa",
    "aliyeko madarakani", "aliye madarakani",
])
DESCRIPTOR = Lexicon("descriptor", lx.DESCRIPTOR)
SATIRE = Lexicon("satire", lx.SATIRE)
FICTION = Lexicon("fiction", lx.FICTION)
EXPLAIN = Lexicon("explain", lx.EXPLAIN)
MEDIA = Lexicon("media", lx.MEDIA)
ARREST_SCENE = Lexicon("arrest_scene", lx.ARREST_SCENE)
HEALTH_SCENE = Lexicon("health_scene", lx.HEALTH_SCENE)
VIOLENCE_SCENE = Lexicon("violence_scene", lx.VIOLENCE_SCENE)
BALLOT_MATERIAL = Lexicon("ballot_material", lx.BALLOT_MATERIAL)
BALLOT_DISPOSAL = Lexicon("ballot_disposal", lx.BALLOT_DISPOSAL)
VOTE_DENIED = Lexicon("vote_denied", lx.VOTE_DENIED)
REMOTE_VOTE = Lexicon("remote_vote", lx.REMOTE_VOTE)
CHOICE = Lexicon("choice", lx.CHOICE)
CHANNEL = Lexicon("channel", lx.CHANNEL)
LEAD_VERB = Lexicon("lead_verb", lx.LEAD_VERB)
POLITY = Lexicon("polity", lx.POLITY)
GROUP_SPLIT = Lexicon("group_split", lx.GROUP_SPLIT)
LATER_DAY = Lexicon("later_day", lx.LATER_DAY)

WEEKDAY = re.compile(
    r"\b(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday|montag|dienstag|mittwoch|"
    r"donnerstag|freitag|samstag|sonntag|lundi|mardi|mercredi|jeudi|vendredi|samedi|dimanche|"
    r"lunes|martes|miercoles|jueves|viernes|sabado|domingo|lunedi|martedi|mercoledi|giovedi|"
    r"venerdi|segunda|terca|quarta|quinta|sexta|maandag|dinsdag|woensdag|donderdag|vrijdag|"
    r"zaterdag|zondag|poniedzial\w*|wtor\w*|srod\w*|czwart\w*|piat\w*|sobot\w*|niedziel\w*|"
    r"mandag|tisdag|tirsdag|onsdag|torsdag|fredag|lordag|sondag|luni|marti|miercuri|joi|vineri|"
    r"sambata|duminica)\b"
)

# Scenarios that harm a person: they need a person (named or described) to matter.
PERSON_SCENARIOS: dict[str, Lexicon] = {
    "arrest": ARREST,
    "health": HEALTH,
    "violence": VIOLENCE,
    "endorsement": ENDORSE,
    "robocall": ROBOCALL,
}
# The same scenes said in other words (a squad car, slumped and not moving, shoving).
SCENE_PARAPHRASES: tuple[tuple[str, Lexicon], ...] = (
    ("arrest", ARREST_SCENE), ("health", HEALTH_SCENE), ("violence", VIOLENCE_SCENE),
)
# Scenarios about the vote itself: deceptive with or without a person.
ELECTION_SCENARIOS = ("ballots", "polling", "instructions")


@dataclass(frozen=True)
class Hit:
    rule: str  # e.g. "scenario.arrest", "role", "guard.satire"
    start: int  # span in Normalized.text
    end: int


def scenario_hits(
    text: str, original: str, folded: bool = False, written: str = ""
) -> list[Hit]:
    """Scenario rule hits in ``text`` (normalised, or folded where ``folded``); the original
    is read for its shape; ``written``: the words of ``text`` as written, for the ``=``
    entries (only where ``text`` is the normalised text)."""
    hits: list[Hit] = []
    for name, lex in (*PERSON_SCENARIOS.items(), *SCENE_PARAPHRASES):
        for a, b in lex.find(text, folded, written):
            hits.append(Hit(f"scenario.{name}", a, b))
    obj = BALLOT_OBJECT.first(text, folded, written) or BALLOT_MATERIAL.first(text, folded, written)
    harm = BALLOT_HARM.first(text, folded, written) or BALLOT_DISPOSAL.first(text, folded, written)
    if obj and harm:
        hits.append(Hit("scenario.ballots", min(obj[0], harm[0]), max(obj[1], harm[1])))
    place = POLLING_PLACE.first(text, folded, written)
    false = POLLING_FALSE.first(text, folded, written)
    if place and false:
        hits.append(Hit("scenario.polling", min(place[0], false[0]), max(place[1], false[1])))
    instr = FALSE_INSTRUCTION.first(text, folded, written)
    vote = VOTE.first(text, folded, written)
    denied = VOTE_DENIED.first(text, folded, written)
    if denied and (vote or place) and not (place and false):
        # "nobody can cast a vote here today, everyone must go to the sports hall"
        hits.append(Hit("scenario.polling", denied[0], denied[1]))
    remote = REMOTE_VOTE.first(text, folded, written)
    if instr and (vote or place):
        hits.append(Hit("scenario.instructions", instr[0], instr[1]))
    elif remote and (vote or CHOICE.first(text, folded, written)):
        # voting from afar by a channel that does not exist ("make your choice from home by
        # replying YES to this number")
        hits.append(Hit("scenario.instructions", remote[0], remote[1]))
    elif vote and len(days := _days_voted(text, folded, written)) >= 2:
        # different voting days for different voters ("Democrats vote Tuesday,
        # Republicans vote Wednesday"): two weekdays, each said right after a vote word
        # (not a schedule: "early voting runs Monday through Friday")
        hits.append(Hit("scenario.instructions", *days[0]))
    elif vote and (chan := _channel_near_vote(text, folded, written)) is not None:
        # "you can vote by SMS", "glasovati putem Vibera": a channel no election has. A
        # poster or an image of that is a deceptive scene; a sentence without a request for
        # media ("text me when the vote count is out") is only looked at
        rule = "scenario.instructions" if asks_for_media(text) else "scenario.channel"
        hits.append(Hit(rule, chan[0], chan[1]))
    elif vote and (group := GROUP_SPLIT.first(text, folded, written)) is not None and (
        WEEKDAY.search(text) or LATER_DAY.first(text, folded, written)
    ):
        # some voters sent to another day ("people with surnames A to M vote next Sunday",
        # "those born in odd years vote tomorrow"): a group, a vote word and a day
        hits.append(Hit("scenario.instructions", group[0], group[1]))
    return hits


def _days_voted(text: str, folded: bool, written: str) -> list[tuple[int, int]]:
    """Weekdays said right after a vote word (at most one word between: "vote Tuesday",
    "votes on Wednesday"), one span for each different day."""
    votes = [b for _, b in VOTE.find(text, folded, written)]
    out: dict[str, tuple[int, int]] = {}
    for m in WEEKDAY.finditer(text):
        before = [b for b in votes if b <= m.start()]
        if before and len(text[before[-1] : m.start()].split()) <= 1:
            out.setdefault(m.group(0)[:4], m.span())
    return list(out.values())


def _channel_near_vote(text: str, folded: bool, written: str) -> tuple[int, int] | None:
    """A voting channel that does not exist within five words of a vote word."""
    votes = VOTE.find(text, folded, written)
    for a, b in CHANNEL.find(text, folded, written):
        for va, vb in votes:
            gap = text[b:va] if va >= b else text[vb:a]
            if len(gap.split()) <= 5:
                return (a, b)
    return None


def role_hits(text: str, folded: bool = False) -> list[tuple[Hit, bool]]:
    """Role words (president, mayor, candidate...) and whether each is made specific by
    what stands just before it (the, our, current, Republican...) or by a descriptor.
    ``folded``: ``text`` is spelling-blind (:func:`normalize.fold`)."""
    out: list[tuple[Hit, bool]] = []
    described = DESCRIPTOR.first(text, folded) is not None
    for a, b in ROLE.find(text, folded):
        before = " ".join(text[:a].split()[-4:])
        if text[a:b] == "pm" and re.search(r"(?:\d|\bam)\s*$", text[:a]):
            continue  # "at 5 pm", "10 am to 2 pm": a time, not the prime minister
        after = text[b : b + 24]
        specific = (
            described
            or ROLE_SPECIFIC.first(before, folded) is not None
            or re.match(r"\s+(of|von|de|di|do|da|van|z|av|af|din)\s+\w", after) is not None
        )
        # "the current chancellor", "our president": a sitting office-holder, not a title
        current = (
            ROLE_CURRENT.first(before, folded) is not None
            or ROLE_CURRENT_AFTER.first(" ".join(text[b:].split()[:2]), folded) is not None
        )
        specific = specific or current
        out.append((Hit("role.current" if current else "role", a, b), specific))
    # "the woman who leads the Greens", "the man who has run the country for twelve years":
    # an office named by what its holder does points at one person as a title would
    for a, b in LEAD_VERB.find(text, folded):
        post = POLITY.first(text[b : b + 40], folded)
        # verb-final clauses put the polity first: "die die Grunen im Bundestag anfuhrt"
        pre = POLITY.find(text[max(0, a - 40) : a], folded)
        if post is not None:
            out.append((Hit("role.described", a, b + post[1]), True))
        elif pre:
            out.append((Hit("role.described", max(0, a - 40) + pre[-1][0], b), True))
    return out


def guard_hits(text: str, original: str) -> list[Hit]:
    hits = [Hit("guard.satire", a, b) for a, b in SATIRE.find(text)[:1]]
    hits += [Hit("guard.fiction", a, b) for a, b in FICTION.find(text)[:1]]
    ex = EXPLAIN.first(text)
    if ex:
        hits.append(Hit("guard.explain", ex[0], ex[1]))
    elif original.rstrip().endswith(("?", "？", "؟")):  # Latin, full-width, Arabic
        hits.append(Hit("guard.explain", len(text), len(text)))
    return hits


def asks_for_media(text: str) -> bool:
    return MEDIA.first(text) is not None


# ``=`` entries are read where scenes are (scenario_hits with the written words); a list
# read anywhere else would ignore them silently, so it may not hold any
_SCENE_LISTS = {
    *PERSON_SCENARIOS.values(), *(lex for _, lex in SCENE_PARAPHRASES), BALLOT_OBJECT,
    BALLOT_MATERIAL, BALLOT_HARM, BALLOT_DISPOSAL, POLLING_PLACE, POLLING_FALSE,
    FALSE_INSTRUCTION, VOTE, VOTE_DENIED, REMOTE_VOTE, CHOICE, CHANNEL, GROUP_SPLIT, LATER_DAY,
}
ALL_LEXICONS: tuple[Lexicon, ...] = tuple(
    v for v in globals().values() if isinstance(v, Lexicon)
)
_misplaced = [
    lex.name for lex in ALL_LEXICONS if lex.written is not None and lex not in _SCENE_LISTS
]
if _misplaced:
    raise ValueError(f"'=' entries in word lists not read as scenes: {', '.join(_misplaced)}")
del _misplaced


def only_spelling_blind(word: str) -> bool:
    """Whether a normalised word is one that no list holds as written and that some list's
    spelling-blind form matches: what ``lexicon_data/real_words.txt`` lists among
    everyday words (written by scripts/screening_real_words.py)."""
    if any(lex.regex.search(word) for lex in ALL_LEXICONS):
        return False
    folded = fold(word)
    return any(lex.folded.search(folded) for lex in ALL_LEXICONS)
