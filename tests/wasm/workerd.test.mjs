// The same module loads in workerd (the edge runtime) from an embedded WebAssembly.Module.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { test } from 'node:test';

import { root } from './helpers.mjs';

const freePort = () =>
  new Promise((resolve, reject) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });

async function waitForServer(url, child, deadlineMs) {
  const start = Date.now();
  while (Date.now() - start < deadlineMs) {
    if (child.exitCode !== null) throw new Error(`workerd exited with ${child.exitCode}`);
    try {
      return await fetch(url, { method: 'POST', body: '' });
    } catch {
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  throw new Error('workerd did not start in time');
}

test('workerd decodes an envelope with the embedded module', async (t) => {
  const port = await freePort();
  const workerd = join(root, 'node_modules/.bin/workerd');
  const config = join(root, 'tests/wasm/smoke-workerd.capnp');
  const child = spawn(workerd, ['serve', config, '--socket-addr', `http=127.0.0.1:${port}`], { stdio: ['ignore', 'inherit', 'inherit'] });
  t.after(() => child.kill('SIGTERM'));
  const url = `http://127.0.0.1:${port}/`;
  await waitForServer(url, child, 15000);

  const stored = 'TALE_ERR1 %7B%22code%22%3A%22credit_exhausted%22%2C%22provider%22%3A%22OpenRouter%22%2C%22tried%22%3A2%7D\nHTTP 402: requires more credits';
  const response = await fetch(url, { method: 'POST', body: stored });
  assert.equal(response.status, 200);
  const body = await response.json();
  assert.deepEqual(body.decoded, { code: 'credit_exhausted', provider: 'OpenRouter', triedCount: 2, raw: 'HTTP 402: requires more credits' });
  assert.deepEqual(body.sanitized, {
    code: 'credit_exhausted', i18nKey: 'errorHintCreditExhaustedNamed', params: { provider: 'OpenRouter' },
    triedCount: 2, rawMessage: 'HTTP 402: requires more credits',
  });
});
