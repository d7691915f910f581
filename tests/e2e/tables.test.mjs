// Keboola tables in the app (issue 17): a bucket's table chosen in the
// permission grid's picker ("in.c-main/" lists the bucket's tables), saved
// as the grant resource `in.c-main/orders` and described in words; the
// console of a token that holds only tables names them, lists only their
// objects and uploads into a writable table; and a project's leak response
// chosen on the projects page.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { useApp, screenshot } from './support/app.mjs';

const BUCKET = 'in.c-main';
const OBJECTS = { 'orders/2024.csv': 'id,total\n1,10\n', 'customers/a.csv': 'id,name\n1,Ada\n', 'readme.txt': 'read me\n' };

const objectUrl = (key) => `${env.app.url}/api/v1/buckets/${BUCKET}/objects/${encodeURIComponent(key)}`;

const env = useApp({
  seed: async (app) => {
    const r = await app.api('/api/v1/buckets', { method: 'POST', body: { id: BUCKET } });
    assert.equal(r.status, 201, await r.text());
    for (const [key, text] of Object.entries(OBJECTS)) {
      const put = await fetch(objectUrl(key), {
        method: 'PUT',
        headers: { authorization: `Bearer ${app.adminSecret}`, 'content-type': 'text/plain' },
        body: text,
      });
      assert.equal(put.status, 200, `${key}: ${await put.text()}`);
    }
  },
});

async function signIn(page, secret) {
  await page.goto(`${env.app.url}/signin`);
  await page.getByTestId('health').filter({ hasText: 'Service ok' }).waitFor();
  await page.getByTestId('signin-use-token').click();
  await page.getByTestId('signin-input').fill(secret);
  await page.getByTestId('signin-submit').click();
}

async function tokenNamed(name) {
  const list = await (await env.app.api(`/api/v1/tokens?q=${encodeURIComponent(name)}`)).json();
  return list.items.find((t) => t.name === name);
}

test("a bucket's table is picked after 'in.c-main/', saved as in.c-main/orders, and its holder's console shows only that table", async () => {
  const { app, browser } = env;
  const page = await env.adminPage();
  await page.goto(`${app.url}/tokens/new`);
  await page.getByTestId('token-name').fill('orders reader');
  await page.getByTestId('level-storage-write').selectOption('read');
  assert.ok(await page.getByTestId('scope-storage-read-only').isChecked(), 'only selected by default');
  const help = page.getByTestId('resource-help-storage-read');
  await help.filter({ hasText: 'Type a bucket id and “/” to choose one of its tables.' }).waitFor();
  assert.match(await page.getByTestId('resource-input-storage-read').getAttribute('placeholder'), /in\.c-tutorial or in\.c-tutorial\/orders/);

  // Without a slash the picker lists buckets; with one, that bucket's tables.
  const listed = () => page.getByTestId('scope-storage-read').locator('[data-testid^="resource-storage-read-"]')
    .evaluateAll((els) => els.map((e) => e.dataset.testid.replace('resource-storage-read-', '')));
  await page.getByTestId('resource-storage-read-in.c-main').waitFor();
  assert.deepEqual(await listed(), ['in.c-main']);
  const search = page.getByTestId('resource-search-storage-read');
  await search.pressSequentially('in.c-main/');
  await page.getByTestId('resource-count-storage-read').filter({ hasText: /^2 match\.$/ }).waitFor();
  assert.deepEqual(await listed(), ['in.c-main/customers', 'in.c-main/orders']);
  assert.match(await help.innerText(), /^Showing the tables of bucket in\.c-main: a table holds the objects whose key starts with its name and “\/”\.$/);
  assert.equal(await page.evaluate(() => document.activeElement?.dataset.testid), 'resource-search-storage-read', 'the search keeps focus');
  await search.pressSequentially('ord');
  await page.getByTestId('resource-count-storage-read').filter({ hasText: /^1 match\.$/ }).waitFor();
  assert.deepEqual(await listed(), ['in.c-main/orders']);
  // Ticked from the keyboard.
  await page.getByTestId('resource-storage-read-in.c-main/orders').focus();
  await page.keyboard.press('Space');
  assert.ok(await page.getByTestId('resource-storage-read-in.c-main/orders').isChecked());
  const summary = 'Read the table orders in bucket in.c-main; nothing else';
  await page.getByTestId('summary').filter({ hasText: summary }).waitFor();

  // Typed by id: a table is one level deep.
  await page.getByTestId('resource-input-storage-read').fill('in.c-main/orders/2024');
  await page.getByTestId('resource-add-storage-read').click();
  await page.getByTestId('scope-storage-read').getByRole('alert').filter({ hasText: /or bucket\/table for one of its tables/ }).waitFor();
  await screenshot(page, 'tables-picker');

  await page.getByTestId('token-submit').click();
  await page.getByTestId('secret-text').waitFor();
  const token = await tokenNamed('orders reader');
  assert.deepEqual(token.grants, [{ service: 'storage', permission: 'read', resource: 'in.c-main/orders' }]);

  // The token page and the send dialog say it in the same words.
  await page.goto(`${app.url}/tokens/${token.id}`);
  assert.equal(await page.getByTestId('detail-summary').innerText(), summary);
  assert.match(await page.getByTestId('held-storage-read').innerText(), /— the table orders in bucket in\.c-main own$/, 'its own grant, in words, with its via chip');
  await page.getByTestId('send-token').click();
  assert.deepEqual(await page.getByTestId('send-can-do').allInnerTexts(), [summary]);
  await page.getByTestId('send-email').fill('analyst@example.com');
  await page.getByTestId('send-confirm').click();
  await page.getByTestId('invite-sent').filter({ hasText: 'analyst@example.com' }).waitFor();
  await page.close();
  const { items: mails } = await (await app.api('/api/v1/outbox')).json();
  const link = mails.find((m) => m.to === 'analyst@example.com')?.text.match(/https?:\/\/\S+\/invite\/[^\s.,;)]+/)?.[0];
  assert.ok(link, 'an invitation email with its link');

  // Its holder accepts (the welcome page, from the worker, says it too) and
  // opens the console: the bucket, only the table's objects, and why.
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const holder = await context.newPage();
  await holder.goto(link);
  assert.equal(await holder.getByTestId('invite-summary').innerText(), summary);
  await holder.getByTestId('invite-accept').click();
  await holder.getByTestId('secret-text').waitFor();
  await holder.getByTestId('invite-open-console').click();
  await holder.waitForURL('**/console');
  assert.equal(await holder.getByTestId('console-summary').innerText(), summary);
  await holder.getByTestId('object-row').first().waitFor();
  assert.deepEqual(await holder.getByTestId('console-bucket').allInnerTexts(), [BUCKET]);
  assert.deepEqual(await holder.getByTestId('object-key').allInnerTexts(), ['orders/2024.csv']);
  assert.equal(await holder.getByTestId('console-tables').innerText(), 'This token can read only the table orders of this bucket.');
  assert.match(await holder.getByTestId('console-mode').innerText(), /may not change them/);
  assert.equal(await holder.getByTestId('upload-form').count(), 0);
  assert.equal(await holder.getByTestId('object-delete').count(), 0);
  await screenshot(holder, 'tables-console-read');
  await context.close();
});

test('a token that may write one table uploads into it, with the key prefilled, and deletes only there', async () => {
  const { app, browser } = env;
  const r = await app.api('/api/v1/tokens', {
    method: 'POST',
    body: {
      name: 'orders writer',
      grants: [
        { service: 'storage', permission: 'write', resource: 'in.c-main/orders' },
        { service: 'storage', permission: 'read', resource: 'in.c-main/customers' },
      ],
    },
  });
  const text = await r.text();
  assert.equal(r.status, 201, text);
  const { secret } = JSON.parse(text);
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  await signIn(page, secret);
  await page.waitForURL('**/console');
  await page.getByTestId('object-row').first().waitFor();
  assert.deepEqual((await page.getByTestId('object-key').allInnerTexts()).sort(), ['customers/a.csv', 'orders/2024.csv']);
  assert.equal(await page.getByTestId('console-tables').innerText(), 'This token can read only the tables customers, orders of this bucket.');
  assert.equal(await page.getByTestId('console-mode').innerText(),
    'You can read and download objects here, and upload and delete them only in the table orders.');
  // Delete is offered on the writable table's objects only.
  const row = (key) => page.getByTestId('object-row').filter({ hasText: key });
  assert.equal(await row('orders/2024.csv').getByTestId('object-delete').count(), 1);
  assert.equal(await row('customers/a.csv').getByTestId('object-delete').count(), 0);

  // The upload form: the table chosen, its prefix in the key.
  assert.equal(await page.getByTestId('upload-table').inputValue(), 'orders');
  assert.equal(await page.getByTestId('upload-key').inputValue(), 'orders/');
  await page.getByTestId('upload-file').setInputFiles({ name: '2025.csv', mimeType: 'text/csv', buffer: Buffer.from('id,total\n2,20\n') });
  assert.equal(await page.getByTestId('upload-key').inputValue(), 'orders/2025.csv');
  // A key outside its tables is refused before sending.
  await page.getByTestId('upload-key').fill('loose.csv');
  await page.getByTestId('upload-submit').click();
  await page.getByRole('alert').filter({ hasText: 'may upload only into the table orders' }).waitFor();
  await page.getByTestId('upload-key').fill('orders/2025.csv');
  await page.getByTestId('upload-submit').click();
  await page.getByTestId('upload-status').filter({ hasText: 'Uploaded orders/2025.csv' }).waitFor();
  await row('orders/2025.csv').waitFor();
  const stored = await fetch(objectUrl('orders/2025.csv'), { headers: { authorization: `Bearer ${app.adminSecret}` } });
  assert.equal(stored.status, 200);
  assert.equal(await stored.text(), 'id,total\n2,20\n');
  assert.equal((await fetch(objectUrl('loose.csv'), { headers: { authorization: `Bearer ${app.adminSecret}` } })).status, 404);
  await screenshot(page, 'tables-console-write');
  await context.close();
});

test("a project's leak response is chosen with its expiry policy on the projects page and saved", async () => {
  const { app } = env;
  const page = await env.adminPage();
  await page.goto(`${app.url}/projects`);
  const row = () => page.getByTestId('project-row').filter({ hasText: 'default' });
  assert.equal(await row().getByTestId('project-leak').innerText(), 'Disable the token');
  await row().getByTestId('policy-edit').click();
  assert.equal(await row().getByTestId('leak-response').inputValue(), 'disable');
  // Labelled, and explained.
  await row().getByLabel("When GitHub reports one of the project's secrets as leaked").selectOption('revoke');
  assert.match(await row().getByTestId('leak-explain').innerText(), /stops its token at once.*revoked, it is deleted/s);
  await row().getByTestId('policy-save').click();
  await page.getByTestId('toasts').filter({ hasText: 'Saved the expiry policy and leak response of “' }).waitFor();
  await row().getByTestId('project-leak').filter({ hasText: 'Revoke (delete) the token' }).waitFor();
  const projects = await (await app.api('/api/v1/projects')).json();
  const def = projects.items.find((p) => p.id === 'default');
  assert.equal(def.leak_response, 'revoke');
  assert.deepEqual(def.expiry_policy, { max_lifetime_seconds: null, allow_never: true }, 'the expiry policy stays');

  await page.reload();
  assert.equal(await row().getByTestId('project-leak').innerText(), 'Revoke (delete) the token');
  await row().getByTestId('policy-edit').click();
  assert.equal(await row().getByTestId('leak-response').inputValue(), 'revoke');
  await screenshot(page, 'projects-leak-response');
  await page.close();
});
