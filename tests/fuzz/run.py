"""Run one fuzz target under atheris (libFuzzer): ``python -m tests.fuzz.run TARGET
[libFuzzer flags] [corpus dirs]``, e.g. ``-runs=2000`` or ``-max_total_time=60``.

Our modules are instrumented for coverage; the target's seeds (valid inputs) start the
corpus when no corpus folder is given. libFuzzer prints ``Done N runs`` at the end and
writes a crashing input to ``<-artifact_prefix>crash-<sha1>`` (exit code non-zero).
"""

from __future__ import annotations

import importlib
import sys
import tempfile
import types
from pathlib import Path

import atheris

INSTRUMENT = {
    "sniff": ["mediaproof.media.sniff"],
    "entries": ["mediaproof.transparency.entries"],
    "note": [
        "mediaproof.transparency.note",
        "mediaproof.transparency.checkpoint",
        "mediaproof.transparency.proof",
        "mediaproof.transparency.merkle",
    ],
    "tiles": ["mediaproof.transparency.tiles", "mediaproof.transparency.merkle"],
    "multipart": ["python_multipart", "mediaproof.api.uploads"],
    # the files reader shares the one parser in uploads
    "multipart_files": [
        "python_multipart",
        "mediaproof.api.uploads",
        "mediaproof.api.multipart_files",
    ],
}


def _bare_api_package() -> None:
    """Let ``mediaproof.api.uploads`` be imported without ``mediaproof/api/__init__.py``,
    which builds the whole app (seconds of imports per fuzz process): the upload parsers
    need only starlette, python_multipart and mediaproof.errors."""
    import mediaproof

    pkg = types.ModuleType("mediaproof.api")
    pkg.__path__ = [str(Path(mediaproof.__file__).parent / "api")]
    sys.modules.setdefault("mediaproof.api", pkg)


def _crash(data: bytes) -> None:
    """For the harness's own test: any input raises an error that is not ours."""
    raise RuntimeError(f"self-test crash on {len(data)} bytes")


def main() -> None:
    if len(sys.argv) < 2 or (sys.argv[1].startswith("-") and sys.argv[1] != "--self-test-crash"):
        sys.exit("usage: python -m tests.fuzz.run TARGET [libFuzzer flags] [corpus dirs]")
    name, rest = sys.argv[1], sys.argv[2:]
    # Only the parser under test (and the multipart library) is instrumented: coverage
    # feedback where it matters, and a start-up of seconds instead of the whole app's.
    modules = INSTRUMENT.get(name, ["mediaproof.media.sniff"])
    _bare_api_package()
    with atheris.instrument_imports(include=modules):
        for module in modules:
            importlib.import_module(module)
    from tests.fuzz.targets import TARGETS, cleanup, seeds

    target = TARGETS.get(name) or (_crash if name == "--self-test-crash" else None)
    if target is None:
        sys.exit(f"no fuzz target {name!r}; one of: {', '.join(sorted(TARGETS))}")
    if name == "--self-test-crash":
        name = "sniff"  # its seeds
    args = [sys.argv[0], *rest]
    with tempfile.TemporaryDirectory(prefix=f"fuzz-{name}-") as corpus:
        if not any(not a.startswith("-") for a in rest):
            for i, seed in enumerate(seeds(name)):
                Path(corpus, f"seed-{i}").write_bytes(seed)
            args.append(corpus)
        try:
            atheris.Setup(args, target)
            atheris.Fuzz()
        finally:
            cleanup()


if __name__ == "__main__":
    main()
