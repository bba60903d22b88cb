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

// Random words come from one pool refilled 256 words at a time: a getRandomValues call per seed
// and per trace id was a measurable share of a request's CPU.
const randomPool = new Uint32Array(256);
let randomNext = randomPool.length;
function randomWord() {
  if (randomNext === randomPool.length) {
    crypto.getRandomValues(randomPool);
    randomNext = 0;
  }
  return randomPool[randomNext++];
}

/** A fresh random 32-bit seed for the core's random numbers. */
export const seed = randomWord;

const HEX = /^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$/;
function randomHex(words) {
  let out = '';
  for (let i = 0; i < words; i++) out += randomWord().toString(16).padStart(8, '0');
  return out;
}
/** W3C traceparent: the client's when valid, else a new one. */
export function traceparentOf(request) {
  const given = request.headers.get('traceparent');
  if (given && HEX.test(given) && !given.startsWith('ff')) return given;
  return `00-${randomHex(4)}-${randomHex(2)}-01`;
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
