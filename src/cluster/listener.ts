// The listener: one Reflector per watched resource, every change through
// the detectors and the incident tracker, notifications out. Detection is
// level-triggered (what holds for the object now), so a re-list after a
// dropped watch or a 410 re-derives the same incidents instead of new ones.

import type * as k8s from '@kubernetes/client-node';
import type { DetectorsConfig } from '../detect/config.ts';
import { recheckAt } from '../detect/index.ts';
import { detectWatched, type WatchedResource } from '../detect/watched.ts';
import { IncidentTracker, type TrackerState } from '../detect/tracker.ts';
import type { KubeObject } from '../model/kube.ts';
import type { Logger } from '../model/logger.ts';
import type { Notification } from '../model/notification.ts';
import { Reflector, type ReflectorDelta, type ResourceSpec } from './reflector.ts';
import { trimObject } from './trim.ts';
import { classifyListError, type Unavailable } from './unavailable.ts';
import type { ExtraResource } from './connect.ts';
import { type Clock, realClock } from '../model/clock.ts';

export type ListenerClock = Clock;
export { realClock };

export interface ListenerConfig {
  cluster: string;
  /** does a namespace's activity count? (include/exclude globs) */
  namespaceAllowed: (namespace: string) => boolean;
  eventsApi: 'core' | 'events.k8s.io';
  /**
   * resources beyond the built-in ones, already resolved through discovery,
   * with the conditions their watch.resources entry names; one that is built
   * in adds its change notices and conditions to the built-in watch
   */
  extraResources: ExtraResource[];
  watchdogSeconds: number;
  pageSize: number;
  detectors: DetectorsConfig;
}

export interface ListenerOptions {
  kc: k8s.KubeConfig;
  config: ListenerConfig;
  log: Logger;
  /**
   * The notifications of every observation and timer tick since the last
   * call, together (at the end of the event loop's turn that produced them), so the caller
   * can store them and the tracker's new state in one transaction.
   */
  onNotifications?: (ns: Notification[]) => void;
  /** every notification, one by one (after onNotifications) */
  onNotification?: (n: Notification) => void;
  /** the detectors' notion of now; the demo runs it on the simulator's clock */
  clock?: ListenerClock;
  /** the tracker's state as last stored: incidents already notified are not notified again */
  initialState?: TrackerState;
  /**
   * Whether a sink in force sends pods whole (webhook `payload: pod`): pods
   * arriving meanwhile are cached and notified untrimmed. Asked per pod, so
   * a sink added while running takes effect from each pod's next change.
   */
  wholePods?: () => boolean;
  /**
   * Called once every resource has been listed for the first time, before
   * detection goes on: what the cluster shows of the time kubeherald was down
   * (detect/gap.ts). `list` gives a built-in kind's objects as first listed
   * (Events in full, though their cache keeps only identity); what it returns
   * is handed on like any other batch.
   */
  afterFirstList?: AfterFirstList;
  /**
   * Watch and cache, but detect nothing until activate(): a standby replica
   * keeps its caches warm so that taking over costs no list. Warning Events
   * are kept whole meanwhile (up to an hour, as the API server keeps them)
   * for the gap hook activate() runs.
   */
  standby?: boolean;
}

export type AfterFirstList = (list: (kind: 'Pod' | 'Node' | 'Event' | 'Deployment') => readonly KubeObject[]) => Notification[];

/** How long a standby keeps Warning Events for its takeover's gap hook: the API server's default event TTL. */
const STANDBY_EVENTS_MS = 3_600_000;
/** and at most this many, the newest kept: a takeover tells the gap from them, never more */
const STANDBY_EVENTS_MAX = 20_000;

export function builtinSpecs(eventsApi: ListenerConfig['eventsApi']): ResourceSpec[] {
  return [
    { apiVersion: 'v1', kind: 'Pod', resource: 'pods', namespaced: true },
    { apiVersion: 'v1', kind: 'Node', resource: 'nodes', namespaced: false },
    eventsApi === 'events.k8s.io'
      ? { apiVersion: 'events.k8s.io/v1', kind: 'Event', resource: 'events', namespaced: true }
      : { apiVersion: 'v1', kind: 'Event', resource: 'events', namespaced: true },
    { apiVersion: 'apps/v1', kind: 'Deployment', resource: 'deployments', namespaced: true },
    { apiVersion: 'apps/v1', kind: 'StatefulSet', resource: 'statefulsets', namespaced: true },
    { apiVersion: 'apps/v1', kind: 'DaemonSet', resource: 'daemonsets', namespaced: true },
    { apiVersion: 'batch/v1', kind: 'Job', resource: 'jobs', namespaced: true },
    { apiVersion: 'batch/v1', kind: 'CronJob', resource: 'cronjobs', namespaced: true },
    { apiVersion: 'v1', kind: 'PersistentVolumeClaim', resource: 'persistentvolumeclaims', namespaced: true },
    { apiVersion: 'autoscaling/v2', kind: 'HorizontalPodAutoscaler', resource: 'horizontalpodautoscalers', namespaced: true },
    // a namespace being deleted is the cause the inhibitor holds its objects' incidents back for
    { apiVersion: 'v1', kind: 'Namespace', resource: 'namespaces', namespaced: false },
  ];
}

const groupOf = (apiVersion: string): string => (apiVersion.includes('/') ? apiVersion.split('/')[0] : '');

/**
 * Every watch the listener runs, with the detectors each feeds (see
 * detect/watched.ts): the built-in informers, then the extra resources. An
 * extra resource that is built in (same group and resource, any version)
 * is not watched twice: its entry adds change notices and conditions to the
 * built-in watch.
 */
export function watchedResources(eventsApi: ListenerConfig['eventsApi'], extra: readonly ExtraResource[]): { spec: ResourceSpec; watched: WatchedResource }[] {
  const out = builtinSpecs(eventsApi).map((spec) => ({ spec, watched: { apiVersion: spec.apiVersion, kind: spec.kind, builtin: true, changes: false } as WatchedResource }));
  for (const { conditions, ...spec } of extra) {
    const same = out.find((w) => w.watched.builtin && w.spec.resource === spec.resource && groupOf(w.spec.apiVersion) === groupOf(spec.apiVersion));
    if (same) {
      same.watched = { ...same.watched, changes: true, ...(conditions ? { conditions } : {}) };
      continue;
    }
    out.push({ spec, watched: { apiVersion: spec.apiVersion, kind: spec.kind, builtin: false, changes: true, ...(conditions ? { conditions } : {}) } });
  }
  return out;
}

export class Listener {
  #o: ListenerOptions;
  #clock: ListenerClock;
  #tracker: IncidentTracker;
  #reflectors: Reflector[] = [];
  #watched = new Map<ResourceSpec, WatchedResource>();
  /** resources the server will not list for us (403, 404), until a list succeeds */
  #unavailable = new Map<Reflector, Unavailable>();
  #synced = new Set<Reflector>();
  #started = false;
  #timer: unknown;
  #timerDue: number | undefined;
  /** objects to look at again at a time, though they did not change (a crash loop becoming stable) */
  #rechecks = new Map<string, { due: number; spec: ResourceSpec; reflector: Reflector; namespace?: string; name: string }>();
  /** the earliest recheck (Infinity: none; undefined: to be looked for), so #schedule() after every change does not walk them all */
  #recheckDue: number | undefined = Infinity;
  /**
   * Until every resource has been listed once: the restored objects not yet
   * seen alive. Those still here then were deleted while we were away.
   */
  #unseen: Set<string> | undefined;
  readonly stats = { deltas: 0, notifications: 0 };
  /** emitted, not yet handed on (see #emit) */
  #pending: Notification[] = [];
  /** Warning Events of the first list, kept whole for afterFirstList only (the Event cache keeps identity) */
  #firstEvents: KubeObject[] | undefined;

  /** while standing by: nothing is detected (see ListenerOptions.standby) */
  #standby: boolean;
  /** the gap hook, run once after the first list (or at activate() for a standby) */
  #afterFirstListHook: AfterFirstList | undefined;

  constructor(opts: ListenerOptions) {
    this.#o = opts;
    this.#clock = opts.clock ?? realClock;
    this.#standby = opts.standby ?? false;
    const topts = { cluster: opts.config.cluster };
    this.#tracker = opts.initialState && !this.#standby ? IncidentTracker.restore(opts.initialState, topts) : new IncidentTracker(topts);
    if (opts.initialState && !this.#standby) this.#unseen = this.#tracker.objectUids();
    this.#afterFirstListHook = this.#standby ? undefined : opts.afterFirstList;
    if (this.#afterFirstListHook || this.#standby) this.#firstEvents = [];
  }

  /** Whether this listener is standing by (caches warm, nothing detected). */
  get standby(): boolean {
    return this.#standby;
  }

  /**
   * A standby takes over: the tracker becomes the stored state (what the
   * previous leader notified), every cached object is looked at as a first
   * list would, objects the state knows that are gone resolve, and the gap
   * hook tells what the cluster shows of the time no one was detecting.
   * What that produces is handed on as one batch before this returns.
   */
  activate(opts: { initialState?: TrackerState; afterFirstList?: AfterFirstList } = {}): void {
    if (!this.#standby) throw new Error('activate(): the listener is not standing by');
    this.#standby = false;
    const topts = { cluster: this.#o.config.cluster };
    this.#tracker = opts.initialState ? IncidentTracker.restore(opts.initialState, topts) : new IncidentTracker(topts);
    this.#unseen = opts.initialState ? this.#tracker.objectUids() : undefined;
    // what a standby saw is not ours to replay as changes: only the objects as they are now
    this.#pending = [];
    this.#rechecks.clear();
    this.#recheckDue = Infinity;
    for (const r of this.#reflectors) {
      if (r.spec.kind === 'Event') continue;
      for (const obj of r.list()) this.#onDelta(r.spec, r, { type: 'ADDED', current: obj, initial: true });
    }
    // Events are not cached: the Warning ones kept while standing by are looked at as a first list's
    // (those the previous leader told are in the stored state's edges and are not told again)
    const events = this.#reflectors.find((r) => r.spec.kind === 'Event');
    const kept = this.#firstEvents ?? [];
    this.#firstEvents = [];
    for (const ev of kept) if (events) this.#onDelta(events.spec, events, { type: 'ADDED', current: ev, initial: true });
    this.#afterFirstListHook = opts.afterFirstList;
    if (this.#started) {
      if (this.#unavailable.size === 0) this.#reconcileDeleted();
      this.#afterFirstList();
      this.#flush();
      this.#schedule();
    }
  }

  get tracker(): IncidentTracker {
    return this.#tracker;
  }

  get reflectors(): readonly Reflector[] {
    return this.#reflectors;
  }

  /** Resources the API server does not serve or forbids us: the listener runs degraded without them. */
  unavailable(): Unavailable[] {
    return [...this.#unavailable.values()];
  }

  /**
   * Starts every watch; resolves once each resource has been listed once,
   * or found unavailable (not served, forbidden): that one keeps retrying
   * and its detectors join when it lists.
   */
  async start(): Promise<void> {
    const c = this.#o.config;
    const settled: Promise<void>[] = [];
    for (const { spec, watched } of watchedResources(c.eventsApi, c.extraResources)) {
      this.#watched.set(spec, watched);
      if (watched.builtin && watched.changes) {
        this.#o.log.info({ resource: spec.resource, apiVersion: spec.apiVersion }, 'watch.resources names a built-in resource: its change notifications and conditions join the built-in watch');
      }
      let giveUp!: () => void;
      const unavailable = new Promise<void>((resolve) => (giveUp = resolve));
      const r: Reflector = new Reflector({
        kc: this.#o.kc,
        spec,
        trim: spec.kind === 'Pod' && spec.apiVersion === 'v1' && this.#o.wholePods ? (o) => trimObject(o, { wholePods: this.#o.wholePods!() }) : trimObject,
        // Events are processed as deltas only: nothing of them is cached (see ReflectorOptions.cacheForm)
        cacheForm: spec.kind === 'Event' ? () => undefined : undefined,
        watchdogMs: c.watchdogSeconds * 1000,
        pageSize: c.pageSize,
        log: this.#o.log,
        onDelta: (d) => this.#onDelta(spec, r, d),
        onListError: (err) => {
          const u = classifyListError(spec, err);
          if (!u || this.#synced.has(r)) return;
          if (!this.#unavailable.has(r)) this.#o.log.error({ resource: u.resource, apiVersion: u.apiVersion, status: u.status }, u.detail);
          this.#unavailable.set(r, u);
          giveUp();
        },
      });
      this.#reflectors.push(r);
      void r.synced.then(() => this.#listed(r));
      settled.push(Promise.race([r.synced, unavailable]));
      r.start();
    }
    await Promise.all(settled);
    this.#started = true;
    if (this.#standby) return;
    if (this.#unavailable.size === 0) this.#reconcileDeleted();
    else this.#o.log.warn({ unavailable: this.unavailable().map((u) => u.resource) }, 'started degraded: objects deleted while kubeherald was down resolve once every resource has been listed');
    this.#afterFirstList();
    // restored incidents still waiting out their minimum duration
    this.#schedule();
  }

  #listed(r: Reflector): void {
    this.#synced.add(r);
    const u = this.#unavailable.get(r);
    if (!u) return;
    this.#unavailable.delete(r);
    this.#o.log.info({ resource: u.resource, apiVersion: u.apiVersion }, 'resource listed: no longer degraded');
    // a restored object of that resource may have been deleted while we were away: settle it now that all is known
    if (this.#started && this.#unavailable.size === 0 && this.#unseen) {
      this.#reconcileDeleted();
      this.#schedule();
    }
  }

  /**
   * Objects the stored state knows that no first list contained were deleted
   * while kubeherald was down: their incidents resolve now (RESOLVED when
   * FIRING was sent) and their edge keys are forgotten.
   */
  #reconcileDeleted(): void {
    const unseen = this.#unseen;
    this.#unseen = undefined;
    if (!unseen?.size) return;
    const now = this.#clock.now();
    const out: Notification[] = [];
    for (const uid of unseen) out.push(...this.#tracker.observe(uid, undefined, [], now));
    this.#o.log.info({ objects: unseen.size, resolved: out.length }, 'objects deleted while kubeherald was down: their incidents resolved');
    this.#emit(out);
    // a batch of its own, complete: handed on now, before anyone hears this resource is listed
    this.#flush();
  }

  #afterFirstList(): void {
    if (this.#standby) return;
    const hook = this.#afterFirstListHook;
    this.#afterFirstListHook = undefined;
    const events = this.#firstEvents ?? [];
    this.#firstEvents = undefined;
    if (!hook) return;
    this.#emit(hook((kind) => (kind === 'Event' ? events : this.#related(kind, undefined))));
    // a batch of its own, handed on before detection goes on
    this.#flush();
  }

  /** Resolves when every watch has seen the server up to `rv` (see Reflector.waitForVersion). */
  async caughtUp(rv: number): Promise<void> {
    // an unavailable resource has nothing to catch up with
    await Promise.all(this.#reflectors.filter((r) => !this.#unavailable.has(r)).map((r) => r.waitForVersion(rv)));
    // caught up includes having handed on what that produced
    this.#flush();
  }

  stop(): void {
    // what was detected before the stop is handed on, not lost with the process
    this.#flush();
    for (const r of this.#reflectors) r.stop();
    if (this.#timer !== undefined) this.#clock.clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#rechecks.clear();
    this.#recheckDue = Infinity;
  }

  #onDelta(spec: ResourceSpec, reflector: Reflector, d: ReflectorDelta): void {
    const obj = d.current ?? d.old!;
    // seen alive (in scope or not), or its deletion seen: either way not deleted unseen
    if (this.#unseen && obj.metadata.uid) this.#unseen.delete(obj.metadata.uid);
    if (this.#firstEvents && (d.initial || this.#standby) && d.current && spec.kind === 'Event' && d.current.type === 'Warning') this.#keepEvent(d.current);
    if (this.#standby) return;
    if (!this.#inScope(spec, obj)) return;
    this.stats.deltas++;
    this.#evaluate(spec, reflector, d.old, d.current, d.initial);
    this.#schedule();
  }

  /** A Warning Event for the gap hook; a standby keeps the last hour's, the newest STANDBY_EVENTS_MAX. */
  #keepEvent(ev: KubeObject): void {
    const kept = this.#firstEvents!;
    kept.push(ev);
    if (!this.#standby || kept.length <= STANDBY_EVENTS_MAX) return;
    const since = this.#clock.now().getTime() - STANDBY_EVENTS_MS;
    const recent = kept.filter((e) => eventTime(e) >= since);
    this.#firstEvents = recent.length > STANDBY_EVENTS_MAX ? recent.slice(-STANDBY_EVENTS_MAX) : recent;
  }

  /** The cached objects of a built-in kind in a namespace, for detectors that tell more from related objects. */
  #related = (kind: string, namespace: string | undefined): KubeObject[] => {
    const r = this.#reflectors.find((x) => x.spec.kind === kind && this.#watched.get(x.spec)?.builtin);
    if (!r) return [];
    return namespace === undefined ? r.list() : r.list().filter((o) => o.metadata.namespace === namespace);
  };

  #evaluate(spec: ResourceSpec, reflector: Reflector, old: KubeObject | undefined, current: KubeObject | undefined, initial?: boolean): void {
    const uid = (current ?? old)!.metadata.uid!;
    const now = this.#clock.now();
    const cfg = this.#o.config.detectors;
    const observations = detectWatched(this.#watched.get(spec)!, { old, current, initial }, now, cfg, this.#related);
    this.#emit(this.#tracker.observe(uid, current, observations, now));
    const again = recheckAt(spec.kind, current, now, cfg);
    if (again && current) {
      const due = again.getTime();
      const replaced = this.#rechecks.has(uid);
      this.#rechecks.set(uid, { due, spec, reflector, namespace: current.metadata.namespace, name: current.metadata.name! });
      this.#recheckDue = replaced || this.#recheckDue === undefined ? undefined : Math.min(this.#recheckDue, due);
    } else if (this.#rechecks.delete(uid)) {
      this.#recheckDue = undefined;
    }
  }

  #runDue(): void {
    const now = this.#clock.now();
    this.#emit(this.#tracker.tick(now));
    for (const [uid, r] of [...this.#rechecks]) {
      if (r.due > now.getTime()) continue;
      this.#rechecks.delete(uid);
      this.#recheckDue = undefined;
      const current = r.reflector.get(r.namespace, r.name);
      if (current && current.metadata.uid === uid) this.#evaluate(r.spec, r.reflector, current, current);
    }
  }

  #inScope(spec: ResourceSpec, obj: KubeObject): boolean {
    // a Namespace is in scope when its own name is
    if (spec.kind === 'Namespace' && spec.apiVersion === 'v1') return this.#o.config.namespaceAllowed(obj.metadata.name ?? '');
    if (!spec.namespaced) return true;
    // an Event belongs to the namespace of the object it is about
    const involved = (obj.involvedObject ?? obj.regarding) as { namespace?: string } | undefined;
    const ns = involved?.namespace || obj.metadata.namespace || '';
    return this.#o.config.namespaceAllowed(ns);
  }

  /**
   * Notifications are handed on in batches: every change read in one turn of
   * the event loop (all the watch-stream chunks that arrived together) adds
   * to the batch, and the batch goes out once they are done (setImmediate),
   * so the caller stores them with the tracker's state in one transaction,
   * one commit, instead of one per event: under load the batches grow, and
   * the cost per event falls. The tracker's state read then covers exactly
   * the changes the batch came from, so storing both at once keeps them
   * consistent. caughtUp() and stop() hand on what is pending at once.
   */
  #emit(notifications: Notification[]): void {
    if (notifications.length === 0) return;
    this.stats.notifications += notifications.length;
    if (this.#pending.length === 0) setImmediate(() => this.#flush());
    for (const n of notifications) this.#pending.push(n);
  }

  #flush(): void {
    if (this.#pending.length === 0) return;
    const batch = this.#pending;
    this.#pending = [];
    this.#o.onNotifications?.(batch);
    if (this.#o.onNotification) for (const n of batch) this.#o.onNotification(n);
  }

  /**
   * Incidents waiting out a minimum duration, and objects due a second look,
   * are handled from one timer set for the earliest of them, not from the
   * next change (which may never come).
   */
  #schedule(): void {
    if (this.#recheckDue === undefined) {
      this.#recheckDue = Infinity;
      for (const r of this.#rechecks.values()) this.#recheckDue = Math.min(this.#recheckDue, r.due);
    }
    let due = this.#tracker.nextDue()?.getTime();
    if (this.#recheckDue !== Infinity && (due === undefined || this.#recheckDue < due)) due = this.#recheckDue;
    if (due === undefined || due === this.#timerDue) return;
    if (this.#timer !== undefined) this.#clock.clearTimeout(this.#timer);
    this.#timerDue = due;
    this.#timer = this.#clock.setTimeout(() => {
      this.#timer = undefined;
      this.#timerDue = undefined;
      this.#runDue();
      this.#schedule();
    }, Math.max(0, due - this.#clock.now().getTime()));
  }
}

/** When an Event last happened (epoch ms; 0 when it says nothing). */
function eventTime(ev: KubeObject): number {
  const e = ev as { lastTimestamp?: string; eventTime?: string; series?: { lastObservedTime?: string }; metadata: { creationTimestamp?: string } };
  const t = e.series?.lastObservedTime ?? e.lastTimestamp ?? e.eventTime ?? e.metadata.creationTimestamp;
  return t ? Date.parse(t) || 0 : 0;
}
