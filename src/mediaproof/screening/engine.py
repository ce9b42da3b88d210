"""The screening decision: allow / review / block, with reasons.

The policy (docs/screening.md says it in words):

- a deceptive election scene (ballots destroyed, a polling place closed or moved, false
  voting instructions) is blocked with or without a person;
- a protected person (by name, alias, role or a strong misspelling) or a specific role
  description ("the current chancellor") in a harmful scene (arrest, health, violence,
  a fake endorsement, a voice-cloned call) is blocked; a generic role ("a president") or a
  weak name match (one misspelt word) in such a scene goes to review;
- a protected person alone goes to review (a likeness without a consent check);
- a prompt close to a seed example is blocked or reviewed by its similarity;
- clearly labelled satire, fiction without a named person, questions and explainers,
  and a name used in a private setting (my neighbour, a colleague) are never blocked:
  review at most.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from mediaproof.screening import POLICY_VERSION, lexicon, rules
from mediaproof.screening.embed import Embedder, Matrix
from mediaproof.screening.normalize import (
    Normalized,
    fold_words,
    normalize,
    own_script_decoded,
)
from mediaproof.screening.people import PeopleIndex, Person, PersonHit
from mediaproof.screening.seeds import PLACEHOLDER, Seed

ALLOW, REVIEW, BLOCK = "allow", "review", "block"
_RANK = {ALLOW: 0, REVIEW: 1, BLOCK: 2}
MAX_PROMPT_CHARS = 8000

PRIVATE = rules.Lexicon(
    "private",
    [
        "my neighbo", "my colleague", "my friend", "my grandm", "my grandf", "my aunt",
        "my uncle", "my cousin", "my brother", "my sister", "my mother", "my father", "my mom",
        "my dad", "my son", "my daughter", "my wife", "my husband", "my teacher", "classmate",
        "coworker", "co worker", "a nurse", "a plumber", "a baker", "a teacher", "a student",
        "a farmer", "a chef", "a carpenter", "a dentist", "wedding", "birthday", "retirement party",
        "graduation", "mein nachbar", "meine nachbarin", "mein kollege", "meine kollegin",
        "mon voisin", "ma voisine", "mon collegue", "ma collegue", "mi vecino", "mi vecina",
        "mi colega", "il mio vicino", "la mia vicina", "il mio collega", "o meu vizinho",
        "a minha vizinha", "mijn buurman", "mijn buurvrouw", "mijn collega", "moj sasiad",
        "moja sasiadka", "min granne", "min kollega", "geburtstag", "hochzeit", "anniversaire",
        "mariage", "cumpleanos", "boda", "compleanno", "matrimonio", "aniversario", "verjaardag",
        "bruiloft", "urodzin", "slub",
        # Arabic ... Swahili (lexicon_data/world.json's languages): a neighbour
        "جارتي", "^جاري", "همسایه", "پڑوسی", "השכן שלי", "השכנה שלי", "पड़ोसी", "पड़ोसन",
        "প্রতিবেশী", "邻居", "鄰居", "隣人", "近所の", "이웃", "เพื่อนบ้าน", "tetangga", "hang$ xom$",
        "kapitbahay", "jirani", "옆집", "隣の家", "隔壁",
    ],
)
_PERSON_SCEN = {f"scenario.{s}" for s in rules.PERSON_SCENARIOS}
_ELECTION_SCEN = {f"scenario.{s}" for s in rules.ELECTION_SCENARIOS}
del lexicon  # the word lists are read through rules


@dataclass(frozen=True)
class Thresholds:
    seed_review: float = 0.62  # cosine similarity to a seed that sends a prompt to review
    seed_block: float = 0.80  # ... that blocks it on its own


@dataclass(frozen=True)
class Reason:
    rule: str  # person.name | person.alias | person.fuzzy | role | scenario.arrest | seed ...
    matched: str  # the words of the normalised prompt that matched
    person: str | None = None  # the protected person's name
    person_id: str | None = None
    source: str | None = None  # official | enrolled
    score: float | None = None
    detail: str | None = None

    def to_json(self) -> dict[str, Any]:
        d: dict[str, Any] = {"rule": self.rule, "matched": self.matched}
        for k in ("person", "person_id", "source", "detail"):
            v = getattr(self, k)
            if v is not None:
                d[k] = v
        if self.score is not None:
            d["score"] = round(self.score, 3)
        return d


@dataclass(frozen=True)
class Decision:
    decision: str
    policy_version: str
    reasons: tuple[Reason, ...]
    embeddings: bool  # whether the nearest-neighbour side ran
    normalized: str = field(repr=False, default="")

    @property
    def people(self) -> list[str]:
        return sorted({r.person for r in self.reasons if r.person})

    @property
    def scenarios(self) -> list[str]:
        return sorted(
            {r.rule.split(".", 1)[1] for r in self.reasons if r.rule.startswith("scenario.")}
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "decision": self.decision,
            "policy_version": self.policy_version,
            "reasons": [r.to_json() for r in self.reasons],
            "embeddings": self.embeddings,
        }


def _cap(level: str, cap: str) -> str:
    return level if _RANK[level] <= _RANK[cap] else cap


def _raise(level: str, to: str) -> str:
    return to if _RANK[to] > _RANK[level] else level


class SeedIndex:
    """Seed examples and their embeddings; adding seeds embeds only the new ones."""

    def __init__(self, embedder: Embedder | None) -> None:
        self.embedder = embedder
        self.seeds: list[Seed] = []
        self.matrix: Matrix = np.zeros((0, 384), dtype=np.float32)
        self._lock = threading.Lock()

    def set(self, seeds: Sequence[Seed]) -> None:
        with self._lock:
            have = {s.id: i for i, s in enumerate(self.seeds)}
            new = [s for s in seeds if s.id not in have or self.seeds[have[s.id]] != s]
            keep = [i for i, s in enumerate(self.seeds) if s in seeds]
            rows = [self.matrix[keep]] if keep else []
            kept = [self.seeds[i] for i in keep]
            if new and self.embedder is not None:
                rows.append(self.embedder.encode([s.text for s in new]))
            self.seeds = kept + (new if self.embedder is not None else [])
            self.matrix = (
                np.vstack(rows).astype(np.float32) if rows else np.zeros((0, 384), np.float32)
            )

    def nearest(self, vecs: Matrix) -> list[tuple[Seed, float] | None]:
        with self._lock:
            if not len(self.seeds) or not len(vecs):
                return [None] * len(vecs)
            # torch's matmul (one thread where the caller set it so), not numpy's: numpy's
            # BLAS starts its own threads, which spin after each call (measured 4 % of the
            # CPU time of screening a batch of 64, on two cores)
            sims = _matmul_t(vecs, self.matrix)
            best = sims.argmax(axis=1)
            return [(self.seeds[int(j)], float(sims[i, int(j)])) for i, j in enumerate(best)]


def _matmul_t(a: Matrix, b: Matrix) -> Matrix:
    """a @ b.T, by torch where it is installed (it is wherever an embedder is)."""
    try:
        import torch
    except ImportError:
        return np.asarray(a @ b.T, dtype=np.float32)
    ta = torch.from_numpy(np.ascontiguousarray(a, dtype=np.float32))
    return np.asarray((ta @ torch.from_numpy(np.ascontiguousarray(b)).T).numpy())


@dataclass(frozen=True)
class _Partial:
    norm: Normalized
    level: str
    reasons: list[Reason]
    guards: dict[str, str]  # guard rule -> the words that raised it
    private: str | None  # the words that make the setting private
    strong: bool
    hits: bool
    roles: bool


def _caps(p: _Partial) -> list[tuple[str, str]]:
    """The guards that cap this prompt's level, and to what: never block what is labelled
    satire, asked about, fiction (without a protected person) or private."""
    caps: list[tuple[str, str]] = []
    if "guard.satire" in p.guards:
        caps.append(("guard.satire", REVIEW))
    if "guard.explain" in p.guards:
        caps.append(("guard.explain", REVIEW))
    if "guard.fiction" in p.guards and not p.strong:
        caps.append(("guard.fiction", REVIEW))
    if p.private and p.hits and not p.roles:
        caps.append(("guard.private", REVIEW))
    return caps


def _shown(norm: Normalized, source: str, start: int, end: int) -> str:
    """Words a rule matched in one of the prompt's readings, as a reviewer reads them:
    letters of the scripts read by their own letters written as themselves again."""
    words = source[start:end]
    return own_script_decoded(words) if source is norm.own and norm.own else words


def _mask(norm: Normalized, hits: Sequence[PersonHit]) -> str:
    """The text to embed: names replaced by the placeholder the seeds use."""
    text = " " + norm.joined + " "
    for h in hits:
        if h.how != "role":
            text = text.replace(f" {h.matched} ", f" {PLACEHOLDER} ")
    return text.strip()


class Screener:
    def __init__(
        self,
        people: Sequence[Person],
        seeds: Sequence[Seed],
        embedder: Embedder | None,
        thresholds: Thresholds | None = None,
        cache_size: int = 4096,
        skip_when_blocked: bool = True,
    ) -> None:
        self.index = PeopleIndex(list(people))
        self.seeds = SeedIndex(embedder)
        self.seeds.set(seeds)
        self.embedder = embedder
        self.thresholds = thresholds or Thresholds()
        self.cache_size = cache_size
        self.skip_when_blocked = skip_when_blocked
        # masked prompt -> (embedding, whether it is exact)
        self._cache: OrderedDict[str, tuple[Matrix, bool]] = OrderedDict()
        self._cache_lock = threading.Lock()

    def screen(self, prompt: str) -> Decision:
        return self.screen_many([prompt])[0]

    def screen_many(self, prompts: Sequence[str]) -> list[Decision]:
        norms = [normalize(p[:MAX_PROMPT_CHARS]) for p in prompts]
        people = [self.index.find(n) + self.index.role_people(n) for n in norms]
        parts = [self._rules(n, h) for n, h in zip(norms, people, strict=True)]
        nearest: list[tuple[Seed, float] | None] = [None] * len(norms)
        # a seed can only raise the level, so where the rules already block and no guard
        # caps that, the embedding pass could not change the answer: it is skipped (the
        # costly part). Where a guard caps the block to review, the seed reason is part
        # of the answer (what a reviewer reads), so those are embedded.
        need = [
            i for i, p in enumerate(parts)
            if p.level != BLOCK or not self.skip_when_blocked or _caps(p)
        ]
        if self.embedder is not None and self.seeds.seeds and need:
            near = self._nearest([_mask(norms[i], people[i]) for i in need])
            for i, n in zip(need, near, strict=True):
                nearest[i] = n
        return [self._finish(p, near) for p, near in zip(parts, nearest, strict=True)]

    def _nearest(self, texts: list[str]) -> list[tuple[Seed, float] | None]:
        """The nearest seed of each masked prompt, as the exact embedding finds it. With an
        embedder that has a cheaper approximate pass (``encode_fast``, int8), that pass
        goes first; every prompt whose approximate similarity comes within the embedder's
        ``fast_margin`` of the review threshold is embedded again exactly and its seed
        looked up again. Below that, neither embedding reaches a threshold (the margin
        bounds their difference), so no seed reason is given either way: the answer is
        the exact path's, reasons and scores included."""
        margin = getattr(self.embedder, "fast_margin", None)
        fast = margin is not None and hasattr(self.embedder, "encode_fast")
        vecs, exact = self._encode(texts, exact=not fast)
        near = self.seeds.nearest(vecs)
        if not fast:
            return near
        assert margin is not None
        floor = self.thresholds.seed_review - margin
        redo = [
            i for i, (n, x) in enumerate(zip(near, exact, strict=True))
            if not x and n is not None and n[1] >= floor
        ]
        if redo:
            again, _ = self._encode([texts[i] for i in redo], exact=True)
            for i, n in zip(redo, self.seeds.nearest(again), strict=True):
                near[i] = n
        return near

    def _encode(self, texts: list[str], exact: bool = True) -> tuple[Matrix, list[bool]]:
        """Embeddings of masked prompts (exact, or the approximate pass where ``exact`` is
        False and the embedder has one) and whether each is exact, from a bounded LRU
        cache where seen before (the same prompt retried, a template sent by many users):
        an exact entry serves both kinds of request, an approximate one only approximate
        requests."""
        assert self.embedder is not None
        out: list[tuple[Matrix, bool] | None] = [None] * len(texts)
        with self._cache_lock:
            for i, t in enumerate(texts):
                hit = self._cache.get(t)
                if hit is not None and (hit[1] or not exact):
                    self._cache.move_to_end(t)
                    out[i] = hit
        todo = sorted({t for t, v in zip(texts, out, strict=True) if v is None})
        if todo:
            enc, is_exact = self.embedder.encode, True
            if not exact and hasattr(self.embedder, "encode_fast"):
                enc, is_exact = self.embedder.encode_fast, False
            fresh = enc(todo)
            got = {t: (v, is_exact) for t, v in zip(todo, fresh, strict=True)}
            with self._cache_lock:
                for t, v in got.items() if self.cache_size else ():
                    self._cache[t] = v
                    self._cache.move_to_end(t)
                    if len(self._cache) > self.cache_size:
                        self._cache.popitem(last=False)
            out = [got[t] if v is None else v for t, v in zip(texts, out, strict=True)]
        rows = [v for v in out if v is not None]
        return (np.vstack([v for v, _ in rows]).astype(np.float32), [x for _, x in rows])

    def _decide(
        self, norm: Normalized, hits: list[PersonHit], near: tuple[Seed, float] | None
    ) -> Decision:
        return self._finish(self._rules(norm, hits), near)

    def _rules(self, norm: Normalized, hits: list[PersonHit]) -> _Partial:
        """What the rules say before seeds and guards: the level and its reasons."""
        text = norm.text
        # a prompt with Arabic, Chinese, Hindi ... letters is read by them (its Latin words
        # as in text): what unidecode makes of those letters is no list's word, and its
        # syllables can spell one ("bje" from बजे, spelling-blind "bie")
        scene = norm.own or text
        reasons: list[Reason] = []
        scen: dict[str, rules.Hit] = {}
        scen_src: dict[str, str] = {}  # the reading each scene was found in
        # "b.a.l.l.o.t.s" only reads in the joined form (read once where the two are one)
        for source in dict.fromkeys((scene, scene if norm.own else norm.joined)):
            written = norm.written if source is text else ""
            for h in rules.scenario_hits(source, norm.original, written=written):
                if h.rule not in scen:
                    scen[h.rule], scen_src[h.rule] = h, source
        folded: dict[str, tuple[rules.Hit, str, str]] = {}
        # misspelt or transliterated scene words read spelling-blind, then Latin words read
        # as Greeklish ("pshfodeltia"), then Greek letters read as another language typed
        # in them ("γκλασαντζε", glasanje): scene words only, never names
        # (the joined form too where letters were joined, not only an apostrophe's "s":
        # "ä.ä.n.e.s.t.y.s.p.a.i.k.a.s.t.a" is a word only there, and a case ending away
        # from the word list's spelling)
        merged = not norm.own and len(norm.tokens) < len(text.split()) - 1
        joined_folded = fold_words(norm.joined) if merged else ""
        for source, how in ((norm.folded, "read spelling-blind"),
                            (joined_folded, "read joined and spelling-blind"),
                            (norm.greeklish, "read as Greeklish"),
                            (norm.greek_as_latin, "read as Latin in Greek letters")):
            for h in rules.scenario_hits(source, norm.original, folded=True) if source else ():
                if h.rule not in scen:
                    folded.setdefault(h.rule, (h, source, how))
        scen.update((rule, h) for rule, (h, _, _) in folded.items())
        if "scenario.robocall" in scen and "scenario.instructions" not in scen and (
            rules.VOTE.first(scene)
        ):
            # a voice-cloned call about the vote is a false instruction too
            scen["scenario.instructions"] = scen["scenario.robocall"]
            if "scenario.robocall" in folded:
                folded["scenario.instructions"] = folded["scenario.robocall"]
            else:
                scen_src["scenario.instructions"] = scen_src["scenario.robocall"]
        roles = rules.role_hits(scene)
        role_src = scene
        if not roles and norm.folded:  # "premjeras", "prezydentka": role words misspelt
            roles, role_src = rules.role_hits(norm.folded, folded=True), norm.folded
        guards = {
            g.rule: _shown(norm, scene, g.start, g.end)
            for g in rules.guard_hits(scene, norm.original)
        }
        span = PRIVATE.first(scene)
        private = _shown(norm, scene, *span) if span is not None else None

        strong = [h for h in hits if h.strong]
        weak = [h for h in hits if not h.strong]
        specific_role = any(s for _, s in roles)
        person_scen = [r for r in scen if r in _PERSON_SCEN]
        election_scen = [r for r in scen if r in _ELECTION_SCEN]
        harmful = bool(person_scen or election_scen)

        level = ALLOW
        if election_scen:
            level = BLOCK
        elif "scenario.channel" in scen:
            # voting by SMS or a chat app said without asking for an image: looked at
            level = REVIEW
        if strong and harmful:
            level = BLOCK
        elif weak and harmful:
            level = _raise(level, REVIEW)
        elif roles and person_scen:
            level = _raise(level, BLOCK if specific_role else REVIEW)
        elif strong or any(h.score >= 85 and h.capitalised for h in weak):
            # a protected person (or a name written like one, close to theirs) with no
            # scene we recognise: a person should look at it, or the scene is in words
            # the rules do not know
            level = _raise(level, REVIEW)
        elif any(h.rule in ("role.described", "role.current") for h, _ in roles):
            # the same for a sitting office-holder described without a name ("the woman
            # who leads the Greens", "the current chancellor"); a bare title ("the
            # president of the chess club", "a former mayor") is not
            level = _raise(level, REVIEW)

        for ph in hits:
            reasons.append(
                Reason(
                    f"person.{ph.how}", ph.matched, ph.person.name, ph.person.id,
                    ph.person.source, ph.score if ph.how in ("fuzzy", "phonetic") else None,
                    None if ph.strong else "weak match: not enough on its own",
                )
            )
        if roles and (person_scen or not hits):
            for hit, specific in roles[:2]:
                reasons.append(
                    Reason("role", _shown(norm, role_src, hit.start, hit.end),
                           detail="described by what they lead" if hit.rule == "role.described"
                           else "specific description" if specific else "generic role")
                )
        for rule, h in sorted(scen.items()):
            if rule in folded:
                _, source, how = folded[rule]
                reasons.append(Reason(rule, source[h.start : h.end], detail=how))
                continue
            reasons.append(Reason(rule, _shown(norm, scen_src[rule], h.start, h.end)))

        return _Partial(norm, level, reasons, guards, private, bool(strong), bool(hits),
                        bool(roles))

    def _finish(self, p: _Partial, near: tuple[Seed, float] | None) -> Decision:
        norm, level, reasons, guards = p.norm, p.level, list(p.reasons), p.guards
        private = p.private
        if near is not None:
            seed, sim = near
            if sim >= self.thresholds.seed_review:
                to = BLOCK if sim >= self.thresholds.seed_block else REVIEW
                level = _raise(level, to)
                reasons.append(
                    Reason(f"seed.{seed.scenario}", seed.text, score=sim, detail=seed.id)
                )

        # guards: never block what is labelled satire, asked about, fiction or private
        if level != ALLOW:
            for rule, cap in _caps(p):
                matched = guards.get(rule, private or "")
                if _RANK[level] > _RANK[cap]:
                    reasons.append(Reason(rule, matched, detail=f"capped at {cap}"))
                level = _cap(level, cap)
        return Decision(
            level, POLICY_VERSION, tuple(reasons), self.embedder is not None, norm.joined
        )
