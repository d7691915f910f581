// Issue #16, defects 2, 7 and 8: layout at 1,280 px and on a phone, sentences
// and dates, names instead of client ids, a token's own activity, the
// rate-limit input, the outbox's links and a failed page load.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { useApp, screenshot } from './support/app.mjs';

// The emails link to another host than the one the app runs on, as when
// PUBLIC_BASE_URL says localhost and the browser uses 127.0.0.1.
const MAIL_BASE = 'http://localhost:8787';

const env = useApp({
  vars: { PUBLIC_BASE_URL: MAIL_BASE },
  seed: async (app) => {
    // A few tokens with long names, so the table has something to hold.
    for (let i = 0; i < 3; i++) {
      const r = await app.api('/api/v1/tokens', {
        method: 'POST',
        body: { name: `reporting pipeline for the finance team ${i}`, description: 'nightly export', expires_in: 60 * 86400 },
      });
      assert.equal(r.status, 201, await r.text());
    }
  },
});

async function signIn(page, secret = env.app.adminSecret) {
  await page.goto(`${env.app.url}/signin`);
  await page.getByTestId('health').filter({ hasText: 'Service ok' }).waitFor();
  await page.getByTestId('signin-use-token').click();
  await page.getByTestId('signin-input').fill(secret);
  await page.getByTestId('signin-submit').click();
}

async function json(r, status = 200) {
  const text = await r.text();
  assert.equal(r.status, status, text);
  return JSON.parse(text);
}

test('at 1,280 px the token table fits, the top bar is one row and the project picker is not cut', async () => {
  const page = await env.adminPage({ viewport: { width: 1280, height: 800 } });
  await page.getByTestId('token-row').first().waitFor();
  const m = await page.evaluate(() => {
    const wrap = document.querySelector('.table-wrap');
    const table = document.querySelector('[data-testid="token-table"]');
    const bar = document.querySelector('.topbar');
    const tops = [...bar.querySelectorAll('.brand, nav a, [data-testid="project-switcher"], [data-testid="signout"]')]
      .filter((e) => e.offsetParent !== null)
      .map((e) => { const r = e.getBoundingClientRect(); return r.top + r.height / 2; });
    const sel = document.querySelector('[data-testid="project-switcher"]');
    const ctx = document.createElement('canvas').getContext('2d');
    ctx.font = getComputedStyle(sel).font;
    const text = sel.selectedOptions[0].text;
    return {
      tableOverflow: table.getBoundingClientRect().width - wrap.clientWidth,
      pageOverflow: document.documentElement.scrollWidth - window.innerWidth,
      rows: Math.max(...tops) - Math.min(...tops),
      barHeight: bar.getBoundingClientRect().height,
      text, room: sel.clientWidth - ctx.measureText(text).width,
    };
  });
  await screenshot(page, 'layout-tokens-1280');
  assert.ok(m.tableOverflow <= 0, `the token table is ${m.tableOverflow}px wider than its box`);
  assert.ok(m.pageOverflow <= 0, `the page is ${m.pageOverflow}px wider than the window`);
  assert.ok(m.rows < 8, `the top bar's items are spread over ${m.rows}px vertically (wrapped)`);
  assert.ok(m.barHeight < 64, `the top bar is ${m.barHeight}px high`);
  assert.ok(m.room >= 20, `the project picker shows "${m.text}" in ${m.room}px too little`);
  // The columns that matter; the rest is on the token's page.
  const heads = await page.locator('[data-testid="token-table"] thead th').allInnerTexts();
  assert.ok(heads.some((h) => /Name/i.test(h)) && heads.some((h) => /Expires/i.test(h)), heads.join('|'));
  await page.close();
});

test('on a 390×844 phone the top bar is one row with a menu', async () => {
  const { browser } = env;
  const context = await browser.newContext({ viewport: { width: 390, height: 844 } });
  const page = await context.newPage();
  await signIn(page);
  await page.getByTestId('token-row').first().waitFor();
  const bar = await page.locator('.topbar').boundingBox();
  assert.ok(bar.height <= 64, `the top bar takes ${bar.height} of 844 px`);
  assert.equal(await page.getByTestId('nav-personas').isVisible(), false, 'the navigation is folded away');
  const toggle = page.getByTestId('menu-toggle');
  assert.equal(await toggle.getAttribute('aria-expanded'), 'false');
  await screenshot(page, 'layout-topbar-390');
  await toggle.click();
  assert.equal(await toggle.getAttribute('aria-expanded'), 'true');
  await page.getByTestId('nav-personas').waitFor({ state: 'visible' });
  assert.ok(await page.getByTestId('signout').isVisible());
  await screenshot(page, 'layout-menu-open-390');
  await page.getByTestId('nav-personas').click();
  await page.waitForURL('**/personas');
  await page.getByTestId('nav-personas').waitFor({ state: 'hidden' });
  assert.equal(await toggle.getAttribute('aria-expanded'), 'false', 'following a link closes the menu');
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 0, `page is ${overflow}px wider than the screen`);
  await context.close();
});

test('the console says who you are and when the token expires in one sentence', async () => {
  const { app, browser } = env;
  const { secret } = await json(await app.api('/api/v1/tokens', {
    method: 'POST',
    body: { name: 'console reader', expires_in: 29 * 86400 + 3600, grants: [{ service: 'storage', permission: 'read', resource: '*' }] },
  }), 201);
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  await signIn(page, secret);
  await page.waitForURL('**/console');
  const line = page.getByTestId('console-access').locator('p').first();
  await line.waitFor();
  const text = (await line.innerText()).trim();
  assert.match(text, /^Signed in with the token console reader, which expires in 29 days \(\d{4}-\d\d-\d\d \d\d:\d\d UTC\)\.$/);
  assert.equal((await line.boundingBox()).height < 30, true, `one line: ${JSON.stringify(text)}`);
  await page.close();
});

test('the default project is not "created 56 years ago"', async () => {
  const { app } = env;
  const page = await env.adminPage({ viewport: { width: 1280, height: 800 } });
  await page.getByTestId('token-row').first().waitFor();
  await page.goto(`${app.url}/projects`);
  const row = page.getByTestId('project-row').filter({ hasText: 'default' });
  await row.waitFor();
  const text = await row.innerText();
  assert.doesNotMatch(text, /years? ago/);
  await page.close();
});

test('a token page names its creator and does not log its own viewing as activity', async () => {
  const { app } = env;
  const { secret: adminSecret, admin } = await json(await app.api('/api/v1/admins', {
    method: 'POST', body: { email: 'ada@example.com', name: 'Ada Lovelace' },
  }), 201);
  const { token } = await json(await app.api('/api/v1/tokens', {
    method: 'POST', secret: adminSecret, body: { name: 'made by ada' },
  }), 201);
  const page = await env.adminPage({ viewport: { width: 1280, height: 800 } });
  await page.getByTestId('token-row').first().waitFor();
  await page.goto(`${app.url}/tokens/${token.id}`);
  await page.getByTestId('created-by').filter({ hasText: admin.name }).waitFor();
  // The page's own reads reach the audit log (through the queue) …
  for (let i = 0; ; i++) {
    const { items } = await json(await app.api(`/api/v1/audit?target=${token.id}&action=token.read`));
    if (items.length > 0) break;
    assert.ok(i < 60, 'token.read never reached the audit log');
    await new Promise((r) => setTimeout(r, 250));
  }
  // … but the Activity list is about what happened to the token.
  await page.reload();
  const rows = page.getByTestId('token-audit').getByTestId('audit-row');
  await rows.first().waitFor();
  const actions = await rows.locator('td[data-label="Action"]').allInnerTexts();
  assert.ok(actions.includes('token.create'), actions.join(', '));
  assert.ok(!actions.includes('token.read'), `Activity lists reads: ${actions.join(', ')}`);
  await page.close();
});

test('the rate-limit input looks like the other inputs', async () => {
  const { app } = env;
  const page = await env.adminPage({ viewport: { width: 1280, height: 800 } });
  await page.getByTestId('token-row').first().waitFor();
  await page.goto(`${app.url}/tokens/new`);
  await page.getByTestId('token-rate-limit').waitFor();
  const style = (testid) => page.getByTestId(testid).evaluate((e) => {
    const s = getComputedStyle(e);
    return { border: s.borderTopColor + ' ' + s.borderTopWidth, radius: s.borderTopLeftRadius, padding: s.paddingLeft, font: s.fontSize + ' ' + s.fontFamily, height: e.getBoundingClientRect().height };
  });
  assert.deepEqual(await style('token-rate-limit'), await style('token-name'));
  await page.close();
});

test('the outbox shows links as links on the page\'s own origin', async () => {
  const { app } = env;
  const { token } = await json(await app.api('/api/v1/tokens', { method: 'POST', body: { name: 'sent by mail' } }), 201);
  await json(await app.api(`/api/v1/tokens/${token.id}/invitations`, {
    method: 'POST', body: { email: 'bob@example.com', message: 'Here you go' },
  }), 201);
  const page = await env.adminPage({ viewport: { width: 1280, height: 800 } });
  await page.getByTestId('token-row').first().waitFor();
  await page.goto(`${app.url}/outbox`);
  const mail = page.getByTestId('outbox-message').filter({ hasText: 'bob@example.com' });
  await mail.waitFor();
  assert.match(await mail.getByTestId('outbox-text').innerText(), /\/invite\//);
  const link = mail.getByTestId('outbox-link').filter({ hasText: '/invite/' });
  await link.waitFor();
  const href = await link.getAttribute('href');
  assert.ok(href.startsWith(`${app.url}/invite/`), href);
  assert.equal(await link.innerText(), href);
  await link.click();
  await page.waitForURL(`${app.url}/invite/**`);
  await page.close();
});

test('a failed page load says so in a sentence, with Retry and the detail folded away', async () => {
  const { app } = env;
  const page = await env.adminPage({ viewport: { width: 1280, height: 800 } });
  await page.getByTestId('token-row').first().waitFor();
  await page.route('**/api/v1/personas*', (route) => route.abort('internetdisconnected'));
  await page.goto(`${app.url}/personas`);
  const panel = page.getByTestId('load-error');
  await panel.waitFor();
  assert.match(await page.getByTestId('load-error-text').innerText(), /could not be reached/);
  assert.doesNotMatch(await panel.innerText(), /Failed to fetch|TypeError/, 'the technical detail is folded away');
  assert.equal(await page.getByTestId('load-error-detail').isVisible(), false);
  await panel.locator('summary').click();
  assert.equal(await page.getByTestId('load-error-detail').isVisible(), true);
  await screenshot(page, 'layout-load-error');
  await page.unroute('**/api/v1/personas*');
  await page.getByTestId('load-retry').click();
  await page.getByTestId('load-error').waitFor({ state: 'detached' });
  await page.getByRole('heading', { level: 1 }).filter({ hasText: 'Personas' }).waitFor();
  await page.close();
});
