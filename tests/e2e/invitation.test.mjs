// Issue 5 end to end: an admin sends a token by invitation through the
// dialog, the dev outbox shows the email, the recipient accepts on the
// welcome page and works in the Storage Console with exactly what the
// token allows.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { useApp, spawnApp, screenshot, appNavigate } from './support/app.mjs';

const BUCKET = 'inv-data';
const OTHER = 'inv-hidden';
const EMAIL = 'holder@example.com';

const env = useApp({
  seed: async (app) => {
    for (const id of [BUCKET, OTHER]) {
      const r = await app.api('/api/v1/buckets', { method: 'POST', body: { id } });
      assert.equal(r.status, 201, `create bucket ${id}: ${await r.text()}`);
    }
  },
});

async function createToken(name, permission) {
  const r = await env.app.api('/api/v1/tokens', {
    method: 'POST',
    body: { name, grants: [{ service: 'storage', permission, resource: BUCKET }] },
  });
  const text = await r.text();
  assert.equal(r.status, 201, text);
  return JSON.parse(text);
}

async function signIn(page, secret) {
  await page.goto(`${env.app.url}/signin`);
  await page.getByTestId('health').filter({ hasText: 'Service ok' }).waitFor();
  await page.getByTestId('signin-use-token').click();
  await page.getByTestId('signin-input').fill(secret);
  await page.getByTestId('signin-submit').click();
}

async function noSidewaysOverflow(page) {
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 0, `page is ${overflow}px wider than the screen`);
}

test('send by invitation, open it from the outbox, accept, and use the console', async () => {
  const { app, browser } = env;
  const { token } = await createToken('inv writer', 'write');
  const context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
  const page = await context.newPage();
  await signIn(page, app.adminSecret);
  await page.waitForURL('**/tokens');
  assert.equal(await page.getByTestId('nav-outbox').count(), 1, 'masters see the outbox');

  // A master token has no Send button (the API would refuse with 409).
  const me = await (await app.api('/api/v1/whoami')).json();
  await page.goto(`${app.url}/tokens/${me.token.id}`);
  await page.getByTestId('token-title').waitFor();
  await page.getByTestId('token-audit').waitFor();
  assert.equal(await page.getByTestId('send-token').count(), 0);

  // The dialog: what happens to the secret, validity choices, field errors.
  await page.goto(`${app.url}/tokens/${token.id}`);
  await page.getByTestId('send-token').click();
  const dialog = page.getByTestId('send-dialog');
  await dialog.waitFor();
  const warning = await page.getByTestId('send-warning').innerText();
  assert.match(warning, /recipient will receive this token's secret/);
  assert.match(warning, /already revealed.*replaced/s);
  assert.equal(await page.getByTestId('send-validity').inputValue(), '7');
  assert.deepEqual(
    await page.getByTestId('send-validity').locator('option').evaluateAll((os) => os.map((o) => o.value)),
    ['1', '7', '14', '30'],
  );
  // The API's field error lands under the field; the dialog stays open.
  await page.getByTestId('send-email').fill('holder@');
  await page.getByTestId('send-confirm').click();
  await page.getByTestId('send-email-error').filter({ hasText: /./ }).waitFor();
  await page.getByTestId('send-email').fill(EMAIL);
  await page.getByTestId('send-message').fill('Here is the data bucket.\nEnjoy!');
  await page.getByTestId('send-validity').selectOption('14');
  await screenshot(page, 'send-dialog');
  await page.getByTestId('send-confirm').click();
  await page.getByTestId('invite-sent').filter({ hasText: EMAIL }).waitFor();
  assert.equal(await dialog.count(), 0, 'the dialog closes');
  await page.getByTestId('invitation-row').filter({ hasText: EMAIL }).filter({ hasText: 'pending' }).waitFor();
  const [inv] = (await (await app.api(`/api/v1/invitations?token_id=${token.id}`)).json()).items;
  const days = (Date.parse(inv.expires_at) - Date.now()) / 86_400_000;
  assert.ok(days > 13.9 && days <= 14, `valid for 14 days, got ${days}`);

  // The outbox, in the browser: plain text with the invite link clickable.
  await page.getByTestId('nav-outbox').click();
  await page.waitForURL('**/outbox');
  const mail = page.getByTestId('outbox-message').filter({ hasText: EMAIL });
  await mail.waitFor();
  assert.match(await mail.getByTestId('outbox-text').innerText(), /Here is the data bucket/);
  const link = mail.getByTestId('outbox-link').filter({ hasText: '/invite/' });
  assert.equal(await link.count(), 1);
  const href = await link.getAttribute('href');
  assert.ok(href.startsWith(`${app.url}/invite/`), href);
  // The HTML body is not injected: no markup from the message as elements.
  assert.equal(await mail.locator('pre a').count(), await mail.getByTestId('outbox-link').count());
  await screenshot(page, 'outbox');
  await link.click();

  // The welcome page.
  await page.waitForURL('**/invite/**');
  await page.getByTestId('invite-token-name').filter({ hasText: 'inv writer' }).waitFor();
  assert.equal(await page.getByTestId('invite-summary').innerText(), `Read and write bucket ${BUCKET}; nothing else`);
  await screenshot(page, 'welcome');
  await page.getByTestId('invite-accept').click();
  const secret = (await page.getByTestId('secret-text').innerText()).trim();
  assert.match(secret, /^kw_s_/);
  await page.getByTestId('invite-open-console').click();

  // The console, signed in with the new secret.
  await page.waitForURL('**/console');
  // A scoped token's secret is held in the tab's memory only.
  assert.ok(!(await page.evaluate(() => JSON.stringify(sessionStorage) + JSON.stringify(localStorage))).includes('kw_'));
  await page.getByTestId('console-token-name').filter({ hasText: 'inv writer' }).waitFor();
  assert.equal(await page.getByTestId('console-summary').innerText(), `Read and write bucket ${BUCKET}; nothing else`);
  assert.equal(await page.getByTestId('nav-tokens').count(), 0, 'no admin navigation');
  assert.equal(await page.getByTestId('nav-outbox').count(), 0);
  await page.getByTestId('console-bucket').first().waitFor();
  assert.deepEqual(await page.getByTestId('console-bucket').allInnerTexts(), [BUCKET]);
  await page.getByTestId('console-empty').waitFor();

  // Upload, list, view, download, delete.
  await page.getByTestId('upload-file').setInputFiles({
    name: 'notes.txt', mimeType: 'text/plain', buffer: Buffer.from('hello from the console\n'),
  });
  assert.equal(await page.getByTestId('upload-key').inputValue(), 'notes.txt');
  await page.getByTestId('upload-submit').click();
  await page.getByTestId('upload-status').filter({ hasText: 'Uploaded notes.txt' }).waitFor();
  const row = page.getByTestId('object-row').filter({ hasText: 'notes.txt' });
  await row.waitFor();
  assert.match(await row.innerText(), /text\/plain/);
  const stored = await app.api(`/api/v1/buckets/${BUCKET}/objects/notes.txt`);
  assert.equal(await stored.text(), 'hello from the console\n');

  await row.getByTestId('object-view-button').click();
  await page.getByTestId('object-view').filter({ hasText: 'hello from the console' }).waitFor();
  await screenshot(page, 'console');
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    row.getByTestId('object-download').click(),
  ]);
  assert.equal(download.suggestedFilename(), 'notes.txt');
  assert.equal(readFileSync(await download.path(), 'utf8'), 'hello from the console\n');

  await page.setViewportSize({ width: 375, height: 800 });
  await noSidewaysOverflow(page);
  await screenshot(page, 'console-375');
  await page.setViewportSize({ width: 1440, height: 900 });

  await row.getByTestId('object-delete').click();
  await row.getByTestId('object-delete-confirm').click();
  await page.getByTestId('console-empty').waitFor();
  assert.equal((await app.api(`/api/v1/buckets/${BUCKET}/objects/notes.txt`)).status, 404);

  // The link works once.
  await page.goto(href);
  await page.getByTestId('invite-error').waitFor();
  assert.match(await page.locator('h1').innerText(), /already accepted/);
  await context.close();

  // The admin sees it accepted.
  const after = (await (await app.api(`/api/v1/invitations?token_id=${token.id}`)).json()).items;
  assert.equal(after[0].status, 'accepted');
});

test('a read-only token sees its bucket but no upload or delete', async () => {
  const { app, browser } = env;
  const { secret } = await createToken('inv reader', 'read');
  const put = await app.api(`/api/v1/buckets/${BUCKET}/objects/readme.txt`, {
    method: 'PUT', body: { note: 'read me' },
  });
  assert.equal(put.status, 200, await put.text());
  const context = await browser.newContext({ viewport: { width: 375, height: 800 } });
  const page = await context.newPage();
  await signIn(page, secret);
  await page.waitForURL('**/console');
  await page.getByTestId('object-row').filter({ hasText: 'readme.txt' }).waitFor();
  assert.deepEqual(await page.getByTestId('console-bucket').allInnerTexts(), [BUCKET]);
  assert.equal(await page.getByTestId('upload-form').count(), 0);
  assert.equal(await page.getByTestId('object-delete').count(), 0);
  assert.match(await page.getByTestId('console-mode').innerText(), /may not change them/);
  await page.getByTestId('object-view-button').click();
  await page.getByTestId('object-view').filter({ hasText: 'read me' }).waitFor();
  await noSidewaysOverflow(page);
  await screenshot(page, 'console-readonly-375');
  // Non-admins get no outbox either. (In the app: the token's secret is held
  // in the tab's memory only.)
  await appNavigate(page, '/outbox');
  await page.getByTestId('forbidden').filter({ hasText: 'This page needs a master token' }).waitFor();
  await context.close();
});

test('a failed email says so, and the invitation can be re-sent', async () => {
  const { browser } = env;
  // An email provider that cannot be reached: every send fails.
  const broken = await spawnApp({ vars: { EMAIL_API_URL: 'http://127.0.0.1:9/send', EMAIL_TIMEOUT_MS: '2000' } });
  try {
    const r = await broken.api('/api/v1/tokens', { method: 'POST', body: { name: 'unlucky' } });
    assert.equal(r.status, 201);
    const { token } = await r.json();
    const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
    await page.goto(`${broken.url}/signin`);
    await page.getByTestId('signin-use-token').click();
    await page.getByTestId('signin-input').fill(broken.adminSecret);
    await page.getByTestId('signin-submit').click();
    await page.waitForURL('**/tokens');
    await page.goto(`${broken.url}/tokens/${token.id}`);
    await page.getByTestId('send-token').click();
    await page.getByTestId('send-email').fill('nobody@example.com');
    // A token with no permissions is sent only once the sender confirms it.
    await page.getByTestId('send-nothing-warning').waitFor();
    assert.ok(await page.getByTestId('send-confirm').isDisabled());
    await page.getByTestId('send-nothing-confirm').check();
    await page.getByTestId('send-confirm').click();
    const failed = page.getByTestId('send-email-failed');
    await failed.waitFor();
    assert.match(await failed.innerText(), /could not be sent.*failed.*re-send/s);
    await screenshot(page, 'send-dialog-email-failed');
    await page.getByTestId('send-cancel').click();
    const row = page.getByTestId('invitation-row').filter({ hasText: 'nobody@example.com' });
    await row.filter({ hasText: 'failed' }).waitFor();
    await row.getByTestId('invitation-resend').click();
    await page.getByTestId('resend-email-failed').waitFor();
    await page.getByTestId('form-error').filter({ hasText: /email could not be sent/i }).waitFor();
    await row.filter({ hasText: 'failed' }).waitFor();
    await page.close();
  } finally {
    await broken.stop();
  }
});
