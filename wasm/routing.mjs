// Routing, health and stream handles over bindings_routing.cpp (raw exports) and
// bindings_routing_embind.cpp, for reroute.mjs (which imports this file when the module has those
// bindings). Not an entry point of its own.
// A handle is the address of a core object. free() deletes it (idempotent); a FinalizationRegistry
// deletes the ones never freed once their wrapper is collected. After free() every method returns
// undefined. Handle arguments (health) are passed by address: a freed or foreign object reaches
// the core as 0, which reads as an empty health state. The per-request calls (start without
// overrides, next, report without text, relay.feed) use raw exports and typed views; the rest goes
// through Embind.
export function makeRouting(core, raw, safetyNet) {
  // The raw entry points and heap views as constants: a property load on `raw` per call costs
  // more (measured: about 25 ns per next + report once `raw` had one more export).
  const {
    rr_io, rr_free, rr_relay_feed, rr_router_route, rr_router_start, rr_attempts_next, rr_attempts_report, rr_check_completion,
    rr_upstream_body,
    u8: heapU8, u32: heapU32, f64: heapF64,
  } = raw;
  const ADDRESS = Symbol('reroute.address');
  const registry = safetyNet && typeof FinalizationRegistry === 'function'
    ? new FinalizationRegistry((address) => rr_free(address))
    : undefined;
  const addressOf = (wrapper) => (wrapper !== null && typeof wrapper === 'object' && wrapper[ADDRESS]) || 0;
  const number = (value) => (typeof value === 'number' ? value : NaN);
  const encoder = new TextEncoder();
  const decoder = new TextDecoder();
  const codes = core.errorCodes();
  const codeIndex = new Map(codes.map((code, i) => [code, i]));
  const kinds = core._outcomeKinds();
  const kindIndex = new Map(kinds.map((kind, i) => [kind, i]));
  const reasons = core._reasons();

  // A wrapper holds the address and one slot of data (the router's and the attempts' target cache).
  class Handle {
    constructor(address, data) {
      this[ADDRESS] = address;
      this.data = data;
    }

    free() {
      const address = this[ADDRESS];
      if (!address) return;
      this[ADDRESS] = 0;
      registry?.unregister(this);
      rr_free(address);
    }
  }
  function adopt(Class, address, data) {
    const wrapper = new Class(address, data);
    registry?.register(wrapper, address, wrapper);
    return wrapper;
  }
  // A Handle class whose methods call core[`${prefix}${Name}`](address, ...exactly `arity`
  // arguments), plus the hand-written `extra` methods (called with the address first).
  function methods(prefix, table, extra = {}) {
    const Class = class extends Handle {};
    const proto = Class.prototype;
    for (const [name, arity] of Object.entries(table)) {
      const fn = core[prefix + name[0].toUpperCase() + name.slice(1)];
      proto[name] = function (a, b, c) {
        const address = this[ADDRESS];
        if (!address) return undefined;
        return arity === 0 ? fn(address) : arity === 1 ? fn(address, a) : arity === 2 ? fn(address, a, b) : fn(address, a, b, c);
      };
    }
    for (const [name, fn] of Object.entries(extra)) {
      proto[name] = function (a, b, c) {
        const address = this[ADDRESS];
        return address ? fn.call(this, address, a, b, c) : undefined;
      };
    }
    return Class;
  }

  // The io buffer of the raw entry points (bindings_routing.cpp: rr_io).
  let io = 0;
  let ioCapacity = -1;
  function ioBuffer(bytes) {
    if (bytes > ioCapacity) {
      io = rr_io(bytes);
      ioCapacity = bytes;
    }
    return io;
  }
  // Writes `value` (text, or bytes: a Uint8Array, another view or an ArrayBuffer) into the io
  // buffer at `offset`, keeping what is before it; returns its length in bytes (0 for anything else).
  function toIo(value, offset) {
    if (typeof value === 'string') {
      const capacity = value.length * 3;
      const at = ioBuffer(offset + capacity) + offset;
      return encoder.encodeInto(value, heapU8().subarray(at, at + capacity)).written;
    }
    if (!(value instanceof ArrayBuffer || ArrayBuffer.isView(value))) return 0;
    const view = value instanceof Uint8Array ? value
      : value instanceof ArrayBuffer ? new Uint8Array(value) : new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
    heapU8().set(view, ioBuffer(offset + view.length) + offset);
    return view.length;
  }
  function readString(ptr, length) {
    return decoder.decode(heapU8().subarray(ptr, ptr + length));
  }

  // The request as the core reads it: the overrides value and the body travel as JSON text.
  function request(r) {
    if (r === null || typeof r !== 'object') return r;
    const out = { ...r };
    const body = bodyText(r.body);
    if (body !== undefined) out.bodyText = body;
    const overrides = r.overrides;
    if (overrides === undefined || overrides === null) return out;
    const text = jsonText(overrides);
    if (typeof text === 'string') out.overridesText = text;
    else out.overridesInvalid = true;
    return out;
  }
  // A body as the io buffer takes it: text or bytes as they are, a parsed body as its JSON text.
  const bodyIo = (body) => (typeof body === 'string' || body instanceof ArrayBuffer || ArrayBuffer.isView(body) ? body
    : body === undefined || body === null ? undefined : jsonText(body));
  function bodyText(body) {
    const value = bodyIo(body);
    return value === undefined || typeof value === 'string' ? value : decoder.decode(value);
  }
  function jsonText(value) {
    if (typeof value === 'string') return value;
    try {
      return JSON.stringify(value);
    } catch {
      return undefined;
    }
  }

  const Health = methods('_health', {
    serialize: 0, merge: 1, prune: 1, size: 0, totals: 0, view: 1, resetBreaker: 2, retireCredential: 3,
    restoreCredential: 3, clearBench: 2,
  });

  // Decision block of rr_attempts_next (DecisionBlock): u32 kind, target, number, reason, flags,
  // notice ptr, notice length, pad; f64 waitMs, startMs, deadlineAtMs, connectMs, firstTokenMs,
  // idleMs; then for a final u32 ok, code + 1, status, attempts, tried, servedBy + 1, envelope
  // ptr/len, message ptr/len; for both kinds trail ptr/len; f64 retryAfterMs.
  function next(address, health, nowMs, seed) {
    const hasSeed = typeof seed === 'number' ? 1 : 0;
    const block = rr_attempts_next(address, addressOf(health), number(nowMs), hasSeed, hasSeed ? seed : 0);
    const u32 = heapU32();
    const at = block >>> 2;
    const kind = u32[at];
    if (kind !== 0) return kind === 1 ? final(this, address, block) : undefined;
    const target = u32[at + 1];
    const targets = this.data;
    const t = targets[target] ?? (targets[target] = frozen(core._attemptsTarget(address)));
    const f64 = heapF64();
    const f = (block + 32) >>> 3;
    const flags = u32[at + 4];
    const decision = {
      kind: 'attempt', target, number: u32[at + 2], provider: t.provider, apiFormat: t.apiFormat,
      endpointId: t.endpointId, baseUrl: t.baseUrl, fingerprint: t.fingerprint, model: t.model,
      upstreamModel: t.upstreamModel, ref: t.ref, servedBy: t.header, capabilities: t.capabilities,
      timeouts: { connectMs: f64[f + 3], firstTokenMs: f64[f + 4], idleMs: f64[f + 5] },
      waitMs: f64[f], startMs: f64[f + 1], deadlineAtMs: f64[f + 2], reason: reasons[u32[at + 3]],
      isProbe: (flags & 1) !== 0, sameTargetRetry: (flags & 2) !== 0,
    };
    if (t.credentialEnv !== undefined) decision.credentialEnv = t.credentialEnv;
    if (flags & 4) decision.notice = readString(u32[at + 5], u32[at + 6]);
    if (u32[at + 31]) decision.trail = readString(u32[at + 30], u32[at + 31]);
    return decision;
  }
  function final(attempts, address, block) {
    const u32 = heapU32();
    const at = block >>> 2;
    const decision = { kind: 'final', ok: u32[at + 20] === 1, reason: reasons[u32[at + 3]], status: u32[at + 22] };
    const code = u32[at + 21];
    if (code) {
      decision.code = codes[code - 1];
      decision.envelope = readString(u32[at + 26], u32[at + 27]);
      decision.message = readString(u32[at + 28], u32[at + 29]);
      decision.errorBody = JSON.stringify({
        error: { message: decision.message, type: decision.code, code: decision.code, envelope: decision.envelope },
      });
    }
    if (u32[at + 4] & 8) {
      const ms = heapF64()[(block + 128) >>> 3];
      decision.retryAfterMs = ms;
      decision.retryAfter = String(Math.ceil(Math.max(0, ms) / 1000));
    }
    if (u32[at + 31]) decision.trail = readString(u32[at + 30], u32[at + 31]);
    decision.attempts = u32[at + 23];
    decision.tried = u32[at + 24];
    const served = u32[at + 25];
    if (served) {
      const t = attempts.data[served - 1];
      if (!t) return core._attemptsDecision(address);
      decision.servedBy = {
        target: served - 1, provider: t.provider, endpointId: t.endpointId, baseUrl: t.baseUrl, fingerprint: t.fingerprint,
        model: t.model, upstreamModel: t.upstreamModel, ref: t.ref, header: t.header,
      };
    }
    return decision;
  }

  // Cached target fields are shared by every decision of that target: nobody may change them.
  function frozen(target) {
    Object.freeze(target.capabilities);
    return Object.freeze(target);
  }

  // Outcomes that carry no text go through the raw export; the rest through Embind, where the core
  // reads status, body, headers, event data and transport codes.
  // (error, status, body, headers, event, data, transportCode, message: checked inline, no closure per call)
  const hasText = (o) => o.error !== undefined || o.status !== undefined || o.body !== undefined || o.headers !== undefined
    || o.event !== undefined || o.data !== undefined || o.transportCode !== undefined || o.message !== undefined;
  function report(address, outcome, health, nowMs) {
    if (outcome === null || typeof outcome !== 'object' || hasText(outcome)) {
      return core._attemptsReport(address, outcome, addressOf(health), nowMs);
    }
    const kind = kindIndex.get(outcome.kind) ?? -1;
    const code = codeIndex.get(outcome.code) ?? -1;
    const hint = typeof outcome.retryAfterMs === 'number' && outcome.retryAfterMs >= 0 ? outcome.retryAfterMs : -1;
    const r = rr_attempts_report(address, addressOf(health), kind, code, hint, number(outcome.durationMs),
      number(outcome.bytesReceived), number(nowMs));
    const name = kind < 0 ? 'http_error' : kinds[kind];
    const result = { accepted: (r & 1) !== 0, kind: name };
    if (r >> 8) result.code = codes[(r >> 8) - 1];
    if (hint >= 0 && Number.isFinite(hint) && name !== 'success' && name !== 'cancelled') result.retryAfterMs = hint;
    return result;
  }
  const info = (member) => function (address) { return core._attemptsInfo(address)[member]; };
  const Attempts = methods('_attempts', { trail: 0, trailEntries: 0 }, {
    next,
    report,
    trailJSON(address) { return JSON.stringify(core._attemptsTrailEntries(address)); },
    mayContinueStream(address) { return core._attemptsMayContinueStream(address); },
    continueStream(address, relay) { return core._attemptsContinueStream(address, addressOf(relay)); },
    attemptsMade: info('attemptsMade'),
    distinctTargetsTried: info('distinctTargetsTried'),
    deadlineAtMs: info('deadlineAtMs'),
    maxAttempts: info('maxAttempts'),
    finished: info('finished'),
    continuation: info('continuation'),
    continuationBudget: info('continuationBudget'),
  });

  // Per route name (or provider:model ref) the router knows: its index for the raw start and the
  // static fields of each target, filled on first use. Unknown names are not kept.
  function routeOf(router, address, name) {
    let route = router.data.get(name);
    if (route === undefined) {
      const index = rr_router_route(address, toIo(name, 0)) - 1;
      if (index < 0) return undefined;
      router.data.set(name, route = { index, targets: [] });
    }
    return route;
  }

  function start(address, req, nowMs) {
    if (req !== null && typeof req === 'object' && typeof req.route === 'string' && (req.overrides === undefined || req.overrides === null)
      && (req.conversationId === undefined || typeof req.conversationId === 'string')) {
      const route = routeOf(this, address, req.route);
      if (route !== undefined) {
        const body = bodyIo(req.body);
        const bodyLength = body === undefined ? 0 : toIo(body, 0);
        const conversationLength = req.conversationId ? toIo(req.conversationId, bodyLength) : 0;
        const max = typeof req.maxOutputTokens === 'number' ? req.maxOutputTokens : -1;
        const flags = (req.needsTools === true ? 1 : 0) | (req.needsVision === true ? 2 : 0);
        const attempts = rr_router_start(address, route.index, number(nowMs), number(req.promptTokens), max, flags,
          number(req.seed), bodyLength, conversationLength);
        if (attempts) return { ok: true, attempts: adopt(Attempts, attempts, route.targets) };
      }
    }
    const result = core._routerStart(address, request(req), nowMs);
    if (result.ok) result.attempts = adopt(Attempts, result.attempts, routeOf(this, address, req.route).targets);
    return result;
  }
  const Router = methods('_router', { routes: 0, models: 0, limits: 0, traffic: 0 }, {
    start,
    explain(address, req, health, nowMs) { return core._routerExplain(address, request(req), addressOf(health), nowMs); },
  });

  // The relay's byte wire: chunk bytes go into the io buffer, the result comes back as flags and a
  // span of the core's memory, copied out with slice().
  function feed(address, bytes) {
    const length = toIo(bytes, 0);
    const block = rr_relay_feed(address, length) >>> 2;
    const u32 = heapU32();
    const flags = u32[block];
    const at = u32[block + 1];
    const result = {
      out: heapU8().slice(at, at + u32[block + 2]),
      committed: (flags & 1) !== 0,
      done: (flags & 2) !== 0,
    };
    if (flags & 4) result.failure = core._relayFailure(address);
    return result;
  }
  const state = (member) => function (address) { return core._relayState(address)[member]; };
  const StreamRelay = methods('_relay', {
    endOfUpstream: 1, fail: 2, failure: 0, partialText: 0, inUnfinishedToolCall: 0, errorEnding: 1, planContinuation: 2,
  }, {
    feed,
    committed: state('committed'),
    doneSeen: state('doneSeen'),
    finishReason: state('finishReason'),
    produced: state('produced'),
    hasToolCalls: state('hasToolCalls'),
    usage: state('usage'),
    model: state('model'),
    chunkId: state('chunkId'),
    created: state('created'),
    heldBytes: state('heldBytes'),
  });

  return {
    createRouter(configJson, keys, options) {
      const result = core._createRouter(configJson, keys, options);
      if (result.ok) result.router = adopt(Router, result.router, new Map());
      return result;
    },
    parseOverrides(overrides, basePath) { return core._parseOverrides(jsonText(overrides), basePath); },
    createHealth(serialized) {
      const result = core._createHealth(serialized);
      if (result.ok) result.health = adopt(Health, result.health);
      return result;
    },
    createStreamRelay(options) { return adopt(StreamRelay, core._createStreamRelay(options)); },
    // The answer check of rr_check_completion: the body goes through the io buffer and only a
    // failure comes back as an object.
    completionFailure(body) { return rr_check_completion(toIo(body, 0)) ? undefined : core._completionFailure(); },
    // The upstream body of an attempt as bytes (a copy out of the module), or undefined when it
    // cannot be written (the client's body is not a JSON object, or the extras are not JSON).
    upstreamBody(clientBody, upstreamModel, extras) {
      const defaults = extras?.defaults === undefined ? '' : jsonText(extras.defaults);
      const message = typeof extras?.appendMessage === 'string' ? extras.appendMessage : '';
      if (typeof defaults !== 'string') return undefined;
      const bodyLength = toIo(clientBody, 0);
      let at = bodyLength;
      const modelLength = toIo(typeof upstreamModel === 'string' ? upstreamModel : '', at);
      at += modelLength;
      const defaultsLength = toIo(defaults, at);
      const block = rr_upstream_body(bodyLength, modelLength, defaultsLength, toIo(message, at + defaultsLength)) >>> 2;
      const u32 = heapU32();
      const length = u32[block + 1];
      return length === 0 ? undefined : heapU8().slice(u32[block], u32[block] + length);
    },
  };
}
