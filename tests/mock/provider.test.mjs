// The fault-injecting mock provider: every fault over real HTTP. Run: node --test tests/mock/
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';

import { FAULTS, closedPort, fingerprint, parseFault, startMockProvider } from '../../edge/mock/provider.mjs';

const root = join(fileURLToPath(import.meta.url), '../../..');
const USER = [{ role: 'user', content: 'one two three' }];
const FULL = 'Mock answer for a 3-word message: alpha bravo charlie delta echo foxtrot golf hotel india juliet kilo lima mike november oscar papa quebec romeo sierra tango uniform victor whiskey xray yankee zulu';

let mock;
before(async () => { mock = await startMockProvider(); });
after(() => mock.close());

/**
 * One request on a fresh connection. Never rejects: resolves with what the client saw, including
 * SSE frames with their arrival times (ms after the request was sent).
 */
function call(server, { path = '/v1/chat/completions', method = 'POST', body, raw, headers = {}, timeoutMs = 5000 } = {}) {
  return new Promise((resolve) => {
    const t0 = performance.now();
    const out = { status: null, headers: null, text: '', frames: [], error: null, complete: false, headersMs: null, timedOut: false };
    let buf = '';
    let settled = false;
    const finish = () => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      out.ms = performance.now() - t0;
      resolve(out);
    };
    const req = http.request(`${server.url}${path}`, { method, agent: false, headers: { 'content-type': 'application/json', ...headers } }, (res) => {
      out.status = res.statusCode;
      out.headers = res.headers;
      out.headersMs = performance.now() - t0;
      res.setEncoding('utf8');
      res.on('data', (d) => {
        out.text += d;
        buf += d;
        for (let i; (i = buf.indexOf('\n\n')) >= 0; buf = buf.slice(i + 2)) out.frames.push({ ...parseFrame(buf.slice(0, i)), ms: performance.now() - t0 });
      });
      res.on('error', (e) => { out.error = e; });
      res.on('close', () => {
        out.complete = res.complete;
        finish();
      });
    });
    req.on('error', (e) => {
      out.error = e;
      finish();
    });
    const timer = setTimeout(() => {
      out.timedOut = true;
      req.destroy();
    }, timeoutMs);
    req.end(raw ?? (body === undefined ? undefined : JSON.stringify(body)));
  });
}

function parseFrame(text) {
  const frame = { raw: text, event: null, data: null, comment: false, json: undefined };
  for (const line of text.split('\n')) {
    if (line.startsWith(':')) frame.comment = true;
    else if (line.startsWith('event:')) frame.event = line.slice(6).trim();
    else if (line.startsWith('data:')) frame.data = line.slice(5).trim();
  }
  if (frame.data !== null && frame.data !== '[DONE]') {
    try {
      frame.json = JSON.parse(frame.data);
    } catch {
      frame.json = null; // malformed
    }
  }
  return frame;
}

const chat = (model, { stream = false, messages = USER, headers, extra = {}, server = mock, timeoutMs } = {}) =>
  call(server, { body: { model, messages, stream, ...extra }, headers, timeoutMs });
const contentFrames = (r) => r.frames.filter((f) => typeof f.json?.choices?.[0]?.delta?.content === 'string' && f.json.choices[0].delta.content !== '');
const contentOf = (r) => contentFrames(r).map((f) => f.json.choices[0].delta.content).join('');
const finishes = (r) => r.frames.map((f) => f.json?.choices?.[0]?.finish_reason).filter(Boolean);
const hasDone = (r) => r.frames.some((f) => f.data === '[DONE]');
const json = (r) => JSON.parse(r.text);
const logOf = (scenario) => mock.log().filter((e) => e.scenario === scenario);

describe('healthy answers', () => {
  test('a plain model name gets a deterministic chat.completion with usage', async () => {
    const r = await chat('gpt-mock', { headers: { authorization: 'Bearer key-A' } });
    assert.equal(r.status, 200);
    const b = json(r);
    assert.equal(b.object, 'chat.completion');
    assert.equal(b.model, 'gpt-mock');
    assert.equal(b.choices[0].message.role, 'assistant');
    assert.equal(b.choices[0].message.content, FULL);
    assert.equal(b.choices[0].finish_reason, 'stop');
    assert.deepEqual(b.usage, { prompt_tokens: 4, completion_tokens: 32, total_tokens: 36 });
    assert.equal(r.headers['x-mock-prompt-tokens'], '4');
    assert.equal(r.headers['x-mock-completion-tokens'], '32');
    const again = await chat('gpt-mock');
    assert.equal(json(again).choices[0].message.content, FULL);
  });

  test('a stream is role frame, one frame per token, finish stop, then [DONE]', async () => {
    const r = await chat('healthy', { stream: true });
    assert.equal(r.status, 200);
    assert.match(r.headers['content-type'], /^text\/event-stream/);
    assert.ok(r.complete);
    assert.deepEqual(r.frames[0].json.choices[0].delta, { role: 'assistant', content: '' });
    assert.equal(r.frames[0].json.object, 'chat.completion.chunk');
    assert.equal(contentFrames(r).length, 32);
    assert.equal(contentOf(r), FULL);
    assert.deepEqual(finishes(r), ['stop']);
    assert.equal(r.frames.at(-1).data, '[DONE]');
    assert.equal(r.frames.length, 1 + 32 + 1 + 1);
  });

  test('stream_options.include_usage adds a usage-only chunk before [DONE]', async () => {
    const r = await chat('healthy', { stream: true, extra: { stream_options: { include_usage: true } } });
    const usage = r.frames.at(-2).json;
    assert.deepEqual(usage.choices, []);
    assert.deepEqual(usage.usage, { prompt_tokens: 4, completion_tokens: 32, total_tokens: 36 });
    assert.equal(r.frames.at(-1).data, '[DONE]');
  });

  test('max_tokens caps the answer with finish_reason length', async () => {
    const r = await chat('healthy', { extra: { max_tokens: 5 } });
    const b = json(r);
    assert.equal(b.choices[0].message.content, 'Mock answer for a 3-word');
    assert.equal(b.choices[0].finish_reason, 'length');
    assert.equal(b.usage.completion_tokens, 5);
  });

  test('a namespaced model and names with unknown prefixes are healthy', async () => {
    for (const model of ['mock/gpt-mock', 'openai/gpt-4o', 'llama3:8b', 'a/b/healthy@x']) {
      const r = await chat(model);
      assert.equal(r.status, 200, model);
      assert.equal(json(r).model, model);
    }
    assert.deepEqual(parseFault('gw/mock/stall:20:500@t1'), [{ name: 'stall', args: ['20', '500'] }]);
    assert.deepEqual(parseFault('preamble:2+cut-after:0'), [{ name: 'preamble', args: ['2'] }, { name: 'cut-after', args: ['0'] }]);
  });

  test('a matching assistant prefill is continued seamlessly and reported', async () => {
    const prefill = FULL.slice(0, 40);
    const messages = [...USER, { role: 'assistant', content: prefill }];
    const r = await chat('healthy@prefill', { messages });
    assert.equal(r.headers['x-mock-prefill'], 'matched; chars=40');
    assert.equal(prefill + json(r).choices[0].message.content, FULL);
    const s = await chat('healthy@prefill', { messages, stream: true });
    assert.equal(prefill + contentOf(s), FULL);
    assert.deepEqual(logOf('healthy@prefill').map((e) => e.prefill), [{ chars: 40, matched: true }, { chars: 40, matched: true }]);
  });

  test('a foreign prefill is continued with a visible marker', async () => {
    const r = await chat('healthy', { messages: [...USER, { role: 'assistant', content: 'Something else' }] });
    assert.equal(r.headers['x-mock-prefill'], 'unmatched; chars=14');
    assert.equal(json(r).choices[0].message.content, `[continued after 14 chars] ${FULL}`);
  });

  test('GET /v1/models lists the healthy names and every fault', async () => {
    const r = await call(mock, { path: '/v1/models', method: 'GET' });
    assert.equal(r.status, 200);
    const ids = json(r).data.map((m) => m.id);
    for (const name of ['healthy', 'gpt-mock', ...Object.keys(FAULTS)]) assert.ok(ids.includes(name), name);
  });

  test('the x-mock-fault header selects the fault whatever the model', async () => {
    const r = await chat('gpt-mock', { headers: { 'x-mock-fault': '503' } });
    assert.equal(r.status, 503);
  });
});

describe('rate limits and retry hints', () => {
  test('429-retry-after: 429 with Retry-After in seconds, then healthy', async () => {
    const r = await chat('429-retry-after:2@a');
    assert.equal(r.status, 429);
    assert.equal(r.headers['retry-after'], '2');
    assert.equal(json(r).error.code, 'rate_limit_exceeded');
    assert.equal(json(r).error.type, 'requests');
    assert.equal((await chat('429-retry-after:2@a')).status, 200);
  });

  test('429-retry-date: Retry-After is an HTTP-date about S seconds ahead', async () => {
    const before = Date.now();
    const r = await chat('429-retry-date:2@a');
    assert.equal(r.status, 429);
    const at = Date.parse(r.headers['retry-after']);
    assert.match(r.headers['retry-after'], /^[A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} GMT$/);
    assert.ok(at - before >= 2000 && at - before <= 3100, `${at - before} ms ahead`);
    assert.equal((await chat('429-retry-date:2@a')).status, 200);
  });

  test('429-retry-after-ms: only a retry-after-ms header', async () => {
    const r = await chat('429-retry-after-ms:250@a');
    assert.equal(r.status, 429);
    assert.equal(r.headers['retry-after-ms'], '250');
    assert.equal(r.headers['retry-after'], undefined);
    assert.equal((await chat('429-retry-after-ms:250@a')).status, 200);
  });

  test('429-reset: x-ratelimit-reset-requests duration, K times', async () => {
    assert.equal((await chat('429-reset:6m0s:2@a')).headers['x-ratelimit-reset-requests'], '6m0s');
    assert.equal((await chat('429-reset:6m0s:2@a')).status, 429);
    assert.equal((await chat('429-reset:6m0s:2@a')).status, 200);
  });

  test('429: persistent rate limit, with Retry-After only when asked', async () => {
    for (let i = 0; i < 3; i++) {
      const r = await chat('429');
      assert.equal(r.status, 429);
      assert.equal(r.headers['retry-after'], undefined);
    }
    assert.equal((await chat('429-persistent:7')).headers['retry-after'], '7');
  });

  test('429-quota: OpenAI insufficient_quota with status 429', async () => {
    const r = await chat('429-quota');
    assert.equal(r.status, 429);
    assert.deepEqual([json(r).error.type, json(r).error.code], ['insufficient_quota', 'insufficient_quota']);
  });

  test('402-quota: OpenAI insufficient_quota with status 402', async () => {
    const r = await chat('402-quota');
    assert.equal(r.status, 402);
    assert.equal(json(r).error.code, 'insufficient_quota');
    assert.match(json(r).error.message, /exceeded your current quota/);
  });
});

describe('server errors and state', () => {
  test('500-once: 500 then healthy, state kept per scenario', async () => {
    const first = await chat('500-once', { headers: { 'x-mock-scenario': 's1' } });
    assert.equal(first.status, 500);
    assert.equal(json(first).error.type, 'server_error');
    // Another scenario with the same model is independent, even in parallel.
    const [a, b] = await Promise.all([
      chat('500-once', { headers: { 'x-mock-scenario': 's1' } }),
      chat('500-once', { headers: { 'x-mock-scenario': 's2' } }),
    ]);
    assert.deepEqual([a.status, b.status], [200, 500]);
    assert.equal((await chat('500-once:2@k')).status, 500);
    assert.equal((await chat('500-once:2@k')).status, 500);
    assert.equal((await chat('500-once:2@k')).status, 200);
  });

  test('503: persistent', async () => {
    for (let i = 0; i < 3; i++) assert.equal((await chat('503-persistent')).status, 503);
    assert.match(json(await chat('503')).error.message, /overloaded/);
  });

  test('502-html: an HTML error page', async () => {
    const r = await chat('502-html');
    assert.equal(r.status, 502);
    assert.match(r.headers['content-type'], /text\/html/);
    assert.match(r.text, /cloudflare/);
  });

  test('billed-500: the failed attempt reports what it would have billed', async () => {
    const r = await chat('billed-500');
    assert.equal(r.status, 500);
    assert.equal(r.headers['x-mock-prompt-tokens'], '4');
    assert.equal(r.headers['x-mock-completion-tokens'], '32');
    assert.deepEqual(logOf('billed-500').at(-1).billed, { prompt_tokens: 4, completion_tokens: 32 });
  });

  test('404-model: model_not_found', async () => {
    const r = await chat('404-model');
    assert.equal(r.status, 404);
    assert.equal(json(r).error.code, 'model_not_found');
  });

  test('flap: 503 for the first MS ms of the scenario, healthy after', async () => {
    const t0 = performance.now();
    assert.equal((await chat('flap:300@a')).status, 503);
    assert.equal((await chat('flap:300@a')).status, 503);
    await new Promise((r) => setTimeout(r, 400 - (performance.now() - t0)));
    assert.equal((await chat('flap:300@a')).status, 200);
    assert.equal((await chat('flap:300@a')).status, 200);
  });

  test('anthropic-overloaded: 529 with overloaded_error', async () => {
    const r = await chat('anthropic-overloaded');
    assert.equal(r.status, 529);
    assert.deepEqual(json(r), { type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } });
  });

  test('anthropic-rate-limit: 429 with rate_limit_error', async () => {
    const r = await chat('anthropic-rate-limit');
    assert.equal(r.status, 429);
    assert.equal(json(r).error.type, 'rate_limit_error');
  });

  test('google-exhausted: 429 RESOURCE_EXHAUSTED', async () => {
    const r = await chat('google-exhausted');
    assert.equal(r.status, 429);
    assert.deepEqual([json(r).error.code, json(r).error.status], [429, 'RESOURCE_EXHAUSTED']);
  });

  test('google-unavailable: 503 UNAVAILABLE', async () => {
    const r = await chat('google-unavailable');
    assert.equal(r.status, 503);
    assert.equal(json(r).error.status, 'UNAVAILABLE');
  });
});

describe('request refusals', () => {
  test('context-length: 400 context_length_exceeded', async () => {
    const r = await chat('context-length');
    assert.equal(r.status, 400);
    assert.deepEqual([json(r).error.type, json(r).error.code, json(r).error.param], ['invalid_request_error', 'context_length_exceeded', 'messages']);
    assert.match(json(r).error.message, /maximum context length/);
  });

  test('content-filter: 400 with a content policy body', async () => {
    const r = await chat('content-filter');
    assert.equal(r.status, 400);
    assert.equal(json(r).error.code, 'content_filter');
    assert.match(json(r).error.message, /content management policy/);
  });

  test('rejects-prefill: 400 when the last message is assistant, healthy otherwise', async () => {
    const r = await chat('rejects-prefill', { messages: [...USER, { role: 'assistant', content: 'Mock' }] });
    assert.equal(r.status, 400);
    assert.match(json(r).message, /got assistant/);
    assert.equal((await chat('rejects-prefill')).status, 200);
    assert.equal((await chat('no-prefill', { stream: true })).status, 200);
  });

  test('401 for a key containing "bad" while a sibling key works; the log keeps fingerprints only', async () => {
    const bad = await chat('healthy@keys', { headers: { authorization: 'Bearer sk-bad-123' } });
    assert.equal(bad.status, 401);
    assert.deepEqual([json(bad).error.code, json(bad).error.type], ['invalid_api_key', 'invalid_request_error']);
    assert.doesNotMatch(bad.text, /sk-bad-123/);
    const good = await chat('healthy@keys', { headers: { authorization: 'Bearer sk-good-456' } });
    assert.equal(good.status, 200);
    const keys = mock.log().filter((e) => e.key === fingerprint('sk-bad-123') || e.key === fingerprint('sk-good-456'));
    assert.deepEqual(keys.map((e) => e.status), [401, 200]);
    assert.doesNotMatch(JSON.stringify(mock.log()), /sk-bad-123|sk-good-456/);
    assert.equal((await call(mock, { path: '/v1/models', method: 'GET', headers: { authorization: 'Bearer bad' } })).status, 401);
  });

  test('401: every key refused for that model', async () => {
    const r = await chat('401', { headers: { authorization: 'Bearer sk-good' } });
    assert.equal(r.status, 401);
    assert.equal(json(r).error.code, 'invalid_api_key');
  });

  test('error-200: a 200 whose body is an error object', async () => {
    const r = await chat('error-200');
    assert.equal(r.status, 200);
    assert.equal(json(r).error.type, 'server_error');
    assert.equal(json(r).choices, undefined);
    const s = await chat('error-200', { stream: true });
    assert.deepEqual([s.status, contentFrames(s).length, s.frames.at(-1).json.error.type, hasDone(s)], [200, 0, 'server_error', false]);
  });

  test('no-choices: a 200 without choices', async () => {
    assert.deepEqual(json(await chat('no-choices')).choices, []);
    const s = await chat('no-choices', { stream: true });
    assert.deepEqual(s.frames.map((f) => f.json?.choices?.length ?? f.data), [0, '[DONE]']);
  });
});

describe('connection faults', () => {
  test('reset: the socket is reset without a response', async () => {
    const r = await chat('reset@a');
    assert.equal(r.status, null);
    assert.equal(r.error?.code, 'ECONNRESET');
    assert.equal(logOf('reset@a')[0].outcome, 'reset');
  });

  test('no-response: accepted and never answered; the client leaving is logged', async () => {
    const r = await chat('no-response@a', { timeoutMs: 300 });
    assert.ok(r.timedOut);
    assert.equal(r.status, null);
    await new Promise((resolve) => setTimeout(resolve, 50));
    const [e] = logOf('no-response@a');
    assert.deepEqual([e.outcome, e.client_closed], ['no_response', true]);
  });

  test('closing the server with hung requests open finishes promptly', async () => {
    const own = await startMockProvider();
    const pending = [
      chat('no-response', { server: own, timeoutMs: 10000 }),
      chat('stall:2', { server: own, stream: true, timeoutMs: 10000 }),
      chat('stall:2', { server: own, timeoutMs: 10000 }),
      chat('slow-first-token:60000', { server: own, stream: true, timeoutMs: 10000 }),
    ];
    while (own.log().length < 4 || own.log().some((e) => e.outcome === 'pending')) await new Promise((r) => setTimeout(r, 10));
    const t0 = performance.now();
    await own.close();
    const results = await Promise.all(pending);
    assert.ok(performance.now() - t0 < 1000, `close took ${performance.now() - t0} ms`);
    for (const r of results) {
      assert.ok(!r.timedOut);
      assert.ok(!r.complete);
    }
    await own.close(); // idempotent
  });

  test('refused connection: tests point at a closed port', async () => {
    const port = await closedPort();
    const r = await call({ url: `http://127.0.0.1:${port}` }, { body: { model: 'healthy', messages: USER } });
    assert.equal(r.error?.code, 'ECONNREFUSED');
  });

  test('slow-headers: nothing at all for MS ms, then a normal answer', async () => {
    const r = await chat('slow-headers:200');
    assert.equal(r.status, 200);
    assert.ok(r.headersMs >= 180, `headers after ${r.headersMs} ms`);
  });
});

describe('stream faults', () => {
  test('slow-first-token: headers at once, first frame after MS ms', async () => {
    const r = await chat('slow-first-token:300', { stream: true });
    assert.ok(r.headersMs < 250, `headers after ${r.headersMs} ms`);
    assert.ok(r.frames[0].ms >= 280, `first frame after ${r.frames[0].ms} ms`);
    assert.equal(contentOf(r), FULL);
    assert.ok(hasDone(r));
    const n = await chat('slow-first-token:300');
    assert.ok(n.headersMs >= 280 && n.status === 200);
  });

  test('cut-after: N tokens, then the socket is destroyed with no finish and no [DONE]', async () => {
    const r = await chat('cut-after:3@a', { stream: true });
    assert.equal(r.status, 200);
    assert.equal(contentFrames(r).length, 3);
    assert.equal(contentOf(r), 'Mock answer for');
    assert.deepEqual(finishes(r), []);
    assert.ok(!hasDone(r));
    assert.ok(!r.complete);
    assert.equal(logOf('cut-after:3@a')[0].outcome, 'cut');
    assert.equal(logOf('cut-after:3@a')[0].billed.completion_tokens, 3);
    const rst = await chat('cut-after:3:rst', { stream: true });
    assert.ok(!rst.complete && !hasDone(rst));
    assert.equal(rst.error?.code, 'ECONNRESET');
    const zero = await chat('cut-after:0', { stream: true });
    assert.deepEqual([zero.frames.length, contentFrames(zero).length], [1, 0]);
    const body = await chat('cut-after:3');
    assert.equal(body.status, 200);
    assert.ok(!body.complete);
    assert.ok(body.text.length > 0 && body.text.length < Number(body.headers['content-length']));
  });

  test('end-after: a clean end of the body with no finish and no [DONE]', async () => {
    const r = await chat('end-after:3', { stream: true });
    assert.ok(r.complete);
    assert.equal(contentFrames(r).length, 3);
    assert.deepEqual(finishes(r), []);
    assert.ok(!hasDone(r));
    const body = await chat('end-after:3');
    assert.throws(() => JSON.parse(body.text));
  });

  test('stall: N tokens, silence for MS ms, then the rest', async () => {
    const r = await chat('stall:2:300', { stream: true });
    const frames = contentFrames(r);
    assert.equal(frames.length, 32);
    const gap = frames[2].ms - frames[1].ms;
    assert.ok(gap >= 280, `gap ${gap} ms`);
    assert.ok(frames[1].ms < 250, `second token at ${frames[1].ms} ms`);
    assert.ok(hasDone(r) && r.complete);
  });

  test('malformed-at: one invalid JSON frame after N tokens, then the rest', async () => {
    const r = await chat('malformed-at:2@a', { stream: true });
    const i = r.frames.findIndex((f) => f.json === null);
    assert.ok(i > 0);
    assert.equal(r.frames.slice(0, i).filter((f) => f.json?.choices?.[0]?.delta?.content).length, 2);
    assert.equal(r.frames.filter((f) => f.json === null).length, 1);
    assert.equal(contentOf(r), FULL);
    assert.ok(hasDone(r));
    assert.equal(logOf('malformed-at:2@a')[0].outcome, 'malformed');
    const body = await chat('malformed-at:2');
    assert.throws(() => JSON.parse(body.text));
  });

  test('no-done: finish_reason stop, then the end without [DONE]', async () => {
    const r = await chat('no-done', { stream: true });
    assert.ok(r.complete);
    assert.equal(contentOf(r), FULL);
    assert.deepEqual(finishes(r), ['stop']);
    assert.ok(!hasDone(r));
  });

  test('content-filter-stream: N tokens then finish_reason content_filter', async () => {
    const r = await chat('content-filter-stream:2', { stream: true });
    assert.equal(contentOf(r), 'Mock answer');
    assert.deepEqual(finishes(r), ['content_filter']);
    assert.ok(hasDone(r));
    const n = json(await chat('content-filter-stream:2'));
    assert.deepEqual([n.choices[0].message.content, n.choices[0].finish_reason], ['Mock answer', 'content_filter']);
  });

  test('error-event: N tokens, then an OpenAI in-band error frame and the end', async () => {
    const r = await chat('error-event:2', { stream: true });
    assert.equal(r.status, 200);
    assert.equal(contentFrames(r).length, 2);
    const last = r.frames.at(-1);
    assert.equal(last.json.error.type, 'server_error');
    assert.deepEqual(finishes(r), []);
    assert.ok(!hasDone(r) && r.complete);
    assert.equal(json(await chat('error-event:2')).error.type, 'server_error');
  });

  test('error-event-anthropic: an `event: error` frame with overloaded_error', async () => {
    const r = await chat('error-event-anthropic:2', { stream: true });
    const last = r.frames.at(-1);
    assert.equal(last.event, 'error');
    assert.deepEqual(last.json, { type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } });
    assert.equal(contentFrames(r).length, 2);
    assert.ok(!hasDone(r));
  });

  test('error-finish: a chunk with finish_reason error and an error member', async () => {
    const r = await chat('error-finish:2', { stream: true });
    const last = r.frames.at(-1).json;
    assert.equal(last.choices[0].finish_reason, 'error');
    assert.equal(last.error.code, 502);
    assert.ok(!hasDone(r));
  });

  test('slow-drip: a token every MS ms, never a long gap', async () => {
    const r = await chat('slow-drip:60:5', { stream: true });
    const frames = contentFrames(r);
    assert.equal(frames.length, 5);
    for (let i = 1; i < frames.length; i++) {
      const gap = frames[i].ms - frames[i - 1].ms;
      assert.ok(gap >= 45 && gap < 400, `gap ${gap} ms`);
    }
    assert.ok(hasDone(r));
  });

  test('empty: finish_reason stop with no content', async () => {
    const r = await chat('empty', { stream: true });
    assert.equal(contentFrames(r).length, 0);
    assert.deepEqual(finishes(r), ['stop']);
    assert.ok(hasDone(r));
    const n = json(await chat('empty'));
    assert.deepEqual([n.choices[0].message.content, n.choices[0].finish_reason, n.usage.completion_tokens], ['', 'stop', 0]);
  });

  test('preamble: frames without content come before the first token', async () => {
    const r = await chat('preamble:3:50', { stream: true });
    assert.deepEqual(r.frames[0].json.choices[0].delta, { role: 'assistant' });
    assert.deepEqual(r.frames[1].json.choices[0].delta, { content: '' });
    assert.ok(r.frames[2].comment && r.frames[2].data === null);
    assert.deepEqual(r.frames[3].json.choices[0].delta, { role: 'assistant', content: '' });
    assert.equal(r.frames[4].json.choices[0].delta.content, 'Mock');
    assert.ok(r.frames[2].ms - r.frames[0].ms >= 90);
    const cut = await chat('preamble:2+cut-after:0', { stream: true });
    assert.equal(cut.frames.length, 3);
    assert.equal(contentFrames(cut).length, 0);
    assert.ok(!cut.complete);
  });

  test('tool-call: arguments stream as fragments with finish tool_calls', async () => {
    const r = await chat('tool-call', { stream: true });
    const calls = r.frames.map((f) => f.json?.choices?.[0]?.delta?.tool_calls?.[0]).filter(Boolean);
    assert.equal(calls[0].function.name, 'get_weather');
    assert.deepEqual(JSON.parse(calls.map((c) => c.function.arguments).join('')), { city: 'Paris', unit: 'celsius' });
    assert.deepEqual(finishes(r), ['tool_calls']);
    const cut = await chat('tool-call+cut-after:3', { stream: true });
    const args = cut.frames.map((f) => f.json?.choices?.[0]?.delta?.tool_calls?.[0]?.function.arguments ?? '').join('');
    assert.equal(args, '{"city":"');
    const n = json(await chat('tool-call'));
    assert.equal(n.choices[0].message.tool_calls[0].function.arguments, '{"city":"Paris","unit":"celsius"}');
  });

  test('a client leaving mid-stream is logged as client_closed', async () => {
    const r = await chat('stall:2@leave', { stream: true, timeoutMs: 200 });
    assert.ok(r.timedOut);
    assert.equal(contentFrames(r).length, 2);
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.equal(logOf('stall:2@leave')[0].client_closed, true);
  });
});

describe('robustness and control plane', () => {
  test('bad input gets OpenAI-style 4xx and never crashes the server', async () => {
    const bad = await call(mock, { raw: '{"model": "healthy", ' });
    assert.equal(bad.status, 400);
    assert.equal(json(bad).error.type, 'invalid_request_error');
    assert.equal((await call(mock, { raw: '[]' })).status, 400);
    assert.equal((await call(mock, { body: { messages: USER } })).status, 400);
    assert.equal(json(await call(mock, { body: { model: 'healthy' } })).error.param, 'messages');
    assert.equal((await call(mock, { body: { model: 'healthy', messages: [null] } })).status, 400);
    assert.equal((await call(mock, { path: '/v1/nope', body: {} })).status, 404);
    const wrong = await call(mock, { method: 'GET' });
    assert.deepEqual([wrong.status, wrong.headers.allow], [405, 'POST']);
    await new Promise((resolve) => {
      const s = net.connect(mock.port, '127.0.0.1', () => s.end('GARBAGE\r\n\r\n'));
      s.on('close', resolve).on('error', resolve).resume();
    });
    for (const model of ['len:1e12', 'stall:-3:1e-9', 'slow-drip:0:99999999', 'cut-after:1e9+preamble:x']) {
      assert.equal((await chat(model, { timeoutMs: 3000 })).status, 200, model);
    }
    const huge = await chat('healthy', { messages: [...USER, { role: 'assistant', content: 'Mock answer'.repeat(100000) }] });
    assert.equal(huge.headers['x-mock-prefill'], 'unmatched; chars=1100000');
    assert.equal((await chat('healthy')).status, 200);
    assert.equal((await call(mock, { path: '/chat/completions', body: { model: 'healthy', messages: USER } })).status, 200);
  });

  test('/__mock/log lists every request; /__mock/reset clears state and log', async () => {
    const own = await startMockProvider();
    try {
      await chat('500-once', { server: own, headers: { authorization: 'Bearer key-A' } });
      await chat('500-once', { server: own, stream: true });
      const log = json(await call(own, { path: '/__mock/log', method: 'GET' }));
      assert.equal(log.length, 2);
      assert.deepEqual(
        log.map((e) => [e.seq, e.model, e.fault, e.scenario, e.key, e.stream, e.status]),
        [[1, '500-once', '500-once', '500-once', '07dfb656', false, 500], [2, '500-once', '500-once', '500-once', null, true, 200]],
      );
      assert.ok(typeof log[0].time === 'number' && log[1].t_ms >= log[0].t_ms);
      assert.deepEqual(json(await call(own, { path: '/__mock/log?scenario=other', method: 'GET' })), []);
      assert.equal((await call(own, { path: '/__mock/reset', method: 'POST' })).status, 200);
      assert.deepEqual(own.log(), []);
      assert.equal((await chat('500-once', { server: own })).status, 500); // state forgotten
      own.reset();
      assert.equal(own.log().length, 0);
    } finally {
      await own.close();
    }
  });

  test('scripts/mock-provider prints its URL and stops on SIGTERM and SIGINT', async () => {
    for (const signal of ['SIGTERM', 'SIGINT']) {
      const child = spawn(join(root, 'scripts/mock-provider'), ['--port', '0'], { stdio: ['ignore', 'pipe', 'inherit'] });
      const line = await new Promise((resolve, reject) => {
        let out = '';
        child.stdout.on('data', (d) => {
          out += d;
          if (out.includes('\n')) resolve(out.trim());
        });
        child.on('exit', (code) => reject(new Error(`exited ${code}`)));
      });
      const m = /^mock provider listening on (http:\/\/127\.0\.0\.1:(\d+))$/.exec(line);
      assert.ok(m, line);
      const hung = chat('no-response', { server: { url: m[1] }, timeoutMs: 5000 });
      assert.equal((await call({ url: m[1] }, { path: '/v1/models', method: 'GET' })).status, 200);
      const t0 = performance.now();
      child.kill(signal);
      const code = await new Promise((resolve) => child.on('exit', (c) => resolve(c)));
      assert.equal(code, 0);
      assert.ok(performance.now() - t0 < 2000);
      assert.ok(!(await hung).timedOut);
    }
  });

  test('the README documents every fault', () => {
    const readme = readFileSync(join(root, 'edge/mock/README.md'), 'utf8');
    for (const name of Object.keys(FAULTS)) assert.match(readme, new RegExp(`\\| \`${name}(\`|\\[|:)`), name);
  });
});
