// TypeScript declarations for the reroute core module (reroute.mjs + reroute_core.wasm).
// Every function takes and returns plain data; none throws. A field that has no value is absent,
// never an empty string or null (except `switchTo`, which is null when there is no switch).

import type { Candidate, Capability, RerouteReasoning } from './reasoning';
export type * from './reasoning';

/** The fifteen chat error codes (chat-errors.md section 2). */
export type ErrorCode =
  | 'missing_api_key' | 'credit_exhausted' | 'auth_error' | 'model_not_found'
  | 'unsupported_parameter' | 'output_cap_too_high' | 'token_limit' | 'rate_limited'
  | 'content_filter' | 'context_length' | 'tool_failure' | 'provider_unreachable'
  | 'provider_error' | 'generic' | 'model_not_entitled';

export type Locale = 'en' | 'de' | 'fr';
export type FailureScope = 'terminal' | 'provider' | 'model';
export type Retirement = 'credential' | 'endpoint' | 'none';

/**
 * Anything that was thrown or returned as an error. Strings are classified by their text; of an
 * object only these members are read, each only when it has the type shown.
 */
export type ErrorInput =
  | string
  | {
      status?: number;
      statusCode?: number;
      code?: string | number;
      message?: string;
      data?: { code?: string; message?: string } | unknown[];
      error?: { code?: string | number };
      name?: string;
      [other: string]: unknown;
    }
  | null
  | undefined
  | unknown;

/** What a writer knows about a failed turn; `retryAfterMs` is a reroute extra header member. */
export interface EnvelopeFields {
  code?: string;
  provider?: string;
  model?: string;
  tried?: number;
  raw?: string;
  retryAfterMs?: number;
}

/** A decoded `TALE_ERR1` envelope (chat-errors.md 6.4). */
export interface DecodedEnvelope {
  code?: ErrorCode;
  provider?: string;
  model?: string;
  triedCount?: number;
  raw?: string;
  retryAfterMs?: number;
}

/** The display adapter's output (chat-errors.md 7.2). */
export interface SanitizedError {
  code: ErrorCode;
  i18nKey: string;
  params?: { provider?: string; model?: string };
  triedCount?: number;
  rawMessage?: string;
}

export interface ScopeKeys {
  /** `cred:<provider>:<fingerprint>` */
  credential: string;
  /** `host:<provider>:<baseUrl>` */
  endpoint: string;
  /** `credit:<provider>:<fingerprint>` */
  credit: string;
}

export interface FallbackNotice {
  from?: string;
  to?: string;
  reason?: string;
}

export interface ChatMessage {
  id: string;
  role: string;
  content: string;
  status?: string;
}

export interface RerouteCore {
  /** All fifteen codes in declaration order. */
  errorCodes(): ErrorCode[];
  /** Classifies any error value (chat-errors.md section 4). */
  classify(error: ErrorInput): ErrorCode;
  /** Classifies a plain message; the same as `classify(message)` for a string. */
  classifyMessage(message: string): ErrorCode;
  failureScope(error: ErrorInput): FailureScope;
  mayFailOver(error: ErrorInput): boolean;
  isTransient(error: ErrorInput): boolean;
  /** Which resource a failure with this code retires for the rest of the turn. */
  retirement(code: string): Retirement;
  /**
   * 32-bit FNV-1a of the key's UTF-16 units, 8 lowercase hex digits ('' when `apiKey` is not a
   * string). Not a security primitive.
   */
  fingerprint(apiKey: string): string;
  scopeKeys(input: { provider: string; apiKey?: string; baseUrl?: string }): ScopeKeys;

  /** `TALE_ERR1 <header>\n<raw>`, byte-exact with Tale's encoder. */
  encodeEnvelope(fields: EnvelopeFields): string;
  decodeEnvelope(stored: string | null | undefined): DecodedEnvelope;
  /** What the chat UI shows for a stored error value. */
  sanitize(stored: string): SanitizedError;
  /** The public REST listing's view of a stored error value. */
  restProjection(stored: string): { error: string; errorCode?: ErrorCode };
  /** The localized hint line; the named variant only when a provider name is given. */
  hint(input: { code: ErrorCode; provider?: string; model?: string; locale: Locale }): { key: string; text: string };
  /** The English sentence stored as a failed message's `content`. */
  contentSentence(input: { code: ErrorCode; provider?: string; model?: string }): string;

  /** `[MODEL_FALLBACK] from=… to=… reason=…` */
  formatNotice(notice: FallbackNotice): string;
  /** The notice's fields, or null when the content is not a `[MODEL_FALLBACK]` notice. */
  parseNotice(content: string): FallbackNotice | null;
  /** "gpt-x was unavailable — switched to claude-y." in the given language. */
  noticeText(input: { from?: string; to?: string; locale: Locale }): string;
  /** The composer's automatic model switch (chat-errors.md 11.5). */
  autoSwitch(input: {
    messages: ChatMessage[];
    loading: boolean;
    current: string | null;
    processed: string[];
  }): { switchTo: string | null; processed: string[] };

  /** A catalogue message (chat-errors.md section 8) with its placeholders filled; null for an unknown key. */
  message(input: { key: string; locale: Locale; provider?: string; count?: number | string; from?: string; to?: string }): string | null;
  /** The row text of a `[MODEL_FALLBACK]` system message (11.4); null for any other content. */
  noticeDisplayText(input: { content: string; locale: Locale }): string | null;
  /** Everything the failed-turn card shows for a stored error value (7.6). */
  failureCard(input: { stored: string; locale: Locale }): FailureCard;
}

/** The failed-turn card (chat-errors.md 7.6), decided by the core. */
export interface FailureCard {
  code: ErrorCode;
  hintKey: string;
  /** The localized hint line (7.5). */
  hint: string;
  /** Only when more than one model was tried. */
  triedCount?: number;
  /** The cleaned first line of the raw text (7.3), when it survives. */
  rawMessage?: string;
  /** The technical details start open (only for generic). */
  detailsOpen: boolean;
  /** The envelope's retry hint: keep "Try again" disabled this long. */
  retryAfterMs?: number;
  /** The fix offered beside "Try again". */
  action: 'switch_model' | 'new_chat' | 'open_provider_settings' | 'none';
}


// =================================================================================================
// Routing, health and streams (issue 3 core, used by the edge gateway of issue 4).
//
// Conventions:
// - Nothing throws across the boundary. Invalid input gives `{ ok: false, problems }` (with the JSON
//   path of every mistake) where a result object is returned, or a documented default value.
// - Times are JavaScript numbers of milliseconds (`nowMs` is the caller's clock: `Date.now()`);
//   durations end in `Ms`. The core never reads a clock or draws a random number itself.
// - Handles (`Router`, `Attempts`, `Health`, `StreamRelay`) own WebAssembly memory: call `free()`
//   when done (idempotent; every method of a freed handle returns undefined, and a freed Health
//   passed to another handle reads as an empty state). A FinalizationRegistry frees forgotten
//   handles eventually, but only as a safety net; `loadReroute(source, { finalizationRegistry:
//   false })` turns it off where registrations cost CPU (workerd).
// - An `Attempts` keeps its `Router` alive internally: freeing the router while requests are in
//   flight is safe (the memory goes when the last attempts handle is freed).
// - Bytes for the client are `Uint8Array`s (UTF-8) that the caller owns (copies, not views).

/** One mistake in a config document or a request: JSON Pointer path, stable code, short facts. */
export interface Problem {
  /** JSON Pointer (RFC 6901) into the document or request; "" is the root. */
  path: string;
  /** Stable code: `config.*`, `host.*`, `lint.*` (config.hpp), `request.*` (plan.hpp), `health.*`. */
  code: string;
  found: string;
  expected: string;
  /** One line for logs: "error config.range at /routes/0/retry/max_attempts: found 9, expected 1..8". */
  message: string;
  severity: 'error' | 'warning';
  /** `config.syntax` only: where the parser stopped (1-based line and column, byte offset). */
  line?: number;
  column?: number;
  offset?: number;
}

export type ApiFormat = 'openai' | 'anthropic';
export type ContinuationMode = 'off' | 'restart' | 'continue';
export type Strategy = 'single' | 'fallback' | 'loadbalance';
export type Balance = 'weighted' | 'least_in_flight' | 'sticky';
export type ResourceKind = 'endpoint' | 'credential' | 'credit' | 'endpoint_model' | 'credential_model' | 'credential_endpoint';

/** Attempt outcome kinds (failover.md II.1). */
export type OutcomeKind =
  | 'success' | 'http_error' | 'in_band_error' | 'connect_refused' | 'dns_failure' | 'tls_failure'
  | 'reset' | 'timeout_connect' | 'timeout_first_token' | 'timeout_idle' | 'stream_truncated'
  | 'stream_malformed' | 'empty_answer' | 'cancelled';
/** The kinds a stream relay can fail with (every OutcomeKind but success). */
export type FailureKind = Exclude<OutcomeKind, 'success'>;

/**
 * Machine-readable reason of every decision (resource.hpp, `Reason`): availability (`benched`,
 * `cooling`, `breaker_open`, ...), attempt choices (`first_choice`, `switch_target`,
 * `same_model_sibling`, `retry_same_target`, ...), finals (`succeeded`, `terminal`, `exhausted`,
 * `max_attempts`, `deadline`, `budget_exhausted`, `not_retryable`, `hint_too_long`, `cancelled`) and
 * health transitions (`ejected_consecutive`, `probe_failed`, `admin_reset`, `no_effect`, ...).
 */
export type Reason = string;

export interface Capabilities {
  tools: boolean;
  vision: boolean;
  prefill: boolean;
  reasoning: boolean;
}

/**
 * The facts of an upstream failure, as the classifier reads them (the `ErrorInput` object form).
 * Produced by `errorFromResponse` & co. and carried by stream failures; `report()` takes them back.
 */
export interface ErrorFacts {
  status?: number;
  statusCode?: number;
  code?: string | number;
  message?: string;
  name?: string;
  data?: { code?: string; message?: string };
  error?: { code?: string | number };
}

/** A response header list: `[name, value]` pairs, a plain record, or a `Headers` object. */
export type HeaderList = Array<[string, string]> | Record<string, string> | { entries(): Iterable<[string, string]> };

// ---- config and router ----

/** Per-request overrides (II.15); each can only narrow what the server allows. */
export interface RequestOverrides {
  disable_fallbacks?: boolean;
  max_attempts?: number;
  deadline_ms?: number;
  allowed_providers?: string[];
  allowed_models?: string[];
  continuation?: ContinuationMode;
}

export interface RouteRequest {
  /**
   * A route name or a `provider:model` ref (the request body's `model`). Absent or not a string:
   * a `request.type` problem at `/model`.
   */
  route: string;
  /** Sticky load balancing; empty or absent: none. */
  conversationId?: string;
  /** Estimated prompt tokens (context-window pre-filter). Default 0. */
  promptTokens?: number;
  /** The request's `max_tokens` / `max_completion_tokens`, if any. */
  maxOutputTokens?: number;
  needsTools?: boolean;
  needsVision?: boolean;
  /**
   * The client's chat-completions body (its JSON text, UTF-8 bytes, or the parsed object). When
   * present, the core reads `promptTokens` (a quarter of the messages' text), `maxOutputTokens`,
   * `needsTools` and `needsVision` from it instead of the members above.
   */
  body?: string | Uint8Array | object;
  /**
   * The request body's overrides object as received (any JSON value, or its JSON text): validated
   * in the core, unknown members and wrong types are `request.*` problems (status 400).
   */
  overrides?: unknown;
  /** JSON Pointer of `overrides` in the request body, prefixed to problem paths. Default "/reroute". */
  overridesPath?: string;
  /** Seed of this request's random numbers (jitter, weighted picks); see `Attempts.next`. Default 0. */
  seed?: number;
}

export interface TargetInfo {
  /** Index in the route's resolved target list (stable for a given config). */
  index: number;
  /** `provider:model` */
  ref: string;
  provider: string;
  apiFormat: ApiFormat;
  endpointId: string;
  baseUrl: string;
  credentialId?: string;
  credentialEnv?: string;
  model: string;
  upstreamModel: string;
  contextWindow: number;
  maxOutputTokens: number;
  capabilities: Capabilities;
  /** Weight 0 somewhere above it: listed, never planned. */
  drained: boolean;
}

export interface RouteInfo {
  name: string;
  strategy: Strategy;
  /** Present for strategy loadbalance. */
  balance?: Balance;
  targets: TargetInfo[];
}

/** A configured model (`GET /v1/models` lists routes by name and models by ref). */
export interface ModelInfo {
  /** `provider:model` */
  ref: string;
  provider: string;
  id: string;
  upstreamId: string;
  contextWindow: number;
  maxOutputTokens: number;
  inputPrice?: number;
  outputPrice?: number;
  capabilities: Capabilities;
  free: boolean;
}

/** Server ceilings (config `server`) and the admin plane setting. */
export interface ServerLimits {
  maxAttempts: number;
  deadlineMs: number;
  continuation: ContinuationMode;
  continuationBudget: number;
  allowDisableFallbacks: boolean;
  /** Env name of the admin secret; absent: `/admin` is off. */
  adminSecretEnv?: string;
  /** Every credential env name the config uses (to read keys and compute fingerprints). */
  credentialEnvs: string[];
}

export interface ExplainedTarget {
  target: number;
  ref: string;
  endpointId: string;
  credentialId?: string;
  /** The verdict: used (in this order) or skipped. */
  use: boolean;
  /** use: first_choice, ok, half_open_probe; skip: benched, cooling, admin_retired, breaker_open,
   *  probe_in_flight, context_too_small, capability_missing, not_allowed, config_failure,
   *  fallbacks_disabled, drained. */
  reason: Reason;
  /** The resource that decided a health skip. */
  resource?: ResourceKind;
  /** End of the bench, cooling or ejection; `null` for an admin retirement (until restored). */
  untilMs?: number | null;
}

/** Per-isolate traffic of one route (Prometheus counters). */
export interface RouteTraffic {
  route: string;
  activeRequests: number;
  retriesInFlight: number;
  budgetRefusals: number;
  /** In-flight upstream requests per target index. */
  inFlight: number[];
}

export type RouterResult =
  | { ok: true; router: Router; /** lint warnings (severity "warning") */ warnings: Problem[] }
  | { ok: false; problems: Problem[] };

export type StartResult =
  | { ok: true; attempts: Attempts }
  | { ok: false; status: 400; problems: Problem[] };

export type ExplainResult =
  | { ok: true; plan: ExplainedTarget[] }
  | { ok: false; status: 400; problems: Problem[] };

/** A loaded, validated config with its planner and this isolate's traffic (budgets, in-flight). */
export interface Router {
  routes(): RouteInfo[];
  models(): ModelInfo[];
  limits(): ServerLimits;
  /** Validates and clamps the request and starts its attempt state; the deadline counts from nowMs. */
  start(request: RouteRequest, nowMs: number): StartResult;
  /** The ordered plan with a verdict per target, without calling anything or touching health. */
  explain(request: RouteRequest, health: Health, nowMs: number): ExplainResult;
  traffic(): RouteTraffic[];
  free(): void;
}

// ---- attempts ----

export interface AttemptDecision {
  kind: 'attempt';
  /** Target index in the route (see `RouteInfo.targets`). */
  target: number;
  /** 1-based: the how-manieth upstream request of this request. */
  number: number;
  provider: string;
  apiFormat: ApiFormat;
  endpointId: string;
  /** Call `${baseUrl}/chat/completions`. */
  baseUrl: string;
  /** Read the key from this env variable; absent for a keyless provider. */
  credentialEnv?: string;
  /** Fingerprint of the key (of "" when keyless), for logs and headers. */
  fingerprint: string;
  model: string;
  /** Send this as the body's `model`. */
  upstreamModel: string;
  /** `provider:model` */
  ref: string;
  /** `x-reroute-served-by` value when this attempt serves the answer (the same as `ServedBy.header`). */
  servedBy: string;
  capabilities: Capabilities;
  /** Already clipped to what the deadline leaves at the start of the attempt. */
  timeouts: { connectMs: number; firstTokenMs: number; idleMs: number };
  /** Wait this long before starting (retry hint or backoff); 0 for an instant switch. */
  waitMs: number;
  /** nowMs + waitMs */
  startMs: number;
  /** The request's absolute deadline. */
  deadlineAtMs: number;
  reason: Reason;
  /** The half-open probe of an ejected resource. */
  isProbe: boolean;
  sameTargetRetry: boolean;
  /** `[MODEL_FALLBACK]` notice content when this attempt switches away from a failed target:
   *  send `fallbackEvent(notice)` (streams) before this attempt's first content. */
  notice?: string;
  /** `x-reroute-fallbacks` value of the failures so far (as `Attempts.trail()`); absent when none. */
  trail?: string;
}

export interface ServedBy {
  target: number;
  provider: string;
  endpointId: string;
  baseUrl: string;
  fingerprint: string;
  model: string;
  upstreamModel: string;
  ref: string;
  /** `x-reroute-served-by` value: `provider=…;ep=…;host=…;fp=…;model=…` (values percent-encoded). */
  header: string;
}

export interface FinalDecision {
  kind: 'final';
  /** true: the last reported attempt succeeded. */
  ok: boolean;
  reason: Reason;
  /** Absent on success and cancellation. */
  code?: ErrorCode;
  /** HTTP status for the client (II.2): 200 on success, 499 on cancellation. */
  status: number;
  /** `TALE_ERR1 …` (failures only): provider/model of the last attempt, tried, raw, retryAfterMs. */
  envelope?: string;
  /** The English content sentence (failures only): the OpenAI error body's `message`. */
  message?: string;
  /** `{"error":{"message","type","code","envelope"}}`, ready to send (failures only). */
  errorBody?: string;
  /** The retry hint when known (rate_limited); `retryAfter` is the HTTP header value in seconds. */
  retryAfterMs?: number;
  retryAfter?: string;
  /** Upstream requests made (`x-reroute-attempts`). */
  attempts: number;
  /** Distinct targets that received a request. */
  tried: number;
  /** On success: which target served. */
  servedBy?: ServedBy;
  /** `x-reroute-fallbacks` value (as `Attempts.trail()`); absent when no attempt failed. */
  trail?: string;
}

export type Decision = AttemptDecision | FinalDecision;

/**
 * What happened to the attempt in flight. Give what you saw; the core classifies (never the worker):
 * - `success`;
 * - `http_error` with `status`, `body` (text, possibly truncated) and `headers` (retry hints);
 * - `in_band_error` with `event` and `data` of the SSE event, or with `body` (a non-streaming 2xx body);
 * - transport kinds (`connect_refused`, `dns_failure`, `reset`, `timeout_*`, ...) with an optional
 *   `transportCode` ("ECONNREFUSED", "ENOTFOUND", ...) and `message`;
 * - a `StreamFailure` or `BodyCheck.failure` as it came (its `kind`, `code`, `error`, `retryAfterMs`).
 * `code` and `error`, when given, win over everything derived from status/body/event; the retry hint
 * is `retryAfterMs`, else the headers', else the one stated in the error message. An unknown `kind`
 * counts as `http_error` (a failure, never a success).
 */
export interface Outcome {
  kind: OutcomeKind;
  code?: ErrorCode;
  error?: ErrorFacts | string;
  status?: number;
  body?: string;
  headers?: HeaderList;
  event?: string;
  data?: string;
  transportCode?: string;
  message?: string;
  retryAfterMs?: number;
  durationMs?: number;
  bytesReceived?: number;
}

/** What report() made of the outcome (for the per-attempt log line; never a secret). */
export interface ReportResult {
  /** false when nothing was in flight (report ignored). */
  accepted: boolean;
  kind: OutcomeKind;
  code?: ErrorCode;
  /** The provider's message, redacted and bounded. */
  message?: string;
  retryAfterMs?: number;
}

export interface TrailEntry {
  target: number;
  ref: string;
  endpointId: string;
  fingerprint: string;
  code: ErrorCode;
  kind: OutcomeKind;
  durationMs: number;
}

/** The state of one client request. */
export interface Attempts {
  /**
   * The next attempt, or how the request ends. While an attempt is in flight (not reported) it
   * returns that same attempt again; after a final, the final again. `seed`, when given, reseeds
   * this request's random numbers (pass a fresh random 32-bit integer per call in production and
   * a literal in tests); otherwise the sequence continues.
   */
  next(health: Health, nowMs: number, seed?: number): Decision;
  /** The outcome of the attempt in flight: updates this request and the shared health. */
  report(outcome: Outcome, health: Health, nowMs: number): ReportResult;
  /** `x-reroute-fallbacks` value (at most 8 entries and 1 KiB). */
  trail(): string;
  trailEntries(): TrailEntry[];
  /** JSON text of trailEntries(), the data of the final `reroute.trail` event. */
  trailJSON(): string;
  attemptsMade(): number;
  distinctTargetsTried(): number;
  deadlineAtMs(): number;
  maxAttempts(): number;
  finished(): boolean;
  /** The continuation mode after clamping ('off' when fallbacks are disabled). */
  continuation(): ContinuationMode;
  /** Mid-stream fallbacks this request may make (route policy, clamped by the server). */
  continuationBudget(): number;
  /**
   * After a committed stream failed (II.5): whether the request goes on on another target (its
   * continuation mode is not 'off' and its mid-stream budget is not spent). When true, take
   * next(); for an attempt, continueStream() plans it.
   */
  mayContinueStream(): boolean;
  /**
   * The continuation onto the attempt next() handed out after a committed stream failed, from
   * `failed` (the relay whose frames reached the client; undefined: none did) and that attempt's
   * prefill support. Counts one mid-stream fallback unless the plan is `end_with_error` (reason
   * `budget_spent` when mayContinueStream() is false or no attempt is in flight); after
   * `end_with_error`, report the attempt `cancelled`.
   */
  continueStream(failed?: StreamRelay): ContinuationPlan;
  free(): void;
}

// ---- health ----

export interface HealthTotals {
  successes: number;
  localFailures: number;
  upstreamFailures: number;
  ejections: number;
  suppressedEjections: number;
  probes: number;
  benches: number;
  coolings: number;
}

/** A resource identity: its JSON array form, kind first, e.g. ["credential","openai","07dfb656"]. */
export type ResourceId = [ResourceKind, string, string] | [ResourceKind, string, string, string];

export interface HealthResourceView {
  id: ResourceId;
  kind: ResourceKind;
  provider: string;
  /** `host:…`, `cred:…` or `credit:…` for the three kinds that have one. */
  scopeKey?: string;
  bench?: {
    code: ErrorCode;
    sinceMs: number;
    /** null: retired by an admin until restored. */
    untilMs: number | null;
    admin: boolean;
    restored: boolean;
    active: boolean;
  };
  breaker?: {
    status: 'closed' | 'ejected' | 'half_open';
    ejectedAtMs: number;
    ejectUntilMs: number;
    ejectMs: number;
    n: number;
    consecutive: number;
    probeUntilMs: number;
    successes: number;
    localFailures: number;
    upstreamFailures: number;
    ejections: number;
  };
}

export interface HealthView {
  size: number;
  totals: HealthTotals;
  resources: HealthResourceView[];
}

export type HealthResult = { ok: true; health: Health } | { ok: false; problems: Problem[] };

/** The shared health state (one per isolate, synchronised through a Durable Object). */
export interface Health {
  /** Deterministic JSON; `createHealth(text)` / `merge(text)` read it back. */
  serialize(): string;
  /**
   * Merges a serialized state into this one (deterministic, commutative, idempotent). Invalid text
   * leaves this state unchanged.
   */
  merge(text: string): { ok: true; size: number } | { ok: false; problems: Problem[] };
  /** Drops what no longer affects any decision; returns how many entries were dropped. */
  prune(nowMs: number): number;
  size(): number;
  totals(): HealthTotals;
  /** The admin health view (every tracked resource, identity order). */
  view(nowMs: number): HealthView;
  /** Closes one breaker (endpoint or endpoint_model identity), or every breaker without one. */
  resetBreaker(resource: ResourceId | undefined, nowMs: number): { ok: boolean; reason: Reason; count: number };
  retireCredential(provider: string, fingerprint: string, nowMs: number): { ok: boolean; reason: Reason };
  restoreCredential(provider: string, fingerprint: string, nowMs: number): { ok: boolean; reason: Reason };
  /** Ends a bench on any resource early (config reload that changes the resource). */
  clearBench(resource: ResourceId, nowMs: number): { ok: boolean; reason: Reason };
  free(): void;
}

// ---- streams ----

export interface RelayOptions {
  /** Commit and flush once this many bytes are held without content. Default 64 KiB. */
  holdLimit?: number;
  /** Larger events fail the stream as stream_malformed. Default 1 MiB. */
  maxEventBytes?: number;
  /** Bytes written at the commit point before the first frame (fallback/restart events). */
  prelude?: string | Uint8Array;
  /** Prefill continuation: frames held before this attempt's commit point are dropped. */
  dropPreamble?: boolean;
  /** Prefill continuation: partial text the client already has. */
  partialPrefix?: string;
}

/** A failed attempt (pass it to `Attempts.report` as the outcome, adding durationMs). */
export interface StreamFailure {
  kind: FailureKind;
  /** Absent only for cancelled. */
  code?: ErrorCode;
  /** What was classified. */
  error?: ErrorFacts | string;
  /** Raw text for the envelope: redacted, at most 4 KiB. */
  message: string;
  retryAfterMs?: number;
  /** The client already had this attempt's frames. */
  afterCommit: boolean;
}

export interface FeedResult {
  /** Bytes for the client, in order; empty while holding. */
  out: Uint8Array;
  /** This call passed the commit point: send the response headers before `out`. */
  committed: boolean;
  /** The upstream sent [DONE]: call endOfUpstream(). */
  done: boolean;
  failure?: StreamFailure;
}

export interface EndResult {
  /** A finish reason was seen and something was produced: `out` ends with trail + `data: [DONE]`. */
  complete: boolean;
  committed: boolean;
  /** The upstream sent no [DONE]; the relay wrote one. */
  doneAdded: boolean;
  out: Uint8Array;
  failure?: StreamFailure;
}

export interface Usage {
  promptTokens?: number;
  completionTokens?: number;
  totalTokens?: number;
  /** The usage object as received (compact JSON). */
  json: string;
}

/** The facts of a mid-stream failure ending (II.5). */
export interface ErrorEndingInput {
  code: ErrorCode;
  provider?: string;
  model?: string;
  tried?: number;
  raw?: string;
  retryAfterMs?: number;
  /** Bytes written first (e.g. trailEvent(...)). */
  trail?: string | Uint8Array;
  /** Chunk fields of the final chunk (a relay's errorEnding fills them from what it saw). */
  chunkId?: string;
  chunkModel?: string;
  created?: number;
}

export interface ContinuationPlan {
  action: 'end_with_error' | 'restart' | 'prefill';
  /** continuation_off | restart_requested | unfinished_tool_call | tool_calls_in_partial |
   *  no_partial_text | prefill_unsupported | prefill */
  reason: string;
  /** prefill: append this message (JSON text) to the next request's `messages`. */
  prefillMessage?: string;
  /** restart / prefill: options for the next attempt's relay (`createStreamRelay(plan.next)`). */
  next?: RelayOptions;
}

export interface BodyCheck {
  ok: boolean;
  /** `model` as received. */
  model: string;
  usage?: Usage;
  failure?: StreamFailure;
}

/** One relay per upstream attempt of a streaming request. */
export interface StreamRelay {
  /** Upstream bytes, any split. After a failure or [DONE] further bytes are ignored. */
  feed(bytes: Uint8Array | string): FeedResult;
  /** The upstream closed. `trail`: bytes to write before `data: [DONE]` when complete. */
  endOfUpstream(trail?: string | Uint8Array): EndResult;
  /** A failure the host observed (timeouts, reset, cancel); later bytes are ignored. */
  fail(kind: FailureKind, facts?: { transportCode?: string; message?: string }): StreamFailure;
  committed(): boolean;
  failure(): StreamFailure | undefined;
  doneSeen(): boolean;
  finishReason(): string;
  partialText(): string;
  produced(): boolean;
  hasToolCalls(): boolean;
  inUnfinishedToolCall(): boolean;
  usage(): Usage | undefined;
  /** Chunk `model`, `id` and `created` as the serving target sent them ("" / 0 before any). */
  model(): string;
  chunkId(): string;
  created(): number;
  heldBytes(): number;
  /** errorEnding() with this relay's chunk id, model and created. */
  errorEnding(ending: ErrorEndingInput): Uint8Array;
  /** The plan after this (committed, failed) attempt, for the next target. */
  planContinuation(mode: ContinuationMode, nextSupportsPrefill: boolean): ContinuationPlan;
  free(): void;
}

export interface RerouteRouting {
  /**
   * Loads a routing config. `keys`: env name -> fingerprint(trimmed key value) for every
   * credential env that is set and non-empty (never the key itself); a credential whose env is
   * missing is skipped as a configuration failure, and lint warns (`lint.env_unset`) about it.
   * `options.setEnv`: further env names that are set (e.g. the admin secret's).
   */
  createRouter(configJson: string, keys?: Record<string, string>, options?: { setEnv?: string[] }): RouterResult;
  /** Validates an overrides object alone (the same rules as `Router.start`). */
  parseOverrides(overrides: unknown, basePath?: string):
    | { ok: true; overrides: RequestOverrides }
    | { ok: false; problems: Problem[] };
  /** An empty health state, or one read back from `Health.serialize()` text. */
  createHealth(serialized?: string): HealthResult;
  createStreamRelay(options?: RelayOptions): StreamRelay;

  /** An HTTP error response as classifier facts. */
  errorFromResponse(status: number, body: string): ErrorFacts;
  /** An SSE event's payload as classifier facts; null when it is not an error. */
  errorFromStreamEvent(event: string, data: string): ErrorFacts | null;
  /** A transport failure ("ECONNREFUSED", ...) as classifier facts. */
  errorFromTransport(code: string, message?: string): ErrorFacts;
  /** The provider's wait from its response headers (retry-after-ms, retry-after, x-ratelimit-reset-*). */
  retryAfterMs(headers: HeaderList, nowMs: number): number | undefined;
  /** The wait stated in an error message ("try again in 20ms"). */
  retryAfterMsFromText(message: string): number | undefined;
  redactSecrets(text: string): string;
  /** II.2: the HTTP status of a final failure with this code (504 for a timeout). */
  httpStatusFor(code: ErrorCode, timedOut?: boolean): number;
  /** The client-facing ending of a committed stream that failed: error chunk + error frame, no [DONE]. */
  errorEnding(ending: ErrorEndingInput): Uint8Array;
  /** `event: reroute.fallback` with the notice content as data. */
  fallbackEvent(notice: string): Uint8Array;
  /** `event: reroute.restart` (data "{}" by default). */
  restartEvent(data?: string): Uint8Array;
  /** `event: reroute.trail` with the JSON trail (`Attempts.trailJSON()`) as data. */
  trailEvent(trailJson: string): Uint8Array;
  /** A non-streaming 2xx body: an answer, or the failure to report (II.4). */
  checkCompletionBody(body: string | Uint8Array): BodyCheck;
  /**
   * `checkCompletionBody(body).failure`, without the answer's model and usage: the per-request
   * check (the body crosses as bytes, an object comes back only for a failure).
   */
  completionFailure(body: string | Uint8Array): StreamFailure | undefined;
  /**
   * The body an attempt sends upstream, as UTF-8 bytes: the client's chat body (as received) with
   * `model` set to the target's model and the gateway's `reroute` member left out, every other
   * member as the client wrote it. `defaults` (the governor's patch) adds the members the client
   * did not give; `appendMessage` (a continuation's prefill, JSON text) goes after the client's
   * messages. Undefined when the body is not a JSON object or an extra is not JSON.
   */
  upstreamBody(clientBody: string | Uint8Array, upstreamModel: string,
    extras?: { defaults?: Record<string, unknown>; appendMessage?: string }): Uint8Array | undefined;
  planContinuation(input: {
    mode: ContinuationMode;
    partialText: string;
    unfinishedToolCall: boolean;
    hasToolCalls: boolean;
    nextSupportsPrefill: boolean;
  }): ContinuationPlan;
}

/** What automatic routing and the governor need from a routing config (reasoning.md 3.1). */
export interface ReasoningConfigView {
  ok: true;
  /** Declared `strategy: "auto"` routes, then the implicit `auto` (every route with a description, classified by `utility_model`) when none is called auto and some route has a description. */
  autoRoutes: {
    name: string;
    candidates: Candidate[];
    default: string | null;
    /** The route or `provider:model` classifier calls go to: the route's own, else `utility_model`; null when neither is set. */
    classifier: string | null;
  }[];
  routes: { name: string; description: string; agentType: string; maxSteps: number; reasoning: 'off' | 'adaptive' }[];
  /** `capability`: what `govern` takes for the model; null when it declares no knob (never steered). */
  models: { ref: string; capability: Capability | null }[];
}

export interface RerouteAutoConfig {
  /** The view of a config text; `{ ok: false }` when it does not load (the router reports why). */
  reasoningConfig(configText: string): ReasoningConfigView | { ok: false };
}

export interface Reroute extends RerouteCore, RerouteRouting, RerouteReasoning, RerouteAutoConfig {
  /** Every other Embind-registered function or class of the module, as registered. */
  [name: string]: unknown;
}

/**
 * Instantiates the core from the `.wasm` bytes, a compiled `WebAssembly.Module`, a URL or string
 * to fetch (file: URLs are read from disk in Node), a `Response`, or a promise of any of these.
 * Without an argument it loads `reroute_core.wasm` beside `reroute.mjs`.
 */
export function loadReroute(
  source?: BufferSource | WebAssembly.Module | URL | string | Response | Promise<BufferSource | WebAssembly.Module | Response>,
  options?: LoadOptions,
): Promise<Reroute>;

export interface LoadOptions {
  /** Free forgotten handles when their wrappers are collected (default true). */
  finalizationRegistry?: boolean;
}
