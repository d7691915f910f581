// The first slice through every layer: the SPA is served by the worker's
// assets, fetches /api/v1/health from the worker, and shows it.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { spawnApp, launchBrowser, screenshot } from './support/app.mjs';

let app; let browser;
before(async () => { app = await spawnApp(); browser = await launchBrowser(); });
after(async () => { await browser?.close(); await app?.stop(); });

test('the sign-in page shows the health the worker reports', async () => {
  const page = await browser.newPage();
  await page.goto(app.url);
  const health = page.getByTestId('health');
  await health.filter({ hasText: 'ok' }).waitFor({ timeout: 20_000 });
  assert.match(await health.innerText(), /storage ok/);
  await screenshot(page, 'health');
});

test('a deep link is served the SPA, and it renders', async () => {
  const page = await browser.newPage();
  const resp = await page.goto(`${app.url}/tokens/abc`);
  assert.equal(resp.status(), 200);
  assert.match(resp.headers()['content-type'], /text\/html/);
  assert.ok((await page.title()).includes('Keyward'));
});
