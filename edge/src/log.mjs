// Structured JSON log lines (one per attempt, one per request, one per admin action). Never a
// secret: keys appear only as fingerprints, provider messages only as the core redacted them.

/** Writes one JSON line to the worker's log. */
export function logLine(event, fields) {
  try {
    console.log(JSON.stringify({ ts: new Date().toISOString(), event, ...fields }));
  } catch {
    // a log line must never break a request
  }
}

/**
 * The per-attempt line (failover.md II.12): target, outcome kind, code, timing, why. Lines are
 * buffered on the request and written together by logRequest() (one console.log per request: it
 * is the costliest call on the gateway's hot path), still one JSON line per attempt.
 */
export function logAttempt(ctx, attempt, report, extra = {}) {
  (ctx.logBuffer ??= []).push({
    ts: new Date().toISOString(),
    event: 'attempt',
    request_id: ctx.requestId,
    isolate: ctx.isolate,
    route: ctx.route,
    stream: ctx.stream,
    number: attempt.number,
    ref: attempt.ref,
    provider: attempt.provider,
    endpoint: attempt.endpointId,
    fp: attempt.fingerprint,
    reason: attempt.reason,
    probe: attempt.isProbe || undefined,
    same_target_retry: attempt.sameTargetRetry || undefined,
    wait_ms: attempt.waitMs || undefined,
    kind: report?.kind,
    code: report?.code,
    retry_after_ms: report?.retryAfterMs,
    message: report?.message,
    ...extra,
  });
}

/** Writes the request's attempt lines; the request's outcome rides on the last one. */
export function logRequest(ctx, fields) {
  const lines = ctx.logBuffer ?? [];
  const auto = ctx.reasoning?.auto;
  if (auto) fields = { ...fields, auto: auto.slug, auto_reason: auto.reason, auto_ms: ctx.reasoning.autoMs };
  ctx.logBuffer = [];
  try {
    if (lines.length === 0) {
      console.log(JSON.stringify({ ts: new Date().toISOString(), event: 'request', request_id: ctx.requestId, isolate: ctx.isolate, route: ctx.route, stream: ctx.stream, ...fields }));
      return;
    }
    lines[lines.length - 1].request = fields;
    console.log(lines.map((l) => JSON.stringify(l)).join('\n'));
  } catch {
    // a log line must never break a request
  }
}
