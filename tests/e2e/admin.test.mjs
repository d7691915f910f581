// The admin app end to end: a real browser drives the SPA against a fresh
// `wrangler dev`, and the API itself confirms what the pages claim.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { useApp, screenshot, appNavigate } from './support/app.mjs';

const BUCKET = 'e2e-data';
const OTHER = 'e2e-other';
const NAME = 'e2e writer';

const env = useApp({
  seed: async (app) => {
    for (const id of [BUCKET, OTHER]) {
      const r = await app.api('/api/v1/buckets', { method: 'POST', body: { id } });
      assert.equal(r.status, 201, `create bucket ${id}: ${await r.text()}`);
    }
  },
});

const as = (secret) => ({ secret });
const putObject = (bucket, secret) => env.app.api(`/api/v1/buckets/${bucket}/objects/hello.txt`, {
  method: 'PUT', body: { hello: 'world' }, ...as(secret),
});
const whoami = (secret) => env.app.api('/api/v1/whoami', as(secret));

async function signIn(page, secret) {
  await page.goto(`${env.app.url}/signin`);
  await page.getByTestId('health').filter({ hasText: 'Service ok' }).waitFor();
  await page.getByTestId('signin-use-token').click();
  await page.getByTestId('signin-input').fill(secret);
  await page.getByTestId('signin-submit').click();
}

async function tokenByName(name) {
  const r = await env.app.api(`/api/v1/tokens?q=${encodeURIComponent(name)}`);
  assert.equal(r.status, 200);
  const page = await r.json();
  const found = page.items.filter((t) => t.name === name);
  assert.equal(found.length, 1, `exactly one token named ${name}`);
  return found[0];
}

test('a wrong token at sign-in shows why, and nothing is stored', async () => {
  const { app, browser } = env;
  const page = await browser.newPage();
  await page.goto(app.url);
  await page.getByTestId('health').filter({ hasText: 'Service ok (storage ok), version' }).waitFor();
  await page.getByTestId('signin-use-token').click();
  await page.getByTestId('signin-input').fill('kw_m_definitely-not-a-token');
  await page.getByTestId('signin-submit').click();
  const error = page.getByTestId('signin-error');
  await error.filter({ hasText: 'not a Keyward token' }).waitFor();
  // The form keeps what was typed, and the page stays on sign-in.
  assert.equal(await page.getByTestId('signin-input').inputValue(), 'kw_m_definitely-not-a-token');
  assert.equal(await page.evaluate(() => sessionStorage.length), 0);
  await screenshot(page, 'signin-error');
  await page.close();
});

test('create, check, edit, refresh and delete a scoped token through the pages', async () => {
  const { app, browser } = env;
  const context = await browser.newContext({
    viewport: { width: 1440, height: 900 }, permissions: ['clipboard-read', 'clipboard-write'],
  });
  const page = await context.newPage();

  // Sign in with the bootstrap master token.
  await page.goto(app.url);
  await page.getByTestId('health').filter({ hasText: 'Service ok' }).waitFor();
  await screenshot(page, 'signin');
  await page.getByTestId('signin-use-token').click();
  await page.getByTestId('signin-input').fill(app.adminSecret);
  await page.getByTestId('signin-submit').click();
  await page.waitForURL('**/tokens');
  await page.getByTestId('token-row').first().waitFor();
  assert.match(await page.getByTestId('who').innerText(), /Master/);
  // The master token opened a cookie session and was forgotten: it is in
  // no storage, and never in the URL.
  assert.ok(!page.url().includes(app.adminSecret));
  assert.equal(await page.evaluate(() => sessionStorage.getItem('keyward.secret')), null);
  await screenshot(page, 'tokens-list');

  // Create: storage:write on one bucket, through the grid.
  await page.getByTestId('new-token').click();
  await page.getByTestId('token-name').fill(NAME);
  await page.getByTestId('token-description').fill('made by the browser test');
  await page.getByTestId('expiry-7').check();
  await page.getByTestId('token-rate-limit').fill('120');
  // One access level for buckets, from the catalog's implications: read
  // comes with write, and only write is stored.
  const level = page.getByTestId('level-storage-write');
  assert.deepEqual(await level.locator('option').allInnerTexts(), ['No access', 'Read', 'Read and write']);
  assert.equal(await level.inputValue(), 'none');
  await level.selectOption('write');
  assert.ok(await page.getByTestId('scope-storage-write-only').isChecked(), 'least privilege by default');
  // Write on no bucket yet implies no read (issue #16, defect 3).
  assert.equal(await page.getByTestId('implied-storage-read').count(), 0);
  await page.getByTestId(`resource-storage-write-${BUCKET}`).check();
  assert.equal(await page.getByTestId('implied-storage-read').innerText(), 'implied by write');
  assert.equal(await page.getByTestId('summary').innerText(), `Read and write bucket ${BUCKET}; nothing else`);
  // The grid works by keyboard alone: Space ticks and unticks.
  await page.getByTestId('grant-audit-read').focus();
  await page.keyboard.press('Space');
  assert.ok(await page.getByTestId('grant-audit-read').isChecked());
  await page.keyboard.press('Space');
  assert.ok(!(await page.getByTestId('grant-audit-read').isChecked()));
  // … and the arrow keys move an access level.
  const tokensLevel = page.getByTestId('level-tokens-manage');
  await tokensLevel.focus();
  await page.keyboard.press('ArrowDown');
  assert.equal(await tokensLevel.inputValue(), 'read');
  assert.match(await page.getByTestId('summary').innerText(), /view tokens and invitations/);
  await page.keyboard.press('ArrowUp');
  assert.equal(await tokensLevel.inputValue(), 'none');
  assert.equal(await page.getByTestId('summary').innerText(), `Read and write bucket ${BUCKET}; nothing else`);
  await screenshot(page, 'create-grid');

  // Failures land next to their fields, and nothing typed or ticked is lost.
  await page.getByTestId('token-description').fill('bell \u0007 in the text');
  await page.getByTestId('token-submit').click();
  await page.getByTestId('error-description').filter({ hasText: /control characters/ }).waitFor();
  // Keyward's own token names are reserved (nobody can probe for or block
  // an admin's master token by name).
  await page.getByTestId('token-name').fill('Master token of admin@localhost');
  await page.getByTestId('token-description').fill('made by the browser test');
  await page.getByTestId('token-submit').click();
  await page.getByTestId('error-name').filter({ hasText: /reserved/ }).waitFor();
  assert.equal(await page.getByTestId('error-description').innerText(), '');
  assert.ok(await page.getByTestId(`resource-storage-write-${BUCKET}`).isChecked());
  assert.ok(await page.getByTestId('expiry-7').isChecked());
  await screenshot(page, 'create-errors');
  await page.getByTestId('token-name').fill(NAME);
  await page.getByTestId('token-submit').click();

  // The secret, once.
  const secretText = page.getByTestId('secret-text');
  await secretText.waitFor();
  const secret = (await secretText.innerText()).trim();
  assert.match(secret, /^kw_s_/);
  await page.getByTestId('copy-secret').click();
  await page.getByTestId('copy-status').filter({ hasText: 'Copied' }).waitFor();
  assert.equal(await page.evaluate(() => navigator.clipboard.readText()), secret);
  assert.match(await page.getByTestId('secret-reveal').innerText(), /will not be shown again/);
  assert.ok(!(await page.evaluate(() => JSON.stringify(sessionStorage) + JSON.stringify(localStorage))).includes('kw_'));
  await screenshot(page, 'reveal');

  // The API confirms exactly those grants, and whoami shows the implied read.
  const token = await tokenByName(NAME);
  assert.deepEqual(token.grants, [{ service: 'storage', permission: 'write', resource: BUCKET }]);
  assert.equal(token.description, 'made by the browser test');
  assert.ok(token.expires_at, 'a 7-day token expires');
  assert.equal(token.rate_limit, 120, 'the rate limit set in the form');
  const who = await whoami(secret);
  assert.equal(who.status, 200);
  const storage = (await who.json()).permissions.find((s) => s.service === 'storage');
  assert.deepEqual(storage.permissions, [
    { permission: 'read', resources: [BUCKET] },
    { permission: 'write', resources: [BUCKET] },
  ]);
  // The secret from the page works on that bucket only.
  assert.equal((await putObject(BUCKET, secret)).status, 200);
  assert.equal((await putObject(OTHER, secret)).status, 403);

  // Detail: permissions per service.
  await page.getByTestId('go-to-token').click();
  await page.getByTestId('token-title').filter({ hasText: NAME }).waitFor();
  assert.equal(await page.getByTestId('detail-summary').innerText(), `Read and write bucket ${BUCKET}; nothing else`);
  assert.match(await page.getByTestId('held-storage-read').innerText(), /implied by write/);
  await page.getByTestId('token-audit').getByTestId('audit-row').first().waitFor();
  await screenshot(page, 'detail');

  // Edit: add read on all buckets; PATCH saves the complete set.
  await page.getByTestId('edit-token').click();
  assert.equal(await page.getByTestId('level-storage-write').inputValue(), 'write');
  assert.match(await page.getByTestId('implied-scope-storage-read').innerText(), new RegExp(`^On: ${BUCKET}`));
  await page.getByTestId('widen-storage-read').click();
  await page.getByTestId('scope-storage-read-all').check();
  assert.ok(await page.getByTestId('expiry-keep').isChecked(), 'editing keeps the expiry by default');
  await page.getByTestId('expiry-custom').check();
  await page.getByTestId('expiry-date').fill('2027-01-15');
  assert.equal(await page.getByTestId('token-rate-limit').inputValue(), '120');
  await page.getByTestId('token-rate-limit').fill('');
  assert.equal(await page.getByTestId('summary').innerText(),
    `Read and write bucket ${BUCKET}; read all buckets; nothing else`);
  await screenshot(page, 'edit-grid');
  await page.getByTestId('token-submit').click();
  await page.getByTestId('detail-summary')
    .filter({ hasText: 'read all buckets' }).waitFor();
  const edited = await tokenByName(NAME);
  assert.deepEqual(edited.grants, [
    { service: 'storage', permission: 'read', resource: '*' },
    { service: 'storage', permission: 'write', resource: BUCKET },
  ]);
  assert.equal(edited.expires_at, '2027-01-15T23:59:59Z');
  assert.equal(edited.rate_limit, null, 'an emptied rate limit returns to the default');
  assert.equal((await app.api(`/api/v1/buckets/${OTHER}/objects`, as(secret))).status, 200);
  assert.equal((await putObject(OTHER, secret)).status, 403);

  // Refresh: the old secret is refused at once, the new one works.
  await page.getByTestId('refresh-token').click();
  const dialog = page.getByTestId('refresh-dialog');
  await dialog.waitFor();
  assert.match(await dialog.innerText(), /stops working now/);
  await page.getByTestId('refresh-confirm').click();
  await page.getByTestId('secret-text').waitFor();
  const renewed = (await page.getByTestId('secret-text').innerText()).trim();
  assert.notEqual(renewed, secret);
  assert.equal((await whoami(secret)).status, 401);
  assert.equal((await whoami(renewed)).status, 200);
  await screenshot(page, 'refresh-reveal');

  // A reload drops the revealed secret for good but keeps the session.
  await page.reload();
  await page.getByTestId('token-title').filter({ hasText: NAME }).waitFor();
  assert.equal(await page.getByTestId('secret-text').count(), 0);

  // The audit log, filtered by this token.
  await page.getByTestId('nav-audit').click();
  await page.getByTestId('audit-target').fill(edited.id);
  await page.getByTestId('audit-filters').getByRole('button', { name: 'Filter' }).click();
  await page.waitForFunction((id) => {
    const rows = [...document.querySelectorAll('[data-testid="audit-row"]')];
    return rows.length > 0 && rows.every((r) => r.innerText.includes(id));
  }, edited.id);
  await page.getByTestId('audit-row').filter({ hasText: 'token.refresh' }).first().waitFor();
  const actions = await page.getByTestId('audit-row').allInnerTexts();
  assert.ok(actions.every((row) => row.includes(edited.id)), 'only this target');
  assert.ok(actions.some((row) => row.includes('token.create')));
  await screenshot(page, 'audit');

  // Delete, with the name typed to confirm.
  await page.goto(`${app.url}/tokens/${edited.id}`);
  await page.getByTestId('delete-token').click();
  await page.getByTestId('delete-dialog').waitFor();
  await page.getByTestId('delete-confirm-input').fill('wrong name');
  assert.ok(await page.getByTestId('delete-confirm').isDisabled());
  await page.getByTestId('delete-confirm-input').fill(NAME);
  await page.getByTestId('delete-confirm').click();
  await page.waitForURL('**/tokens');
  assert.equal((await whoami(renewed)).status, 401);
  assert.equal((await app.api(`/api/v1/tokens/${edited.id}`)).status, 404);
  await context.close();
});

test('a page the token may not use says so; a dead session returns to sign-in with the reason', async () => {
  const { app, browser } = env;
  const r = await app.api('/api/v1/tokens', {
    method: 'POST',
    body: { name: 'reader only', grants: [{ service: 'storage', permission: 'read', resource: '*' }] },
  });
  assert.equal(r.status, 201);
  const { token, secret } = await r.json();
  const context = await browser.newContext({ viewport: { width: 375, height: 800 } });
  const page = await context.newPage();
  await signIn(page, secret);
  // A token without tokens:read starts in the console, with no admin navigation.
  await page.waitForURL('**/console');
  await page.getByTestId('console-access').waitFor();
  assert.equal(await page.getByTestId('nav-tokens').count(), 0);
  // (In the app: its secret is held in the tab's memory only.)
  await appNavigate(page, '/tokens');
  const panel = page.getByTestId('forbidden');
  await panel.waitFor();
  assert.match(await panel.innerText(), /This token lacks tokens:read/);
  await screenshot(page, 'forbidden-375');
  await appNavigate(page, '/admins');
  await page.getByTestId('forbidden').filter({ hasText: 'This page needs a master token' }).waitFor();

  // The token is deleted behind the page's back: the next request is a 401.
  // (Its secret is held in the tab's memory only: a reload would simply
  // sign out, so the next request is made in the page.)
  assert.equal((await app.api(`/api/v1/tokens/${token.id}`, { method: 'DELETE' })).status, 204);
  await page.getByTestId('menu-toggle').click();
  await page.getByTestId('nav-console').click();
  const reason = page.getByTestId('signout-reason');
  await reason.waitFor();
  assert.match(await reason.innerText(), /not valid/);
  assert.ok(await page.getByTestId('passkey-signin').isVisible());
  assert.equal(await page.evaluate(() => sessionStorage.length), 0);
  await context.close();
});

test('narrow screens: list, grid and detail at 375 px', async () => {
  const { app, browser } = env;
  const context = await browser.newContext({ viewport: { width: 375, height: 800 } });
  const page = await context.newPage();
  await signIn(page, app.adminSecret);
  await page.getByTestId('token-row').first().waitFor();
  await screenshot(page, 'tokens-list-375');
  await page.getByTestId('new-token').click();
  await page.getByTestId('level-storage-write').selectOption('write');
  await page.getByTestId('scope-storage-write-all').check();
  assert.equal(await page.getByTestId('summary').innerText(), 'Read and write all buckets; nothing else');
  // Nothing overflows sideways.
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 0, `page is ${overflow}px wider than the screen`);
  await screenshot(page, 'create-grid-375');

  // The master token's detail: no edit or delete, and a keyboard-usable dialog.
  await page.goto(`${app.url}/tokens`);
  await page.getByTestId('token-row').filter({ hasText: 'Master' }).first().getByRole('link').click();
  await page.getByTestId('token-title').waitFor();
  assert.equal(await page.getByTestId('edit-token').count(), 0);
  assert.equal(await page.getByTestId('delete-token').count(), 0);
  await screenshot(page, 'detail-375');
  await page.getByTestId('refresh-token').click();
  await page.getByTestId('refresh-dialog').waitFor();
  assert.equal(await page.evaluate(() => document.activeElement?.dataset.testid), 'refresh-overlap');
  await screenshot(page, 'refresh-dialog-375');
  await page.keyboard.press('Escape');
  await page.getByTestId('refresh-dialog').waitFor({ state: 'detached' });
  assert.equal(await page.evaluate(() => document.activeElement?.dataset.testid), 'refresh-token');
  await context.close();
});

test('admins: add one (an enrolment link; a secret only when asked for, once), and the last admin cannot be removed', async () => {
  const page = await env.adminPage({ viewport: { width: 1440, height: 900 } });
  await page.getByTestId('nav-admins').click();
  await page.getByTestId('admin-row').first().waitFor();
  // By default no master secret: the new admin enrols with a passkey.
  await page.getByTestId('admin-name').fill('Passkey Admin');
  await page.getByTestId('admin-email').fill('passkey@example.com');
  await page.getByTestId('add-admin').click();
  await page.getByTestId('admin-enrolment-sent').filter({ hasText: 'emailed to passkey@example.com' }).waitFor();
  assert.equal(await page.getByTestId('secret-text').count(), 0);
  await page.getByTestId('admin-row').filter({ hasText: 'passkey@example.com' }).waitFor();
  await page.getByTestId('admin-row').filter({ hasText: 'passkey@example.com' }).getByTestId('remove-admin').click();
  await page.getByTestId('remove-admin-confirm').click();
  await page.getByTestId('admin-row').filter({ hasText: 'passkey@example.com' }).waitFor({ state: 'detached' });
  // Asked for: the master secret, once.
  await page.getByTestId('admin-name').fill('Second Admin');
  await page.getByTestId('admin-email').fill('second@example.com');
  await page.getByTestId('admin-master-secret').check();
  await page.getByTestId('add-admin').click();
  await page.getByTestId('admin-enrolment-sent').filter({ hasText: 'emailed to second@example.com' }).waitFor();
  const secret = (await page.getByTestId('secret-text').innerText()).trim();
  assert.match(secret, /^kw_m_/);
  assert.equal((await whoami(secret)).status, 200);
  await page.getByTestId('admin-row').nth(1).waitFor();
  await screenshot(page, 'admins');

  // Remove the second admin: its master token dies with it.
  await page.getByTestId('admin-row').filter({ hasText: 'second@example.com' }).getByTestId('remove-admin').click();
  await page.getByTestId('remove-admin-confirm').click();
  await page.getByTestId('remove-admin-dialog').waitFor({ state: 'detached' });
  await page.getByTestId('admin-row').filter({ hasText: 'second@example.com' }).waitFor({ state: 'detached' });
  assert.equal(await page.getByTestId('admin-row').count(), 1);
  assert.equal((await whoami(secret)).status, 401);

  // The last one: the 409 is shown in the dialog.
  await page.getByTestId('remove-admin').click();
  await page.getByTestId('remove-admin-confirm').click();
  const err = page.getByTestId('remove-admin-dialog').getByTestId('form-error');
  await err.waitFor();
  assert.match(await err.innerText(), /Conflict/);
  await page.close();
});

test('the token list: pagination, search by name and client id, sort, expiry marks, empty state', async () => {
  const { app } = env;
  for (let i = 0; i < 23; i++) {
    const body = { name: `batch-${String(i).padStart(2, '0')}`, expires_in: i % 2 ? 3 * 86400 : 60 * 86400 };
    const r = await app.api('/api/v1/tokens', { method: 'POST', body });
    assert.equal(r.status, 201);
  }
  const all = await (await app.api('/api/v1/tokens?limit=100&sort=name')).json();
  const page = await env.adminPage({ viewport: { width: 1440, height: 900 } });
  await page.getByTestId('token-row').first().waitFor();
  assert.equal(await page.getByTestId('token-row').count(), 20);
  assert.equal(await page.getByTestId('page-info').innerText(), `1–20 of ${all.total}`);
  await page.getByTestId('page-next').click();
  await page.getByTestId('page-info').filter({ hasText: `21–${all.total} of ${all.total}` }).waitFor();
  assert.ok(await page.getByTestId('page-next').isDisabled());
  await page.getByTestId('page-prev').click();
  await page.getByTestId('page-info').filter({ hasText: '1–20' }).waitFor();

  // Sort by name, ascending then descending (the header says which).
  await page.getByTestId('sort-name').click();
  await page.locator('th[aria-sort="ascending"]').filter({ hasText: 'Name' }).waitFor();
  await page.getByTestId('token-row').first().filter({ hasText: all.items[0].name }).waitFor();
  await page.getByTestId('sort-name').click();
  await page.getByTestId('token-row').first().filter({ hasText: all.items[all.items.length - 1].name }).waitFor();

  // Search by name; the expiring token is marked in words.
  await page.getByTestId('token-search-input').fill('batch-07');
  await page.getByTestId('token-search-input').press('Enter');
  await page.getByTestId('page-info').filter({ hasText: '1–1 of 1' }).waitFor();
  assert.match(await page.getByTestId('token-row').innerText(), /Expires soon/);
  // Search by client id.
  const target = all.items.find((t) => t.name === 'batch-10');
  await page.getByTestId('token-search-input').fill(target.client_id);
  await page.getByTestId('token-search-input').press('Enter');
  await page.getByTestId('token-row').filter({ hasText: 'batch-10' }).waitFor();
  assert.equal(await page.getByTestId('token-row').count(), 1);
  assert.doesNotMatch(await page.getByTestId('token-row').innerText(), /Expires soon/);
  // The master token never expires, and says so.
  await page.getByTestId('token-search-input').fill('Master');
  await page.getByTestId('token-search-input').press('Enter');
  await page.getByTestId('token-row').first().filter({ hasText: 'Never expires' }).waitFor();
  // Empty state.
  await page.getByTestId('token-search-input').fill('no-such-token-anywhere');
  await page.getByTestId('token-search-input').press('Enter');
  await page.getByTestId('tokens-empty').waitFor();
  assert.match(await page.getByTestId('tokens-empty').innerText(), /No tokens match/);
  await page.close();
});

test('invitations: sent from the token page, accepted once on the public page', async () => {
  const { app, browser } = env;
  const r = await app.api('/api/v1/tokens', {
    method: 'POST',
    body: { name: 'invited', grants: [{ service: 'storage', permission: 'read', resource: BUCKET }] },
  });
  assert.equal(r.status, 201);
  const { token } = await r.json();
  const page = await env.adminPage({ viewport: { width: 1440, height: 900 } });
  await page.goto(`${app.url}/tokens/${token.id}`);
  await page.getByTestId('send-token').click();
  await page.getByTestId('send-email').fill('guest@example.com');
  await page.getByTestId('send-message').fill('Welcome aboard');
  await page.getByTestId('send-confirm').click();
  await page.getByTestId('invitation-row').filter({ hasText: 'guest@example.com' }).waitFor();

  const outbox = await (await app.api('/api/v1/outbox')).json();
  const mail = outbox.items.find((m) => m.to === 'guest@example.com');
  assert.ok(mail, 'the invitation email is in the dev outbox');
  const link = mail.text.match(/https?:\/\/\S+\/invite\/[A-Za-z0-9_-]+/)[0];

  const guest = await browser.newContext({ viewport: { width: 375, height: 800 } });
  const welcome = await guest.newPage();
  await welcome.goto(link);
  await welcome.getByTestId('invite-token-name').filter({ hasText: 'invited' }).waitFor();
  assert.equal(await welcome.getByTestId('invite-summary').innerText(), `Read bucket ${BUCKET}; nothing else`);
  assert.match(await welcome.getByTestId('invite').innerText(), /Welcome aboard/);
  await screenshot(welcome, 'invite-375');
  await welcome.getByTestId('invite-accept').click();
  const secret = (await welcome.getByTestId('secret-text').innerText()).trim();
  assert.equal((await whoami(secret)).status, 200);
  await welcome.reload();
  await welcome.getByTestId('invite-error').waitFor();
  assert.match(await welcome.locator('h1').innerText(), /already accepted/);
  await guest.close();

  await page.reload();
  await page.getByTestId('invitation-row').filter({ hasText: 'accepted' }).waitFor();
  await screenshot(page, 'detail-invitations');
  await page.close();
});

test('refreshing the master token you are signed in with keeps your session', async () => {
  const { app, browser } = env;
  const r = await app.api('/api/v1/admins', { method: 'POST', body: { email: 'third@example.com', name: 'Third' } });
  assert.equal(r.status, 201);
  const { master_token: token, secret } = await r.json();
  const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
  await signIn(page, secret);
  await page.waitForURL('**/tokens');
  await page.goto(`${app.url}/tokens/${token.id}`);
  await page.getByTestId('refresh-token').click();
  assert.match(await page.getByTestId('refresh-dialog').innerText(), /signed in with/);
  await page.getByTestId('refresh-confirm').click();
  const renewed = (await page.getByTestId('secret-text').innerText()).trim();
  assert.equal((await whoami(secret)).status, 401);
  assert.equal((await whoami(renewed)).status, 200);
  // The session is the admin's, not the secret's: nothing to switch over.
  assert.ok(!(await page.evaluate(() => JSON.stringify(sessionStorage))).includes('kw_'));
  await page.getByTestId('nav-tokens').click();
  await page.getByTestId('token-row').first().waitFor();
  assert.equal(await page.getByTestId('signin-form').count(), 0);
  await page.close();
});

test('the grid says what a non-master token cannot hand on', async () => {
  const { app, browser } = env;
  const r = await app.api('/api/v1/tokens', {
    method: 'POST',
    body: {
      name: 'delegator',
      grants: [
        { service: 'tokens', permission: 'manage' },
        { service: 'storage', permission: 'read', resource: BUCKET },
      ],
    },
  });
  assert.equal(r.status, 201);
  const { secret } = await r.json();
  const context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
  const page = await context.newPage();
  await signIn(page, secret);
  await page.waitForURL('**/tokens');
  await page.getByTestId('new-token').click();
  await page.getByTestId('limit-storage-write').filter({ hasText: 'Your token cannot grant this.' }).waitFor();
  assert.equal(await page.getByTestId('limit-storage-read').innerText(), `Your token can grant this only on: ${BUCKET}.`);
  assert.equal(await page.getByTestId('limit-tokens-read').count(), 0, 'manage implies read');
  // Trying anyway: the API refuses, the page explains, the form stays.
  await page.getByTestId('token-name').fill('too much');
  await page.getByTestId('level-storage-write').selectOption('write');
  await page.getByTestId(`resource-storage-write-${BUCKET}`).check();
  await page.getByTestId('token-submit').click();
  await page.getByTestId('form-error').filter({ hasText: /cannot grant (or manage )?storage:write/ }).waitFor();
  assert.equal(await page.getByTestId('token-name').inputValue(), 'too much');
  await screenshot(page, 'create-limits');
  await context.close();
});
