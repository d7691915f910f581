// The admin app's wasm as the browser downloads it: raw and gzip -9 bytes of
// dist/*_bg.wasm, and its budget. `node scripts/app-size.mjs` prints the
// figure (scripts/bench); tests/e2e/size.test.mjs fails above the budget.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync, constants } from 'node:zlib';

// A regression guard a little above today's size (611 KiB gzipped; README
// "The admin app's size" lists what each release added). It was 560 KiB until
// the token controls, project policies, explain and usage screens: moving it is
// a deliberate, recorded re-baseline, never a way to pass. Issue #16 asks for
// 300 KiB, with 250 KiB as the goal: not met, so this is not that budget.
export const BUDGET_GZ_BYTES = 610 * 1024;
export const TARGET_GZ_BYTES = 250 * 1024;

export function appWasmSize(dist = join(dirname(fileURLToPath(import.meta.url)), '..', 'dist')) {
  const files = readdirSync(dist).filter((f) => f.endsWith('_bg.wasm'));
  if (files.length !== 1) throw new Error(`expected one *_bg.wasm in ${dist}, found ${files.length}`);
  const bytes = readFileSync(join(dist, files[0]));
  const gz = gzipSync(bytes, { level: constants.Z_BEST_COMPRESSION }).length;
  return { file: files[0], raw: bytes.length, gz };
}

export const kib = (n) => `${(n / 1024).toFixed(1)} KiB`;

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { file, raw, gz } = appWasmSize();
  console.log(`app wasm (dist/${file}): ${kib(gz)} gzipped, ${kib(raw)} raw (guard ${kib(BUDGET_GZ_BYTES)}, goal ${kib(TARGET_GZ_BYTES)} gzipped)`);
}
