// Every page of the app through axe-core (zero serious or critical
// violations) and a screenshot of each at 1280×800 and 390×844, kept under
// target/screenshots/ (a11y-<page>-<width>.png).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { useApp, screenshot } from './support/app.mjs';

const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
let tokenId; let inviteCode; let memberSecret;

const env = useApp({
  seed: async (app) => {
    const post = async (path, body, status = 201) => {
      const r = await app.api(path, { method: 'POST', body });
      const text = await r.text();
      assert.equal(r.status, status, `${path}: ${text}`);
      return JSON.parse(text);
    };
    await post('/api/v1/buckets', { id: 'a11y-data' });
    const { token } = await post('/api/v1/tokens', {
      name: 'a11y reader', description: 'reads the data bucket', expires_in: 30 * 86400,
      grants: [{ service: 'storage', permission: 'read', resource: 'a11y-data' }],
    });
    tokenId = token.id;
    await post('/api/v1/personas', { name: 'Analyst', description: 'reads everything', grants: [{ service: 'storage', permission: 'read', resource: '*' }] });
    await post(`/api/v1/tokens/${tokenId}/invitations`, { email: 'reader@example.com', message: 'For the report' });
    const { items } = await (await app.api('/api/v1/outbox')).json();
    inviteCode = items.map((m) => m.text.match(/\/invite\/([A-Za-z0-9]+)/)?.[1]).find(Boolean);
    assert.ok(inviteCode, 'an invitation link in the outbox');
    await post('/api/v1/members', { email: 'mia@example.com', name: 'Mia', grants: [] });
    // A member's own page needs their user token: accept their invitation.
    const { items: mails } = await (await app.api('/api/v1/outbox')).json();
    const memberCode = mails.filter((m) => m.to === 'mia@example.com')
      .map((m) => m.text.match(/\/invite\/([A-Za-z0-9]+)/)?.[1]).find(Boolean);
    const accepted = await fetch(`${app.url}/api/v1/invitations/open/${memberCode}/accept`, { method: 'POST' });
    const acceptedText = await accepted.text();
    assert.equal(accepted.status, 200, acceptedText);
    memberSecret = JSON.parse(acceptedText).secret;
  },
});

// name, path, what shows when it has loaded, and whose session.
const pages = () => [
  { name: 'signin', path: '/signin', ready: '[data-testid="passkey-signin"]', as: null },
  { name: 'tokens', path: '/tokens', ready: '[data-testid="token-row"]' },
  { name: 'token-new', path: '/tokens/new', ready: '[data-testid="token-name"]' },
  { name: 'token-detail', path: `/tokens/${tokenId}`, ready: '[data-testid="audit-row"]' },
  { name: 'personas', path: '/personas', ready: 'h1' },
  { name: 'members', path: '/members', ready: 'h1' },
  { name: 'projects', path: '/projects', ready: '[data-testid="project-row"]' },
  { name: 'admins', path: '/admins', ready: 'h1' },
  { name: 'audit', path: '/audit', ready: '[data-testid="audit-row"]' },
  { name: 'outbox', path: '/outbox', ready: '[data-testid="outbox-message"]' },
  { name: 'console', path: '/console', ready: '[data-testid="console-access"]' },
  { name: 'profile', path: '/profile', ready: 'h1', as: 'member' },
  { name: 'invite', path: `/invite/${inviteCode}`, ready: 'h1', as: null },
  { name: 'sign-ins', path: '/sign-ins', ready: '[data-testid="session-row"]' },
  { name: 'device', path: '/device', ready: '[data-testid="device-form"]' },
  { name: 'enrol-unknown', path: '/enrol/no-such-link', ready: '[data-testid="enrol-error"]', as: null },
  { name: 'not-found', path: '/no-such-page', ready: 'h1', as: null },
];

async function session(context, as) {
  const secret = as === null ? null : as === 'member' ? memberSecret : env.app.adminSecret;
  const page = await context.newPage();
  if (secret) {
    await page.goto(`${env.app.url}/signin`);
    await page.getByTestId('signin-use-token').click();
    await page.getByTestId('signin-input').fill(secret);
    await page.getByTestId('signin-submit').click();
    await page.waitForURL((u) => !u.pathname.startsWith('/signin'));
  }
  return page;
}

for (const { width, height } of [{ width: 1280, height: 800 }, { width: 390, height: 844 }]) {
  test(`every page at ${width}×${height}: no serious or critical axe violation, and a screenshot`, async () => {
    const { app, browser } = env;
    const found = [];
    const sessions = new Map();
    for (const p of pages()) {
      const key = p.as === undefined ? 'admin' : String(p.as);
      // bypassCSP: axe is injected as a script, which the app's own policy refuses.
      if (!sessions.has(key)) sessions.set(key, await browser.newContext({ viewport: { width, height }, bypassCSP: true }));
      const ctx = sessions.get(key);
      const page = ctx.pages()[0] ?? await session(ctx, p.as === undefined ? 'admin' : p.as);
      await page.goto(`${app.url}${p.path}`);
      await page.locator(p.ready).first().waitFor();
      await page.locator('.spinner, [aria-busy="true"]').first().waitFor({ state: 'detached', timeout: 5000 }).catch(() => {});
      await screenshot(page, `a11y-${p.name}-${width}`);
      await page.addScriptTag({ content: axeSource });
      const result = await page.evaluate(() => window.axe.run(document, { resultTypes: ['violations'] }));
      for (const v of result.violations) {
        if (v.impact === 'serious' || v.impact === 'critical') {
          found.push(`${p.name}: ${v.id} (${v.impact}) ${v.help} — ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join('; ')}`);
        }
      }
    }
    for (const ctx of sessions.values()) await ctx.close();
    assert.deepEqual(found, []);
  });
}
