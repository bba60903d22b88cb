#!/usr/bin/env node
// Edge gateway benchmark (issue 4 section 5): reroute vs a bare pass-through worker in the same
// workerd run, both in front of the mock provider on loopback.
//   - added latency, sequential non-streaming requests (p50/p99; direct calls to the mock as the floor)
//   - CPU per request: workerd's process CPU time (utime+stime) over a block of requests / requests
//   - throughput at 32 connections (requests/s)
//   - time to first streamed content (first chunk with text), p50/p99
//   - bundle size as `wrangler deploy --dry-run` reports it (bench/wrangler holds the install)
//   - `model: "auto"` on a route-cache hit vs the fixed route, p50 (issue 6 section 4: <= 0.2 ms)
//   - CPU per request for a long conversation (200 messages, about 97 KiB) and for a streamed answer
// Usage: node bench/edge-bench.mjs [--requests N] [--seconds S] [--json] [--src DIR]
//   --src: run the gateway from an edited copy of edge/src (A/B runs)
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { gzipSync } from 'node:zlib';

import { ROOT, startEdge } from '../edge/src/config-gen.mjs';
import { longChatBody } from './long-conversation.mjs';

const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : dflt;
};
const REQUESTS = Number(opt('requests', '2000'));
const SECONDS = Number(opt('seconds', '5'));
const CONNECTIONS = 32;
const JSON_OUT = args.includes('--json');
const SRC_DIR = opt('src');
const log = (...a) => { if (!JSON_OUT) console.error(...a); };

const BODY = JSON.stringify({ model: 'bench', messages: [{ role: 'user', content: 'one two three' }] });
const STREAM_BODY = JSON.stringify({ model: 'bench', stream: true, messages: [{ role: 'user', content: 'one two three' }] });
const DIRECT_BODY = JSON.stringify({ model: 'healthy', messages: [{ role: 'user', content: 'one two three' }] });
const AUTO_BODY = JSON.stringify({ model: 'auto', messages: [{ role: 'user', content: 'one two three' }] });
const AUTO_STREAM_BODY = JSON.stringify({ model: 'auto', stream: true, messages: [{ role: 'user', content: 'one two three' }] });
const DIRECT_STREAM_BODY = JSON.stringify({ model: 'healthy', stream: true, messages: [{ role: 'user', content: 'one two three' }] });
const LONG_BODY = longChatBody('bench');
const DIRECT_LONG_BODY = longChatBody('healthy');

function startMock() {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(ROOT, 'edge/mock/provider.mjs'), '--port', '0'], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (b) => {
      out += b;
      const m = out.match(/listening on (http:\/\/[^\s]+)/);
      if (m) resolve({ url: m[1], child });
    });
    child.on('exit', (code) => reject(new Error(`mock exited ${code}`)));
  });
}

/** One request over a keep-alive agent; resolves { ms, ttfc } (ttfc: first content frame). */
function call(agent, url, body, { stream = false } = {}) {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    let ttfc = null;
    const req = http.request(url, { method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } }, (res) => {
      res.on('data', (chunk) => {
        if (stream && ttfc === null && chunk.includes('"content":"') && /"content":"[^"]/.test(chunk.toString())) ttfc = performance.now() - t0;
      });
      res.on('end', () => {
        if (res.statusCode !== 200) reject(new Error(`HTTP ${res.statusCode} from ${url}`));
        else resolve({ ms: performance.now() - t0, ttfc });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

const pct = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
};

function cpuMs(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]); // utime + stime
  return (ticks * 1000) / 100; // USER_HZ = 100 on Linux
}

/**
 * The deployable bundle as `wrangler deploy --dry-run` reports it (the measure issue 4 names):
 * wrangler bundles and minifies the worker (edge/wrangler.toml) and reports the gzip of all its
 * modules together. The split into JS and `.wasm` is the gzip -9 of each file it wrote. Without
 * wrangler (scripts/bench installs it), the modules workerd embeds, unminified, stand in.
 */
async function bundleSizes() {
  const outDir = join(ROOT, 'build/edge/dist');
  rmSync(outDir, { recursive: true, force: true });
  const wrangler = await wranglerDryRun(outDir);
  const files = wrangler?.gzipKiB !== undefined
    ? readdirSync(outDir).filter((f) => f.endsWith('.js') || f.endsWith('.wasm')).map((f) => join(outDir, f))
    : [
        ...readdirSync(join(ROOT, 'edge/src')).filter((f) => f.endsWith('.mjs') && f !== 'config-gen.mjs').map((f) => join(ROOT, 'edge/src', f)),
        ...['reroute.mjs', 'routing.mjs', 'reroute_core.mjs', 'reroute_core.wasm'].map((f) => join(process.env.REROUTE_PKG ?? join(ROOT, 'build/wasm/pkg'), f)),
      ];
  const gzip = (list) => gzipSync(Buffer.concat(list.map((f) => readFileSync(f))), { level: 9 }).length;
  const js = files.filter((f) => !f.endsWith('.wasm'));
  const wasm = files.filter((f) => f.endsWith('.wasm'));
  const jsGzipBytes = gzip(js);
  const wasmGzipBytes = gzip(wasm);
  return {
    source: wrangler?.gzipKiB !== undefined ? 'wrangler deploy --dry-run' : 'modules workerd embeds (wrangler not installed)',
    gzipKiB: wrangler?.gzipKiB ?? (jsGzipBytes + wasmGzipBytes) / 1024,
    jsGzipKiB: jsGzipBytes / 1024,
    wasmGzipKiB: wasmGzipBytes / 1024,
    ...(wrangler?.error ? { wranglerError: wrangler.error } : {}),
  };
}

async function wranglerDryRun(outDir) {
  const bin = join(ROOT, 'bench/wrangler/node_modules/.bin/wrangler');
  if (!existsSync(bin)) return null;
  return new Promise((resolve) => {
    const child = spawn(bin, ['deploy', '--dry-run', '--outdir', outDir, '--config', join(ROOT, 'edge/wrangler.toml')], {
      stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, WRANGLER_SEND_METRICS: 'false' },
    });
    let text = '';
    child.stdout.on('data', (b) => { text += b; });
    child.stderr.on('data', (b) => { text += b; });
    child.on('exit', () => {
      const m = text.match(/Total Upload:\s*([\d.]+)\s*KiB\s*\/\s*gzip:\s*([\d.]+)\s*KiB/);
      resolve(m ? { totalKiB: Number(m[1]), gzipKiB: Number(m[2]) } : { error: text.trim().split('\n').slice(-3).join(' ') });
    });
  });
}

async function sequential(agents, urls, n, body, { stream = false } = {}) {
  const res = Object.fromEntries(Object.keys(urls).map((k) => [k, []]));
  const ttfc = Object.fromEntries(Object.keys(urls).map((k) => [k, []]));
  for (let i = 0; i < n; i++) {
    for (const k of Object.keys(urls)) {
      const r = await call(agents[k], urls[k], body[k], { stream });
      res[k].push(r.ms);
      if (r.ttfc !== null) ttfc[k].push(r.ttfc);
    }
  }
  return { res, ttfc };
}

async function cpuPerRequest(pid, agent, url, body, n) {
  const before = cpuMs(pid);
  for (let i = 0; i < n; i++) await call(agent, url, body);
  return (cpuMs(pid) - before) / n;
}

async function throughput(url, body, seconds) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: CONNECTIONS });
  const end = performance.now() + seconds * 1000;
  let done = 0;
  await Promise.all(Array.from({ length: CONNECTIONS }, async () => {
    while (performance.now() < end) {
      await call(agent, url, body);
      done += 1;
    }
  }));
  agent.destroy();
  return done / seconds;
}

async function main() {
  const mock = await startMock();
  const dir = join(ROOT, 'build/edge/bench');
  mkdirSync(dir, { recursive: true });
  const configPath = join(dir, 'bench-config.json');
  writeFileSync(configPath, JSON.stringify({
    allow_private_hosts: true,
    providers: [{ id: 'mock', base_url: `${mock.url}/v1`, credentials: [{ id: 'main', env: 'BENCH_MOCK_KEY' }] }],
    // `auto` picks between the described routes bench and bench-b (classifier: utility_model);
    // after the first request every auto request is a route-cache hit.
    models: [{ provider: 'mock', id: 'healthy', context_window: 128000, max_output_tokens: 4096 },
      { provider: 'mock', id: 'classifier:bench', context_window: 128000, max_output_tokens: 4096 }],
    routes: [{ name: 'bench', description: 'Everyday questions', targets: [{ provider: 'mock', model: 'healthy' }] },
      { name: 'bench-b', description: 'Other questions', targets: [{ provider: 'mock', model: 'healthy' }] },
      { name: 'utility', targets: [{ provider: 'mock', model: 'classifier:bench' }] }],
    utility_model: 'utility',
  }));
  const edge = await startEdge({
    configPath, outDir: dir, ports: [0], extraSockets: { bare: 0 }, stdio: ['ignore', 'ignore', 'inherit'],
    passThrough: { module: join(ROOT, 'bench/passthrough-worker.mjs'), upstream: mock.url },
    env: { ...process.env, BENCH_MOCK_KEY: 'bench-key' },
    ...(SRC_DIR ? { srcDir: join(process.cwd(), SRC_DIR) } : {}),
  });
  const urls = {
    direct: `${mock.url}/v1/chat/completions`,
    bare: `http://127.0.0.1:${edge.extraSockets.bare}/v1/chat/completions`,
    reroute: `${edge.url}/v1/chat/completions`,
    auto: `${edge.url}/v1/chat/completions`,
  };
  const body = { direct: DIRECT_BODY, bare: DIRECT_BODY, reroute: BODY, auto: AUTO_BODY };
  const streamBody = { direct: DIRECT_STREAM_BODY, bare: DIRECT_STREAM_BODY, reroute: STREAM_BODY, auto: AUTO_STREAM_BODY };
  const agents = Object.fromEntries(Object.keys(urls).map((k) => [k, new http.Agent({ keepAlive: true, maxSockets: 1 })]));
  try {
    log(`warm-up ...`);
    await sequential(agents, urls, 300, body);
    log(`sequential non-streaming: ${REQUESTS} requests each ...`);
    const seq = await sequential(agents, urls, REQUESTS, body);
    log(`time to first streamed content: ${Math.round(REQUESTS / 4)} streams each ...`);
    const str = await sequential(agents, urls, Math.round(REQUESTS / 4), streamBody, { stream: true });
    log('CPU per request ...');
    const cpu = { bare: 0, reroute: 0 };
    for (let round = 0; round < 2; round++) {
      cpu.bare += await cpuPerRequest(edge.child.pid, agents.bare, urls.bare, body.bare, REQUESTS) / 2;
      cpu.reroute += await cpuPerRequest(edge.child.pid, agents.reroute, urls.reroute, body.reroute, REQUESTS) / 2;
    }
    log('CPU per request, long conversation and streamed ...');
    const cpuLong = { bare: 0, reroute: 0 };
    const cpuStream = { bare: 0, reroute: 0 };
    const fewer = Math.round(REQUESTS / 4);
    for (let round = 0; round < 2; round++) {
      cpuLong.bare += await cpuPerRequest(edge.child.pid, agents.bare, urls.bare, DIRECT_LONG_BODY, fewer) / 2;
      cpuLong.reroute += await cpuPerRequest(edge.child.pid, agents.reroute, urls.reroute, LONG_BODY, fewer) / 2;
      cpuStream.bare += await cpuPerRequest(edge.child.pid, agents.bare, urls.bare, streamBody.bare, fewer) / 2;
      cpuStream.reroute += await cpuPerRequest(edge.child.pid, agents.reroute, urls.reroute, streamBody.reroute, fewer) / 2;
    }
    log(`throughput at ${CONNECTIONS} connections, ${SECONDS} s each ...`);
    const tput = { bare: await throughput(urls.bare, body.bare, SECONDS), reroute: await throughput(urls.reroute, body.reroute, SECONDS) };
    const bundle = await bundleSizes();

    const p = (k, q) => pct(seq.res[k], q);
    const result = {
      requests: REQUESTS,
      latencyMs: Object.fromEntries(Object.keys(urls).map((k) => [k, { p50: p(k, 50), p99: p(k, 99) }])),
      addedOverBareMs: { p50: p('reroute', 50) - p('bare', 50), p99: p('reroute', 99) - p('bare', 99) },
      autoCacheHitOverFixedMs: { p50: p('auto', 50) - p('reroute', 50), p99: p('auto', 99) - p('reroute', 99) },
      bareOverDirectMs: { p50: p('bare', 50) - p('direct', 50), p99: p('bare', 99) - p('direct', 99) },
      firstContentMs: Object.fromEntries(Object.keys(urls).map((k) => [k, { p50: pct(str.ttfc[k], 50), p99: pct(str.ttfc[k], 99) }])),
      cpuMsPerRequest: cpu,
      cpuRatio: cpu.reroute / cpu.bare,
      cpuLongConversationMsPerRequest: cpuLong,
      cpuStreamMsPerRequest: cpuStream,
      throughputRps: tput,
      throughputRatio: tput.reroute / tput.bare,
      bundle,
    };
    if (JSON_OUT) {
      console.log(JSON.stringify(result, null, 2));
    } else {
      const f = (x, d = 3) => (x === undefined || x === null || Number.isNaN(x) ? '-' : x.toFixed(d));
      const rows = [
        ['metric', 'direct', 'bare worker', 'reroute', 'reroute - bare', 'target'],
        ['latency p50 (ms)', f(p('direct', 50)), f(p('bare', 50)), f(p('reroute', 50)), f(result.addedOverBareMs.p50), '<= 0.15'],
        ['latency p99 (ms)', f(p('direct', 99)), f(p('bare', 99)), f(p('reroute', 99)), f(result.addedOverBareMs.p99), '<= 0.5'],
        ['first content p50 (ms)', f(result.firstContentMs.direct.p50), f(result.firstContentMs.bare.p50), f(result.firstContentMs.reroute.p50),
          f(result.firstContentMs.reroute.p50 - result.firstContentMs.bare.p50), '<= 0.3'],
        ['auto, cache hit p50 (ms)', '-', '-', f(p('auto', 50)), `${f(result.autoCacheHitOverFixedMs.p50)} over fixed`, '<= 0.2'],
        ['CPU per request (ms)', '-', f(cpu.bare), f(cpu.reroute), `x${f(result.cpuRatio, 2)}`, '<= x1.3'],
        ['CPU, 97 KiB conversation (ms)', '-', f(cpuLong.bare), f(cpuLong.reroute), `x${f(cpuLong.reroute / cpuLong.bare, 2)}`, '-'],
        ['CPU, streamed answer (ms)', '-', f(cpuStream.bare), f(cpuStream.reroute), `x${f(cpuStream.reroute / cpuStream.bare, 2)}`, '-'],
        [`throughput, ${CONNECTIONS} conn (req/s)`, '-', f(tput.bare, 0), f(tput.reroute, 0), `${f(result.throughputRatio * 100, 0)}%`, '>= 80%'],
        ['bundle gzip (KiB)', '-', '-', f(bundle.gzipKiB, 1), `js ${f(bundle.jsGzipKiB, 1)} + wasm ${f(bundle.wasmGzipKiB, 1)}`, '<= 120'],
      ];
      const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => String(r[i]).length)));
      for (const r of rows) console.log(r.map((c, i) => String(c).padEnd(widths[i])).join('  '));
      console.log(`(bundle: ${bundle.source}${bundle.wranglerError ? `; wrangler failed: ${bundle.wranglerError}` : ''})`);
    }
  } finally {
    for (const a of Object.values(agents)) a.destroy();
    await edge.stop();
    mock.child.kill('SIGTERM');
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
