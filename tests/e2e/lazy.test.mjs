// Lazy pages (issue #16): the first screen (sign-in) needs only the main
// wasm; each area of pages (the token list; a token's pages; people;
// projects, audit and outbox; the console; an invitation) is fetched on the
// first visit to it, once, and works under the app's Content-Security-Policy.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { useApp, signInAsAdmin } from './support/app.mjs';

const env = useApp();

test('sign-in needs no lazy file; each area is fetched on its first visit only, and works', async () => {
  const { app } = env;
  const page = await env.page();
  const fetched = [];
  const problems = [];
  page.on('requestfinished', (r) => {
    const path = new URL(r.url()).pathname;
    if (/^\/(split|chunk)_.*\.wasm$/.test(path)) fetched.push(path);
  });
  page.on('pageerror', (e) => problems.push(e.message));
  // The start-up whoami of a browser not signed in is a 401 by design
  // (Chromium logs it); any other error is a problem.
  const startUp = (m) => /status of 401/.test(m.text()) && m.location().url.endsWith('/api/v1/whoami');
  page.on('console', (m) => { if (m.type() === 'error' && !startUp(m)) problems.push(m.text()); });

  await page.goto(`${app.url}/signin`);
  await page.getByTestId('passkey-signin').waitFor();
  await page.getByTestId('signin-use-token').click();
  await page.getByTestId('signin-input').waitFor();
  assert.deepEqual(fetched, [], 'the sign-in page is drawn by the main wasm alone');

  await signInAsAdmin(page, app);
  await page.getByTestId('token-table').waitFor();
  const forTokens = fetched.length;
  assert.ok(forTokens > 0, 'the token list came in its own files');

  const visit = async (nav, ready) => {
    const before = fetched.length;
    await page.getByTestId(nav).first().click();
    await page.locator(ready).first().waitFor();
    return fetched.slice(before);
  };
  const audit = await visit('nav-audit', '[data-testid="audit-row"], [data-testid="audit-empty"]');
  assert.ok(audit.length > 0, 'the audit log is fetched on its first visit');
  const projects = await visit('nav-projects', '[data-testid="project-row"]');
  assert.deepEqual(projects, [], 'projects shares its area with the audit log: nothing more to fetch');
  const members = await visit('nav-members', '[data-testid="members-empty"], [data-testid="member-row"]');
  assert.ok(members.length > 0, 'people pages come on their first visit');
  const again = await visit('nav-tokens', '[data-testid="token-table"]');
  assert.deepEqual(again, [], 'a page visited before is not fetched again');
  assert.equal(new Set(fetched).size, fetched.length, `no file is fetched twice: ${fetched}`);
  assert.deepEqual(problems, []);
  await page.close();
});
