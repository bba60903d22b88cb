// One test per fault of issue 4 section 4, through workerd, against the fault-injecting mock.
// Timings are scaled down (first token 1.5 s, idle 1 s); tests/edge/acceptance.test.mjs keeps the
// real numbers. Attempt counts come from the mock's own log, so they are what the upstream saw.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { startMockProvider } from '../../edge/mock/provider.mjs';
import {
  FULL_ANSWER, KEYS, chat, closedPort, fingerprint, jsonFrames, model, request, silentPort, startGateway, streamText, testConfig,
  upstreamCalls,
} from './helpers.mjs';

// Every route gets providers of its own (same mock, same keys), so that the health one test
// leaves behind (a cooling key, an ejected endpoint) never touches another test.
const FAULT_ROUTES = [
  ['r429s', '429-retry-after:1'],
  ['r429d', '429-retry-date:1'],
  ['r429p', '429', 'healthy'],
  ['r429p1', '429:1', null, { retry: { same_target_retries: { rate_limited: 0 } } }],
  ['r500', '500-once'],
  ['r503', '503', 'healthy'],
  ['r503only', '503', null, { retry: { same_target_retries: { provider_error: 0 } } }],
  ['rreset', 'reset', 'healthy'],
  ['rsilent', 'no-response', 'healthy'],
  ['rslow', 'slow-first-token:5000', 'healthy'],
  ['rcut', 'cut-after:5', 'healthy'],
  ['rcutj', 'cut-after:5', 'healthy'],
  ['rhalf', 'cut-after:5:hang', 'healthy'],
  ['rstall', 'stall:5', 'healthy'],
  ['rmal', 'malformed-at:5', 'healthy'],
  ['rnodone', 'no-done'],
  ['rctx', 'context-length', 'healthy'],
  ['rfilter', 'content-filter', 'healthy'],
  ['rprefill', 'cut-after:5', 'rejects-prefill', {}, { prefill: false }],
  ['rbilled', 'billed-500', 'healthy', { retry: { same_target_retries: { provider_error: 0 } } }],
  ['r402', '402-quota', 'healthy'],
  ['r402only', '402-quota'],
  ['rinband', 'error-event:5', 'healthy'],
  ['rinband0', 'error-event:0', 'healthy'],
  ['rdrip', 'slow-drip:300:8'],
  ['rhang', 'slow-drip:400:20'],
];

function faultConfig(mockUrl, refusedPort, silent) {
  const doc = testConfig(mockUrl, { refusedPort });
  for (const [name, primary, fallback, policy = {}, fallbackCaps = {}] of FAULT_ROUTES) {
    const targets = [];
    for (const [role, fault, caps] of [['m', primary, {}], ['b', fallback, fallbackCaps]]) {
      if (!fault) continue;
      const provider = `${role}-${name}`.toLowerCase();
      doc.providers.push({ id: provider, base_url: `${mockUrl}/v1`, credentials: [{ id: 'main', env: role === 'm' ? 'MOCK_KEY' : 'BACKUP_KEY' }] });
      doc.models.push(model(provider, `${fault}@${name}`, caps));
      targets.push({ provider, model: `${fault}@${name}` });
    }
    doc.routes.push({ name, strategy: 'fallback', targets, ...policy });
  }
  doc.models.push(model('keys', 'healthy@rkeys'), model('twoeps', 'healthy@rrefused'));
  doc.routes.push({ name: 'rkeys', targets: [{ provider: 'keys', model: 'healthy@rkeys' }] });
  doc.routes.push({ name: 'rrefused', targets: [{ provider: 'twoeps', model: 'healthy@rrefused' }] });
  doc.providers.push({ id: 'silent', base_url: `http://127.0.0.1:${silent}/v1`, credentials: [{ id: 'main', env: 'MOCK_KEY' }] });
  doc.models.push(model('silent', 'healthy@rsilenthost'), model('mock', 'healthy@rsilenthost'));
  doc.routes.push({ name: 'rsilenthost', targets: [{ provider: 'silent', model: 'healthy@rsilenthost' }, { provider: 'mock', model: 'healthy@rsilenthost' }] });
  return doc;
}

let gw;
let mock;
let silent;
before(async () => {
  mock = await startMockProvider();
  const refusedPort = await closedPort();
  silent = await silentPort();
  gw = await startGateway(null, (url) => faultConfig(url, refusedPort, silent.port), { mock });
});
after(async () => {
  await gw?.stop();
  await mock?.close();
  silent?.close();
});

const post = (body, opts) => request(gw.url, { body, ...opts });
const errorFrame = (frames) => jsonFrames(frames).find((f) => f.event === null && f.json.error)?.json.error;
const finishReasons = (frames) => jsonFrames(frames).flatMap((f) => f.json.choices?.map((c) => c.finish_reason).filter(Boolean) ?? []);

describe('rate limits', () => {
  test('429 with Retry-After in seconds: the same target is retried after the hint (±100 ms)', async (t) => {
    const r = await post(chat('r429s'));
    assert.equal(r.status, 200);
    assert.equal(r.headers['x-reroute-attempts'], '2');
    const calls = upstreamCalls(mock, '429-retry-after:1@r429s');
    assert.equal(calls.length, 2);
    const gap = calls[1].t_ms - calls[0].t_ms;
    t.diagnostic(`retried ${Math.round(gap)} ms after the first call (hint 1000 ms)`);
    assert.ok(gap >= 900 && gap <= 1100, `retry after ${gap} ms, hint 1000 ms`);
  });

  test('429 with Retry-After as an HTTP date: the retry waits until that date (±100 ms)', async (t) => {
    const r = await post(chat('r429d'));
    assert.equal(r.status, 200);
    const calls = upstreamCalls(mock, '429-retry-date:1@r429d');
    assert.equal(calls.length, 2);
    const date = Math.ceil((calls[0].time + 1000) / 1000) * 1000; // what the mock announced
    const late = calls[1].time - date;
    t.diagnostic(`retried ${late} ms after the announced date`);
    assert.ok(late >= -100 && late <= 100, `retry ${late} ms after the announced date`);
  });

  test('persistent 429: served by the fallback at once, the trail names rate_limited', async () => {
    const r = await post(chat('r429p'));
    assert.equal(r.status, 200);
    assert.match(r.headers['x-reroute-fallbacks'], /code=rate_limited/);
    assert.match(r.headers['x-reroute-served-by'], /provider=b-/);
    assert.equal(upstreamCalls(mock, 'healthy@r429p').length, 1);
  });

  test('persistent 429 with nowhere else to go: 429 with Retry-After and the envelope', async () => {
    const r = await post(chat('r429p1'));
    assert.equal(r.status, 429);
    assert.equal(r.json.error.code, 'rate_limited');
    assert.ok(r.headers['retry-after'], 'Retry-After header');
    assert.match(r.json.error.envelope, /^TALE_ERR1 /);
  });
});

describe('server errors and transport failures', () => {
  test('500 once: the same target is retried and answers', async () => {
    const r = await post(chat('r500'));
    assert.equal(r.status, 200);
    assert.equal(r.headers['x-reroute-attempts'], '2');
    assert.equal(upstreamCalls(mock, '500-once@r500').length, 2);
    assert.equal(r.json.choices[0].message.content, FULL_ANSWER);
  });

  test('503 persistent: the fallback serves; with no fallback the client gets 502 and the envelope', async () => {
    const r = await post(chat('r503'));
    assert.equal(r.status, 200);
    assert.match(r.headers['x-reroute-served-by'], /provider=b-/);
    assert.match(r.headers['x-reroute-fallbacks'], /code=provider_error;kind=http_error/);
    const f = await post(chat('r503only'));
    assert.equal(f.status, 502);
    assert.equal(f.json.error.code, 'provider_error');
    assert.equal(f.json.error.type, 'provider_error');
    assert.match(f.json.error.message, /temporarily experiencing issues/);
    assert.match(f.json.error.envelope, /^TALE_ERR1 %7B%22code%22%3A%22provider_error%22/);
    assert.equal(f.headers['x-reroute-attempts'], '1');
  });

  test('TCP reset: the fallback serves', async () => {
    const r = await post(chat('rreset'));
    assert.equal(r.status, 200);
    assert.match(r.headers['x-reroute-fallbacks'], /kind=reset/);
    assert.match(r.headers['x-reroute-served-by'], /provider=b-/);
  });

  test('no response at all: the fallback answers within the first-token budget + 1 s', async () => {
    const r = await post(chat('rsilent'));
    assert.equal(r.status, 200);
    assert.ok(r.ms < 1500 + 1000, `answered after ${Math.round(r.ms)} ms`);
    assert.match(r.headers['x-reroute-fallbacks'], /kind=timeout_first_token/);
    assert.equal(upstreamCalls(mock, 'no-response@rsilent').length, 1, 'a silent target is not retried');
  });

  test('a host that does not answer connections: connect timeout (1 s, before the 1.5 s first-token timeout), the fallback serves', async () => {
    const t0 = Date.now();
    const r = await post(chat('rsilenthost'));
    const ms = Date.now() - t0;
    assert.equal(r.status, 200);
    assert.equal(r.json.model, 'healthy@rsilenthost');
    assert.match(r.headers['x-reroute-fallbacks'], /kind=timeout_connect/);
    assert.ok(ms >= 1000 && ms < 1500, `answered after ${ms} ms`);
  });

  test('refused connection on one endpoint: the sibling endpoint serves', async () => {
    const r = await post(chat('rrefused'));
    assert.equal(r.status, 200);
    assert.match(r.headers['x-reroute-served-by'], /ep=mock/);
    assert.match(r.headers['x-reroute-fallbacks'], /kind=connect_refused/);
  });
});

describe('streams', () => {
  test('slow first token: the fallback answers, nothing of the slow attempt reaches the client', async () => {
    const r = await post(chat('rslow', { stream: true }));
    assert.equal(r.status, 200);
    assert.ok(r.ms < 1500 + 1000, `answered after ${Math.round(r.ms)} ms`);
    assert.ok(r.done);
    assert.equal(streamText(r.frames), FULL_ANSWER);
    assert.match(r.headers['x-reroute-fallbacks'], /kind=timeout_first_token/);
    assert.ok(r.frames.some((f) => f.event === 'reroute.fallback'), 'a fallback notice');
  });

  test('stream cut after N tokens: error chunk, error frame with the envelope, no [DONE]', async () => {
    const r = await post(chat('rcut', { stream: true }));
    assert.equal(r.status, 200);
    assert.equal(r.done, false);
    assert.ok(streamText(r.frames).startsWith('Mock answer'));
    assert.ok(finishReasons(r.frames).includes('error'));
    const e = errorFrame(r.frames);
    assert.equal(e.partial, true);
    assert.equal(e.code, 'provider_error');
    assert.match(e.envelope, /^TALE_ERR1 /);
    assert.ok(r.frames.some((f) => f.event === 'reroute.trail'));
  });

  test('non-streaming answer cut halfway: never a truncated success, the fallback answers', async () => {
    const r = await post(chat('rcutj'));
    assert.equal(r.status, 200);
    assert.equal(r.json.choices[0].message.content, FULL_ANSWER);
    assert.equal(r.json.model, 'healthy@rcutj');
    assert.match(r.headers['x-reroute-fallbacks'], /kind=reset/);
  });

  test('non-streaming answer silent halfway: the idle timeout ends it, the fallback answers', async () => {
    const t0 = Date.now();
    const r = await post(chat('rhalf'));
    assert.equal(r.status, 200);
    assert.equal(r.json.model, 'healthy@rhalf');
    assert.match(r.headers['x-reroute-fallbacks'], /kind=timeout_idle/);
    assert.ok(Date.now() - t0 < 1000 + 1000, `answered after ${Date.now() - t0} ms (idle timeout 1 s)`);
  });

  test('stall mid-stream: detected within the idle timeout + 0.5 s, ended with an error', async () => {
    const r = await post(chat('rstall', { stream: true }));
    assert.equal(r.done, false);
    const content = jsonFrames(r.frames).filter((f) => f.json.choices?.[0]?.delta?.content);
    const lastToken = content.at(-1).t;
    const end = errorFrame(r.frames);
    assert.ok(end, 'error frame');
    const endT = r.frames.find((f) => f.data?.includes('"partial":true')).t;
    assert.ok(endT - lastToken < 1000 + 500, `stall detected after ${Math.round(endT - lastToken)} ms`);
    assert.match(r.frames.find((f) => f.event === 'reroute.trail').data, /timeout_idle/);
  });

  test('malformed SSE chunk after the commit point: error ending, never a normal end', async () => {
    const r = await post(chat('rmal', { stream: true }));
    assert.equal(r.done, false);
    assert.ok(finishReasons(r.frames).includes('error'));
    assert.match(r.frames.find((f) => f.event === 'reroute.trail').data, /stream_malformed/);
  });

  test('missing [DONE] after a finish reason: complete, the gateway writes [DONE]', async () => {
    const r = await post(chat('rnodone', { stream: true }));
    assert.equal(r.done, true);
    assert.equal(streamText(r.frames), FULL_ANSWER);
    assert.equal(errorFrame(r.frames), undefined);
  });

  test('in-band error event after N tokens: error ending with the classified code', async () => {
    const r = await post(chat('rinband', { stream: true }));
    assert.equal(r.done, false);
    const e = errorFrame(r.frames);
    assert.ok(e && e.partial === true);
    assert.match(r.frames.find((f) => f.event === 'reroute.trail').data, /in_band_error/);
  });

  test('in-band error event before any token: transparent failover', async () => {
    const r = await post(chat('rinband0', { stream: true }));
    assert.equal(r.status, 200);
    assert.equal(r.done, true);
    assert.equal(streamText(r.frames), FULL_ANSWER);
    assert.match(r.headers['x-reroute-fallbacks'], /kind=in_band_error/);
  });

  test('slow-drip tokens inside the idle timeout are never cut', async () => {
    const r = await post(chat('rdrip', { stream: true }));
    assert.equal(r.done, true);
    assert.equal(errorFrame(r.frames), undefined);
    assert.ok(r.ms > 8 * 300 - 400, `took ${Math.round(r.ms)} ms`);
    assert.equal(r.headers['x-reroute-attempts'], '1');
  });

  test('fallback target that rejects prefill: continuation restarts it without a prefill', async () => {
    const r = await post(chat('rprefill', { stream: true, reroute: { continuation: 'continue' } }));
    assert.equal(r.done, true);
    assert.ok(r.frames.some((f) => f.event === 'reroute.restart'), 'restart event');
    assert.ok(r.frames.some((f) => f.event === 'reroute.fallback'), 'fallback notice');
    const fb = upstreamCalls(mock, 'rejects-prefill@rprefill');
    assert.equal(fb.length, 1);
    assert.equal(fb[0].prefill, null, 'no prefill sent to a target that refuses it');
    assert.equal(fb[0].status, 200);
  });

  test('client disconnect cancels the upstream request', async () => {
    await post(chat('rhang', { stream: true }), { abortAfterMs: 1200 });
    await new Promise((r) => setTimeout(r, 1500));
    const calls = upstreamCalls(mock, 'slow-drip:400:20@rhang');
    assert.equal(calls.length, 1);
    assert.equal(calls[0].client_closed, true, 'the gateway closed the upstream request');
  });
});

describe('request errors, keys and billing', () => {
  test('context length exceeded: terminal, 400 context_length after one attempt', async () => {
    const r = await post(chat('rctx'));
    assert.equal(r.status, 400);
    assert.equal(r.json.error.code, 'context_length');
    assert.equal(upstreamCalls(mock, 'healthy@rctx').length, 0, 'no generic fallback to a window that is not larger');
  });

  test('content filter: terminal, 400 content_filter, the fallback is not asked', async () => {
    const r = await post(chat('rfilter'));
    assert.equal(r.status, 400);
    assert.equal(r.json.error.code, 'content_filter');
    assert.equal(upstreamCalls(mock, 'healthy@rfilter').length, 0);
  });

  test('usage accounting: the response reports only the serving attempt', async () => {
    const r = await post(chat('rbilled'));
    assert.equal(r.status, 200);
    const failed = upstreamCalls(mock, 'billed-500@rbilled')[0];
    assert.ok(failed.billed.completion_tokens > 0, 'the failed attempt billed tokens upstream');
    assert.deepEqual(r.json.usage, { prompt_tokens: 4, completion_tokens: 32, total_tokens: 36 });
    assert.equal(r.json.model, 'healthy@rbilled');
  });

  test('401 on one key while a sibling key serves', async () => {
    const r = await post(chat('rkeys'));
    assert.equal(r.status, 200);
    assert.match(r.headers['x-reroute-served-by'], new RegExp(`fp=${fingerprint(KEYS.GOOD_KEY)}`));
    assert.match(r.headers['x-reroute-fallbacks'], /code=auth_error/);
    assert.doesNotMatch(JSON.stringify(r.headers), new RegExp(KEYS.BAD_KEY));
  });

  test('402 quota: the fallback serves; alone, the client gets 402 credit_exhausted', async () => {
    const r = await post(chat('r402'));
    assert.equal(r.status, 200);
    assert.match(r.headers['x-reroute-fallbacks'], /code=credit_exhausted/);
    const f = await post(chat('r402only'));
    assert.equal(f.status, 402);
    assert.equal(f.json.error.code, 'credit_exhausted');
  });
});
