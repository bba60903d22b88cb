// Streaming chat completions (failover.md II.4, II.5, II.12). One core StreamRelay per upstream
// attempt decides, frame by frame, what is held, what goes to the client and when the attempt
// failed; the core's Attempts decides what comes next. This file moves bytes, runs the timers and
// writes what the core returns: no response headers before the commit point, fallback notices as
// `reroute.fallback` events, the trail as a final `reroute.trail` event, and the core's error
// ending (no [DONE]) after a mid-stream failure that is not continued.
import { logAttempt, logLine, logRequest } from './log.mjs';
import { seed } from './http.mjs';
import { attemptBody, finalFailureResponse, rerouteHeaders, waitOut } from './gateway.mjs';
import { learnTurn, usageFacts } from './auto.mjs';
import { MAX_ERROR_BODY, UpstreamCall, concat, readBody, upstreamRequest } from './upstream.mjs';

const SSE_HEADERS = { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', 'x-accel-buffering': 'no' };

/** Resolves the client Response at the commit point (or with the final failure before it). */
export function streamChat(args) {
  return new Promise((resolve) => {
    const run = new StreamRun(args, resolve);
    const pump = run.run().catch((err) => run.crash(err));
    args.ctx?.waitUntil?.(pump);
  });
}

class StreamRun {
  constructor({ api, rt, sync, env, ctx, attempts, rctx }, resolve) {
    Object.assign(this, { api, rt, sync, env, ctx, attempts, rctx, resolve });
    this.writer = null;         // the client stream, once committed
    this.clientGone = false;
    this.notices = [];          // pre-commit fallback events (bytes), sent at the commit point
    this.continuation = null;   // { next: RelayOptions, prefill?: string } after a mid-stream failure
    this.committedRelay = null; // the last relay whose frames reached the client
    this.relays = [];
  }

  /** Opens the client stream with the headers of the committing attempt. */
  commit(d) {
    // A native byte pipe: each chunk goes straight to the client connection (a JS TransformStream
    // costs a queue, promises and a pull per chunk).
    const { readable, writable } = new IdentityTransformStream();
    this.writer = writable.getWriter();
    const h = rerouteHeaders(this.rctx, { attemptsMade: d.number, servedBy: d.servedBy, trail: d.trail, attempt: d });
    this.resolve(new Response(readable, { status: 200, headers: { ...h, ...SSE_HEADERS } }));
  }

  async write(bytes) {
    if (!bytes || bytes.byteLength === 0 || this.clientGone) return !this.clientGone;
    try {
      await this.writer.write(bytes);
      return true;
    } catch {
      this.clientGone = true;
      return false;
    }
  }

  async close() {
    try {
      await this.writer?.close();
    } catch { /* client gone */ }
  }

  async run() {
    const { api, rt, attempts, rctx } = this;
    try {
      for (;;) {
        const d = attempts.next(rt.health, Date.now(), seed());
        if (d.kind === 'final') return await this.finish(d);
        if (d.waitMs > 0 && !(await waitOut(d, attempts, rt.health, rctx))) continue;
        if (d.notice) {
          if (this.writer) await this.write(api.fallbackEvent(d.notice));
          else this.notices.push(api.fallbackEvent(d.notice));
        }
        const options = this.continuation
          ? this.continuation.next ?? {}
          : { prelude: this.notices.length ? concat(this.notices, this.notices.reduce((n, b) => n + b.byteLength, 0)) : undefined };
        const relay = api.createStreamRelay(options);
        this.relays.push(relay);
        const { outcome, status } = await this.attempt(d, relay);
        rctx.upstreamMs += outcome.durationMs ?? 0;
        const report = attempts.report(outcome, rt.health, Date.now());
        this.sync.noteReport(outcome.kind, d);
        logAttempt(rctx, d, report, { status, ms: outcome.durationMs, after_commit: outcome.afterCommit || undefined });
        if (relay.committed() && relay.produced()) this.committedRelay = relay;
        if (outcome.kind === 'success') this.served = { d, relay };
        if (outcome.kind === 'success' || outcome.kind === 'cancelled' || this.clientGone) continue;
        if (!this.writer) continue; // before the commit point: the core picks the next target
        // After the commit point (II.5): continue on another target, or end with the error.
        if (!(await this.continueAfter(d, outcome))) return;
      }
    } finally {
      for (const r of this.relays) r.free();
      attempts.free();
      this.sync.flush(this.env, this.ctx);
    }
  }

  /**
   * A committed stream failed. Continues when the core says so (the request's continuation mode
   * and mid-stream budget; the next attempt's relay gets the core's continuation plan);
   * otherwise writes the core's error ending. Returns false when the stream has ended.
   */
  async continueAfter(failedAttempt, failure) {
    const { rt, attempts } = this;
    if (attempts.mayContinueStream()) {
      const d = attempts.next(rt.health, Date.now(), seed());
      if (d.kind === 'final') {
        await this.endWithError(this.endingFromFinal(d, failedAttempt, failure));
        return false;
      }
      const plan = attempts.continueStream(this.committedRelay);
      if (plan.action !== 'end_with_error') {
        this.continuation = { next: plan.next ?? {}, prefill: plan.action === 'prefill' ? plan.prefillMessage : undefined };
        return true; // run() calls next() again and gets this same attempt (in flight)
      }
      attempts.report({ kind: 'cancelled', durationMs: 0 }, rt.health, Date.now());
    }
    await this.endWithError(this.endingFromFailure(failedAttempt, failure));
    return false;
  }

  endingFromFailure(d, failure) {
    return {
      code: failure.code ?? 'provider_error',
      provider: d.provider,
      model: d.model,
      tried: this.attempts.distinctTargetsTried() || undefined,
      raw: failure.message,
      retryAfterMs: failure.retryAfterMs,
    };
  }

  endingFromFinal(final, d, failure) {
    if (!final.envelope) return this.endingFromFailure(d, failure);
    const e = this.api.decodeEnvelope(final.envelope);
    return { code: e.code ?? final.code ?? failure.code, provider: e.provider, model: e.model, tried: e.triedCount, raw: e.raw, retryAfterMs: e.retryAfterMs };
  }

  async endWithError(ending) {
    const trail = this.api.trailEvent(this.attempts.trailJSON());
    const relay = this.committedRelay;
    const bytes = relay ? relay.errorEnding({ ...ending, trail }) : this.api.errorEnding({ ...ending, trail });
    await this.write(bytes);
    await this.close();
    logRequest(this.rctx, { status: 200, ended: 'error', code: ending.code, attempts: this.attempts.attemptsMade(), ms: Date.now() - this.rctx.t0 });
  }

  /** The final decision: before the commit point it is the response; after it, the end. */
  async finish(final) {
    const { rctx } = this;
    logRequest(rctx, { status: this.writer ? 200 : final.status, reason: final.reason, code: final.code, attempts: final.attempts, tried: final.tried, ms: Date.now() - rctx.t0 });
    if (!this.writer) {
      this.resolve(finalFailureResponse(rctx, final));
      return;
    }
    if (!final.ok && !this.clientGone) {
      await this.endWithError(this.endingFromFinal(final, {}, {}));
      return;
    }
    if (final.ok && rctx.reasoning && this.served && !this.clientGone) {
      const { d, relay } = this.served;
      let usage = {};
      try {
        usage = JSON.parse(relay.usage()?.json ?? '{}');
      } catch { /* no usage */ }
      learnTurn(this.api, this.env, this.ctx, rctx.reasoning, d, usageFacts(usage, relay.finishReason()));
    }
    await this.close();
  }

  /** One streaming upstream request through `relay`; resolves { outcome, status }. */
  async attempt(d, relay) {
    const { rt, rctx } = this;
    const call = new UpstreamCall(d, rctx.signal);
    const key = d.credentialEnv ? rt.keys[d.credentialEnv] : undefined;
    const { url, init } = upstreamRequest(d, key, attemptBody(this.api, rctx, d, this.continuation?.prefill), rctx.traceparent);
    const failed = (failure) => ({ outcome: { ...failure, durationMs: call.durationMs(), bytesReceived: call.bytes } });
    let res;
    try {
      res = await call.send(url, init);
    } catch (err) {
      call.done();
      const t = await call.transportOutcome(err, { responded: false });
      if (t.kind === 'cancelled') return failed(relay.fail('cancelled'));
      return failed(relay.fail(t.kind, { transportCode: t.transportCode, message: t.message }));
    }
    if (res.status < 200 || res.status > 299) {
      let text = '';
      try {
        ({ text } = await readBody(call, res, MAX_ERROR_BODY));
      } catch { /* what arrived is enough */ }
      call.done();
      if (call.cancelled) return failed(relay.fail('cancelled'));
      return { status: res.status, outcome: { kind: 'http_error', status: res.status, body: text, headers: res.headers, durationMs: call.durationMs(), bytesReceived: call.bytes } };
    }
    const reader = res.body.getReader();
    try {
      for (;;) {
        let chunk;
        try {
          chunk = await reader.read();
        } catch (err) {
          const t = await call.transportOutcome(err, { responded: true });
          return { status: res.status, ...failed(relay.fail(t.kind, { transportCode: t.transportCode, message: t.message })) };
        }
        if (chunk.done) break;
        call.bytes += chunk.value.byteLength;
        const step = relay.feed(chunk.value);
        call.pauseIdle();
        if (step.committed) {
          call.firstToken();
          if (!this.writer) this.commit(d);
        }
        if (step.out.byteLength && !(await this.write(step.out))) {
          call.abort();
          return { status: res.status, ...failed(relay.fail('cancelled')) };
        }
        if (step.failure) {
          call.abort();
          return { status: res.status, ...failed(step.failure) };
        }
        if (step.done) break;
        call.armIdle();
      }
    } finally {
      call.done();
    }
    reader.cancel().catch(() => {});
    const end = relay.endOfUpstream(this.api.trailEvent(this.attempts.trailJSON()));
    if (end.committed && !this.writer) this.commit(d);
    if (!end.complete) return { status: res.status, ...failed(end.failure) };
    if (!(await this.write(end.out))) return { status: res.status, ...failed(relay.fail('cancelled')) };
    return { status: res.status, outcome: { kind: 'success', durationMs: call.durationMs(), bytesReceived: call.bytes } };
  }

  crash(err) {
    logRequest(this.rctx, { status: this.writer ? 200 : 500, ended: 'crash' });
    logLine('error', { request_id: this.rctx.requestId, isolate: this.rctx.isolate, message: String(err?.stack ?? err) });
    if (!this.writer) {
      this.resolve(Response.json({ error: { message: 'internal gateway error', type: 'generic', code: 'generic' } }, { status: 500 }));
    } else {
      this.writer.abort(err).catch(() => {});
    }
  }
}
