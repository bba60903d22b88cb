// The gateway's own surface through workerd: models, healthz, static files, request validation
// (overrides checked by the core, 400 naming the JSON path), overrides honoured, streaming basics,
// response headers, logs without secrets.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';

import { startMockProvider } from '../../edge/mock/provider.mjs';
import { FULL_ANSWER, KEYS, chat, model, request, startGateway, streamText, testConfig, upstreamCalls } from './helpers.mjs';

let gw;
let mock;
before(async () => {
  mock = await startMockProvider();
  const web = mkdtempSync(join(tmpdir(), 'reroute-web-'));
  writeFileSync(join(web, 'index.html'), '<!doctype html><title>composer</title>');
  mkdirSync(join(web, 'js'));
  writeFileSync(join(web, 'js', 'app.js'), 'export const x = 1;\n');
  gw = await startGateway(null, (url) => testConfig(url, {
    models: [model('mock', 'healthy@gw'), model('mock', '503@gw'), model('backup', 'healthy@gw2'), model('mock', 'preamble:3@gw')],
    routes: [
      { name: 'ok', targets: [{ provider: 'mock', model: 'healthy@gw' }] },
      { name: 'fb', strategy: 'fallback', breaker: { consecutive_failures_with_alternative: 1000, consecutive_failures: 1000 },
        targets: [{ provider: 'mock', model: '503@gw' }, { provider: 'backup', model: 'healthy@gw2' }] },
      { name: 'pre', targets: [{ provider: 'mock', model: 'preamble:3@gw' }] },
    ],
  }), { mock, webDir: web });
});
after(async () => {
  await gw?.stop();
  await mock?.close();
});

describe('surface', () => {
  test('GET /healthz', async () => {
    const r = await request(gw.url, { path: '/healthz', method: 'GET' });
    assert.equal(r.status, 200);
    assert.equal(r.json.ok, true);
    assert.equal(r.json.routes, 3);
  });

  test('GET /v1/models lists routes and provider:model refs', async () => {
    const r = await request(gw.url, { path: '/v1/models', method: 'GET' });
    assert.equal(r.status, 200);
    const ids = r.json.data.map((m) => m.id);
    for (const id of ['ok', 'fb', 'pre', 'mock:healthy@gw', 'backup:healthy@gw2']) assert.ok(ids.includes(id), id);
  });

  test('static files of web/ at /', async () => {
    const index = await request(gw.url, { path: '/', method: 'GET' });
    assert.equal(index.status, 200);
    assert.match(index.headers['content-type'], /text\/html/);
    assert.match(index.text, /composer/);
    const js = await request(gw.url, { path: '/js/app.js', method: 'GET' });
    assert.match(js.headers['content-type'], /javascript/);
    const missing = await request(gw.url, { path: '/nope.txt', method: 'GET' });
    assert.equal(missing.status, 404);
    const dot = await request(gw.url, { path: '/../etc/passwd', method: 'GET' });
    assert.equal(dot.status, 404);
  });
});

describe('requests', () => {
  test('a healthy answer carries served-by, attempts, overhead and traceparent', async () => {
    const r = await request(gw.url, { body: chat('ok') });
    assert.equal(r.status, 200);
    assert.equal(r.json.choices[0].message.content, FULL_ANSWER);
    assert.equal(r.json.model, 'healthy@gw');
    assert.match(r.headers['x-reroute-served-by'], /^provider=mock;ep=default;host=127\.0\.0\.1%3A\d+;fp=[0-9a-f]{8};model=healthy%40gw$/);
    assert.equal(r.headers['x-reroute-attempts'], '1');
    assert.equal(r.headers['x-reroute-fallbacks'], undefined);
    assert.match(r.headers['x-reroute-overhead-ms'], /^\d+$/);
    assert.match(r.headers.traceparent, /^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
  });

  test('a provider:model ref works as the model', async () => {
    const r = await request(gw.url, { body: chat('backup:healthy@gw2') });
    assert.equal(r.status, 200);
    assert.match(r.headers['x-reroute-served-by'], /provider=backup/);
  });

  test('invalid JSON and invalid overrides are 400s; overrides problems name the JSON path', async () => {
    const bad = await request(gw.url, { body: '{nope' });
    assert.equal(bad.status, 400);
    const r = await request(gw.url, { body: chat('ok', { reroute: { max_attempts: 'many', bogus: 1 } }) });
    assert.equal(r.status, 400);
    const paths = r.json.error.problems.map((p) => p.path);
    assert.ok(paths.some((p) => p.startsWith('/reroute/')), JSON.stringify(paths));
    const unknown = await request(gw.url, { body: chat('no-such-route') });
    assert.equal(unknown.status, 400);
    const typed = await request(gw.url, { body: chat(null) });
    assert.equal(typed.status, 400);
    assert.deepEqual(typed.json.error.problems.map((p) => [p.path, p.code, p.found]), [['/model', 'request.type', 'not a string']]);
    const none = await request(gw.url, { body: chat('ok', { reroute: null }) });
    assert.equal(none.status, 200, 'reroute: null means no overrides');
    // A string is a string, even one that holds an object's JSON text.
    for (const reroute of ['ok', '{"max_attempts":1}']) {
      const text = await request(gw.url, { body: chat('ok', { reroute }) });
      assert.equal(text.status, 400);
      assert.deepEqual(text.json.error.problems.map((p) => [p.path, p.code]), [['/reroute', 'request.type']]);
    }
  });

  test('disable_fallbacks is honoured: one attempt, the final error', async () => {
    const r = await request(gw.url, { body: chat('fb', { reroute: { disable_fallbacks: true } }) });
    assert.equal(r.status, 502);
    assert.equal(r.json.error.code, 'provider_error');
    assert.match(r.json.error.envelope, /^TALE_ERR1 /);
  });

  test('allowed_providers is honoured: the excluded provider is never called', async () => {
    const before = upstreamCalls(mock, '503@gw').length;
    const r = await request(gw.url, { body: chat('fb', { reroute: { allowed_providers: ['backup'] } }) });
    assert.equal(r.status, 200);
    assert.equal(r.headers['x-reroute-attempts'], '1');
    assert.equal(upstreamCalls(mock, '503@gw').length, before);
  });

  test('a stream whose frames start with preamble is held until content, then ends with trail and [DONE]', async () => {
    const r = await request(gw.url, { body: chat('pre', { stream: true }) });
    assert.equal(r.status, 200);
    assert.match(r.headers['content-type'], /text\/event-stream/);
    assert.equal(streamText(r.frames), FULL_ANSWER);
    assert.equal(r.frames.at(-1).data, '[DONE]');
    assert.equal(r.frames.at(-2).event, 'reroute.trail');
  });

  test('a stream with a fallback sends the notice before the first content', async () => {
    const r = await request(gw.url, { body: chat('fb', { stream: true }) });
    assert.equal(r.status, 200);
    assert.equal(r.frames[0].event, 'reroute.fallback');
    assert.match(r.frames[0].data, /^\[MODEL_FALLBACK\] from=mock%3A503%40gw to=backup%3Ahealthy%40gw2 reason=provider_error$/);
    assert.match(r.headers['x-reroute-fallbacks'], /code=provider_error/);
    assert.equal(r.headers['x-reroute-attempts'], '2');
  });

  test('attempt logs are structured JSON and never carry a key', async () => {
    await request(gw.url, { body: chat('fb') });
    await new Promise((res) => setTimeout(res, 200));
    const lines = gw.logs();
    const attempts = lines.filter((l) => l.event === 'attempt');
    assert.ok(attempts.length > 0);
    assert.ok(attempts.every((l) => l.kind && l.ref && /^[0-9a-f]{8}$/.test(l.fp)));
    const all = JSON.stringify(lines);
    for (const key of Object.values(KEYS)) assert.ok(!all.includes(key), 'a key in the logs');
  });
});
