#!/usr/bin/env bash
# Solidity fuzz and invariant tests (test/foundry/) with Foundry's forge, offline:
#   - forge 1.7.1 from npm (@foundry-rs/forge; its native binary ships in the platform package,
#     an optional dependency, so no install script downloads anything);
#   - the solc-js 0.8.28 launcher that tools/setup.sh writes (no native solc can be downloaded);
#   - no forge-std (not fetchable offline): test/foundry/utils/Harness.sol declares the cheatcodes.
# Runs, depth, seed and the build folders (build/forge, build/forge-cache) are in
# test/foundry/foundry.toml (not at the root, where it would turn Slither's crytic-compile into
# Foundry mode), which FOUNDRY_CONFIG names; forge runs from the project root.
# Extra arguments go to `forge test`, e.g. `bash tools/forge.sh --mt invariant -vv`.
# Sets up first (tools/setup.sh) only when the forge binary or the compiler launcher is missing.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
arch="$(uname -m)"; case "$arch" in x86_64) arch=amd64 ;; aarch64) arch=arm64 ;; esac
FORGE="$ROOT/node_modules/@foundry-rs/forge-linux-$arch/bin/forge"
SOLC="${SOLCX_BINARY_PATH:-$HOME/.solcx}/solc-v0.8.28"
if [ ! -x "$FORGE" ] || [ ! -x "$SOLC" ]; then
  bash "$ROOT/tools/setup.sh"
fi
[ -x "$FORGE" ] || { printf '[forge] no forge binary for linux-%s in node_modules (npm package @foundry-rs/forge-linux-%s)\n' "$arch" "$arch" >&2; exit 1; }
export FOUNDRY_CONFIG="$ROOT/test/foundry/foundry.toml"
exec "$FORGE" test --offline --use "$SOLC" "$@"
