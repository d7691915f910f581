// The app under its Content-Security-Policy: it signs in and works with no
// policy violation, and script injected into the page does not run.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { useApp, screenshot } from './support/app.mjs';

const env = useApp();

/// A page that records every policy violation and console error.
async function watchedPage() {
  const page = await env.browser.newPage();
  const problems = [];
  page.on('console', (m) => { if (m.type() === 'error') problems.push(`console: ${m.text()}`); });
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  await page.addInitScript(() => {
    window.__violations = [];
    document.addEventListener('securitypolicyviolation', (e) => {
      window.__violations.push(`${e.violatedDirective} ${e.blockedURI}`);
    });
  });
  return { page, problems };
}

test('the app signs in and lists tokens under its policy, with no violation', async () => {
  const { app } = env;
  const { page, problems } = await watchedPage();
  const resp = await page.goto(app.url);
  const csp = resp.headers()['content-security-policy'];
  assert.ok(csp, 'the page carries a Content-Security-Policy');
  assert.match(csp, /frame-ancestors 'none'/);
  assert.doesNotMatch(csp, /unsafe-inline/);
  assert.equal(resp.headers()['x-frame-options'], 'DENY');
  // Passkeys are the app's own sign-in: the policy must let this origin
  // use WebAuthn (an empty allow-list fails every ceremony).
  const permissions = resp.headers()['permissions-policy'] ?? '';
  assert.match(permissions, /publickey-credentials-get=\(self\)/);
  assert.match(permissions, /publickey-credentials-create=\(self\)/);
  await page.getByTestId('health').filter({ hasText: 'Service ok' }).waitFor();
  await page.getByTestId('signin-use-token').click();
  await page.getByTestId('signin-input').fill(app.adminSecret);
  await page.getByTestId('signin-submit').click();
  await page.waitForURL('**/tokens');
  await page.getByTestId('token-row').first().waitFor();
  // A deep link, loaded afresh, works too (the SPA fallback carries the policy).
  const deep = await page.goto(`${app.url}/audit`);
  assert.ok(deep.headers()['content-security-policy']);
  await page.waitForLoadState('networkidle');
  assert.deepEqual(await page.evaluate(() => window.__violations), []);
  assert.deepEqual(problems.filter((p) => /Content.Security.Policy|violat/i.test(p)), []);
  await screenshot(page, 'csp-app');
  await page.close();
});

test('script injected into a page of the app does not run', async () => {
  const { app } = env;
  const { page } = await watchedPage();
  await page.goto(`${app.url}/signin`);
  await page.getByTestId('health').filter({ hasText: 'Service ok' }).waitFor();
  const outcome = await page.evaluate(async () => {
    const inline = document.createElement('script');
    inline.textContent = 'window.__ranInline = true;';
    document.body.appendChild(inline);
    const handler = document.createElement('img');
    handler.setAttribute('src', 'data:,x');
    handler.setAttribute('onerror', 'window.__ranHandler = true');
    document.body.appendChild(handler);
    const remote = document.createElement('script');
    remote.src = 'https://example.invalid/x.js';
    document.body.appendChild(remote);
    await new Promise((r) => setTimeout(r, 300));
    return {
      inline: window.__ranInline === true,
      handler: window.__ranHandler === true,
      violations: window.__violations,
    };
  });
  assert.equal(outcome.inline, false, 'inline script ran');
  assert.equal(outcome.handler, false, 'inline event handler ran');
  assert.ok(outcome.violations.some((v) => v.startsWith('script-src')), JSON.stringify(outcome.violations));
  await page.close();
});

test('the app refuses to be framed', async () => {
  const { app, browser } = env;
  const page = await browser.newPage();
  await page.goto(`${app.url}/api/v1/health`);
  const framed = await page.evaluate(async (url) => {
    const f = document.createElement('iframe');
    f.src = `${url}/signin`;
    document.body.appendChild(f);
    await new Promise((r) => setTimeout(r, 1500));
    try { return f.contentDocument?.querySelector('[data-testid="health"]') != null; } catch { return false; }
  }, app.url);
  assert.equal(framed, false);
  await page.close();
});
