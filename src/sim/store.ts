// The simulator's etcd: every object, one global resourceVersion counter, and
// kube-apiserver's watch cache: each resource keeps its own bounded window of
// recent changes, starting at the version its cache was initialised at. A
// watch from a version older than that window answers 410 Expired (on a
// fresh cluster too: nothing before the cache's start can be replayed),
// which is exactly the path clients must survive.

import { randomUUID } from 'node:crypto';
import type { SimClock } from './clock.ts';
import { alreadyExists, ApiError, conflict, expired, notFound } from './errors.ts';
import type { KObject } from './types.ts';

/** What the store needs to know of a resource to name it in errors. */
export interface StorageRef {
  storage: string;
  resource: string;
  group: string;
}

export type ChangeType = 'ADDED' | 'MODIFIED' | 'DELETED';

export interface Change {
  rv: number;
  type: ChangeType;
  storage: string;
  /** the object after the change (for DELETED: as it was, with the deletion's resourceVersion) */
  object: KObject;
  /** the object before the change; absent for ADDED */
  prev?: KObject;
}

export type ChangeListener = (change: Change) => void;

export interface WatchFilter {
  storage: string;
  namespace?: string;
}

const key = (ns: string | undefined, name: string): string => (ns ? `${ns}/${name}` : name);

export class ObjectStore {
  readonly clock: SimClock;
  #rv = 1;
  #objects = new Map<string, Map<string, KObject>>();
  /** storage → that resource's watch cache */
  #windows = new Map<string, WatchWindow>();
  #historySize: number;
  /** the version every watch cache was (re)initialised at; resources first written later start here too */
  #cacheStart = 1;
  #listeners = new Set<ChangeListener>();

  constructor(opts: { clock: SimClock; historySize?: number }) {
    this.clock = opts.clock;
    this.#historySize = Math.max(1, opts.historySize ?? 10_000);
  }

  get resourceVersion(): number {
    return this.#rv;
  }

  /**
   * The oldest resourceVersion a watch of this resource can still start
   * from: the cache's start until a change is evicted, then the version
   * just before its oldest change (watch_cache.go's `oldest-1`).
   */
  watchFloor(storage: string): number {
    const w = this.#windows.get(storage);
    if (!w) return this.#cacheStart;
    return w.evicted ? w.changes[0].rv - 1 : w.start;
  }

  #window(storage: string): WatchWindow {
    let w = this.#windows.get(storage);
    if (!w) this.#windows.set(storage, (w = { changes: [], start: this.#cacheStart, evicted: false }));
    return w;
  }

  #bucket(storage: string): Map<string, KObject> {
    let b = this.#objects.get(storage);
    if (!b) {
      b = new Map();
      this.#objects.set(storage, b);
    }
    return b;
  }

  /** Returns the stored object itself: frozen, so treat it as read-only. */
  get(storage: string, namespace: string | undefined, name: string): KObject | undefined {
    return this.#objects.get(storage)?.get(key(namespace, name));
  }

  /** Current objects, sorted by namespace/name like the real server's key order. */
  list(storage: string, namespace?: string): KObject[] {
    const bucket = this.#objects.get(storage);
    if (!bucket) return [];
    const out: KObject[] = [];
    const prefix = namespace ? namespace + '/' : undefined;
    for (const [k, obj] of bucket) if (!prefix || k.startsWith(prefix)) out.push(obj);
    return out.sort(byKey);
  }

  count(storage: string): number {
    return this.#objects.get(storage)?.size ?? 0;
  }

  /**
   * The objects as they were at `rv` (for paged lists, which the real server
   * serves from one consistent snapshot). Rolls back history newer than rv.
   */
  listAt(storage: string, namespace: string | undefined, rv: number): KObject[] {
    if (rv >= this.#rv) return this.list(storage, namespace);
    if (rv < this.watchFloor(storage)) {
      throw expired(`The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter, or use the continue token in this response to retrieve the remainder of the results. Continuing with the provided token results in an inconsistent list - objects that were created, modified, or deleted between the time the first chunk was returned and now may show up in the list.`);
    }
    return this.#rollBack(storage, namespace, rv);
  }

  /**
   * A list at exactly `rv` (resourceVersionMatch=Exact): 410 when that is
   * older than the resource's window, 504 when the store has not got there
   * yet, with kube-apiserver's messages.
   */
  listExact(storage: string, namespace: string | undefined, rv: number): KObject[] {
    if (rv > this.#rv) throw tooLargeResourceVersion(rv, this.#rv);
    if (rv < this.watchFloor(storage)) throw expired('The resourceVersion for the provided list is too old.');
    return rv === this.#rv ? this.list(storage, namespace) : this.#rollBack(storage, namespace, rv);
  }

  #rollBack(storage: string, namespace: string | undefined, rv: number): KObject[] {
    const snapshot = new Map<string, KObject>();
    for (const obj of this.list(storage, namespace)) snapshot.set(key(obj.metadata.namespace, obj.metadata.name!), obj);
    const history = this.#windows.get(storage)?.changes ?? [];
    for (let i = history.length - 1; i >= 0 && history[i].rv > rv; i--) {
      const c = history[i];
      if (namespace && c.object.metadata.namespace !== namespace) continue;
      const k = key(c.object.metadata.namespace, c.object.metadata.name!);
      if (c.type === 'ADDED') snapshot.delete(k);
      else snapshot.set(k, c.prev!);
    }
    return [...snapshot.values()].sort(byKey);
  }

  /**
   * Stores a new object: assigns uid, creationTimestamp, resourceVersion and
   * generation 1. The caller has validated and defaulted it.
   */
  create(ref: StorageRef, obj: KObject): KObject {
    const name = obj.metadata.name!;
    const bucket = this.#bucket(ref.storage);
    const k = key(obj.metadata.namespace, name);
    if (bucket.has(k)) throw alreadyExists(ref.resource, ref.group, name);
    const rv = ++this.#rv;
    const stored = deepFreeze({
      ...obj,
      metadata: {
        ...obj.metadata,
        // set beforehand only when defaulting needed it (a Job's generated selector)
        uid: obj.metadata.uid ?? randomUUID(),
        resourceVersion: String(rv),
        creationTimestamp: this.clock.nowIso(),
        generation: obj.metadata.generation ?? 1,
      },
    });
    bucket.set(k, stored);
    this.#record({ rv, type: 'ADDED', storage: ref.storage, object: stored });
    return stored;
  }

  /**
   * Replaces an object. With `precondition` (the resourceVersion the client
   * read), a stale write is a 409 Conflict, which is how optimistic
   * concurrency works in Kubernetes. uid and creationTimestamp are kept.
   */
  update(ref: StorageRef, obj: KObject, opts: { precondition?: string } = {}): KObject {
    const name = obj.metadata.name!;
    const bucket = this.#bucket(ref.storage);
    const k = key(obj.metadata.namespace, name);
    const prev = bucket.get(k);
    if (!prev) throw notFound(ref.resource, ref.group, name);
    if (opts.precondition && opts.precondition !== prev.metadata.resourceVersion) {
      throw conflict(ref.resource, ref.group, name, 'the object has been modified; please apply your changes to the latest version and try again');
    }
    const rv = ++this.#rv;
    const stored = deepFreeze({
      ...obj,
      metadata: {
        ...obj.metadata,
        uid: prev.metadata.uid,
        creationTimestamp: prev.metadata.creationTimestamp,
        resourceVersion: String(rv),
      },
    });
    bucket.set(k, stored);
    this.#record({ rv, type: 'MODIFIED', storage: ref.storage, object: stored, prev });
    return stored;
  }

  /**
   * Reads, changes and writes an object in one step (the simulator is single
   * threaded, so nothing can interleave). `fn` gets a mutable deep copy and
   * returns false to skip the write when nothing changed.
   */
  mutate(ref: StorageRef, namespace: string | undefined, name: string, fn: (obj: KObject) => boolean | void): KObject {
    const cur = this.get(ref.storage, namespace, name);
    if (!cur) throw notFound(ref.resource, ref.group, name);
    const copy = structuredClone(cur) as KObject;
    if (fn(copy) === false) return cur;
    return this.update(ref, copy);
  }

  delete(ref: StorageRef, namespace: string | undefined, name: string, opts: { precondition?: { uid?: string; resourceVersion?: string } } = {}): KObject {
    const bucket = this.#bucket(ref.storage);
    const k = key(namespace, name);
    const prev = bucket.get(k);
    if (!prev) throw notFound(ref.resource, ref.group, name);
    const pre = opts.precondition;
    if (pre?.uid && pre.uid !== prev.metadata.uid) {
      throw conflict(ref.resource, ref.group, name, `Precondition failed: UID in precondition: ${pre.uid}, UID in object meta: ${prev.metadata.uid}`);
    }
    if (pre?.resourceVersion && pre.resourceVersion !== prev.metadata.resourceVersion) {
      throw conflict(ref.resource, ref.group, name, `Precondition failed: ResourceVersion in precondition: ${pre.resourceVersion}, ResourceVersion in object meta: ${prev.metadata.resourceVersion}`);
    }
    bucket.delete(k);
    const rv = ++this.#rv;
    const gone = deepFreeze({ ...prev, metadata: { ...prev.metadata, resourceVersion: String(rv) } });
    this.#record({ rv, type: 'DELETED', storage: ref.storage, object: gone, prev });
    return gone;
  }

  /**
   * Streams changes after `sinceRV` (replayed from the resource's window
   * first), then live ones. Throws 410 Expired, worded as kube-apiserver's
   * watch cache words it, when sinceRV is older than the window.
   * Returns the function that stops the stream.
   */
  watch(filter: WatchFilter, sinceRV: number, listener: ChangeListener): () => void {
    const floor = this.watchFloor(filter.storage);
    if (sinceRV < floor) throw expired(`too old resource version: ${sinceRV} (${floor})`);
    const matches = (c: Change): boolean =>
      c.storage === filter.storage && (!filter.namespace || c.object.metadata.namespace === filter.namespace);
    for (const c of this.#windows.get(filter.storage)?.changes ?? []) if (c.rv > sinceRV && matches(c)) listener(c);
    const live: ChangeListener = (c) => {
      if (matches(c)) listener(c);
    };
    this.#listeners.add(live);
    return () => this.#listeners.delete(live);
  }

  /** Every change to every resource, from now on: what controllers react to. */
  subscribe(listener: ChangeListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /**
   * (Re)initialises every watch cache at the current version, as
   * kube-apiserver does when it starts (or restarts): watches from older
   * versions now answer 410. startSim calls it once the cluster is seeded.
   */
  compact(): void {
    this.#cacheStart = this.#rv;
    this.#windows.clear();
  }

  #record(change: Change): void {
    const w = this.#window(change.storage);
    w.changes.push(change);
    // trim in chunks: splicing one entry off a full array on every write is quadratic
    if (w.changes.length > this.#historySize + Math.max(1, this.#historySize >> 4)) {
      w.changes.splice(0, w.changes.length - this.#historySize);
      w.evicted = true;
    }
    for (const l of [...this.#listeners]) {
      try {
        l(change);
      } catch (err) {
        process.emitWarning(`sim store listener failed: ${(err as Error).stack ?? err}`);
      }
    }
  }
}

/** One resource's watch cache (kube-apiserver's watchCache ring buffer). */
interface WatchWindow {
  changes: Change[];
  /** the version the cache was initialised at: a watch may start there */
  start: number;
  /** a change was evicted since: the window begins just before its oldest change */
  evicted: boolean;
}

/** What etcd's "required revision is a future revision" becomes in kube-apiserver. */
function tooLargeResourceVersion(rv: number, current: number): ApiError {
  return new ApiError(504, 'Timeout', `Too large resource version: ${rv}, current: ${current}`, {
    causes: [{ reason: 'ResourceVersionTooLarge', message: 'Too large resource version' }],
    retryAfterSeconds: 1,
  });
}

function byKey(a: KObject, b: KObject): number {
  const ka = key(a.metadata.namespace, a.metadata.name!);
  const kb = key(b.metadata.namespace, b.metadata.name!);
  return ka < kb ? -1 : ka > kb ? 1 : 0;
}

/** Stored objects are shared by every reader, so nobody may change them in place. */
export function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}
