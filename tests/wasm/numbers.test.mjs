// Numbers through the module's JSON reader and writer (core/src/json.cpp; in WebAssembly the
// host's Number reads them and gives their shortest digits): every finite double that goes in as
// JSON text comes back as the same double, whatever its size.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { loadReroute, seededRandom, wasmBytes } from './helpers.mjs';

const reroute = await loadReroute(wasmBytes());

// A complete learned state whose bucket means (any finite number) are the values under test.
function stateWith(means) {
  const bucket = (mean) => ({ count: 3, mean, m2: 1, under_ema: 0, wasteful_ema: 0, quality_ema: 1, last_tier: null });
  return {
    turns: 3, intensity: { count: 3, mean: 0.5, m2: 0.1 },
    buckets: { easy: bucket(means[0]), medium: bucket(means[1]), hard: bucket(means[2]) },
  };
}

/** Doubles of every kind: random bit patterns, near powers of ten and two, subnormals, integers past 2^53. */
function samples() {
  const out = [0, 1, -1, 0.1, 0.2 + 0.1, 1 / 3, 5e-324, 2.2250738585072014e-308, 1.7976931348623157e308, 9007199254740993, 2 ** 60, 123456.789e-20];
  const view = new DataView(new ArrayBuffer(8));
  const random = seededRandom(0x12345678);
  const next = () => random(2 ** 32); // a whole 32-bit word
  while (out.length < 3000) {
    view.setUint32(0, next());
    view.setUint32(4, next());
    const d = view.getFloat64(0);
    if (Number.isFinite(d)) out.push(d);
    const k = next() % 600 - 300;
    out.push(Number(`${next() % 100000}e${k}`), 2 ** (k % 1000) * (1 + (next() % 1000) / 1000));
  }
  return out.filter(Number.isFinite);
}

test('every finite double read from JSON text is written back as the same double', () => {
  const values = samples();
  let checked = 0;
  for (let i = 0; i + 2 < values.length; i += 3) {
    const means = values.slice(i, i + 3);
    const state = reroute.reasoningState({ state: stateWith(means) });
    assert.ok(state, `state with means ${means.join(', ')} read as invalid`);
    assert.deepEqual([state.buckets.easy.mean, state.buckets.medium.mean, state.buckets.hard.mean], means);
    checked += 3;
  }
  assert.ok(checked >= 3000);
});
