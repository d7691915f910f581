// People sign in as people (issue 26): passkeys through Chromium's virtual
// authenticator (DevTools' WebAuthn domain), HttpOnly cookie sessions shared
// by a browser's tabs, sign-out everywhere, enrolment links, and no secret
// anywhere the page's scripts can read. Passkeys need a secure context that
// is not an IP address: the browser uses http://localhost.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { useApp, signInWithToken, screenshot } from './support/app.mjs';

// The first admin's passkey, as the virtual authenticator holds it.
let adminCredential;
// A browser context signed in with that passkey (two tabs).
let ctx; let tab1; let tab2;

const env = useApp({ host: 'localhost' });

const VIEW = { viewport: { width: 1440, height: 900 } };

/// A platform authenticator for this page that holds discoverable
/// credentials and verifies its user without asking.
async function authenticator(page) {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('WebAuthn.enable');
  const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
    options: {
      protocol: 'ctap2', transport: 'internal', hasResidentKey: true,
      hasUserVerification: true, isUserVerified: true, automaticPresenceSimulation: true,
    },
  });
  return {
    credentials: async () => (await cdp.send('WebAuthn.getCredentials', { authenticatorId })).credentials,
    add: (credential) => cdp.send('WebAuthn.addCredential', { authenticatorId, credential }),
    remove: (credentialId) => cdp.send('WebAuthn.removeCredential', { authenticatorId, credentialId }),
  };
}

/// A fresh browser (context) whose authenticator holds `credential`.
async function deviceWith(credential) {
  const context = await env.browser.newContext(VIEW);
  const page = await context.newPage();
  const auth = await authenticator(page);
  await auth.add(credential);
  return { context, page, auth };
}

async function passkeySignIn(page) {
  await page.goto(`${env.app.url}/signin`);
  await page.getByTestId('passkey-signin').click();
}

async function json(r, status = 200) {
  const text = await r.text();
  assert.equal(r.status, status, text);
  return text ? JSON.parse(text) : null;
}

test('the first admin signs in with the start-up master token and adds a passkey', async () => {
  const { app, browser } = env;
  const context = await browser.newContext(VIEW);
  const page = await context.newPage();
  const auth = await authenticator(page);
  await signInWithToken(page, app.url, app.adminSecret);
  await page.waitForURL('**/tokens');
  await page.getByTestId('nav-sign-ins').click();
  await page.waitForURL('**/sign-ins');
  const row = page.getByTestId('session-row');
  await row.filter({ hasText: 'This session' }).waitFor();
  assert.match(await row.first().innerText(), /Master token/);
  await page.getByTestId('passkeys-empty').waitFor();

  await page.getByTestId('new-passkey-name').fill('Test laptop');
  await page.getByTestId('add-passkey').click();
  const key = page.getByTestId('passkey-row').filter({ hasText: 'Test laptop' });
  await key.waitFor();
  assert.match(await key.innerText(), /ES256/);
  await screenshot(page, 'sign-ins');

  const held = await auth.credentials();
  assert.equal(held.length, 1, 'the authenticator made one passkey');
  assert.ok(held[0].isResidentCredential, 'a discoverable credential');
  assert.equal(held[0].rpId, 'localhost');
  adminCredential = held[0];
  await context.close();
});

test('a new browser signs in with the passkey alone, landing on the tokens page', async () => {
  assert.ok(adminCredential, 'needs the passkey of the first test');
  let auth;
  ({ context: ctx, page: tab1, auth } = await deviceWith(adminCredential));
  await passkeySignIn(tab1);
  await tab1.waitForURL('**/tokens');
  // The authenticator's signature counter moved on: later copies start here
  // (Keyward refuses a counter that goes back, as from a cloned key).
  [adminCredential] = await auth.credentials();
  await tab1.getByTestId('token-row').first().waitFor();
  assert.match(await tab1.getByTestId('who').innerText(), /Master/);
  // The sign-ins page knows this browser's session, opened with a passkey.
  await tab1.getByTestId('nav-sign-ins').click();
  const current = tab1.getByTestId('session-row').filter({ hasText: 'This session' });
  await current.waitFor();
  assert.match(await current.innerText(), /Passkey/);
  await tab1.getByTestId('passkey-row').filter({ hasText: 'Test laptop' })
    .filter({ hasNotText: 'Never' }).waitFor();
  await tab1.getByTestId('nav-tokens').click();
  await tab1.waitForURL('**/tokens');
});

test('a second tab of the same browser opens signed in', async () => {
  const { app } = env;
  tab2 = await ctx.newPage();
  await tab2.goto(`${app.url}/tokens`);
  await tab2.getByTestId('token-row').first().waitFor();
  assert.equal(await tab2.getByTestId('passkey-signin').count(), 0);
  assert.match(await tab2.getByTestId('who').innerText(), /Master/);
});

test('after a passkey sign-in and a visit to every page, no secret is readable by the page', async () => {
  const { app } = env;
  const { items } = await json(await app.api('/api/v1/tokens'));
  const pages = ['/tokens', '/tokens/new', `/tokens/${items[0].id}`, '/personas', '/members', '/projects',
    '/admins', '/audit', '/outbox', '/console', '/profile', '/sign-ins', '/device', '/'];
  for (const path of pages) {
    await tab2.goto(`${app.url}${path}`);
    await tab2.locator('main h1').first().waitFor();
    await tab2.waitForLoadState('networkidle');
    assert.equal(await tab2.getByTestId('passkey-signin').count(), 0, `signed in on ${path}`);
  }
  const readable = await tab2.evaluate(async () => {
    const dump = (s) => JSON.stringify(Object.fromEntries(Object.entries(s)));
    const dbs = await indexedDB.databases();
    const stored = [];
    for (const { name } of dbs) {
      const db = await new Promise((ok, no) => { const r = indexedDB.open(name); r.onsuccess = () => ok(r.result); r.onerror = no; });
      for (const store of db.objectStoreNames) {
        const all = await new Promise((ok, no) => {
          const r = db.transaction(store).objectStore(store).getAll();
          r.onsuccess = () => ok(r.result); r.onerror = no;
        });
        stored.push(JSON.stringify(all));
      }
      db.close();
    }
    return {
      local: dump(localStorage), session: dump(sessionStorage), cookie: document.cookie,
      databases: dbs.map((d) => d.name), indexed: stored.join(''),
    };
  });
  for (const [where, text] of Object.entries(readable)) {
    assert.doesNotMatch(String(text), /kw_[msupg]_|kw_session/, `${where}: ${text}`);
  }
  assert.equal(readable.cookie, '', 'the page can read no cookie');
  const cookies = await ctx.cookies(app.url);
  const session = cookies.find((c) => c.name === 'kw_session' || c.name === '__Host-kw_session');
  assert.ok(session, `a session cookie: ${JSON.stringify(cookies.map((c) => c.name))}`);
  assert.equal(session.httpOnly, true);
  assert.equal(session.sameSite, 'Strict');
  assert.equal(session.path, '/');
  assert.ok(!session.value.startsWith('kw_'), 'the cookie is no token secret');
});

test('"Sign out everywhere" ends every tab and every browser', async () => {
  const { app, browser } = env;
  // A third browser, signed in with the master token, is ended too.
  const other = await browser.newContext(VIEW);
  const otherPage = await other.newPage();
  await signInWithToken(otherPage, app.url, app.adminSecret);
  await otherPage.waitForURL('**/tokens');

  await tab2.goto(`${app.url}/sign-ins`);
  await tab2.getByTestId('session-row').nth(1).waitFor();
  await tab2.getByTestId('signout-everywhere').click();
  await tab2.getByTestId('passkey-signin').waitFor();
  assert.match(tab2.url(), /\/signin$/);

  // The other tab's next action lands on sign-in, with the reason.
  await tab1.getByTestId('nav-audit').click();
  const reason = tab1.getByTestId('signout-reason');
  await reason.waitFor();
  assert.match(await reason.innerText(), /session has ended/);
  assert.ok(await tab1.getByTestId('passkey-signin').isVisible());
  await screenshot(tab1, 'signed-out-elsewhere');

  // The other browser's session is over as well.
  await otherPage.reload();
  await otherPage.getByTestId('passkey-signin').waitFor();
  await otherPage.getByTestId('signout-reason').filter({ hasText: 'session has ended' }).waitFor();
  await other.close();
  await ctx.close();
});

test('a renamed, then removed passkey no longer signs in', async () => {
  const { app } = env;
  const { context, page } = await deviceWith(adminCredential);
  await passkeySignIn(page);
  await page.waitForURL('**/tokens');
  await page.getByTestId('nav-sign-ins').click();
  const key = page.getByTestId('passkey-row').filter({ hasText: 'Test laptop' });
  await key.getByTestId('passkey-rename').click();
  await page.getByTestId('passkey-new-name').fill('Old laptop');
  await page.getByTestId('passkey-rename-confirm').click();
  const renamed = page.getByTestId('passkey-row').filter({ hasText: 'Old laptop' });
  await renamed.waitFor();
  await renamed.getByTestId('passkey-remove').click();
  await page.getByTestId('remove-passkey-dialog').waitFor();
  // This browser signed in with it: the dialog says it ends this session.
  await page.getByTestId('remove-own-passkey').waitFor();
  await page.getByTestId('passkey-remove-confirm').click();
  await page.getByTestId('signout-reason').filter({ hasText: 'removed the passkey' }).waitFor();
  const { items: left } = await json(await app.api('/api/v1/me/passkeys'));
  assert.deepEqual(left, []);

  await page.getByTestId('passkey-signin').click();
  const error = page.getByTestId('passkey-error');
  await error.filter({ hasText: /not accepted/ }).waitFor();
  assert.ok(await page.getByTestId('passkey-signin').isEnabled(), 'the button is there to try again');
  assert.match(page.url(), /\/signin$/);
  await screenshot(page, 'passkey-rejected');
  await context.close();
});

test('a member enrols with the emailed link, sees only their profile, and approves a terminal', async () => {
  const { app, browser } = env;
  const EMAIL = 'mia@example.com';
  const created = await json(await app.api('/api/v1/members', {
    method: 'POST', body: { email: EMAIL, name: 'Mia Member' },
  }), 201);
  assert.equal(created.enrolment?.email, EMAIL);
  const { items: mails } = await json(await app.api('/api/v1/outbox'));
  const mail = mails.find((m) => m.to === EMAIL && /\/enrol\//.test(m.text));
  assert.ok(mail, `an enrolment email: ${JSON.stringify(mails.map((m) => [m.to, m.subject]))}`);
  const code = mail.text.match(/\/enrol\/([A-Za-z0-9_-]+)/)[1];
  assert.ok(mail.text.includes(`${app.url}/enrol/${code}`), mail.text);

  const context = await browser.newContext(VIEW);
  const page = await context.newPage();
  const auth = await authenticator(page);
  await page.goto(`${app.url}/enrol/${code}`);
  await page.getByTestId('enrol-welcome').filter({ hasText: 'Welcome, Mia Member' }).waitFor();
  assert.equal(await page.getByTestId('enrol-email').innerText(), EMAIL);
  await screenshot(page, 'enrol');
  await page.getByTestId('enrol-passkey-name').fill('Mia phone');
  await page.getByTestId('enrol-create').click();
  await page.waitForURL('**/profile');
  await page.getByTestId('profile-email').filter({ hasText: EMAIL }).waitFor();
  for (const nav of ['nav-tokens', 'nav-admins', 'nav-members', 'nav-outbox', 'nav-audit']) {
    assert.equal(await page.getByTestId(nav).count(), 0, `no ${nav}`);
  }
  assert.ok(await page.getByTestId('nav-sign-ins').isVisible());
  await page.goto(`${app.url}/admins`);
  await page.getByTestId('forbidden').waitFor();
  const [memberCredential] = await auth.credentials();
  assert.ok(memberCredential);

  // The link worked once.
  await page.goto(`${app.url}/enrol/${code}`);
  await page.getByTestId('enrol-error').waitFor();
  assert.match(await page.locator('h1').innerText(), /already used/);
  await page.goto(`${app.url}/enrol/no-such-code`);
  await page.locator('h1').filter({ hasText: 'not valid' }).waitFor();
  await context.close();

  // A terminal asks to sign in; the member, not yet signed in on this
  // browser, opens the link, signs in with the passkey and comes back.
  const device = await json(await app.api('/api/v1/auth/device', { method: 'POST', body: { client_name: 'mia laptop' } }));
  const fresh = await deviceWith(memberCredential);
  await fresh.page.goto(`${app.url}/device?code=${device.user_code}`);
  await fresh.page.waitForURL('**/signin');
  await fresh.page.getByTestId('passkey-signin').click();
  await fresh.page.waitForURL('**/device?code=*');
  assert.equal(await fresh.page.getByTestId('device-code').inputValue(), device.user_code);
  await fresh.page.getByTestId('device-approve').click();
  const approved = fresh.page.getByTestId('device-approved');
  await approved.waitFor();
  assert.match(await approved.innerText(), /mia laptop.*return to your terminal/s);
  const issued = await json(await app.api('/api/v1/auth/device/token', { method: 'POST', body: { device_code: device.device_code } }));
  assert.match(issued.secret, /^kw_p_/);
  await fresh.context.close();
});
