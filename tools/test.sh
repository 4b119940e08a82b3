#!/usr/bin/env bash
# Set up (idempotent), then check everything, stopping at the first failure:
#   1. ruff over the Python code (configured in pyproject.toml);
#   2. Slither over contracts/: no medium or high finding (tools/slither.sh);
#   3. forge: Solidity fuzz and invariant tests of the contract against a reference model (tools/forge.sh);
#   4. brownie test: every Python test on a local anvil chain with the real compiler.
# Extra arguments go to brownie test, e.g. `bash tools/test.sh tests/contract -x`.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bash "$ROOT/tools/setup.sh"
cd "$ROOT"
export PATH="$ROOT/.venv/bin:$PATH"
step() { printf '\n[test] %s\n' "$*" >&2; }
step "ruff"
ruff check --quiet . || { echo "ruff found problems (above); \`ruff check --fix .\` fixes most" >&2; exit 1; }
step "slither (contracts/)"
bash tools/slither.sh >&2
step "forge (test/foundry/)"
bash tools/forge.sh --summary >&2
step "brownie test"
exec brownie test "$@"
