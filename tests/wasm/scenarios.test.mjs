// The shared scenario replays (tests/fixtures/scenarios/*.json) through the WASM module. The
// native side (tests/scenario_replay_test.cpp) replays the same files through the core directly
// with the same rules and the same expectations, so the two cannot disagree unnoticed.
//
// A fixture: { name, config, keys: {ENV: key value}, steps: [step...] }. Time is `at` ms after
// T0 = 1 700 000 000 000. A step may set the clock ("at": ms, or "advance": ms), then do one of
//   "request": {...RouteRequest}, "as": name          start a request (default name "main")
//   "next": {"seed"?: n}, "on": name                   next decision of that request
//   "report": {...Outcome}, "on": name                 report the attempt in flight
//   "run": {request, upstream: [rule...]}              a whole request against a scripted upstream
//   "repeat": {count, every, run, tally: [...]}        `count` runs, `every` ms apart
// and then check "expect": {start|decision|report|info|run|tally: pattern}. A rule is
// {match: pattern, outcome, times?, until?}: the first rule whose pattern matches the attempt (and
// whose `times` are not used up, and `until` not reached) gives the outcome; none: success. A run
// advances the clock by each attempt's waitMs before it and the outcome's durationMs after it.
// Patterns: objects match members (extra members allowed), arrays element-wise with equal length,
// {"$gte"|"$lte"|"$gt"|"$lt": n}, {"$absent": true}, {"$contains"|"$notContains": "text"} (several
// operators in one object must all hold), else equality.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';

import { loadReroute, root, wasmBytes } from './helpers.mjs';

const reroute = await loadReroute(wasmBytes());
const T0 = 1_700_000_000_000;
const dir = join(root, 'tests/fixtures/scenarios');

export function mismatches(actual, expected, path = '', out = []) {
  if (expected !== null && typeof expected === 'object' && !Array.isArray(expected)) {
    const ops = Object.keys(expected).filter((k) => k.startsWith('$'));
    if (ops.length) {
      for (const op of ops) {
        const want = expected[op];
        const ok = op === '$absent' ? (actual === undefined) === want
          : op === '$contains' ? typeof actual === 'string' && actual.includes(want)
            : op === '$notContains' ? typeof actual === 'string' && !actual.includes(want)
            : typeof actual !== 'number' ? false
              : op === '$gte' ? actual >= want : op === '$lte' ? actual <= want
                : op === '$gt' ? actual > want : op === '$lt' ? actual < want : false;
        if (!ok) out.push(`${path || '/'}: ${JSON.stringify(actual)} does not satisfy ${op} ${JSON.stringify(want)}`);
      }
      return out;
    }
    if (actual === null || typeof actual !== 'object' || Array.isArray(actual)) {
      out.push(`${path || '/'}: expected an object, got ${JSON.stringify(actual)}`);
      return out;
    }
    for (const [key, want] of Object.entries(expected)) mismatches(actual[key], want, `${path}/${key}`, out);
    return out;
  }
  if (Array.isArray(expected)) {
    if (!Array.isArray(actual) || actual.length !== expected.length) {
      out.push(`${path || '/'}: expected ${expected.length} items, got ${JSON.stringify(actual)}`);
      return out;
    }
    expected.forEach((want, i) => mismatches(actual[i], want, `${path}/${i}`, out));
    return out;
  }
  if (actual !== expected) out.push(`${path || '/'}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`);
  return out;
}

function replay(fixture) {
  const keys = {};
  for (const [env, key] of Object.entries(fixture.keys ?? {})) keys[env] = reroute.fingerprint(key);
  const loaded = reroute.createRouter(JSON.stringify(fixture.config), keys);
  assert.ok(loaded.ok, JSON.stringify(loaded.problems));
  const { router } = loaded;
  const { health } = reroute.createHealth();
  const requests = new Map();
  let now = T0;
  const seen = {};

  function run(spec) {
    const started = router.start(spec.request, now);
    assert.ok(started.ok, JSON.stringify(started.problems));
    const { attempts } = started;
    const used = new Map();
    const result = { attempts: [], final: undefined };
    for (let guard = 0; guard < 64; guard++) {
      const decision = attempts.next(health, now);
      if (decision.kind === 'final') {
        result.final = decision;
        result.trail = attempts.trail();
        attempts.free();
        return result;
      }
      now += decision.waitMs;
      result.attempts.push({ ...decision, at: now - T0 });
      let outcome = { kind: 'success' };
      for (const [i, rule] of (spec.upstream ?? []).entries()) {
        if (rule.until !== undefined && now - T0 >= rule.until) continue;
        if (rule.times !== undefined && (used.get(i) ?? 0) >= rule.times) continue;
        if (mismatches(decision, rule.match ?? {}).length) continue;
        used.set(i, (used.get(i) ?? 0) + 1);
        outcome = rule.outcome;
        break;
      }
      now += outcome.durationMs ?? 0;
      attempts.report(outcome, health, now);
    }
    assert.fail('the planner did not finish within 64 decisions');
  }

  for (const [index, step] of fixture.steps.entries()) {
    if (step.at !== undefined) now = T0 + step.at;
    if (step.advance !== undefined) now += step.advance;
    const name = step.as ?? step.on ?? 'main';
    if (step.request) {
      requests.get(name)?.attempts?.free();
      const started = router.start(step.request, now);
      seen.start = started;
      requests.set(name, { attempts: started.ok ? started.attempts : undefined });
    }
    if (step.next) {
      const r = requests.get(name);
      seen.decision = r.attempts.next(health, now, step.next.seed);
    }
    if (step.report) seen.report = requests.get(name).attempts.report(step.report, health, now);
    if (step.run) seen.run = run(step.run);
    if (step.repeat) {
      const { count, every, tally = [] } = step.repeat;
      const totals = { requests: 0, served: 0 };
      for (const t of tally) totals[t.name] = t.first ? null : 0;
      const start = now;
      for (let i = 0; i < count; i++) {
        now = start + i * every;
        const at = now - T0;
        const r = run(step.repeat.run);
        totals.requests++;
        if (r.final.ok) totals.served++;
        for (const t of tally) {
          if (t.first) {
            const last = r.attempts.at(-1);
            if (totals[t.name] === null && at >= (t.from ?? 0) && r.final.ok && !mismatches(last, t.match).length) totals[t.name] = at;
          } else {
            totals[t.name] += r.attempts.filter((a) => (t.until === undefined || a.at < t.until) && !mismatches(a, t.match).length).length;
          }
        }
      }
      seen.tally = totals;
    }
    if (step.expect) {
      const info = requests.get(name)?.attempts;
      const actual = { ...seen };
      if (step.expect.info) {
        actual.info = {
          attemptsMade: info.attemptsMade(), distinctTargetsTried: info.distinctTargetsTried(), finished: info.finished(),
          trail: info.trail(), continuation: info.continuation(), maxAttempts: info.maxAttempts(),
        };
      }
      const problems = mismatches(actual, step.expect);
      assert.deepEqual(problems, [], `step ${index}: ${problems.join('; ')}`);
    }
  }
  for (const r of requests.values()) r.attempts?.free();
  health.free();
  router.free();
}

const files = readdirSync(dir).filter((f) => f.endsWith('.json')).sort();
test('there are scenario fixtures', () => assert.ok(files.length >= 7));
for (const file of files) {
  const fixture = JSON.parse(readFileSync(join(dir, file), 'utf8'));
  test(`${file}: ${fixture.name}`, () => replay(fixture));
}
