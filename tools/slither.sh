#!/usr/bin/env bash
# Static analysis of contracts/ with Slither; fails on any finding of medium or high impact.
# Triaged false positives are suppressed in the code with `// slither-disable-next-line <detector>`
# and a reason, and listed in contracts/SLITHER_TRIAGE.md. Slither lives in its own venv
# (.venv-slither, from tools/slither-requirements.txt) because its pins clash with brownie's.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
VENV="$ROOT/.venv-slither"
PY="${PYTHON:-python3}"
stamp="$(sha256sum tools/slither-requirements.txt | cut -c1-16)"
if [ ! -x "$VENV/bin/slither" ] || [ "$(cat "$VENV/.stamp" 2>/dev/null)" != "$stamp" ]; then
  printf '[slither] installing Slither into .venv-slither (first run: about 30 s)\n' >&2
  [ -x "$VENV/bin/python" ] || "$PY" -m venv "$VENV"
  "$VENV/bin/python" -m pip install --quiet --requirement tools/slither-requirements.txt >&2
  echo "$stamp" > "$VENV/.stamp"
fi
SOLC="${SOLCX_BINARY_PATH:-$HOME/.solcx}/solc-v0.8.28"
"$VENV/bin/slither" contracts --config-file slither.config.json --solc "$SOLC" --fail-medium "$@"
