// POST /v1/chat/completions: the request is planned and every attempt decided by the core
// (Router.start, Attempts.next/report); this file only performs the upstream I/O the decisions
// ask for and writes the responses they describe.
import { isAdaptive, learnTurn, planAttempt, prepareReasoning, reasoningHeaders, responseFacts } from './auto.mjs';
import { logAttempt, logRequest } from './log.mjs';
import { errorResponse, isRecord, problemsResponse, seed, sleep, traceparentOf } from './http.mjs';
import { streamChat } from './stream.mjs';
import { MAX_ERROR_BODY, UpstreamCall, readBody, upstreamRequest } from './upstream.mjs';

let requestCounter = 0;

/**
 * The RouteRequest the core plans from: the core reads the planning facts from the body (`text`,
 * the body as received, when the caller has it; else the parsed body) and validates the overrides.
 */
export function routeRequest(body, request, text = body) {
  const out = { route: body.model, body: text, overridesPath: '/reroute', seed: seed() };
  // As JSON text: the core reads a string overrides value as text, and a client's string is a value.
  // null, as for the other optional members of a chat body, means none.
  if (body.reroute !== undefined && body.reroute !== null) out.overrides = JSON.stringify(body.reroute);
  const conversation = request.headers.get('x-reroute-conversation') ?? request.headers.get('x-conversation-id');
  if (conversation) out.conversationId = conversation;
  return out;
}

/**
 * Waits out an attempt's backoff (`d.waitMs` > 0) within the request's signal, counting it in
 * `rctx.waitedMs`. False when the client left first: the attempt is then reported cancelled.
 */
export async function waitOut(d, attempts, health, rctx) {
  const ok = await sleep(d.waitMs, rctx.signal);
  rctx.waitedMs += d.waitMs;
  if (!ok) attempts.report({ kind: 'cancelled', durationMs: 0 }, health, Date.now());
  return ok;
}

/**
 * The upstream body of an attempt, written by the core from the client's text: the target's model,
 * the governor's patch when the request is steered (never over a client field), and a
 * continuation's prefill message.
 */
export function attemptBody(api, rctx, d, prefillMessage) {
  const r = rctx.reasoning;
  const bytes = api.upstreamBody(rctx.bodyText, d.upstreamModel, {
    defaults: r ? planAttempt(api, r, d).g.patch : undefined, appendMessage: prefillMessage,
  });
  if (!bytes) throw new Error('the upstream body could not be written');  // the body was checked to be an object
  return bytes;
}

/** Headers every answer carries (II.12), as a plain record for the Response constructor. */
export function rerouteHeaders(ctx, { attemptsMade, servedBy, trail, attempt }) {
  const h = {
    'x-reroute-attempts': String(attemptsMade),
    'x-reroute-overhead-ms': String(Math.max(0, Date.now() - ctx.t0 - ctx.upstreamMs - ctx.waitedMs)),
    traceparent: ctx.traceparent,
    'x-request-id': ctx.requestId,
  };
  if (trail) h['x-reroute-fallbacks'] = trail;
  if (servedBy) h['x-reroute-served-by'] = servedBy;
  if (ctx.reasoning) reasoningHeaders(h, ctx.reasoning, attempt);
  return h;
}

/** The response of a final decision that is not a success (II.2). */
export function finalFailureResponse(ctx, final) {
  if (final.status === 499) return new Response(null, { status: 499 });
  const h = rerouteHeaders(ctx, { attemptsMade: final.attempts, trail: final.trail });
  h['content-type'] = 'application/json';
  if (final.retryAfter) h['retry-after'] = final.retryAfter;
  return new Response(final.errorBody ?? JSON.stringify({ error: { message: final.message ?? 'error', type: final.code, code: final.code } }), {
    status: final.status, headers: h,
  });
}

/** Entry: parse, plan, run. */
export async function handleChat(request, env, ctx, rt, sync) {
  const t0 = Date.now();
  const api = rt.api;
  if (!rt.router) return problemsResponse(rt.problems, 503);
  const text = await request.text();
  let body;
  try {
    body = JSON.parse(text);
  } catch {
    return errorResponse(400, 'The request body is not valid JSON.', 'invalid_json');
  }
  if (!isRecord(body)) return errorResponse(400, 'The request body must be a JSON object.', 'invalid_request');
  const pulling = sync.fresh(env, ctx);
  if (pulling) await pulling;

  let reasoning = null;
  if (body.model === 'auto' || (typeof body.model === 'string' && isAdaptive(rt, body.model))) {
    reasoning = await prepareReasoning({ rt, env, ctx, body, request, sync, isAuto: body.model === 'auto', t0 });
    if (reasoning.error) return reasoning.error;
    body = { ...body, model: reasoning.route };
    // The classification came out of the client's deadline.
    const dl = body.reroute?.deadline_ms;
    if (reasoning.auto?.classifier_called && isRecord(body.reroute) && Number.isInteger(dl) && dl > 0) {
      body.reroute = { ...body.reroute, deadline_ms: Math.max(1, dl - (Date.now() - t0)) };
    }
  }

  const started = rt.router.start(routeRequest(body, request, text), Date.now());
  if (!started.ok) return problemsResponse(started.problems, started.status ?? 400);
  const attempts = started.attempts;
  const rctx = {
    t0, upstreamMs: 0, waitedMs: 0,
    requestId: request.headers.get('x-request-id')?.slice(0, 64) || `${rt.isolate}-${Date.now().toString(36)}-${(++requestCounter).toString(36)}`,
    isolate: rt.isolate, route: body.model, stream: body.stream === true,
    traceparent: traceparentOf(request), signal: request.signal, reasoning, bodyText: text,
  };
  if (rctx.stream) return streamChat({ api, rt, sync, env, ctx, attempts, rctx });
  try {
    return await completeChat({ api, rt, sync, env, ctx, attempts, rctx });
  } finally {
    attempts.free();
    sync.flush(env, ctx);
  }
}

/** Non-streaming: attempts until a complete answer (II.4) or a final failure. */
async function completeChat({ api, rt, sync, env, ctx, attempts, rctx }) {
  let served = null;
  for (;;) {
    const d = attempts.next(rt.health, Date.now(), seed());
    if (d.kind === 'final') {
      logRequest(rctx, { status: d.status, reason: d.reason, code: d.code, attempts: d.attempts, tried: d.tried, ms: Date.now() - rctx.t0 });
      if (!d.ok || !served) return finalFailureResponse(rctx, d);
      if (rctx.reasoning) learnTurn(api, env, ctx, rctx.reasoning, served.attempt, responseFacts(served.bytes));
      const h = rerouteHeaders(rctx, { attemptsMade: d.attempts, servedBy: served.attempt.servedBy, trail: d.trail, attempt: served.attempt });
      h['content-type'] = served.contentType || 'application/json';
      return new Response(served.bytes, { status: served.status, headers: h });
    }
    if (d.waitMs > 0 && !(await waitOut(d, attempts, rt.health, rctx))) continue;
    const result = await attemptOnce(api, rt, d, attemptBody(api, rctx, d), rctx);
    rctx.upstreamMs += result.outcome.durationMs ?? 0;
    const report = attempts.report(result.outcome, rt.health, Date.now());
    sync.noteReport(result.outcome.kind, d);
    logAttempt(rctx, d, report, { status: result.status, ms: result.outcome.durationMs });
    if (result.outcome.kind === 'success') served = { ...result, attempt: d };
  }
}

/** One non-streaming upstream request of `bodyText`; resolves { outcome, status?, bytes?, contentType? }. */
export async function attemptOnce(api, rt, d, bodyText, rctx) {
  const call = new UpstreamCall(d, rctx.signal);
  const key = d.credentialEnv ? rt.keys[d.credentialEnv] : undefined;
  const { url, init } = upstreamRequest(d, key, bodyText, rctx.traceparent);
  let res;
  try {
    res = await call.send(url, init);
  } catch (err) {
    call.done();
    return { outcome: await call.transportOutcome(err, { responded: false }) };
  }
  if (res.status < 200 || res.status > 299) {
    let text = '';
    try {
      ({ text } = await readBody(call, res, MAX_ERROR_BODY));
    } catch { /* what arrived is enough */ }
    call.done();
    if (call.cancelled) return { outcome: { kind: 'cancelled', durationMs: call.durationMs() }, status: res.status };
    return {
      status: res.status,
      outcome: { kind: 'http_error', status: res.status, body: text, headers: res.headers, durationMs: call.durationMs(), bytesReceived: call.bytes },
    };
  }
  let read;
  try {
    read = await readBody(call, res);
  } catch (err) {
    call.done();
    return { status: res.status, outcome: await call.transportOutcome(err, { responded: true }) };
  }
  call.done();
  const failure = api.completionFailure(read.bytes);
  const timing = { durationMs: call.durationMs(), bytesReceived: call.bytes };
  if (failure) return { status: res.status, outcome: { ...failure, ...timing } };
  return { status: res.status, bytes: read.bytes, contentType: res.headers.get('content-type'), outcome: { kind: 'success', ...timing } };
}
