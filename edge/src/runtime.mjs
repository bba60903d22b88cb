// Per-isolate runtime: the core loaded once, the router built from the routing config and the
// provider keys of the environment, and this isolate's health state (the fast path; health.mjs
// keeps it in step with the shared Durable Object).
import wasmModule from '../../build/wasm/pkg/reroute_core.wasm';
import { loadReroute } from '../../build/wasm/pkg/reroute.mjs';

import { logLine } from './log.mjs';

let corePromise = null;
/** The core module (instantiated once per isolate). */
// The gateway frees every handle it creates (finally blocks), so the loader's FinalizationRegistry
// safety net is left out: in workerd each register/unregister costs about 25 us of CPU per handle.
export function loadCore() {
  corePromise ??= loadReroute(wasmModule, { finalizationRegistry: false });
  return corePromise;
}

/**
 * Keys of every credential env the config names: { keys: name -> trimmed value, fingerprints:
 * name -> fingerprint } for those that are set and non-empty. Keys never leave this object.
 */
export function readKeys(api, env, names) {
  const keys = Object.create(null);
  const fingerprints = Object.create(null);
  for (const name of names) {
    const value = typeof env[name] === 'string' ? env[name].trim() : '';
    if (!value) continue;
    keys[name] = value;
    fingerprints[name] = api.fingerprint(value);
  }
  return { keys, fingerprints };
}

/** Env names a config document names as credentials (before a router exists to say so). */
function credentialEnvsOf(configText) {
  try {
    const doc = JSON.parse(configText);
    const names = new Set();
    for (const p of doc?.providers ?? []) for (const c of p?.credentials ?? []) if (typeof c?.env === 'string') names.add(c.env);
    return [...names];
  } catch {
    return [];
  }
}

/**
 * Builds a router for a config text: { ok, router, keys, warnings } or { ok: false, problems }.
 * The key fingerprints are computed here; the core never sees a key.
 */
export function buildRouter(api, env, configText) {
  const { keys, fingerprints } = readKeys(api, env, credentialEnvsOf(configText));
  const setEnv = [];
  if (typeof env.REROUTE_ADMIN_SECRET_ENV === 'string' && env[env.REROUTE_ADMIN_SECRET_ENV]) setEnv.push(env.REROUTE_ADMIN_SECRET_ENV);
  const result = api.createRouter(configText, fingerprints, { setEnv });
  if (!result.ok) return { ok: false, problems: result.problems };
  return { ok: true, router: result.router, keys, warnings: result.warnings };
}

/** The isolate's state, built on the first request. */
export class Runtime {
  constructor(api, env) {
    this.api = api;
    this.env = env;
    this.isolate = typeof env.REROUTE_ISOLATE === 'string' ? env.REROUTE_ISOLATE : 'gateway';
    // A string (workerd text binding, wrangler secret) or an object ([vars] JSON value).
    const config = env.REROUTE_CONFIG;
    this.configText = typeof config === 'string' ? config : config && typeof config === 'object' ? JSON.stringify(config) : '';
    this.configVersion = 0;
    this.router = null;
    this.keys = Object.create(null);
    this.problems = [];
    this.warnings = [];
    const health = api.createHealth();
    this.health = health.ok ? health.health : null;
    this.install(this.configText, 0);
  }

  /** Swaps in a new config when it loads; returns the load result (problems when it does not). */
  install(configText, version) {
    const built = buildRouter(this.api, this.env, configText);
    if (!built.ok) {
      if (!this.router) this.problems = built.problems;
      logLine('config', { isolate: this.isolate, ok: false, version, problems: built.problems.map((p) => p.message) });
      return built;
    }
    const old = this.router;
    this.router = built.router;
    this.keys = built.keys;
    this.warnings = built.warnings;
    this.problems = [];
    this.configText = configText;
    this.configVersion = version;
    old?.free();
    logLine('config', { isolate: this.isolate, ok: true, version, warnings: built.warnings.map((p) => p.message) });
    return built;
  }

  /** Every provider key value (for the admin-secret check). */
  keyValues() {
    return Object.values(this.keys);
  }
}

let runtimePromise = null;
/** The isolate's runtime (created once, from the first request's env). */
export function getRuntime(env) {
  runtimePromise ??= loadCore().then((api) => new Runtime(api, env));
  return runtimePromise;
}
