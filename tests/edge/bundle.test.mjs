// The worker as Cloudflare runs it: wrangler bundles edge/src and the module's loader into one
// module and minifies it with esbuild (edge/wrangler.toml: minify = true; wrangler keeps names),
// the .wasm beside it. Built here the same way, that bundle serves answers, streams and final
// failures in workerd exactly as the sources do.
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';

import { build } from 'esbuild';

import { ROOT } from '../../edge/src/config-gen.mjs';
import { FULL_ANSWER, chat, model, request, startGateway, streamText, testConfig } from './helpers.mjs';

test('the minified one-module bundle serves an answer, a stream and a final failure', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'reroute-bundle-'));
  await build({
    entryPoints: [join(ROOT, 'edge/src/worker.mjs')],
    outfile: join(dir, 'worker.mjs'),
    bundle: true, minify: true, keepNames: true, format: 'esm', logLevel: 'warning',
    // Modules the runtime provides, and the .wasm (its own module, as wrangler uploads it).
    external: ['cloudflare:*', '*.wasm'],
  });
  assert.deepEqual(readdirSync(dir), ['worker.mjs']);
  const sources = readdirSync(join(ROOT, 'edge/src')).reduce((n, f) => n + statSync(join(ROOT, 'edge/src', f)).size, 0);
  assert.ok(!readFileSync(join(dir, 'worker.mjs'), 'utf8').includes('\n// '), 'comments are gone');
  assert.ok(statSync(join(dir, 'worker.mjs')).size < sources, 'smaller than edge/src alone, with the loader inside');

  const gw = await startGateway(t, (url) => testConfig(url, {
    models: [model('mock', 'healthy@bundle'), model('mock', '503@bundle')],
    routes: [
      { name: 'ok', targets: [{ provider: 'mock', model: 'healthy@bundle' }] },
      { name: 'down', targets: [{ provider: 'mock', model: '503@bundle' }] },
    ],
  }), { srcDir: dir });

  const answer = await request(gw.url, { body: chat('ok') });
  assert.equal(answer.status, 200);
  assert.equal(answer.json.choices[0].message.content, FULL_ANSWER);
  assert.equal(answer.headers['x-reroute-attempts'], '1');

  const stream = await request(gw.url, { body: chat('ok', { stream: true }) });
  assert.equal(stream.status, 200);
  assert.equal(streamText(stream.frames), FULL_ANSWER);
  assert.ok(stream.done);

  const failure = await request(gw.url, { body: chat('down', { reroute: { disable_fallbacks: true } }) });
  assert.equal(failure.status, 502);
  assert.equal(failure.json.error.code, 'provider_error');
  assert.match(failure.json.error.envelope, /^TALE_ERR1 /);
});
