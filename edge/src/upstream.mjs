// The I/O of one upstream attempt: the fetch, its three timers inside the request deadline
// (failover.md II.6), cancellation when the client goes away, and the raw facts of a failure
// (which kind of thing happened, never what it means: the core classifies).
import { connect } from 'cloudflare:sockets';

/** Bytes of an error body kept for the classifier. */
export const MAX_ERROR_BODY = 64 * 1024;

const encoder = new TextEncoder();

/**
 * One upstream request. The first-token timer runs from the send until `firstToken()` (the
 * commit point, or the first body byte of a non-streaming answer); the idle timer from each chunk
 * to the next (`armIdle()`); the client's signal aborts everything.
 *
 * Both timers share one setTimeout that is moved only when a deadline comes closer: re-arming a
 * timer per chunk cost more CPU than the rest of a chunk's handling. A wake-up before any deadline
 * (the idle deadline moved on meanwhile) sleeps again until the nearest one.
 *
 * The connect timeout (failover.md II.6): fetch() does not say when its connection is up, so when
 * no response has arrived halfway through the connect timeout, a bare TCP connection to the same
 * host and port is tried. If that one is not up either when the connect timeout ends, the host
 * does not answer connections: the attempt ends as `timeout_connect` instead of waiting for the
 * first-token timeout. A host that accepts connections (and is only slow to answer) is left to the
 * first-token timer. Only attempts slower than half the connect timeout pay for the probe.
 */
export class UpstreamCall {
  constructor(attempt, clientSignal) {
    this.attempt = attempt;
    this.controller = new AbortController();
    this.timedOut = null;   // 'timeout_connect' | 'timeout_first_token' | 'timeout_idle' once it fired
    this.cancelled = false; // the client went away
    this.startedAt = Date.now();
    this.bytes = 0;
    this.firstTokenAt = Infinity; // deadlines (ms since the epoch); Infinity: not running
    this.idleAt = Infinity;
    this.connectCheckAt = Infinity;
    this.responded = false; // the response's headers arrived
    this.timer = null;
    this.wakeAt = Infinity;  // when the pending setTimeout fires
    this.onTimer = () => this.wake();
    this.clientSignal = clientSignal;
    this.onClientAbort = () => {
      this.cancelled = true;
      this.controller.abort();
    };
    if (clientSignal) {
      if (clientSignal.aborted) this.onClientAbort();
      else clientSignal.addEventListener('abort', this.onClientAbort);
    }
  }

  fire(kind) {
    if (this.timedOut || this.cancelled) return;
    this.timedOut = kind;
    this.controller.abort();
  }

  /** Makes sure the shared timer fires no later than `at`. */
  schedule(at) {
    if (at >= this.wakeAt) return;
    if (this.timer !== null) clearTimeout(this.timer);
    this.wakeAt = at;
    this.timer = setTimeout(this.onTimer, Math.max(0, at - Date.now()));
  }

  wake() {
    this.timer = null;
    this.wakeAt = Infinity;
    const now = Date.now();
    if (this.firstTokenAt <= now) return this.fire('timeout_first_token');
    if (this.idleAt <= now) return this.fire('timeout_idle');
    if (this.connectCheckAt <= now) {
      this.connectCheckAt = Infinity;
      this.checkConnect();
    }
    const next = Math.min(this.firstTokenAt, this.idleAt, this.connectCheckAt);
    if (next !== Infinity) this.schedule(next);
  }

  /** Sends the request; resolves with the Response or rejects (timer, client, transport). */
  send(url, init) {
    const { connectMs, firstTokenMs } = this.attempt.timeouts;
    this.firstTokenAt = this.startedAt + Math.max(0, firstTokenMs);
    // Worth checking only when the connect timeout ends before the first-token timeout.
    if (connectMs > 0 && connectMs < firstTokenMs) this.connectCheckAt = this.startedAt + connectMs / 2;
    this.schedule(Math.min(this.firstTokenAt, this.connectCheckAt));
    init.signal = this.controller.signal;
    return fetch(url, init).then((res) => {
      this.responded = true;
      this.connectCheckAt = Infinity;
      return res;
    });
  }

  /** No response yet, halfway through the connect timeout: is the host accepting connections? */
  async checkConnect() {
    const connectEnd = this.startedAt + this.attempt.timeouts.connectMs;
    const probe = await probeConnection(this.attempt.baseUrl, Math.max(1, connectEnd - Date.now()));
    // Still waiting for the response (not answered, timed out, cancelled or done meanwhile).
    const waiting = !this.responded && !this.timedOut && !this.cancelled && this.firstTokenAt !== Infinity;
    if (probe === 'silent' && waiting) this.fire('timeout_connect');
  }

  /** The first token arrived: the first-token timer stops. */
  firstToken() {
    this.firstTokenAt = Infinity;
  }

  /** Arms (or re-arms) the idle timer: called when headers or a chunk arrived. */
  armIdle() {
    this.idleAt = Date.now() + Math.max(0, this.attempt.timeouts.idleMs);
    this.schedule(this.idleAt);
  }

  /** Stops the idle timer while the gateway itself is busy (writing to a slow client). */
  pauseIdle() {
    this.idleAt = Infinity;
  }

  /** Stops every timer and detaches from the client signal. */
  done() {
    this.firstTokenAt = Infinity;
    this.idleAt = Infinity;
    this.connectCheckAt = Infinity;
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    this.wakeAt = Infinity;
    if (this.clientSignal) this.clientSignal.removeEventListener('abort', this.onClientAbort);
  }

  /** Aborts the upstream request (the client left, or the gateway gave up on it). */
  abort() {
    this.controller.abort();
  }

  durationMs() {
    return Date.now() - this.startedAt;
  }

  /**
   * The outcome facts of an exception thrown by fetch() or by reading the body: a timer, the
   * client, or a transport failure. workerd reports a refused connection and a reset alike
   * ("Network connection lost."), so a refused connection is told apart by trying to open a bare
   * TCP connection to the same host and port (only when no response arrived).
   */
  async transportOutcome(error, { responded }) {
    const base = { durationMs: this.durationMs(), bytesReceived: this.bytes };
    if (this.cancelled) return { kind: 'cancelled', ...base };
    if (this.timedOut) return { kind: this.timedOut, message: `${this.timedOut} after ${base.durationMs} ms`, ...base };
    const message = String(error?.message ?? error ?? 'fetch failed');
    if (!responded && (await probeConnection(this.attempt.baseUrl, Math.min(this.attempt.timeouts.connectMs, 2000))) === 'refused') {
      return { kind: 'connect_refused', transportCode: 'ECONNREFUSED', message, ...base };
    }
    return { kind: 'reset', transportCode: 'ECONNRESET', message, ...base };
  }
}

/**
 * How a bare TCP connection to the URL's host and port goes within `ms`: 'open', 'refused' (or
 * not even attempted: a URL without a host) or 'silent' (neither within `ms`). Closed at once.
 */
async function probeConnection(baseUrl, ms) {
  let url;
  try {
    url = new URL(baseUrl);
  } catch {
    return 'refused';
  }
  const port = Number(url.port || (url.protocol === 'https:' ? 443 : 80));
  let socket;
  let timer;
  try {
    socket = connect({ hostname: url.hostname.replace(/^\[|\]$/g, ''), port });
    return await Promise.race([
      socket.opened.then(() => 'open', () => 'refused'),
      new Promise((resolve) => { timer = setTimeout(() => resolve('silent'), Math.max(1, ms)); }),
    ]);
  } catch {
    return 'refused';
  } finally {
    clearTimeout(timer);
    try { socket?.close(); } catch { /* already closed */ }
  }
}

/** The upstream request: `${baseUrl}/chat/completions` with the key as a Bearer token. */
export function upstreamRequest(attempt, key, bodyText, traceparent) {
  const headers = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };
  if (key) headers.authorization = `Bearer ${key}`;
  if (traceparent) headers.traceparent = traceparent;
  const base = attempt.baseUrl.endsWith('/') ? attempt.baseUrl.slice(0, -1) : attempt.baseUrl;
  return { url: `${base}/chat/completions`, init: { method: 'POST', headers, body: bodyText } };
}

/** Bodies of announced length up to this size are read in one piece (see readBody). */
const ONE_PIECE_MAX = 1024 * 1024;

/**
 * Reads a whole body through the call's timers; resolves { text, bytes } or rejects like fetch.
 * `limit`: stop (and cancel the rest) after this many bytes.
 *
 * A body whose length the upstream announced (content-length, at most ONE_PIECE_MAX and within
 * `limit`, not compressed) was complete when the upstream answered: it is read in one piece, its
 * first token is the headers and the idle timeout bounds the whole body. That costs one wake-up of
 * the worker instead of one per chunk. Any other body is read chunk by chunk, each chunk re-arming
 * the idle timer.
 */
export async function readBody(call, response, limit = Infinity) {
  if (!response.body) return { text: '', bytes: new Uint8Array(0) };
  call.bytes ??= 0;
  const announced = Number(response.headers.get('content-length') ?? NaN);
  // (A compressed body's announced length says nothing about what it decompresses to.)
  const plain = (response.headers.get('content-encoding') ?? 'identity') === 'identity';
  if (plain && Number.isInteger(announced) && announced >= 0 && announced <= ONE_PIECE_MAX && announced <= limit) {
    call.firstToken();
    call.armIdle();
    let bytes;
    try {
      bytes = new Uint8Array(await response.arrayBuffer());
    } finally {
      call.pauseIdle();
    }
    call.bytes += bytes.byteLength;
    return withText(bytes);
  }
  const reader = response.body.getReader();
  const chunks = [];
  let size = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      call.firstToken();
      call.armIdle();
      call.bytes += value.byteLength;
      chunks.push(value);
      size += value.byteLength;
      if (size >= limit) {
        reader.cancel().catch(() => {});
        break;
      }
    }
  } finally {
    call.pauseIdle();
  }
  return withText(concat(chunks, size));
}

const withText = (bytes) => ({ bytes, get text() { return new TextDecoder().decode(bytes); } });

export function concat(chunks, size) {
  if (chunks.length === 1) return chunks[0];
  const out = new Uint8Array(size);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.byteLength;
  }
  return out;
}

export const utf8 = (s) => encoder.encode(s);
