#!/usr/bin/env bash
# Idempotent set-up, called by both README commands (and usable on its own):
#   1. a Python venv (.venv) with the pinned requirements and this project (console command `market`);
#   2. the npm tools from package-lock.json (solc-js 0.8.28, anvil, forge, OpenZeppelin);
#   3. a `solc-v0.8.28` launcher where py-solc-x (so brownie) looks for compilers, with its own copy of solc-js;
#   4. `anvil` on the venv's PATH, which is the PATH brownie uses;
#   7. a headless browser (Debian's `chromium`) for the test of `market report`'s page.
# A second run on a set-up machine checks stamps and returns in about a second.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
VENV="$ROOT/.venv"
PY="${PYTHON:-python3}"
SOLC_VERSION="0.8.28"
log() { printf '[setup] %s\n' "$*" >&2; }
need() { command -v "$1" >/dev/null 2>&1 || { log "missing '$1': $2"; exit 1; }; }

need "$PY" "install Python 3.11 (python3 with venv and pip)"
need node "install Node.js 18 or newer (it runs the Solidity compiler and anvil's launcher)"
need npm "install npm (it comes with Node.js)"

stamp_of() { cat "$@" | sha256sum | cut -c1-16; }

# 1. Python venv ------------------------------------------------------------------------------
py_stamp="$(stamp_of requirements.txt pyproject.toml)"
if [ ! -x "$VENV/bin/python" ] || [ "$(cat "$VENV/.stamp" 2>/dev/null)" != "$py_stamp" ]; then
  log "creating the Python venv in .venv (first run: about 2-5 minutes, ~2.5 GB)"
  [ -x "$VENV/bin/python" ] || "$PY" -m venv "$VENV"
  "$VENV/bin/python" -m pip install --quiet --upgrade "pip==26.3" >&2 || "$VENV/bin/python" -m pip install --quiet --upgrade pip >&2
  "$VENV/bin/python" -m pip install --quiet --requirement requirements.txt >&2
  "$VENV/bin/python" -m pip install --quiet --no-deps --no-build-isolation --editable . >&2
  echo "$py_stamp" > "$VENV/.stamp"
fi

# 2. npm tools ---------------------------------------------------------------------------------
npm_stamp="$(stamp_of package-lock.json)"
if [ ! -d node_modules ] || [ "$(cat node_modules/.fm-stamp 2>/dev/null)" != "$npm_stamp" ]; then
  log "installing npm tools (solc $SOLC_VERSION, anvil, forge)"
  # --ignore-scripts: anvil's and forge's postinstall would download a binary; their platform
  # packages (optional dependencies) already ship it.
  npm ci --ignore-scripts --no-audit --no-fund --loglevel=error >&2
  echo "$npm_stamp" > node_modules/.fm-stamp
fi

# 3. solc launcher where py-solc-x finds it ---------------------------------------------------
# solc-js (with the npm packages it needs) and tools/solc-launcher.js are copied next to the
# launcher, so the launcher belongs to no clone: a second clone's set-up writes the same bytes,
# and deleting a clone leaves the compiler working for the others.
SOLCX_DIR="${SOLCX_BINARY_PATH:-$HOME/.solcx}"
mkdir -p "$SOLCX_DIR"
launcher="$SOLCX_DIR/solc-v$SOLC_VERSION"
solcjs="$SOLCX_DIR/solcjs-$SOLC_VERSION"
solcjs_stamp="$(node -e 'process.stdout.write(require("./node_modules/solc/package.json").version)')-$(stamp_of tools/solc-launcher.js)"
if [ "$(cat "$solcjs/.fm-stamp" 2>/dev/null)" != "$solcjs_stamp" ]; then
  fresh="$(mktemp -d "$SOLCX_DIR/.solcjs.XXXXXX")"
  mkdir -p "$fresh/node_modules"
  # solc and every package it requires (hoisted ones; nested node_modules come with their parent)
  for pkg in $(node -e '
    const fs = require("fs"), seen = new Set();
    const walk = (n) => {
      const f = `node_modules/${n}/package.json`;
      if (seen.has(n) || !fs.existsSync(f)) return;
      seen.add(n);
      Object.keys(JSON.parse(fs.readFileSync(f, "utf8")).dependencies || {}).forEach(walk);
    };
    walk("solc");
    console.log([...seen].join("\n"));'); do
    mkdir -p "$fresh/node_modules/$(dirname "$pkg")"
    cp -R "node_modules/$pkg" "$fresh/node_modules/$pkg"
  done
  cp tools/solc-launcher.js "$fresh/"
  echo "$solcjs_stamp" > "$fresh/.fm-stamp"
  rm -rf "$solcjs" && mv "$fresh" "$solcjs"
  log "solc-js $SOLC_VERSION copied to $solcjs"
fi
want="#!/bin/sh
# Written by a forecast-market tools/setup.sh: solc-js $SOLC_VERSION (WebAssembly) as a solc binary.
FM_SOLC_MODULE='$solcjs/node_modules/solc' exec node '$solcjs/solc-launcher.js' \"\$@\""
if [ "$(cat "$launcher" 2>/dev/null)" != "$want" ]; then
  printf '%s\n' "$want" > "$launcher"
  chmod +x "$launcher"
  log "solc $SOLC_VERSION launcher written to $launcher"
fi

# 4. anvil where brownie finds it ------------------------------------------------------------
arch="$(uname -m)"; case "$arch" in x86_64) arch=amd64 ;; aarch64) arch=arm64 ;; esac
anvil_bin="$ROOT/node_modules/@foundry-rs/anvil-linux-$arch/bin/anvil"
[ -x "$anvil_bin" ] || { log "no anvil binary for linux-$arch in node_modules"; exit 1; }
ln -sfn "$anvil_bin" "$VENV/bin/anvil"
# forge (contract fuzz and invariant tests): tools/forge.sh runs it from node_modules
forge_bin="$ROOT/node_modules/@foundry-rs/forge-linux-$arch/bin/forge"
[ -x "$forge_bin" ] || { log "no forge binary for linux-$arch in node_modules"; exit 1; }

# 4b. brownie's build folder: brownie 1.22 recompiles a contract when its own file changes, but not
# when only an interface it imports does (project/main.py, _get_changed_contracts), so a stale
# ForecastMarket would be deployed and its published source would not match. Any change to a
# Solidity source or the compiler settings clears the compiled artifacts; brownie rebuilds them.
sol_stamp="$(cat $(find contracts interfaces -name '*.sol' | sort) brownie-config.yaml | sha256sum | cut -c1-16)"
if [ -d build ] && [ "$(cat build/.fm-sources-stamp 2>/dev/null)" != "$sol_stamp" ]; then
  rm -rf build/contracts build/interfaces
  log "Solidity sources changed: brownie's compiled artifacts cleared (rebuilt on next use)"
fi
mkdir -p build && echo "$sol_stamp" > build/.fm-sources-stamp

# 5. .env (brownie-config.yaml names it; secrets stay out of git) -----------------------------
if [ ! -f .env ]; then
  cp .env.example .env
  log "created .env from .env.example (fill in PRIVATE_KEY etc. for live networks)"
fi

# 6. a live network whose RPC URL comes from the environment (.env) ---------------------------
if ! grep -q "id: sepolia-rpc" "$HOME/.brownie/network-config.yaml" 2>/dev/null; then
  "$VENV/bin/brownie" networks add Ethereum sepolia-rpc host='$SEPOLIA_RPC_URL' chainid=11155111 \
    explorer=https://api-sepolia.etherscan.io/api >/dev/null
  log "registered brownie network 'sepolia-rpc' (host from \$SEPOLIA_RPC_URL)"
fi

# 7. chromium: the report test renders `market report`'s page in a real headless browser -----
if ! command -v chromium >/dev/null 2>&1 && ! command -v chromium-browser >/dev/null 2>&1; then
  if command -v apt-get >/dev/null 2>&1; then
    sudo_=""; [ "$(id -u)" -eq 0 ] || sudo_="sudo"
    log "installing chromium (apt-get; used by tests/e2e/test_report.py)"
    apt_="$sudo_ env DEBIAN_FRONTEND=noninteractive apt-get"  # no prompt may stop an unattended run
    $apt_ install -y --no-install-recommends chromium >&2 \
      || { $apt_ update >&2 && $apt_ install -y --no-install-recommends chromium >&2; }
  else
    log "no chromium and no apt-get: install chromium yourself to run tests/e2e/test_report.py"
  fi
fi
