// Forms that tell (issue #16, defects 1 and 6): a failed submit says what
// is wrong where the eye is, every change is confirmed by a polite toast,
// and the edit form speaks as an edit form.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { useApp, screenshot } from './support/app.mjs';

const BUCKET = 'forms-data';

const env = useApp({
  seed: async (app) => {
    const r = await app.api('/api/v1/buckets', { method: 'POST', body: { id: BUCKET } });
    assert.equal(r.status, 201, await r.text());
  },
});

// Whether the element is (at least partly) inside the window.
const inView = (page, testid) => page.getByTestId(testid).evaluate((el) => {
  const r = el.getBoundingClientRect();
  return r.bottom > 0 && r.top < window.innerHeight;
});
const focusedId = (page) => page.evaluate(() => document.activeElement?.id ?? '');

test('a failed Create lists the errors at the top and focuses the first invalid field', async () => {
  const page = await env.adminPage({ viewport: { width: 1280, height: 800 } });
  await page.getByTestId('new-token').click();
  await page.getByTestId('token-form').waitFor();
  // No name, and write on "only selected" buckets with none picked.
  await page.getByTestId('level-storage-write').selectOption('write');
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
  const { app } = env;
  const r = await app.api('/api/v1/tokens', {
    method: 'POST',
    body: { name: 'toasted', grants: [{ service: 'storage', permission: 'read', resource: BUCKET }] },
  });
  assert.equal(r.status, 201);
  const { token } = await r.json();
  const page = await env.adminPage({ viewport: { width: 1280, height: 800 } });
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
  // The summary is phrased as the API stores it, says what saving changes,
  // and stays in view above the grid.
  assert.equal(await page.getByTestId('summary-change').innerText(), 'No change to its own permissions');
  await page.getByTestId('grant-audit-read').check();
  assert.equal(await page.getByTestId('summary-change').innerText(), 'Adds read the audit log');
  await page.getByTestId('scope-storage-read-all').check();
  assert.equal(await page.getByTestId('summary-change').innerText(), 'Adds read all buckets; read the audit log');
  assert.equal(await page.getByTestId('summary-box').evaluate((el) => getComputedStyle(el).position), 'sticky');
  await page.getByTestId('grant-audit-read').scrollIntoViewIfNeeded();
  assert.ok(await inView(page, 'summary-box'), 'the summary stays in view while the grid scrolls');
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

test('the send dialog says what is handed over and its expiry; nothing needs a confirmation, never a warning', async () => {
  const { app } = env;
  const make = async (body) => {
    const r = await app.api('/api/v1/tokens', { method: 'POST', body });
    const text = await r.text();
    assert.equal(r.status, 201, text);
    return JSON.parse(text).token;
  };
  const reader = await make({ name: 'reader', expires_in: 7 * 86400,
    grants: [{ service: 'storage', permission: 'read', resource: BUCKET }] });
  const forever = await make({ name: 'forever', grants: [{ service: 'audit', permission: 'read' }] });
  const empty = await make({ name: 'empty', expires_in: 86400 });
  const page = await env.adminPage({ viewport: { width: 1280, height: 800 } });
  const open = async (t) => {
    await page.goto(`${app.url}/tokens/${t.id}`);
    await page.getByTestId('send-token').click();
    await page.getByTestId('send-dialog').waitFor();
  };

  await open(reader);
  await page.getByTestId('send-can-do').filter({ hasText: `Read bucket ${BUCKET}; nothing else` }).waitFor();
  assert.match(await page.getByTestId('send-expiry').innerText(), /^The token expires in (6|7) days/);
  assert.equal(await page.getByTestId('send-nothing-warning').count(), 0);
  assert.equal(await page.getByTestId('send-never-warning').count(), 0);
  await screenshot(page, 'send-dialog-summary');

  await open(forever);
  await page.getByTestId('send-never-warning').waitFor();
  assert.equal(await page.getByTestId('send-expiry').innerText(), 'The token never expires.');

  // Nothing to hand over: warned, and Send waits for an explicit yes.
  await open(empty);
  await page.getByTestId('send-nothing-warning').waitFor();
  assert.match(await page.getByTestId('send-can-do').innerText(), /^Nothing/);
  await page.getByTestId('send-email').fill('empty@example.com');
  assert.ok(await page.getByTestId('send-confirm').isDisabled(), 'no send without the confirmation');
  await page.getByTestId('send-email').press('Enter');
  assert.equal((await (await app.api(`/api/v1/invitations?token_id=${empty.id}`)).json()).items.length, 0);
  await page.getByTestId('send-nothing-confirm').check();
  await page.getByTestId('send-confirm').click();
  await page.getByTestId('invite-sent').filter({ hasText: 'empty@example.com' }).waitFor();
  await page.close();
});

test('templates: duplicate a token with the same permissions, or start from a copy of a persona', async () => {
  const { app } = env;
  const r = await app.api('/api/v1/tokens', {
    method: 'POST',
    body: { name: 'original', rate_limit: 90, grants: [
      { service: 'storage', permission: 'read', resource: BUCKET },
      { service: 'audit', permission: 'read' },
    ] },
  });
  const made0 = await r.text();
  assert.equal(r.status, 201, made0);
  const { token } = JSON.parse(made0);
  const pr = await app.api('/api/v1/personas', {
    method: 'POST', body: { name: 'Auditor', grants: [{ service: 'audit', permission: 'read' }] },
  });
  const ptext = await pr.text();
  assert.equal(pr.status, 201, ptext);
  const persona = JSON.parse(ptext);

  const page = await env.adminPage({ viewport: { width: 1280, height: 800 } });
  await page.goto(`${app.url}/tokens/${token.id}`);
  const detail = await page.getByTestId('detail-summary').innerText();
  await page.getByTestId('duplicate-token').click();
  await page.waitForURL(`**/tokens/new?from=${token.id}`);
  await page.getByTestId('template-note').filter({ hasText: 'Duplicating “original”' }).waitFor();
  assert.equal(await page.getByTestId('token-name').inputValue(), 'original (copy)');
  assert.equal(await page.getByTestId('token-rate-limit').inputValue(), '90');
  assert.equal(await page.getByTestId('summary').innerText(), detail);
  await page.getByTestId('token-submit').click();
  await page.getByTestId('secret-text').waitFor();
  const list = await (await app.api('/api/v1/tokens?q=original')).json();
  const copy = list.items.find((t) => t.name === 'original (copy)');
  const sorted = (gs) => gs.map((g) => JSON.stringify(g)).sort();
  assert.deepEqual(sorted(copy.grants), sorted(token.grants));
  assert.equal(copy.rate_limit, 90);

  // From a persona: its grants are copied, the persona is not linked.
  await page.goto(`${app.url}/tokens/new`);
  await page.getByTestId('token-template').selectOption(persona.id);
  await page.waitForURL(`**/tokens/new?persona=${persona.id}`);
  await page.getByTestId('template-note').filter({ hasText: 'persona “Auditor”' }).waitFor();
  assert.ok(await page.getByTestId('grant-audit-read').isChecked());
  assert.match(await page.getByTestId('summary').innerText(), /^Read the audit log; nothing else/);
  await page.getByTestId('token-name').fill('from auditor');
  await page.getByTestId('token-submit').click();
  await page.getByTestId('secret-text').waitFor();
  const made = (await (await app.api('/api/v1/tokens?q=auditor')).json()).items.find((t) => t.name === 'from auditor');
  assert.deepEqual(made.grants, [{ service: 'audit', permission: 'read' }]);
  assert.deepEqual(made.personas ?? [], []);
  await page.close();
});

test('an access level keeps the buckets chosen, and a covered grant is said, not silently rewritten', async () => {
  const { app } = env;
  const page = await env.adminPage({ viewport: { width: 1280, height: 800 } });
  await page.goto(`${app.url}/tokens/new`);
  const level = page.getByTestId('level-storage-write');
  const summary = () => page.getByTestId('summary').innerText();
  await level.selectOption('read');
  await page.getByTestId(`resource-storage-read-${BUCKET}`).check();
  assert.equal(await summary(), `Read bucket ${BUCKET}; nothing else`);
  // Up a level: the bucket chosen comes along, nothing else changes.
  await level.selectOption('write');
  assert.ok(await page.getByTestId(`resource-storage-write-${BUCKET}`).isChecked());
  assert.equal(await summary(), `Read and write bucket ${BUCKET}; nothing else`);
  await page.getByTestId('scope-storage-write-all').check();
  assert.equal(await summary(), 'Read and write all buckets; nothing else');
  // Down a level: read stays where write was, never nothing.
  await level.selectOption('read');
  assert.equal(await summary(), 'Read all buckets; nothing else');
  assert.ok(await page.getByTestId('scope-storage-read-all').isChecked());

  // Read widened beside write, then write widened over it: said.
  await page.getByTestId('scope-storage-read-only').check();
  await page.getByTestId(`resource-storage-read-${BUCKET}`).check();
  await level.selectOption('write');
  assert.equal(await summary(), `Read and write bucket ${BUCKET}; nothing else`);
  await page.getByTestId('widen-storage-read').click();
  await page.getByTestId('scope-storage-read-all').check();
  await page.getByTestId('scope-storage-write-all').check();
  const note = page.getByTestId('summary-absorbed');
  await note.waitFor();
  assert.equal(await note.innerText(),
    'storage:read@* is covered by storage:write@*, so only storage:write@* is saved; once saved, removing storage:write@* later removes storage:read@* too.');
  assert.equal(await summary(), 'Read and write all buckets; nothing else');
  // The level itself never leaves a grant behind unsaid.
  await level.selectOption('none');
  assert.equal(await summary(), 'Nothing: this token cannot do anything');
  assert.equal(await note.count(), 0);
  await page.close();
});
