// The JS API: plain objects in and out, absent fields absent, and no exception for any input.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { loadReroute, randomValue, seededRandom, wasmBytes } from './helpers.mjs';

const reroute = await loadReroute(wasmBytes());

test('decodeEnvelope leaves absent fields absent, never empty strings', () => {
  const decoded = reroute.decodeEnvelope('plain provider error string');
  assert.deepEqual(Object.keys(decoded), ['raw']);
  assert.deepEqual(reroute.decodeEnvelope(''), {});
  assert.deepEqual(reroute.decodeEnvelope(null), {});
  assert.deepEqual(reroute.decodeEnvelope(undefined), {});
});

test('an envelope round-trips through encode and decode', () => {
  const fields = { code: 'rate_limited', provider: 'openrouter', model: 'anthropic/claude', tried: 2, raw: 'HTTP 429\nslow down' };
  const stored = reroute.encodeEnvelope(fields);
  assert.ok(stored.startsWith('TALE_ERR1 %7B'));
  assert.deepEqual(reroute.decodeEnvelope(stored), {
    code: 'rate_limited', provider: 'openrouter', model: 'anthropic/claude', triedCount: 2, raw: 'HTTP 429\nslow down',
  });
});

test('the retry hint travels as an extra header member', () => {
  const stored = reroute.encodeEnvelope({ code: 'rate_limited', retryAfterMs: 2000 });
  assert.equal(reroute.decodeEnvelope(stored).retryAfterMs, 2000);
});

test('classify accepts any JS value', () => {
  assert.equal(reroute.classify('Rate limit exceeded'), 'rate_limited');
  assert.equal(reroute.classify({ statusCode: 503 }), 'provider_error');
  assert.equal(reroute.classify({ data: { code: 'CHAT_MODEL_UNKNOWN' } }), 'model_not_found');
  assert.equal(reroute.classify({ error: { code: 1311 } }), 'model_not_entitled');
  for (const odd of [null, undefined, 42, true, [], Symbol('x'), () => 1, { status: '402' }]) {
    assert.equal(reroute.classify(odd), 'generic', String(typeof odd));
  }
  assert.equal(reroute.classifyMessage('DNS lookup failed'), 'provider_unreachable');
});

test('wrong input types give defined results, never an exception', () => {
  assert.equal(typeof reroute.encodeEnvelope(null), 'string');
  assert.equal(reroute.sanitize(42).code, 'generic');
  assert.deepEqual(reroute.restProjection(undefined), { error: 'The turn failed.' });
  assert.equal(reroute.hint(null).key, 'errorGeneratingDescription');
  assert.equal(reroute.parseNotice(7), null);
  assert.deepEqual(reroute.autoSwitch(null), { switchTo: null, processed: [] });
  assert.equal(reroute.retirement(undefined), 'none');
  assert.equal(reroute.failureScope(null), 'terminal');
  assert.equal(reroute.fingerprint(undefined), '');
  assert.equal(reroute.fingerprint(7), '');
  assert.deepEqual(reroute.reasoningConfig(undefined), { ok: false });
  assert.deepEqual(reroute.reasoningConfig({}), { ok: false });
});

test('random values into every function of the API: no exception', () => {
  // Seeded, so every run calls the same things; the handles have their own sweep (routing).
  const random = seededRandom(20261124);
  const kinds = {
    texts: ['', 'x', '\ud800', '\udc00a', 'TALE_ERR1 %7B%22code%22%3A%22rate_limited%22%7D\nmsg', '[MODEL_FALLBACK] from=a to=b reason=x',
      'data: {}\n\n', '{"error":{"message":"quota","code":429}}', '<html>', 'a'.repeat(5000), '\u0000', '😀'.repeat(100), '{"a":'.repeat(600),
      'sk-ABCDEF0123456789abcdef'],
    keys: ['status', 'message', 'code', 'kind', 'headers', 'body', 'route', 'provider', 'model', 'locale', 'error', 'raw', 'envelope',
      'retryAfter', 'from', 'to', 'reason', 'content', 'tried'],
  };
  const names = Object.keys(reroute).filter((name) => typeof reroute[name] === 'function' && !name.startsWith('create'));
  assert.ok(names.length > 40, `${names.length} functions`);
  for (let i = 0; i < 10000; i++) {
    const name = names[random(names.length)];
    const args = Array.from({ length: random(4) }, () => randomValue(random, kinds));
    assert.doesNotThrow(() => reroute[name](...args), name);
  }
});

test('hint renders the named variant in each language', () => {
  assert.deepEqual(reroute.hint({ code: 'rate_limited', provider: 'OpenRouter', locale: 'de' }), {
    key: 'errorHintRateLimitedNamed',
    text: 'Ratenlimit bei OpenRouter erreicht. Bitte warte einen Moment und versuche es erneut.',
  });
});

test('scope keys carry only the fingerprint of the key', () => {
  const keys = reroute.scopeKeys({ provider: 'openrouter', apiKey: 'sk-or-v1-secret', baseUrl: 'https://a' });
  assert.equal(keys.credential, `cred:openrouter:${reroute.fingerprint('sk-or-v1-secret')}`);
  assert.ok(!JSON.stringify(keys).includes('secret'));
});

test('a fallback notice formats, parses and renders', () => {
  const content = reroute.formatNotice({ from: 'openai:gpt-5', to: 'anthropic/claude-opus-4.8', reason: 'rate_limited' });
  assert.deepEqual(reroute.parseNotice(content), { from: 'openai:gpt-5', to: 'anthropic/claude-opus-4.8', reason: 'rate_limited' });
  assert.equal(reroute.noticeText({ from: 'openai:gpt-5', to: 'anthropic/claude-opus-4.8', locale: 'fr' }),
    'gpt-5 était indisponible — passage à claude-opus-4.8.');
});

test('a 1 MiB malformed envelope decodes to its raw text', () => {
  const huge = 'TALE_ERR1 %7B' + '%'.repeat(1 << 20) + '\nrest';
  assert.deepEqual(reroute.decodeEnvelope(huge), { raw: huge });
});
