// `model: "auto"` and the reasoning governor at the edge (reasoning.md 3.2, 4, 5; issue 6 section 3).
// The core decides everything (the ladder, the classifier prompt and reply, the cache rows, the
// tier, the wire patch, the learned state); this file does the I/O between the steps:
//
//   1. facts of the body (reasoningRequestFacts), the thread record (conversation id) and the
//      route-cache row (isolate, else Durable Object) -> autoRoutePlan;
//   2. on a miss: the classifier call through the failover planner (router.start on the utility
//      route, attempts.next/report, like any request), bounded by the core's share of the
//      client's deadline (a quarter of what is left, at most 8000 ms) -> autoRoute; a classified
//      decision is cached;
//   3. per upstream attempt: govern() with that attempt's model capability, the thread state and
//      the model's profile; the patch goes into the upstream body (never over a client field);
//   4. after a successful turn: the outcome (reasoningOutcome) folded into the thread and profile.
//
// Configuration (reasoning.md 3.1) comes from the core's view of the loaded config
// (api.reasoningConfig): the auto routes (a declared `strategy: "auto"` route, or the implicit
// `auto` over every route with a description), each route's description, agent type, max steps
// and reasoning mode, and each model's declared reasoning capability (none declared: not steered).
//
// Conversation id (thread state): header `x-reroute-conversation` (or `x-conversation-id`), else
// the body's `metadata.conversation_id`. Quality: header `x-reroute-quality` (0..1) on a turn
// scores the previous turn of the same conversation; that turn is folded again with it.
import { logAttempt, logLine, logRequest } from './log.mjs';
import { isRecord, seed } from './http.mjs';
import { attemptOnce, waitOut } from './gateway.mjs';
import { cacheGet, cacheLocal, cachePut, learn, profileCached, profilesLoad, threadGet } from './reasoning-store.mjs';

const setups = new WeakMap();

/** What automatic routing and the governor need from the loaded config (memoised per router). */
export function autoSetup(rt) {
  const router = rt.router;
  let s = setups.get(router);
  if (s) return s;
  const view = rt.api.reasoningConfig(rt.configText);
  const autoRoutes = new Map((view.ok ? view.autoRoutes : []).map((a) => [a.name, { ...a, hash: rt.api.candidatesHash({ candidates: a.candidates }).hash }]));
  const attrs = new Map((view.ok ? view.routes : []).map((r) => [r.name, { agentType: r.agentType, maxSteps: r.maxSteps, adaptive: r.reasoning === 'adaptive' }]));
  const caps = new Map((view.ok ? view.models : []).map((m) => [m.ref, m.capability]));
  const targetModels = new Map(router.routes().map((r) => [r.name, [...new Set(r.targets.map((t) => t.ref))]]));
  /** The reasoning capability of an attempt's model (null: knob none). */
  const capability = (d) => caps.get(d.ref) ?? null;
  s = { autoRoutes, attrs, capability, targetModels };
  setups.set(router, s);
  return s;
}

/** The auto routes a request may name as `model` (for /v1/models). */
export function autoRoutes(rt) {
  return [...autoSetup(rt).autoRoutes.values()];
}

/** The conversation id a client sent (header, else body metadata), or ''. */
export function conversationOf(request, body) {
  const h = request.headers.get('x-reroute-conversation') ?? request.headers.get('x-conversation-id');
  if (h) return h.slice(0, 256);
  const m = isRecord(body.metadata) ? body.metadata.conversation_id : undefined;
  return typeof m === 'string' && m ? m.slice(0, 256) : '';
}

function qualityOf(request) {
  const q = request.headers.get('x-reroute-quality');
  if (q === null) return undefined;
  const n = Number(q);
  return Number.isFinite(n) ? Math.min(1, Math.max(0, n)) : undefined;
}

/**
 * The reasoning context of a request whose route is `auto` (or an adaptive route): runs the
 * ladder when auto. Resolves { error } (a Response) or the context the attempts use:
 * { route, auto?: {slug, reason}, seed?, facts, thread, conv, setup, signal, ... }.
 */
export async function prepareReasoning({ rt, env, ctx, body, request, sync, t0 }) {
  const api = rt.api;
  const setup = autoSetup(rt);
  const autoRoute = setup.autoRoutes.get(body.model);
  const facts = api.reasoningRequestFacts({ body });
  const conv = conversationOf(request, body);
  const threadP = conv ? threadGet(env, ctx, conv, qualityOf(request)) : null;
  const r = { setup, facts, conv, thread: null, auto: null, seed: undefined, plans: new Map(), route: body.model };
  if (autoRoute) {
    const { candidates, hash } = autoRoute;
    const input = { candidates, default_slug: autoRoute.default ?? undefined, message: facts.message };
    let row = cacheLocal(hash, facts.message_key);
    if (row === undefined) row = facts.message_key ? await cacheGet(env, hash, facts.message_key) : null;
    const now = Date.now();
    const deadline = body.reroute?.deadline_ms;
    const left = Number.isFinite(deadline) ? { deadline_left_ms: deadline - (now - t0) } : {};
    const plan = api.autoRoutePlan({ ...input, ...left, now_ms: now, cache_row: row });
    let decision = plan.decision;
    if (!decision) {
      const classifier = await classify({ rt, env, ctx, sync, request, body, call: plan.classifier, setup, target: autoRoute.classifier });
      decision = api.autoRoute({ ...input, now_ms: Date.now(), cache_row: row, classifier });
      if (decision.cache_write) cachePut(env, ctx, hash, facts.message_key, decision.cache_write);
    }
    if (!decision.slug) {
      return { error: Response.json({ error: { message: `model "${body.model}": no candidate route is configured`, type: 'invalid_request_error', code: 'config_error' } }, { status: 503 }) };
    }
    r.auto = decision;
    r.route = decision.slug;
    r.seed = decision.seed;
    r.autoMs = Date.now() - t0;
  }
  const attrs = setup.attrs.get(r.route) ?? { agentType: 'chat', maxSteps: 0 };
  r.agentType = attrs.agentType;
  r.signals = {
    text: facts.message, has_attachments: facts.has_attachments, has_web: facts.has_web, tool_count: facts.tool_count,
    history_message_count: facts.history_message_count, max_steps: attrs.maxSteps, agent_type: attrs.agentType,
  };
  const keys = (setup.targetModels.get(r.route) ?? []).map((ref) => `${ref}::${attrs.agentType}`);
  const [thread] = await Promise.all([threadP, profilesLoad(env, keys)]);
  r.thread = thread;
  const last = thread?.last_turn;
  r.retried = Boolean(last && last.message_key === facts.message_key && last.history === facts.history_message_count);
  return r;
}

/** Whether a request naming `model` runs the governor: an auto route, or a route set to adaptive. */
export function isAdaptive(rt, model) {
  const setup = autoSetup(rt);
  return setup.autoRoutes.has(model) || setup.attrs.get(model)?.adaptive === true;
}

/**
 * The governor's step for one attempt (memoised per attempt number): { g, profileKey, header }.
 * The patch joins the upstream body where the client set nothing (5.7; attemptBody in gateway.mjs).
 */
export function planAttempt(api, r, d) {
  let p = r.plans.get(d.number);
  if (p) return p;
  const profileKey = `${d.ref}::${r.agentType}`;
  const g = api.govern({
    request: r.signals, seed: r.seed, capability: r.setup.capability(d),
    thread: r.thread?.reasoning ?? null, profile: profileCached(profileKey), client: r.facts.client,
  });
  let header;
  if (g.applied && g.decision) {
    const budget = g.patch.thinking?.budget_tokens;
    header = budget === undefined ? g.decision.tier : `${g.decision.tier}; budget=${budget}`;
  }
  p = { g, profileKey, header };
  r.plans.set(d.number, p);
  return p;
}

/** `x-reroute-auto` and `x-reroute-reasoning` (into the record `h`) for the serving (or committing) attempt. */
export function reasoningHeaders(h, r, d) {
  if (!r) return;
  if (r.auto) h['x-reroute-auto'] = `${r.auto.slug}; reason=${r.auto.reason}`;
  const p = d ? r.plans.get(d.number) : undefined;
  if (p?.header) h['x-reroute-reasoning'] = p.header;
}

/**
 * After a turn that succeeded on attempt `d`: its outcome into the thread and the profile
 * (steerable plans only), the pointer and the last turn into the thread record.
 * `response`: { reasoning_tokens?, completion_tokens?, finish_reason? }.
 */
export function learnTurn(api, env, ctx, r, d, response) {
  if (!r) return;
  const p = d ? r.plans.get(d.number) : undefined;
  let outcome;
  if (p?.g.record) outcome = api.reasoningOutcome({ record: p.g.record, response: { ...response, retried: r.retried } });
  if (!outcome && !r.conv) return;
  learn(env, ctx, {
    conv: r.conv, profileKey: p?.profileKey, outcome, pointer: r.auto?.pointer ?? null,
    lastTurn: { message_key: r.facts.message_key, history: r.facts.history_message_count },
  });
}

/** Usage facts of a non-streaming answer body. */
export function responseFacts(bytes) {
  try {
    const j = JSON.parse(new TextDecoder().decode(bytes));
    const u = j?.usage ?? {};
    const msg = j?.choices?.[0]?.message ?? {};
    const reasoningText = typeof msg.reasoning_content === 'string' ? msg.reasoning_content : typeof msg.reasoning === 'string' ? msg.reasoning : '';
    return usageFacts(u, j?.choices?.[0]?.finish_reason, reasoningText.length);
  } catch {
    return {};
  }
}

/** { reasoning_tokens?, reasoning_characters?, completion_tokens?, finish_reason? } from a usage object. */
export function usageFacts(u, finish, reasoningChars = 0) {
  const out = {};
  const rt = u?.completion_tokens_details?.reasoning_tokens;
  if (Number.isInteger(rt)) out.reasoning_tokens = rt;
  else if (reasoningChars > 0) out.reasoning_characters = reasoningChars;
  if (Number.isInteger(u?.completion_tokens)) out.completion_tokens = u.completion_tokens;
  if (typeof finish === 'string' && finish) out.finish_reason = finish;
  return out;
}

/**
 * The classifier call (4.3): the utility route planned like any request, at most
 * call.timeout_ms (the core's share of the client's deadline) for the whole classification.
 * Resolves the core's ClassifierResult: {outcome: 'ok', reply} | {outcome: 'timeout'} | {outcome: 'error'}.
 */
async function classify({ rt, env, ctx, sync, request, body, call, setup, target }) {
  const api = rt.api;
  if (!target) {
    logLine('auto_classifier', { ok: false, problems: ['no classifier: the auto route has none and the config no utility_model'] });
    return { outcome: 'error' };
  }
  // The core's share of the client's deadline for the whole classification (0: nothing left).
  const budgetMs = call.timeout_ms;
  if (budgetMs <= 0) return { outcome: 'timeout' };
  const t0 = Date.now();
  const prompt = { system: call.system, user: call.user };
  // Planned from the classifier's own body (its prompt tokens and output cap), as any request is.
  const started = rt.router.start({
    route: target, body: api.classifierBody({ prompt, model: target }).body, overrides: { deadline_ms: budgetMs }, seed: seed(),
  }, t0);
  if (!started.ok) {
    logLine('auto_classifier', { ok: false, problems: started.problems.map((p) => p.message) });
    return { outcome: 'error' };
  }
  const attempts = started.attempts;
  const controller = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => { timedOut = true; controller.abort(); }, budgetMs);
  const onClient = () => controller.abort();
  request.signal?.addEventListener?.('abort', onClient);
  const cctx = {
    t0, upstreamMs: 0, waitedMs: 0, requestId: `${rt.isolate}-classifier-${t0.toString(36)}`, isolate: rt.isolate,
    route: target, stream: false, traceparent: undefined, signal: controller.signal,
  };
  let served = null;
  try {
    for (;;) {
      const d = attempts.next(rt.health, Date.now(), seed());
      if (d.kind === 'final') {
        logRequest(cctx, { classifier: true, ok: d.ok && Boolean(served), status: d.status, reason: d.reason, attempts: d.attempts, timed_out: timedOut || undefined, ms: Date.now() - t0 });
        if (d.ok && served) {
          try {
            const content = JSON.parse(new TextDecoder().decode(served.bytes))?.choices?.[0]?.message?.content;
            return typeof content === 'string' ? { outcome: 'ok', reply: content } : { outcome: 'ok' };
          } catch {
            return { outcome: 'ok' };
          }
        }
        return { outcome: timedOut ? 'timeout' : 'error' };
      }
      if (d.waitMs > 0 && !(await waitOut(d, attempts, rt.health, cctx))) continue;
      const bodyText = api.classifierBody({ prompt, model: d.upstreamModel, capability: setup.capability(d) }).body;
      const result = await attemptOnce(api, rt, d, bodyText, cctx);
      const report = attempts.report(result.outcome, rt.health, Date.now());
      sync.noteReport(result.outcome.kind, d);
      logAttempt(cctx, d, report, { status: result.status, ms: result.outcome.durationMs, classifier: true });
      if (result.outcome.kind === 'success') served = result;
    }
  } finally {
    clearTimeout(timer);
    request.signal?.removeEventListener?.('abort', onClient);
    attempts.free();
  }
}
