#!/usr/bin/env bash
# Set up (idempotent) and run the main job: a whole competition on a local chain.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bash "$ROOT/tools/setup.sh"
cd "$ROOT"
export PATH="$ROOT/.venv/bin:$PATH"
exec brownie run scripts/demo.py "$@"
