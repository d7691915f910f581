// Two admins edit one token (issue 28): the app sends the version it
// showed (If-Match), so the second save is refused instead of silently
// undoing the first, the admin is told why, and the form keeps the input.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { useApp, screenshot } from './support/app.mjs';

const env = useApp();

test('saving over a change another admin made meanwhile is refused and explained', async () => {
  const { app } = env;
  const r = await app.api('/api/v1/tokens', { method: 'POST', body: { name: 'shared-bot' } });
  const created = await r.text();
  assert.equal(r.status, 201, created);
  const { token } = JSON.parse(created);

  const page = await env.adminPage();
  await page.goto(`${app.url}/tokens/${token.id}`);
  await page.getByTestId('token-title').filter({ hasText: 'shared-bot' }).waitFor();
  await page.getByTestId('edit-token').click();
  await page.getByTestId('token-name').fill('mine');

  // Meanwhile another admin renames it through the API.
  const theirs = await app.api(`/api/v1/tokens/${token.id}`, { method: 'PATCH', body: { name: 'theirs' } });
  assert.equal(theirs.status, 200, await theirs.text());

  await page.getByTestId('token-submit').click();
  const banner = page.getByTestId('form-error');
  await banner.filter({ hasText: 'someone else changed this token' }).waitFor();
  await screenshot(page, 'changed-meanwhile');
  assert.equal(await page.getByTestId('token-name').inputValue(), 'mine', 'the input is kept');
  const now = await (await app.api(`/api/v1/tokens/${token.id}`)).json();
  assert.equal(now.name, 'theirs', 'their change stands');

  // Reloaded, the page shows their change, and a save from it goes through.
  await page.reload();
  await page.getByTestId('token-title').filter({ hasText: 'theirs' }).waitFor();
  await page.getByTestId('edit-token').click();
  await page.getByTestId('token-name').fill('ours');
  await page.getByTestId('token-submit').click();
  await page.getByTestId('token-title').filter({ hasText: 'ours' }).waitFor();
  await page.close();
});
