// Loader for the reroute core WebAssembly module. One module for the browser, Node and workerd.
//
//   import { loadReroute } from './reroute.mjs';
//   const reroute = await loadReroute(bytes | WebAssembly.Module | URL | string | Response);
//   reroute.classify({ status: 402, message: 'Payment required' });  // 'credit_exhausted'
//
// With no argument it loads `reroute_core.wasm` beside this file (browser: fetch; Node: fs).
// workerd: import the `.wasm` as a module (`wasm = embed "reroute_core.wasm"`) and pass it in.
import createRerouteCore from './reroute_core.mjs';

async function compile(source) {
  source = await source;
  if (source instanceof WebAssembly.Module) return source;
  if (source instanceof ArrayBuffer || ArrayBuffer.isView(source)) return WebAssembly.compile(source);
  if (typeof Response !== 'undefined' && source instanceof Response) {
    if (!source.ok) throw new Error(`reroute: fetching the module failed with HTTP ${source.status}`);
    return WebAssembly.compile(await source.arrayBuffer());
  }
  const url = source === undefined ? new URL('./reroute_core.wasm', import.meta.url) : new URL(String(source), import.meta.url);
  if (url.protocol === 'file:') {
    // Node: fetch() has no file: scheme; getBuiltinModule keeps bundlers from seeing node:fs.
    const fs = globalThis.process?.getBuiltinModule?.('node:fs');
    if (!fs) throw new Error('reroute: cannot read file: URLs here; pass the module bytes instead');
    return WebAssembly.compile(fs.readFileSync(url));
  }
  return compile(fetch(url));
}

// Node 20 and 21 (V8 11) can crash the whole process (SIGSEGV) in optimized code that inlines a
// call into WebAssembly, when a wrapper warmed up on bytes and strings later receives a small
// integer (the garbage-input test of tests/wasm/routing.test.mjs found it; V8 with that inlining
// off, workerd's newer V8 and Node's interpreter all run the same calls fine). There, that
// inlining is turned off for the process, which costs about 10 ns a call. Other hosts are left as
// they are.
function avoidV8WasmInliningCrash() {
  const version = globalThis.process?.versions?.v8;
  if (typeof version !== 'string' || version.split('.')[0] !== '11') return;
  globalThis.process.getBuiltinModule?.('node:v8')?.setFlagsFromString('--no-turbo-inline-js-wasm-calls');
}

/**
 * Instantiates the core. `source`: the `.wasm` bytes, a compiled `WebAssembly.Module`, a URL (or
 * string) to fetch, a `Response`, or a promise of any of these. `options.finalizationRegistry: false`
 * turns off the safety net that frees forgotten handles (for hosts that free every handle and where
 * a registration costs CPU, such as workerd).
 */
export async function loadReroute(source, options = {}) {
  avoidV8WasmInliningCrash();
  const module = await compile(source);
  let failInstantiate;
  let exports;
  const instantiateFailed = new Promise((_, reject) => { failInstantiate = reject; });
  const core = await Promise.race([
    createRerouteCore({
      locateFile: (path) => path,
      instantiateWasm(imports, receive) {
        WebAssembly.instantiate(module, imports).then((instance) => {
          exports = instance.exports;
          receive(instance, module);
        }, failInstantiate);
        return {};
      },
    }),
    instantiateFailed,
  ]);
  return await makeApi(core, rawCore(core, exports), options);
}

// The module's rr_* exports, for the per-request paths: called directly rather than through the
// glue's lazily bound wrappers, and typed views over its memory (the glue renews them when the
// memory grows).
function rawCore(core, exports) {
  const raw = { u8: () => core.HEAPU8, u32: () => core.HEAPU32, f64: () => core.HEAPF64 };
  for (const name of Object.keys(exports)) if (name.startsWith('rr_')) raw[name] = exports[name];
  return raw;
}

// Every function and class registered with Embind (in any wasm/bindings*.cpp) is exposed, except
// names starting with "_" (handles and raw entry points that the wrappers below own), so a new
// bindings file needs no change here. Embind checks
// argument counts strictly; the exposed functions pad or cut the arguments to the declared count,
// so a missing optional argument reads as undefined instead of throwing.
function embindExports(core) {
  const api = {};
  for (const name of Object.keys(core)) {
    const fn = core[name];
    // Embind marks what it registers: functions and classes carry an own `argCount` (a number for
    // functions, undefined for classes), overloaded functions an `overloadTable`.
    if (name.startsWith('_') || typeof fn !== 'function') continue;
    if (!Object.prototype.hasOwnProperty.call(fn, 'argCount') && fn.overloadTable === undefined) continue;
    const count = fn.argCount;
    api[name] = typeof count === 'number' ? (...args) => { args.length = count; return fn(...args); } : fn;
  }
  return api;
}

async function makeApi(core, raw, options) {
  const wire = makeWire(raw);
  const codes = core.errorCodes();
  const scopes = core.failureScopes();
  const api = embindExports(core);
  // Per-request paths a bindings file implements in JS inside the glue (EM_JS), calling its raw
  // exports without Embind's per-call conversions: exposed as they are (e.g. govern).
  Object.assign(api, core.rrDirect);
  api.classify = (error) => codes[wire.errorOp(0, error)];
  api.classifyMessage = (message) => codes[wire.errorOp(0, String(message))];
  api.failureScope = (error) => scopes[wire.errorOp(1, error)];
  api.mayFailOver = (error) => wire.errorOp(2, error) === 1;
  api.isTransient = (error) => wire.errorOp(3, error) === 1;
  api.encodeEnvelope = (fields) => wire.encodeEnvelope(fields, codes);
  api.decodeEnvelope = (stored) => wire.decodeEnvelope(stored, codes);
  // The routing, health and stream handles live in routing.mjs, loaded only when the module has
  // them (a module built with the chat-error bindings alone does not).
  if (typeof core._createRouter === 'function') {
    const { makeRouting } = await import('./routing.mjs');
    Object.assign(api, makeRouting(core, raw, options?.finalizationRegistry !== false));
  }
  return Object.freeze(api);
}

// The hot paths' wire format (see the raw exports in bindings.cpp): strings go into the core's
// scratch buffer as UTF-8, results come back through typed views over its memory.
const ABSENT = 0xffffffff;
const ERROR_VALUE_KIND = { absent: 0, other: 1, string: 2, object: 3 };

function makeWire(raw) {
  const { rr_scratch, rr_error_op, rr_encode_envelope, rr_text_result_len, rr_decode_envelope } = raw;
  const encoder = new TextEncoder();
  const decoder = new TextDecoder();
  // Queued strings and their [offset, length] pairs: reused across calls (these paths run per
  // request; a fresh array per call shows up in their cost).
  const strings = [];
  const spans = [];

  // Writes the queued strings into the scratch buffer; returns their [offset, length] pairs
  // (valid until the next call).
  function flush() {
    let capacity = 0;
    for (let i = 0; i < strings.length; i++) if (strings[i] !== undefined) capacity += strings[i].length * 3;
    const base = rr_scratch(capacity);
    const heap = raw.u8();  // read after the call: the memory may have grown
    let at = 0;
    for (let i = 0; i < strings.length; i++) {
      const s = strings[i];
      if (s === undefined) {
        spans[2 * i] = 0;
        spans[2 * i + 1] = ABSENT;
      } else {
        const { written } = encoder.encodeInto(s, heap.subarray(base + at, base + capacity));
        spans[2 * i] = at;
        spans[2 * i + 1] = written;
        at += written;
      }
    }
    strings.length = 0;
    return spans;
  }
  const queue = (value) => strings.push(typeof value === 'string' ? value : undefined);

  function readString(ptr, len) {
    const bytes = raw.u8().subarray(ptr, ptr + len);
    if (len <= 32) {
      let ascii = '';
      for (let i = 0; i < len; i++) {
        if (bytes[i] > 0x7f) return decoder.decode(bytes);
        ascii += String.fromCharCode(bytes[i]);
      }
      return ascii;
    }
    return decoder.decode(bytes);
  }

  const isRecord = (v) => v !== null && typeof v === 'object' && !Array.isArray(v);

  // The members of a thrown value that the classification rules read, each only with the type
  // the rules read it as (chat-errors.md section 3; ErrorValue in error_value.hpp).
  function errorOp(op, error) {
    if (typeof error === 'string') {  // the common case, without the queue
      const base = rr_scratch(error.length * 3);
      const { written } = encoder.encodeInto(error, raw.u8().subarray(base, base + error.length * 3));
      return rr_error_op(op, ERROR_VALUE_KIND.string, 0, 0, 0, 0, 0, 0, 0, written,
        0, ABSENT, 0, ABSENT, 0, ABSENT, 0, ABSENT, 0, ABSENT, 0, ABSENT);
    }
    let kind;
    let numbers = 0;
    let status = 0, statusCode = 0, code = 0, errorCode = 0, hasData = 0;
    if (error === undefined || error === null) {
      kind = ERROR_VALUE_KIND.absent;
    } else if (typeof error === 'string') {
      kind = ERROR_VALUE_KIND.string;
    } else if (!isRecord(error)) {
      kind = ERROR_VALUE_KIND.other;
    } else {
      kind = ERROR_VALUE_KIND.object;
    }
    queue(kind === ERROR_VALUE_KIND.string ? error : undefined);
    if (kind === ERROR_VALUE_KIND.object) {
      if (typeof error.status === 'number') { numbers |= 1; status = error.status; }
      if (typeof error.statusCode === 'number') { numbers |= 2; statusCode = error.statusCode; }
      if (typeof error.code === 'number') { numbers |= 4; code = error.code; }
      const data = error.data;
      const dataRecord = isRecord(data) ? data : undefined;
      hasData = data !== null && typeof data === 'object' ? 1 : 0;
      const nested = isRecord(error.error) ? error.error : undefined;
      if (typeof nested?.code === 'number') { numbers |= 8; errorCode = nested.code; }
      queue(error.code);
      queue(error.message);
      queue(error.name);
      queue(dataRecord?.code);
      queue(dataRecord?.message);
      queue(nested?.code);
    } else {
      for (let i = 0; i < 6; i++) queue(undefined);
    }
    const s = flush();
    return rr_error_op(op, kind, numbers, status, statusCode, code, errorCode, hasData,
      s[0], s[1], s[2], s[3], s[4], s[5], s[6], s[7], s[8], s[9], s[10], s[11], s[12], s[13]);
  }

  function encodeEnvelope(fields) {
    const f = isRecord(fields) ? fields : {};
    let numbers = 0;
    if (typeof f.tried === 'number') numbers |= 1;
    if (typeof f.retryAfterMs === 'number') numbers |= 2;
    queue(f.code);
    queue(f.provider);
    queue(f.model);
    queue(f.raw);
    const s = flush();
    const ptr = rr_encode_envelope(numbers, numbers & 1 ? f.tried : 0, numbers & 2 ? f.retryAfterMs : 0,
      s[0], s[1], s[2], s[3], s[4], s[5], s[6], s[7]);
    return readString(ptr, rr_text_result_len());
  }

  // Field order of DecodedBlock in bindings.cpp: present, code, triedCount, retryAfterMs, then
  // pointer/length pairs of provider, model and raw.
  function decodeEnvelope(stored, codes) {
    const present = typeof stored === 'string';
    queue(present ? stored : undefined);
    const len = flush()[1];
    const block = rr_decode_envelope(present ? 1 : 0, present ? len : 0);
    const u32 = raw.u32();
    const f64 = raw.f64();
    const at = block >>> 2;
    const bits = u32[at];
    const out = {};
    if (bits & 1) out.code = codes[u32[at + 1]];
    if (bits & 2) out.provider = readString(u32[at + 6], u32[at + 7]);
    if (bits & 4) out.model = readString(u32[at + 8], u32[at + 9]);
    if (bits & 8) out.triedCount = f64[(block + 8) >>> 3];
    if (bits & 16) out.raw = readString(u32[at + 10], u32[at + 11]);
    if (bits & 32) out.retryAfterMs = f64[(block + 16) >>> 3];
    return out;
  }

  return { errorOp, encodeEnvelope, decodeEnvelope };
}
