// Time-boxed access in the app (issue 18): raise a token for a while from
// its page, watch the countdown, end it now; a project that requires a
// second admin shows the request waiting, refuses its requester's
// approval, and starts it once another admin approves; an elevation that
// runs out leaves the page by itself.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { useApp, screenshot } from './support/app.mjs';

const BUCKET = 'elev-data';

const env = useApp({
  seed: async (app) => {
    const r = await app.api('/api/v1/buckets', { method: 'POST', body: { id: BUCKET } });
    assert.equal(r.status, 201, await r.clone().text());
  },
});

async function contractor(name) {
  const r = await env.app.api('/api/v1/tokens', { method: 'POST', body: { name, grants: [] } });
  assert.equal(r.status, 201, await r.clone().text());
  return r.json();
}

/// Whether the token may write to the bucket now, as the edge decides.
async function writes(secret) {
  const r = await fetch(`${env.app.url}/api/v1/buckets/${BUCKET}/objects/probe.txt`, {
    method: 'PUT', body: 'x',
    headers: { authorization: `Bearer ${secret}`, 'content-type': 'text/plain' },
  });
  return r.status;
}

test('an admin raises a token for four hours, sees the countdown, and ends it now', async () => {
  const { app } = env;
  const { token, secret } = await contractor('contractor');
  assert.equal(await writes(secret), 403);
  const page = await env.adminPage();
  await page.goto(`${app.url}/tokens/${token.id}`);
  await page.getByTestId('no-elevations').waitFor();
  await page.getByTestId('raise-grants').fill(`storage:write@${BUCKET}`);
  await page.getByTestId('raise-for').selectOption({ label: '4 hours' });
  await page.getByTestId('raise-reason').fill('Backfill March (OPS-7)');
  await page.getByTestId('raise-submit').click();
  await page.getByTestId('toasts').filter({ hasText: 'Raised' }).waitFor();
  const row = page.getByTestId('elevation');
  await row.getByTestId('elevation-status').filter({ hasText: 'Active' }).waitFor();
  assert.match(await row.getByTestId('elevation-countdown').innerText(), /^(4 h 0 min|3 h 59 min)$/);
  assert.match(await row.getByTestId('elevation-reason').innerText(), /Backfill March \(OPS-7\)/);
  assert.equal(await writes(secret), 200, 'raised: it writes');
  await screenshot(page, 'elevation-active');

  await row.getByTestId('end-elevation').click();
  await page.getByTestId('toasts').filter({ hasText: 'Ended' }).waitFor();
  await page.getByTestId('no-elevations').waitFor();
  assert.equal(await writes(secret), 403, 'ended: refused again');
  await page.close();
});

test('an elevation that runs out leaves the page by itself, and the edge refuses', async () => {
  const { app } = env;
  const { token, secret } = await contractor('brief-contractor');
  const until = new Date(Date.now() + 8_000).toISOString();
  const r = await app.api(`/api/v1/tokens/${token.id}/elevations`, {
    method: 'POST',
    body: { grants: [{ service: 'storage', permission: 'write', resource: BUCKET }], until, reason: 'one quick fix' },
  });
  assert.equal(r.status, 201, await r.clone().text());
  const page = await env.adminPage({ viewport: { width: 390, height: 844 } });
  await page.goto(`${app.url}/tokens/${token.id}`);
  const countdown = page.getByTestId('elevation-countdown');
  await countdown.waitFor();
  assert.match(await countdown.innerText(), /^\d s$/);
  assert.equal(await writes(secret), 200);
  // No reload: the page's clock ends it.
  await page.getByTestId('no-elevations').waitFor({ timeout: 15_000 });
  assert.equal(await writes(secret), 403);
  await page.close();
});

// Last: it changes the default project's approval rule.
test('with approval required the request waits, its requester cannot approve it, another admin can', async () => {
  const { app } = env;
  const policy = await app.api('/api/v1/projects/default', { method: 'PATCH', body: { elevation_approval: true } });
  assert.equal(policy.status, 200, await policy.clone().text());
  const { token, secret } = await contractor('release-contractor');
  const page = await env.adminPage();
  await page.goto(`${app.url}/tokens/${token.id}`);
  await page.getByTestId('raise-grants').fill(`storage:write@${BUCKET}`);
  await page.getByTestId('raise-reason').fill('release day');
  await page.getByTestId('raise-submit').click();
  await page.getByTestId('toasts').filter({ hasText: 'another admin must approve' }).waitFor();
  const row = page.getByTestId('elevation');
  await row.getByTestId('elevation-status').filter({ hasText: 'Waiting for approval' }).waitFor();
  assert.equal(await writes(secret), 403, 'pending holds nothing');

  await row.getByTestId('approve-elevation').click();
  await row.getByTestId('form-error').filter({ hasText: 'another admin must approve it' }).waitFor();
  await screenshot(page, 'elevation-self-approval');

  const second = await app.api('/api/v1/admins', { method: 'POST', body: { email: 'second@example.com', name: 'Second' } });
  assert.equal(second.status, 201, await second.clone().text());
  const { secret: secondSecret } = await second.json();
  const shown = await (await app.api(`/api/v1/tokens/${token.id}`)).json();
  const approve = await app.api(`/api/v1/tokens/${token.id}/elevations/${shown.elevations[0].id}/approve`, {
    method: 'POST', secret: secondSecret, body: {},
  });
  assert.equal(approve.status, 200, await approve.clone().text());
  await page.reload();
  await page.getByTestId('elevation').getByTestId('elevation-status').filter({ hasText: 'Active' }).waitFor();
  assert.equal(await writes(secret), 200);
  await page.close();
});
