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

/**
 * Instantiates the core. `source`: the `.wasm` bytes, a compiled `WebAssembly.Module`, a URL (or
 * string) to fetch, a `Response`, or a promise of any of these.
 */
export async function loadReroute(source) {
  const module = await compile(source);
  let failInstantiate;
  const instantiateFailed = new Promise((_, reject) => { failInstantiate = reject; });
  const core = await Promise.race([
    createRerouteCore({
      locateFile: (path) => path,
      instantiateWasm(imports, receive) {
        WebAssembly.instantiate(module, imports).then((instance) => receive(instance, module), failInstantiate);
        return {};
      },
    }),
    instantiateFailed,
  ]);
  return makeApi(core);
}

// The bindings already take and return plain objects; this only fixes the public surface.
const API = ['errorCodes', 'classify', 'classifyMessage', 'failureScope', 'mayFailOver', 'isTransient',
  'retirement', 'fingerprint', 'scopeKeys', 'encodeEnvelope', 'decodeEnvelope', 'sanitize', 'restProjection',
  'hint', 'contentSentence', 'formatNotice', 'parseNotice', 'noticeText', 'autoSwitch'];

function makeApi(core) {
  return Object.freeze(Object.fromEntries(API.map((name) => [name, core[name]])));
}
