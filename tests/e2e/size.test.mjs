// The size budget of the admin app's wasm (issue #16): what a phone downloads
// before anything renders. Reads the built dist/, no browser needed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appWasmSize, BUDGET_GZ_BYTES, kib } from '../../scripts/app-size.mjs';

test(`the app's wasm is at most ${BUDGET_GZ_BYTES / 1024} KiB gzipped`, () => {
  const { file, raw, gz } = appWasmSize();
  console.log(`app wasm ${file}: ${kib(gz)} gzipped, ${kib(raw)} raw`);
  assert.ok(gz <= BUDGET_GZ_BYTES, `dist/${file} is ${kib(gz)} gzipped, over the ${kib(BUDGET_GZ_BYTES)} budget`);
});
