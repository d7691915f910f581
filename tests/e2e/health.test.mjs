// The first slice through every layer: the SPA is served by the worker's
// assets, fetches /api/v1/health from the worker, and shows it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { useApp, screenshot } from './support/app.mjs';

const env = useApp();

test('the sign-in page shows the health the worker reports', async () => {
  const { app, browser } = env;
  const page = await browser.newPage();
  await page.goto(app.url);
  const health = page.getByTestId('health');
  await health.filter({ hasText: 'ok' }).waitFor({ timeout: 20_000 });
  assert.match(await health.innerText(), /storage ok/);
  await screenshot(page, 'health');
});

test('a deep link is served the SPA, and it renders', async () => {
  const { app, browser } = env;
  const page = await browser.newPage();
  const resp = await page.goto(`${app.url}/tokens/abc`);
  assert.equal(resp.status(), 200);
  assert.match(resp.headers()['content-type'], /text\/html/);
  assert.ok((await page.title()).includes('Keyward'));
});
