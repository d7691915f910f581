// The first usable screen on a slow phone connection (issue #16: "the first
// screen usable in under 1.5 s on an emulated Fast 3G connection").
// Chromium's own network emulation (CDP Network.emulateNetworkConditions)
// with DevTools' "Fast 3G" preset, an empty cache, and the time from
// navigation start until the sign-in form is on screen and answers a
// click (the form is drawn by the wasm, so its presence means the app
// runs).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { useApp } from './support/app.mjs';

// DevTools' "Fast 3G" (front_end/core/sdk/NetworkManager.ts): 1.6 Mbps
// down and 750 kbps up, each × 0.9, and 150 ms × 3.75 of latency.
const FAST_3G = {
  offline: false,
  downloadThroughput: (1.6 * 1000 * 1000 / 8) * 0.9,
  uploadThroughput: (750 * 1000 / 8) * 0.9,
  latency: 150 * 3.75,
};
// Issue 16's target.
const TARGET_MS = 1_500;
// Not met: 4.5 s with the whole app in one 558 KiB (gzip) wasm; 2.5 s since
// every page but sign-in is lazy (a 197 KiB main wasm, ~1.1 s of it at
// 180 kB/s, after two round trips of 562.5 ms: the page, then its JS and
// wasm, then the wasm's instantiation). This bound is what is met today, with
// room for a busy machine; it catches a regression, and the figure is printed
// on every run. Meeting 1.5 s needs a first download of ~100 kB (see
// docs/benchmarks.md, "The admin app's size").
const BOUND_MS = 4_000;

const env = useApp();

test('Fast 3G: the sign-in form is usable within the bound (target 1.5 s)', async () => {
  const { app, browser } = env;
  const context = await browser.newContext({ viewport: { width: 390, height: 844 } });
  const page = await context.newPage();
  // When the wasm first draws the form, by the page's own clock.
  await page.addInitScript(() => {
    const seen = () => {
      if (document.querySelector('[data-testid="passkey-signin"]')) {
        window.__signinAt = performance.now();
        return true;
      }
      return false;
    };
    new MutationObserver((_, obs) => { if (seen()) obs.disconnect(); })
      .observe(document, { childList: true, subtree: true });
  });
  const cdp = await context.newCDPSession(page);
  await cdp.send('Network.enable');
  await cdp.send('Network.setCacheDisabled', { cacheDisabled: true });
  await cdp.send('Network.emulateNetworkConditions', FAST_3G);
  const bytes = new Map();
  const urls = new Map();
  cdp.on('Network.responseReceived', (e) => urls.set(e.requestId, e.response.url));
  cdp.on('Network.loadingFinished', (e) => bytes.set(urls.get(e.requestId), e.encodedDataLength));

  await page.goto(`${app.url}/signin`, { waitUntil: 'commit' });
  await page.getByTestId('passkey-signin').waitFor({ timeout: 60_000 });
  const usable = await page.evaluate(() => window.__signinAt);
  // Usable, not just drawn: the token form opens, and an empty submit is
  // answered by the app.
  await page.getByTestId('signin-use-token').click();
  await page.getByTestId('signin-submit').click();
  await page.getByTestId('signin-error').filter({ hasText: 'Paste a token first.' }).waitFor();

  const transferred = [...bytes].filter(([u]) => u && new URL(u).origin === app.url)
    .map(([u, n]) => `${new URL(u).pathname} ${(n / 1024).toFixed(0)} KiB`);
  console.log(`Fast 3G: sign-in form usable after ${Math.round(usable)} ms (target ${TARGET_MS} ms, bound ${BOUND_MS} ms); transferred: ${transferred.join(', ')}`);
  assert.ok(usable > 0, 'the form was seen');
  assert.ok(usable < BOUND_MS, `usable after ${Math.round(usable)} ms, over the ${BOUND_MS} ms bound`);
  await context.close();
});
