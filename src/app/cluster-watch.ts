// One watched cluster in a kubeherald process: its KubeConfig, its Listener
// (with the watch.resources it serves), its incident tracker's stored state,
// what happened there while kubeherald was down (gapHook) and the heartbeat
// that bounds the next such gap. herald.ts starts one per configured cluster
// and hands each the shared intake; a cluster that cannot be reached degrades
// itself only: its watch goes on retrying while the others notify.

import * as k8s from '@kubernetes/client-node';
import { type ExtraResource, resolveResources } from '../cluster/connect.ts';
import { Listener, type ListenerClock } from '../cluster/listener.ts';
import { qualifiedResource } from '../cluster/unavailable.ts';
import { type Config, namespaceAllowed } from '../config/index.ts';
import type { TrackerState } from '../detect/tracker.ts';
import type { KubeObject } from '../model/kube.ts';
import type { Logger } from '../model/logger.ts';
import type { Notification } from '../model/notification.ts';
import type { Store } from '../store/types.ts';
import { WATCH_FAILURES_NOT_READY } from './probes.ts';
import { gapHook, startHeartbeat } from './while-down.ts';

export interface ClusterWatchOptions {
  /** the cluster's name, as notifications carry it */
  name: string;
  kc: k8s.KubeConfig;
  /** the first configured cluster: it takes over the state written before clusters had names */
  home: boolean;
  /** the config in force (a reload changes the namespaces watched, read at each object) */
  config: () => Config;
  store: Store;
  clock: ListenerClock;
  log: Logger;
  /** where the cluster's notifications go: the shared intake, with this cluster's tracker changes */
  submit: (ns: Notification[]) => void;
  /** pods are cached and notified whole while a sink in force sends them whole */
  wholePods: () => boolean;
  /**
   * Watch and cache, detect nothing until activate() (a standby replica;
   * see src/app/leadership.ts): no stored state is read, no heartbeat written.
   */
  standby?: boolean;
  /**
   * start() returns once the cluster is known unreachable, not only once it
   * is listed (several clusters: one down must not hold the others' start).
   */
  mayStartUnreachable?: boolean;
}

/** How a cluster is doing, for /readyz, metrics and the log. */
export interface ClusterHealth {
  name: string;
  /** every resource listed at least once (or found not served or forbidden) and none failing now */
  up: boolean;
  /** why not, when not up */
  detail: string;
}

export interface ClusterWatch {
  readonly name: string;
  readonly kc: k8s.KubeConfig;
  readonly listener: Listener;
  /** the cluster's cached objects of a kind (inhibition reads pods and workloads here) */
  cached(kind: string, apiVersion: string): KubeObject[];
  /** incident keys the cluster's tracker holds open */
  openIncidents(): string[];
  health(): ClusterHealth;
  /** resolves once the cluster is listed (or, with mayStartUnreachable, found unreachable) */
  start(): Promise<void>;
  /** A standby starts detecting: the stored state restored, the gap told, the heartbeat started. */
  activate(): void;
  stop(): void;
}

export async function startClusterWatch(o: ClusterWatchOptions): Promise<ClusterWatch> {
  const log = o.log.child({ cluster: o.name });
  const config = o.config();
  let extraResources: ExtraResource[] = [];
  let resourcesError: string | undefined;
  try {
    extraResources = await resolveResources(o.kc, config.watch.resources);
  } catch (err) {
    // one cluster of several may be down at start: its built-in watches still retry; its watch.resources wait for a restart
    if (!o.mayStartUnreachable || (await reachable(o.kc)) === undefined) throw err;
    resourcesError = (err as Error).message;
    log.error({ err: resourcesError }, 'cannot resolve watch.resources while the cluster is unreachable: its built-in resources are watched, these are not until kubeherald restarts');
  }
  const allowed = (ns: string): boolean => namespaceAllowed(o.config().watch.namespaces, ns);
  const standby = o.standby ?? false;
  if (o.home && !standby) o.store.adoptUnnamedCluster(o.name);
  const stored = standby ? undefined : o.store.tracker(o.name).load();
  let listener: Listener | undefined;
  const gap = (restored: TrackerState) =>
    gapHook({
      heartbeat: o.store.heartbeat(o.name),
      clock: o.clock,
      cluster: o.name,
      detectors: o.config().detectors,
      namespaceAllowed: allowed,
      restored,
      openNow: () => (listener?.tracker.open() ?? []).map((i) => i.key),
      log: log.child({ component: 'while-down' }),
    });
  const l = new Listener({
    kc: o.kc,
    clock: o.clock,
    log: log.child({ component: 'listener' }),
    onNotifications: o.submit,
    wholePods: o.wholePods,
    ...(standby ? { standby: true } : {}),
    initialState: stored && (stored.incidents.length || stored.edges.length) ? stored : undefined,
    // what happened while kubeherald was down, told once after the first list
    afterFirstList: stored ? gap(stored) : undefined,
    config: {
      cluster: o.name,
      namespaceAllowed: allowed,
      eventsApi: config.watch.eventsApi,
      extraResources,
      watchdogSeconds: config.watch.watchdogSeconds,
      pageSize: config.watch.pageSize,
      detectors: config.detectors,
    },
  });
  listener = l;
  let active = !standby;
  let listed = false;
  let stopped = false;
  let unreachable: string | undefined;
  let heartbeat: { stop(): void } | undefined;
  // alive from here on: the gap this start told is behind us (see app/while-down.ts); only once detecting and listed
  const beat = (): void => {
    if (active && listed && !stopped && !heartbeat) heartbeat = startHeartbeat({ heartbeat: o.store.heartbeat(o.name), clock: o.clock, log: log.child({ component: 'heartbeat' }) });
  };
  let started: Promise<void> | undefined;
  return {
    name: o.name,
    kc: o.kc,
    listener: l,
    cached: (kind, apiVersion) => l.reflectors.find((r) => r.spec.kind === kind && r.spec.apiVersion === apiVersion)?.list() ?? [],
    openIncidents: () => l.tracker.open().map((i) => i.key),
    health() {
      const gone = new Set(l.unavailable().map((u) => u.resource));
      const watching = l.reflectors.filter((r) => !gone.has(qualifiedResource(r.spec)));
      const failing = watching.filter((r) => r.failures >= WATCH_FAILURES_NOT_READY);
      if (!listed) return { name: o.name, up: false, detail: unreachable ? `unreachable: ${unreachable}` : 'not listed yet' };
      if (failing.length) return { name: o.name, up: false, detail: `failing: ${failing.map((r) => `${r.spec.resource} (${r.failures} attempts in a row)`).join(', ')}` };
      return { name: o.name, up: true, detail: resourcesError ? `watching; watch.resources not resolved: ${resourcesError}` : `${watching.length} resources caught up` };
    },
    start() {
      started ??= (async () => {
        const list = l.start().then(() => {
          listed = true;
          unreachable = undefined;
          beat();
        });
        if (!o.mayStartUnreachable) return list;
        // the first of: listed, or the API server does not answer (the listener goes on retrying)
        const down = reachable(o.kc).then((why) => {
          if (why === undefined || listed) return list;
          unreachable = why;
          log.error({ err: why }, 'cluster unreachable: its watches retry; the other clusters are watched meanwhile');
        });
        await Promise.race([list, down]);
      })();
      return started;
    },
    activate() {
      if (active) return;
      active = true;
      const restored = o.store.transaction(() => {
        if (o.home) o.store.adoptUnnamedCluster(o.name);
        return o.store.tracker(o.name).load();
      });
      l.activate({ initialState: restored.incidents.length || restored.edges.length ? restored : undefined, afterFirstList: gap(restored) });
      beat();
    },
    stop() {
      stopped = true;
      l.stop();
      heartbeat?.stop();
    },
  };
}

/** undefined when the API server answers /version; else why not (a message without credentials). */
async function reachable(kc: k8s.KubeConfig): Promise<string | undefined> {
  try {
    await kc.makeApiClient(k8s.VersionApi).getCode();
    return undefined;
  } catch (err) {
    const e = err as { code?: number; message?: string; cause?: { code?: string; message?: string } };
    // an HTTP answer, even 401/403, is an API server that is there
    if (typeof e.code === 'number') return undefined;
    return e.cause?.code ?? e.cause?.message ?? e.message ?? String(err);
  }
}
