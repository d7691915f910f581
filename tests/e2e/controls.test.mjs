// The token controls of issue 17 in the app: disable and enable (the
// token page and the list), valid from, allowed networks, metadata and a
// usage limit in the form and on the token page; and a project's expiry
// policy, edited on the projects page and followed by the form's presets.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { useApp, screenshot } from './support/app.mjs';

const BUCKET = 'controls-data';

const env = useApp({
  seed: async (app) => {
    const r = await app.api('/api/v1/buckets', { method: 'POST', body: { id: BUCKET } });
    assert.equal(r.status, 201, await r.text());
  },
});

const whoami = async (secret) => {
  const r = await env.app.api('/api/v1/whoami', { secret });
  return { status: r.status, body: await r.json() };
};

test('Disable shows the badge and the secret is refused; Enable in the list restores it', async () => {
  const { app } = env;
  const r = await app.api('/api/v1/tokens', {
    method: 'POST',
    body: { name: 'switchable', grants: [{ service: 'storage', permission: 'read', resource: BUCKET }] },
  });
  assert.equal(r.status, 201);
  const { token, secret } = await r.json();
  assert.equal((await whoami(secret)).status, 200);

  const page = await env.adminPage();
  await page.goto(`${app.url}/tokens/${token.id}`);
  await page.getByTestId('token-title').filter({ hasText: 'switchable' }).waitFor();
  assert.equal(await page.getByTestId('disabled-badge').count(), 0);
  await page.getByTestId('disable-token').click();
  await page.getByTestId('toasts').filter({ hasText: 'Disabled “switchable”' }).waitFor();
  await page.getByTestId('disabled-badge').waitFor();
  assert.match(await page.getByTestId('token-status').innerText(), /^Disabled/);
  const refused = await whoami(secret);
  assert.equal(refused.status, 401);
  assert.equal(refused.body.code, 'token_disabled');
  await screenshot(page, 'token-disabled');

  // The list: only the disabled ones, with the badge; Enable from the row.
  await page.goto(`${app.url}/tokens`);
  await page.getByTestId('token-table').waitFor();
  await page.getByTestId('token-enabled-filter').selectOption('false');
  const rows = page.getByTestId('token-row');
  await page.waitForFunction(() => document.querySelectorAll('[data-testid=token-row]').length === 1);
  const row = rows.filter({ hasText: 'switchable' });
  await row.getByTestId('disabled-badge').waitFor();
  await row.getByTestId('enable-token').click();
  await page.getByTestId('toasts').filter({ hasText: 'Enabled “switchable”' }).waitFor();
  await page.getByTestId('tokens-empty').waitFor();
  assert.equal((await whoami(secret)).status, 200);
  await page.getByTestId('token-enabled-filter').selectOption('');
  await page.getByTestId('token-row').filter({ hasText: 'switchable' }).getByTestId('disable-token').waitFor();
  assert.equal(await page.getByTestId('token-row').filter({ hasText: 'switchable' }).getByTestId('disabled-badge').count(), 0);
  await page.close();
});

test('a token created with valid-from, allowed networks, metadata and a usage limit shows them', async () => {
  const page = await env.adminPage();
  await page.getByTestId('new-token').click();
  await page.getByTestId('token-form').waitFor();
  await page.getByTestId('token-name').fill('confined');
  const tomorrow = new Date(Date.now() + 86_400_000).toISOString().slice(0, 16);
  await page.getByTestId('token-not-before').fill(tomorrow);
  await page.getByTestId('token-uses').fill('10');
  await page.getByTestId('token-refill').selectOption('daily');
  await page.getByTestId('token-allowed-ips').fill('203.0.113.0/24\n2001:db8::/32');
  await page.getByTestId('token-meta-json').fill('{"team": "data"}');
  await page.getByTestId('token-submit').click();
  await page.getByTestId('secret-text').waitFor();
  await page.getByTestId('go-to-token').click();
  await page.getByTestId('token-title').filter({ hasText: 'confined' }).waitFor();
  assert.equal(await page.getByTestId('token-usage-view').innerText(), '10 of 10 uses left, refilled daily');
  assert.equal(await page.getByTestId('token-allowed-ips-view').innerText(), '203.0.113.0/24, 2001:db8::/32');
  assert.equal(await page.getByTestId('token-meta-view').innerText(), '{"team":"data"}');
  assert.match(await page.getByTestId('token-not-before-view').innerText(), new RegExp(tomorrow.replace('T', ' ')));
  await screenshot(page, 'token-controls');

  // Editing shows them and says what an edit changes.
  await page.getByTestId('edit-token').click();
  assert.equal(await page.getByTestId('token-uses').inputValue(), '10');
  assert.equal(await page.getByTestId('token-refill').inputValue(), 'daily');
  assert.equal(await page.getByTestId('control-changes').count(), 0);
  await page.getByTestId('token-uses').fill('5');
  assert.equal(await page.getByTestId('control-changes').innerText(), 'This edit: its usage limit changes.');
  await page.getByTestId('token-submit').click();
  await page.getByTestId('token-usage-view').filter({ hasText: /of 5 uses left, refilled daily/ }).waitFor();
  await page.close();
});

test("a bad network shows the API's error next to the field", async () => {
  const page = await env.adminPage();
  await page.getByTestId('new-token').click();
  await page.getByTestId('token-name').fill('badnet');
  await page.getByTestId('token-allowed-ips').fill('10.0.0.0/8\n10.1.2.3/8');
  await page.getByTestId('token-submit').click();
  const error = page.getByTestId('error-allowed_ips');
  await error.filter({ hasText: /^Line 2: .*host bits/ }).waitFor();
  assert.equal(await page.getByTestId('token-allowed-ips').getAttribute('aria-invalid'), 'true');
  await page.getByTestId('form-errors-item').filter({ hasText: /^Allowed networks: Line 2/ }).waitFor();
  await page.waitForFunction(() => document.activeElement?.id === 'token-allowed-ips');
  // Fixed: created.
  await page.getByTestId('token-allowed-ips').fill('10.0.0.0/8');
  await page.getByTestId('token-submit').click();
  await page.getByTestId('secret-text').waitFor();
  await page.close();
});

// Last: it changes the default project's policy.
test("a project's expiry policy is edited on the projects page and the form's presets follow it", async () => {
  const { app } = env;
  const page = await env.adminPage();
  await page.getByTestId('new-token').click();
  await page.getByTestId('token-form').waitFor();
  assert.ok(await page.getByTestId('expiry-30').isChecked());
  assert.equal(await page.getByTestId('expiry-never').count(), 1);

  await page.goto(`${app.url}/projects`);
  const row = page.getByTestId('project-row').filter({ hasText: 'default' });
  assert.equal(await row.getByTestId('project-policy').innerText(), 'No maximum; “never” allowed');
  await row.getByTestId('policy-edit').click();
  await row.getByTestId('policy-days').fill('60');
  await row.getByTestId('policy-never').uncheck();
  await row.getByTestId('policy-save').click();
  await page.getByTestId('toasts').filter({ hasText: 'Saved the expiry policy' }).waitFor();
  await page.getByTestId('project-row').filter({ hasText: 'default' }).getByTestId('project-policy')
    .filter({ hasText: 'At most 60 days; required' }).waitFor();
  const project = await (await app.api('/api/v1/projects')).json();
  const def = project.items.find((p) => p.id === 'default');
  assert.deepEqual(def.expiry_policy, { max_lifetime_seconds: 60 * 86400, allow_never: false });

  await page.goto(`${app.url}/tokens/new`);
  await page.getByTestId('expiry-policy-note').filter({ hasText: 'requires an expiry at most 60 days away' }).waitFor();
  assert.ok(await page.getByTestId('expiry-60').isChecked(), 'the longest allowed is the default');
  assert.equal(await page.getByTestId('expiry-never').count(), 0);
  assert.equal(await page.getByTestId('expiry-90').count(), 0);
  assert.equal(await page.getByTestId('expiry-7').count(), 1);
  await screenshot(page, 'expiry-policy');
  await page.close();
});
