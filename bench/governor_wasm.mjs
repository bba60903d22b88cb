// Governor benchmark through WebAssembly (issue 6, section 4), two figures:
// - the JS API: the same governor step as bench/governor_bench.cpp (signals -> prior with the
//   seed -> thresholds -> controller -> wire on a 330-character message with learned thread and
//   profile state), called from JS the way the edge calls it: reroute.govern({...}) with plain
//   objects in and out, the two learned states read from JS objects on every call ("new states":
//   a fresh copy of both states each call, as the edge's thread state is);
// - the core alone in WebAssembly: bench/governor_bench.cpp itself compiled with em++ (same
//   flags as the module's hot sources) and run in Node, so that native and WASM time the same
//   typed step. Skipped when em++ is not installed.
// p50 in ns per step over batches. Prints one line per figure, then a JSON summary on the last line.
//
//   scripts/build --wasm && node bench/governor_wasm.mjs [build/wasm/pkg] [batches]
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const pkg = resolve(process.argv[2] ?? join(here, '../build/wasm/pkg'));
const batches = Math.max(10, Number(process.argv[3] ?? 2000));
const perBatch = 50;

const { loadReroute } = await import(pathToFileURL(join(pkg, 'reroute.mjs')).href);
const reroute = await loadReroute(readFileSync(join(pkg, 'reroute_core.wasm')));

const MESSAGE =
  "Can you debug this function? It throws when I call it with an empty list, and I'd like to refactor it so " +
  'that it is easier to read.\n```js\nfunction firstDoubled(xs) {\n  return xs[0].map((y) => y * 2);\n}\n```\n' +
  "TypeError: Cannot read properties of undefined (reading 'map')\n    at firstDoubled (/src/util.js:2:16)";
const SHORT = 'and what about the other one?';
const CLASSES = ['easy', 'medium', 'hard'];

// The same learned state as the native bench: 6 thread turns, 40 profile turns.
function turn(cls, reasoning, output, retried) {
  return {
    class: cls, intensity: cls === 'hard' ? 0.8 : cls === 'medium' ? 0.5 : 0.2, budget_tokens: 8192,
    self_truncates: true, reasoning_tokens: reasoning, output_tokens: output, finish_reason: 'stop', retried,
    chosen_tier: 'medium',
  };
}
let thread = null;
for (let i = 0; i < 6; i++) thread = reroute.recordOutcome({ state: thread, outcome: turn(CLASSES[i % 3], 1500 + 400 * i, 600, i === 3) });
let profile = null;
for (let i = 0; i < 40; i++) {
  profile = reroute.recordOutcome({
    state: profile, outcome: turn(CLASSES[i % 3], 900 + 150 * (i % 11), 400 + 50 * (i % 5), i % 9 === 0),
  });
}

const effort = {
  request: { text: MESSAGE, history_message_count: 4 }, seed: { effort: 'high' },
  capability: { knob: 'effort', supports_minimal: true }, thread, profile,
};
const budget = { ...effort, capability: { knob: 'budget', max_output_tokens: 64000 } };
const shortTurn = { ...effort, request: { text: SHORT, history_message_count: 4 } };

// Copies of the two states, taken in turn: no call sees the objects of the call before.
const unseen = Array.from({ length: 64 }, () => ({ thread: structuredClone(thread), profile: structuredClone(profile) }));
let next = 0;

let sink = 0;
function measure(name, fn) {
  for (let i = 0; i < perBatch * 20; i++) fn();
  const ns = [];
  for (let b = 0; b < batches; b++) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < perBatch; i++) fn();
    ns.push(Number(process.hrtime.bigint() - t0) / perBatch);
  }
  ns.sort((a, b) => a - b);
  const p50 = ns[Math.floor(ns.length / 2)];
  const p90 = ns[Math.floor(ns.length * 0.9)];
  console.log(`${name.padEnd(44)} p50 ${p50.toFixed(1).padStart(8)} ns   p90 ${p90.toFixed(1).padStart(8)} ns`);
  return p50;
}

const figures = {
  govern_effort_p50: measure('govern (effort model, 330-char message)', () => { sink += reroute.govern(effort).decision.budget; }),
  govern_budget_p50: measure('govern (budget model, 330-char message)', () => { sink += reroute.govern(budget).decision.budget; }),
  govern_short_p50: measure('govern (effort model, short follow-up)', () => { sink += reroute.govern(shortTurn).decision.budget; }),
  govern_effort_new_states_p50: measure('govern (effort model, 330 chars, new states)', () => {
    sink += reroute.govern({ ...effort, ...unseen[(next = (next + 1) % unseen.length)] }).decision.budget;
  }),
  signals_json_p50: measure('  signals alone (JSON facade path)', () => { sink += reroute.reasoningSignals({ text: MESSAGE }).tokens; }),
};

// The typed core step compiled to WebAssembly (no JS boundary inside the timed loop).
const root = resolve(here, '..');
const out = join(root, 'build/bench-wasm/governor_bench.cjs');
const sources = ['bench/governor_bench.cpp', ...['reasoning', 'reasoning_signals', 'reasoning_state', 'governor',
  'governor_learn', 'governor_explain', 'reasoning_json', 'auto_router', 'json', 'text'].map((name) => `core/src/${name}.cpp`)];
const headers = ['reasoning', 'reasoning_signals', 'governor', 'reasoning_json', 'auto_router', 'json', 'text']
  .map((name) => `core/include/reroute/${name}.hpp`).concat(['core/src/reasoning_text.hpp']);
// Rebuilt when a source, a header or this file (its flags) is newer than the build.
const newest = Math.max(statSync(fileURLToPath(import.meta.url)).mtimeMs, ...[...sources, ...headers].map((f) => statSync(join(root, f)).mtimeMs));
let core = null;
try {
  if (!existsSync(out) || statSync(out).mtimeMs < newest) {
    mkdirSync(dirname(out), { recursive: true });
    // The module's flags: -O2 with link-time optimisation, and the text scan -O3 outside it (wasm/CMakeLists.txt).
    const emxx = (args) => execFileSync('em++', ['-std=c++20', '-DNDEBUG', '-ffp-contract=off', '-flto', '-I', join(root, 'core/include'), ...args],
      { stdio: ['ignore', 'ignore', 'inherit'], env: { ...process.env, NODE_PATH: '/usr/share/nodejs' } });
    const scanObject = join(dirname(out), 'reasoning_signals.o');
    emxx(['-O3', '-fno-lto', '-c', join(root, 'core/src/reasoning_signals.cpp'), '-o', scanObject]);
    emxx(['-O2', ...sources.filter((f) => !f.endsWith('reasoning_signals.cpp')).map((f) => join(root, f)), scanObject,
      '-sENVIRONMENT=node', '-sSINGLE_FILE=1', '-sALLOW_MEMORY_GROWTH=1', '-o', out]);
  }
  const lines = execFileSync('node', [out, String(batches)], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] })
    .trim().split('\n');
  for (const line of lines.slice(0, -1)) console.log(`core in wasm: ${line}`);
  core = JSON.parse(lines.at(-1));
} catch (e) {
  console.log(`core in wasm: skipped (${e.code === 'ENOENT' ? 'em++ not found' : e.message.split('\n')[0]})`);
}
if (core) {
  figures.core_govern_effort_p50 = core.govern_effort_p50;
  figures.core_govern_budget_p50 = core.govern_budget_p50;
  figures.core_govern_short_p50 = core.govern_short_p50;
  figures.core_signals_p50 = core.signals_p50;
}
console.log(JSON.stringify({ bench: 'governor_wasm', unit: 'ns', batches, per_batch: perBatch, ...figures, sink: sink > 0 }));
