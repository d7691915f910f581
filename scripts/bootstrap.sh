#!/usr/bin/env bash
# Installs everything Keyward needs to build and test on a fresh Debian 12
# machine. Idempotent: every step is skipped when already done at the right
# version, so a re-run takes seconds.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)

WASM_BINDGEN_VERSION=0.2.130
WORKER_BUILD_VERSION=0.8.7
TRUNK_VERSION=0.22.1

log() { printf '\033[1;34m[bootstrap]\033[0m %s\n' "$*" >&2; }
SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi

# Debian's rustc-web is the one compiler here that can build a wasm32 std
# (from rust-web-src, with build-std); lld-19 provides wasm-ld-19.
APT_PKGS=(rustc-web cargo-web rust-web-src lld-19 chromium chromium-driver)
missing=()
for p in "${APT_PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  log "apt-get install ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi

if command -v rustup >/dev/null 2>&1; then
  if ! rustup toolchain list | grep -q '^debian'; then
    log "rustup toolchain link debian /usr"
    rustup toolchain link debian /usr
  fi
fi

# cargo installs run from outside the project so its settings don't apply.
# They are build tools, so they are built for a quick first run rather than
# for speed: no LTO (trunk asks for fat LTO with one codegen unit, which
# alone took 10½ of a fresh machine's 32 minutes), many codegen units, and
# one target directory, so the crates the three tools share compile once.
# Config profiles take precedence over a package's own [profile.release].
tool_build_env=(
  CARGO_PROFILE_RELEASE_LTO=false
  CARGO_PROFILE_RELEASE_CODEGEN_UNITS=16
  CARGO_PROFILE_RELEASE_OPT_LEVEL=1
  CARGO_PROFILE_RELEASE_DEBUG=0
  CARGO_INCREMENTAL=0
  CARGO_TARGET_DIR="${KEYWARD_TOOLS_TARGET:-$ROOT/target/tools}"
)
cargo_install() { # name binary version-string args...
  local bin=$1 want=$2; shift 2
  if command -v "$bin" >/dev/null 2>&1 && "$bin" --version 2>/dev/null | grep -qF "$want"; then
    return 0
  fi
  log "cargo install $* (one-time, a few minutes)"
  (cd / && env "${tool_build_env[@]}" cargo install "$@")
}
cargo_install wasm-bindgen "$WASM_BINDGEN_VERSION" wasm-bindgen-cli --version "=$WASM_BINDGEN_VERSION"
cargo_install worker-build "$WORKER_BUILD_VERSION" worker-build --version "=$WORKER_BUILD_VERSION" --locked
cargo_install trunk "$TRUNK_VERSION" trunk --version "=$TRUNK_VERSION" --locked --ignore-rust-version

if [ -f package.json ]; then
  if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
    log "npm ci"
    npm ci --no-audit --no-fund --loglevel=error
  fi
fi
# schemathesis for contract fuzzing, in a venv of the project's own.
SCHEMATHESIS_VERSION=4.32.5
if ! .venv/bin/schemathesis --version 2>/dev/null | grep -qF "$SCHEMATHESIS_VERSION"; then
  log "pip install schemathesis==$SCHEMATHESIS_VERSION"
  rm -rf .venv
  if ! python3 -m venv .venv 2>/dev/null; then
    # Debian's python3 keeps venv in a package of its own.
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq python3-venv >/dev/null
    python3 -m venv .venv
  fi
  .venv/bin/pip install -q "schemathesis==$SCHEMATHESIS_VERSION"
fi
# openapi-python-client in the same venv: tests/e2e/contract-client.test.mjs
# generates a client from worker/openapi.json and runs a flow with it.
OPENAPI_PYTHON_CLIENT_VERSION=0.29.0
if ! .venv/bin/openapi-python-client --version 2>/dev/null | grep -qF "$OPENAPI_PYTHON_CLIENT_VERSION"; then
  log "pip install openapi-python-client==$OPENAPI_PYTHON_CLIENT_VERSION"
  .venv/bin/pip install -q "openapi-python-client==$OPENAPI_PYTHON_CLIENT_VERSION"
fi
log "toolchain ready"
