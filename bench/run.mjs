// scripts/bench: the chat-error core's figures, native and WASM-from-JS, measured in one run and
// printed side by side with the reference figures and the targets of the issue.
// Usage: node bench/run.mjs NATIVE_BENCH_BINARY SHARED_DIR PKG_DIR [CHAT_ERRORS_PKG_DIR]
// CHAT_ERRORS_PKG_DIR: the module built with the chat-error bindings only (issue 2's scope).
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { gzipSync } from 'node:zlib';

const [nativeBinary, shared, pkg, chatErrorsPkg] = process.argv.slice(2);
if (!pkg) {
  console.error('usage: node bench/run.mjs NATIVE_BENCH_BINARY SHARED_DIR PKG_DIR');
  process.exit(2);
}

const ROUNDS = 7;
const ROUND_MS = 250;
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

// Median over rounds of operations per second; `batch` runs one pass and returns its op count.
function medianRate(batch) {
  batch();
  const rates = [];
  for (let r = 0; r < ROUNDS; r++) {
    let ops = 0;
    const start = performance.now();
    let elapsed;
    do {
      ops += batch();
      elapsed = performance.now() - start;
    } while (elapsed < ROUND_MS);
    rates.push((ops * 1000) / elapsed);
  }
  return median(rates);
}

const { loadReroute } = await import(pathToFileURL(resolve(pkg, 'reroute.mjs')).href);
const wasmBytes = readFileSync(join(pkg, 'reroute_core.wasm'));

// Instantiate + first call, from bytes already in memory (a fresh compile each time).
const startupMs = [];
for (let i = 0; i < 9; i++) {
  const t0 = performance.now();
  const api = await loadReroute(new Uint8Array(wasmBytes));
  api.classify({ status: 402 });
  startupMs.push(performance.now() - t0);
}

const reroute = await loadReroute(wasmBytes);
const vectors = JSON.parse(readFileSync(join(shared, 'conformance/chat-errors.json'), 'utf8')).vectors
  .filter((v) => v.op === 'classify')
  .map(({ input }) => ('error' in input ? input.error : 'text' in input ? input.text : input.value));
const providerErrors = JSON.parse(readFileSync(join(shared, 'bench/provider-errors.json'), 'utf8'));
const messageOf = (e) => (typeof e === 'string' ? e : typeof e?.message === 'string' ? e.message : '');
const over1k = providerErrors.filter((e) => messageOf(e).length > 1024);

let sink = 0;
const classifyRate = (inputs) =>
  medianRate(() => {
    for (const e of inputs) sink += reroute.classify(e).length;
    return inputs.length;
  });
const fields = {
  code: 'credit_exhausted', provider: 'openrouter', model: 'anthropic/claude-opus-4.8', tried: 3,
  raw: 'HTTP 402: This request requires more credits, or fewer max_tokens. You requested up to 4096 tokens.',
};
const wasm = {
  classify_vectors_per_s: classifyRate(vectors),
  classify_provider_errors_per_s: classifyRate(providerErrors),
  classify_over_1k_per_s: classifyRate(over1k),
  envelope_round_trips_per_s: medianRate(() => {
    for (let i = 0; i < 64; i++) sink += reroute.decodeEnvelope(reroute.encodeEnvelope(fields)).raw.length;
    return 64;
  }),
};
const native = JSON.parse(execFileSync(nativeBinary, [shared], { encoding: 'utf8' }));

const gz = (dir, file) => gzipSync(readFileSync(join(dir, file)), { level: 9 }).length;
// The loader: reroute.mjs, plus routing.mjs when the module has the routing bindings (reroute.mjs
// imports it only then).
async function hasRouting(dir) {
  const { loadReroute: load } = await import(pathToFileURL(resolve(dir, 'reroute.mjs')).href);
  return typeof (await load(readFileSync(join(dir, 'reroute_core.wasm')))).createRouter === 'function';
}
const moduleSizes = async (dir) => {
  const loader = gz(dir, 'reroute.mjs') + ((await hasRouting(dir)) ? gz(dir, 'routing.mjs') : 0);
  const sizes = { loader, glue: gz(dir, 'reroute_core.mjs'), wasm: gz(dir, 'reroute_core.wasm') };
  return { ...sizes, total: sizes.loader + sizes.glue + sizes.wasm };
};
const KiB = (n) => `${(n / 1024).toFixed(1)} KiB`;
const parts = (m) => `${KiB(m.loader)} + ${KiB(m.glue)} + ${KiB(m.wasm)}`;
const full = await moduleSizes(pkg);
const scoped = chatErrorsPkg ? await moduleSizes(chatErrorsPkg) : undefined;

// Reference: Tale's TypeScript implementation in Node 20 on this machine kind (issue #2).
const REF = { vectors: 1.5e6, providerErrors: 0.21e6, over1k: 28e3, roundTrips: 0.40e6 };
const M = (x) => `${(x / 1e6).toFixed(2)} M/s`;
const K = (x) => `${(x / 1e3).toFixed(0)} k/s`;
const ratio = (x, ref) => `${(x / ref).toFixed(1)}x`;
const check = (ok) => (ok ? 'ok' : 'MISSED');

const rows = [
  ['classify, public vector inputs', M(native.classify_vectors_per_s), M(wasm.classify_vectors_per_s), M(REF.vectors),
    'native >= 5 M/s', check(native.classify_vectors_per_s >= 5e6)],
  ['classify, provider-errors.json (200)', M(native.classify_provider_errors_per_s), `${M(wasm.classify_provider_errors_per_s)} (${ratio(wasm.classify_provider_errors_per_s, REF.providerErrors)})`,
    M(REF.providerErrors), 'native >= 1 M/s; wasm >= 2x ref',
    check(native.classify_provider_errors_per_s >= 1e6 && wasm.classify_provider_errors_per_s >= 2 * REF.providerErrors)],
  [`classify, messages > 1 KiB (${over1k.length})`, K(native.classify_over_1k_per_s), `${K(wasm.classify_over_1k_per_s)} (${ratio(wasm.classify_over_1k_per_s, REF.over1k)})`,
    K(REF.over1k), 'wasm >= 10x ref', check(wasm.classify_over_1k_per_s >= 10 * REF.over1k)],
  ['classify cost per byte, 64 KiB / 1 KiB', `${native.classify_64k_over_1k_per_byte.toFixed(2)}x (${native.classify_ns_per_byte_1k.toFixed(2)} / ${native.classify_ns_per_byte_64k.toFixed(2)} ns/B)`,
    '', '', '<= 2x', check(native.classify_64k_over_1k_per_byte <= 2)],
  ['envelope encode + decode', M(native.envelope_round_trips_per_s), `${M(wasm.envelope_round_trips_per_s)} (${ratio(wasm.envelope_round_trips_per_s, REF.roundTrips)})`,
    M(REF.roundTrips), 'native >= 3 M/s; wasm >= 1.5x ref',
    check(native.envelope_round_trips_per_s >= 3e6 && wasm.envelope_round_trips_per_s >= 1.5 * REF.roundTrips)],
  ...(scoped ? [['module, chat-error scope: gzip -9 loader + glue + wasm', KiB(scoped.total), parts(scoped), '', '<= 80 KiB',
    check(scoped.total <= 80 * 1024)]] : []),
  ['module, everything (routing, streams, reasoning too)', KiB(full.total), parts(full), '', '(issue 4: bundle <= 120 KiB)', ''],
  ['instantiate + first call (Node)', `${median(startupMs).toFixed(1)} ms`, '', '', '<= 20 ms', check(median(startupMs) <= 20)],
];

const header = ['figure', 'native', 'wasm from JS (x ref)', 'reference', 'target', ''];
const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i]).length)));
const line = (cells) => `| ${cells.map((c, i) => String(c).padEnd(widths[i])).join(' | ')} |`;
console.log(`medians of ${ROUNDS} rounds of ${ROUND_MS} ms; reference = Tale's TypeScript implementation in Node 20 (issue #2 figures)`);
console.log(line(header));
console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
for (const row of rows) console.log(line(row));
if (sink === -1) console.log(sink);
