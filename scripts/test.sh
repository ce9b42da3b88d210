#!/usr/bin/env bash
# Installs what is needed, then runs the whole test suite (unit, integration on SQLite
# and PostgreSQL, end-to-end) and the linters. Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
# the browser tests (tests/e2e/test_browser.py) drive Debian's chromium
MEDIAPROOF_WITH_BROWSER=1 scripts/setup.sh
scripts/services.sh
if [ ! -d ../shared/corpora ] && [ -z "${MEDIAPROOF_CORPORA:-}" ]; then
  echo "test: the corpora are expected at ../shared/corpora (or set MEDIAPROOF_CORPORA)" >&2
  exit 1
fi
.venv/bin/ruff check src tests bench
.venv/bin/mypy
PYTHONPATH="$PWD/src" .venv/bin/lint-imports --no-cache
.venv/bin/python -m pytest -q -p no:cacheprovider "$@"
