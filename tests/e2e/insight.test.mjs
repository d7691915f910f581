// The token page's questions (issue 18): "Can this token …?" with the
// "via" chips of the explanation, and "Usage (30 days)" with "Narrow to
// what it used" shown as a diff and applied with one confirmation.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { useApp, screenshot } from './support/app.mjs';

const BUCKET = 'insight-data';

const env = useApp({
  seed: async (app) => {
    const r = await app.api('/api/v1/buckets', { method: 'POST', body: { id: BUCKET } });
    assert.equal(r.status, 201, await r.text());
  },
});

async function createToken(body) {
  const r = await env.app.api('/api/v1/tokens', { method: 'POST', body });
  const text = await r.text();
  assert.equal(r.status, 201, text);
  return JSON.parse(text);
}

async function ask(page, service, permission, resource) {
  await page.getByTestId('explain-service').selectOption(service);
  await page.getByTestId('explain-permission').selectOption(permission);
  if (resource !== undefined) await page.getByTestId('explain-resource').fill(resource);
  await page.getByTestId('explain-ask').click();
  await page.getByTestId('explanation').waitFor();
}

test('"Can this token …?" answers with the derivation and its via chips', async () => {
  const { app } = env;
  const p = await app.api('/api/v1/personas', {
    method: 'POST',
    body: { name: 'Writers', grants: [{ service: 'storage', permission: 'write', resource: BUCKET }] },
  });
  const text = await p.text();
  assert.equal(p.status, 201, text);
  const persona = JSON.parse(text);
  const { token } = await createToken({
    name: 'explained', grants: [{ service: 'audit', permission: 'read' }], personas: [persona.id],
  });
  const page = await env.adminPage();
  await page.goto(`${app.url}/tokens/${token.id}`);
  await page.getByTestId('explain').waitFor();

  // Read on the bucket: through the persona's write, implied.
  await ask(page, 'storage', 'read', BUCKET);
  assert.match(await page.getByTestId('explain-verdict').innerText(), /^Yes\./);
  assert.deepEqual(await page.getByTestId('via-chip').allInnerTexts(), ['persona', 'implied']);
  assert.match(await page.getByTestId('via').innerText(), /Writers/);
  await screenshot(page, 'explain-persona');

  // Its own grant.
  await ask(page, 'audit', 'read');
  await page.getByTestId('via-chip').filter({ hasText: 'own' }).waitFor();
  assert.deepEqual(await page.getByTestId('via-chip').allInnerTexts(), ['own']);

  // Not held: the missing grant is named.
  await ask(page, 'tokens', 'manage');
  await page.getByTestId('explain-verdict').filter({ hasText: 'No.' }).waitFor();
  assert.equal(await page.getByTestId('explain-missing').innerText(), 'tokens:manage');
  assert.equal(await page.getByTestId('via-chip').count(), 0);
  await page.close();
});

test('"Can this token …?" answers for a replaced secret by its hint, and says when a spent minute passes', async () => {
  const { app } = env;
  const { token, secret } = await createToken({
    name: 'rotating ci', rate_limit: 2, grants: [{ service: 'tokens', permission: 'manage' }],
  });
  const oldHint = token.secret_hint;
  const r = await app.api(`/api/v1/tokens/${token.id}/refresh`, { method: 'POST', body: { overlap_seconds: 600 } });
  const refreshed = await r.text();
  assert.equal(r.status, 200, refreshed);
  const fresh = JSON.parse(refreshed).secret;

  const page = await env.adminPage();
  await page.goto(`${app.url}/tokens/${token.id}`);
  await page.getByTestId('explain').waitFor();
  // The replaced secret may not change tokens, as the edge refuses it.
  await page.getByTestId('explain-hint').fill(oldHint);
  await ask(page, 'tokens', 'manage');
  await page.getByTestId('explain-verdict').filter({ hasText: 'No.' }).waitFor();
  assert.match(await page.getByTestId('explain-reason').innerText(), /works for the rest of the API until/);
  const edge = await app.api('/api/v1/tokens', { method: 'POST', secret, body: { name: 'from the old secret' } });
  assert.equal(edge.status, 403, 'the edge agrees');
  assert.equal((await edge.json()).code, 'retired_secret');

  // The token spends its two calls of the minute (the old secret's refused
  // call may have been one): the edge refuses the next, and so does the answer.
  await page.getByTestId('explain-hint').fill('');
  const statuses = [];
  while (!statuses.includes(429) && statuses.length < 3) {
    statuses.push((await app.api('/api/v1/whoami', { secret: fresh })).status);
  }
  assert.equal(statuses.at(-1), 429, `a third call in the minute is refused: ${statuses}`);
  await ask(page, 'tokens', 'manage');
  await page.getByTestId('explain-reason').filter({ hasText: 'calls of the last minute' }).waitFor();
  assert.match(await page.getByTestId('explain-verdict').innerText(), /^No\./);
  assert.equal((await app.api('/api/v1/whoami', { secret: fresh })).status, 429, 'the edge still agrees');
  await screenshot(page, 'explain-rate-limited');
  await page.close();
});

test('usage shows used and unused grants; narrowing shows the diff and applies it once confirmed', async () => {
  const { app } = env;
  const { token, secret } = await createToken({
    name: 'over-granted ci',
    grants: [{ service: 'storage', permission: 'write', resource: '*' }, { service: 'audit', permission: 'read' }],
  });
  for (let i = 0; i < 2; i++) {
    const r = await app.api(`/api/v1/buckets/${BUCKET}/objects`, { secret });
    assert.equal(r.status, 200, await r.text());
  }
  // The audit store takes the calls in batches: wait until they count.
  const until = Date.now() + 20_000;
  for (;;) {
    const u = await (await app.api(`/api/v1/tokens/${token.id}/usage?days=30`)).json();
    if (u.calls >= 2) break;
    assert.ok(Date.now() < until, `usage never counted the calls: ${JSON.stringify(u)}`);
    await new Promise((r) => setTimeout(r, 200));
  }

  const page = await env.adminPage();
  await page.goto(`${app.url}/tokens/${token.id}`);
  const usage = page.getByTestId('token-usage');
  await usage.getByTestId('usage-calls').waitFor();
  const used = usage.locator('[data-testid=usage-grant][data-used=true]');
  const unused = usage.locator('[data-testid=usage-grant][data-used=false]');
  assert.match(await used.innerText(), /storage:write@\*.*used: 2 calls/);
  assert.match(await unused.innerText(), /audit:read.*unused/);

  await page.getByTestId('narrow-open').click();
  const lines = await page.getByTestId('narrow-line').allInnerTexts();
  assert.deepEqual(lines.map((l) => l.trim()).sort(), ['+ storage:read@' + BUCKET, '- audit:read', '- storage:write@*'].sort());
  await screenshot(page, 'narrow-diff');
  await page.getByTestId('narrow-confirm').click();
  await page.getByTestId('toasts').filter({ hasText: 'Narrowed “over-granted ci”' }).waitFor();
  const after = await (await app.api(`/api/v1/tokens/${token.id}`)).json();
  assert.deepEqual(after.grants, [{ service: 'storage', permission: 'read', resource: BUCKET }]);
  // The page shows the narrowed token: nothing left to narrow.
  await page.getByTestId('detail-summary').filter({ hasText: BUCKET }).waitFor();
  await usage.locator('[data-testid=usage-grant]').first().waitFor();
  assert.equal(await page.getByTestId('narrow-open').count(), 0);
  const audit = await (await app.api(`/api/v1/audit?target=${token.id}&action=token.narrow`)).json();
  assert.equal(audit.items.length, 1);
  await page.close();
});

// Last in the file: it disables and deletes every idle token of this app.
test('idle tokens are listed on the tokens page, disabled together, then deleted after a confirmation', async () => {
  const { app } = env;
  const { token: a } = await createToken({ name: 'stale-a', grants: [] });
  const { token: b } = await createToken({ name: 'stale-b', grants: [] });
  const page = await env.adminPage();
  await new Promise((r) => setTimeout(r, 6000));
  const { token: c } = await createToken({ name: 'new-c', grants: [] });
  await page.goto(`${app.url}/tokens?unused_for=5s`);
  const bulk = page.getByTestId('idle-bulk');
  await bulk.waitFor();
  assert.match(await bulk.innerText(), /not used for 5 seconds/);
  assert.equal(await page.getByTestId('token-unused-filter').inputValue(), '5s');
  const names = await page.getByTestId('token-row').locator('.token-name').allInnerTexts();
  assert.ok(names.includes('stale-a') && names.includes('stale-b'), names.join(', '));
  assert.ok(!names.includes('new-c'), 'made within the span');

  await bulk.getByTestId('bulk-disable').click();
  await page.getByTestId('toasts').filter({ hasText: /Disabled \d+ idle tokens/ }).waitFor();
  const get = async (id) => app.api(`/api/v1/tokens/${id}`);
  assert.equal((await (await get(a.id)).json()).enabled, false);
  assert.equal((await (await get(b.id)).json()).enabled, false);
  assert.equal((await (await get(c.id)).json()).enabled, true, 'the recent token is untouched');
  await screenshot(page, 'idle-tokens');

  await page.getByTestId('idle-bulk').getByTestId('bulk-delete').click();
  const dialog = page.getByTestId('bulk-delete-dialog');
  assert.match(await dialog.innerText(), /stale-a/);
  assert.equal((await get(a.id)).status, 200, 'nothing is deleted before the confirmation');
  await dialog.getByTestId('bulk-delete-confirm').click();
  await page.getByTestId('toasts').filter({ hasText: /Deleted \d+ idle tokens/ }).waitFor();
  assert.equal((await get(a.id)).status, 404);
  assert.equal((await get(b.id)).status, 404);
  assert.equal((await get(c.id)).status, 200);
  await page.close();
});
