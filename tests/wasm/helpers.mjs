// Shared by the module's JS tests: where the built package is, and loading it once.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = join(dirname(fileURLToPath(import.meta.url)), '../..');
export const pkg = process.env.REROUTE_PKG ?? join(root, 'build/wasm/pkg');
export const wasmPath = join(pkg, 'reroute_core.wasm');
export const { loadReroute } = await import(join(pkg, 'reroute.mjs'));
export const wasmBytes = () => readFileSync(wasmPath);

/** A seeded generator: random(n) is an integer in [0, n), the same sequence every run. */
export function seededRandom(seed) {
  return (n) => {
    seed = (seed * 1103515245 + 12345) >>> 0;
    return seed % n;
  };
}

/**
 * A random JS value for robustness sweeps: absent values, odd numbers, `texts` as strings and as
 * bytes, BigInt, Symbol, arrays, and objects with members named from `keys`; each of `extras`
 * (handles, say) now and then.
 */
export function randomValue(random, { texts, keys, extras = [] }, depth = 0) {
  const pick = (list) => list[random(list.length)];
  switch (random(depth > 2 ? 9 : 11 + (extras.length ? 1 : 0))) {
    case 0: return undefined;
    case 1: return null;
    case 2: return random(2) === 0;
    case 3: return pick([0, -1, 1.5, NaN, Infinity, -0, 2 ** 53, 1e308, 1_700_000_000_000, 429, 503]);
    case 4: case 5: return pick(texts);
    case 6: return new TextEncoder().encode(pick(texts));
    case 7: return 10n;
    case 8: return Symbol('s');
    case 9: return Array.from({ length: random(4) }, () => randomValue(random, { texts, keys, extras }, depth + 1));
    case 10: return Object.fromEntries(Array.from({ length: random(6) }, () => [pick(keys), randomValue(random, { texts, keys, extras }, depth + 1)]));
    default: return pick(extras);
  }
}
