// The composer page's start-up figures in Chromium (issue 5's targets):
//   interactive: ms from navigation start until the page is usable (the WASM core instantiated,
//     <html data-ready> set; the page marks it as performance mark `reroute:ready`), median of
//     cold loads (a fresh browser context each: empty HTTP cache) and of warm reloads;
//   bytes: every script, WASM and stylesheet the page loaded, raw and gzip -9, with the
//     JS + WASM gzip total against the 150 KiB target.
// Serves build/wasm/site (what the gateway serves at `/`: web/ and the module, scripts minified)
// or measures a running gateway with --url (e.g. scripts/run's http://127.0.0.1:8787).
// Prints one JSON document.
// Usage: node bench/page-bench.mjs [--loads N] [--url URL]
import { chromium } from '@playwright/test';
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import { dirname, extname, join, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : dflt;
};
const LOADS = Number(opt('loads', '15'));
const TARGET_MS = 300;
const TARGET_KIB = 150;

const TYPES = { '.html': 'text/html; charset=utf-8', '.mjs': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8', '.wasm': 'application/wasm' };
const PKG_FILES = new Set(['reroute.mjs', 'routing.mjs', 'reroute_core.mjs', 'reroute_core.wasm']);

async function startStatic() {
  const server = createServer(async (req, res) => {
    const path = new URL(req.url, 'http://x').pathname;
    if (path === '/v1/models') {
      return res.writeHead(200, { 'content-type': 'application/json' }).end('{"object":"list","data":[{"id":"demo","object":"model"}]}');
    }
    const name = path === '/' ? 'index.html' : normalize(path).replace(/^\/+/, '');
    if (name.includes('..')) return res.writeHead(404).end();
    try {
      const file = join(ROOT, 'build/wasm/site', name); // the site the edge serves (scripts/build)
      const body = await readFile(file);
      res.writeHead(200, { 'content-type': TYPES[extname(name)] ?? 'application/octet-stream', 'cache-control': 'no-cache' }).end(body);
    } catch {
      res.writeHead(404).end();
    }
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${server.address().port}`, close: () => new Promise((r) => server.close(r)) };
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const round = (x) => Math.round(x * 10) / 10;

async function readyAt(page) {
  await page.waitForFunction(() => document.documentElement.dataset.ready === 'true', null, { timeout: 10_000 });
  return page.evaluate(() => {
    const mark = performance.getEntriesByName('reroute:ready')[0];
    const nav = performance.getEntriesByType('navigation')[0];
    return { ready: mark.startTime, domContentLoaded: nav.domContentLoadedEventEnd, load: nav.loadEventEnd };
  });
}

const given = opt('url');
const server = given ? null : await startStatic();
const base = given ?? server.url;
const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
    '--disable-sync', '--no-first-run', '--disable-quic'],
});

try {
  // Bytes: what one load fetched.
  const sizes = [];
  {
    const context = await browser.newContext();
    const page = await context.newPage();
    page.on('response', async (res) => {
      const path = new URL(res.url()).pathname;
      const ext = extname(path);
      if (!['.mjs', '.js', '.wasm', '.css'].includes(ext)) return;
      try {
        const body = await res.body();
        sizes.push({ path, kind: ext === '.css' ? 'css' : ext === '.wasm' ? 'wasm' : 'js', raw: body.length, gzip: gzipSync(body, { level: 9 }).length });
      } catch { /* a redirect or aborted response has no body */ }
    });
    await page.goto(`${base}/`);
    await readyAt(page);
    await page.waitForLoadState('networkidle');
    await context.close();
  }
  sizes.sort((a, b) => a.path.localeCompare(b.path));

  // Cold loads (fresh context each), then warm reloads in one context.
  const cold = [];
  for (let i = 0; i < LOADS; i++) {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${base}/`);
    cold.push(await readyAt(page));
    await context.close();
  }
  const warm = [];
  {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${base}/`);
    await readyAt(page);
    for (let i = 0; i < LOADS; i++) {
      await page.reload();
      warm.push(await readyAt(page));
    }
    await context.close();
  }

  const sum = (kinds, field) => sizes.filter((s) => kinds.includes(s.kind)).reduce((n, s) => n + s[field], 0);
  const jsWasmGzip = sum(['js', 'wasm'], 'gzip');
  const result = {
    url: base,
    server: given ? 'given' : 'static (build/wasm/site)',
    loads: LOADS,
    interactive_ms: {
      cold_median: round(median(cold.map((r) => r.ready))),
      cold_max: round(Math.max(...cold.map((r) => r.ready))),
      warm_median: round(median(warm.map((r) => r.ready))),
      dom_content_loaded_cold_median: round(median(cold.map((r) => r.domContentLoaded))),
      target: TARGET_MS,
      ok: median(cold.map((r) => r.ready)) <= TARGET_MS,
    },
    bytes: {
      files: sizes,
      js_gzip: sum(['js'], 'gzip'),
      wasm_gzip: sum(['wasm'], 'gzip'),
      css_gzip: sum(['css'], 'gzip'),
      js_wasm_gzip: jsWasmGzip,
      js_wasm_gzip_kib: round(jsWasmGzip / 1024),
      web_only_js_gzip_kib: round(sizes.filter((s) => s.kind === 'js' && !PKG_FILES.has(s.path.slice(1))).reduce((n, s) => n + s.gzip, 0) / 1024),
      target_kib: TARGET_KIB,
      ok: jsWasmGzip <= TARGET_KIB * 1024,
    },
  };
  console.log(JSON.stringify(result, null, 2));
} finally {
  await browser.close();
  await server?.close();
}
