// The loader accepts every documented source and fails clearly on a bad one.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { pathToFileURL } from 'node:url';

import { loadReroute, wasmBytes, wasmPath } from './helpers.mjs';

const works = (api) => assert.equal(api.classify({ status: 402 }), 'credit_exhausted');

test('loads from bytes (Uint8Array)', async () => works(await loadReroute(wasmBytes())));

test('loads from an ArrayBuffer', async () => {
  const bytes = wasmBytes();
  works(await loadReroute(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength)));
});

test('loads from a compiled WebAssembly.Module', async () => {
  works(await loadReroute(await WebAssembly.compile(wasmBytes())));
});

test('loads from a file URL and from the default location', async () => {
  works(await loadReroute(pathToFileURL(wasmPath)));
  works(await loadReroute());
});

test('loads from a Response and from a promise of bytes', async () => {
  works(await loadReroute(new Response(wasmBytes())));
  works(await loadReroute(Promise.resolve(wasmBytes())));
});

test('two instances are independent', async () => {
  const [a, b] = await Promise.all([loadReroute(wasmBytes()), loadReroute(wasmBytes())]);
  assert.notEqual(a, b);
  works(a);
  works(b);
});

test('bytes that are not WebAssembly reject with an error', async () => {
  await assert.rejects(loadReroute(new Uint8Array([1, 2, 3, 4])), WebAssembly.CompileError);
});

test('a failed HTTP response rejects naming the status', async () => {
  await assert.rejects(loadReroute(new Response('nope', { status: 404 })), /HTTP 404/);
});
