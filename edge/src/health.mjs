// Shared health (failover.md II.3, II.9): every isolate decides on its own Health state (the fast
// path, no round trip on the request path) and keeps it in step with one Durable Object:
//   - after a request whose attempts changed health, the isolate pushes its state (in the
//     background); the object merges it (the core's deterministic merge) and answers with the
//     merged state, which the isolate merges back;
//   - a request on an isolate whose last pull is older than PULL_MS / 2 starts a pull in the
//     background; only an isolate whose last pull is older than PULL_MS (an idle one) waits for it
//     before planning (bounded), so an ejection seen by one isolate is seen by the others within
//     about PULL_MS and a busy isolate never waits for the object;
//   - admin actions (breaker reset, credential retire/restore) and config reloads are applied in
//     the object and reach every isolate with the next pull.
import { loadCore } from './runtime.mjs';
import { logLine } from './log.mjs';
import { handleReasoning } from './reasoning-store.mjs';
import { purgeRouteCache } from './route-cache-purge.mjs';

export const PULL_MS = 1000;        // an isolate's view is at most this stale before it waits for a pull
export const PULL_WAIT_MS = 200;    // the longest a request waits for that pull
export const PUSH_QUIET_MS = 60_000; // successes are pushed this long after a failure (breaker counters)
const PRUNE_MS = 60_000;

const OBJECT_NAME = 'health';

function stub(env) {
  if (!env.HEALTH) return null;
  return env.HEALTH.get(env.HEALTH.idFromName(OBJECT_NAME));
}

/** Sync state of one isolate. */
export class HealthSync {
  constructor(runtime) {
    this.rt = runtime;
    this.lastPull = 0;
    this.pulling = null;
    this.lastFailureAt = 0;
    this.dirty = false;
  }

  /**
   * Before planning: refreshes a view older than PULL_MS / 2 in the background. Returns a promise
   * to wait for (at most PULL_WAIT_MS) only when the view is older than PULL_MS, else null.
   */
  fresh(env, ctx) {
    const age = Date.now() - this.lastPull;
    if (age < PULL_MS / 2 || !env.HEALTH) return null;
    const pull = this.pull(env);
    ctx?.waitUntil?.(pull);
    if (age < PULL_MS) return null;
    let timer;
    return Promise.race([pull, new Promise((r) => { timer = setTimeout(r, PULL_WAIT_MS); })]).finally(() => clearTimeout(timer));
  }

  /** An attempt was reported: remember whether the shared state should hear about it. */
  noteReport(outcomeKind, attempt) {
    if (outcomeKind !== 'success' || attempt?.isProbe) {
      this.dirty = true;
      if (outcomeKind !== 'success') this.lastFailureAt = Date.now();
    } else if (Date.now() - this.lastFailureAt < PUSH_QUIET_MS) {
      this.dirty = true; // successes close breakers and clear counters elsewhere too
    }
  }

  /** After a request: pushes the state when it changed (in the background). */
  flush(env, ctx) {
    if (!this.dirty || !env.HEALTH) return;
    this.dirty = false;
    const p = this.exchange(env, 'push');
    if (ctx?.waitUntil) ctx.waitUntil(p);
  }

  pull(env) {
    this.pulling ??= this.exchange(env, 'pull').finally(() => { this.pulling = null; });
    return this.pulling;
  }

  async exchange(env, op) {
    const rt = this.rt;
    const s = stub(env);
    if (!s || !rt.health) return;
    try {
      const body = op === 'push' ? rt.health.serialize() : '';
      const res = await s.fetch(`https://health/${op}?v=${rt.configVersion}`, { method: 'POST', body });
      this.lastPull = Date.now();
      if (!res.ok) return;
      const { health, config } = await res.json();
      if (typeof health === 'string') rt.health.merge(health);
      if (config && typeof config.text === 'string' && config.version > rt.configVersion) rt.install(config.text, config.version);
    } catch (err) {
      logLine('health_sync_error', { isolate: rt.isolate, op, message: String(err?.message ?? err) });
    }
  }
}

/**
 * The Durable Object holding the shared health state and the reloaded config (if any).
 * Routes (internal, reached only through the HEALTH binding):
 *   POST /push   body: serialized state   -> merged state
 *   POST /pull                            -> state
 *   POST /admin  body: {action, ...}      -> result and state
 *   POST /config body: {text}             -> {version}
 *   POST /reasoning/<op>                  -> reasoning-store.mjs (objects named reasoning:*)
 */
export class HealthStore {
  constructor(state, env) {
    this.state = state;
    this.env = env;
    this.health = null;
    this.config = null; // { text, version }
    this.lastPrune = 0;
    this.ready = this.state.blockConcurrencyWhile(async () => {
      const api = await loadCore();
      this.api = api;
      const stored = await this.state.storage.get(['health', 'config']);
      const text = stored.get('health');
      const created = api.createHealth(typeof text === 'string' ? text : undefined);
      this.health = created.ok ? created.health : api.createHealth().health;
      this.config = stored.get('config') ?? null;
    });
  }

  persist() {
    return this.state.storage.put('health', this.health.serialize());
  }

  /** The daily purge of an object holding route-cache rows (the only objects that set an alarm). */
  async alarm() {
    await this.ready;
    await purgeRouteCache(this.api, this.state.storage, Date.now());
  }

  async fetch(request) {
    await this.ready;
    const url = new URL(request.url);
    if (url.pathname.startsWith('/reasoning/')) {
      // Objects named reasoning:* hold learned state and route-cache rows (reasoning-store.mjs).
      return Response.json(await handleReasoning(this.api, this.state.storage, url.pathname.slice(11), await request.json()));
    }
    const now = Date.now();
    if (now - this.lastPrune > PRUNE_MS) {
      this.health.prune(now);
      this.lastPrune = now;
    }
    const reply = (extra = {}) => Response.json({ health: this.health.serialize(), config: this.config, ...extra });
    switch (url.pathname) {
      case '/push': {
        const merged = this.health.merge(await request.text());
        if (!merged.ok) return Response.json({ problems: merged.problems }, { status: 400 });
        await this.persist();
        return reply();
      }
      case '/pull':
        return reply();
      case '/view':
        return Response.json({ view: this.health.view(now), config: this.config ? { version: this.config.version } : null });
      case '/admin': {
        const cmd = await request.json();
        const result = this.admin(cmd, now);
        await this.persist();
        return reply({ result, view: this.health.view(now) });
      }
      case '/config': {
        const { text } = await request.json();
        const version = (this.config?.version ?? 0) + 1;
        this.config = { text, version };
        await this.state.storage.put('config', this.config);
        return reply({ version });
      }
      default:
        return new Response('not found', { status: 404 });
    }
  }

  admin(cmd, now) {
    switch (cmd?.action) {
      case 'reset_breaker':
        return this.health.resetBreaker(cmd.resource ?? undefined, now);
      case 'retire_credential':
        return this.health.retireCredential(String(cmd.provider), String(cmd.fingerprint), now);
      case 'restore_credential':
        return this.health.restoreCredential(String(cmd.provider), String(cmd.fingerprint), now);
      case 'clear_bench':
        return this.health.clearBench(cmd.resource, now);
      default:
        return { ok: false, reason: 'unknown_action' };
    }
  }
}
