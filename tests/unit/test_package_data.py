"""Every data file in the package ships in its wheel: pyproject's package-data globs,
expanded the way setuptools expands them (``glob(..., recursive=True)`` under the package
directory), cover every file under src/mediaproof that is not Python source. A template
in a new sub-folder, or a new data folder, that no glob names would be left out of
``pip install .`` (the container image) while every test run from the checkout passes."""

from __future__ import annotations

import tomllib
from glob import glob
from pathlib import Path

from tests.conftest import REPO

PACKAGE = REPO / "src" / "mediaproof"


def _shipped() -> set[Path]:
    config = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    patterns: list[str] = config["tool"]["setuptools"]["package-data"]["mediaproof"]
    return {
        Path(p).resolve()
        for pattern in patterns
        for p in glob(str(PACKAGE / pattern), recursive=True)
        if Path(p).is_file()
    }


def test_every_data_file_is_named_by_a_package_data_glob() -> None:
    data = {
        p.resolve()
        for p in PACKAGE.rglob("*")
        if p.is_file() and p.suffix not in {".py", ".pyc"} and "__pycache__" not in p.parts
    }
    assert data, "no data files found: the test would pass whatever pyproject says"
    missing = sorted(str(p.relative_to(PACKAGE.resolve())) for p in data - _shipped())
    assert missing == []


def test_the_lexicon_word_lists_ship() -> None:
    words = set((PACKAGE / "screening" / "lexicon_data").glob("*.json"))
    assert {p.name for p in words} >= {"base.json", "more.json"}
    assert {p.resolve() for p in words} <= _shipped()
