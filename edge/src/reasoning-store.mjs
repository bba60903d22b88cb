// Learned reasoning state and the Auto router's cache (reasoning.md 3.3, 4.6, 5.5): the data the
// core's pure functions read and return, kept in Durable Objects. Every decision about the data
// (freshness, folding an outcome, validating a stored state) is the core's; this file stores it.
//
// Objects (instances of the health object's class, reached through the same HEALTH binding, so the
// deployment needs no new binding; each has its own name and storage):
//   reasoning:thread:<tenant>:<conversation>   the thread record: { reasoning, last_auto_route, last_turn }
//   reasoning:profiles:<tenant>                one storage key per profile (`<provider:model>::<agent type>`)
//   reasoning:routecache:<tenant>              one storage key per cache row (`<candidates hash>:<message key>`)
// The gateway has one tenant, `default`.
//
// Per isolate: route-cache rows are kept in memory (a hit never leaves the isolate), profiles are
// cached and re-read from their object when older than PROFILE_STALE_MS, and a write still in
// flight for a thread or profile is awaited by the next read of the same isolate, so consecutive
// turns see each other's outcome. Without a HEALTH binding everything stays in the isolate.
import { loadCore } from './runtime.mjs';
import { logLine } from './log.mjs';
import { armPurge } from './route-cache-purge.mjs';

export const TENANT = 'default';
export const PROFILE_STALE_MS = 5000;
export const READ_WAIT_MS = 500;      // the longest a request waits for a thread or profile read
const CACHE_ROWS = 10_000;            // route-cache rows kept per isolate (oldest dropped first)

const cacheRows = new Map();          // `${hash}:${key}` -> row
const profiles = new Map();           // profile key -> { state, at }
const pendingThread = new Map();      // conversation -> promise of the last write
const pendingProfile = new Map();     // profile key -> promise of the last write
const memory = new Map();             // object name -> Map storage (no HEALTH binding)

const threadObject = (conv) => `reasoning:thread:${TENANT}:${conv}`;
const PROFILES = `reasoning:profiles:${TENANT}`;
const ROUTECACHE = `reasoning:routecache:${TENANT}`;

/** Storage of a Map, shaped like the Durable Object storage calls used here (no alarms). */
function mapStorage(map) {
  return {
    get: async (k) => map.get(k),
    put: async (k, v) => { map.set(k, v); },
  };
}

/** Calls an object's /reasoning/* route; resolves the JSON reply, or null on any failure. */
async function call(env, name, op, payload) {
  try {
    if (!env.HEALTH) {
      let map = memory.get(name);
      if (!map) memory.set(name, (map = new Map()));
      return await handleReasoning(await loadCore(), mapStorage(map), op, payload);
    }
    const stub = env.HEALTH.get(env.HEALTH.idFromName(name));
    const res = await stub.fetch(`https://reasoning/reasoning/${op}`, { method: 'POST', body: JSON.stringify(payload) });
    if (!res.ok) return null;
    return await res.json();
  } catch (err) {
    logLine('reasoning_store_error', { op, message: String(err?.message ?? err) });
    return null;
  }
}

/** Resolves `p`, or `fallback` after `ms`. */
function bounded(p, ms, fallback) {
  let timer;
  return Promise.race([p, new Promise((r) => { timer = setTimeout(() => r(fallback), ms); })]).finally(() => clearTimeout(timer));
}

// ---- the route cache ------------------------------------------------------------------------

/** The row at (hash, key): this isolate's copy, else the object's (then kept here). */
export async function cacheGet(env, hash, key) {
  const k = `${hash}:${key}`;
  const local = cacheRows.get(k);
  if (local !== undefined) return local;
  const reply = await bounded(call(env, ROUTECACHE, 'cache/get', { key: k }), READ_WAIT_MS, null);
  const row = reply?.row ?? null;
  if (row) remember(k, row);
  return row;
}

/** Synchronous isolate lookup (the hot path of a cache hit); undefined when not held here. */
export function cacheLocal(hash, key) {
  return cacheRows.get(`${hash}:${key}`);
}

function remember(k, row) {
  if (cacheRows.size >= CACHE_ROWS) cacheRows.delete(cacheRows.keys().next().value);
  cacheRows.set(k, row);
}

/** Upserts a row (the core computed it): here at once, in the object in the background. */
export function cachePut(env, ctx, hash, key, row) {
  const k = `${hash}:${key}`;
  remember(k, row);
  const p = call(env, ROUTECACHE, 'cache/put', { key: k, row });
  ctx?.waitUntil?.(p);
  return p;
}

// ---- threads and profiles --------------------------------------------------------------------

/**
 * The thread record of a conversation ({ reasoning, last_auto_route, last_turn } or null).
 * `quality`: the client's score of the previous turn, folded into that turn's outcome first; the
 * profile that turn was recorded into gets the score too (in the background).
 */
export async function threadGet(env, ctx, conv, quality) {
  const pending = pendingThread.get(conv);
  if (pending) await pending;
  const reply = await bounded(call(env, threadObject(conv), 'thread/get', quality === undefined ? {} : { quality }), READ_WAIT_MS, null);
  const scored = reply?.scored;
  if (scored) writeProfile(env, ctx, scored.key, 'profile/quality', scored);
  return reply?.record ?? null;
}

/** One read-modify-write of a profile in its object; the isolate keeps the result. */
function writeProfile(env, ctx, key, op, payload) {
  const p = call(env, PROFILES, op, payload)
    .then((reply) => { if (reply?.state) profiles.set(key, { state: reply.state, at: Date.now() }); })
    .finally(() => { if (pendingProfile.get(key) === p) pendingProfile.delete(key); });
  pendingProfile.set(key, p);
  ctx?.waitUntil?.(p);
  return p;
}

/** Reads (or refreshes) the profiles of these keys into the isolate cache. */
export async function profilesLoad(env, keys) {
  const now = Date.now();
  const stale = [];
  for (const key of keys) {
    const pending = pendingProfile.get(key);
    if (pending) await pending;
    const held = profiles.get(key);
    if (!held || now - held.at > PROFILE_STALE_MS) stale.push(key);
  }
  if (stale.length === 0) return;
  const reply = await bounded(call(env, PROFILES, 'profile/get', { keys: stale }), READ_WAIT_MS, null);
  if (!reply) return;
  for (const key of stale) profiles.set(key, { state: reply.states?.[key] ?? null, at: now });
}

/** The isolate's copy of a profile (null when none). */
export function profileCached(key) {
  return profiles.get(key)?.state ?? null;
}

/**
 * After a turn: folds the outcome into the thread (when there is a conversation) and the profile,
 * and writes the thread's pointer and last turn. The writes start at once; the same isolate's next
 * read of that thread or profile waits for them.
 */
export function learn(env, ctx, { conv, profileKey, outcome, pointer, lastTurn }) {
  const writes = [];
  if (conv) {
    const payload = { outcome: outcome ?? null, profile_key: outcome ? profileKey ?? null : null, pointer: pointer ?? null, last_turn: lastTurn ?? null };
    const p = call(env, threadObject(conv), 'thread/record', payload)
      .finally(() => { if (pendingThread.get(conv) === p) pendingThread.delete(conv); });
    pendingThread.set(conv, p);
    writes.push(p);
  }
  if (profileKey && outcome) writes.push(writeProfile(env, ctx, profileKey, 'profile/record', { key: profileKey, outcome }));
  const all = Promise.all(writes);
  ctx?.waitUntil?.(all);
  return all;
}

// ---- the object side -------------------------------------------------------------------------

/**
 * One /reasoning/* operation against an object's storage (`get(key)`, `put(key, value)`); `api`
 * is the core module. Returns the JSON reply.
 */
export async function handleReasoning(api, storage, op, payload) {
  switch (op) {
    case 'cache/get':
      return { row: (await storage.get(`row:${payload.key}`)) ?? null };
    case 'cache/put':
      await storage.put(`row:${payload.key}`, payload.row);
      await armPurge(storage, Date.now());
      return { ok: true };
    case 'thread/get': {
      const record = (await storage.get('thread')) ?? null;
      const turn = record?.last_turn;
      const q = payload.quality;
      if (record && typeof q === 'number' && Number.isFinite(q) && turn?.outcome && !turn.quality_applied) {
        // The client scored the previous answer: that turn is folded again with its quality, and
        // the caller passes the score on to the profile the turn was recorded into.
        const quality = Math.min(1, Math.max(0, q));
        record.reasoning = api.recordOutcome({ state: turn.before ?? null, outcome: { ...turn.outcome, quality } });
        turn.quality_applied = true;
        await storage.put('thread', record);
        const scored = turn.profile_key ? { key: turn.profile_key, class: turn.outcome.class, quality } : null;
        return { record, scored };
      }
      return { record };
    }
    case 'thread/record': {
      const record = (await storage.get('thread')) ?? { reasoning: null, last_auto_route: null, last_turn: null };
      const turn = payload.last_turn ? { message_key: payload.last_turn.message_key, history: payload.last_turn.history } : record.last_turn;
      if (payload.outcome) {
        const before = api.reasoningState({ state: record.reasoning });
        record.reasoning = api.recordOutcome({ state: before, outcome: payload.outcome });
        if (turn) Object.assign(turn, { outcome: payload.outcome, before, profile_key: payload.profile_key ?? null });
      }
      record.last_turn = turn ?? null;
      if (payload.pointer) record.last_auto_route = payload.pointer;
      await storage.put('thread', record);
      return { record };
    }
    case 'profile/get': {
      const states = {};
      for (const key of Array.isArray(payload.keys) ? payload.keys : []) states[key] = (await storage.get(`profile:${key}`)) ?? null;
      return { states };
    }
    case 'profile/record': {
      const state = api.recordOutcome({ state: (await storage.get(`profile:${payload.key}`)) ?? null, outcome: payload.outcome });
      await storage.put(`profile:${payload.key}`, state);
      return { state };
    }
    case 'profile/quality': {
      const state = api.recordQuality({ state: (await storage.get(`profile:${payload.key}`)) ?? null, class: payload.class, quality: payload.quality });
      await storage.put(`profile:${payload.key}`, state);
      return { state };
    }
    default:
      return { error: 'unknown operation' };
  }
}
