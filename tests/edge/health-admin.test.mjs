// Shared health across isolates (two gateway services in one workerd, one Durable Object) and the
// admin plane: off without a secret, refused when the secret is a provider key, constant-time
// auth with rate-limited failures, audit lines, health view, breaker reset, credential
// retire/restore, explain, config reload validated before it replaces the running one.
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';

import { startMockProvider } from '../../edge/mock/provider.mjs';
import { startEdge } from '../../edge/src/config-gen.mjs';
import { KEYS, chat, fingerprint, model, request, sleep, startGateway, testConfig, upstreamCalls } from './helpers.mjs';

const ADMIN = { authorization: `Bearer ${KEYS.REROUTE_TEST_ADMIN}` };

function config(url) {
  return testConfig(url, {
    models: [model('mock', '503@ha'), model('backup', 'healthy@ha'), model('keys', 'healthy@ha-keys'), model('mock', 'healthy@ha-x')],
    routes: [
      { name: 'shared', strategy: 'fallback', targets: [{ provider: 'mock', model: '503@ha' }, { provider: 'backup', model: 'healthy@ha' }] },
      { name: 'keyed', targets: [{ provider: 'keys', model: 'healthy@ha-keys' }] },
    ],
  });
}

let gw;
let mock;
before(async () => {
  mock = await startMockProvider();
  gw = await startGateway(null, config, { mock, isolates: 2 });
});
after(async () => {
  await gw?.stop();
  await mock?.close();
});

describe('shared health', () => {
  test('an ejection seen by one isolate is seen by the other', async () => {
    const [a, b] = gw.urls;
    const first = await request(a, { body: chat('shared') });
    assert.equal(first.status, 200);
    assert.equal(first.headers['x-reroute-attempts'], '2');
    assert.equal(upstreamCalls(mock, '503@ha').length, 1);
    await sleep(1300); // the push, then the other isolate's pull interval
    const second = await request(b, { body: chat('shared') });
    assert.equal(second.status, 200);
    assert.equal(second.headers['x-reroute-attempts'], '1', 'the other isolate skips the ejected primary');
    assert.equal(upstreamCalls(mock, '503@ha').length, 1);
  });

  test('admin health view shows the ejected breaker; a reset lets the primary be tried again', async () => {
    const view = await request(gw.urls[1], { path: '/admin/health', method: 'GET', headers: ADMIN });
    assert.equal(view.status, 200);
    const ejected = view.json.shared.resources.filter((r) => r.breaker?.status === 'ejected');
    assert.ok(ejected.length > 0, 'an ejected resource in the shared view');
    assert.ok(!JSON.stringify(view.json).includes(KEYS.MOCK_KEY));
    const reset = await request(gw.urls[1], { path: '/admin/breaker/reset', body: {}, headers: ADMIN });
    assert.equal(reset.status, 200);
    assert.equal(reset.json.result.ok, true);
    const before = upstreamCalls(mock, '503@ha').length;
    const r = await request(gw.urls[1], { body: chat('shared') });
    assert.equal(r.status, 200);
    assert.equal(upstreamCalls(mock, '503@ha').length, before + 1, 'the primary is tried after the reset');
  });

  test('credential retire and restore', async () => {
    const fp = fingerprint(KEYS.GOOD_KEY);
    const retire = await request(gw.url, { path: '/admin/credentials/retire', body: { provider: 'keys', fingerprint: fp }, headers: ADMIN });
    assert.equal(retire.status, 200);
    const r = await request(gw.url, { body: chat('keyed') });
    assert.notEqual(r.status, 200, 'only the bad key is left');
    assert.equal(upstreamCalls(mock, 'healthy@ha-keys').filter((c) => c.key === fp).length, 0);
    const restore = await request(gw.url, { path: '/admin/credentials/restore', body: { provider: 'keys', fingerprint: fp }, headers: ADMIN });
    assert.equal(restore.status, 200);
    const ok = await request(gw.url, { body: chat('keyed') });
    assert.equal(ok.status, 200);
    assert.match(ok.headers['x-reroute-served-by'], new RegExp(`fp=${fp}`));
  });
});

describe('admin plane', () => {
  test('action bodies with an unknown member, a wrong type or no JSON are refused, naming the path; nothing is reset', async () => {
    const resets = () => gw.logs().filter((l) => l.event === 'admin' && l.action === 'reset_breaker').length;
    const before = resets();
    for (const [path, body, param] of [
      ['/admin/breaker/reset', { resouce: ['endpoint', 'mock', 'default'] }, '/resouce'],
      ['/admin/breaker/reset', { resource: 'mock' }, '/resource'],
      ['/admin/breaker/reset', '{not json', undefined],
      ['/admin/breaker/reset', '[]', undefined],
      ['/admin/credentials/retire', { provider: 'keys' }, '/fingerprint'],
      ['/admin/credentials/restore', { provider: 5, fingerprint: 'abcd1234' }, '/provider'],
      ['/admin/credentials/retire', { provider: 'keys', fingerprint: 'abcd1234', 'a/b': 1 }, '/a~1b'],
    ]) {
      const r = await request(gw.url, { path, body, headers: ADMIN });
      assert.equal(r.status, 400, `${path} ${JSON.stringify(body)}`);
      assert.equal(r.json.error.code, 'invalid_request');
      assert.equal(r.json.error.param, param);
      assert.ok(r.json.error.message.length > 0);
    }
    const valid = await request(gw.url, { path: '/admin/breaker/reset', body: {}, headers: ADMIN });
    assert.equal(valid.status, 200);
    await sleep(200); // log lines reach the test through workerd's stdout
    assert.equal(resets(), before + 1, 'only the valid reset was carried out');
  });

  test('explain returns the plan with a verdict per target', async () => {
    const r = await request(gw.url, { path: '/admin/explain', body: chat('shared'), headers: ADMIN });
    assert.equal(r.status, 200);
    assert.equal(r.json.plan.length, 2);
    assert.ok(r.json.plan.every((p) => typeof p.use === 'boolean' && p.reason));
  });

  test('config reload: an invalid config is refused with its problems, a valid one replaces the running one everywhere', async () => {
    const bad = await request(gw.url, { path: '/admin/config', body: '{"providers": 3}', headers: ADMIN });
    assert.equal(bad.status, 400);
    assert.ok(bad.json.error.problems.length > 0);
    const models = await request(gw.url, { path: '/v1/models', method: 'GET' });
    assert.ok(models.json.data.some((m) => m.id === 'shared'), 'the running config is kept');

    const next = config(mock.url);
    next.routes.push({ name: 'added', targets: [{ provider: 'mock', model: 'healthy@ha-x' }] });
    const ok = await request(gw.url, { path: '/admin/config', body: next, headers: ADMIN });
    assert.equal(ok.status, 200);
    assert.ok(ok.json.version >= 1);
    const r = await request(gw.url, { body: chat('added') });
    assert.equal(r.status, 200);
    await sleep(1200);
    await request(gw.urls[1], { body: chat('shared') }); // pulls the shared state and config
    const r2 = await request(gw.urls[1], { body: chat('added') });
    assert.equal(r2.status, 200, 'the other isolate runs the reloaded config');
  });

  test('wrong secrets are refused and rate-limited; admin actions are audited without the secret', async () => {
    const statuses = [];
    for (let i = 0; i < 6; i++) {
      const r = await request(gw.urls[1], { path: '/admin/health', method: 'GET', headers: { authorization: 'Bearer wrong', 'x-real-ip': '10.9.9.9' } });
      statuses.push(r.status);
    }
    assert.deepEqual(statuses.slice(0, 4), [401, 401, 401, 401]);
    assert.equal(statuses.at(-1), 429);
    const right = await request(gw.urls[1], { path: '/admin/health', method: 'GET', headers: { ...ADMIN, 'x-real-ip': '10.9.9.9' } });
    assert.equal(right.status, 429, 'blocked for the rest of the window, even with the right secret');
    const provider = await request(gw.url, { path: '/admin/health', method: 'GET', headers: { authorization: `Bearer ${KEYS.MOCK_KEY}` } });
    assert.equal(provider.status, 401, 'a provider key never opens the admin plane');
    let audit = [];
    for (let i = 0; i < 30 && !audit.some((l) => l.action === 'auth_failed'); i++) {
      await sleep(100);
      audit = gw.logs().filter((l) => l.event === 'admin');
    }
    assert.ok(audit.some((l) => l.action === 'auth_failed'));
    assert.ok(audit.some((l) => l.action === 'reset_breaker'));
    assert.ok(audit.some((l) => l.action === 'config_reload'));
    assert.ok(!JSON.stringify(audit).includes(KEYS.REROUTE_TEST_ADMIN));
  });

  test('client routes never reach the admin plane', async () => {
    const r = await request(gw.url, { path: '/admin/health', method: 'GET' });
    assert.equal(r.status, 401);
  });
});

describe('admin secret configuration', () => {
  test('off without a secret: /admin is 404', async (t) => {
    const g = await startGateway(t, config, { mock, env: { REROUTE_TEST_ADMIN: '' } });
    const r = await request(g.url, { path: '/admin/health', method: 'GET', headers: ADMIN });
    assert.equal(r.status, 404);
  });

  test('a secret equal to a provider key: scripts/edge refuses to start', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'reroute-admin-'));
    const path = join(dir, 'config.json');
    writeFileSync(path, JSON.stringify(config(mock.url)));
    await assert.rejects(
      startEdge({ configPath: path, outDir: dir, ports: [0], stdio: 'ignore', env: { ...process.env, ...KEYS, REROUTE_TEST_ADMIN: KEYS.MOCK_KEY } }),
      /equals the provider key/,
    );
  });
});
