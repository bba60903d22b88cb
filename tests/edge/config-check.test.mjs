// scripts/edge checks the routing config with the core before it starts workerd: a config with
// mistakes is refused with every problem on its own line (JSON path, found, expected), and the
// process exits 2 without serving anything.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';

const ROOT = join(import.meta.dirname, '../..');

function serve(doc) {
  const dir = mkdtempSync(join(tmpdir(), 'reroute-config-check-'));
  const path = join(dir, 'config.json');
  writeFileSync(path, typeof doc === 'string' ? doc : JSON.stringify(doc));
  return spawnSync(process.execPath, [join(ROOT, 'edge/src/config-gen.mjs'), 'serve', '--config', path, '--port', '0', '--out', dir], {
    encoding: 'utf8', timeout: 30000, env: { ...process.env },
  });
}

test('a config with mistakes is refused with each problem and its JSON path, exit status 2', () => {
  const r = serve({
    providers: [{ id: 'p', base_url: 'https://api.example.com/v1', credentials: [{ env: 'P_KEY' }] }],
    models: [{ provider: 'p', id: 'm', context_window: 1000, max_output_tokens: 2000 }],
    routes: [{ name: 'chat', targets: [{ provider: 'p', model: 'nope' }] }],
    utility_model: 'missing',
  });
  assert.equal(r.status, 2, r.stderr);
  assert.match(r.stderr, /the routing config has 3 problems/);
  assert.match(r.stderr, /config\.range at \/models\/0\/max_output_tokens/);
  assert.match(r.stderr, /config\.reference at \/routes\/0\/targets\/0\/model: found "nope"/);
  assert.match(r.stderr, /config\.reference at \/utility_model/);
  assert.doesNotMatch(r.stdout, /listening/);
});

test('text that is not JSON is refused with its line and column', () => {
  const r = serve('{"providers": [}');
  assert.equal(r.status, 2, r.stderr);
  assert.match(r.stderr, /config\.syntax .*line 1, column 16/);
});

test('the local workerd config runs with the compatibility date and flags of edge/wrangler.toml', async () => {
  const { COMPATIBILITY_DATE, COMPATIBILITY_FLAGS } = await import('../../edge/src/config-gen.mjs');
  const toml = readFileSync(join(ROOT, 'edge/wrangler.toml'), 'utf8');
  assert.equal(toml.match(/^compatibility_date = "([^"]*)"/m)?.[1], COMPATIBILITY_DATE);
  assert.deepEqual(JSON.parse(toml.match(/^compatibility_flags = (\[.*\])$/m)?.[1] ?? 'null'), COMPATIBILITY_FLAGS);
});
