// The listener: one Reflector per watched resource, every change through
// the detectors and the incident tracker, notifications out. Detection is
// level-triggered (what holds for the object now), so a re-list after a
// dropped watch or a 410 re-derives the same incidents instead of new ones.

import type * as k8s from '@kubernetes/client-node';
import type { DetectorsConfig } from '../detect/config.ts';
import { detect } from '../detect/index.ts';
import { IncidentTracker } from '../detect/tracker.ts';
import type { KubeObject } from '../model/kube.ts';
import type { Notification } from '../model/notification.ts';
import { Reflector, type ReflectorDelta, type ReflectorLogger, type ResourceSpec } from './reflector.ts';
import { trimObject } from './trim.ts';

export interface ListenerClock {
  now(): Date;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const realClock: ListenerClock = {
  now: () => new Date(),
  setTimeout: (fn, ms) => {
    const t = setTimeout(fn, ms);
    t.unref();
    return t;
  },
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
};

export interface ListenerConfig {
  cluster: string;
  /** does a namespace's activity count? (include/exclude globs) */
  namespaceAllowed: (namespace: string) => boolean;
  eventsApi: 'core' | 'events.k8s.io';
  /** resources beyond the built-in ones, already resolved through discovery */
  extraResources: ResourceSpec[];
  watchdogSeconds: number;
  pageSize: number;
  detectors: DetectorsConfig;
}

export interface ListenerOptions {
  kc: k8s.KubeConfig;
  config: ListenerConfig;
  log: ReflectorLogger;
  onNotification: (n: Notification) => void;
  /** the detectors' notion of now; the demo runs it on the simulator's clock */
  clock?: ListenerClock;
}

export function builtinSpecs(eventsApi: ListenerConfig['eventsApi']): ResourceSpec[] {
  return [
    { apiVersion: 'v1', kind: 'Pod', resource: 'pods', namespaced: true },
    { apiVersion: 'v1', kind: 'Node', resource: 'nodes', namespaced: false },
    eventsApi === 'events.k8s.io'
      ? { apiVersion: 'events.k8s.io/v1', kind: 'Event', resource: 'events', namespaced: true }
      : { apiVersion: 'v1', kind: 'Event', resource: 'events', namespaced: true },
    { apiVersion: 'apps/v1', kind: 'Deployment', resource: 'deployments', namespaced: true },
  ];
}

export class Listener {
  #o: ListenerOptions;
  #clock: ListenerClock;
  #tracker: IncidentTracker;
  #reflectors: Reflector[] = [];
  #tickTimer: unknown;
  #tickDue: number | undefined;
  readonly stats = { deltas: 0, notifications: 0 };

  constructor(opts: ListenerOptions) {
    this.#o = opts;
    this.#clock = opts.clock ?? realClock;
    this.#tracker = new IncidentTracker({ cluster: opts.config.cluster });
  }

  get tracker(): IncidentTracker {
    return this.#tracker;
  }

  get reflectors(): readonly Reflector[] {
    return this.#reflectors;
  }

  /** Starts every watch; resolves once each resource has been listed once. */
  async start(): Promise<void> {
    const c = this.#o.config;
    for (const spec of [...builtinSpecs(c.eventsApi), ...c.extraResources]) {
      const r = new Reflector({
        kc: this.#o.kc,
        spec,
        trim: trimObject,
        watchdogMs: c.watchdogSeconds * 1000,
        pageSize: c.pageSize,
        log: this.#o.log,
        onDelta: (d) => this.#onDelta(spec, d),
      });
      this.#reflectors.push(r);
      r.start();
    }
    await Promise.all(this.#reflectors.map((r) => r.synced));
  }

  stop(): void {
    for (const r of this.#reflectors) r.stop();
    if (this.#tickTimer !== undefined) this.#clock.clearTimeout(this.#tickTimer);
    this.#tickTimer = undefined;
  }

  #onDelta(spec: ResourceSpec, d: ReflectorDelta): void {
    const obj = d.current ?? d.old!;
    if (!this.#inScope(spec, obj)) return;
    this.stats.deltas++;
    const now = this.#clock.now();
    const observations = d.type === 'DELETED' ? [] : detect(spec.kind, { old: d.old, current: d.current }, now, this.#o.config.detectors);
    this.#emit(this.#tracker.observe(obj.metadata.uid!, d.current, observations, now));
    this.#scheduleTick();
  }

  #inScope(spec: ResourceSpec, obj: KubeObject): boolean {
    if (!spec.namespaced) return true;
    // an Event belongs to the namespace of the object it is about
    const involved = (obj.involvedObject ?? obj.regarding) as { namespace?: string } | undefined;
    const ns = involved?.namespace || obj.metadata.namespace || '';
    return this.#o.config.namespaceAllowed(ns);
  }

  #emit(notifications: Notification[]): void {
    for (const n of notifications) {
      this.stats.notifications++;
      this.#o.onNotification(n);
    }
  }

  /** Level incidents waiting out a minimum duration fire from a timer, not from the next change. */
  #scheduleTick(): void {
    const due = this.#tracker.nextDue()?.getTime();
    if (due === undefined || due === this.#tickDue) return;
    if (this.#tickTimer !== undefined) this.#clock.clearTimeout(this.#tickTimer);
    this.#tickDue = due;
    this.#tickTimer = this.#clock.setTimeout(() => {
      this.#tickTimer = undefined;
      this.#tickDue = undefined;
      this.#emit(this.#tracker.tick(this.#clock.now()));
      this.#scheduleTick();
    }, Math.max(0, due - this.#clock.now().getTime()));
  }
}
