// List+watch for one resource, in the manner of client-go's Reflector: a
// paged list, then a watch from the list's resourceVersion with bookmarks;
// reconnects from the last version seen; a 410 Gone (or a history that moved
// on) re-lists and reconciles the cache so every object is reported exactly
// as it now is: nothing missed, nothing reported twice. A watch that goes
// silent (no event, no bookmark) for watchdogMs is torn down and restarted.
// Watches that end with nothing in them, one after another (kube-apiserver
// has answered Events watches that way), are re-opened after a jittered,
// capped backoff that resets on the first event or bookmark: never a busy loop.

import * as k8s from '@kubernetes/client-node';
import type { KubeObject } from '../model/kube.ts';
import type { Logger } from '../model/logger.ts';

export interface ResourceSpec {
  /** "v1" or "apps/v1" */
  apiVersion: string;
  kind: string;
  /** plural, as in the URL */
  resource: string;
  namespaced: boolean;
}

export interface ReflectorDelta {
  type: 'ADDED' | 'MODIFIED' | 'DELETED';
  old?: KubeObject;
  current?: KubeObject;
  /** from the very first list: the object existed before we started */
  initial?: boolean;
}

export interface ReflectorOptions {
  kc: k8s.KubeConfig;
  spec: ResourceSpec;
  /** called synchronously for every change, in order */
  onDelta: (delta: ReflectorDelta) => void;
  /** drops what nobody reads before caching (managedFields and the like) */
  trim: (obj: KubeObject) => KubeObject;
  /**
   * What the cache keeps of an object (default: all of the trimmed object);
   * undefined keeps nothing. Events are not cached at all: nothing compares
   * old and new Events, a busy cluster has far more of them than of anything
   * else, and a re-list reports each as ADDED again, which the tracker's
   * per-uid edge keys notify once.
   */
  cacheForm?: (obj: KubeObject) => KubeObject | undefined;
  /** restart a watch that sent nothing, not even a bookmark, for this long */
  watchdogMs: number;
  pageSize: number;
  log: Logger;
  /** reconnect back-off bounds */
  minBackoffMs?: number;
  maxBackoffMs?: number;
  /** only this namespace (namespaced resources; default: all namespaces) */
  namespace?: string;
  /** only objects matching this label selector, e.g. "kubeherald.io/plugin" */
  labelSelector?: string;
  /** each failed list, before its retry is scheduled (the listener tells a forbidden or unserved resource apart) */
  onListError?: (err: unknown) => void;
}

/**
 * The object API, answering with the API server's JSON as it is. The
 * client's own turns every listed item into model classes (Dates and all),
 * which cost more than the rest of a list, and which were turned back into
 * plain JSON here; plain JSON is also what the watch delivers, so a listed
 * object and a watched one now look alike (timestamps as the server wrote
 * them, fields the client's models do not know kept). Errors are the
 * client's as before (ApiException with code, body and headers).
 */
class RawObjectApi extends k8s.KubernetesObjectApi {
  static make(kc: k8s.KubeConfig): RawObjectApi {
    const api = kc.makeApiClient(RawObjectApi);
    api.setDefaultNamespace(kc);
    return api;
  }

  protected override async processResponse<T extends k8s.KubernetesObject>(response: k8s.ResponseContext, type?: string): Promise<T> {
    if (response.httpStatusCode < 200 || response.httpStatusCode > 299) return super.processResponse<T>(response, type);
    return JSON.parse(await response.body.text()) as T;
  }
}

interface RawList {
  items: KubeObject[];
  metadata?: { resourceVersion?: string; continue?: string };
}

const key = (o: KubeObject): string => (o.metadata.namespace ? `${o.metadata.namespace}/${o.metadata.name}` : o.metadata.name!);

export class Reflector {
  #o: ReflectorOptions;
  #objects = new Map<string, KubeObject>();
  #api: k8s.KubernetesObjectApi;
  #resourceVersion = '';
  #stopped = false;
  #abort: AbortController | undefined;
  #retryTimer: NodeJS.Timeout | undefined;
  #failures = 0;
  /** watches in a row that ended cleanly without one event or bookmark */
  #emptyWatches = 0;
  #versionWaiters: { rv: number; resolve: () => void }[] = [];
  #synced!: () => void;
  /** resolves once the first list has been delivered */
  readonly synced: Promise<void>;
  /** counters for metrics and tests */
  readonly stats = { lists: 0, watches: 0, relistsAfterGone: 0, watchdogRestarts: 0, errors: 0, events: 0, emptyWatches: 0 };

  constructor(opts: ReflectorOptions) {
    this.#o = opts;
    this.#api = RawObjectApi.make(opts.kc);
    this.synced = new Promise((r) => (this.#synced = r));
  }

  get spec(): ResourceSpec {
    return this.#o.spec;
  }

  get resourceVersion(): string {
    return this.#resourceVersion;
  }

  /** failed list/watch attempts in a row (0 once events or bookmarks flow again): readiness */
  get failures(): number {
    return this.#failures;
  }

  /**
   * Resolves once this reflector has seen the server up to `rv` (through an
   * event or a bookmark). resourceVersions are opaque in general; this is
   * for servers whose versions are numbers, like the simulator, so tests
   * and the demo can wait for "caught up" instead of sleeping.
   */
  waitForVersion(rv: number): Promise<void> {
    if (Number(this.#resourceVersion) >= rv) return Promise.resolve();
    return new Promise((resolve) => this.#versionWaiters.push({ rv, resolve }));
  }

  #setVersion(rv: string | undefined): void {
    if (!rv) return;
    this.#resourceVersion = rv;
    if (!this.#versionWaiters.length) return;
    const n = Number(rv);
    this.#versionWaiters = this.#versionWaiters.filter((w) => {
      if (n < w.rv) return true;
      w.resolve();
      return false;
    });
  }

  get size(): number {
    return this.#objects.size;
  }

  get(namespace: string | undefined, name: string): KubeObject | undefined {
    return this.#objects.get(namespace ? `${namespace}/${name}` : name);
  }

  /** The cached (trimmed) objects. */
  list(): KubeObject[] {
    return [...this.#objects.values()];
  }

  start(): void {
    this.#stopped = false;
    void this.#listThenWatch();
  }

  stop(): void {
    this.#stopped = true;
    if (this.#retryTimer) clearTimeout(this.#retryTimer);
    this.#abort?.abort();
  }

  get #label(): object {
    return { resource: this.#o.spec.resource, apiVersion: this.#o.spec.apiVersion };
  }

  async #listThenWatch(): Promise<void> {
    try {
      await this.#list();
    } catch (err) {
      this.#o.onListError?.(err);
      this.#retry(err, 'list failed');
      return;
    }
    this.#synced();
    this.#watch();
  }

  async #list(): Promise<void> {
    const seen = new Map<string, KubeObject>();
    let token: string | undefined;
    let rv = '';
    do {
      const page = (await this.#api.list(this.#o.spec.apiVersion, this.#o.spec.kind, this.#o.namespace, undefined, undefined, undefined, undefined, this.#o.labelSelector, this.#o.pageSize, token)) as unknown as RawList;
      for (const item of page.items) {
        const obj = this.#normalize(item);
        seen.set(key(obj), obj);
      }
      token = page.metadata?.continue || undefined;
      rv = page.metadata?.resourceVersion ?? rv;
    } while (token);
    const initial = this.stats.lists === 0;
    this.stats.lists++;
    // reconcile: what changed or vanished while we were not watching
    for (const [k, old] of this.#objects) {
      if (!seen.has(k)) {
        this.#objects.delete(k);
        this.#o.onDelta({ type: 'DELETED', old });
      }
    }
    for (const [k, obj] of seen) {
      const old = this.#objects.get(k);
      this.#keep(k, obj);
      if (!old) this.#o.onDelta({ type: 'ADDED', current: obj, initial });
      else if (old.metadata.resourceVersion !== obj.metadata.resourceVersion || old.metadata.uid !== obj.metadata.uid) {
        if (old.metadata.uid !== obj.metadata.uid) {
          // deleted and re-created under the same name while we were away
          this.#o.onDelta({ type: 'DELETED', old });
          this.#o.onDelta({ type: 'ADDED', current: obj });
        } else {
          this.#o.onDelta({ type: 'MODIFIED', old, current: obj });
        }
      }
    }
    this.#setVersion(rv);
    this.#o.log.debug({ ...this.#label, objects: seen.size, resourceVersion: rv }, 'listed');
  }

  #watch(): void {
    if (this.#stopped) return;
    const { apiVersion, resource } = this.#o.spec;
    const ns = this.#o.namespace ? `/namespaces/${encodeURIComponent(this.#o.namespace)}` : '';
    const path = `${apiVersion.includes('/') ? '/apis' : '/api'}/${apiVersion}${ns}/${resource}`;
    const state = { gone: false, delivered: false, silent: false, lastActivity: Date.now() };
    this.stats.watches++;
    // the watchdog: a watch that stopped delivering without an error (a known
    // client failure mode) is torn down and restarted from the last version
    const dog = setInterval(() => {
      if (Date.now() - state.lastActivity < this.#o.watchdogMs) return;
      state.silent = true;
      this.#abort?.abort();
    }, Math.min(this.#o.watchdogMs, 1000));
    dog.unref();
    new k8s.Watch(this.#o.kc)
      .watch(
        path,
        {
          resourceVersion: this.#resourceVersion,
          allowWatchBookmarks: true,
          ...(this.#o.labelSelector ? { labelSelector: this.#o.labelSelector } : {}),
          // the server ends the watch cleanly after this; we resume from the last version
          timeoutSeconds: 300 + Math.floor(Math.random() * 300),
        },
        (type: string, obj: KubeObject & { code?: number }) => {
          state.delivered = true;
          state.lastActivity = Date.now();
          this.#failures = 0;
          this.#emptyWatches = 0;
          if (type === 'ERROR') {
            if (obj.code === 410) state.gone = true;
            else this.#o.log.warn({ ...this.#label, status: obj }, 'watch error event');
            return;
          }
          if (type === 'BOOKMARK') {
            this.#setVersion(obj.metadata?.resourceVersion);
            return;
          }
          this.stats.events++;
          this.#apply(type, obj);
        },
        (err: unknown) => {
          clearInterval(dog);
          this.#watchEnded(err, state);
        },
      )
      .then((abort) => {
        this.#abort = abort;
        if (this.#stopped) abort.abort();
      })
      .catch((err) => {
        clearInterval(dog);
        this.#retry(err, 'watch failed');
      });
  }

  #keep(k: string, obj: KubeObject): void {
    const form = this.#o.cacheForm ? this.#o.cacheForm(obj) : obj;
    if (form) this.#objects.set(k, form);
    else this.#objects.delete(k);
  }

  /** List items carry no apiVersion/kind; every cached object does. */
  #normalize(raw: KubeObject): KubeObject {
    return this.#o.trim({ ...raw, apiVersion: this.#o.spec.apiVersion, kind: this.#o.spec.kind });
  }

  #apply(type: string, raw: KubeObject): void {
    const obj = this.#normalize(raw);
    const k = key(obj);
    const old = this.#objects.get(k);
    if (type === 'DELETED') {
      this.#objects.delete(k);
      this.#o.onDelta({ type: 'DELETED', old: old ?? obj });
    } else {
      this.#keep(k, obj);
      if (type === 'ADDED' && !old) this.#o.onDelta({ type: 'ADDED', current: obj });
      else this.#o.onDelta({ type: 'MODIFIED', old, current: obj });
    }
    // after the delta, so a waiter sees its effects
    this.#setVersion(obj.metadata.resourceVersion);
  }

  #watchEnded(err: unknown, state: { gone: boolean; delivered: boolean; silent: boolean }): void {
    if (this.#stopped) return;
    const e = err as { name?: string; statusCode?: number } | null;
    if (state.gone || e?.statusCode === 410) {
      // our version fell out of the server's history: list again and reconcile
      this.stats.relistsAfterGone++;
      this.#o.log.info(this.#label, 'watch expired (410 Gone); re-listing');
      this.#resourceVersion = '';
      void this.#listThenWatch();
      return;
    }
    if (state.silent || e?.name === 'TimeoutError') {
      // silent for too long (our watchdog, or the client's own inactivity timeout)
      this.stats.watchdogRestarts++;
      this.#o.log.info(this.#label, 'watch went silent; restarting it');
      this.#watch();
      return;
    }
    if (e && e.name !== 'AbortError') {
      this.#retry(err, 'watch ended with an error');
      return;
    }
    // a clean end (server timeout, connection closed): resume where we were
    if (state.delivered) {
      this.#watch();
      return;
    }
    this.#backOffEmptyWatch();
  }

  /**
   * A watch ended cleanly with nothing in it. Re-watching at once would
   * busy-loop against a server that does that every time, so each one in a
   * row waits longer (jittered, at most maxBackoffMs), like client-go's
   * "very short watch" backoff.
   */
  #backOffEmptyWatch(): void {
    this.#failures++;
    this.#emptyWatches++;
    this.stats.emptyWatches++;
    const delay = retryDelayMs(this.#emptyWatches, this.#o.minBackoffMs ?? 250, this.#o.maxBackoffMs ?? 30_000, undefined, Math.random);
    const fields = { ...this.#label, emptyWatches: this.#emptyWatches, retryInMs: delay };
    // the first few are normal (an idle watch timing out); a run of them is worth a warning
    if (this.#emptyWatches > 3) this.#o.log.warn(fields, 'watch keeps ending without events; backing off');
    else this.#o.log.debug(fields, 'watch ended without events; backing off');
    this.#retryTimer = setTimeout(() => this.#watch(), delay);
  }

  #retry(err: unknown, msg: string): void {
    if (this.#stopped) return;
    this.stats.errors++;
    this.#failures++;
    const delay = retryDelayMs(this.#failures, this.#o.minBackoffMs ?? 250, this.#o.maxBackoffMs ?? 30_000, retryAfterMs(err), Math.random);
    this.#o.log.warn({ ...this.#label, err: describe(err), retryInMs: delay }, msg);
    this.#retryTimer = setTimeout(() => {
      if (this.#resourceVersion) this.#watch();
      else void this.#listThenWatch();
    }, delay);
  }
}

/**
 * The wait before the next list or watch: exponential backoff with jitter
 * (half to all of min × 2^(failures−1), at most max), and never less than
 * the server's Retry-After: the server's floor is kept and jitter only adds
 * to it (up to a tenth of it, at most a second), so clients told to wait
 * together do not come back together.
 */
export function retryDelayMs(failures: number, minMs: number, maxMs: number, retryAfter: number | undefined, random: () => number): number {
  const ceiling = Math.min(maxMs, minMs * 2 ** Math.min(failures - 1, 16));
  const backoff = Math.round(ceiling / 2 + (random() * ceiling) / 2);
  if (retryAfter === undefined) return backoff;
  return Math.max(backoff, Math.ceil(retryAfter + random() * Math.min(1000, retryAfter / 10)));
}

// a longer Retry-After is more likely a bug than a plan
const MAX_RETRY_AFTER_MS = 10 * 60_000;

/** Retry-After as delta-seconds or an HTTP date (RFC 9110 §10.2.3). */
export function retryAfterMs(err: unknown, now = Date.now()): number | undefined {
  const headers = (err as { headers?: Record<string, string> })?.headers;
  const v = (headers?.['retry-after'] ?? headers?.['Retry-After'])?.trim();
  if (!v) return undefined;
  const ms = /^\d+$/.test(v) ? Number(v) * 1000 : Date.parse(v) - now;
  return Number.isFinite(ms) ? Math.min(MAX_RETRY_AFTER_MS, Math.max(0, ms)) : undefined;
}

function describe(err: unknown): string {
  if (err instanceof k8s.ApiException) return `HTTP ${err.code}: ${typeof err.body === 'string' ? err.body.slice(0, 300) : JSON.stringify(err.body)?.slice(0, 300)}`;
  const e = err as { message?: string; statusCode?: number };
  return e?.statusCode ? `HTTP ${e.statusCode}: ${e.message}` : String(e?.message ?? err);
}
