"""The real sentence embedder, loaded once for the screening tests (offline)."""

from __future__ import annotations

import pytest

from mediaproof.screening import embed


@pytest.fixture(scope="session")
def embedder() -> embed.SentenceEmbedder:
    e = embed.load()
    assert e is not None, embed.load_error()
    return e
