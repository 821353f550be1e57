// The small tables beside the outbox: dedup keys, the incident tracker's
// state, flood windows, reminder times and sink thread refs. The same
// statements on both backends (see statements.ts).

import type { Preparer, Statement } from './statements.ts';
import type { TrackedIncident, TrackerChanges, TrackerState } from '../detect/tracker.ts';
import type { DedupRepo, FloodEntry, FloodRepo, ReminderRepo, ReminderRow, ThreadRepo, ThreadStore, TrackerRepo } from './types.ts';

type Row = Record<string, unknown>;

/** Lets a repository that caches what it wrote forget the cache when the transaction rolls back. */
export interface RollbackHooks {
  onRollback(fn: () => void): void;
}

export class SqlDedup implements DedupRepo {
  #claim: Statement;
  #has: Statement;
  #prune: Statement;

  constructor(db: Preparer) {
    this.#claim = db.prepare('INSERT INTO dedup (sink, idempotency_key, seen_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING');
    this.#has = db.prepare('SELECT 1 FROM dedup WHERE sink = ? AND idempotency_key = ?');
    this.#prune = db.prepare('DELETE FROM dedup WHERE seen_at < ?');
  }

  claim(sink: string, idempotencyKey: string, now: number): boolean {
    return Number(this.#claim.run(sink, idempotencyKey, now).changes) === 1;
  }

  has(sink: string, idempotencyKey: string): boolean {
    return this.#has.get(sink, idempotencyKey) !== undefined;
  }

  deleteBefore(before: number): number {
    return Number(this.#prune.run(before).changes);
  }
}

/**
 * Incident by incident, so a change to one incident writes one row. save()
 * diffs against what it last wrote (or loaded); the cache of that is dropped
 * when a transaction rolls back, and re-read on the next save.
 */
export class SqlTracker implements TrackerRepo {
  #s: Record<string, Statement>;
  #hooks: RollbackHooks;
  /** key → JSON body, and edge key → object uid, as in the database */
  #cache: { incidents: Map<string, string>; edges: Map<string, string> } | undefined;

  #cluster: string;

  /** One cluster's rows: the same incident key in two clusters is two incidents. */
  constructor(db: Preparer, hooks: RollbackHooks, cluster: string) {
    this.#hooks = hooks;
    this.#cluster = cluster;
    this.#s = {
      incidents: db.prepare('SELECT key, body FROM tracker_incidents WHERE cluster = ?'),
      edges: db.prepare('SELECT key, object_uid FROM tracker_edges WHERE cluster = ? ORDER BY seq'),
      putIncident: db.prepare('INSERT INTO tracker_incidents (cluster, key, body) VALUES (?, ?, ?) ON CONFLICT (cluster, key) DO UPDATE SET body = excluded.body'),
      deleteIncident: db.prepare('DELETE FROM tracker_incidents WHERE cluster = ? AND key = ?'),
      putEdge: db.prepare('INSERT INTO tracker_edges (cluster, key, object_uid) VALUES (?, ?, ?) ON CONFLICT (cluster, key) DO UPDATE SET object_uid = excluded.object_uid'),
      deleteEdge: db.prepare('DELETE FROM tracker_edges WHERE cluster = ? AND key = ?'),
    };
  }

  /** Drops what it remembers of the rows (they were changed under it: a cluster adopted older rows). */
  forget(): void {
    this.#cache = undefined;
  }

  #read(): { incidents: Map<string, string>; edges: Map<string, string> } {
    const incidents = new Map((this.#s.incidents.all(this.#cluster) as Row[]).map((r) => [String(r.key), String(r.body)]));
    const edges = new Map((this.#s.edges.all(this.#cluster) as Row[]).map((r) => [String(r.key), String(r.object_uid)]));
    return { incidents, edges };
  }

  #invalidateOnRollback(): void {
    this.#hooks.onRollback(() => {
      this.#cache = undefined;
    });
  }

  load(): TrackerState {
    this.#cache = this.#read();
    return {
      version: 1,
      incidents: [...this.#cache.incidents.values()].map((b) => JSON.parse(b) as TrackedIncident),
      edges: [...this.#cache.edges.entries()],
    };
  }

  save(state: TrackerState): void {
    if (state.version !== 1) throw new Error(`cannot store incident tracker state version ${String(state.version)}`);
    const cache = (this.#cache ??= this.#read());
    this.#invalidateOnRollback();
    const keep = new Set<string>();
    for (const i of state.incidents) {
      keep.add(i.key);
      const body = JSON.stringify(i);
      if (cache.incidents.get(i.key) === body) continue;
      this.#s.putIncident.run(this.#cluster, i.key, body);
      cache.incidents.set(i.key, body);
    }
    for (const key of [...cache.incidents.keys()]) {
      if (keep.has(key)) continue;
      this.#s.deleteIncident.run(this.#cluster, key);
      cache.incidents.delete(key);
    }
    const edges = new Map(state.edges);
    for (const [key, uid] of edges) {
      if (cache.edges.get(key) === uid) continue;
      this.#s.putEdge.run(this.#cluster, key, uid);
      cache.edges.set(key, uid);
    }
    for (const key of [...cache.edges.keys()]) {
      if (edges.has(key)) continue;
      this.#s.deleteEdge.run(this.#cluster, key);
      cache.edges.delete(key);
    }
  }

  apply(changes: TrackerChanges): void {
    const cache = this.#cache;
    this.#invalidateOnRollback();
    for (const i of changes.incidents) {
      const body = JSON.stringify(i);
      this.#s.putIncident.run(this.#cluster, i.key, body);
      cache?.incidents.set(i.key, body);
    }
    for (const key of changes.removedIncidents) {
      this.#s.deleteIncident.run(this.#cluster, key);
      cache?.incidents.delete(key);
    }
    for (const [key, uid] of changes.edges) {
      this.#s.putEdge.run(this.#cluster, key, uid);
      cache?.edges.set(key, uid);
    }
    for (const key of changes.removedEdges) {
      this.#s.deleteEdge.run(this.#cluster, key);
      cache?.edges.delete(key);
    }
  }

  putIncident(i: TrackedIncident): void {
    const body = JSON.stringify(i);
    this.#s.putIncident.run(this.#cluster, i.key, body);
    this.#invalidateOnRollback();
    this.#cache?.incidents.set(i.key, body);
  }

  deleteIncident(key: string): void {
    this.#s.deleteIncident.run(this.#cluster, key);
    this.#invalidateOnRollback();
    this.#cache?.incidents.delete(key);
  }

  putEdge(key: string, objectUid: string): void {
    this.#s.putEdge.run(this.#cluster, key, objectUid);
    this.#invalidateOnRollback();
    this.#cache?.edges.set(key, objectUid);
  }

  deleteEdge(key: string): void {
    this.#s.deleteEdge.run(this.#cluster, key);
    this.#invalidateOnRollback();
    this.#cache?.edges.delete(key);
  }
}

export class SqlFlood implements FloodRepo {
  #s: Record<string, Statement>;

  constructor(db: Preparer) {
    this.#s = {
      get: db.prepare('SELECT * FROM flood WHERE sink = ? AND flood_key = ?'),
      open: db.prepare(
        `INSERT INTO flood (sink, flood_key, first_key, group_key, opened_at, window_ends_at, folded) VALUES (?, ?, ?, ?, ?, ?, 0)
         ON CONFLICT (sink, flood_key) DO UPDATE SET first_key = excluded.first_key, group_key = excluded.group_key,
           opened_at = excluded.opened_at, window_ends_at = excluded.window_ends_at, folded = 0`,
      ),
      fold: db.prepare('UPDATE flood SET folded = folded + 1 WHERE sink = ? AND flood_key = ?'),
      close: db.prepare('DELETE FROM flood WHERE sink = ? AND flood_key = ?'),
      expired: db.prepare('DELETE FROM flood WHERE window_ends_at <= ?'),
      expiredFolded: db.prepare('DELETE FROM flood_folded WHERE folded_at < ?'),
    };
  }

  get(sink: string, floodKey: string): FloodEntry | undefined {
    const r = this.#s.get.get(sink, floodKey) as Row | undefined;
    if (!r) return undefined;
    return {
      sink,
      floodKey,
      firstKey: String(r.first_key),
      groupKey: (r.group_key as string | null) ?? null,
      openedAt: Number(r.opened_at),
      windowEndsAt: Number(r.window_ends_at),
      folded: Number(r.folded),
    };
  }

  open(e: Omit<FloodEntry, 'folded'>): void {
    this.#s.open.run(e.sink, e.floodKey, e.firstKey, e.groupKey, e.openedAt, e.windowEndsAt);
  }

  fold(sink: string, floodKey: string, _now: number): void {
    this.#s.fold.run(sink, floodKey);
  }

  close(sink: string, floodKey: string): void {
    this.#s.close.run(sink, floodKey);
  }

  deleteExpired(now: number, foldedBefore: number): number {
    return Number(this.#s.expired.run(now).changes) + Number(this.#s.expiredFolded.run(foldedBefore).changes);
  }
}

export class SqlReminders implements ReminderRepo {
  #s: Record<string, Statement>;

  constructor(db: Preparer) {
    this.#s = {
      put: db.prepare(
        `INSERT INTO reminders (sink, incident_key, notification, last_sent_at, repeats, grouping) VALUES (?, ?, ?, ?, 0, ?)
         ON CONFLICT (sink, incident_key) DO UPDATE SET notification = excluded.notification, last_sent_at = excluded.last_sent_at, repeats = 0,
           grouping = excluded.grouping`,
      ),
      list: db.prepare('SELECT * FROM reminders WHERE sink = ? ORDER BY last_sent_at, incident_key'),
      sent: db.prepare('UPDATE reminders SET last_sent_at = ?, repeats = repeats + 1 WHERE sink = ? AND incident_key = ?'),
      delete: db.prepare('DELETE FROM reminders WHERE sink = ? AND incident_key = ?'),
      earliest: db.prepare('SELECT sink, MIN(last_sent_at) AS t FROM reminders GROUP BY sink'),
      prune: db.prepare('DELETE FROM reminders WHERE last_sent_at < ?'),
    };
  }

  put(sink: string, incidentKey: string, notification: Uint8Array, now: number, grouping: string | null = null): void {
    this.#s.put.run(sink, incidentKey, notification, now, grouping);
  }

  list(sink: string): ReminderRow[] {
    return (this.#s.list.all(sink) as Row[]).map((r) => ({
      sink,
      incidentKey: String(r.incident_key),
      notification: r.notification as Uint8Array,
      lastSentAt: Number(r.last_sent_at),
      repeats: Number(r.repeats),
      grouping: r.grouping === null || r.grouping === undefined ? null : String(r.grouping),
    }));
  }

  sent(sink: string, incidentKey: string, now: number): void {
    this.#s.sent.run(now, sink, incidentKey);
  }

  delete(sink: string, incidentKey: string): void {
    this.#s.delete.run(sink, incidentKey);
  }

  earliest(): { sink: string; lastSentAt: number }[] {
    return (this.#s.earliest.all() as Row[]).map((r) => ({ sink: String(r.sink), lastSentAt: Number(r.t) }));
  }

  deleteBefore(before: number): number {
    return Number(this.#s.prune.run(before).changes);
  }
}

export class SqlThreads implements ThreadRepo {
  #get: Statement;
  #set: Statement;
  #delete: Statement;
  #prune: Statement;
  #now: () => number;

  constructor(db: Preparer, now: () => number) {
    this.#now = now;
    this.#get = db.prepare('SELECT value FROM threads WHERE sink = ? AND key = ?');
    this.#set = db.prepare('INSERT INTO threads (sink, key, value, updated_at) VALUES (?, ?, ?, ?) ON CONFLICT (sink, key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at');
    this.#delete = db.prepare('DELETE FROM threads WHERE sink = ? AND key = ?');
    this.#prune = db.prepare('DELETE FROM threads WHERE updated_at < ?');
  }

  forSink(sink: string): ThreadStore {
    return {
      get: (key) => (this.#get.get(sink, key) as { value: string } | undefined)?.value,
      set: (key, value) => void this.#set.run(sink, key, value, this.#now()),
      delete: (key) => void this.#delete.run(sink, key),
    };
  }

  deleteBefore(before: number): number {
    return Number(this.#prune.run(before).changes);
  }
}

/**
 * A thread store holding JSON values behind a promise API, the shape sinks
 * take as their state (SinkDeps.state: the Slack sink's ThreadRefs, the
 * Telegram sink's group message ids): the values live in the state
 * database, so they survive restarts.
 */
export function jsonThreadStore<V = unknown>(store: ThreadStore): { get<T = V>(key: string): Promise<T | undefined>; set(key: string, value: V): Promise<void> } {
  return {
    async get<T = V>(key: string) {
      const v = store.get(key);
      return v === undefined ? undefined : (JSON.parse(v) as T);
    },
    async set(key, value) {
      store.set(key, JSON.stringify(value));
    },
  };
}
