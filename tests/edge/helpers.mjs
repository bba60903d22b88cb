// Shared by the edge integration tests: a mock provider in-process, workerd with the gateway as a
// child on free ports, a test config builder, and an HTTP client that records SSE frames with
// their arrival times. Every start registers its own cleanup, so no test leaves workerd running.
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';

import { closedPort, fingerprint, startMockProvider } from '../../edge/mock/provider.mjs';
import { startEdge } from '../../edge/src/config-gen.mjs';

export { closedPort, fingerprint };

// A listening socket whose accept queue is full: the kernel drops further connection attempts, so a
// client's connect neither succeeds nor fails (a host that does not answer connections). Python,
// because Node accepts every connection itself; python3-minimal is in scripts/setup.
const SILENT_LISTENER = `
import socket, sys
s = socket.socket()
s.bind(("127.0.0.1", 0))
s.listen(0)
fill = []
for _ in range(3):
    c = socket.socket()
    c.setblocking(False)
    try:
        c.connect(s.getsockname())
    except BlockingIOError:
        pass
    fill.append(c)
print(s.getsockname()[1], flush=True)
sys.stdin.read()
`;

/** A loopback port that never answers connections; resolves { port, close }. */
export function silentPort() {
  return new Promise((resolve, reject) => {
    const child = spawn('python3', ['-c', SILENT_LISTENER], { stdio: ['pipe', 'pipe', 'inherit'] });
    child.on('error', reject);
    child.stdout.once('data', (b) => resolve({ port: Number(String(b).trim()), close: () => child.kill() }));
  });
}

export const KEYS = {
  MOCK_KEY: 'test-key-mock',
  BACKUP_KEY: 'test-key-backup',
  BAD_KEY: 'bad-key-on-purpose',
  GOOD_KEY: 'test-key-good',
  REROUTE_TEST_ADMIN: 'admin-secret-for-tests',
};

const CAPS = { tools: true, vision: false, prefill: true, reasoning: false };

/** A model entry of the test config. */
export function model(provider, id, caps = {}, extra = {}) {
  return { provider, id, context_window: 128000, max_output_tokens: 4096, capabilities: { ...CAPS, ...caps }, ...extra };
}

/**
 * A routing config against the mock: providers `mock` and `backup` (one key each), `keys` (a bad and
 * a good key), `twoeps` (a refused endpoint, then the mock). Timeouts are scaled down unless the
 * caller's `defaults` say otherwise.
 */
export function testConfig(mockUrl, { models = [], routes = [], defaults, refusedPort, server, admin = true } = {}) {
  const base = `${mockUrl}/v1`;
  const providers = [
    { id: 'mock', base_url: base, credentials: [{ id: 'main', env: 'MOCK_KEY' }] },
    { id: 'backup', base_url: base, credentials: [{ id: 'main', env: 'BACKUP_KEY' }] },
    { id: 'keys', base_url: base, credentials: [{ id: 'bad', env: 'BAD_KEY' }, { id: 'good', env: 'GOOD_KEY' }] },
  ];
  if (refusedPort) {
    providers.push({
      id: 'twoeps',
      endpoints: [{ id: 'refused', base_url: `http://127.0.0.1:${refusedPort}/v1` }, { id: 'mock', base_url: base }],
      credentials: [{ id: 'main', env: 'MOCK_KEY' }],
    });
  }
  return {
    version: 1,
    allow_private_hosts: true,
    providers,
    models,
    routes,
    defaults: defaults ?? {
      timeout: { connect_timeout_ms: 1000, first_token_timeout_ms: 1500, idle_timeout_ms: 1000, deadline_ms: 30000, min_attempt_ms: 300 },
    },
    server: server ?? { max_attempts: 8, deadline_ms: 300000, continuation: 'continue' },
    ...(admin ? { admin: { secret_env: 'REROUTE_TEST_ADMIN' } } : {}),
  };
}

/**
 * Starts the mock (unless given) and workerd with `config` (an object or a function of the mock's
 * URL). Registers cleanup on the node:test context `t` when given (inside a `before` hook pass
 * null and call `stop()` from a top-level `after`).
 */
export async function startGateway(t, config, { mock, isolates = 1, env = {}, webDir, srcDir } = {}) {
  const ownMock = !mock;
  mock ??= await startMockProvider();
  const dir = mkdtempSync(join(tmpdir(), 'reroute-edge-test-'));
  const doc = typeof config === 'function' ? await config(mock.url) : config;
  const configPath = join(dir, 'config.json');
  writeFileSync(configPath, JSON.stringify(doc, null, 2));
  let edge;
  try {
    edge = await startEdge({
      configPath, outDir: dir, ports: Array(isolates).fill(0), webDir, srcDir, stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, ...KEYS, ...env },
    });
  } catch (err) {
    if (ownMock) await mock.close();
    throw err;
  }
  const lines = [];
  let partial = '';
  edge.child.stdout.on('data', (b) => {
    partial += b.toString();
    const parts = partial.split('\n');
    partial = parts.pop();
    for (const l of parts) lines.push(l);
  });
  edge.child.stderr.on('data', (b) => { if (process.env.REROUTE_TEST_VERBOSE) process.stderr.write(b); });
  const stop = async () => {
    await edge.stop();
    if (ownMock) await mock.close();
  };
  t?.after?.(stop);
  return {
    url: edge.url, urls: edge.urls, mock, edge, stop, configPath, dir,
    /** Structured log lines of workerd so far (parsed JSON only). */
    logs: () => lines.flatMap((l) => { try { return [JSON.parse(l)]; } catch { return []; } }),
  };
}

/** Upstream requests the mock saw for a model string (the model as sent upstream). */
export function upstreamCalls(mock, modelName) {
  return mock.log().filter((e) => e.model === modelName);
}

/**
 * One request on a fresh connection; never rejects. Resolves { status, headers, text, json,
 * frames: [{ event, data, t }], done, ms, headersMs, error }. `abortAfterMs` closes the
 * connection early (client disconnect).
 */
export function request(url, { path = '/v1/chat/completions', method = 'POST', body, headers = {}, timeoutMs = 30000, abortAfterMs, onFrame } = {}) {
  return new Promise((resolve) => {
    const t0 = performance.now();
    const out = { status: null, headers: null, text: '', json: undefined, frames: [], done: false, ms: 0, headersMs: null, error: null, timedOut: false };
    let settled = false;
    let buf = '';
    const finish = () => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      clearTimeout(abortTimer);
      out.ms = performance.now() - t0;
      if (out.headers && (out.headers['content-type'] ?? '').includes('application/json')) {
        try { out.json = JSON.parse(out.text); } catch { /* not JSON */ }
      }
      out.done = out.frames.some((f) => f.data === '[DONE]');
      resolve(out);
    };
    const payload = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
    const req = http.request(`${url}${path}`, { method, agent: false, headers: { 'content-type': 'application/json', ...headers } }, (res) => {
      out.status = res.statusCode;
      out.headers = res.headers;
      out.headersMs = performance.now() - t0;
      res.setEncoding('utf8');
      res.on('data', (chunk) => {
        out.text += chunk;
        buf += chunk;
        let i;
        while ((i = buf.indexOf('\n\n')) >= 0) {
          const raw = buf.slice(0, i);
          buf = buf.slice(i + 2);
          const frame = { event: null, data: null, t: performance.now() - t0 };
          const data = [];
          for (const line of raw.split('\n')) {
            if (line.startsWith('event:')) frame.event = line.slice(6).trim();
            else if (line.startsWith('data:')) data.push(line.slice(5).replace(/^ /, ''));
          }
          if (data.length) frame.data = data.join('\n');
          if (frame.event !== null || frame.data !== null) {
            out.frames.push(frame);
            onFrame?.(frame, req);
          }
        }
      });
      res.on('end', finish);
      res.on('error', (e) => { out.error = e; finish(); });
      res.on('close', finish);
    });
    req.on('error', (e) => { out.error = e; finish(); });
    const timer = setTimeout(() => { out.timedOut = true; req.destroy(); finish(); }, timeoutMs);
    const abortTimer = abortAfterMs === undefined ? null : setTimeout(() => { req.destroy(); finish(); }, abortAfterMs);
    if (payload !== undefined) req.write(payload);
    req.end();
  });
}

export const USER = [{ role: 'user', content: 'one two three' }];
export const FULL_ANSWER = 'Mock answer for a 3-word message: alpha bravo charlie delta echo foxtrot golf hotel india juliet kilo lima mike november oscar papa quebec romeo sierra tango uniform victor whiskey xray yankee zulu';

/** A chat request body. */
export const chat = (modelName, extra = {}) => ({ model: modelName, messages: USER, ...extra });

/** The text content of a stream's chunks (choice 0), in order. */
export function streamText(frames) {
  let text = '';
  for (const f of frames) {
    if (f.event !== null || !f.data || f.data === '[DONE]') continue;
    try {
      const j = JSON.parse(f.data);
      const c = j.choices?.[0]?.delta?.content;
      if (typeof c === 'string') text += c;
    } catch { /* not a chunk */ }
  }
  return text;
}

/** Data frames that parse as JSON, with their event name. */
export function jsonFrames(frames) {
  return frames.flatMap((f) => {
    if (!f.data || f.data === '[DONE]') return [];
    try { return [{ event: f.event, t: f.t, json: JSON.parse(f.data) }]; } catch { return []; }
  });
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
