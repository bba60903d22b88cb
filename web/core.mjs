// The WASM core, loaded once, and the few questions the page asks it. Every rule about errors,
// notices and the model switch is the core's; this file only maps its answers to view data.
import { loadReroute } from '/reroute.mjs';

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
  return makeView(await loadReroute(wasmSource()));
}

function makeView(core) {
  return {
    core,

    /** A catalogue message (chat-errors.md section 8), interpolated by the core. */
    text(key, locale, params = {}) {
      return core.message({ key, locale, ...params }) ?? key;
    },

    /**
     * Everything the failure card shows for a stored error value (an envelope or a legacy plain
     * string), in `locale` (7.6).
     */
    failure(stored, locale) {
      const card = core.failureCard({ stored, locale });
      return {
        code: card.code,
        hint: card.hint,
        triedCount: card.triedCount,
        raw: card.rawMessage,
        retryAfterMs: card.retryAfterMs,
        detailsOpen: card.detailsOpen,
        action: card.action,
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
      return core.noticeDisplayText({ content, locale });
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
