// The daily purge of the Auto router's route cache (reasoning.md 4.6, reroute choice 12): a
// Durable Object alarm at 03:30 UTC on the object that holds the cache rows. Which rows go is the
// core's decision (routeCachePurge: created more than 30 days ago, oldest first, at most 2000 per
// run); this file reads the rows' ids and ages, deletes, and arms the next run. Kept apart from
// the stores so that it runs in Node with any storage shaped like a Durable Object's.
import { logLine } from './log.mjs';

const DAY_MS = 86_400_000;
const PURGE_AT_UTC_MS = (3 * 60 + 30) * 60_000;  // 03:30 UTC
const LIST_PAGE = 1000;                           // rows read per storage.list call
const DELETE_PAGE = 128;                          // the most keys one storage.delete takes

/** The first 03:30 UTC strictly after `now`. */
export function nextPurgeAt(now) {
  const at = Math.floor(now / DAY_MS) * DAY_MS + PURGE_AT_UTC_MS;
  return at > now ? at : at + DAY_MS;
}

/** Arms the object's purge alarm unless one is set (objects that hold cache rows only). */
export async function armPurge(storage, now) {
  if (typeof storage.getAlarm !== 'function') return;
  if ((await storage.getAlarm()) === null) await storage.setAlarm(nextPurgeAt(now));
}

/**
 * The alarm of an object holding route-cache rows: the core picks the expired rows (oldest first,
 * at most its batch), they are deleted, and the next run is armed. Resolves the number deleted.
 */
export async function purgeRouteCache(api, storage, now) {
  const rows = [];
  for (let startAfter; ;) {
    const page = await storage.list({ prefix: 'row:', limit: LIST_PAGE, ...(startAfter ? { startAfter } : {}) });
    for (const [id, row] of page) rows.push({ id, created_at_ms: Number.isFinite(row?.created_at_ms) ? row.created_at_ms : 0 });
    if (page.size < LIST_PAGE) break;
    startAfter = rows.at(-1).id;
  }
  const ids = api.routeCachePurge({ rows, now_ms: now }).delete;
  for (let i = 0; i < ids.length; i += DELETE_PAGE) await storage.delete(ids.slice(i, i + DELETE_PAGE));
  await storage.setAlarm(nextPurgeAt(now));
  logLine('route_cache_purge', { rows: rows.length, deleted: ids.length });
  return ids.length;
}
