// Forms that tell (issue #16, defects 1 and 6): a failed submit says what
// is wrong where the eye is, every change is confirmed by a polite toast,
// and the edit form speaks as an edit form.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { spawnApp, launchBrowser, screenshot } from './support/app.mjs';

let app; let browser;
const BUCKET = 'forms-data';

before(async () => {
  app = await spawnApp();
  browser = await launchBrowser();
  const r = await app.api('/api/v1/buckets', { method: 'POST', body: { id: BUCKET } });
  assert.equal(r.status, 201, await r.text());
});
after(async () => { await browser?.close(); await app?.stop(); });

async function signIn(page) {
  await page.goto(`${app.url}/signin`);
  await page.getByTestId('health').filter({ hasText: 'Service ok' }).waitFor();
  await page.getByTestId('signin-input').fill(app.adminSecret);
  await page.getByTestId('signin-submit').click();
  await page.waitForURL('**/tokens');
}

// Whether the element is (at least partly) inside the window.
const inView = (page, testid) => page.getByTestId(testid).evaluate((el) => {
  const r = el.getBoundingClientRect();
  return r.bottom > 0 && r.top < window.innerHeight;
});
const focusedId = (page) => page.evaluate(() => document.activeElement?.id ?? '');

test('a failed Create lists the errors at the top and focuses the first invalid field', async () => {
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  await signIn(page);
  await page.getByTestId('new-token').click();
  await page.getByTestId('token-form').waitFor();
  // No name, and write on "only selected" buckets with none picked.
  await page.getByTestId('grant-storage-write').check();
  await page.getByTestId('token-submit').scrollIntoViewIfNeeded();
  await page.getByTestId('token-submit').click();
  const list = page.getByTestId('form-errors');
  await list.waitFor();
  assert.equal(await list.getAttribute('role'), 'alert');
  const items = await page.getByTestId('form-errors-item').allInnerTexts();
  assert.equal(items.length, 2, items.join(' | '));
  assert.match(items[0], /^Name: Give the token a name/);
  assert.match(items[1], /^Permissions: /);
  await page.waitForFunction(() => document.activeElement?.id === 'token-name');
  assert.ok(await inView(page, 'token-name'), 'the name field is scrolled into view');
  await screenshot(page, 'form-errors');

  // Name fixed: the first problem is now the permissions.
  await page.getByTestId('token-name').fill('forms token');
  await page.getByTestId('token-submit').click();
  await page.waitForFunction(() => document.activeElement?.id === 'token-grants');
  assert.deepEqual((await page.getByTestId('form-errors-item').allInnerTexts()).map((t) => t.split(':')[0]), ['Permissions']);

  // The API's refusal is listed and focused the same way.
  await page.getByTestId(`resource-storage-write-${BUCKET}`).check();
  await page.getByTestId('token-description').fill('bell \u0007 in the text');
  await page.getByTestId('token-submit').click();
  await page.getByTestId('form-errors-item').filter({ hasText: /^Description: .*control characters/ }).waitFor();
  await page.waitForFunction(() => document.activeElement?.id === 'token-description');
  assert.equal(await focusedId(page), 'token-description');

  // Fixed: created, and the list is gone.
  await page.getByTestId('token-description').fill('');
  await page.getByTestId('token-submit').click();
  await page.getByTestId('secret-text').waitFor();
  assert.equal(await page.getByTestId('form-errors').count(), 0);
  await page.close();
});

test('save, refresh, send and delete each end with a polite toast; editing hides Edit', async () => {
  const r = await app.api('/api/v1/tokens', {
    method: 'POST',
    body: { name: 'toasted', grants: [{ service: 'storage', permission: 'read', resource: BUCKET }] },
  });
  assert.equal(r.status, 201);
  const { token } = await r.json();
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  await signIn(page);
  await page.goto(`${app.url}/tokens/${token.id}`);
  await page.getByTestId('token-title').filter({ hasText: 'toasted' }).waitFor();
  const region = page.getByTestId('toasts');
  assert.equal(await region.getAttribute('aria-live'), 'polite');
  const toast = (re) => region.getByTestId('toast').filter({ hasText: re }).waitFor();

  // Edit: the button goes while the form is open, and the form does not
  // speak as if the token were new.
  await page.getByTestId('edit-token').click();
  await page.getByTestId('edit-panel').waitFor();
  assert.equal(await page.getByTestId('edit-token').count(), 0, 'no Edit button while editing');
  assert.doesNotMatch(await page.getByTestId('edit-panel').innerText(), /starts with no permissions/);
  await page.getByTestId('token-description').fill('now described');
  await page.getByTestId('token-submit').click();
  await toast(/Saved the changes to “toasted”/);
  await page.getByTestId('edit-token').waitFor();
  await screenshot(page, 'toast-saved');

  await page.getByTestId('refresh-token').click();
  await page.getByTestId('refresh-confirm').click();
  await toast(/new secret was issued for “toasted”/);

  await page.getByTestId('send-token').click();
  await page.getByTestId('send-email').fill('toast@example.com');
  await page.getByTestId('send-confirm').click();
  await toast(/Invitation sent to toast@example.com/);

  await page.getByTestId('delete-token').click();
  await page.getByTestId('delete-confirm-input').fill('toasted');
  await page.getByTestId('delete-confirm').click();
  await page.waitForURL('**/tokens');
  await toast(/Deleted the token “toasted”/);
  assert.equal((await app.api(`/api/v1/tokens/${token.id}`)).status, 404);
  await page.close();
});
