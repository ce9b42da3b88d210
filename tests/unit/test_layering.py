"""The dependency direction from DESIGN.md, held by a test.

Domain packages never import storage, services, api, web or cli; only services joins
domain and storage; api, web and cli reach storage only through services.
"""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "src" / "mediaproof"
OUTER = {"storage", "services", "api", "web", "cli"}
DOMAIN = {
    "media",
    "provenance",
    "registry",
    "analysis",
    "policy",
    "fingerprint",
    "matching",
    "watermark",
    "transparency",
    "likeness",
    "cases",
    "detection",
    "exchange",
}
FRONTS = {"api", "web", "cli"}


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    out: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            out.add(node.module)
        elif isinstance(node, ast.Import):
            out.update(a.name for a in node.names)
    return {m for m in out if m.startswith("mediaproof.")}


def _package(path: Path) -> str:
    rel = path.relative_to(SRC).parts
    return rel[0] if len(rel) > 1 else ""


def test_layering() -> None:
    violations = []
    files = list(SRC.rglob("*.py"))
    assert len(files) > 20
    for f in files:
        pkg = _package(f)
        for mod in _imports(f):
            target = mod.split(".")[1]
            if pkg in DOMAIN and target in OUTER:
                violations.append(f"{f.relative_to(SRC)} imports {mod}")
            if pkg in FRONTS and target == "storage":
                violations.append(f"{f.relative_to(SRC)} imports {mod} (go through services)")
    assert not violations, "\n".join(violations)
