// A fault-injecting mock of an OpenAI-compatible provider: the test double of the edge gateway.
//
// The requested `model` (the part after its last `/`, so `mock/429-retry-after:2` works) or the
// request header `x-mock-fault` selects a fault: `<fault>[:<arg>...]`, several joined by `+`
// (`preamble:3+cut-after:0`), an optional `@tag` to give a test its own state (`500-once@t1`).
// Names that are not faults (`healthy`, `gpt-mock`, ...) answer normally. Replies are
// deterministic functions of the request. See edge/mock/README.md for the catalogue.
//
// Node 20, built-ins only. Use in-process:
//   const mock = await startMockProvider({ port: 0 });
//   ... fetch(`${mock.url}/v1/chat/completions`, ...) ...; mock.log(); mock.reset();
//   await mock.close();
// or as a process: `node edge/mock/provider.mjs --port 8790 [--host 127.0.0.1] [--verbose]`.

import { createServer } from 'node:http';
import { createServer as createNetServer } from 'node:net';
import { realpathSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';

/** Answer length in tokens when neither `len:T` nor a fault asks for more. */
export const DEFAULT_TOKENS = 32;
const MAX_BODY_BYTES = 8 * 1024 * 1024;
const MAX_LOG_ENTRIES = 10_000; // kept at least; trimmed in batches
const FILLER = ['alpha', 'bravo', 'charlie', 'delta', 'echo', 'foxtrot', 'golf', 'hotel', 'india',
  'juliet', 'kilo', 'lima', 'mike', 'november', 'oscar', 'papa', 'quebec', 'romeo', 'sierra',
  'tango', 'uniform', 'victor', 'whiskey', 'xray', 'yankee', 'zulu'];

// ---------------------------------------------------------------------------------------------
// Provider-shaped error bodies.

const openaiError = (message, type, code = null, param = null) => ({ error: { message, type, param, code } });

const BODIES = {
  rateLimit: (model) => openaiError(
    `Rate limit reached for ${model} in organization org-mock on requests per min (RPM): Limit 3, Used 3, Requested 1. Please try again in 20s. Visit https://platform.openai.com/account/rate-limits to learn more.`,
    'requests', 'rate_limit_exceeded'),
  quota: () => openaiError(
    'You exceeded your current quota, please check your plan and billing details. For more information on this error, read the docs: https://platform.openai.com/docs/guides/error-codes/api-errors.',
    'insufficient_quota', 'insufficient_quota'),
  server: () => openaiError('The server had an error while processing your request. Sorry about that!', 'server_error'),
  overloaded: () => openaiError('The engine is currently overloaded, please try again later.', 'server_error'),
  invalidKey: () => openaiError(
    'Incorrect API key provided. You can find your API key at https://platform.openai.com/account/api-keys.',
    'invalid_request_error', 'invalid_api_key'),
  modelNotFound: (model) => openaiError(
    `The model \`${model}\` does not exist or you do not have access to it.`, 'invalid_request_error', 'model_not_found'),
  contextLength: (promptTokens) => openaiError(
    `This model's maximum context length is 128000 tokens. However, your messages resulted in ${128000 + promptTokens} tokens. Please reduce the length of the messages.`,
    'invalid_request_error', 'context_length_exceeded', 'messages'),
  // Azure OpenAI's prompt filter (the 400 an OpenAI-compatible chat endpoint really sends).
  contentFilter: () => ({
    error: {
      message: "The response was filtered due to the prompt triggering Azure OpenAI's content management policy. Please modify your prompt and retry. To learn more about our content filtering policies please read our documentation: https://go.microsoft.com/fwlink/?linkid=2198766",
      type: null, param: 'prompt', code: 'content_filter', status: 400,
      innererror: {
        code: 'ResponsibleAIPolicyViolation',
        content_filter_result: {
          hate: { filtered: false, severity: 'safe' }, self_harm: { filtered: false, severity: 'safe' },
          sexual: { filtered: false, severity: 'safe' }, violence: { filtered: true, severity: 'high' },
        },
      },
    },
  }),
  // Mistral's refusal of a trailing assistant message (an OpenAI-compatible API without prefill).
  prefillRejected: () => ({
    object: 'error',
    message: 'Expected last role User or Tool (or Assistant with prefix True) for serving but got assistant',
    type: 'invalid_request_message_order', param: null, code: '3230',
  }),
  anthropicOverloaded: () => ({ type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } }),
  anthropicRateLimit: () => ({
    type: 'error',
    error: { type: 'rate_limit_error', message: 'This request would exceed the rate limit for your organization of 50 requests per minute.' },
  }),
  googleExhausted: () => ({ error: { code: 429, message: 'Resource has been exhausted (e.g. check quota).', status: 'RESOURCE_EXHAUSTED' } }),
  googleUnavailable: () => ({ error: { code: 503, message: 'The model is overloaded. Please try again later.', status: 'UNAVAILABLE' } }),
  badJson: () => openaiError(
    "We could not parse the JSON body of your request. (HINT: This likely means you aren't using your HTTP library correctly. The OpenAI API expects a JSON payload, but what was sent was not valid JSON.)",
    'invalid_request_error'),
};

const CLOUDFLARE_502 = '<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>cloudflare</center>\r\n</body>\r\n</html>\r\n';

// ---------------------------------------------------------------------------------------------
// The fault catalogue. `respond(ctx, args)` may answer before any generation: it returns
// `{ status, headers?, body }`, `{ reset: true }` or `{ hang: true }`, or nothing to go on.
// `plan(p, args)` changes how the 200 answer is produced. Args are strings; `num` reads them.

const MAX_COUNT = 100_000; // tokens, positions and K: enough for any test, small enough to build
const MAX_MS = 2_147_483_647; // the longest setTimeout
const num = (v, dflt, max = MAX_COUNT) => {
  if (v === undefined || v === '') return dflt;
  const n = Number(v);
  return Number.isFinite(n) && n >= 0 ? Math.min(Math.floor(n), max) : dflt;
};
const ms = (v, dflt) => num(v, dflt, MAX_MS);
const json = (status, body, headers = {}) => ({ status, body, headers });
const firstK = (ctx, k) => ctx.count <= num(k, 1);

export const FAULTS = {
  'healthy': { args: '', doc: 'normal answer (also any model name that is not a fault)' },
  '429-retry-after': {
    args: '[S=1][:K=1]', doc: 'first K requests of the scenario: 429 with `Retry-After: S` (seconds); then healthy',
    respond: (ctx, [s, k]) => firstK(ctx, k) && json(429, BODIES.rateLimit(ctx.model), { 'retry-after': String(ms(s, 1)) }),
  },
  '429-retry-date': {
    args: '[S=1][:K=1]', doc: 'first K requests: 429 with `Retry-After` as an HTTP-date S s ahead (rounded up to the next whole second); then healthy',
    respond: (ctx, [s, k]) => {
      if (!firstK(ctx, k)) return null;
      const at = Math.ceil((Date.now() + ms(s, 1) * 1000) / 1000) * 1000;
      return json(429, BODIES.rateLimit(ctx.model), { 'retry-after': new Date(at).toUTCString() });
    },
  },
  '429-retry-after-ms': {
    args: '[MS=500][:K=1]', doc: 'first K requests: 429 with `retry-after-ms: MS` only; then healthy',
    respond: (ctx, [t, k]) => firstK(ctx, k) && json(429, BODIES.rateLimit(ctx.model), { 'retry-after-ms': String(ms(t, 500)) }),
  },
  '429-reset': {
    args: '[DUR=1s][:K=1]', doc: 'first K requests: 429 with `x-ratelimit-reset-requests: DUR` (e.g. `20ms`, `6m0s`); then healthy',
    respond: (ctx, [dur, k]) => firstK(ctx, k) && json(429, BODIES.rateLimit(ctx.model), { 'x-ratelimit-reset-requests': dur || '1s', 'x-ratelimit-remaining-requests': '0' }),
  },
  '429': {
    args: '[S]', doc: 'persistent 429 (OpenAI rate_limit_exceeded); `Retry-After: S` when S is given',
    respond: (ctx, [s]) => json(429, BODIES.rateLimit(ctx.model), s === undefined ? {} : { 'retry-after': String(ms(s, 1)) }),
  },
  '429-quota': { args: '', doc: '429 with OpenAI `insufficient_quota` body (how OpenAI really reports an empty balance)', respond: () => json(429, BODIES.quota()) },
  '402-quota': { args: '', doc: '402 with OpenAI `insufficient_quota` body', respond: () => json(402, BODIES.quota()) },
  '500-once': {
    args: '[K=1]', doc: 'first K requests of the scenario: 500 (OpenAI server_error); then healthy',
    respond: (ctx, [k]) => firstK(ctx, k) && json(500, BODIES.server()),
  },
  '500': { args: '', doc: 'persistent 500', respond: () => json(500, BODIES.server()) },
  '503': { args: '', doc: 'persistent 503 (OpenAI "engine overloaded")', respond: () => json(503, BODIES.overloaded()) },
  '502-html': {
    args: '', doc: 'persistent 502 with a Cloudflare HTML page (not JSON)',
    respond: () => ({ status: 502, raw: CLOUDFLARE_502, headers: { 'content-type': 'text/html' } }),
  },
  'billed-500': {
    args: '', doc: 'usage accounting: 500 whose `x-mock-*-tokens` headers (and log) report the full prompt and completion it would have billed',
    respond: (ctx) => ({ ...json(500, BODIES.server()), billedCompletion: ctx.answer.tokens.length }),
  },
  '401': { args: '', doc: '401 with OpenAI `invalid_api_key` body for every key (any Bearer token containing `bad` gets this on every model)', respond: () => json(401, BODIES.invalidKey()) },
  '404-model': { args: '', doc: '404 with OpenAI `model_not_found` body', respond: (ctx) => json(404, BODIES.modelNotFound(ctx.model)) },
  'context-length': { args: '', doc: '400 with OpenAI `context_length_exceeded` body', respond: (ctx) => json(400, BODIES.contextLength(ctx.answer.promptTokens)) },
  'content-filter': { args: '', doc: '400 with a content-policy body (Azure OpenAI shape, `code: content_filter`)', respond: () => json(400, BODIES.contentFilter()) },
  'rejects-prefill': {
    args: '', doc: '400 (Mistral message-order body) when the last message is `assistant`; healthy otherwise',
    respond: (ctx) => ctx.answer.prefill !== null && json(400, BODIES.prefillRejected()),
  },
  'flap': {
    args: '[MS=60000]', doc: '503 for the first MS ms after the scenario\'s first request; healthy after',
    respond: (ctx, [t]) => ctx.sinceFirstMs < ms(t, 60000) && json(503, BODIES.overloaded()),
  },
  'anthropic-overloaded': { args: '', doc: '529 with Anthropic `overloaded_error` body', respond: () => json(529, BODIES.anthropicOverloaded()) },
  'anthropic-rate-limit': { args: '', doc: '429 with Anthropic `rate_limit_error` body', respond: () => json(429, BODIES.anthropicRateLimit(), { 'retry-after': '1' }) },
  'google-exhausted': { args: '', doc: '429 with Google `RESOURCE_EXHAUSTED` body', respond: () => json(429, BODIES.googleExhausted()) },
  'google-unavailable': { args: '', doc: '503 with Google `UNAVAILABLE` body', respond: () => json(503, BODIES.googleUnavailable()) },
  'error-200': {
    args: '', doc: 'non-stream: 200 whose body is an error object; stream: as `error-event:0`',
    respond: (ctx) => !ctx.stream && json(200, BODIES.server()),
    plan: (p) => { p.errorAt = 0; p.errorStyle = 'openai'; },
  },
  'no-choices': {
    args: '', doc: 'non-stream: 200 chat.completion with `choices: []`; stream: usage-only chunk then `[DONE]`',
    plan: (p) => { p.noChoices = true; },
  },
  'reset': { args: '', doc: 'TCP reset (RST) after reading the request, no response', respond: () => ({ reset: true }) },
  'no-response': { args: '', doc: 'accepts the request and never answers (until the client or the server closes)', respond: () => ({ hang: true }) },
  'slow-headers': { args: '[MS=1000]', doc: 'sends nothing for MS ms, then answers normally', plan: (p, [t]) => { p.headersMs = ms(t, 1000); } },
  'slow-first-token': {
    args: '[MS=1000]', doc: 'stream: headers at once, first frame after MS ms; non-stream: body after MS ms',
    plan: (p, [t]) => { p.firstTokenMs = ms(t, 1000); },
  },
  'cut-after': {
    args: '[N=5][:rst|:hang]',
    doc: 'stream: N content tokens, then the socket is destroyed (FIN; `rst`: RST; `hang`: kept open, silent): no finish, no `[DONE]`; non-stream: half the body, then the same',
    plan: (p, [n, mode]) => { p.cutAt = num(n, 5); p.cutRst = mode === 'rst'; p.cutHang = mode === 'hang'; },
  },
  'end-after': {
    args: '[N=5]', doc: 'stream: N tokens, then a clean end of the HTTP body with no finish and no `[DONE]`; non-stream: a truncated JSON body',
    plan: (p, [n]) => { p.endAt = num(n, 5); },
  },
  'stall': {
    args: '[N=5][:MS]', doc: 'stream: N tokens, silence for MS ms (forever without MS), then the rest; non-stream: body after MS ms (never without MS)',
    plan: (p, [n, t]) => { p.stallAt = num(n, 5); p.stallMs = t === undefined ? Infinity : ms(t, Infinity); },
  },
  'malformed-at': {
    args: '[N=5]', doc: 'stream: after N tokens one `data:` frame of invalid JSON, then the rest and `[DONE]`; non-stream: invalid JSON body',
    plan: (p, [n]) => { p.malformedAt = num(n, 5); },
  },
  'no-done': { args: '', doc: 'stream: all tokens and `finish_reason: stop`, then the end without `[DONE]`', plan: (p) => { p.noDone = true; } },
  'content-filter-stream': {
    args: '[N=5]', doc: 'N tokens, then `finish_reason: content_filter` (stream, then `[DONE]`; non-stream the same in one body)',
    plan: (p, [n]) => { p.filterAt = num(n, 5); },
  },
  'error-event': {
    args: '[N=5]', doc: 'stream: N tokens, then OpenAI in-band `data: {"error":{...}}`, then the end (no `[DONE]`); non-stream: 200 with an error body',
    plan: (p, [n]) => { p.errorAt = num(n, 5); p.errorStyle = 'openai'; },
  },
  'error-event-anthropic': {
    args: '[N=5]', doc: 'as `error-event`, with Anthropic\'s `event: error` + `overloaded_error` frame',
    plan: (p, [n]) => { p.errorAt = num(n, 5); p.errorStyle = 'anthropic'; },
  },
  'error-finish': {
    args: '[N=5]', doc: 'as `error-event`, with an OpenRouter-style chunk: `finish_reason: "error"` and an `error` member',
    plan: (p, [n]) => { p.errorAt = num(n, 5); p.errorStyle = 'finish'; },
  },
  'slow-drip': {
    args: '[MS=200][:T=10]', doc: 'T tokens, one every MS ms (stream); non-stream: body after T×MS ms',
    plan: (p, [t, n]) => { p.tokenMs = ms(t, 200); p.len = num(n, 10); },
  },
  'empty': { args: '', doc: '`finish_reason: stop` with no content (stream: role frame, finish, `[DONE]`)', plan: (p) => { p.len = 0; } },
  'preamble': {
    args: '[K=3][:MS=0]', doc: 'stream: K frames without content before the first token (cycling: role-only delta, empty content delta, SSE comment), MS ms apart',
    plan: (p, [k, t]) => { p.preamble = num(k, 3); p.preambleMs = ms(t, 0); },
  },
  'len': { args: 'T', doc: 'answer length in tokens (default 32; capped by `max_tokens`, then `finish_reason: length`)', plan: (p, [t]) => { p.len = num(t, DEFAULT_TOKENS); } },
  'classifier': {
    args: '[SLUG][:EFFORT]', doc: 'answers a router classifier prompt with one line of JSON: `{"slug":SLUG}` (default: the first listed handler named as a word in the user message, else the last listed handler), plus `"effort":EFFORT` when given',
    plan: (p, [slug, effort]) => { p.classifier = { slug, effort }; },
  },
  'classifier-slow': {
    args: 'MS[:SLUG[:EFFORT]]', doc: 'as `classifier`, the body (or first frame) after MS ms',
    plan: (p, [t, slug, effort]) => { p.classifier = { slug, effort }; p.firstTokenMs = ms(t, 1000); },
  },
  'classifier-garbage': { args: '', doc: 'answers a classifier prompt with prose that names no handler', plan: (p) => { p.classifier = { garbage: true }; } },
  'thinks': {
    args: '[F=0.5]', doc: 'reports `usage.completion_tokens_details.reasoning_tokens` = round(F x the request\'s thinking budget): `thinking.budget_tokens`, else `reasoning_effort` as minimal 0 / low 2048 / medium 8192 / high 24576, else 0',
    plan: (p, [f]) => { p.thinks = Number.isFinite(Number(f)) ? Number(f) : 0.5; },
  },
  'exhaust': {
    args: '', doc: 'reasoning uses the whole budget: no content, `finish_reason: length`, reasoning tokens = the request\'s thinking budget',
    plan: (p) => { p.thinks = 1; p.len = 0; p.exhaust = true; },
  },
  'tool-call': {
    args: '', doc: 'the answer is a `get_weather` tool call whose arguments stream in 8 fragments (the tokens); `finish_reason: tool_calls`',
    plan: (p) => { p.tool = true; },
  },
};
const ALIASES = { '429-persistent': '429', '503-persistent': '503', 'hang': 'no-response', 'no-prefill': 'rejects-prefill', '401-invalid-key': '401' };

/**
 * Parses a fault spec: the part after the last `/`, `@tag` dropped, `+`-joined `name[:arg...]`.
 * Unknown names are ignored, so plain model names are healthy.
 * @example parseFault('mock/stall:20:500@a') // [{ name: 'stall', args: ['20', '500'] }]
 */
export function parseFault(spec) {
  const tail = String(spec ?? '').slice(String(spec ?? '').lastIndexOf('/') + 1).split('@')[0];
  const out = [];
  for (const part of tail.split('+')) {
    const [rawName, ...args] = part.trim().split(':');
    const lower = rawName.toLowerCase();
    const name = ALIASES[lower] ?? lower;
    if (Object.hasOwn(FAULTS, name) && name !== 'healthy') out.push({ name, args });
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Deterministic answers.

/** 32-bit FNV-1a over UTF-16 code units, 8 hex digits: the key fingerprint of chat-errors.md 5.5. */
export function fingerprint(key) {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 0x01000193) >>> 0;
  return h.toString(16).padStart(8, '0');
}

const textOf = (content) => {
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) return content.map((p) => (p && typeof p.text === 'string' ? p.text : '')).join('');
  return '';
};
const wordCount = (s) => (s.match(/\S+/g) ?? []).length;

/** The canonical answer: "Mock answer for a W-word message: alpha bravo ...", T tokens. */
export function canonicalTokens(words, count) {
  const head = ['Mock', ' answer', ' for', ' a', ` ${words}-word`, ' message:'];
  const out = [];
  for (let i = 0; i < count; i++) out.push(i < head.length ? head[i] : ` ${FILLER[(i - head.length) % FILLER.length]}`);
  return out;
}

const TOOL_ARGS = ['{"', 'city', '":"', 'Paris', '","', 'unit', '":"', 'celsius"}'];

function buildAnswer(body, plan) {
  const messages = body.messages;
  const last = messages[messages.length - 1];
  const lastUser = [...messages].reverse().find((m) => m && m.role === 'user');
  const words = wordCount(textOf(lastUser?.content));
  const promptTokens = messages.reduce((n, m) => n + 1 + wordCount(textOf(m?.content)), 0);
  const prefill = last && last.role === 'assistant' ? textOf(last.content) : null;
  const need = Math.max(...[plan.cutAt, plan.endAt, plan.stallAt, plan.malformedAt, plan.filterAt, plan.errorAt]
    .filter((n) => n !== undefined).map((n) => n + 8), DEFAULT_TOKENS);
  const length = plan.len ?? need;

  let tokens;
  let prefillInfo = null;
  if (plan.classifier) {
    tokens = [classifierReply(body, lastUser, plan.classifier)];
  } else if (plan.tool) {
    tokens = TOOL_ARGS.slice();
  } else if (prefill !== null && length > 0) {
    // Grow the answer past the prefill while the prefill still follows it (never beyond MAX_COUNT).
    let full = canonicalTokens(words, length);
    for (let t = full.join(''); t.length <= prefill.length && prefill.startsWith(t) && full.length < MAX_COUNT; t = full.join('')) {
      full = canonicalTokens(words, Math.min(full.length * 2, MAX_COUNT));
    }
    const text = full.join('');
    if (text.startsWith(prefill)) {
      tokens = [];
      let at = 0;
      for (const tok of full) {
        const end = at + tok.length;
        if (end > prefill.length) tokens.push(at >= prefill.length ? tok : tok.slice(prefill.length - at));
        at = end;
      }
      prefillInfo = { chars: prefill.length, matched: true };
    } else {
      tokens = [`[continued after ${prefill.length} chars] `, ...full];
      prefillInfo = { chars: prefill.length, matched: false };
    }
  } else {
    tokens = canonicalTokens(words, length);
  }
  let finish = plan.tool ? 'tool_calls' : plan.exhaust ? 'length' : 'stop';
  const cap = [body.max_completion_tokens, body.max_tokens].find((v) => Number.isInteger(v) && v > 0);
  if (cap !== undefined && cap < tokens.length && !plan.tool) {
    tokens = tokens.slice(0, cap);
    finish = 'length';
  }
  const reasoningTokens = plan.thinks === undefined ? undefined : Math.round(plan.thinks * thinkingBudget(body));
  return { tokens, finish, promptTokens, prefill, prefillInfo, reasoningTokens, includeUsage: body.stream_options?.include_usage === true };
}

const EFFORT_BUDGET = { minimal: 0, low: 2048, medium: 8192, high: 24576 };
/** The reasoning allowance a request asked for (`thinking.budget_tokens`, else `reasoning_effort`). */
function thinkingBudget(body) {
  const b = body.thinking?.budget_tokens;
  if (Number.isInteger(b) && b > 0) return b;
  return EFFORT_BUDGET[body.reasoning_effort] ?? 0;
}

/** A classifier reply: the handlers are the system prompt's `- slug: description` lines. */
function classifierReply(body, lastUser, { slug, effort, garbage }) {
  if (garbage) return 'Honestly, any of them would probably do a fine job here.';
  const system = textOf(body.messages.find((m) => m?.role === 'system')?.content);
  const handlers = [...system.matchAll(/^- ([^:\n]+):/gm)].map((m) => m[1].trim());
  if (!slug) {
    const words = new Set(textOf(lastUser?.content).toLowerCase().split(/[^a-z0-9_.-]+/));
    slug = handlers.find((h) => words.has(h.toLowerCase())) ?? handlers[handlers.length - 1] ?? 'none';
  }
  return JSON.stringify({ slug, ...(effort ? { effort } : {}) });
}

// ---------------------------------------------------------------------------------------------
// The server.

const abortError = () => Object.assign(new Error('aborted'), { name: 'AbortError' });

/**
 * Starts the mock provider.
 * @param {{ port?: number, host?: string, verbose?: boolean }} [options]
 * @returns {Promise<{ url: string, port: number, close(): Promise<void>, log(): object[], reset(scenario?: string): void }>}
 * @example
 * const mock = await startMockProvider();
 * const res = await fetch(`${mock.url}/v1/chat/completions`, { method: 'POST', body: JSON.stringify({ model: '503', messages: [] }) });
 * await mock.close();
 */
export async function startMockProvider({ port = 0, host = '127.0.0.1', verbose = false } = {}) {
  const started = performance.now();
  const sockets = new Set();
  const timers = new Set();
  const controllers = new Set();
  const scenarios = new Map();
  let log = [];
  let seq = 0;
  let closing = null;

  const sleep = (ms, signal) => new Promise((resolve, reject) => {
    if (signal.aborted) return reject(abortError());
    const onAbort = () => { clearTimeout(timer); timers.delete(timer); reject(abortError()); };
    const timer = ms === Infinity ? null : setTimeout(() => {
      timers.delete(timer);
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    if (timer) timers.add(timer);
    signal.addEventListener('abort', onAbort, { once: true });
  });

  const server = createServer({ noDelay: true, keepAliveTimeout: 5000 }, (req, res) => {
    handle(req, res).catch((err) => {
      if (err?.name === 'AbortError') return;
      if (verbose) console.error('mock provider: internal error', err);
      if (!res.headersSent) sendJson(res, 500, openaiError(`mock provider internal error: ${err?.message}`, 'server_error'));
      else res.destroy();
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  server.on('clientError', (_err, socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nconnection: close\r\ncontent-length: 0\r\n\r\n');
    else socket.destroy();
  });

  async function handle(req, res) {
    const url = new URL(req.url, 'http://mock');
    const path = url.pathname.replace(/\/+$/, '') || '/';
    if (path.startsWith('/__mock/')) return control(req, res, path, url);

    const controller = new AbortController();
    controllers.add(controller);
    const entry = {
      seq: ++seq, time: Date.now(), t_ms: Math.round((performance.now() - started) * 10) / 10,
      method: req.method, path, model: null, fault: null, scenario: null,
      key: bearer(req) === null ? null : fingerprint(bearer(req)), stream: false,
      prefill: null, status: null, outcome: 'pending', billed: null, client_closed: false,
    };
    log.push(entry);
    if (log.length >= 2 * MAX_LOG_ENTRIES) log = log.slice(-MAX_LOG_ENTRIES); // amortised O(1)
    res.on('close', () => {
      controllers.delete(controller);
      if (!res.writableFinished && !closing) entry.client_closed = entry.outcome !== 'reset' && entry.outcome !== 'cut';
      controller.abort();
    });
    if (verbose) res.on('close', () => console.error(`mock provider: #${entry.seq} ${entry.method} ${entry.path} ${entry.model ?? ''} -> ${entry.status ?? '-'} ${entry.outcome}`));

    const done = (status, outcome) => { entry.status = status; entry.outcome = outcome; };
    const isChat = path === '/v1/chat/completions' || path === '/chat/completions';
    const isModels = path === '/v1/models' || path === '/models';
    if (!isChat && !isModels) {
      done(404, 'error');
      return sendJson(res, 404, openaiError(`Invalid URL (${req.method} ${path})`, 'invalid_request_error'));
    }
    const method = isChat ? 'POST' : 'GET';
    if (req.method !== method) {
      done(405, 'error');
      return sendJson(res, 405, openaiError(`Method ${req.method} not allowed on ${path}`, 'invalid_request_error'), { allow: method });
    }
    if (keyIsBad(req)) {
      done(401, 'error');
      return sendJson(res, 401, BODIES.invalidKey());
    }
    if (isModels) {
      done(200, 'ok');
      return sendJson(res, 200, modelList());
    }

    const raw = await readBody(req, controller.signal);
    if (raw === null) {
      done(413, 'error');
      return sendJson(res, 413, openaiError(`Request body exceeds ${MAX_BODY_BYTES} bytes`, 'invalid_request_error'), { connection: 'close' });
    }
    let body;
    try {
      body = JSON.parse(raw);
    } catch {
      done(400, 'error');
      return sendJson(res, 400, BODIES.badJson());
    }
    if (!body || typeof body !== 'object' || Array.isArray(body)) {
      done(400, 'error');
      return sendJson(res, 400, openaiError('The request body must be a JSON object.', 'invalid_request_error'));
    }
    if (typeof body.model !== 'string' || body.model === '') {
      done(400, 'error');
      return sendJson(res, 400, openaiError('you must provide a model parameter', 'invalid_request_error', null, 'model'));
    }
    if (!Array.isArray(body.messages) || body.messages.length === 0 || !body.messages.every((m) => m && typeof m === 'object')) {
      done(400, 'error');
      return sendJson(res, 400, openaiError("'messages' must be a non-empty array of message objects.", 'invalid_request_error', null, 'messages'));
    }

    const headerFault = req.headers['x-mock-fault'];
    const spec = typeof headerFault === 'string' && headerFault !== '' ? headerFault : body.model;
    const scenario = typeof req.headers['x-mock-scenario'] === 'string' ? req.headers['x-mock-scenario'] : spec;
    let state = scenarios.get(scenario);
    if (!state) scenarios.set(scenario, (state = { count: 0, firstMs: performance.now() }));
    state.count++;

    const faults = parseFault(spec);
    const plan = {};
    for (const f of faults) FAULTS[f.name].plan?.(plan, f.args);
    const answer = buildAnswer(body, plan);
    const stream = body.stream === true;
    Object.assign(entry, {
      model: body.model, fault: faults.map((f) => [f.name, ...f.args].join(':')).join('+') || 'healthy',
      scenario, stream, prefill: answer.prefillInfo,
      sent: {
        reasoning_effort: body.reasoning_effort ?? null, thinking: body.thinking ?? null,
        temperature: body.temperature ?? null, max_tokens: body.max_tokens ?? null,
      },
    });
    const ctx = { model: body.model, stream, count: state.count, sinceFirstMs: performance.now() - state.firstMs, answer };
    const signal = controller.signal;

    for (const f of faults) {
      const action = FAULTS[f.name].respond?.(ctx, f.args);
      if (!action) continue;
      if (action.reset) {
        done(null, 'reset');
        return req.socket.resetAndDestroy();
      }
      if (action.hang) {
        done(null, 'no_response');
        return;
      }
      if (plan.headersMs) await sleep(plan.headersMs, signal);
      const billed = { prompt_tokens: answer.promptTokens, completion_tokens: action.billedCompletion ?? 0 };
      entry.billed = billed;
      done(action.status, 'error');
      const headers = { ...billedHeaders(billed), ...action.headers };
      if (action.raw !== undefined) return sendRaw(res, action.status, action.raw, headers);
      return sendJson(res, action.status, action.body, headers);
    }

    if (plan.headersMs) await sleep(plan.headersMs, signal);
    const id = `chatcmpl-mock-${entry.seq}`;
    const meta = { id, created: Math.floor(Date.now() / 1000), model: body.model };
    const headers = {
      'x-request-id': `req_mock_${entry.seq}`,
      ...(answer.prefillInfo ? { 'x-mock-prefill': `${answer.prefillInfo.matched ? 'matched' : 'unmatched'}; chars=${answer.prefillInfo.chars}` } : {}),
    };
    if (stream) return streamAnswer(res, signal, plan, answer, meta, headers, entry, sleep);
    return jsonAnswer(res, signal, plan, answer, meta, headers, entry, sleep);
  }

  function control(req, res, path, url) {
    const scenario = url.searchParams.get('scenario');
    if (path === '/__mock/reset' && req.method === 'POST') {
      api.reset(scenario ?? undefined);
      return sendJson(res, 200, { ok: true });
    }
    if (path === '/__mock/log' && req.method === 'GET') {
      return sendJson(res, 200, scenario === null ? log : log.filter((e) => e.scenario === scenario));
    }
    if (path === '/__mock/health' && req.method === 'GET') return sendJson(res, 200, { ok: true });
    return sendJson(res, 404, openaiError(`Unknown control endpoint ${req.method} ${path}`, 'invalid_request_error'));
  }

  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const actualPort = server.address().port;
  const api = {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${actualPort}`,
    port: actualPort,
    /** Every request received (control endpoints excepted), oldest first: a snapshot. */
    log: () => log.map((e) => structuredClone(e)),
    /** Forgets scenario state (one scenario, or all of it and the log). */
    reset(scenario) {
      if (scenario === undefined) {
        scenarios.clear();
        log = [];
        seq = 0;
      } else {
        scenarios.delete(scenario);
        log = log.filter((e) => e.scenario !== scenario);
      }
    },
    /** Stops listening, aborts hung and streaming requests, destroys every socket. Idempotent. */
    close() {
      if (closing) return closing;
      closing = new Promise((resolve) => {
        server.close(() => resolve());
        for (const c of controllers) c.abort();
        for (const t of timers) clearTimeout(t);
        timers.clear();
        for (const s of sockets) s.destroy();
        server.closeAllConnections?.();
      });
      return closing;
    },
  };
  return api;
}

// ---------------------------------------------------------------------------------------------
// Answers.

const chunk = (meta, choice, extra = {}) => ({
  id: meta.id, object: 'chat.completion.chunk', created: meta.created, model: meta.model,
  system_fingerprint: 'fp_mock',
  choices: choice ? [{ index: 0, delta: choice.delta, logprobs: null, finish_reason: choice.finish_reason ?? null }] : [],
  ...extra,
});
const usageOf = (answer, completion) => {
  const r = answer.reasoningTokens;
  if (r === undefined) return { prompt_tokens: answer.promptTokens, completion_tokens: completion, total_tokens: answer.promptTokens + completion };
  return {
    prompt_tokens: answer.promptTokens, completion_tokens: completion + r, total_tokens: answer.promptTokens + completion + r,
    completion_tokens_details: { reasoning_tokens: r },
  };
};
const billedHeaders = (b) => ({ 'x-mock-prompt-tokens': String(b.prompt_tokens), 'x-mock-completion-tokens': String(b.completion_tokens) });

/** Content tokens emitted before the answer stops, for the billing headers. */
function emittedTokens(plan, answer) {
  const stops = [plan.cutAt, plan.endAt, plan.errorAt, plan.filterAt].filter((n) => n !== undefined);
  return Math.min(answer.tokens.length, ...stops);
}

function toolDelta(i, frag) {
  return i === 0
    ? { role: 'assistant', content: null, tool_calls: [{ index: 0, id: 'call_mock_1', type: 'function', function: { name: 'get_weather', arguments: frag } }] }
    : { tool_calls: [{ index: 0, function: { arguments: frag } }] };
}

async function streamAnswer(res, signal, plan, answer, meta, extraHeaders, entry, sleep) {
  const emitted = emittedTokens(plan, answer);
  entry.billed = { prompt_tokens: answer.promptTokens, completion_tokens: emitted };
  entry.status = 200;
  entry.outcome = 'streaming';
  res.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', connection: 'keep-alive',
    ...billedHeaders(entry.billed), ...extraHeaders,
  });
  res.flushHeaders();
  const write = (text) => new Promise((resolve, reject) => {
    if (signal.aborted) return reject(abortError());
    const onAbort = () => reject(abortError());
    signal.addEventListener('abort', onAbort, { once: true });
    res.write(text, (err) => {
      signal.removeEventListener('abort', onAbort);
      if (err) reject(err);
      else resolve();
    });
  });
  const data = (obj) => write(`data: ${JSON.stringify(obj)}\n\n`);
  const usageExtra = answer.includeUsage ? { usage: null } : {};

  for (let k = 0; k < (plan.preamble ?? 0); k++) {
    if (k > 0 && plan.preambleMs) await sleep(plan.preambleMs, signal);
    if (k % 3 === 0) await data(chunk(meta, { delta: { role: 'assistant' } }, usageExtra));
    else if (k % 3 === 1) await data(chunk(meta, { delta: { content: '' } }, usageExtra));
    else await write(': mock keep-alive\n\n');
  }
  if (plan.firstTokenMs) await sleep(plan.firstTokenMs, signal);
  if (plan.noChoices) {
    await data(chunk(meta, null, { usage: usageOf(answer, 0) }));
    await write('data: [DONE]\n\n');
    entry.outcome = 'ok';
    return res.end();
  }
  const { tokens } = answer;
  if (!plan.tool) await data(chunk(meta, { delta: { role: 'assistant', content: '' } }, usageExtra));

  for (let i = 0; i <= tokens.length; i++) {
    if (i === plan.cutAt) return cutOff(res, plan, entry);
    if (i === plan.endAt) {
      entry.outcome = 'ended_without_finish';
      return res.end();
    }
    if (i === plan.stallAt) {
      entry.outcome = 'stalled';
      await sleep(plan.stallMs, signal);
      entry.outcome = 'streaming';
    }
    if (i === plan.malformedAt) {
      await write(`data: {"id":"${meta.id}","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"content":\n\n`);
      entry.malformed = true;
    }
    if (i === plan.errorAt) {
      if (plan.errorStyle === 'anthropic') {
        await write(`event: error\ndata: ${JSON.stringify(BODIES.anthropicOverloaded())}\n\n`);
      } else if (plan.errorStyle === 'finish') {
        await data(chunk(meta, { delta: { content: '' }, finish_reason: 'error' }, { error: { code: 502, message: 'Provider returned error: upstream disconnected' } }));
      } else {
        await data(BODIES.server());
      }
      entry.outcome = 'in_band_error';
      return res.end();
    }
    if (i === plan.filterAt) {
      await data(chunk(meta, { delta: {}, finish_reason: 'content_filter' }, usageExtra));
      if (answer.includeUsage) await data(chunk(meta, null, { usage: usageOf(answer, i) }));
      await write('data: [DONE]\n\n');
      entry.outcome = 'content_filter';
      return res.end();
    }
    if (i === tokens.length) break;
    if (i > 0 && plan.tokenMs) await sleep(plan.tokenMs, signal);
    const delta = plan.tool ? toolDelta(i, tokens[i]) : { content: tokens[i] };
    await data(chunk(meta, { delta }, usageExtra));
  }
  await data(chunk(meta, { delta: {}, finish_reason: answer.finish }, usageExtra));
  if (answer.includeUsage) await data(chunk(meta, null, { usage: usageOf(answer, tokens.length) }));
  if (!plan.noDone) await write('data: [DONE]\n\n');
  entry.outcome = entry.malformed ? 'malformed' : plan.noDone ? 'no_done' : 'ok';
  delete entry.malformed;
  res.end();
}

/** The end of a `cut-after` answer: the socket destroyed (FIN or RST), or left open and silent. */
function cutOff(res, plan, entry) {
  entry.outcome = plan.cutHang ? 'stalled' : 'cut';
  if (plan.cutHang) return undefined;
  return plan.cutRst ? res.socket?.resetAndDestroy() : res.socket?.destroy();
}

async function jsonAnswer(res, signal, plan, answer, meta, extraHeaders, entry, sleep) {
  const n = emittedTokens(plan, answer);
  const cut = plan.filterAt !== undefined && plan.filterAt < answer.tokens.length;
  const tokens = answer.tokens.slice(0, n);
  const finish = cut ? 'content_filter' : answer.finish;
  const message = plan.tool
    ? { role: 'assistant', content: null, tool_calls: [{ id: 'call_mock_1', type: 'function', function: { name: 'get_weather', arguments: tokens.join('') } }], refusal: null }
    : { role: 'assistant', content: tokens.join(''), refusal: null };
  const completion = {
    id: meta.id, object: 'chat.completion', created: meta.created, model: meta.model, system_fingerprint: 'fp_mock',
    choices: plan.noChoices ? [] : [{ index: 0, message, logprobs: null, finish_reason: finish }],
    usage: usageOf(answer, plan.noChoices ? 0 : tokens.length),
  };
  entry.billed = { prompt_tokens: answer.promptTokens, completion_tokens: completion.usage.completion_tokens };
  let wait = (plan.firstTokenMs ?? 0) + (plan.tokenMs ?? 0) * Math.max(0, answer.tokens.length - 1);
  if (plan.stallAt !== undefined) wait += plan.stallMs;
  if (wait > 0) {
    if (wait === Infinity) entry.outcome = 'stalled';
    await sleep(wait, signal);
  }
  let text = JSON.stringify(completion);
  const headers = { ...billedHeaders(entry.billed), ...extraHeaders };
  entry.status = 200;
  if (plan.errorAt !== undefined) {
    entry.outcome = 'in_band_error';
    return sendJson(res, 200, plan.errorStyle === 'anthropic' ? BODIES.anthropicOverloaded() : BODIES.server(), headers);
  }
  if (plan.cutAt !== undefined) {
    const buf = Buffer.from(text);
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': buf.length, ...headers });
    await new Promise((resolve) => res.write(buf.subarray(0, buf.length >> 1), resolve));
    return cutOff(res, plan, entry);
  }
  if (plan.endAt !== undefined || plan.malformedAt !== undefined) {
    entry.outcome = 'malformed';
    text = text.slice(0, text.length >> 1);
  } else {
    entry.outcome = cut ? 'content_filter' : 'ok';
  }
  sendRaw(res, 200, text, { 'content-type': 'application/json', ...headers });
}

// ---------------------------------------------------------------------------------------------
// Helpers.

function bearer(req) {
  const auth = req.headers.authorization;
  if (typeof auth === 'string') {
    const m = /^Bearer\s+(.*)$/i.exec(auth.trim());
    return m ? m[1] : auth;
  }
  const alt = req.headers['x-api-key'] ?? req.headers['api-key'];
  return typeof alt === 'string' ? alt : null;
}
const keyIsBad = (req) => (bearer(req) ?? '').toLowerCase().includes('bad');

function readBody(req, signal) {
  return new Promise((resolve, reject) => {
    const parts = [];
    let size = 0;
    req.on('data', (b) => {
      size += b.length;
      if (size > MAX_BODY_BYTES) {
        req.removeAllListeners('data');
        req.resume();
        resolve(null);
      } else parts.push(b);
    });
    const onAbort = () => reject(abortError());
    req.on('end', () => {
      signal.removeEventListener('abort', onAbort);
      resolve(Buffer.concat(parts).toString('utf8'));
    });
    req.on('error', reject);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

function sendRaw(res, status, text, headers = {}) {
  if (res.destroyed) return;
  const buf = Buffer.from(text);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': buf.length, ...headers });
  res.end(buf);
}
const sendJson = (res, status, body, headers = {}) => sendRaw(res, status, JSON.stringify(body), headers);

function modelList() {
  const created = 1700000000;
  const ids = ['healthy', 'gpt-mock', ...Object.keys(FAULTS).filter((n) => n !== 'healthy')];
  return { object: 'list', data: ids.map((id) => ({ id, object: 'model', created, owned_by: 'reroute-mock' })) };
}

/** A port on `host` that nothing listens on (bound, then released): connections to it are refused. */
export function closedPort(host = '127.0.0.1') {
  return new Promise((resolve, reject) => {
    const s = createNetServer().listen(0, host, () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

// ---------------------------------------------------------------------------------------------
// Command line: node edge/mock/provider.mjs --port N [--host H] [--verbose]

function isMain() {
  try {
    return !!process.argv[1] && realpathSync(process.argv[1]) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

if (isMain()) {
  const argv = process.argv.slice(2);
  const opts = { port: 0, host: '127.0.0.1', verbose: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => {
      const v = a.includes('=') ? a.slice(a.indexOf('=') + 1) : argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    if (a === '--port' || a.startsWith('--port=')) opts.port = Number(value());
    else if (a === '--host' || a.startsWith('--host=')) opts.host = value();
    else if (a === '--verbose') opts.verbose = true;
    else if (a === '--help' || a === '-h') {
      console.log('usage: provider.mjs --port N [--host 127.0.0.1] [--verbose]');
      process.exit(0);
    } else {
      console.error(`unknown argument: ${a}\nusage: provider.mjs --port N [--host 127.0.0.1] [--verbose]`);
      process.exit(2);
    }
  }
  if (!Number.isInteger(opts.port) || opts.port < 0 || opts.port > 65535) {
    console.error(`invalid port: ${opts.port}`);
    process.exit(2);
  }
  let mock;
  try {
    mock = await startMockProvider(opts);
  } catch (err) {
    console.error(`mock provider: cannot listen on ${opts.host}:${opts.port}: ${err.message}`);
    process.exit(1);
  }
  console.log(`mock provider listening on ${mock.url}`);
  const stop = () => mock.close().then(() => process.exit(0));
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}
