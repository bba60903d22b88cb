// TypeScript declarations for the reroute core module (reroute.mjs + reroute_core.wasm).
// Every function takes and returns plain data; none throws. A field that has no value is absent,
// never an empty string or null (except `switchTo`, which is null when there is no switch).

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
  /** 32-bit FNV-1a of the key's UTF-16 units, 8 lowercase hex digits. Not a security primitive. */
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
}

/**
 * Instantiates the core from the `.wasm` bytes, a compiled `WebAssembly.Module`, a URL or string
 * to fetch (file: URLs are read from disk in Node), a `Response`, or a promise of any of these.
 * Without an argument it loads `reroute_core.wasm` beside `reroute.mjs`.
 */
export function loadReroute(
  source?: BufferSource | WebAssembly.Module | URL | string | Response | Promise<BufferSource | WebAssembly.Module | Response>,
): Promise<RerouteCore>;
