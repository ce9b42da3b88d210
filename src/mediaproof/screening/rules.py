"""Rules over the normalised text: which scenario words, roles and guards occur where."""

from __future__ import annotations

import re
from dataclasses import dataclass

from unidecode import unidecode

from mediaproof.screening import lexicon as lx


def _pattern(entry: str) -> str:
    # entries may be written in their own script: they are read the way prompts are
    entry = unidecode(entry).lower()
    whole = entry.endswith("$")
    words = entry.rstrip("$").strip().split()
    parts = [re.escape(w) + r"\w*" for w in words[:-1]]
    last = re.escape(words[-1]) + ("" if whole else r"\w*")
    return r"\b" + r"\s+(?:\w+\s+){0,1}".join([*parts, last]) + r"\b"


class Lexicon:
    """One word list compiled into one regular expression (longest alternatives first)."""

    def __init__(self, name: str, entries: list[str]) -> None:
        self.name = name
        uniq = sorted({e for e in entries if e.strip()}, key=len, reverse=True)
        self.regex = re.compile("|".join(_pattern(e) for e in uniq))

    def find(self, text: str) -> list[tuple[int, int]]:
        return [m.span() for m in self.regex.finditer(text)]

    def first(self, text: str) -> tuple[int, int] | None:
        m = self.regex.search(text)
        return m.span() if m else None


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
DESCRIPTOR = Lexicon("descriptor", lx.DESCRIPTOR)
SATIRE = Lexicon("satire", lx.SATIRE)
FICTION = Lexicon("fiction", lx.FICTION)
EXPLAIN = Lexicon("explain", lx.EXPLAIN)
MEDIA = Lexicon("media", lx.MEDIA)

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
# Scenarios about the vote itself: deceptive with or without a person.
ELECTION_SCENARIOS = ("ballots", "polling", "instructions")


@dataclass(frozen=True)
class Hit:
    rule: str  # e.g. "scenario.arrest", "role", "guard.satire"
    start: int  # span in Normalized.text
    end: int


def scenario_hits(text: str, original: str) -> list[Hit]:
    """Scenario rule hits in ``text`` (normalised); the original is read for its shape."""
    hits: list[Hit] = []
    for name, lex in PERSON_SCENARIOS.items():
        for a, b in lex.find(text):
            hits.append(Hit(f"scenario.{name}", a, b))
    obj, harm = BALLOT_OBJECT.first(text), BALLOT_HARM.first(text)
    if obj and harm:
        hits.append(Hit("scenario.ballots", min(obj[0], harm[0]), max(obj[1], harm[1])))
    place, false = POLLING_PLACE.first(text), POLLING_FALSE.first(text)
    if place and false:
        hits.append(Hit("scenario.polling", min(place[0], false[0]), max(place[1], false[1])))
    instr = FALSE_INSTRUCTION.first(text)
    vote = VOTE.first(text)
    if instr and (vote or place):
        hits.append(Hit("scenario.instructions", instr[0], instr[1]))
    elif vote:
        # different voting days for different voters ("Democrats vote Tuesday,
        # Republicans vote Wednesday"): two weekdays beside vote words
        days = {m.group(0)[:4] for m in WEEKDAY.finditer(text)}
        if len(days) >= 2:
            m = WEEKDAY.search(text)
            assert m is not None
            hits.append(Hit("scenario.instructions", m.start(), m.end()))
    return hits


def role_hits(text: str) -> list[tuple[Hit, bool]]:
    """Role words (president, mayor, candidate...) and whether each is made specific by
    what stands just before it (the, our, current, Republican...) or by a descriptor."""
    out: list[tuple[Hit, bool]] = []
    described = DESCRIPTOR.first(text) is not None
    for a, b in ROLE.find(text):
        before = " ".join(text[:a].split()[-4:])
        after = text[b : b + 24]
        specific = (
            described
            or ROLE_SPECIFIC.first(before) is not None
            or re.match(r"\s+(of|von|de|di|do|da|van|z|av|af|din)\s+\w", after) is not None
        )
        out.append((Hit("role", a, b), specific))
    return out


def guard_hits(text: str, original: str) -> list[Hit]:
    hits = [Hit("guard.satire", a, b) for a, b in SATIRE.find(text)[:1]]
    hits += [Hit("guard.fiction", a, b) for a, b in FICTION.find(text)[:1]]
    ex = EXPLAIN.first(text)
    if ex:
        hits.append(Hit("guard.explain", ex[0], ex[1]))
    elif original.rstrip().endswith("?"):
        hits.append(Hit("guard.explain", len(text), len(text)))
    return hits


def asks_for_media(text: str) -> bool:
    return MEDIA.first(text) is not None
