// The same module imported by a page in Chromium decodes an envelope.
import { expect, test } from '@playwright/test';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '../..');
const files = {
  '/': [join(root, 'tests/browser/module-page.html'), 'text/html'],
  '/reroute.mjs': [join(root, 'build/wasm/pkg/reroute.mjs'), 'text/javascript'],
  '/routing.mjs': [join(root, 'build/wasm/pkg/routing.mjs'), 'text/javascript'],
  '/reroute_core.mjs': [join(root, 'build/wasm/pkg/reroute_core.mjs'), 'text/javascript'],
  '/reroute_core.wasm': [join(root, 'build/wasm/pkg/reroute_core.wasm'), 'application/wasm'],
};

let server;
let base;
test.beforeAll(async () => {
  server = createServer((req, res) => {
    const file = files[new URL(req.url, 'http://x').pathname];
    if (!file) return res.writeHead(404).end();
    res.writeHead(200, { 'content-type': file[1] }).end(readFileSync(file[0]));
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${server.address().port}`;
});
test.afterAll(() => server?.close());

test('a page imports the module and decodes an envelope', async ({ page }) => {
  await page.goto(`${base}/`);
  await expect(page.locator('#status')).toHaveText('ready');
  await expect(page.locator('#code')).toHaveText('credit_exhausted');
  await expect(page.locator('#hint')).toHaveText('OpenRouter n\'a plus de crédits. Contacte ton administrateur pour ajouter des crédits ou changer de fournisseur.');
  await expect(page.locator('#raw')).toHaveText('HTTP 402: requires more credits');
});
