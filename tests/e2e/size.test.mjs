// The size budget of the admin app's wasm (issue #16): what a phone downloads
// before anything renders (the main wasm; the other pages are lazy files,
// see lazy.test.mjs). Reads the built dist/, no browser needed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appWasmSize, BUDGET_GZ_BYTES, kib } from '../../scripts/app-size.mjs';

test(`the app's wasm before the first screen is at most ${BUDGET_GZ_BYTES / 1024} KiB gzipped`, () => {
  const { file, raw, gz, lazyFiles, lazyGz } = appWasmSize();
  console.log(`app wasm ${file}: ${kib(gz)} gzipped, ${kib(raw)} raw; lazy pages ${lazyFiles} files, ${kib(lazyGz)}`);
  assert.ok(lazyFiles > 0, 'the pages behind sign-in are split out of the main wasm');
  assert.ok(gz <= BUDGET_GZ_BYTES, `dist/${file} is ${kib(gz)} gzipped, over the ${kib(BUDGET_GZ_BYTES)} budget`);
});
