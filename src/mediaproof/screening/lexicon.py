"""Multilingual word lists the rules read, as ASCII stems (text is unidecoded first).

Entries in Greek or Cyrillic are written in their own script and transliterated the
same way prompts are (``normalize.translit``), so they cannot drift from it. A plain entry
is a word prefix (``arrest`` matches arrested, arresting); an entry ending in
``$`` is a whole word; spaces separate words that must follow each other (a stem may carry
up to two words between, written ``~``). Languages: English, German, French, Spanish,
Italian, Portuguese, Dutch, Polish, Swedish, Danish/Norwegian, Czech/Slovak, Romanian,
Finnish, Hungarian, Croatian/Slovene, Greek and Bulgarian, and (shorter lists, at the
end) Irish, Maltese, Estonian, Lithuanian, Latvian, Ukrainian, Russian and Turkish. The
embedding side covers phrasings these lists miss (in English best).

The words themselves are data, shipped with the package in ``lexicon_data/`` (one line
of a list per language or group of languages, as they were written):

- ``base.json``: the lists as first written, English to Greek and Bulgarian above;
- ``more.json``: every other official EU language, and Ukrainian, Russian and Turkish
  (issue 19: "languages beyond the repo's"). Concepts, not sentences: for each scenario
  the words a prompt in that language uses for it, as short stems (a stem matches every
  ending: inflected languages need no grammar), Cyrillic and Greek in their own script.
  Order within a list: bg, cs/sk, da, el, ga, hr/sl, hu, mt, fi, et, lt, lv, uk, ru, tr.
- ``beyond.json``: languages beyond those, spoken where EU elections are held or next
  to them: Catalan, Galician, Basque, Serbian (Cyrillic and ekavian Latin), Macedonian,
  Albanian, Icelandic and Luxembourgish, in that order; the scenes and the vote.

- ``world.json``: languages of the world's other large democracies, in that order:
  Arabic, Persian, Urdu, Hebrew, Hindi, Bengali, Chinese (simplified and traditional),
  Japanese, Korean, Thai, Indonesian/Malay, Vietnamese, Tagalog, Swahili, then the usual
  romanisations (Hinglish, pinyin, romaji, Korean), then short lists for Marathi,
  Nepali, Tamil and Telugu (words added later lead a list's lines). The scripts without a usable
  transliteration are written in their own letters and read by them
  (``normalize.own_script_coded``): such an entry matches inside a word, as Chinese and
  Thai write without spaces and Arabic and Hebrew join the article to the word; ``^``
  before it makes it begin a word, ``$`` after it end one. Vietnamese is written without
  its tones, each syllable whole (``bi$ bat$``).

An entry written ``=word`` matches only that word's own letters, accents included (see
``rules.Lexicon``).

A list here is its words in the four files. A key
in either file that no list below reads, or a list that neither file has, fails the
import: a misspelt key cannot drop a list silently.
"""

from __future__ import annotations

import json
import os

# read beside this module (as package data: pyproject's package-data names the folder);
# plain file reads, not importlib.resources, which would add ~15 ms of imports to start-up
_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "lexicon_data")
_FILES = ("base", "more", "beyond", "world")


def _read(name: str) -> dict[str, list[str]]:
    with open(os.path.join(_DIR, f"{name}.json"), encoding="utf-8") as f:
        raw = json.load(f)
    if not isinstance(raw, dict) or not all(
        isinstance(words, list) and all(isinstance(w, str) for w in words)
        for words in raw.values()
    ):
        raise ValueError(f"lexicon_data/{name}.json: expected an object of lists of strings")
    return raw


_DATA = [_read(name) for name in _FILES]
_READ: set[str] = set()


def _words(concept: str) -> list[str]:
    if not any(concept in data for data in _DATA):
        raise KeyError(f"no word list {concept!r} in lexicon_data/")
    _READ.add(concept)
    return [w for data in _DATA for w in data.get(concept, [])]


# Someone is pictured or voiced in a bad light: these need a person (named or described).
ARREST = _words("ARREST")
HEALTH = _words("HEALTH")
# (with present-tense and participle forms: "hits", "beats", "shoots", "attacks")
VIOLENCE = _words("VIOLENCE")
# Deceptive scenes about the vote itself: these need no person.
BALLOT_OBJECT = _words("BALLOT_OBJECT")
BALLOT_HARM = _words("BALLOT_HARM")
POLLING_PLACE = _words("POLLING_PLACE")
POLLING_FALSE = _words("POLLING_FALSE")
VOTE_WORDS = _words("VOTE_WORDS")
# False instructions about how, when or whether to vote.
FALSE_INSTRUCTION = _words("FALSE_INSTRUCTION")
ENDORSE = _words("ENDORSE")
ROBOCALL = _words("ROBOCALL")
# Words that point at an office-holder or candidate without a name (and, in more.json,
# an election body: its chair or officials, pointed at without a name).
ROLE = _words("ROLE")
# Makes a role specific: a definite article, an office's place or party, "current".
ROLE_SPECIFIC = _words("ROLE_SPECIFIC")
# Appearance words that, with a role, describe a particular person.
DESCRIPTOR = _words("DESCRIPTOR")
# Clearly labelled satire, caricature or fiction.
SATIRE = _words("SATIRE")
FICTION = _words("FICTION")
# Asking about something rather than asking to make it.
EXPLAIN = _words("EXPLAIN")
# The prompt asks for media: only used with EXPLAIN to tell a question from a scene.
MEDIA = _words("MEDIA")

# --- Concepts rather than keywords (issue 19, generalisation): each list below names a
# kind of thing a deceptive prompt says in other words, in the languages above.
# Taken away by the police without the word "arrested": a police car, tied wrists.
ARREST_SCENE = _words("ARREST_SCENE")
# Collapsed or frail, said without the stock words (slumped, lifeless, not moving).
HEALTH_SCENE = _words("HEALTH_SCENE")
# Violence said without the stock words (shoving someone down the stairs, a brick).
VIOLENCE_SCENE = _words("VIOLENCE_SCENE")
# Voting material other than "ballots": papers, slips, envelopes, sacks of them.
BALLOT_MATERIAL = _words("BALLOT_MATERIAL")
# Where voting material must not be: in water, at a dump, being tipped out, floating.
BALLOT_DISPOSAL = _words("BALLOT_DISPOSAL")
# Nobody may vote here / everyone must go elsewhere: a polling place claimed shut or moved,
# said with a vote word nearby rather than with "polling station closed".
VOTE_DENIED = _words("VOTE_DENIED")
# Voting from afar by a channel that does not exist: from home, by replying, to a number.
REMOTE_VOTE = _words("REMOTE_VOTE")
# Choosing, casting, making one's choice: vote words for the instructions rule.
CHOICE = _words("CHOICE")
# "who leads the Greens", "the man who has run the country": an office described by what
# its holder does, pointing at a person without a role word.
LEAD_VERB = _words("LEAD_VERB")
POLITY = _words("POLITY")
# A voting channel that exists nowhere: a text message, a chat app, a social network
# (read beside a vote word, see rules.scenario_hits).
CHANNEL = _words("CHANNEL")
# Voters split into groups (by surname, by year of birth, odd and even house numbers) that
# are told to vote on another day: read with a vote word and a day (see rules).
GROUP_SPLIT = _words("GROUP_SPLIT")
# A later day said without a weekday: tomorrow, next week, another day.
LATER_DAY = _words("LATER_DAY")

# Everyday words of the languages above that the spelling-blind reading would take for an
# entry they are not (Finnish "kyltti" read as "kill"): kept out of that reading. Written
# by scripts/screening_real_words.py from wordfreq's lists; one word per line, as
# normalised text.
REAL_WORDS_PATH = os.path.join(_DIR, "real_words.txt")


def _read_real_words() -> frozenset[str]:
    with open(REAL_WORDS_PATH, encoding="utf-8") as f:
        return frozenset(w for line in f if (w := line.strip()) and not w.startswith("#"))


REAL_WORDS = _read_real_words() if os.path.exists(REAL_WORDS_PATH) else frozenset()

# every entry written in its own letters (``=word``), of every list, without the ``=``
# and ``$``: the prompt's written words are lined up only where one of these occurs
WRITTEN_STEMS = sorted({w[1:].rstrip("$") for data in _DATA for ws in data.values()
                        for w in ws if w.startswith("=")})

_unread = sorted({key for data in _DATA for key in data} - _READ)
if _unread:
    raise KeyError(f"lexicon_data/ has word lists nothing reads: {', '.join(_unread)}")
del _unread
