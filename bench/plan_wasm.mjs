// WASM planner benchmark (issue 3, section 4): planning one attempt and recording its outcome
// through the JS API of the module (router.start + attempts.next + attempts.report), 50 targets
// and 1 000 tracked resources, p50 per operation in ns. Mirrors bench/plan_bench.cpp: the same
// config (5 providers x 10 models, routes fallback / weighted / sticky), the same 1 000 unrelated
// resources plus the first three targets of the route benched, cooling and ejected.
//
//   node bench/plan_wasm.mjs [PKG_DIR] [iterations] [--registry]   (default build/wasm/pkg, 200 000)
//
// The module is loaded as the edge loads it (`finalizationRegistry: false`: the gateway frees
// every handle itself); --registry measures the loader's default, with the safety net on.
// Prints one JSON object.
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

import { longChatBody } from './long-conversation.mjs';

const args = process.argv.slice(2).filter((a) => a !== '--registry');
const registry = process.argv.includes('--registry');
const pkg = resolve(args[0] ?? 'build/wasm/pkg');
const iterations = Math.max(1000, Number(args[1] ?? 200000));
const { loadReroute } = await import(pathToFileURL(join(pkg, 'reroute.mjs')).href);
const reroute = await loadReroute(readFileSync(join(pkg, 'reroute_core.wasm')), { finalizationRegistry: registry });

const T0 = 1_700_000_000_000;
const PROVIDERS = 5;
const MODELS = 10;

function configJson() {
  const providers = [];
  const models = [];
  for (let p = 0; p < PROVIDERS; p++) {
    providers.push({ id: `prov${p}`, base_url: `https://api${p}.example.com/v1`, credentials: [{ id: 'main', env: `KEY_${p}` }] });
    for (let m = 0; m < MODELS; m++) {
      models.push({ provider: `prov${p}`, id: `vendor/model-${m}`, context_window: 128000, max_output_tokens: 4096, capabilities: { tools: true } });
    }
  }
  const targets = [];
  for (let m = 0; m < MODELS; m++) for (let p = 0; p < PROVIDERS; p++) targets.push({ provider: `prov${p}`, model: `vendor/model-${m}` });
  return JSON.stringify({
    providers,
    models,
    routes: [
      { name: 'fallback', targets },
      { name: 'weighted', strategy: 'loadbalance', balance: 'weighted', targets },
      { name: 'sticky', strategy: 'loadbalance', balance: 'sticky', targets },
    ],
  });
}

const keys = {};
for (let p = 0; p < PROVIDERS; p++) keys[`KEY_${p}`] = reroute.fingerprint(`sk-bench-${p}`);

// The serialized health of plan_bench.cpp's tracked_health(): 1 000 resources of other providers
// (breakers with a counted failure or success, and rate-limit cooling), then prov0's credential
// benched (auth), prov1's credential-endpoint cooling for an hour, prov2's model-0 endpoint ejected.
function trackedHealth() {
  const rows = [];
  const seen = new Set();
  const add = (id, bench, breaker) => {
    const key = JSON.stringify(id);
    if (seen.has(key)) return;
    seen.add(key);
    rows.push([id, bench, breaker]);
  };
  const breaker = (failures, successes, at) => [1, 0, 0, 0, 1, at, failures, 0, [[Math.floor(at / 5000), successes, failures]], successes, 0, failures, 0, 0];
  for (let i = 0; rows.length < 1000; i++) {
    const provider = `other${i % 7}`;
    const url = `https://other${i % 11}.example/v1`;
    const fp = reroute.fingerprint(`k${i % 31}`);
    const model = `model-${i}`;
    const at = T0 - ((i * 7919) % 10000);
    if (i % 3 === 0) {
      add(['endpoint_model', provider, url, model], 0, breaker(1, 0, at));
      add(['endpoint', provider, url], 0, breaker(1, 0, at));
    } else if (i % 3 === 1) {
      add(['credential_endpoint', provider, fp, url], [at, at + 30000, 0, 'rate_limited', 0], 0);
    } else {
      add(['endpoint_model', provider, url, model], 0, breaker(0, 1, at));
    }
  }
  const fp = (p) => reroute.fingerprint(`sk-bench-${p}`);
  add(['credential', 'prov0', fp(0)], [T0, T0 + 600000, 0, 'auth_error', 0], 0);
  add(['credential_endpoint', 'prov1', fp(1), 'https://api1.example.com/v1'], [T0, T0 + 3600000, 0, 'rate_limited', 0], 0);
  const ejected = [2, 1, T0, T0 + 15000, 1, T0, 1, 0, [[Math.floor(T0 / 5000), 0, 1]], 0, 0, 1, 1, 15000];
  add(['endpoint_model', 'prov2', 'https://api2.example.com/v1', 'vendor/model-0'], 0, ejected);
  add(['endpoint', 'prov2', 'https://api2.example.com/v1'], 0, ejected);
  return JSON.stringify({ v: 1, t: [0, 0, 0, 0, 0, 0, 0, 0], r: rows });
}

const loaded = reroute.createRouter(configJson(), keys);
if (!loaded.ok) throw new Error(JSON.stringify(loaded.problems));
const router = loaded.router;
const healthText = trackedHealth();

function stats(ns) {
  ns.sort((a, b) => a - b);
  const at = (q) => ns[Math.min(ns.length - 1, Math.floor(q * ns.length))];
  return { p50: at(0.5), p90: at(0.9), p99: at(0.99) };
}

function newHealth() {
  const created = reroute.createHealth(healthText);
  if (!created.ok) throw new Error(JSON.stringify(created.problems));
  return created.health;
}

// One operation = start + next + report (free() after the clock stops, as the native attempts
// object is destroyed after it).
function benchRoute(route, failing, sticky) {
  let health = newHealth();
  const ns = new Float64Array(iterations);
  const ok = { kind: 'success', durationMs: 1 };
  const bad = { kind: 'http_error', code: 'model_not_found' };
  let now = T0 + 1;
  let sink = 0;
  const clock = process.hrtime.bigint;
  for (let i = 0; i < iterations; i++) {
    const request = sticky ? { route, promptTokens: 2000, conversationId: `conversation-${i % 997}` } : { route, promptTokens: 2000 };
    const t0 = clock();
    const started = router.start(request, now);
    const attempts = started.attempts;
    const decision = attempts.next(health, now, 42 + i);
    attempts.report(failing && i % 2 ? bad : ok, health, now + 1);
    const t1 = clock();
    attempts.free();
    sink += decision.target;
    ns[i] = Number(t1 - t0);
    now += 1;
    if (failing && i % 1000 === 999) {
      health.free();
      health = newHealth();
    }
  }
  health.free();
  if (sink < 0) console.log(sink);
  return stats(Array.from(ns));
}

// next + report on an already started request.
function benchNextOnly() {
  const health = newHealth();
  const ns = new Float64Array(iterations);
  const ok = { kind: 'success' };
  let now = T0 + 1;
  const clock = process.hrtime.bigint;
  for (let i = 0; i < iterations; i++) {
    const { attempts } = router.start({ route: 'fallback' }, now);
    const t0 = clock();
    attempts.next(health, now, 42 + i);
    attempts.report(ok, health, now + 1);
    const t1 = clock();
    attempts.free();
    ns[i] = Number(t1 - t0);
    now += 1;
  }
  health.free();
  return stats(Array.from(ns));
}

// Request set-up from the client's body (the core reads the planning facts from its text), on a
// long conversation: the same 200 messages, about 97 KiB, as bench/plan_bench.cpp.
const longBody = longChatBody('fallback');

function timeEach(fn) {
  const ns = [];
  const clock = process.hrtime.bigint;
  for (let i = 0; i < Math.max(1000, iterations / 100); i++) {
    const t0 = clock();
    fn(i);
    const t1 = clock();
    ns.push(Number(t1 - t0));
  }
  return stats(ns);
}
function benchLongBody() {
  return timeEach((i) => router.start({ route: 'fallback', body: longBody }, T0 + i).attempts.free());
}
// The upstream body of an attempt on that conversation: written by the core from the client's
// text (what the edge does), and by JSON.stringify from the parsed body (what it did before).
function benchUpstreamBody() {
  const parsed = JSON.parse(longBody);
  return {
    core: timeEach(() => reroute.upstreamBody(longBody, 'vendor/model-0')),
    stringify: timeEach(() => JSON.stringify({ ...parsed, model: 'vendor/model-0' })),
  };
}

// The clock's own cost, to read the figures against.
function clockCost() {
  const ns = [];
  const clock = process.hrtime.bigint;
  for (let i = 0; i < 100000; i++) {
    const t0 = clock();
    const t1 = clock();
    ns.push(Number(t1 - t0));
  }
  return stats(ns).p50;
}

benchRoute('fallback', false, false);  // warm-up (JIT, memory growth)
const fallback = benchRoute('fallback', false, false);
const fallbackFail = benchRoute('fallback', true, false);
const weighted = benchRoute('weighted', false, false);
const sticky = benchRoute('sticky', false, true);
const nextOnly = benchNextOnly();
const longBodyStart = benchLongBody();
const upstreamBody = benchUpstreamBody();
const health = newHealth();
const size = health.size();
health.free();

console.log(JSON.stringify({
  iterations,
  finalization_registry: registry,
  tracked_resources: size,
  plan_record_p50_ns: fallback.p50,
  plan_record_p99_ns: fallback.p99,
  plan_record_fail_p50_ns: fallbackFail.p50,
  plan_record_weighted_p50_ns: weighted.p50,
  plan_record_sticky_p50_ns: sticky.p50,
  next_report_p50_ns: nextOnly.p50,
  long_body_start_p50_ns: longBodyStart.p50,
  long_body_upstream_core_p50_ns: upstreamBody.core.p50,
  long_body_upstream_stringify_p50_ns: upstreamBody.stringify.p50,
  clock_p50_ns: clockCost(),
}));
