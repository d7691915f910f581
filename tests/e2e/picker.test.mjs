// The resource picker (issue #16, defect 4): a search over the buckets,
// answered by the API (`GET /buckets?q=&limit=`), a capped list that stays
// fast with many, and "select all matching".
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { useApp, screenshot } from './support/app.mjs';

const ids = [
  ...Array.from({ length: 50 }, (_, i) => `sales-${String(i).padStart(3, '0')}`),
  ...Array.from({ length: 200 }, (_, i) => `data-${String(i).padStart(3, '0')}`),
];

const env = useApp({
  seed: async (app) => {
    for (let i = 0; i < ids.length; i += 10) {
      await Promise.all(ids.slice(i, i + 10).map(async (id) => {
        const r = await app.api('/api/v1/buckets', { method: 'POST', body: { id } });
        assert.equal(r.status, 201, `${id}: ${await r.text()}`);
      }));
    }
  },
});

test('250 buckets: the picker lists the first 100, searches, and selects all matches at once', async () => {
  const { app, browser } = env;
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  await page.goto(`${app.url}/signin`);
  await page.getByTestId('signin-use-token').click();
  await page.getByTestId('signin-input').fill(app.adminSecret);
  await page.getByTestId('signin-submit').click();
  await page.waitForURL('**/tokens');
  await page.goto(`${app.url}/tokens/new`);
  await page.getByTestId('token-name').fill('sales reader');
  await page.getByTestId('level-storage-write').selectOption('read');
  await page.getByTestId('resource-count-storage-read').filter({ hasText: 'Showing the first 100; search to find the others.' }).waitFor();
  const listed = () => page.getByTestId('scope-storage-read').locator('[data-testid^="resource-storage-read-"]').count();
  assert.equal(await listed(), 100);

  await page.getByTestId('resource-search-storage-read').fill('SALES');
  await page.getByTestId('resource-count-storage-read').filter({ hasText: /^50 match\.$/ }).waitFor();
  assert.equal(await listed(), 50);
  await page.getByTestId('resource-select-matching-storage-read').click();
  assert.ok(await page.getByTestId('resource-storage-read-sales-049').isChecked());
  assert.equal(await page.getByTestId('resource-select-matching-storage-read').count(), 0, 'nothing left to select');
  // Typed key by key, the box keeps focus.
  await page.getByTestId('resource-search-storage-read').fill('');
  await page.getByTestId('resource-search-storage-read').pressSequentially('data-01');
  assert.equal(await page.evaluate(() => document.activeElement?.dataset.testid), 'resource-search-storage-read');
  await page.getByTestId('resource-count-storage-read').filter({ hasText: /^10 match\.$/ }).waitFor();
  assert.ok(!(await page.getByTestId('resource-storage-read-data-010').isChecked()));
  await screenshot(page, 'picker-search');

  await page.getByTestId('token-submit').click();
  await page.getByTestId('secret-text').waitFor();
  const list = await (await app.api('/api/v1/tokens?q=sales%20reader')).json();
  const token = list.items.find((t) => t.name === 'sales reader');
  assert.deepEqual(token.grants.map((g) => g.resource).sort(), ids.slice(0, 50));
  await page.close();
});
