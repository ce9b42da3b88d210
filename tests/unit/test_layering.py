"""The layout rule (README "Layout"), held by import-linter's contracts in pyproject.toml.

``lint-imports`` runs on the tree under ``src/`` and its report is the failure message.
The second test proves the contracts bite: it copies the package, plants one forbidden
import per rule and expects ``lint-imports`` to name it. The last one keeps the README's
layout listing whole: every package and top-level module, and nothing that is gone.
"""

from __future__ import annotations

import ast
import importlib
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SRC = ROOT / "src"


def _lint_imports(src: Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    exe = Path(sys.executable).parent / "lint-imports"
    assert exe.exists(), f"{exe} is missing: install the dev extra (import-linter)"
    # PYTHONPATH first, so the tree under test is analysed and not an installed copy
    env = {**os.environ, "PYTHONPATH": str(src)}
    return subprocess.run(
        [str(exe), "--no-cache"],  # reads the contracts from cwd's pyproject.toml
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_import_contracts_are_kept() -> None:
    proc = _lint_imports(SRC, ROOT)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "0 broken" in proc.stdout


@pytest.mark.parametrize(
    ("module", "line", "contract"),
    [
        # a domain package importing storage (directly)
        ("policy/assessment.py", "import mediaproof.storage.blobs", "Domain packages"),
        # ... or services, through a helper it imports (indirect imports count)
        ("errors.py", "import mediaproof.services.instance", "Domain packages"),
        # an adapter going around services
        ("web/pages.py", "from mediaproof.storage.sql import tables", "Adapters reach"),
        # storage reaching up into services
        ("storage/blobs.py", "import mediaproof.services.health", "Storage never"),
        # a use case reaching into an adapter
        ("services/health.py", "from mediaproof.api import deps", "Services never"),
        # a use case running SQL or building rows itself (repositories do that)
        ("services/health.py", "import sqlalchemy", "Services run no SQL"),
        ("services/likeness.py", "import mediaproof.storage.sql.tables_cases", "run no SQL"),
    ],
)
def test_contracts_catch_a_planted_violation(
    tmp_path: Path, module: str, line: str, contract: str
) -> None:
    src = tmp_path / "src"
    shutil.copytree(
        SRC / "mediaproof", src / "mediaproof", ignore=shutil.ignore_patterns("__pycache__")
    )
    shutil.copy(ROOT / "pyproject.toml", tmp_path)
    target = src / "mediaproof" / module
    target.write_text(target.read_text() + f"\n{line}  # planted by the test\n")
    proc = _lint_imports(src, tmp_path)
    assert proc.returncode != 0, proc.stdout
    broken = proc.stdout.split("Broken contracts", 1)[-1]
    assert contract in broken, proc.stdout


def _layout_listing() -> set[str]:
    text = (ROOT / "README.md").read_text()
    m = re.search(r"^## Layout\n(.*?)(?=^## )", text, re.M | re.S)
    assert m, "README.md has no '## Layout' section"
    listed = set()
    for line in m.group(1).splitlines():
        if line.startswith("      "):  # the indented tree under src/mediaproof/
            first = line.split()[0]
            if first.endswith(("/", ".py")):
                listed.add(first)
    return listed


def _packages_and_modules() -> set[str]:
    pkg = SRC / "mediaproof"
    out = {
        p.parent.relative_to(pkg).as_posix() + "/"
        for p in pkg.rglob("__init__.py")
        if p.parent != pkg
    }
    out |= {p.name for p in pkg.glob("*.py") if p.name != "__init__.py"}
    return out


def test_readme_layout_names_every_package() -> None:
    listed, present = _layout_listing(), _packages_and_modules()
    assert len(present) > 20
    missing = sorted(present - listed)
    assert not missing, f"README.md's Layout section does not list {missing}"
    gone = sorted(listed - present)
    assert not gone, f"README.md's Layout section lists {gone}, which do not exist"


def test_testing_package_imports_without_pytest() -> None:
    """A plug-in's runtime may import mediaproof.testing (e.g. hash_populations) without
    pytest installed; only the contract modules need it."""
    code = (
        "import sys; sys.modules['pytest'] = None\n"  # any `import pytest` now fails
        "import mediaproof.testing, mediaproof.testing.hash_populations\n"
        "try:\n"
        "    import mediaproof.testing.fingerprinter_contract\n"
        "except ImportError:\n"
        "    print('contracts need pytest')\n"
    )
    env = {**os.environ, "PYTHONPATH": str(SRC)}
    proc = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=False
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "contracts need pytest"


def _package_names() -> list[str]:
    return sorted(
        ".".join(p.parent.relative_to(SRC).parts) for p in (SRC / "mediaproof").rglob("__init__.py")
    )


def _imported_from_packages() -> dict[str, set[str]]:
    """``from mediaproof.pkg import NAME`` in src, tests and bench, per package, for NAMEs
    that are not submodules (those are reached by their own path)."""
    packages = set(_package_names())
    out: dict[str, set[str]] = {p: set() for p in packages}
    for base in ("src", "tests", "bench"):
        for f in (ROOT / base).rglob("*.py"):
            for node in ast.walk(ast.parse(f.read_text(), filename=str(f))):
                if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module in out:
                    pkg_dir = SRC.joinpath(*node.module.split("."))
                    for a in node.names:
                        sub = pkg_dir / a.name
                        if not (sub.with_suffix(".py").exists() or (sub / "__init__.py").exists()):
                            out[node.module].add(a.name)
    return out


def test_every_package_states_its_public_face() -> None:
    used = _imported_from_packages()
    problems = []
    for name in _package_names():
        module = importlib.import_module(name)
        names = getattr(module, "__all__", None)
        if names is None:
            problems.append(f"{name} has no __all__")
            continue
        problems += [f"{name}.__all__ names {n!r}, which it lacks" for n in names
                     if not hasattr(module, n)]  # fmt: skip
        problems += [f"{name}: callers import {n!r} but __all__ does not name it"
                     for n in sorted(used[name] - set(names))]  # fmt: skip
    assert not problems, "\n".join(problems)
