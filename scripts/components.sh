# Component tests of the admin app: wasm-bindgen-test in headless Chromium
# (app/tests/*.rs). Sourced after scripts/lib.sh; call `test_components`.

test_components() {
  (
    set -e
    wasm_env
    local dir="$ROOT/target/component-tests"
    mkdir -p "$dir"
    # The runner reads its browser capabilities from this file; keeping it
    # in target/ leaves the repository clean.
    cat > "$dir/webdriver.json" <<'EOF'
{
  "goog:chromeOptions": {
    "binary": "/usr/bin/chromium",
    "args": ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             "--disable-dev-shm-usage"]
  }
}
EOF
    export WASM_BINDGEN_TEST_WEBDRIVER_JSON="$dir/webdriver.json"
    export CHROMEDRIVER=/usr/bin/chromedriver
    export CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER=wasm-bindgen-test-runner
    export WASM_BINDGEN_TEST_TIMEOUT="${WASM_BINDGEN_TEST_TIMEOUT:-120}"
    # Without debug info: with it each test binary is ~800 MB of DWARF and
    # five link at once, which filled a CI disk mid-link (wasm-ld SIGBUS).
    # Nothing reads it: the runner reports panics by message, not by line.
    export CARGO_PROFILE_DEV_DEBUG=0
    export CARGO_INCREMENTAL=0
    log "component tests (wasm-bindgen-test, headless Chromium)"
    # Run from the directory as well, for runners that only look in the cwd.
    cd "$dir"
    cargo test --manifest-path "$ROOT/Cargo.toml" -p keyward-app --target wasm32-unknown-unknown --tests
  )
}
