#!/bin/bash
# Post-build step after `trunk build`: the lazy pages. Trunk has already
# run wasm-bindgen on the whole wasm; this redoes the end of the pipeline the
# way cargo-leptos --split does: split the wasm cargo linked (with
# --emit-relocs) at its #[lazy] points, wasm-bindgen the main part with
# --keep-lld-exports --no-demangle, wasm-opt every part, and put the result in
# dist/ under Trunk's (hashed) names, fixing index.html's integrity hashes.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
DIST="$ROOT/dist"
TARGET="${CARGO_TARGET_DIR:-$ROOT/target/wasm}"
RAW="$TARGET/wasm32-unknown-unknown/app/keyward-app.wasm"
SPLIT="${WASM_SPLIT_BIN:-$TARGET/release/wasm-split}"
WASM_OPT="${WASM_OPT_BIN:-$ROOT/node_modules/.bin/wasm-opt}"
js=$(cd "$DIST" && ls keyward-app-*.js)
bg=$(cd "$DIST" && ls keyward-app-*_bg.wasm)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
t0=$(date +%s)
"$SPLIT" "$RAW" "$tmp" "$js"
t1=$(date +%s)
wasm-bindgen --target web --no-typescript --keep-lld-exports --no-demangle \
  --out-dir "$tmp/bg" --out-name main "$tmp/main.wasm"
t2=$(date +%s)
cp "$tmp/bg/main.js" "$DIST/$js"
nice -n 19 "$WASM_OPT" -Oz ${WASM_OPT_FLAGS:-} "$tmp/bg/main_bg.wasm" -o "$DIST/$bg"
rm -f "$DIST"/split_*.wasm "$DIST"/chunk_*.wasm
for f in "$tmp"/split_*.wasm "$tmp"/chunk_*.wasm; do
  [ -e "$f" ] || continue
  nice -n 19 "$WASM_OPT" -Oz ${WASM_OPT_FLAGS:-} "$f" -o "$DIST/$(basename "$f")"
done
t3=$(date +%s)
cp "$tmp/__wasm_split.js" "$tmp/__wasm_split_manifest.json" "$DIST/"
node -e '
const fs=require("fs"),c=require("crypto"),p=require("path");
const [dist,...files]=process.argv.slice(1);
let html=fs.readFileSync(p.join(dist,"index.html"),"utf8");
for (const f of files) {
  const h="sha384-"+c.createHash("sha384").update(fs.readFileSync(p.join(dist,f))).digest("base64");
  html=html.replace(new RegExp(`(href="/${f.replace(/[.]/g,"[.]")}"[^>]*integrity=")[^"]*`),`$1${h}`);
}
fs.writeFileSync(p.join(dist,"index.html"),html);
' "$DIST" "$js" "$bg"
echo "split $((t1-t0)) s, wasm-bindgen $((t2-t1)) s, wasm-opt $((t3-t2)) s" >&2
