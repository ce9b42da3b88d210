"""The embedding backends: the int8 first pass with the exact recheck gives the exact
path's answers; bfloat16 only where the CPU has bfloat16 instructions."""

from __future__ import annotations

import numpy as np
import pytest

from mediaproof.screening import embed
from mediaproof.screening.engine import Screener
from mediaproof.screening.evaluate import REPORT_ONLY, SPLITS, load_officials, load_set
from mediaproof.screening.seeds import Seed, builtin


@pytest.fixture(scope="module")
def exact() -> embed.SentenceEmbedder:
    e = embed.load("float")
    assert e is not None, embed.load_error()
    return e


@pytest.fixture(scope="module")
def checked() -> embed.SentenceEmbedder:
    e = embed.load("int8_checked")
    assert e is not None, embed.load_error()
    return e


def test_the_default_backend_has_an_int8_copy_that_is_not_the_exact_model(
    checked: embed.SentenceEmbedder, exact: embed.SentenceEmbedder
) -> None:
    assert embed.DEFAULT_BACKEND == "int8_checked"
    assert checked.int8_encoder is not None and exact.int8_encoder is None
    texts = ["boxes of mail-in ballots dumped in a river", "a cat on a sofa"]
    fast, slow = checked.encode_fast(texts), checked.encode(texts)
    cos = np.sum(fast * slow, axis=1)
    # close, but not the same numbers: the int8 pass really ran
    assert np.all(cos > 0.8) and np.all(cos < 0.99999)
    np.testing.assert_allclose(slow, exact.encode(texts), atol=1e-5)


def test_an_unknown_backend_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown embedding backend"):
        embed.load("int4")


def test_bfloat16_only_with_bfloat16_instructions(exact: embed.SentenceEmbedder) -> None:
    assert exact.bf16 == (embed.native_bf16() and exact.bf16_encoder is not None)
    if not embed.native_bf16():
        assert exact.bf16 is False


def _sample() -> list[tuple[str, str]]:
    """Every prompt of every part, with its part (for its officials). Only those the rules
    do not block are embedded, so this costs about as much as a sample of them."""
    return [(s, r["text"]) for s in (*SPLITS, *REPORT_ONLY) for r in load_set(s)]


@pytest.mark.slow
def test_int8_checked_answers_as_the_exact_path_on_the_redteam_set(
    checked: embed.SentenceEmbedder, exact: embed.SentenceEmbedder
) -> None:
    differ: list[tuple[str, object, object]] = []
    compared = with_seed = 0
    for split in (*SPLITS, *REPORT_ONLY):
        texts = [t for s, t in _sample() if s == split]
        people = load_officials(split)
        new = Screener(people, builtin(), checked, cache_size=0).screen_many(texts)
        old = Screener(people, builtin(), exact, cache_size=0).screen_many(texts)
        for t, a, b in zip(texts, new, old, strict=True):
            compared += 1
            with_seed += any(r.rule.startswith("seed.") for r in b.reasons)
            if a.to_json() != b.to_json():  # decision, reasons, scores to 3 places
                differ.append((t, a.to_json(), b.to_json()))
    assert not differ, differ[:5]
    # the seed path must have been exercised: 17 prompts reach a seed since the rules
    # block more of the once-blind parts (policy screen-2026-12-07.1), 20+ before
    assert compared > 3000 and with_seed >= 15


@pytest.mark.slow
def test_without_the_recheck_int8_alone_changes_answers(
    checked: embed.SentenceEmbedder, exact: embed.SentenceEmbedder
) -> None:
    """Why the recheck exists: int8 alone moves prompts across a seed threshold."""

    class Int8Only:
        name = checked.name

        def encode(self, texts: list[str]) -> embed.Matrix:
            return checked.encode_fast(texts)

    differ = 0
    for split in (*SPLITS, *REPORT_ONLY):
        texts = [t for s, t in _sample() if s == split]
        people = load_officials(split)
        new = Screener(people, builtin(), Int8Only(), cache_size=0).screen_many(texts)
        old = Screener(people, builtin(), exact, cache_size=0).screen_many(texts)
        differ += sum(a.decision != b.decision for a, b in zip(new, old, strict=True))
    assert differ > 0


def test_a_cached_int8_embedding_is_rechecked_against_a_new_seed(
    checked: embed.SentenceEmbedder, exact: embed.SentenceEmbedder
) -> None:
    prompt = "a watercolour of a lighthouse at dawn"
    s = Screener([], builtin(), checked)
    assert s.screen(prompt).decision == "allow"
    (_, is_exact), = s._cache.values()
    assert is_exact is False  # far from every seed: the int8 pass was enough
    seed = Seed("operator:1", "lighthouses", "a watercolour painting of a lighthouse at sunrise")
    s.seeds.set([*builtin(), seed])
    after = s.screen(prompt)
    reference = Screener([], [*builtin(), seed], exact).screen(prompt)
    assert after.to_json() == reference.to_json()
    assert any(r.rule == "seed.lighthouses" for r in after.reasons)
    (_, is_exact), = s._cache.values()
    assert is_exact is True


def test_an_exact_embedding_does_not_depend_on_what_is_embedded_with_it(
    exact: embed.SentenceEmbedder,
) -> None:
    """Padded to a longer neighbour, an embedding moved by up to 0.003 per component:
    enough to change a seed score's third decimal, so the int8 pass's recheck (a few
    prompts) and the float backend (the whole batch) could give different answers."""
    text = "A phone recording with the politician's voice telling people the vote was yesterday"
    alone = exact.encode([text])
    longer = "a very long description of a quiet harbour town at dawn " * 3
    with_others = exact.encode([longer, text, "a cat", "ballots"])
    np.testing.assert_array_equal(alone[0], with_others[1])
