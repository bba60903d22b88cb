// api.govern's direct path (wasm/bindings_reasoning_govern.cpp: JS writes the input and the learned
// states into linear memory) against the JSON facade path of the same step ("explain": true, the
// input as JSON text through the core's JSON reader): both must read every state alike, in the
// complete form the edge stores, partial, and broken in each way 5.5 names.
import test from 'node:test';
import assert from 'node:assert/strict';
import { loadReroute, wasmBytes } from './helpers.mjs';

const reroute = await loadReroute(wasmBytes());

function turn(cls, reasoning, output, retried) {
  return {
    class: cls, intensity: cls === 'hard' ? 0.8 : cls === 'medium' ? 0.5 : 0.2, budget_tokens: 8192,
    self_truncates: true, reasoning_tokens: reasoning, output_tokens: output, finish_reason: 'stop', retried,
    chosen_tier: 'medium',
  };
}
let complete = null;
for (let i = 0; i < 30; i++) {
  complete = reroute.recordOutcome({ state: complete, outcome: turn(['easy', 'medium', 'hard'][i % 3], 900 + 150 * (i % 11), 400, i % 7 === 0) });
}
const edit = (f) => { const s = structuredClone(complete); f(s); return s; };

const states = {
  complete,
  'absent': undefined,
  'null': null,
  // (25 intensities make the thresholds adaptive, so a partial state read as broken shows.)
  'partial: no buckets': { turns: 3, intensity: { count: 25, mean: 0.6, m2: 2 } },
  'partial: one bucket, some fields': { intensity: { count: 25 }, buckets: { hard: { count: 4, mean: 9000, m2: 4e6, last_tier: 'high' } } },
  'partial: last tier null': { intensity: { count: 25, mean: 0.6, m2: 2 }, buckets: { hard: { last_tier: null } } },
  'last tier null': edit((s) => { s.buckets.medium.last_tier = null; }),
  'last tier absent': edit((s) => { delete s.buckets.hard.last_tier; }),
  'unknown tier name': edit((s) => { s.buckets.easy.last_tier = 'extreme'; }),
  'tier as a number': edit((s) => { s.buckets.easy.last_tier = 2; }),
  'count as a string': edit((s) => { s.buckets.hard.count = '4'; }),
  'fractional count': edit((s) => { s.intensity.count = 2.5; }),
  'negative turns': edit((s) => { s.turns = -1; }),
  'negative m2': edit((s) => { s.buckets.medium.m2 = -1; }),
  'ema above 1': edit((s) => { s.buckets.hard.quality_ema = 1.5; }),
  'infinite mean': edit((s) => { s.buckets.hard.mean = Infinity; }),
  'NaN count': edit((s) => { s.buckets.easy.count = NaN; }),
  'ema below 0': edit((s) => { s.buckets.medium.wasteful_ema = -0.25; }),
  'intensity an array': edit((s) => { s.intensity = [1, 2, 3]; }),
  'bucket a string': edit((s) => { s.buckets.hard = 'hard'; }),
  'buckets null': edit((s) => { s.buckets = null; }),
  'state an array': [complete],
  'state a number': 7,
};

const request = { text: 'Can you debug this and refactor it?\n```js\nf(x[0]);\n```', history_message_count: 4 };
const capabilities = [{ knob: 'effort', supports_minimal: true }, { knob: 'budget', max_output_tokens: 64000 }];

// The facade's answer without what explain adds ("why" at the top and in the decision, "explain").
function facade(input) {
  const { why, explain, ...rest } = reroute.govern({ ...input, explain: true });
  assert.equal(typeof explain, 'string');
  if (rest.decision) {
    const { why: decisionWhy, ...decision } = rest.decision;
    rest.decision = decision;
  }
  return rest;
}

for (const [name, state] of Object.entries(states)) {
  test(`govern reads a learned state like the JSON reader does: ${name}`, () => {
    for (const capability of capabilities) {
      for (const input of [{ request, capability, thread: state, profile: complete }, { request, capability, thread: null, profile: state }]) {
        assert.deepEqual(reroute.govern(input), facade(input));
      }
    }
  });
}

test('a broken state is no state, a complete one counts (so the cases above can tell them apart)', () => {
  const input = (thread) => ({ request, capability: capabilities[1], thread, profile: null });
  assert.deepEqual(reroute.govern(input(states['negative m2'])), reroute.govern(input(null)));
  assert.notDeepEqual(reroute.govern(input(complete)), reroute.govern(input(null)));
});

test('govern after the states changed shape reads the new ones (nothing is carried over between calls)', () => {
  const input = (thread) => ({ request, capability: capabilities[1], thread, profile: null });
  const first = reroute.govern(input(complete));
  assert.deepEqual(reroute.govern(input(states['partial: no buckets'])), facade(input(states['partial: no buckets'])));
  assert.deepEqual(reroute.govern(input(complete)), first);
});

test('messages of every length and script reach the core as UTF-8', () => {
  for (const text of ['', 'hi', 'thanks!', 'é', '日本語で説明して', '🙂'.repeat(40), 'a'.repeat(64), 'a'.repeat(65) + 'ü', 'x'.repeat(5000)]) {
    const input = { request: { text }, capability: capabilities[0] };
    assert.deepEqual(reroute.govern(input), facade(input), JSON.stringify(text.slice(0, 20)));
  }
});

test('input that is not an object, or fields of the wrong type, read as absent', () => {
  for (const input of [undefined, null, 42, 'x', [], { request: 'x' }, { request: { text: 5, tokens: 'many' }, capability: 'effort' }]) {
    assert.deepEqual(reroute.govern(input), reroute.govern({}));
  }
});
