// The routing, health and stream API of the module (wasm/reroute.d.ts): results instead of
// exceptions, JSON paths in problems, the relay over real SSE bytes, and handles that free.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

import { loadReroute, pkg, randomValue, seededRandom, wasmBytes, wasmPath } from './helpers.mjs';

const reroute = await loadReroute(wasmBytes());
const T0 = 1_700_000_000_000;
const decoder = new TextDecoder();
const text = (bytes) => decoder.decode(bytes);

const config = {
  version: 1,
  providers: [
    {
      id: 'or',
      endpoints: [{ id: 'u0', base_url: 'https://openrouter.example/api/v1' }, { id: 'ux', base_url: 'https://x.openrouter.example/api/v1' }],
      credentials: [{ id: 'k1', env: 'K1' }, { id: 'k2', env: 'K2' }],
    },
    { id: 'oa', base_url: 'https://api.openai.example/v1', credentials: [{ id: 'k3', env: 'K3' }] },
  ],
  models: [
    { provider: 'or', id: 'a', context_window: 100000, max_output_tokens: 4000, capabilities: { tools: true, prefill: true } },
    { provider: 'or', id: 'm:free', context_window: 100000, max_output_tokens: 4000, input_price: 0, output_price: 0 },
    { provider: 'oa', id: 'gpt', context_window: 100000, max_output_tokens: 4000, capabilities: { tools: true } },
  ],
  routes: [
    { name: 'chat', targets: [{ provider: 'or', model: 'a', endpoint: 'u0' }, { provider: 'oa', model: 'gpt' }] },
    { name: 'lb', strategy: 'loadbalance', balance: 'sticky', targets: [{ provider: 'or', model: 'a' }, { provider: 'oa', model: 'gpt' }] },
  ],
  server: { max_attempts: 3 },
};
const keys = { K1: reroute.fingerprint('sk-k1'), K2: reroute.fingerprint('sk-k2'), K3: reroute.fingerprint('sk-k3') };

function router() {
  const loaded = reroute.createRouter(JSON.stringify(config), keys);
  assert.ok(loaded.ok, JSON.stringify(loaded.problems));
  return loaded.router;
}
function health() {
  const created = reroute.createHealth();
  assert.ok(created.ok);
  return created.health;
}

// ---- config ----

test('an invalid config gives every problem with its JSON path, found and expected', () => {
  const bad = structuredClone(config);
  bad.providers[0].credentials[0].env = 'lower case';
  bad.routes[0].targets[1].model = 'nope';
  bad.routes[0].retry = { max_attempts: 9 };
  bad.colour = 'red';
  const result = reroute.createRouter(JSON.stringify(bad), keys);
  assert.equal(result.ok, false);
  assert.equal(result.router, undefined);
  const byPath = Object.fromEntries(result.problems.map((p) => [p.path, p]));
  assert.equal(byPath['/providers/0/credentials/0/env'].code, 'config.format');
  assert.equal(byPath['/routes/0/targets/1/model'].code, 'config.reference');
  assert.equal(byPath['/routes/0/retry/max_attempts'].code, 'config.range');
  assert.equal(byPath['/colour'].code, 'config.unknown_member');
  for (const p of result.problems) {
    assert.deepEqual(Object.keys(p).slice(0, 6), ['path', 'code', 'found', 'expected', 'message', 'severity']);
    assert.ok(p.message.includes(p.code));
  }
});

test('a syntax error carries its line and column', () => {
  const result = reroute.createRouter('{\n  "providers": [,]\n}', {});
  assert.equal(result.ok, false);
  const [p] = result.problems;
  assert.equal(p.code, 'config.syntax');
  assert.equal(p.path, '');
  assert.equal(p.line, 2);
  assert.equal(typeof p.column, 'number');
});

test('lint warnings come with a loaded router; unset key envs are named', () => {
  const result = reroute.createRouter(JSON.stringify(config), { K1: keys.K1, K3: keys.K3 });
  assert.ok(result.ok);
  assert.ok(result.warnings.some((w) => w.code === 'lint.env_unset' && w.found.includes('K2')), JSON.stringify(result.warnings));
  result.router.free();
});

test('routes, models and limits describe the config for /v1/models and the admin plane', () => {
  const r = router();
  const routes = r.routes();
  assert.deepEqual(routes.map((x) => x.name), ['chat', 'lb']);
  assert.equal(routes[0].strategy, 'fallback');
  assert.equal(routes[1].balance, 'sticky');
  assert.deepEqual(routes[0].targets.map((t) => `${t.ref}/${t.endpointId}/${t.credentialEnv}`),
    ['or:a/u0/K1', 'or:a/u0/K2', 'oa:gpt/default/K3']);
  assert.equal(routes[0].targets[0].capabilities.prefill, true);
  const models = r.models();
  assert.deepEqual(models.map((m) => m.ref), ['or:a', 'or:m:free', 'oa:gpt']);
  assert.equal(models[1].free, true);
  const limits = r.limits();
  assert.equal(limits.maxAttempts, 3);
  assert.deepEqual(limits.credentialEnvs, ['K1', 'K2', 'K3']);
  assert.equal(limits.adminSecretEnv, undefined);
  r.free();
});

// ---- requests ----

test('a route that is absent or not a string is a 400 saying what was found at /model', () => {
  const r = router();
  for (const [request, found] of [[{}, 'missing'], [{ route: null }, 'not a string'], [{ route: ['chat'] }, 'not a string']]) {
    const started = r.start(request, T0);
    assert.equal(started.status, 400);
    assert.deepEqual(started.problems.map((p) => [p.path, p.code, p.found]), [['/model', 'request.type', found]]);
  }
  const unknown = r.start({ route: 'nope' }, T0);
  assert.deepEqual(unknown.problems.map((p) => [p.path, p.code, p.found]), [['/model', 'request.reference', '"nope"']]);
  r.free();
});

test('bad overrides are a 400 naming each JSON path; good ones are clamped by the server', () => {
  const r = router();
  const bad = r.start({ route: 'chat', overrides: { max_attempts: 'many', deadline_ms: -1, allowed_providers: 'or' } }, T0);
  assert.equal(bad.ok, false);
  assert.equal(bad.status, 400);
  assert.deepEqual(bad.problems.map((p) => p.path).sort(),
    ['/reroute/allowed_providers', '/reroute/deadline_ms', '/reroute/max_attempts']);
  const path = r.start({ route: 'chat', overrides: { bogus: 1 }, overridesPath: '/metadata/reroute' }, T0);
  assert.equal(path.problems[0].path, '/metadata/reroute/bogus');
  const notJson = r.start({ route: 'chat', overrides: { n: 1n } }, T0);
  assert.equal(notJson.status, 400);
  const unknown = r.start({ route: 'nope' }, T0);
  assert.deepEqual(unknown.problems.map((p) => [p.path, p.code]), [['/model', 'request.reference']]);
  const good = r.start({ route: 'chat', overrides: { max_attempts: 8, continuation: 'continue' } }, T0);
  assert.ok(good.ok);
  assert.equal(good.attempts.maxAttempts(), 3);
  assert.equal(good.attempts.continuation(), 'continue');
  good.attempts.free();
  assert.deepEqual(reroute.parseOverrides({ disable_fallbacks: true, allowed_models: ['oa:gpt'] }),
    { ok: true, overrides: { disable_fallbacks: true, allowed_models: ['oa:gpt'] } });
  assert.equal(reroute.parseOverrides([1]).ok, false);
  r.free();
});

test('the core reads the planning facts from the request body: text, bytes or the parsed object', () => {
  const r = router();
  const h = health();
  const question = { type: 'text', text: 'what is this?' };
  const image = { model: 'chat', messages: [{ role: 'user', content: [question, { type: 'image_url', image_url: { url: 'data:,' } }] }] };
  const plain = { model: 'chat', messages: [{ role: 'user', content: [question] }] };
  const forms = (body) => [JSON.stringify(body), new TextEncoder().encode(JSON.stringify(body)), body];
  for (const overrides of [undefined, { max_attempts: 2 }]) { // the raw start and the Embind one
    for (const [body, kind] of [...forms(image).map((b) => [b, 'final']), ...forms(plain).map((b) => [b, 'attempt'])]) {
      const { attempts } = r.start({ route: 'chat', body, overrides, needsVision: false }, T0);
      assert.equal(attempts.next(h, T0).kind, kind, 'no target of the route has vision');
      attempts.free();
    }
  }
  const { plan } = r.explain({ route: 'chat', body: image }, h, T0);
  assert.deepEqual(plan.map((p) => p.reason), ['capability_missing', 'capability_missing', 'capability_missing'], 'two keys on or:a, one on oa:gpt');
  r.free();
  h.free();
});

test('a request fails over on an HTTP error classified in the core, and ends with served-by and trail', () => {
  const r = router();
  const h = health();
  const { attempts } = r.start({ route: 'chat', conversationId: 'c-1', promptTokens: 100 }, T0);
  const first = attempts.next(h, T0, 7);
  assert.equal(first.kind, 'attempt');
  assert.equal(first.ref, 'or:a');
  assert.equal(first.credentialEnv, 'K1');
  assert.equal(first.baseUrl, 'https://openrouter.example/api/v1');
  assert.equal(first.upstreamModel, 'a');
  assert.equal(first.servedBy, `provider=or;ep=u0;host=openrouter.example;fp=${keys.K1};model=a`);
  assert.deepEqual(first.timeouts, { connectMs: 5000, firstTokenMs: 10000, idleMs: 10000 });
  assert.deepEqual(attempts.next(h, T0), first, 'an attempt in flight is handed out again');
  const report = attempts.report({
    kind: 'http_error', status: 429, headers: [['Retry-After', '30']],
    body: '{"error":{"message":"Rate limit reached for key sk-or-v1-0123456789abcdef0123456789abcdef","code":"rate_limit_exceeded"}}',
    durationMs: 120,
  }, h, T0 + 120);
  assert.equal(report.accepted, true);
  assert.equal(report.code, 'rate_limited');
  assert.equal(report.retryAfterMs, 30000);
  assert.ok(!report.message.includes('0123456789abcdef'), report.message);
  const second = attempts.next(h, T0 + 120);
  assert.equal(second.credentialEnv, 'K2');
  assert.equal(second.reason, 'same_model_sibling');
  assert.equal(second.notice, '[MODEL_FALLBACK] from=or%3Aa to=or%3Aa reason=rate_limited');
  assert.equal(first.trail, undefined, 'no failure yet');
  assert.equal(second.trail, `ref=or%3Aa;ep=u0;fp=${keys.K1};code=rate_limited;kind=http_error;ms=120`, 'the failures so far');
  assert.deepEqual(attempts.report({ kind: 'success', durationMs: 300 }, h, T0 + 420), { accepted: true, kind: 'success' });
  assert.equal(attempts.report({ kind: 'success' }, h, T0 + 420).accepted, false, 'nothing in flight');
  const final = attempts.next(h, T0 + 420);
  assert.equal(final.kind, 'final');
  assert.equal(final.ok, true);
  assert.equal(final.status, 200);
  assert.equal(final.attempts, 2);
  assert.equal(final.servedBy.fingerprint, keys.K2);
  assert.equal(final.servedBy.header, `provider=or;ep=u0;host=openrouter.example;fp=${keys.K2};model=a`);
  assert.equal(final.servedBy.header, second.servedBy, 'the served-by header of the attempt that served');
  assert.equal(final.envelope, undefined);
  assert.equal(attempts.trail(), `ref=or%3Aa;ep=u0;fp=${keys.K1};code=rate_limited;kind=http_error;ms=120`);
  assert.equal(final.trail, attempts.trail(), 'the final decision carries the trail');
  assert.deepEqual(JSON.parse(attempts.trailJSON()), [
    { target: 0, ref: 'or:a', endpointId: 'u0', fingerprint: keys.K1, code: 'rate_limited', kind: 'http_error', durationMs: 120 },
  ]);
  assert.equal(attempts.attemptsMade(), 2);
  assert.equal(attempts.distinctTargetsTried(), 2);
  assert.equal(attempts.finished(), true);
  assert.deepEqual(r.traffic().map((t) => t.route), ['chat']);
  attempts.free();
  r.free();
  h.free();
});

test('a final failure carries the status, the envelope, the sentence and a ready error body', () => {
  const r = router();
  const h = health();
  const { attempts } = r.start({ route: 'oa:gpt' }, T0);
  assert.equal(attempts.next(h, T0).ref, 'oa:gpt');
  attempts.report({ kind: 'timeout_first_token', durationMs: 10000 }, h, T0 + 10000);
  const final = attempts.next(h, T0 + 10000);
  assert.equal(final.ok, false);
  assert.equal(final.code, 'provider_error');
  assert.equal(final.status, 504);
  assert.deepEqual(reroute.decodeEnvelope(final.envelope), {
    code: 'provider_error', provider: 'oa', model: 'gpt', triedCount: 1, raw: 'Unknown error',
  });
  assert.deepEqual(JSON.parse(final.errorBody), {
    error: { message: final.message, type: 'provider_error', code: 'provider_error', envelope: final.envelope },
  });
  assert.equal(final.message, reroute.contentSentence({ code: 'provider_error', provider: 'oa', model: 'gpt' }));
  attempts.free();
  r.free();
  h.free();
});

test('explain lists the plan with verdicts from the shared health, without touching it', () => {
  const r = router();
  const h = health();
  assert.equal(h.retireCredential('or', keys.K1, T0).reason, 'admin_retired');
  const before = h.serialize();
  const { ok, plan } = r.explain({ route: 'chat' }, h, T0 + 1);
  assert.ok(ok);
  assert.deepEqual(plan.map((p) => [p.ref, p.credentialId, p.use, p.reason]), [
    ['or:a', 'k1', false, 'admin_retired'], ['or:a', 'k2', true, 'first_choice'], ['oa:gpt', 'k3', true, 'ok'],
  ]);
  assert.equal(plan[0].untilMs, null);
  assert.equal(plan[0].resource, 'credential');
  assert.equal(h.serialize(), before);
  assert.equal(r.explain({ route: 'chat', overrides: { max_attempts: 0 } }, h, T0).status, 400);
  r.free();
  h.free();
});

test('on random bodies the raw per-request paths agree with the Embind paths', () => {
  const random = seededRandom(5);
  const json = (v) => JSON.stringify(v, (k, x) => (typeof x === 'bigint' ? 1 : x)) ?? 'null';
  // The answer check: completionFailure (text or bytes) against checkCompletionBody.
  const answers = {
    texts: ['stop', 'length', 'tool_calls', 'content_filter', 'error', '', 'hi', 'assistant', '{}', '\ud800'],
    keys: ['choices', 'message', 'content', 'finish_reason', 'tool_calls', 'error', 'model', 'usage', 'index', 'role', 'refusal', 'code'],
  };
  for (let i = 0; i < 3000; i++) {
    let text = json(randomValue(random, answers));
    if (random(3) === 0) text = text.slice(0, random(text.length + 1));
    const expected = reroute.checkCompletionBody(text).failure;
    assert.deepEqual(reroute.completionFailure(text), expected, text);
    assert.deepEqual(reroute.completionFailure(new TextEncoder().encode(text)), expected, text);
  }
  // Planning: the raw start (no overrides) against the Embind start (empty overrides), first decision.
  const r = router();
  const h = health();
  const bodies = { texts: ['hi', 'x'.repeat(300), 'image_url', 'text', 'input_image', ''], keys: ['content', 'type', 'text', 'role', 'image_url'] };
  for (let i = 0; i < 1000; i++) {
    const body = json({ messages: [{ role: 'user', content: randomValue(random, bodies) }, randomValue(random, bodies)],
      tools: random(2) ? randomValue(random, bodies) : undefined, max_tokens: random(2) ? randomValue(random, bodies) : undefined });
    const raw = r.start({ route: 'chat', body, seed: 1 }, T0);
    const embind = r.start({ route: 'chat', body, seed: 1, overrides: {} }, T0);
    assert.equal(raw.ok, embind.ok, body);
    if (raw.ok) assert.deepEqual({ ...raw.attempts.next(h, T0, 1) }, { ...embind.attempts.next(h, T0, 1) }, body);
    else assert.deepEqual(raw.problems, embind.problems, body);
    raw.attempts?.free();
    embind.attempts?.free();
  }
  r.free();
  h.free();
});

test('the raw per-request paths and the Embind paths give the same results', () => {
  const r = router();
  const run = (request, outcomes) => {
    const h = health();
    const { attempts } = r.start(request, T0);
    const seen = [];
    for (const outcome of outcomes) {
      seen.push(attempts.next(h, T0, 5));
      seen.push(attempts.report(outcome, h, T0 + 10));
    }
    seen.push(attempts.next(h, T0 + 10));
    attempts.free();
    h.free();
    return seen;
  };
  const outcomes = [{ kind: 'http_error', code: 'rate_limited', retryAfterMs: 500, durationMs: 3 }, { kind: 'timeout_connect' },
    { kind: 'bogus' }];
  // overrides: {} and error: null take the Embind paths of start and report.
  const fast = run({ route: 'chat', conversationId: 'c' }, outcomes);
  const slow = run({ route: 'chat', conversationId: 'c', overrides: {} }, outcomes.map((o) => ({ ...o, error: null })));
  assert.deepEqual(fast, slow);
  assert.equal(fast.at(-1).kind, 'final');
  assert.ok(Object.isFrozen(fast[0].capabilities));
  r.free();
});

test('each router starts a route name on its own routes, and keeps no unknown name', () => {
  const other = structuredClone(config);
  other.routes = [{ name: 'only-oa', targets: [{ provider: 'oa', model: 'gpt' }] }, config.routes[0]];
  const loaded = reroute.createRouter(JSON.stringify(other), keys);
  assert.ok(loaded.ok, JSON.stringify(loaded.problems));
  const [a, b] = [router(), loaded.router];
  const h = health();
  const firstRef = (r, route) => {
    const started = r.start({ route }, T0);
    if (!started.ok) return started.problems[0].code;
    const decision = started.attempts.next(h, T0);
    started.attempts.free();
    return decision.ref;
  };
  for (let round = 0; round < 2; round++) {  // the second round starts from each router's cached route
    assert.equal(firstRef(a, 'chat'), 'or:a');
    assert.equal(firstRef(b, 'chat'), 'or:a');  // another index in this router
    assert.equal(firstRef(b, 'only-oa'), 'oa:gpt');
    assert.equal(firstRef(a, 'only-oa'), 'request.reference');
    assert.equal(firstRef(a, 'oa:gpt'), 'oa:gpt');
  }
  h.free();
  a.free();
  b.free();
});

test('decisions from the typed-view wire equal the Embind objects field for field', async () => {
  const { default: createCore } = await import(join(pkg, 'reroute_core.mjs'));
  const module = await WebAssembly.compile(wasmBytes());
  const core = await createCore({
    locateFile: (p) => p,
    instantiateWasm(imports, receive) { WebAssembly.instantiate(module, imports).then((i) => receive(i, module)); return {}; },
  });
  const routerAddress = core._createRouter(JSON.stringify(config), keys, undefined).router;
  const healthAddress = core._createHealth(undefined).health;
  const r = router();
  const h = health();
  const scripts = [
    [{ kind: 'http_error', status: 429, headers: [['retry-after', '1']], body: 'slow down' }, { kind: 'success' }],
    [{ kind: 'http_error', status: 400, body: '{"error":{"message":"content_filter","code":"content_filter"}}' }],
    [{ kind: 'reset' }, { kind: 'http_error', status: 503, body: 'overloaded' }, { kind: 'timeout_idle' }, { kind: 'reset' }],
  ];
  for (const [i, outcomes] of scripts.entries()) {
    const request = { route: 'chat', conversationId: `c${i}`, overrides: {} };
    const embind = core._routerStart(routerAddress, request, T0 + i * 1000).attempts;
    const { attempts } = r.start(request, T0 + i * 1000);
    for (const [j, outcome] of [...outcomes, undefined].entries()) {
      const now = T0 + i * 1000 + j * 10;
      const a = core._attemptsNext(embind, healthAddress, now, j);
      const b = attempts.next(h, now, j);
      assert.deepEqual({ ...b }, a);
      if (!outcome) break;
      assert.deepEqual(attempts.report(outcome, h, now + 5), core._attemptsReport(embind, outcome, healthAddress, now + 5));
    }
    core._rr_free(embind);
    attempts.free();
  }
  core._rr_free(routerAddress);
  core._rr_free(healthAddress);
  r.free();
  h.free();
});

// ---- health ----

test('health serializes, merges, prunes and serves the admin view and actions', () => {
  const r = router();
  const a = health();
  const { attempts } = r.start({ route: 'chat' }, T0);
  attempts.next(a, T0);
  attempts.report({ kind: 'connect_refused', transportCode: 'ECONNREFUSED' }, a, T0 + 5);
  attempts.free();
  const text = a.serialize();
  const copy = reroute.createHealth(text);
  assert.ok(copy.ok);
  assert.equal(copy.health.serialize(), text);
  const b = health();
  assert.deepEqual(b.merge(text), { ok: true, size: a.size() });
  assert.equal(b.serialize(), text);
  const view = b.view(T0 + 10);
  const endpoint = view.resources.find((x) => x.kind === 'endpoint' && x.id[2] === 'https://openrouter.example/api/v1');
  assert.equal(endpoint.breaker.status, 'ejected');
  assert.equal(endpoint.scopeKey, 'host:or:https://openrouter.example/api/v1');
  assert.equal(view.totals.localFailures, 1);
  assert.deepEqual(b.resetBreaker(endpoint.id, T0 + 20), { ok: true, reason: 'admin_reset', count: 1 });
  assert.equal(b.view(T0 + 20).resources.find((x) => x.kind === 'endpoint' && x.id[1] === 'or').breaker.status, 'closed');
  assert.equal(b.resetBreaker(['nonsense'], T0).ok, false);
  const all = b.resetBreaker(undefined, T0 + 30);
  assert.equal(all.ok, true);
  assert.equal(b.view(T0 + 30).resources.filter((x) => x.breaker && x.breaker.status !== 'closed').length, 0);
  assert.equal(b.restoreCredential('or', keys.K1, T0).reason, 'no_effect');
  assert.equal(typeof b.prune(T0 + 86_400_000), 'number');
  const invalid = reroute.createHealth('{"v":2}');
  assert.equal(invalid.ok, false);
  assert.equal(invalid.problems[0].code, 'health.invalid');
  assert.equal(invalid.problems[0].path, '/v');
  assert.equal(b.merge('not json').ok, false);
  for (const h of [a, copy.health, b]) h.free();
  r.free();
});

// ---- streams ----

const chunk = (o) => `data: ${JSON.stringify(o)}\n\n`;
const head = { id: 'chatcmpl-1', object: 'chat.completion.chunk', created: 1700000000, model: 'upstream-model' };
const transcript = chunk({ ...head, choices: [{ index: 0, delta: { role: 'assistant' } }] }) + ': keep-alive\n\n'
  + chunk({ ...head, choices: [{ index: 0, delta: { content: 'Grüße, ' } }] })
  + chunk({ ...head, choices: [{ index: 0, delta: { content: 'world' }, finish_reason: 'stop' }] })
  + chunk({ ...head, choices: [], usage: { prompt_tokens: 5, completion_tokens: 2, total_tokens: 7 } })
  + 'data: [DONE]\n\n';

test('the relay holds the preamble, commits at the first content and ends with the trail and [DONE]', () => {
  const bytes = new TextEncoder().encode(transcript);
  for (const size of [1, 3, 7, 64, bytes.length]) {
    const notice = '[MODEL_FALLBACK] from=or%3Aa to=oa%3Agpt reason=rate_limited';
    const relay = reroute.createStreamRelay({ prelude: reroute.fallbackEvent(notice) });
    const out = [];
    let committedAt = -1;
    let done = false;
    for (let i = 0; i < bytes.length; i += size) {
      const step = relay.feed(bytes.subarray(i, i + size));
      assert.ok(step.out instanceof Uint8Array);
      if (step.committed) committedAt = i;
      if (committedAt < 0) assert.equal(step.out.length, 0, 'nothing leaves before the commit point');
      assert.equal(step.failure, undefined);
      done ||= step.done;
      out.push(...step.out);
    }
    assert.ok(done);
    const end = relay.endOfUpstream(reroute.trailEvent('[]'));
    assert.equal(end.complete, true);
    assert.equal(end.doneAdded, false);
    out.push(...end.out);
    const expected = `event: reroute.fallback\ndata: ${notice}\n\n${transcript.replace('data: [DONE]\n\n', '')}event: reroute.trail\ndata: []\n\ndata: [DONE]\n\n`;
    assert.equal(text(new Uint8Array(out)), expected, `chunks of ${size}`);
    assert.equal(relay.partialText(), 'Grüße, world');
    assert.equal(relay.model(), 'upstream-model');
    assert.equal(relay.chunkId(), 'chatcmpl-1');
    assert.equal(relay.finishReason(), 'stop');
    assert.deepEqual(relay.usage(), { promptTokens: 5, completionTokens: 2, totalTokens: 7, json: '{"prompt_tokens":5,"completion_tokens":2,"total_tokens":7}' });
    assert.equal(relay.committed(), true);
    relay.free();
  }
});

test('strings feed as UTF-8, and a failure before the commit point discards what was held', () => {
  const relay = reroute.createStreamRelay();
  const held = relay.feed(chunk({ ...head, choices: [{ index: 0, delta: { role: 'assistant' } }] }));
  assert.equal(held.out.length, 0);
  assert.ok(relay.heldBytes() > 0);
  const failed = relay.feed('event: error\ndata: {"error":{"message":"The server is overloaded","type":"server_error","code":"overloaded"}}\n\n');
  assert.equal(failed.out.length, 0);
  assert.equal(failed.failure.kind, 'in_band_error');
  assert.equal(failed.failure.afterCommit, false);
  assert.equal(relay.failure().code, failed.failure.code);
  relay.free();
});

test('after a committed stream failed, the core decides whether it continues and counts it against the budget', () => {
  const r = router();
  const h = health();
  const { attempts } = r.start({ route: 'chat', overrides: { continuation: 'continue' } }, T0);
  assert.equal(attempts.continuationBudget(), 1);
  attempts.next(h, T0);
  const relay = reroute.createStreamRelay();
  relay.feed(chunk({ ...head, choices: [{ index: 0, delta: { content: 'Partial answer' } }] }));
  attempts.report({ ...relay.fail('timeout_idle'), durationMs: 12000 }, h, T0 + 12000);
  assert.equal(attempts.mayContinueStream(), true);
  const next = attempts.next(h, T0 + 12000);
  assert.equal(next.kind, 'attempt');
  const plan = attempts.continueStream(relay);
  assert.equal(plan.action, next.capabilities.prefill ? 'prefill' : 'restart');
  assert.deepEqual(plan, relay.planContinuation('continue', next.capabilities.prefill), 'the plan of the relay for that target');
  attempts.report({ kind: 'stream_truncated', durationMs: 10 }, h, T0 + 12010);
  assert.equal(attempts.mayContinueStream(), false, 'the one mid-stream fallback is spent');
  const off = r.start({ route: 'chat' }, T0);
  off.attempts.next(h, T0);
  off.attempts.report({ kind: 'stream_truncated', durationMs: 10 }, h, T0 + 10);
  assert.equal(off.attempts.mayContinueStream(), false, 'continuation off');
  off.attempts.free();
  relay.free();
  attempts.free();
  r.free();
  h.free();
});

test('a mid-stream failure ends with an error chunk and the envelope, never [DONE]; the plan continues', () => {
  const r = router();
  const h = health();
  const { attempts } = r.start({ route: 'chat', overrides: { continuation: 'continue' } }, T0);
  const first = attempts.next(h, T0);
  const relay = reroute.createStreamRelay();
  const step = relay.feed(chunk({ ...head, choices: [{ index: 0, delta: { content: 'Partial answer' } }] }));
  assert.equal(step.committed, true);
  const failure = relay.fail('timeout_idle', { message: 'no chunk for 10 s' });
  assert.equal(failure.code, 'provider_error');
  assert.equal(failure.afterCommit, true);
  assert.equal(relay.feed('data: late\n\n').out.length, 0, 'bytes after a failure are ignored');
  const report = attempts.report({ ...failure, durationMs: 12000 }, h, T0 + 12000);
  assert.equal(report.code, 'provider_error');
  const plan = relay.planContinuation(attempts.continuation(), true);
  assert.equal(plan.action, 'prefill');
  assert.deepEqual(JSON.parse(plan.prefillMessage), { role: 'assistant', content: 'Partial answer' });
  assert.equal(plan.next.partialPrefix, 'Partial answer');
  const ending = text(relay.errorEnding({ code: failure.code, provider: first.provider, model: first.model, tried: 1, raw: failure.message }));
  assert.ok(ending.startsWith('data: {"id":"chatcmpl-1","object":"chat.completion.chunk","created":1700000000,"model":"upstream-model","choices":[{"index":0,"delta":{},"finish_reason":"error"}]}\n\n'));
  assert.ok(ending.includes('"partial":true'));
  assert.ok(!ending.includes('[DONE]'));
  const body = JSON.parse(ending.split('\n\n')[1].slice(6));
  assert.equal(reroute.decodeEnvelope(body.error.envelope).code, 'provider_error');
  assert.equal(reroute.planContinuation({ mode: 'off', partialText: 'x', unfinishedToolCall: false, hasToolCalls: false, nextSupportsPrefill: true }).action, 'end_with_error');
  relay.free();
  attempts.free();
  r.free();
  h.free();
});

test('a non-streaming body is checked in the core and its failure reports as it is', () => {
  const answer = reroute.checkCompletionBody(JSON.stringify({ model: 'm', choices: [{ index: 0, message: { role: 'assistant', content: 'hi' }, finish_reason: 'stop' }], usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 } }));
  assert.equal(answer.ok, true);
  assert.equal(answer.model, 'm');
  assert.equal(answer.usage.totalTokens, 2);
  const error = reroute.checkCompletionBody(new TextEncoder().encode('{"error":{"message":"Rate limit exceeded","code":429}}'));
  assert.equal(error.ok, false);
  assert.equal(error.failure.kind, 'in_band_error');
  assert.equal(error.failure.code, 'rate_limited');
  assert.equal(reroute.checkCompletionBody('<html>').failure.kind, 'stream_malformed');
});

test('the per-request answer check gives only the failure: none for an answer, that of checkCompletionBody otherwise', () => {
  const answer = JSON.stringify({ model: 'm', choices: [{ index: 0, message: { role: 'assistant', content: 'hi' }, finish_reason: 'stop' }] });
  assert.equal(reroute.completionFailure(answer), undefined);
  assert.equal(reroute.completionFailure(new TextEncoder().encode(answer)), undefined);
  for (const body of ['{"error":{"message":"Rate limit exceeded","code":429}}', '<html>', '{"choices":[]}', '']) {
    assert.deepEqual(reroute.completionFailure(new TextEncoder().encode(body)), reroute.checkCompletionBody(body).failure, body);
  }
});

test('string bytes are read exactly wherever a quote, escape, control or non-ASCII byte falls in a block of 16', () => {
  // The module's JSON reader takes plain string bytes sixteen at a time (SIMD): every offset of
  // each kind of special byte across two blocks, through the scan (upstreamBody), the parser
  // (parseOverrides) and the answer check.
  const readsExactly = (content) => {
    const label = JSON.stringify(content);
    const client = { model: 'r', messages: [{ role: 'user', content }], other: content };
    const written = JSON.parse(text(reroute.upstreamBody(JSON.stringify(client), 'm')));
    assert.deepEqual([written.messages, written.other], [client.messages, content], label);
    assert.deepEqual(reroute.parseOverrides({ allowed_providers: [content] }).overrides.allowed_providers, [content], label);
    const answer = JSON.stringify({ model: 'm', choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: 'stop' }] });
    assert.equal(reroute.completionFailure(answer), undefined, label);
  };
  const specials = ['"', '\\', '\n', '\u0001', '\u007f', 'é', '€', '😀', '\u2028'];
  for (const special of specials) {
    for (let at = 0; at < 40; at++) readsExactly(`${'a'.repeat(at)}${special}${'b'.repeat(40 - at)}`);
  }
  // Random mixes of those bytes, several to a block (a fixed seed: the same strings every run).
  const alphabet = ['a', 'b', ' ', ...specials];
  const random = seededRandom(12345);
  for (let i = 0; i < 500; i++) readsExactly(Array.from({ length: 1 + random(70) }, () => alphabet[random(alphabet.length)]).join(''));
  // An unescaped control byte inside a string is not JSON wherever it falls.
  for (let at = 0; at < 40; at++) {
    assert.equal(reroute.upstreamBody(`{"model":"r","x":"${'a'.repeat(at)}\u0001${'b'.repeat(20)}"}`, 'm'), undefined, `control at ${at}`);
  }
});

test('the upstream body is the client body as JSON.parse reads it, with the target model and without reroute', () => {
  const bodies = [
    { model: 'route', messages: [{ role: 'user', content: 'héllo 🙂 "quoted" \\ \u2028' }], temperature: 0.5, reroute: { max_attempts: 2 } },
    { messages: [], stream: true },
    { __proto__: null, model: 'r', tools: [{ type: 'function', function: { name: 'f', parameters: {} } }], max_tokens: 10 },
  ];
  for (const body of bodies) {
    const { reroute: _overrides, ...rest } = body;
    const expected = { ...rest, model: 'vendor/model-x' };
    for (const client of [JSON.stringify(body, null, 2), new TextEncoder().encode(JSON.stringify(body))]) {
      const bytes = reroute.upstreamBody(client, 'vendor/model-x');
      assert.ok(bytes instanceof Uint8Array);
      assert.deepEqual(JSON.parse(text(bytes)), expected);
    }
  }
  // The governor's patch joins where the client set nothing; a prefill message follows the messages.
  const client = { model: 'r', reasoning_effort: 'low', messages: [{ role: 'user', content: 'hi' }], reroute: {} };
  const patch = { reasoning_effort: 'high', thinking: { type: 'enabled', budget_tokens: 2048 } };
  const prefill = JSON.stringify({ role: 'assistant', content: 'Part', prefix: true });
  const written = reroute.upstreamBody(JSON.stringify(client), 'x', { defaults: patch, appendMessage: prefill });
  assert.deepEqual(JSON.parse(text(written)), {
    model: 'x', reasoning_effort: 'low', thinking: patch.thinking, messages: [...client.messages, JSON.parse(prefill)],
  });
  assert.equal(reroute.upstreamBody('[1]', 'm'), undefined);
  assert.equal(reroute.upstreamBody('{"model":', 'm'), undefined);
  assert.equal(reroute.upstreamBody('{}', 'm', { appendMessage: '{"role":' }), undefined);
  assert.equal(reroute.upstreamBody('{}', 'm', { defaults: 'not an object' }), undefined);
});

// ---- helpers ----

test('helpers: provider bodies, retry hints, redaction and statuses', () => {
  assert.deepEqual(reroute.errorFromResponse(401, '{"error":{"message":"Invalid API key","code":"invalid_api_key"}}'),
    { status: 401, code: 'invalid_api_key', message: 'Invalid API key', error: { code: 'invalid_api_key' } });
  assert.equal(reroute.classify(reroute.errorFromResponse(401, '{"error":{"message":"Invalid API key"}}')), 'auth_error');
  assert.equal(reroute.errorFromStreamEvent('', '{"choices":[]}'), null);
  assert.equal(reroute.errorFromTransport('ECONNREFUSED').code, 'ECONNREFUSED');
  assert.equal(reroute.retryAfterMs([['retry-after-ms', '1500']], 0), 1500);
  assert.equal(reroute.retryAfterMs({ 'Retry-After': 'Tue, 14 Nov 2023 22:13:22 GMT' }, T0), 2000);
  assert.equal(reroute.retryAfterMs(new Map([['x-ratelimit-reset-requests', '6m0s']]), 0), 360000);
  if (typeof Headers === 'function') assert.equal(reroute.retryAfterMs(new Headers({ 'retry-after': '2' }), 0), 2000);
  assert.equal(reroute.retryAfterMs([], 0), undefined);
  assert.equal(reroute.retryAfterMsFromText('Please try again in 20ms.'), 20);
  assert.ok(!reroute.redactSecrets('key sk-proj-0123456789abcdefghij0123').includes('0123456789abcdefghij'));
  assert.equal(reroute.httpStatusFor('rate_limited'), 429);
  assert.equal(reroute.httpStatusFor('provider_error', true), 504);
  assert.equal(text(reroute.restartEvent()), 'event: reroute.restart\ndata: {}\n\n');
  assert.equal(text(reroute.trailEvent('[{"a":1}]')), 'event: reroute.trail\ndata: [{"a":1}]\n\n');
  assert.ok(text(reroute.errorEnding({ code: 'rate_limited', chunkId: 'x', chunkModel: 'm', created: 1 })).includes('"finish_reason":"error"'));
});

test('every Embind function is exposed, none of the internal "_" entry points', () => {
  for (const name of ['errorFromResponse', 'retryAfterMs', 'checkCompletionBody', 'fingerprint', 'createRouter', 'createHealth', 'createStreamRelay']) {
    assert.equal(typeof reroute[name], 'function', name);
  }
  assert.deepEqual(Object.keys(reroute).filter((k) => k.startsWith('_') || k.startsWith('HEAP')), []);
  assert.ok(Object.isFrozen(reroute));
});

// ---- robustness ----

const GARBAGE = [undefined, null, 0, -1, NaN, Infinity, 1n, '', 'x', true, [], [1, 'a'], {}, { route: 7 }, Symbol('s'), () => 1,
  new Uint8Array([0xff, 0xfe]), { kind: 'nope', status: 'x', headers: 7, body: 5 }, { kind: 'http_error', headers: { entries() {} } }, JSON.parse('{"__proto__":{"route":"chat"}}')];

test('no exception for garbage inputs anywhere in the API', () => {
  const r = router();
  const h = health();
  for (const g of GARBAGE) {
    const label = typeof g === 'symbol' ? 'symbol' : typeof g === 'bigint' ? 'bigint' : String(JSON.stringify(g) ?? typeof g);
    assert.doesNotThrow(() => {
      const created = reroute.createRouter(g, g, g);
      assert.equal(created.ok, false);
      const started = r.start(g, g);
      if (started.ok) {
        started.attempts.next(g, g, g);
        started.attempts.report(g, g, g);
        started.attempts.next(h, T0, g);
        started.attempts.report(g, h, g);
        started.attempts.trail();
        started.attempts.continueStream(g);
        started.attempts.free();
      } else {
        assert.equal(started.status, 400);
      }
      r.explain(g, g, g);
      reroute.createHealth(g);
      h.merge(g);
      h.view(g);
      h.prune(g);
      h.resetBreaker(g, g);
      h.retireCredential(g, g, g);
      h.restoreCredential(g, g, g);
      h.clearBench(g, g);
      const relay = reroute.createStreamRelay(g);
      relay.feed(g);
      relay.fail(g, g);
      relay.errorEnding(g);
      relay.planContinuation(g, g);
      relay.endOfUpstream(g);
      relay.free();
      reroute.parseOverrides(g, g);
      reroute.errorFromResponse(g, g);
      reroute.errorFromStreamEvent(g, g);
      reroute.errorFromTransport(g, g);
      reroute.retryAfterMs(g, g);
      reroute.retryAfterMsFromText(g);
      reroute.redactSecrets(g);
      reroute.httpStatusFor(g, g);
      reroute.errorEnding(g);
      reroute.fallbackEvent(g);
      reroute.restartEvent(g);
      reroute.trailEvent(g);
      reroute.checkCompletionBody(g);
      reroute.completionFailure(g);
      reroute.upstreamBody(g, g);
      reroute.planContinuation(g);
    }, label);
  }
  // Missing arguments read as absent too.
  assert.doesNotThrow(() => {
    reroute.errorFromResponse();
    reroute.httpStatusFor();
    reroute.createStreamRelay().feed();
    r.start();
  });
  r.free();
  h.free();
});

test('random values into every method of the handles: no exception', () => {
  const random = seededRandom(7);
  const r = router();
  const h = health();
  const kinds = {
    texts: ['', 'chat', 'lb', 'or', 'oa', 'or:a', 'k1', '\ud800', 'x'.repeat(3000), 'data: {"choices":[{"index":0,"delta":{"content":"hi"}}]}\n\n',
      'data: [DONE]\n\n', '{"a":'.repeat(600), 'http_error', 'success', 'reset', 'timeout_idle', 'rate_limited'],
    keys: ['route', 'kind', 'status', 'body', 'headers', 'durationMs', 'overrides', 'conversationId', 'seed', 'mode', 'partialText', 'message',
      'transportCode', 'provider', 'fingerprint', 'continuation', 'prefill', 'model'],
    extras: [r, h],
  };
  const methods = (handle) => Object.getOwnPropertyNames(Object.getPrototypeOf(handle))
    .filter((name) => name !== 'constructor' && name !== 'free' && typeof handle[name] === 'function');
  const sweep = (handle, calls) => {
    const names = methods(handle);
    for (let i = 0; i < calls; i++) {
      const name = names[random(names.length)];
      const args = Array.from({ length: random(4) }, () => randomValue(random, kinds));
      assert.doesNotThrow(() => handle[name](...args), name);
    }
  };
  for (let i = 0; i < 1500; i++) {
    sweep(r, 1);
    sweep(h, 1);
    const started = r.start({ route: 'chat', seed: random(100) }, T0 + i);
    assert.ok(started.ok);
    sweep(started.attempts, 4);
    started.attempts.free();
    const relay = reroute.createStreamRelay(randomValue(random, kinds));
    sweep(relay, 4);
    relay.free();
  }
  r.free();
  h.free();
});

test('garbage after the per-request paths are hot never crashes the host process', () => {
  // Node 20's V8 crashed here (SIGSEGV) before the loader turned its JS-to-Wasm call inlining off:
  // wrappers optimised on bytes and strings, then handed a small integer. In a child process, so
  // a crash fails this test instead of ending the run.
  const script = `
    import { loadReroute } from ${JSON.stringify(join(pkg, 'reroute.mjs'))};
    import { readFileSync } from 'node:fs';
    const reroute = await loadReroute(readFileSync(${JSON.stringify(wasmPath)}));
    const answer = new TextEncoder().encode('{"model":"m","choices":[{"index":0,"message":{"role":"assistant","content":"hi"},"finish_reason":"stop"}]}');
    const frame = new TextEncoder().encode('data: {"choices":[{"index":0,"delta":{"content":"hi"}}]}\\n\\n');
    for (let i = 0; i < 50000; i++) { reroute.completionFailure(answer); reroute.completionFailure('{"model":"x"}'); }
    for (let i = 0; i < 20000; i++) { const relay = reroute.createStreamRelay({}); relay.feed(frame); relay.feed('data: x\\n\\n'); relay.free(); }
    for (const g of [undefined, null, 0, -1, 1.5, true, {}]) {
      reroute.completionFailure(g);
      const relay = reroute.createStreamRelay(g);
      relay.feed(g);
      relay.free();
    }
    console.log('survived');
  `;
  const child = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 60_000 });
  assert.equal(child.signal, null, `the child ended by ${child.signal}`);
  assert.equal(child.status, 0, child.stderr);
  assert.equal(child.stdout.trim(), 'survived');
});

test('free() is idempotent, later calls return undefined, and freeing in any order is safe', () => {
  const r = router();
  const h = health();
  const { attempts } = r.start({ route: 'chat' }, T0);
  r.free();
  r.free();
  assert.equal(r.routes(), undefined);
  assert.equal(r.start({ route: 'chat' }, T0), undefined);
  // The attempts handle keeps the planner alive after its router was freed.
  assert.equal(attempts.next(h, T0).ref, 'or:a');
  assert.equal(attempts.report({ kind: 'success' }, h, T0 + 1).accepted, true);
  assert.equal(attempts.next(h, T0 + 1).ok, true);
  attempts.free();
  assert.equal(attempts.next(h, T0), undefined);
  assert.equal(attempts.trail(), undefined);
  h.free();
  assert.equal(h.serialize(), undefined);
  const relay = reroute.createStreamRelay();
  relay.free();
  assert.equal(relay.feed('data: x\n\n'), undefined);
  // A freed health reads as an empty one when passed to a live request.
  const r2 = router();
  const started = r2.start({ route: 'chat' }, T0);
  assert.equal(started.attempts.next(h, T0).kind, 'attempt');
  started.attempts.free();
  r2.free();
});

test('the FinalizationRegistry safety net can be turned off', async () => {
  const bare = await loadReroute(wasmBytes(), { finalizationRegistry: false });
  const relay = bare.createStreamRelay();
  assert.equal(relay.feed(transcript).committed, true);
  relay.free();
  assert.equal(relay.feed(transcript), undefined);
});

test('many handles come and go without leaking the module memory', () => {
  const r = router();
  const h = health();
  const bytes = new TextEncoder().encode(transcript);
  const round = () => {
    for (let i = 0; i < 2000; i++) {
      const { attempts } = r.start({ route: 'lb', conversationId: `c${i}` }, T0 + i);
      attempts.next(h, T0 + i, i);
      attempts.report({ kind: 'success' }, h, T0 + i);
      attempts.next(h, T0 + i);
      attempts.free();
      const relay = reroute.createStreamRelay();
      relay.feed(bytes);
      relay.endOfUpstream();
      relay.free();
    }
  };
  round();
  // The module's memory counts as external memory; it only grows when something is not freed.
  const mark = process.memoryUsage().external;
  round();
  round();
  assert.ok(process.memoryUsage().external - mark < 1 << 20, 'the module memory did not grow');
  r.free();
  h.free();
});
