#!/usr/bin/env bash
# Installs what is needed, then runs the main job on the embedded default (SQLite, local
# files in ./var): sign and register a sample, strip and tamper copies, verify all three.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
exec .venv/bin/mediaproof demo "$@"
