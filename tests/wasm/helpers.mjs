// Shared by the module's JS tests: where the built package is, and loading it once.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = join(dirname(fileURLToPath(import.meta.url)), '../..');
export const pkg = process.env.REROUTE_PKG ?? join(root, 'build/wasm/pkg');
export const wasmPath = join(pkg, 'reroute_core.wasm');
export const { loadReroute } = await import(join(pkg, 'reroute.mjs'));
export const wasmBytes = () => readFileSync(wasmPath);
