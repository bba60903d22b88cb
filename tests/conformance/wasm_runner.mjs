// Runs conformance vector files through the WASM module in Node, exactly as the native runner
// does through the native core. Prints failing vectors with expected vs actual and one summary
// line "wasm: N passed, N failed"; exits 1 on any failure.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isDeepStrictEqual } from 'node:util';

const here = dirname(fileURLToPath(import.meta.url));
const pkg = process.env.REROUTE_PKG ?? join(here, '../../build/wasm/pkg');
const { loadReroute } = await import(join(pkg, 'reroute.mjs'));
const reroute = await loadReroute(readFileSync(join(pkg, 'reroute_core.wasm')));

// A classify input is {"error": x}, {"text": s} or {"value": v}; "value" absent means undefined.
const errorOf = (input) => ('error' in input ? input.error : 'text' in input ? input.text : input.value);

const ops = {
  classify: (i) => ({ code: reroute.classify(errorOf(i)) }),
  failure_scope: (i) => ({ scope: reroute.failureScope(errorOf(i)) }),
  retire: (i) => ({ retires: reroute.retirement(i.code) }),
  scope_keys: (i) => {
    const { credential, endpoint } = reroute.scopeKeys(i);
    return { credential, endpoint };
  },
  encode: (i) => ({ envelope: reroute.encodeEnvelope(i) }),
  decode: (i) => reroute.decodeEnvelope(i.envelope),
  sanitize: (i) => reroute.sanitize(i.error),
  rest_projection: (i) => reroute.restProjection(i.stored),
  hint: (i) => reroute.hint(i),
  notice_format: (i) => ({ content: reroute.formatNotice(i) }),
  notice_parse: (i) => {
    const notice = reroute.parseNotice(i.content);
    return notice ? { tag: 'MODEL_FALLBACK', ...notice } : {};
  },
  notice_text: (i) => ({ text: reroute.noticeText(i) }),
  auto_switch: (i) => reroute.autoSwitch(i),
  // reasoning.json (reasoning.md section 7): the Auto router and the governor
  route_parse: (i) => reroute.parseClassifierReply(i),
  route: (i) => reroute.autoRoute(i),
  cache_key: (i) => reroute.routeCacheKey(i),
  candidates_hash: (i) => reroute.candidatesHash(i),
  cache_read: (i) => reroute.routeCacheRead(i),
  cache_upsert: (i) => reroute.routeCacheUpsert(i),
  cache_override: (i) => reroute.routeCacheOverride(i),
  cache_purge: (i) => reroute.routeCachePurge(i),
  signals: (i) => reroute.reasoningSignals(i),
  prior: (i) => reroute.reasoningPrior(i),
  thresholds: (i) => reroute.reasoningThresholds(i),
  tier_of: (i) => reroute.tierOf(i),
  record: (i) => reroute.recordOutcome(i),
  decide: (i) => reroute.decideTier(i),
  replay: (i) => {
    const fold = (outcomes) => (Array.isArray(outcomes) && outcomes.length
      ? outcomes.reduce((state, outcome) => reroute.recordOutcome({ state, outcome }), null) : null);
    return reroute.decideTier({ ...i, thread: fold(i.thread_outcomes), profile: fold(i.profile_outcomes) });
  },
  wire: (i) => reroute.wireReasoning(i),
  govern: (i) => reroute.govern(i),
};

// Numbers compare by value, member order is irrelevant, absent must stay absent.
const canonical = (v) =>
  Array.isArray(v) ? v.map(canonical)
  : v && typeof v === 'object' ? Object.fromEntries(Object.keys(v).sort().map((k) => [k, canonical(v[k])]))
  : v;

const files = process.argv.slice(2);
if (files.length === 0) {
  console.error('usage: node wasm_runner.mjs FILE...');
  process.exit(2);
}
let passed = 0, failed = 0, unreadable = false;
for (const file of files) {
  let vectors;
  try {
    vectors = JSON.parse(readFileSync(file, 'utf8')).vectors;
    if (!Array.isArray(vectors)) throw new Error('expected an object with a "vectors" array');
  } catch (e) {
    console.error(`${file}: not a vector file (${e.message})`);
    unreadable = true;
    continue;
  }
  for (const v of vectors) {
    const name = typeof v?.id === 'string' ? v.id : '(vector without id)';
    let actual, error;
    try {
      const run = ops[v?.op];
      if (!run) throw new Error(`unknown op "${v?.op}"`);
      if (!v.input || typeof v.input !== 'object' || !('expect' in v)) throw new Error('malformed vector');
      actual = run(v.input);
    } catch (e) {
      error = e.message;
    }
    if (error === undefined && isDeepStrictEqual(canonical(actual), canonical(v.expect))) {
      passed++;
    } else {
      failed++;
      console.log(`FAIL ${name}\n  expected: ${JSON.stringify(v.expect)}\n  actual:   ${error ?? JSON.stringify(actual)}`);
    }
  }
}
console.log(`wasm: ${passed} passed, ${failed} failed`);
process.exit(failed || unreadable ? 1 : 0);
