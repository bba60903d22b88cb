// api.reasoningConfig: the core's view of a routing config for automatic routing and the governor
// (reasoning.md 3.1), as the edge reads it once per loaded config.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { loadReroute, wasmBytes } from './helpers.mjs';

const reroute = await loadReroute(wasmBytes());

const base = {
  providers: [{ id: 'p', base_url: 'https://api.example.com/v1', credentials: [{ id: 'main', env: 'P_KEY' }] }],
  models: [
    { provider: 'p', id: 'small', context_window: 8000, max_output_tokens: 2000 },
    { provider: 'p', id: 'thinker', context_window: 200000, max_output_tokens: 64000, reasoning: { knob: 'budget', min_budget_tokens: 2048 } },
    { provider: 'p', id: 'effort', context_window: 200000, max_output_tokens: 32000, reasoning: { knob: 'effort', supports_minimal: true } },
  ],
  routes: [
    { name: 'chat', description: 'Everyday questions', targets: [{ provider: 'p', model: 'small' }] },
    { name: 'code', description: 'Programming', agent_type: 'coder', max_steps: 8, reasoning: 'adaptive', targets: [{ provider: 'p', model: 'thinker' }] },
    { name: 'utility', targets: [{ provider: 'p', model: 'small' }] },
  ],
  utility_model: 'utility',
};
const view = (doc) => reroute.reasoningConfig(JSON.stringify(doc));

test('without a declared auto route, auto offers every described route, classified by utility_model', () => {
  const v = view(base);
  assert.equal(v.ok, true);
  assert.deepEqual(v.autoRoutes, [{
    name: 'auto', default: null, classifier: 'utility',
    candidates: [{ slug: 'chat', description: 'Everyday questions' }, { slug: 'code', description: 'Programming' }],
  }]);
});

test('a declared auto route replaces the implicit one and keeps its own default and classifier', () => {
  const v = view({ ...base, routes: [...base.routes, { name: 'auto', strategy: 'auto', candidates: ['code'], default: 'code', classifier: 'p:effort' }] });
  assert.deepEqual(v.autoRoutes, [{ name: 'auto', default: 'code', classifier: 'p:effort', candidates: [{ slug: 'code', description: 'Programming' }] }]);
});

test('no described route and no declared auto route: no auto route at all', () => {
  const v = view({ ...base, routes: base.routes.map(({ description, ...r }) => r) });
  assert.deepEqual(v.autoRoutes, []);
});

test('route attributes carry their defaults', () => {
  assert.deepEqual(view(base).routes, [
    { name: 'chat', description: 'Everyday questions', agentType: 'chat', maxSteps: 0, reasoning: 'off' },
    { name: 'code', description: 'Programming', agentType: 'coder', maxSteps: 8, reasoning: 'adaptive' },
    { name: 'utility', description: '', agentType: 'chat', maxSteps: 0, reasoning: 'off' },
  ]);
});

test('a model capability is what govern takes; a model that declares no knob is never steered', () => {
  assert.deepEqual(view(base).models, [
    { ref: 'p:small', capability: null },
    { ref: 'p:thinker', capability: { knob: 'budget', supports_minimal: false, min_budget_tokens: 2048, max_output_tokens: 64000 } },
    { ref: 'p:effort', capability: { knob: 'effort', supports_minimal: true, max_output_tokens: 32000 } },
  ]);
});

test('a config that does not load gives ok: false, nothing else', () => {
  assert.deepEqual(reroute.reasoningConfig('{"providers": ['), { ok: false });
  assert.deepEqual(view({ ...base, utility_model: 'nowhere' }), { ok: false });
});
