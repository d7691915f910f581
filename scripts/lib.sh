# Shared by the run and test commands: toolchain environment and the build.
# Sourced, not executed.

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export PATH="$HOME/.cargo/bin:$ROOT/node_modules/.bin:$PATH"
export WRANGLER_SEND_METRICS=false
export CLOUDFLARE_CF_FETCH_ENABLED=false

log() { printf '\033[1;34m[keyward]\033[0m %s\n' "$*" >&2; }

# The wasm toolchain: rustup's own wasm32 target where it exists (a
# developer laptop), else Debian's rustc-web building std from source.
wasm_env() {
  export CARGO_TARGET_DIR="$ROOT/target/wasm"
  local libdir
  libdir=$(rustc --print target-libdir --target wasm32-unknown-unknown 2>/dev/null || true)
  if [ -n "$libdir" ] && ls "$libdir"/libstd-*.rlib >/dev/null 2>&1; then
    return 0
  fi
  export RUSTUP_TOOLCHAIN=debian
  export RUSTC_BOOTSTRAP=1
  export CARGO_UNSTABLE_BUILD_STD=std,panic_abort
  export CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_LINKER=wasm-ld-19
  # worker-build insists the target's libdir exists; build-std does the work.
  libdir=$(RUSTUP_TOOLCHAIN=debian rustc --print target-libdir --target wasm32-unknown-unknown)
  if [ ! -d "$libdir" ]; then
    if [ "$(id -u)" = 0 ]; then mkdir -p "$libdir"; else sudo mkdir -p "$libdir"; fi
  fi
}

# A digest of everything a build reads, so unchanged trees skip the build.
tree_digest() {
  (cd "$ROOT" && find "$@" -type f -not -path '*/build/*' -print0 | sort -z | xargs -0 sha256sum | sha256sum | cut -c1-32)
}

# Both workers are one crate (worker/): the control plane with its
# default features (worker/build), the edge without them
# (worker/build-edge). docs/architecture.md, "Two workers".
# The served OpenAPI document (worker/openapi.json) is generated from the
# route table and the API types: a developer's build writes it, so adding
# an endpoint never needs a step for it. CI does not: there the domain's
# test fails when the committed document is not what the table generates.
write_openapi() {
  [ -n "${CI:-}" ] && return 0
  local out="$ROOT/worker/openapi.json"
  (cd "$ROOT" && cargo run -q -p keyward-domain --example openapi > "$out.new") \
    && { cmp -s "$out.new" "$out" || { mv "$out.new" "$out"; log "wrote worker/openapi.json"; }; } \
    || { rm -f "$out.new"; log "generating worker/openapi.json failed"; return 1; }
  rm -f "$out.new"
}

build_worker() {
  local digest stamp="$ROOT/worker/build/.digest"
  write_openapi || return 1
  digest=$(tree_digest worker/src worker/Cargo.toml worker/catalog.json worker/gateway.json worker/openapi.json domain Cargo.lock Cargo.toml scripts/lib.sh)
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$digest" ] && [ -f "$ROOT/worker/build/index.js" ] \
    && [ -f "$ROOT/worker/build-edge/index.js" ]; then
    log "workers up to date"
    return 0
  fi
  log "building the workers (wasm): the control plane, then the edge"
  (
    wasm_env
    export WASM_BINDGEN_BIN="$HOME/.cargo/bin/wasm-bindgen"
    export WASM_OPT_BIN="$ROOT/node_modules/.bin/wasm-opt"
    export ESBUILD_BIN="$ROOT/node_modules/.bin/esbuild"
    # Where std is built from source anyway: no panic-location strings and
    # no panic formatting (a panic aborts the call: a 500, never access).
    if [ "${RUSTC_BOOTSTRAP:-}" = 1 ]; then
      export RUSTFLAGS="-Zlocation-detail=none -Zunstable-options -Cpanic=immediate-abort"
    fi
    cd "$ROOT/worker"
    worker-build --release
    worker-build --release --out-dir build-edge . --no-default-features
  ) || { log "the worker build failed"; return 1; }
  echo "$digest" > "$stamp"
}

# The security headers of every page and asset (dist/_headers), from the
# built index.html: cheap, so written on every build, skipped or not.
write_headers() {
  node "$ROOT/scripts/headers.mjs" "$ROOT/dist" || { log "writing dist/_headers failed"; return 1; }
}

build_app() {
  local digest stamp="$ROOT/dist/.digest"
  digest=$(tree_digest app/src app/Cargo.toml app/index.html style domain Cargo.lock Cargo.toml Trunk.toml tools/wasm-split scripts/split-app.sh)
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$digest" ] && [ -f "$ROOT/dist/index.html" ]; then
    log "app up to date"
    write_headers
    return
  fi
  log "building the app (Leptos → wasm, Trunk)"
  # The post-build splitter of the lazy pages (tools/wasm-split), a native
  # tool: built with the host toolchain, outside wasm_env (no build-std).
  (
    export CARGO_TARGET_DIR="$ROOT/target/wasm"
    cd "$ROOT" && cargo build -q --release -p keyward-wasm-split
  ) || { log "building tools/wasm-split failed"; return 1; }
  (
    wasm_env
    # Smaller wasm (app/index.html builds with the `app` profile): Leptos's
    # type-erased views (less monomorphized code), and where std is built
    # from source anyway, panics that abort at once (no formatting code).
    # --emit-relocs: wasm_split_cli_support needs the linker's relocations
    # to move code into chunks (cargo-leptos --split adds the same).
    export RUSTFLAGS="--cfg erase_components -Clink-args=--emit-relocs"
    if [ "${RUSTC_BOOTSTRAP:-}" = 1 ]; then
      RUSTFLAGS="$RUSTFLAGS -Zunstable-options -Cpanic=immediate-abort"
    fi
    cd "$ROOT" && cargo fetch --target wasm32-unknown-unknown >/dev/null 2>&1 || true
    cd "$ROOT" && trunk build --release
    # Trunk ran wasm-bindgen on the unsplit wasm (app/index.html skips its
    # wasm-opt); split, re-bindgen and optimise, in dist/ under Trunk's names.
    "$ROOT/scripts/split-app.sh"
  ) || { log "the app build failed"; return 1; }
  echo "$digest" > "$stamp"
  write_headers
}

build_all() {
  build_worker && build_app
}
