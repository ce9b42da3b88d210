#!/usr/bin/env bash
# Installs what is needed, runs the end-to-end demo on the embedded default (SQLite, local
# files in ./var: sign and register a sample, strip and tamper copies, verify all three),
# then serves the verify page, API and publishing at http://127.0.0.1:8000.
# The first start creates the user "admin" and prints its one-time password once.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
.venv/bin/mediaproof demo
exec .venv/bin/mediaproof serve --host 127.0.0.1 --port 8000 "$@"
