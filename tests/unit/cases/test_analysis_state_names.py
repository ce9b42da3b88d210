"""A notice's stored analysis state (``NoticeRow.analysis_state``) is written and read
through the repository's names (storage/sql/repos_case_media: ``DONE``, ``FAILED``), never
as string literals that a rename there would silently leave behind."""

from __future__ import annotations

import ast
from pathlib import Path

import mediaproof
from mediaproof.storage.sql.repos_case_media import DONE, FAILED

SRC = Path(mediaproof.__file__).parent


def _is_state(node: ast.AST) -> bool:
    return isinstance(node, ast.Attribute) and node.attr == "analysis_state"


def _literal(node: ast.AST) -> bool:
    return isinstance(node, ast.Constant) and isinstance(node.value, str)


def literal_states(tree: ast.AST) -> list[int]:
    """Lines where ``<x>.analysis_state`` is compared with, or assigned, a str literal."""
    lines: list[int] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Compare):
            sides = [node.left, *node.comparators]
            if any(map(_is_state, sides)) and any(map(_literal, sides)):
                lines.append(node.lineno)
        elif isinstance(node, ast.Assign):
            for target in node.targets:
                pairs: list[tuple[ast.AST, ast.AST]] = [(target, node.value)]
                if isinstance(target, ast.Tuple) and isinstance(node.value, ast.Tuple):
                    pairs = list(zip(target.elts, node.value.elts, strict=False))
                if any(_is_state(t) and _literal(v) for t, v in pairs):
                    lines.append(node.lineno)
    return lines


def test_analysis_states_are_named_not_spelled() -> None:
    assert (DONE, FAILED) == ("done", "failed")  # the stored values (migration 0033)
    found = []
    for path in sorted(SRC.rglob("*.py")):
        if "migrations" in path.parts:  # a migration keeps the values of its day
            continue
        found += [
            f"{path.relative_to(SRC)}:{n}" for n in literal_states(ast.parse(path.read_text()))
        ]
    assert found == []


def test_the_check_sees_literals() -> None:
    code = (
        'row.analysis_state, row.analysis_error = "done", None\n'
        'if n.analysis_state == "failed": pass\n'
    )
    assert literal_states(ast.parse(code)) == [1, 2]
    assert literal_states(ast.parse("if n.analysis_state == FAILED: pass\n")) == []
