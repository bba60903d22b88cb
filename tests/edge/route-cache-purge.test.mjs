// The daily purge of the route cache (reasoning.md 4.6): the alarm's schedule, and what one run
// deletes, against a storage shaped like a Durable Object's (list pages, 128-key deletes, alarms).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, test } from 'node:test';

import { armPurge, nextPurgeAt, purgeRouteCache } from '../../edge/src/route-cache-purge.mjs';

const pkg = process.env.REROUTE_PKG ?? join(import.meta.dirname, '../../build/wasm/pkg');
const { loadReroute } = await import(pathToFileURL(join(pkg, 'reroute.mjs')).href);
const api = await loadReroute(readFileSync(join(pkg, 'reroute_core.wasm')));

const DAY = 86_400_000;
const MAX_AGE = 30 * DAY;

/** Durable Object storage over a Map: sorted list pages, deletes of at most 128 keys, one alarm. */
function fakeStorage(entries = []) {
  const map = new Map(entries);
  const calls = { lists: 0, deletes: [] };
  let alarm = null;
  return {
    map, calls,
    get alarm() { return alarm; },
    async list({ prefix, limit, startAfter }) {
      calls.lists += 1;
      const keys = [...map.keys()].filter((k) => k.startsWith(prefix) && (startAfter === undefined || k > startAfter)).sort();
      return new Map(keys.slice(0, limit).map((k) => [k, map.get(k)]));
    },
    async delete(keys) {
      assert.ok(keys.length <= 128, `delete of ${keys.length} keys`);
      calls.deletes.push(keys.length);
      for (const k of keys) map.delete(k);
    },
    async put(k, v) { map.set(k, v); },
    async getAlarm() { return alarm; },
    async setAlarm(t) { alarm = t; },
  };
}

const row = (created) => ({ slug: 'chat', source: 'classified', hits: 1, created_at_ms: created, last_used_at_ms: created });
const key = (i) => `row:hash:${String(i).padStart(6, '0')}`;

describe('route cache purge', () => {
  test('runs at the first 03:30 UTC after now', () => {
    const day = Date.UTC(2026, 10, 24);
    assert.equal(nextPurgeAt(day + 60_000), Date.UTC(2026, 10, 24, 3, 30));
    assert.equal(nextPurgeAt(Date.UTC(2026, 10, 24, 3, 30)), Date.UTC(2026, 10, 25, 3, 30));
    assert.equal(nextPurgeAt(Date.UTC(2026, 10, 24, 17, 0)), Date.UTC(2026, 10, 25, 3, 30));
  });

  test('the first cache write arms the alarm; later writes leave it', async () => {
    const storage = fakeStorage();
    const now = Date.UTC(2026, 10, 24, 12, 0);
    await armPurge(storage, now);
    assert.equal(storage.alarm, Date.UTC(2026, 10, 25, 3, 30));
    await armPurge(storage, now + DAY * 3);
    assert.equal(storage.alarm, Date.UTC(2026, 10, 25, 3, 30));
  });

  test('deletes rows created more than 30 days ago, oldest first, and arms the next run', async () => {
    const now = Date.UTC(2026, 10, 24, 3, 30);
    const storage = fakeStorage([
      [key(1), row(now - MAX_AGE - 5)],
      [key(2), row(now - MAX_AGE + 5)],   // 29.99 days: kept
      [key(3), row(now - 90 * DAY)],
      [key(4), row(now)],
      ['thread', { reasoning: null }],     // not a cache row: never listed
    ]);
    assert.equal(await purgeRouteCache(api, storage, now), 2);
    assert.deepEqual([...storage.map.keys()].sort(), [key(2), key(4), 'thread'].sort());
    assert.equal(storage.alarm, Date.UTC(2026, 10, 25, 3, 30));
  });

  test('one run deletes at most 2000 rows, the oldest, reading and deleting in pages', async () => {
    const now = Date.UTC(2026, 10, 24, 3, 30);
    // 2500 expired rows whose age falls with the key: the last 500 keys are the youngest.
    const entries = Array.from({ length: 2500 }, (_, i) => [key(i), row(now - MAX_AGE - 1 - (2500 - i) * 1000)]);
    const storage = fakeStorage(entries);
    assert.equal(await purgeRouteCache(api, storage, now), 2000);
    assert.equal(storage.calls.lists, 3);
    assert.ok(storage.calls.deletes.every((n) => n <= 128));
    assert.deepEqual([...storage.map.keys()], entries.slice(2000).map(([k]) => k));
  });
});
