// The WASM core, loaded once, and the few questions the page asks it. Every rule about errors,
// notices and the model switch is the core's; this file only maps its answers to view data.
import { loadReroute } from '/reroute.mjs';
import { gapMessage } from './catalogue-gap.mjs';

const WASM_URL = '/reroute_core.wasm';

// index.html starts fetching and compiling the module before any script module has loaded
// (window.rerouteWasm); otherwise it starts here. Streams the bytes into the compiler when the
// server labels them application/wasm; otherwise hands the loader the response.
function wasmSource() {
  const early = globalThis.rerouteWasm;
  if (early) return early.catch(() => fetch(WASM_URL));
  const response = fetch(WASM_URL);
  if (typeof WebAssembly.compileStreaming !== 'function') return response;
  return response.then((r) => WebAssembly.compileStreaming(r.clone()).catch(() => r));
}

/** Loads the core and returns the page's view of it. */
export async function loadCore() {
  const core = await loadReroute(wasmSource());
  // Card chrome (8.1) comes from the core's catalogue once it exports it; until then from a
  // verbatim copy of those five messages (catalogue-gap.mjs).
  const message = typeof core.message === 'function' ? core.message : gapMessage;
  return makeView(core, message);
}

function makeView(core, message) {
  return {
    core,

    /** A catalogue message (chat-errors.md section 8), interpolated by the core. */
    text(key, locale, params = {}) {
      return message({ key, locale, ...params }) ?? key;
    },

    /**
     * Everything the failure card shows for a stored error value (an envelope or a legacy plain
     * string), in `locale` (7.6).
     */
    failure(stored, locale) {
      const sanitized = core.sanitize(stored);
      const decoded = core.decodeEnvelope(stored);
      const { code } = sanitized;
      const hint = core.hint({ code, provider: decoded.provider, model: decoded.model, locale }).text;
      return {
        code,
        hint,
        triedCount: sanitized.triedCount,
        raw: sanitized.rawMessage,
        retryAfterMs: decoded.retryAfterMs,
        detailsOpen: code === 'generic',
      };
    },

    /** The retry hint of a failed response's headers (Retry-After and kin), in ms, or undefined. */
    retryAfterMs(headers) {
      if (!headers || typeof core.retryAfterMs !== 'function') return undefined;
      return core.retryAfterMs(headers, Date.now());
    },

    /** A stored error value for a failure the page saw itself (no envelope from the gateway). */
    localFailure(error, raw) {
      return core.encodeEnvelope({ code: core.classify(error), raw: raw ?? '' });
    },

    /** The row text of a [MODEL_FALLBACK] notice, or null when the content is not one (11.4). */
    noticeRow(content, locale) {
      if (typeof core.noticeDisplayText === 'function') return core.noticeDisplayText({ content, locale }) ?? null;
      const notice = core.parseNotice(content);
      if (!notice) return null;
      return core.noticeText({ from: notice.from, to: notice.to, locale });
    },

    /** The `to` of a notice, verbatim, or undefined. */
    noticeTarget(content) {
      return core.parseNotice(content)?.to;
    },

    /** The composer auto-switch (11.5). */
    autoSwitch(input) {
      return core.autoSwitch(input);
    },
  };
}
