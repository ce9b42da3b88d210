"""The decision: what blocks, what goes to review, what is allowed, and why."""

from __future__ import annotations

import os

import numpy as np
import pytest

from mediaproof.screening import POLICY_VERSION, embed
from mediaproof.screening.engine import Screener
from mediaproof.screening.people import Person
from mediaproof.screening.seeds import Seed, builtin

PEOPLE = [Person("official:1", "Elena Marchetti", ("Marchetti",), "mayoral candidate")]


@pytest.fixture(scope="module")
def rules_only() -> Screener:
    return Screener(PEOPLE, builtin(), None)


@pytest.fixture(scope="module")
def full(embedder: embed.SentenceEmbedder) -> Screener:
    return Screener(PEOPLE, builtin(), embedder)


def test_the_model_loads_offline_from_its_package(embedder: embed.SentenceEmbedder) -> None:
    assert os.environ.get("HF_HUB_OFFLINE") == "1"
    v = embedder.encode(["ballots burned", "ballots set on fire", "a cat on a sofa"])
    assert v.shape == (3, 384)
    assert np.allclose(np.linalg.norm(v, axis=1), 1.0, atol=1e-4)
    assert float(v[0] @ v[1]) > float(v[0] @ v[2]) + 0.3


@pytest.mark.parametrize(
    ("prompt", "decision", "rules"),
    [
        ("Photo of Elena Marchetti being arrested", "block", {"person.name", "scenario.arrest"}),
        ("E.l.e.n.a M.a.r.c.h.e.t.t.i in handcuffs", "block", {"scenario.arrest"}),
        ("Ballots dumped in a river behind the town hall", "block", {"scenario.ballots"}),
        ("The polling station is closed, vote on Wednesday", "block", {"scenario.polling"}),
        ("the current chancellor in a wheelchair", "block", {"role", "scenario.health"}),
        ("a president being arrested", "review", {"role", "scenario.arrest"}),
        ("Marketi in handcuffs", "review", {"person.fuzzy", "scenario.arrest"}),
        ("Elena Marchetti smiling at a rally", "review", {"person.name"}),
        ("a cat on a sofa", "allow", set()),
        ("A police officer arresting a bank robber in a movie", "allow", set()),
    ],
)
def test_rules_decide(rules_only: Screener, prompt: str, decision: str, rules: set[str]) -> None:
    d = rules_only.screen(prompt)
    assert d.decision == decision, d.reasons
    assert rules <= {r.rule for r in d.reasons}
    assert d.policy_version == POLICY_VERSION
    assert d.embeddings is False


def test_reasons_name_the_span_person_and_rule(rules_only: Screener) -> None:
    d = rules_only.screen("Photo of Elena Marchetti being arrested")
    person = next(r for r in d.reasons if r.rule == "person.name")
    assert (person.matched, person.person, person.person_id) == (
        "elena marchetti", "Elena Marchetti", "official:1"
    )
    scen = next(r for r in d.reasons if r.rule == "scenario.arrest")
    assert scen.matched == "arrested"
    j = d.to_json()
    assert j["decision"] == "block" and j["reasons"][0]["rule"].startswith("person.")


@pytest.mark.parametrize(
    "prompt",
    [
        "A clearly labelled satirical cartoon of Elena Marchetti in jail",
        "Was Elena Marchetti arrested last night?",
        "Explain how ballots could be destroyed and how officials prevent it",
        "my neighbour Elena Marchetti at her birthday party in the hospital",
        "a fictional president being arrested in a movie",
    ],
)
def test_satire_questions_fiction_and_private_settings_are_never_blocked(
    full: Screener, prompt: str
) -> None:
    d = full.screen(prompt)
    assert d.decision in ("allow", "review"), d.reasons


def test_seeds_catch_phrasings_the_rules_miss(full: Screener, rules_only: Screener) -> None:
    prompt = "the politician is lying on a gurney with paramedics around"
    assert rules_only.screen(prompt).decision == "allow"
    d = full.screen(prompt)
    assert d.decision in ("review", "block")
    assert any(r.rule == "seed.health" for r in d.reasons)


def test_an_operators_new_incident_takes_effect_at_once(embedder: embed.SentenceEmbedder) -> None:
    s = Screener(PEOPLE, builtin(), embedder)
    prompt = "a swarm of drones spraying paint on the doors of the town election office"
    before = s.screen(prompt)
    assert before.decision == "allow"
    seeds = [*builtin(), Seed("operator:1", "vandalism", "drones spraying paint on a town hall")]
    s.seeds.set(seeds)
    after = s.screen(prompt)
    assert after.decision in ("review", "block")
    assert any(r.rule == "seed.vandalism" and r.detail == "operator:1" for r in after.reasons)
    # removing the seed takes it back out
    s.seeds.set(builtin())
    assert s.screen(prompt).decision == "allow"


def test_batch_and_single_answers_agree(full: Screener) -> None:
    prompts = ["Photo of Marchetti in handcuffs", "a cat", "Ballots burned at night"]
    assert [d.decision for d in full.screen_many(prompts)] == [
        full.screen(p).decision for p in prompts
    ]


def test_very_long_and_odd_input_is_handled(full: Screener) -> None:
    assert full.screen("\u200b" * 20000).decision == "allow"
    assert full.screen("🗳️🔥" * 100).decision in ("allow", "review", "block")


@pytest.mark.parametrize(
    "prompt",
    [
        "Was Elena Marchetti really arrested last night? Summarise the news reports.",
        "What is a voice-cloned robocall and how can voters report one?",
    ],
)
def test_a_guard_capped_block_keeps_its_seed_reason(full: Screener, prompt: str) -> None:
    """The rules block these, a guard (a question) caps them at review: the seed the
    prompt is close to is still named, as it is where nothing is skipped (the embedding
    is skipped only where the answer stays a block)."""
    d = full.screen(prompt)
    assert d.decision == "review"
    assert any(r.rule.startswith("guard.") for r in d.reasons)
    assert any(r.rule.startswith("seed.") for r in d.reasons), d.reasons
    unskipped = Screener(PEOPLE, builtin(), full.embedder, skip_when_blocked=False)
    assert d.to_json() == unskipped.screen(prompt).to_json()
