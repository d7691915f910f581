// The admin app's wasm as the browser downloads it: raw and gzip -9 bytes of
// dist/*_bg.wasm, and its budget. `node scripts/app-size.mjs` prints the
// figure (scripts/bench); tests/e2e/size.test.mjs fails above the budget.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync, constants } from 'node:zlib';

// What the first screen needs is the main wasm: every page but sign-in is
// a lazy route, split out after the build (scripts/split-app.sh) into
// split_*/chunk_*.wasm files fetched on the first visit to its area. The
// budget is on the main wasm: issue #16 asks for at most 250 KiB gzipped
// (its test fails above 300 KiB); the guard sits a little above today's
// size so that a regression shows (docs/benchmarks.md, "The admin app's size").
export const BUDGET_GZ_BYTES = 215 * 1024;
export const TARGET_GZ_BYTES = 250 * 1024;

const gz = (bytes) => gzipSync(bytes, { level: constants.Z_BEST_COMPRESSION }).length;

export function appWasmSize(dist = join(dirname(fileURLToPath(import.meta.url)), '..', 'dist')) {
  const files = readdirSync(dist).filter((f) => f.endsWith('_bg.wasm'));
  if (files.length !== 1) throw new Error(`expected one *_bg.wasm in ${dist}, found ${files.length}`);
  const bytes = readFileSync(join(dist, files[0]));
  const lazy = readdirSync(dist).filter((f) => /^(split|chunk)_.*\.wasm$/.test(f));
  const lazyGz = lazy.reduce((n, f) => n + gz(readFileSync(join(dist, f))), 0);
  return { file: files[0], raw: bytes.length, gz: gz(bytes), lazyFiles: lazy.length, lazyGz };
}

export const kib = (n) => `${(n / 1024).toFixed(1)} KiB`;

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const s = appWasmSize();
  console.log(`app wasm before the first screen (dist/${s.file}): ${kib(s.gz)} gzipped, ${kib(s.raw)} raw (guard ${kib(BUDGET_GZ_BYTES)}, goal ${kib(TARGET_GZ_BYTES)} gzipped); the lazy pages: ${s.lazyFiles} files, ${kib(s.lazyGz)} gzipped in all`);
}
