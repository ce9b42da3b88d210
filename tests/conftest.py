"""Shared test fixtures: where the corpora live, and throw-away instances."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
CORPORA = Path(os.environ.get("MEDIAPROOF_CORPORA", REPO.parent / "shared" / "corpora"))


@pytest.fixture(scope="session")
def corpora() -> Path:
    """Root of ../shared/corpora. Missing corpora are an error, not a skip."""
    if not CORPORA.is_dir():
        raise RuntimeError(
            f"test corpora not found at {CORPORA}; clone next to ../shared or set MEDIAPROOF_CORPORA"
        )
    return CORPORA
