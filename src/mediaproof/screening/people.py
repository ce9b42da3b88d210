"""Finding protected people in a normalised prompt: exact names and aliases
(Aho-Corasick), misspellings (rapidfuzz) and spellings that sound alike (jellyfish),
with guards so a common word or a namesake does not count as the person."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

import ahocorasick
import jellyfish
from rapidfuzz import fuzz, process

from mediaproof.screening import rules
from mediaproof.screening.normalize import (
    KANA_CJK,
    Normalized,
    collapse_doubles,
    fold,
    has_own_script,
    translit,
)


def _words(s: str) -> frozenset[str]:
    return frozenset(s.split())


# Titles that, before a surname, make it that person rather than a namesake.
TITLES = _words(
    "mr mrs ms miss dr prof sir madam president senator governor mayor minister chancellor "
    "candidate premier congressman congresswoman rep representative sen gov judge secretary "
    "herr frau kanzler kanzlerin prasident prasidentin burgermeister ministerin monsieur "
    "madame mme le la presidente senor senora don dona sindaco signor signora sig senhor "
    "meneer mevrouw heer pan pani prezydent premier burmistrz herr fru pan pani domnul "
    "doamna herra rouva ur urne gospodin gospodja kyrios kyria ministro ministra alcalde "
    "alcaldesa candidato candidata candidat kandidat kandidatin kandydat kandydatka"
)
# Words that are names of nobody: a fuzzy or phonetic hit on one of these is ignored,
# and an alias that is one of them needs the full name or a title to count.
COMMON = _words(
    "the and for with from that this have will would could should there their about after "
    "before being other people photo image video picture voice audio clip scene street "
    "police prison hospital ballot ballots voting voter voters election elections president "
    "minister mayor senator governor candidate party rally speech campaign crowd office "
    "station polling place market bridge garden river house white black brown green young "
    "story stories bush rose hope will may grant king moon stone wood hill field rich gold "
    "banks price baker smith taylor cook walker wright young hall carter miller fisher "
    "arrest arrested arresting jail handcuffs burning burned dumped shredded wheelchair "
    "making create generate render realistic draw drawing poster news article explain "
    "debate debates leader leaders official officials support supports endorse endorses "
    "being during while where which when what them they then than these those into over "
    "under morning evening tonight today tomorrow wednesday monday tuesday thursday friday "
    "saturday sunday"
)


# a word before a surname that is a verb, a medium or an office, not a first name
_NOT_A_NAME = re.compile(
    "|".join(
        f"(?:{lex.regex.pattern})" for lex in (rules.MEDIA, rules.ROLE, rules.ARREST, rules.ENDORSE)
    )
)


@dataclass(frozen=True)
class Person:
    """A protected person: an operator's official or an enrolled likeness subject."""

    id: str  # "official:<n>" or "enrolled:<enrolment id>"
    name: str
    aliases: tuple[str, ...] = ()
    role: str = ""
    source: str = "official"  # official | enrolled


@dataclass(frozen=True)
class PersonHit:
    person: Person
    how: str  # name | alias | surname | fuzzy | phonetic | script | role
    matched: str  # the words of the normalised prompt that matched
    strong: bool  # enough on its own to say the prompt is about this person
    score: float = 100.0
    capitalised: bool = True  # written with a capital, as names are


_VOWELS = re.compile(r"[aeiou]+")
_MIN_CONSONANTS = 5  # a vowel-blind form this long is rare enough to stand for a name


def vowel_blind(word: str) -> str:
    """A name with its vowels (and y, j, read as i by :func:`fold`) made one: ``yildirimoglu``
    and ``ialdaramoglu`` (Bulgarian ъ for Turkish ı) both read ``aldaramagla``."""
    return _VOWELS.sub("a", fold(word))


def _consonants(s: str) -> int:
    return sum(c != "a" for c in s)


# --- Names written in the scripts read by their own letters (issue 19: "names in their
# own script"). "Amina Karimi" is أمينة كريمي in Arabic, אמינה כרימי in Hebrew,
# 阿米娜·卡里米 in Chinese, ラファエル・サントソ in Japanese: transliterated, these are
# "myn krymy", "amynh khrymy", "a mi nuo qia li mi", "rahuaeru santoso", none close
# enough to the Latin spelling for the fuzzy or phonetic match. Their consonants, read
# by sound classes (p b f v; t d; k g c q; s z j x sh ch; l r; m; n), agree: "mn krm".
# A first and last name that agree this way, side by side, is a weak hit (a person
# should look), never a strong one: two short skeletons agree by chance more often than
# spellings do.
_SKELETON_DI = (("ph", "f"), ("th", "t"), ("kh", "k"), ("gh", "g"), ("ch", "s"),
                ("sh", "s"), ("ng", "n"), ("ck", "k"), ("qu", "k"))
_SKELETON = str.maketrans(
    "bpfvdtgkcqxszjlrmn", "ppppttkkkkssssrrmn", "aeiouyhw"
)
# how these scripts' transliterations miss the sound: Hebrew vav as a vowel, Japanese
# fu/vu (unidecode's "hu"/"bu")
_SCRIPT_FIXES = str.maketrans({"\u05d5": "u", "\u30d5": "fu", "\u30f4": "vu"})
_CJK_NAME_RUN = re.compile(f"[{KANA_CJK}]+")
_NAME_DOTS = re.compile(f"(?<=[{KANA_CJK}])[·・‧･•.](?=[{KANA_CJK}])")


def skeleton(latin: str) -> str:
    """A word's consonants by sound class, repeats made one: ``Karimi`` -> ``krm``."""
    s = re.sub(r"[^a-z]", "", latin.lower())
    for a, b in _SKELETON_DI:
        s = s.replace(a, b)
    return re.sub(r"(.)\1+", r"\1", s.translate(_SKELETON))


def _own_skeleton(word: str) -> str:
    return skeleton(translit(word.translate(_SCRIPT_FIXES)))


# Arabic and Hebrew join a preposition or "and" to a name (لأمينة, "for Amina";
# ולרפאל): a first name is read with up to three of those letters taken off too
_NAME_PROCLITICS = frozenset("وفبلكاהובלמשכ")


def _first_name_forms(word: str, sk: str) -> list[str]:
    forms = [sk]
    for k in range(1, min(3, len(word) - 2) + 1):
        if word[k - 1] not in _NAME_PROCLITICS:
            break
        forms.append(_own_skeleton(word[k:]))
    return forms


def _span(norm: Normalized, first: int, n: int, key: str) -> str:
    """The prompt's own (normalised) words at a match; a squashed key spans one token."""
    words = norm.tokens[first : first + n]
    return " ".join(words) if words else key


def _key(s: str) -> str:
    words = re.split(r"[^a-z0-9]+", translit(s).lower())
    return " ".join(collapse_doubles(w) for w in words if w)


@dataclass
class _Entry:
    person: Person
    how: str  # name | alias | surname
    key: str


@dataclass
class PeopleIndex:
    people: list[Person]
    _auto: ahocorasick.Automaton = field(init=False, repr=False)
    _tokens: dict[str, list[tuple[Person, str]]] = field(init=False, repr=False)
    _phon: dict[str, list[tuple[Person, str]]] = field(init=False, repr=False)
    _vocab: list[str] = field(init=False, repr=False)
    _roles: list[tuple[Person, str]] = field(init=False, repr=False)
    _folded: dict[str, str] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        auto = ahocorasick.Automaton()
        entries: dict[str, list[_Entry]] = {}

        def add(person: Person, how: str, text: str) -> None:
            k = _key(text)
            if len(k.replace(" ", "")) < 3:
                return
            entries.setdefault(k, []).append(_Entry(person, how, k))
            if " " in k:  # "elenamarchetti": names written without their space
                squashed = k.replace(" ", "")
                entries.setdefault(squashed, []).append(_Entry(person, how, squashed))

        self._tokens = {}
        self._phon = {}
        self._roles = []
        for p in self.people:
            add(p, "name", p.name)
            for a in p.aliases:
                add(p, "alias", a)
            parts = _key(p.name).split()
            if len(parts) > 1 and len(parts[-1]) >= 4:
                add(p, "surname", parts[-1])
            words = {w for n in (p.name, *p.aliases) for w in _key(n).split() if len(w) >= 4}
            # the full name squashed into one word ("lukasbrenner"), for misspellings of it
            words |= {_key(n).replace(" ", "") for n in (p.name, *p.aliases) if " " in _key(n)}
            for t in words:
                self._tokens.setdefault(t, []).append((p, t))
                self._phon.setdefault(jellyfish.metaphone(t), []).append((p, t))
            if p.role.strip():
                self._roles.append((p, _key(p.role)))
        for k, es in entries.items():
            auto.add_word(f" {k} ", es)
        if entries:
            auto.make_automaton()
        self._auto = auto
        self._vocab = sorted(self._tokens)
        # spelling-blind forms ("iyldyrymoglu", from Cyrillic, reads as "yildirimoglu")
        self._folded = {fold(t): t for t in self._vocab}
        # vowel-blind forms of long names, for scripts that write the vowels another way
        # (Bulgarian writes Turkish dotless i and Romanian ă as ъ: "Йълдъръмоглу")
        self._vowel_blind = {
            v: t for t in self._vocab if _consonants(v := vowel_blind(t)) >= _MIN_CONSONANTS
        }
        # first and last name by sound class, for names written in other scripts: by the
        # first name's, and whole (for Chinese and Japanese, written without spaces)
        self._by_first: dict[str, list[tuple[Person, str]]] = {}
        self._full_skeletons: list[tuple[Person, str]] = []
        for p in self.people:
            for n in dict.fromkeys((p.name, *p.aliases)):
                parts = _key(n).split()
                if len(parts) >= 2:
                    first, last = skeleton(parts[0]), skeleton(parts[-1])
                    if len(first) >= 2 and len(last) >= 3:
                        self._by_first.setdefault(first, []).append((p, last))
                        self._full_skeletons.append((p, first + last))

    def find(self, norm: Normalized) -> list[PersonHit]:
        if not self.people:
            return []
        tokens = [collapse_doubles(t) for t in norm.tokens]
        hay = " " + " ".join(tokens) + " "
        hits: dict[str, PersonHit] = {}

        def keep(h: PersonHit) -> None:
            old = hits.get(h.person.id)
            if old is None or (h.strong, h.score) > (old.strong, old.score):
                hits[h.person.id] = h

        covered: set[int] = set()
        for end, es in self._auto.iter(hay) if len(self._auto) else ():
            for e in es:
                start = end - len(e.key) - 1  # the space before the key
                first_tok = hay[:start].count(" ")
                n_tok = e.key.count(" ") + 1
                covered.update(range(first_tok, first_tok + n_tok))
                # a full name written as one word ("I o a n a  C o n s t...") carries its
                # own first name: the word before it is not a rival first name
                if n_tok == 1 and e.how != "name" and self._namesake(
                    norm, tokens, first_tok, e.person
                ):
                    continue
                words = e.key.split()
                if n_tok > 1:  # "a rose bush": every word common and written small
                    strong = not all(w in COMMON for w in words) or self._capitalised(
                        norm, first_tok
                    )
                elif e.how == "surname" or e.key in COMMON:
                    strong = self._titled(norm, first_tok) or (
                        e.key not in COMMON and self._capitalised(norm, first_tok)
                    )
                else:
                    strong = True
                keep(PersonHit(e.person, e.how, _span(norm, first_tok, n_tok, e.key), strong))
        for i, tok in enumerate(tokens):
            if i in covered or tok in COMMON or tok in self._tokens:
                continue
            cands = [tok] if len(tok) >= 4 else []
            # a name cut in two ("Mar chetti", "Ker tesz"): the pair read as one word
            if i + 1 < len(tokens) and len(tok) >= 2 and 2 <= len(tokens[i + 1]) <= 6:
                pair = tok + tokens[i + 1]
                if pair in self._tokens:
                    for person, _t in self._tokens[pair]:
                        keep(PersonHit(person, "name", " ".join(norm.tokens[i : i + 2]),
                                       self._has_other_name(tokens, i, 2, person, pair)))
                    continue
                if len(pair) >= 5:
                    cands.append(pair)
            for cand in cands:
                self._fuzzy(norm, tokens, i, cand, keep)
        if norm.own and self._full_skeletons:
            for h in self._other_script(norm.original):
                keep(h)  # kept where it says more than a fuzzy or phonetic hit
        return sorted(hits.values(), key=lambda h: (not h.strong, -h.score, h.person.id))

    def _other_script(self, original: str) -> list[PersonHit]:
        """Protected names written in the scripts read by their own letters, by the sound
        classes of their consonants (see :func:`skeleton`): two words side by side (a case
        ending or particle may follow the last name), or inside a Chinese or Japanese
        run, which writes no spaces (the dot between the names left out). Each word and
        character is read once, whatever the number of protected people."""
        text = _NAME_DOTS.sub("", unicodedata.normalize("NFKC", original))
        found: dict[str, PersonHit] = {}
        words = [w for w in re.split(r"[^\w\u0900-\u0dff]+", text) if w]
        sks = [_own_skeleton(w) for w in words]
        for i in range(len(words) - 1):
            for person, last in (
                pair for sk in _first_name_forms(words[i], sks[i])
                for pair in self._by_first.get(sk, ())
            ):
                if person.id in found or not sks[i + 1].startswith(last):
                    continue
                if has_own_script(words[i] + words[i + 1]):
                    found[person.id] = PersonHit(
                        person, "script", f"{words[i]} {words[i + 1]}", False, 85.0
                    )
        for run in _CJK_NAME_RUN.findall(text):
            # the run's consonants in one string, and where each character's begin and end
            starts: dict[int, int] = {}
            ends: dict[int, int] = {}
            joined = ""
            for k, c in enumerate(run):
                sk = _own_skeleton(c)
                if sk:
                    starts.setdefault(len(joined), k)
                    joined += sk
                    ends[len(joined)] = k
            for person, full in self._full_skeletons:
                if person.id in found:
                    continue
                pos = joined.find(full)
                while pos != -1:
                    a, b = starts.get(pos), ends.get(pos + len(full))
                    if a is not None and b is not None:
                        found[person.id] = PersonHit(person, "script", run[a : b + 1], False, 85.0)
                        break
                    pos = joined.find(full, pos + 1)
        return list(found.values())

    def _fuzzy(self, norm: Normalized, tokens: list[str], i: int, tok: str, keep: object) -> None:
        assert callable(keep)
        best = None
        # the word as written too, where collapsing its doubles shortened it ("Nootný" for
        # Novotný reads "notny", too short for the looser cut-off its six letters have)
        raw = norm.tokens[i] if tok == tokens[i] else tok
        for t in dict.fromkeys((tok, raw)):
            cutoff = 80.0 if len(t) >= 6 else 85.0
            best = process.extractOne(t, self._vocab, scorer=fuzz.ratio, score_cutoff=cutoff)
            if best is not None:
                break
        how = "fuzzy"
        if best is None and fold(tok) in self._folded:
            best = (self._folded[fold(tok)], 90.0, 0)
        if best is None and len(tok) >= 6 and vowel_blind(tok) in self._vowel_blind:
            best, how = (self._vowel_blind[vowel_blind(tok)], 85.0, 0), "phonetic"
        if best is None:
            ph = self._phon.get(jellyfish.metaphone(tok))
            cands = [t for _, t in ph or () if t[0] == tok[0] and abs(len(t) - len(tok)) <= 2]
            if not cands:
                return
            best = (cands[0], fuzz.ratio(tok, cands[0]), 0)
            how = "phonetic"
            if best[1] < 60:
                return
        word, score = str(best[0]), float(best[1])
        for person, _t in self._tokens[word]:
            if self._namesake(norm, tokens, i, person):
                continue
            # both names misspelt or one exact: the full name, not a lone look-alike word
            parts = _key(person.name).split()
            full = len(parts) > 1 and any(
                fuzz.ratio(tokens[j], p) >= 80
                for j in (i - 1, i + 1)
                if 0 <= j < len(tokens)
                for p in parts
                if p != word
            )
            keep(PersonHit(person, how, " ".join(norm.tokens[i : i + 1 + (tok != tokens[i])]),
                           full, score, self._capitalised(norm, i)))

    @staticmethod
    def _has_other_name(tokens: list[str], i: int, n: int, person: Person, word: str) -> bool:
        """Another of the person's names stands right before or after the match."""
        names = {w for x in (person.name, *person.aliases) for w in _key(x).split()} - {word}
        return any(
            0 <= j < len(tokens) and tokens[j] in names for j in (i - 1, i + n)
        )

    @staticmethod
    def _cased_word(norm: Normalized, word: str) -> str | None:
        for t in norm.cased_tokens:
            if t.lower() == word:
                return t
        return None

    def _titled(self, norm: Normalized, first_tok: int) -> bool:
        return first_tok > 0 and norm.tokens[first_tok - 1] in TITLES

    def _capitalised(self, norm: Normalized, tok: int) -> bool:
        w = self._cased_word(norm, norm.tokens[tok]) if tok < len(norm.tokens) else None
        return w is not None and w[:1].isupper()

    def _namesake(self, norm: Normalized, tokens: list[str], i: int, person: Person) -> bool:
        """A surname after a first name that is not this person's: someone else."""
        if i == 0:
            return False
        prev = tokens[i - 1]
        if prev in TITLES or len(prev) < 2:
            return False
        names = {w for n in (person.name, *person.aliases) for w in _key(n).split()}
        if prev in names or any(fuzz.ratio(prev, n) >= 80 for n in names):
            return False
        if prev in COMMON or _NOT_A_NAME.search(f" {prev} "):
            return False  # a word with a meaning of its own ("Show", "Arrest"), not a name
        cased = self._cased_word(norm, norm.tokens[i - 1])
        return cased is not None and cased[:1].isupper()

    def role_people(self, norm: Normalized) -> list[PersonHit]:
        """Officials whose recorded role ("mayor of Springfield") the prompt names."""
        hay = " " + " ".join(collapse_doubles(t) for t in norm.tokens) + " "
        return [
            PersonHit(p, "role", role, True)
            for p, role in self._roles
            if len(role) >= 8 and f" {role} " in hay
        ]
