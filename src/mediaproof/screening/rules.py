"""Rules over the normalised text: which scenario words, roles and guards occur where."""

from __future__ import annotations

import re
from dataclasses import dataclass

from mediaproof.screening import lexicon as lx
from mediaproof.screening.normalize import fold, translit


def _pattern(entry: str) -> str:
    # entries may be written in their own script: they are read the way prompts are
    entry = translit(entry).lower()
    whole = entry.endswith("$")
    # split where the prompt's text is split: "sms-ben", "прем'єр" read as the text does
    words = [w for w in re.split(r"[^a-z0-9]+", entry.rstrip("$")) if w]
    parts = [re.escape(w) + r"\w*" for w in words[:-1]]
    last = re.escape(words[-1]) + ("" if whole else r"\w*")
    return r"\b" + r"\s+(?:\w+\s+){0,1}".join([*parts, last]) + r"\b"


class Lexicon:
    """One word list compiled into one regular expression (longest alternatives first), and
    the same list spelling-blind (:func:`normalize.fold`) for text read that way."""

    def __init__(self, name: str, entries: list[str]) -> None:
        self.name = name
        uniq = sorted({e for e in entries if e.strip()}, key=len, reverse=True)
        self.regex = re.compile("|".join(_pattern(e) for e in uniq))
        self._entries = uniq
        self._folded: re.Pattern[str] | None = None

    @property
    def folded(self) -> re.Pattern[str]:
        if self._folded is None:  # built on first use: most lexicons never need it
            ents = sorted({_fold_entry(e) for e in self._entries}, key=len, reverse=True)
            self._folded = re.compile("|".join(_pattern(e) for e in ents if e.strip("$ ")))
        return self._folded

    def _rx(self, folded: bool) -> re.Pattern[str]:
        return self.folded if folded else self.regex

    def find(self, text: str, folded: bool = False) -> list[tuple[int, int]]:
        return [m.span() for m in self._rx(folded).finditer(text)]

    def first(self, text: str, folded: bool = False) -> tuple[int, int] | None:
        m = self._rx(folded).search(text)
        return m.span() if m else None


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


def scenario_hits(text: str, original: str, folded: bool = False) -> list[Hit]:
    """Scenario rule hits in ``text`` (normalised, or folded where ``folded``); the original
    is read for its shape."""
    hits: list[Hit] = []
    for name, lex in (*PERSON_SCENARIOS.items(), *SCENE_PARAPHRASES):
        for a, b in lex.find(text, folded):
            hits.append(Hit(f"scenario.{name}", a, b))
    obj = BALLOT_OBJECT.first(text, folded) or BALLOT_MATERIAL.first(text, folded)
    harm = BALLOT_HARM.first(text, folded) or BALLOT_DISPOSAL.first(text, folded)
    if obj and harm:
        hits.append(Hit("scenario.ballots", min(obj[0], harm[0]), max(obj[1], harm[1])))
    place, false = POLLING_PLACE.first(text, folded), POLLING_FALSE.first(text, folded)
    if place and false:
        hits.append(Hit("scenario.polling", min(place[0], false[0]), max(place[1], false[1])))
    instr = FALSE_INSTRUCTION.first(text, folded)
    vote = VOTE.first(text, folded)
    denied = VOTE_DENIED.first(text, folded)
    if denied and (vote or place) and not (place and false):
        # "nobody can cast a vote here today, everyone must go to the sports hall"
        hits.append(Hit("scenario.polling", denied[0], denied[1]))
    remote = REMOTE_VOTE.first(text, folded)
    if instr and (vote or place):
        hits.append(Hit("scenario.instructions", instr[0], instr[1]))
    elif remote and (vote or CHOICE.first(text, folded)):
        # voting from afar by a channel that does not exist ("make your choice from home by
        # replying YES to this number")
        hits.append(Hit("scenario.instructions", remote[0], remote[1]))
    elif vote and (chan := _channel_near_vote(text, folded)) is not None:
        # "you can vote by SMS", "glasovati putem Vibera": a channel no election has. A
        # poster or an image of that is a deceptive scene; a sentence without a request for
        # media ("text me when the vote count is out") is only looked at
        rule = "scenario.instructions" if asks_for_media(text) else "scenario.channel"
        hits.append(Hit(rule, chan[0], chan[1]))
    elif vote and (group := GROUP_SPLIT.first(text, folded)) is not None and (
        WEEKDAY.search(text) or LATER_DAY.first(text, folded)
    ):
        # some voters sent to another day ("people with surnames A to M vote next Sunday",
        # "those born in odd years vote tomorrow"): a group, a vote word and a day
        hits.append(Hit("scenario.instructions", group[0], group[1]))
    elif vote:
        # different voting days for different voters ("Democrats vote Tuesday,
        # Republicans vote Wednesday"): two weekdays beside vote words
        days = {m.group(0)[:4] for m in WEEKDAY.finditer(text)}
        if len(days) >= 2:
            m = WEEKDAY.search(text)
            assert m is not None
            hits.append(Hit("scenario.instructions", m.start(), m.end()))
    return hits


def _channel_near_vote(text: str, folded: bool) -> tuple[int, int] | None:
    """A voting channel that does not exist within five words of a vote word."""
    votes = VOTE.find(text, folded)
    for a, b in CHANNEL.find(text, folded):
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
        after = text[b : b + 24]
        specific = (
            described
            or ROLE_SPECIFIC.first(before, folded) is not None
            or re.match(r"\s+(of|von|de|di|do|da|van|z|av|af|din)\s+\w", after) is not None
        )
        # "the current chancellor", "our president": a sitting office-holder, not a title
        current = ROLE_CURRENT.first(before, folded) is not None
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
    elif original.rstrip().endswith("?"):
        hits.append(Hit("guard.explain", len(text), len(text)))
    return hits


def asks_for_media(text: str) -> bool:
    return MEDIA.first(text) is not None
