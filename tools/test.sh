#!/usr/bin/env bash
# Set up (idempotent), lint, and run the whole test suite: `brownie test` on a local anvil chain.
# Extra arguments go to brownie test, e.g. `bash tools/test.sh tests/contract -x`.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bash "$ROOT/tools/setup.sh"
cd "$ROOT"
export PATH="$ROOT/.venv/bin:$PATH"
ruff check --quiet . || { echo "ruff found problems (above); \`ruff check --fix .\` fixes most" >&2; exit 1; }
exec brownie test "$@"
