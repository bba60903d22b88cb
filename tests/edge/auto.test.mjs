// `model: "auto"` and the reasoning governor at the edge (issue 6 section 3; reasoning.md 3, 4, 5):
// the ladder through the core, the classifier call through the failover planner, the route cache,
// the tier written into the upstream request, learned state per conversation.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { model, request, startGateway, testConfig } from './helpers.mjs';

const RANK = { off: 0, low: 1, medium: 2, high: 3 };
const tierOf = (r) => (r.headers['x-reroute-reasoning'] ?? '').split(';')[0].trim() || null;

/**
 * Config: `utility` (a failing target, then the mock classifier) is the utility model; the
 * described routes fast, smart, waste, deep are the implicit `auto` route's candidates.
 */
function autoConfig(mockUrl, utilityTargets) {
  const effort = { reasoning: { knob: 'effort' } };
  const cfg = testConfig(mockUrl, {
    models: [
      model('mock', '500'),
      model('backup', 'classifier'),
      model('mock', 'classifier-slow:3000'),
      model('mock', 'healthy'),
      model('mock', 'thinks:0.3@hard', {}, effort),
      model('mock', 'thinks:0.9@waste', {}, effort),
      model('anth', 'healthy@cold', {}, { reasoning: { knob: 'budget', min_budget_tokens: 1024 } }),
    ],
    routes: [
      { name: 'utility', targets: utilityTargets },
      { name: 'fast', description: 'Everyday questions', targets: [{ provider: 'mock', model: 'healthy' }] },
      { name: 'smart', description: 'Careful reasoning', targets: [{ provider: 'mock', model: 'thinks:0.3@hard' }] },
      { name: 'waste', description: 'Long analyses', targets: [{ provider: 'mock', model: 'thinks:0.9@waste' }] },
      { name: 'deep', description: 'Thorough research', targets: [{ provider: 'anth', model: 'healthy@cold' }] },
    ],
  });
  cfg.utility_model = 'utility';
  // An Anthropic-format provider (budget knob) served by the same mock.
  cfg.providers.push({ id: 'anth', api_format: 'anthropic', base_url: `${mockUrl}/v1`, credentials: [{ id: 'main', env: 'MOCK_KEY' }] });
  return cfg;
}

const classifierCalls = (mock) => mock.log().filter((e) => /^classifier/.test(e.model ?? '')).length;
const auto = (content, extra = {}) => ({ model: 'auto', messages: [{ role: 'user', content }], ...extra });

/** A conversation: the same user message after `turn` earlier exchanges (so no turn is a regeneration). */
function turnBody(content, turn) {
  const messages = [];
  for (let i = 0; i < turn; i++) messages.push({ role: 'user', content: `${content} (${i})` }, { role: 'assistant', content: `answer ${i}` });
  messages.push({ role: 'user', content });
  return { model: 'auto', messages };
}

describe('model auto', () => {
  let gw;
  before(async () => {
    gw = await startGateway(null, (url) => autoConfig(url, [{ provider: 'mock', model: '500' }, { provider: 'backup', model: 'classifier' }]));
  });
  after(() => gw?.stop());

  test('the classifier picks the route; a cache hit skips it; the classifier fails over like any request', async () => {
    const before = classifierCalls(gw.mock);
    const first = await request(gw.url, { body: auto('Please send this to smart, thanks.') });
    assert.equal(first.status, 200, first.text);
    assert.equal(first.headers['x-reroute-auto'], 'smart; reason=classified');
    assert.equal(classifierCalls(gw.mock), before + 1);
    // The utility route's first target failed (500) and the planner moved on.
    assert.ok(gw.mock.log().some((e) => e.model === '500'));
    // The same message, case and spacing aside: a cache hit, no classifier call.
    for (let i = 0; i < 3; i++) {
      const again = await request(gw.url, { body: auto('please   SEND this to smart, thanks.') });
      assert.equal(again.status, 200);
      assert.equal(again.headers['x-reroute-auto'], 'smart; reason=cached');
    }
    const streamed = await request(gw.url, { body: auto('please send this to smart, thanks.', { stream: true }) });
    assert.equal(streamed.status, 200);
    assert.ok(streamed.done);
    assert.equal(streamed.headers['x-reroute-auto'], 'smart; reason=cached');
    assert.equal(classifierCalls(gw.mock), before + 1);
    // The classifier call had the utility plan merged in (reasoning off where steerable) and 160 tokens.
    const call = gw.mock.log().find((e) => e.model === 'classifier');
    assert.equal(call.sent.max_tokens, 160);
    // The row went to the route-cache object, which armed its daily purge alarm without error.
    assert.deepEqual(gw.logs().filter((l) => l.event === 'reasoning_store_error'), []);
  });

  test('a hard prompt gets a higher tier than an easy one, written into the upstream request', async () => {
    const easy = await request(gw.url, { body: auto('thanks smart') });
    const hard = await request(gw.url, {
      body: auto('smart: debug this race condition and refactor the algorithm step by step:\n```js\nfor (;;) { a[i] = b[j]; }\n```'),
    });
    assert.equal(easy.status, 200);
    assert.equal(hard.status, 200);
    assert.match(hard.headers['x-reroute-auto'], /^smart; reason=/);
    assert.ok(RANK[tierOf(hard)] > RANK[tierOf(easy)], `${tierOf(easy)} -> ${tierOf(hard)}`);
    assert.equal(tierOf(hard), 'high');
    const sent = gw.mock.log().filter((e) => e.model === 'thinks:0.3@hard').map((e) => e.sent.reasoning_effort);
    // Effort models get the tier's effort value (off: `low`, the model has no `minimal`).
    assert.deepEqual(sent.slice(-2), [tierOf(easy) === 'off' ? 'low' : tierOf(easy), 'high']);
  });

  test('the client\'s own reasoning control is never overwritten', async () => {
    const r = await request(gw.url, { body: auto('smart: debug this algorithm', { reasoning_effort: 'low' }) });
    assert.equal(r.status, 200);
    assert.equal(r.headers['x-reroute-reasoning'], undefined);
    assert.equal(gw.mock.log().filter((e) => e.model === 'thinks:0.3@hard').at(-1).sent.reasoning_effort, 'low');
  });

  test('a run of wasted budget lowers the tier, without oscillating', async () => {
    const tiers = [];
    for (let turn = 0; turn < 8; turn++) {
      const r = await request(gw.url, {
        body: turnBody('waste: analyze why this query is slow and compare two fixes', turn),
        headers: { 'x-reroute-conversation': 'conv-waste' },
      });
      assert.equal(r.status, 200, r.text);
      assert.match(r.headers['x-reroute-auto'], /^waste; reason=/);
      tiers.push(tierOf(r));
    }
    assert.equal(tiers[0], 'high');
    assert.ok(RANK[tiers.at(-1)] < RANK[tiers[0]], tiers.join(' '));
    for (let i = 1; i < tiers.length; i++) assert.ok(RANK[tiers[i]] <= RANK[tiers[i - 1]], `no move up: ${tiers.join(' ')}`);
    // Once lowered it holds.
    assert.equal(new Set(tiers.slice(-4)).size, 1, tiers.join(' '));
    const sent = gw.mock.log().filter((e) => e.model === 'thinks:0.9@waste').map((e) => e.sent.reasoning_effort);
    assert.deepEqual(sent.slice(-8), tiers);
  });

  test('a cold-start quality drop raises the tier once (budget model)', async () => {
    const tiers = [];
    const budgets = [];
    for (let turn = 0; turn < 5; turn++) {
      const r = await request(gw.url, {
        body: { ...turnBody('ok deep', turn), stream: turn === 3 },
        headers: { 'x-reroute-conversation': 'conv-cold', ...(turn > 0 ? { 'x-reroute-quality': '0' } : {}) },
      });
      assert.equal(r.status, 200, r.text);
      assert.match(r.headers['x-reroute-auto'], /^deep; reason=/);
      tiers.push(tierOf(r));
      budgets.push(gw.mock.log().filter((e) => e.model === 'healthy@cold').at(-1).sent.thinking?.budget_tokens ?? 0);
    }
    // One bad answer is not enough; after the first score the tier goes up one step and stays.
    assert.equal(tiers[0], 'low', tiers.join(' '));
    assert.equal(tiers[1], 'medium', tiers.join(' '));
    assert.deepEqual(tiers.slice(2), ['medium', 'medium', 'medium']);
    assert.ok(budgets[1] > budgets[0], budgets.join(' '));
    assert.match(gw.mock.log().filter((e) => e.model === 'healthy@cold').at(-1).sent.thinking.type, /enabled/);
  });
});

describe('model auto: classifier timeout', () => {
  test('the default route answers when the classifier is too slow', async (t) => {
    const gw = await startGateway(t, (url) => autoConfig(url, [{ provider: 'mock', model: 'classifier-slow:3000' }]));
    // A 4 s client deadline leaves the classification a quarter: 1000 ms.
    const r = await request(gw.url, { body: auto('send this to smart please', { reroute: { deadline_ms: 4000 } }) });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.headers['x-reroute-auto'], 'fast; reason=fallback');
    assert.ok(r.ms < 2500, `${r.ms} ms`);
    // A fallback is not cached: the next request asks the classifier again.
    const again = await request(gw.url, { body: auto('send this to smart please', { reroute: { deadline_ms: 4000 } }) });
    assert.equal(again.headers['x-reroute-auto'], 'fast; reason=fallback');
    assert.equal(classifierCalls(gw.mock), 2);
  });
});

describe('declared auto routes and adaptive routes', () => {
  let gw;
  before(async () => {
    gw = await startGateway(null, (url) => {
      const cfg = autoConfig(url, [{ provider: 'backup', model: 'classifier' }]);
      // A named auto route over two candidates whose classifier is one model, not a route.
      cfg.models.push(model('mock', 'classifier-garbage'));
      cfg.routes.push({ name: 'pick', strategy: 'auto', candidates: ['waste', 'smart'], default: 'smart', classifier: 'backup:classifier' });
      cfg.routes.push({ name: 'pick-blind', strategy: 'auto', candidates: ['fast', 'waste'], default: 'waste', classifier: 'mock:classifier-garbage' });
      cfg.routes.find((r) => r.name === 'smart').reasoning = 'adaptive';
      // A budget model only this route uses, so its profile is observable.
      cfg.models.push(model('anth', 'healthy@probe', {}, { reasoning: { knob: 'budget', min_budget_tokens: 1024 } }));
      cfg.routes.push({ name: 'quality-probe', reasoning: 'adaptive', targets: [{ provider: 'anth', model: 'healthy@probe' }] });
      return cfg;
    });
  });
  after(() => gw?.stop());

  test('a declared auto route classifies among its own candidates with its own classifier', async () => {
    const before = gw.mock.log().filter((e) => e.model === 'classifier').length;
    const r = await request(gw.url, { body: { model: 'pick', messages: [{ role: 'user', content: 'please route to waste' }] } });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.headers['x-reroute-auto'], 'waste; reason=classified');
    assert.equal(gw.mock.log().filter((e) => e.model === 'classifier').length, before + 1);
    // `fast` is no candidate of `pick`: the mock classifier, not finding it listed, names the last
    // listed candidate.
    const other = await request(gw.url, { body: { model: 'pick', messages: [{ role: 'user', content: 'please route to fast' }] } });
    assert.equal(other.headers['x-reroute-auto'], 'smart; reason=classified');
  });

  test('GET /v1/models lists the auto routes with their candidates', async () => {
    const r = await request(gw.url, { path: '/v1/models', method: 'GET' });
    assert.equal(r.status, 200);
    const autos = JSON.parse(r.text).data.filter((m) => m.reroute?.kind === 'auto');
    assert.deepEqual(autos.map((m) => [m.id, m.reroute.candidates, m.reroute.default, m.reroute.classifier]), [
      ['pick', ['waste', 'smart'], 'smart', 'backup:classifier'],
      ['pick-blind', ['fast', 'waste'], 'waste', 'mock:classifier-garbage'],
      ['auto', ['fast', 'smart', 'waste', 'deep'], null, 'utility'],
    ]);
  });

  test('an unparsable classifier reply gives the declared default', async () => {
    const r = await request(gw.url, { body: { model: 'pick-blind', messages: [{ role: 'user', content: 'route to fast' }] } });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.headers['x-reroute-auto'], 'waste; reason=fallback');
  });

  test('a late quality score reaches the profile of the model that served the scored turn', async () => {
    const ask = (route, headers) => request(gw.url, { body: { model: route, messages: [{ role: 'user', content: 'ok thanks' }] }, headers });
    const first = await ask('quality-probe', { 'x-reroute-conversation': 'conv-score' });
    assert.equal(first.status, 200, first.text);
    assert.equal(tierOf(first), 'low');
    // The next turn of the conversation (on another route) scores the first answer 0.
    const next = await ask('smart', { 'x-reroute-conversation': 'conv-score', 'x-reroute-quality': '0' });
    assert.equal(next.status, 200, next.text);
    // No conversation: only the probe model's profile (one turn, quality EMA 0.5) steers, and its
    // cold-quality correction raises the tier one step.
    const fresh = await ask('quality-probe', {});
    assert.equal(fresh.status, 200, fresh.text);
    assert.equal(tierOf(fresh), 'medium');
  });

  test('a route set to adaptive is steered when named directly; other named routes are not', async () => {
    const hard = 'debug this race condition and refactor the algorithm step by step:\n```js\nfor (;;) { a[i] = b[j]; }\n```';
    const steered = await request(gw.url, { body: { model: 'smart', messages: [{ role: 'user', content: hard }] } });
    assert.equal(steered.status, 200, steered.text);
    assert.equal(steered.headers['x-reroute-auto'], undefined);
    assert.equal(tierOf(steered), 'high');
    assert.equal(gw.mock.log().filter((e) => e.model === 'thinks:0.3@hard').at(-1).sent.reasoning_effort, 'high');
    const plain = await request(gw.url, { body: { model: 'waste', messages: [{ role: 'user', content: hard }] } });
    assert.equal(plain.status, 200, plain.text);
    assert.equal(tierOf(plain), null);
    assert.equal(gw.mock.log().filter((e) => e.model === 'thinks:0.9@waste').at(-1).sent.reasoning_effort, null);
  });
});
