// The size budgets of the two workers' wasm (issue #27): every isolate
// compiles its module before its first answer, so the edge (the data
// plane) must stay small. The guards sit a little above today's sizes so
// that a regression shows; the edge's goal is 350 KiB gzipped. Reads the
// built worker/build*/, no browser needed.
//
// Raised once (issue #28), for what the issue asked of every answer: the
// edge from 321 to 331 KiB (request ids, RateLimit fields, 415 for
// non-JSON bodies), the control plane from 1,106 to 1,205 KiB (GitHub's
// signed leak reports, ETag/If-Match, idempotency keys, the audit's
// request ids and cursor). The control plane is not on a validated
// call's path; the edge stays under its goal.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync, constants } from 'node:zlib';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const kib = (n) => `${(n / 1024).toFixed(1)} KiB`;

const WORKERS = [
  // [what, wasm, guard (gzip -9 bytes), goal]
  ['edge worker (the data plane)', 'worker/build-edge/index_bg.wasm', 340 * 1024, 350 * 1024],
  ['control-plane worker', 'worker/build/index_bg.wasm', 1240 * 1024, null],
];

for (const [what, file, guard, goal] of WORKERS) {
  test(`the ${what}'s wasm is at most ${kib(guard)} gzipped`, () => {
    const bytes = readFileSync(join(root, file));
    const gz = gzipSync(bytes, { level: constants.Z_BEST_COMPRESSION }).length;
    console.log(`${file}: ${kib(gz)} gzipped, ${kib(bytes.length)} raw${goal ? `; goal ${kib(goal)}` : ''}`);
    assert.ok(gz <= guard, `${file} is ${kib(gz)} gzipped, over its ${kib(guard)} guard`);
  });
}

test('the edge links none of the control plane', () => {
  // The edge's wasm-bindgen glue exports no Durable Object class and no
  // queue consumer: those are the control plane's (wrangler.control.toml).
  const glue = readFileSync(join(root, 'worker/build-edge/index.js'), 'utf8');
  const control = readFileSync(join(root, 'worker/build/index.js'), 'utf8');
  const exported = (js, name) => new RegExp(`export\\{[^}]*\\bas ${name}\\b`).test(js);
  for (const name of ['RegistryObject', 'RateLimiter', 'FailureGuard']) {
    assert.ok(exported(control, name), `the control plane exports ${name}`);
    assert.ok(!exported(glue, name), `the edge exports ${name}`);
  }
});
