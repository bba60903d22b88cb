// An upstream that answers with a random mix (seeded, so every run sends the same). Streams:
// content chunks, preamble, a malformed frame, an in-band error, an unfinished tool call, any
// finish reason or none, [DONE] or not, a reset, all cut into random pieces with small pauses;
// the client's stream ends with [DONE] after a finish reason, or with an error event without
// [DONE]. Non-streaming: whole answers, empty ones, no choices, error objects, HTML, nothing, or
// any of these cut short; a 200 is always a whole answer. Never a 500, a hang or a crashed request.
import assert from 'node:assert/strict';
import http from 'node:http';
import { after, before, test } from 'node:test';

import { startMockProvider } from '../../edge/mock/provider.mjs';
import { seededRandom } from '../wasm/helpers.mjs';
import { jsonFrames, model, request, startGateway, testConfig } from './helpers.mjs';

const STREAMS = 150;

/** The upstream's answer to the request whose message is `random:<seed>`. */
function randomStream(seed) {
  const random = seededRandom(seed);
  const chunk = (delta, finish = null) =>
    `data: ${JSON.stringify({ id: 'r', object: 'chat.completion.chunk', created: 1, model: 'random', choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`;
  const pieces = [];
  if (random(5) === 0) pieces.push(': keep-alive\n\n');
  if (random(3)) pieces.push(chunk({ role: 'assistant', content: '' }));
  for (let i = random(12); i > 0; i--) {
    const kind = random(20);
    if (kind === 0) pieces.push('data: {"choices":[{"delta":{"content":\n\n');
    else if (kind === 1) pieces.push(`data: ${JSON.stringify({ error: { message: 'boom', code: 500 } })}\n\n`);
    else if (kind === 2) pieces.push('event: error\ndata: {"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}\n\n');
    else if (kind === 3) pieces.push(chunk({ tool_calls: [{ index: 0, id: 't', type: 'function', function: { name: 'f', arguments: '{"a":' } }] }));
    else pieces.push(chunk({ content: ` w${i}` }));
  }
  const ending = random(6); // 0 reset, 1 end without finish, 2 finish without [DONE], 3+ finish and [DONE]
  if (ending > 1) pieces.push(chunk({}, ['stop', 'length', 'content_filter', 'tool_calls'][random(4)]));
  if (ending > 2) pieces.push('data: [DONE]\n\n');
  return { text: pieces.join(''), reset: ending === 0, random };
}

/** The upstream's non-streaming answer to `random:<seed>`: a body, and where it is cut (or not). */
function randomAnswer(seed) {
  const random = seededRandom(seed);
  const answer = (message, finish) => JSON.stringify({ id: 'r', object: 'chat.completion', model: 'random', choices: [{ index: 0, message, finish_reason: finish }], usage: { prompt_tokens: 3, completion_tokens: 2 } });
  const bodies = [
    answer({ role: 'assistant', content: 'an answer' }, 'stop'),
    answer({ role: 'assistant', content: 'cut short' }, 'length'),
    answer({ role: 'assistant', content: null, tool_calls: [{ id: 't', type: 'function', function: { name: 'f', arguments: '{}' } }] }, 'tool_calls'),
    answer({ role: 'assistant', content: '' }, 'stop'),
    answer({ role: 'assistant', content: '' }, 'content_filter'),
    JSON.stringify({ id: 'r', object: 'chat.completion', choices: [] }),
    JSON.stringify({ error: { message: 'Internal error', code: 500 } }),
    '<html><body>Bad gateway</body></html>',
    '',
  ];
  const text = bodies[random(bodies.length)];
  return { text, cutAt: random(3) === 0 ? random(text.length + 1) : -1 };
}

let upstream;
let mock;
let gw;
before(async () => {
  upstream = http.createServer(async (req, res) => {
    let body = '';
    for await (const part of req) body += part;
    const seed = Number(/random:(\d+)/.exec(body)?.[1] ?? 0);
    if (!body.includes('"stream":true')) {
      // The announced length is the whole body's; a cut leaves the rest unsent.
      const { text, cutAt } = randomAnswer(seed);
      const bytes = Buffer.from(text);
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': bytes.length });
      if (cutAt < 0) return res.end(bytes);
      res.write(bytes.subarray(0, cutAt));
      return setTimeout(() => res.destroy(), 5);
    }
    const { text, reset, random } = randomStream(seed);
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    for (let at = 0; at < text.length;) {
      const size = 1 + random(80);
      res.write(text.slice(at, at + size));
      at += size;
      if (random(4) === 0) await new Promise((r) => setTimeout(r, random(5)));
    }
    if (reset) res.destroy();
    else res.end();
  });
  await new Promise((resolve) => upstream.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${upstream.address().port}/v1`;
  mock = await startMockProvider();
  gw = await startGateway(null, (url) => {
    const doc = testConfig(url, { models: [model('mock', 'healthy@rs')] });
    doc.providers.push({ id: 'random', base_url: base, credentials: [{ id: 'main', env: 'MOCK_KEY' }] });
    doc.models.push(model('random', 'random', { prefill: true, tools: true }));
    doc.routes.push({ name: 'solo', targets: [{ provider: 'random', model: 'random' }] });
    doc.routes.push({ name: 'fallback', strategy: 'fallback', targets: [{ provider: 'random', model: 'random' }, { provider: 'mock', model: 'healthy@rs' }] });
    return doc;
  }, { mock });
});
after(async () => {
  await gw?.stop();
  await mock?.close();
  await new Promise((resolve) => upstream?.close(resolve));
});

test(`${STREAMS} random upstream streams: each ends with [DONE] after a finish reason, or with an error event`, async (t) => {
  const endings = new Map();
  for (let seed = 1; seed <= STREAMS; seed++) {
    const route = seed % 2 ? 'fallback' : 'solo';
    const body = { model: route, stream: true, messages: [{ role: 'user', content: `random:${seed}` }], ...(seed % 3 === 0 ? { reroute: { continuation: 'continue' } } : {}) };
    const r = await request(gw.url, { body, timeoutMs: 20000 });
    const label = `seed ${seed} (${route})`;
    assert.equal(r.timedOut, false, `${label}: no end within 20 s`);
    assert.ok(r.status === 200 || (r.status >= 400 && r.status !== 500), `${label}: HTTP ${r.status}`);
    if (r.status !== 200) {
      endings.set(`HTTP ${r.status}`, (endings.get(`HTTP ${r.status}`) ?? 0) + 1);
      continue;
    }
    const frames = jsonFrames(r.frames);
    const errorEvent = frames.some((f) => f.json.error);
    const finished = frames.some((f) => f.json.choices?.some((c) => c.finish_reason && c.finish_reason !== 'error'));
    if (r.done) {
      assert.ok(finished, `${label}: [DONE] without a finish reason`);
      assert.ok(!errorEvent, `${label}: [DONE] after an error event`);
    } else {
      assert.ok(errorEvent, `${label}: the stream ended without [DONE] and without an error event`);
    }
    const ending = r.done ? '[DONE]' : 'error event';
    endings.set(ending, (endings.get(ending) ?? 0) + 1);
  }
  t.diagnostic([...endings].map(([k, n]) => `${k}: ${n}`).join(', '));
  assert.ok(endings.get('[DONE]') > 0 && endings.get('error event') > 0, 'both endings were exercised');
  assert.deepEqual(gw.logs().filter((l) => l.event === 'error'), [], 'no request crashed');
});

test(`${STREAMS} random non-streaming answers: a 200 is always a whole answer, anything else an error with its envelope`, async (t) => {
  const outcomes = new Map();
  for (let seed = 1; seed <= STREAMS; seed++) {
    const route = seed % 2 ? 'fallback' : 'solo';
    const r = await request(gw.url, { body: { model: route, messages: [{ role: 'user', content: `random:${seed}` }] }, timeoutMs: 20000 });
    const label = `seed ${seed} (${route})`;
    assert.equal(r.timedOut, false, `${label}: no answer within 20 s`);
    assert.ok(r.status === 200 || (r.status >= 400 && r.status !== 500), `${label}: HTTP ${r.status}`);
    if (r.status === 200) {
      const choice = r.json?.choices?.[0];
      assert.ok(choice?.finish_reason && choice.message, `${label}: a 200 that is not a whole answer: ${r.text.slice(0, 200)}`);
      assert.ok(choice.message.content || choice.message.tool_calls?.length, `${label}: a 200 without text or tool call`);
    } else {
      assert.match(r.json?.error?.envelope ?? '', /^TALE_ERR1 /, `${label}: HTTP ${r.status} without an envelope`);
    }
    outcomes.set(String(r.status), (outcomes.get(String(r.status)) ?? 0) + 1);
  }
  t.diagnostic([...outcomes].map(([k, n]) => `HTTP ${k}: ${n}`).join(', '));
  assert.ok(outcomes.get('200') > 0 && outcomes.size > 1, 'answers and failures were exercised');
  assert.deepEqual(gw.logs().filter((l) => l.event === 'error'), [], 'no request crashed');
});
