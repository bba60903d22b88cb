// Small HTTP helpers shared by the gateway, the admin plane and the entry point.

export const isRecord = (v) => v !== null && typeof v === 'object' && !Array.isArray(v);

/** An OpenAI-style error response for a request the gateway cannot even plan. */
export function errorResponse(status, message, code, extra = {}) {
  return Response.json({ error: { message, type: 'invalid_request_error', code, ...extra } }, { status });
}

/** 400 naming every problem of the request (JSON paths from the core). */
export function problemsResponse(problems, status = 400) {
  const first = problems[0];
  return Response.json({
    error: {
      message: first ? first.message : 'invalid request',
      type: 'invalid_request_error',
      code: first?.code ?? 'request.invalid',
      param: first?.path ?? null,
      problems: problems.map(({ path, code, found, expected, message }) => ({ path, code, found, expected, message })),
    },
  }, { status });
}

/** A fresh random 32-bit seed for the core's random numbers. */
export function seed() {
  return crypto.getRandomValues(new Uint32Array(1))[0];
}

const HEX = /^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$/;
function randomHex(bytes) {
  return [...crypto.getRandomValues(new Uint8Array(bytes))].map((b) => b.toString(16).padStart(2, '0')).join('');
}
/** W3C traceparent: the client's when valid, else a new one. */
export function traceparentOf(request) {
  const given = request.headers.get('traceparent');
  if (given && HEX.test(given) && !given.startsWith('ff')) return given;
  return `00-${randomHex(16)}-${randomHex(8)}-01`;
}

/** Resolves true after `ms`, or false as soon as `signal` aborts. */
export function sleep(ms, signal) {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve(false);
    const onAbort = () => {
      clearTimeout(timer);
      resolve(false);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve(true);
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
