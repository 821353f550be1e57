// kubeherald assembled: a listener per cluster (cluster-watch.ts), every notification
// routed by the rules (the config file's routes and, when enabled, the
// kubeherald.io custom resources; with no routes at all every sink gets
// everything) into the durable pipeline, and delivered from there to its
// sinks. `run` and `demo` both start exactly this.
//
// Durability: each batch the listener emits is written to the outbox (dedup,
// flood control, grouping) in the same transaction as the incident tracker's
// new state, so after a crash either both happened or neither did, and the
// restarted listener re-derives what was not stored. The tracker is restored
// from the state database on start; the Deliverer takes from the outbox.

import type * as k8s from '@kubernetes/client-node';
import type { Logger } from '../model/logger.ts';
import { type Listener, type ListenerClock, realClock } from '../cluster/listener.ts';
import { clustersOf, type Config, formatIssue, loadConfig as loadConfigDefault } from '../config/index.ts';
import type { Notification } from '../model/notification.ts';
import type { KubeObject } from '../model/kube.ts';
import { type AttemptRecord, Deliverer, decodePayload, type EnqueueDecision, Outbox } from '../pipeline/index.ts';
import { Pruner, retentionPolicy } from '../store/index.ts';
import { openStore } from '../store/open.ts';
import type { Store } from '../store/types.ts';
import { routingPolicies, storeBackedSinks } from './durable.ts';
import type { PluginRouter } from '../router/router.ts';
import { type Plugins, startPlugins } from './plugins.ts';
import { RoutingHub } from './routing.ts';
import { startAuditFeed, type AuditFeed } from './audit-feed.ts';
import { createMetrics, type Metrics } from './metrics.ts';
import type { HoldCheck } from '../pipeline/hold.ts';
import { SilenceKeeper } from '../pipeline/silences.ts';
import { STORY_KINDS } from '../pipeline/inhibit-rules.ts';
import { maxDurationMs } from '../pipeline/silence-config.ts';
import { type SilenceController, startSilenceResources } from '../crd/silence-controller.ts';
import { silencePort } from './silence-port.ts';
import { createInhibition, restoreInhibition } from './inhibition.ts';
import { createTimeWindows } from './time-windows.ts';
import { type ChatOps, chatPlatformsEnabled, startChatOps } from './chatops.ts';
import { kubeCrashLogReader, withCrashReports } from './crash-reports.ts';
import { listenProbes, probeHandler, type ProbeInputs } from './probes.ts';
import { startUpdateCheck } from './updates.ts';
import { createIntake, type Intake } from './intake.ts';
import { Lifecycle, type StopReport } from './lifecycle.ts';
import { PACKAGE_VERSION } from './build-info.ts';
import { type ClusterWatch, startClusterWatch } from './cluster-watch.ts';
import { startOnce } from './start-once.ts';
import { clusterLeaseName, createLeadership, type Leadership } from './leadership.ts';
import type { LeaderElectionSettings } from '../cluster/leader-election-config.ts';

export interface HeraldOptions {
  config: Config;
  /** watched for changes to routes and sinks (hot reload) */
  configFile?: string;
  /** how the file is re-read on change (the CLI passes its flags through this) */
  loadConfig?: (file: string) => Promise<Config>;
  /** the home cluster's (the first of clustersOf(config)), and with one cluster its only one */
  kc: k8s.KubeConfig;
  /** every configured cluster's, by name (several clusters); the home cluster's may be left to `kc` */
  kcs?: ReadonlyMap<string, k8s.KubeConfig>;
  log: Logger;
  /** detection and delivery time (default the wall clock); the demo runs both on the simulator's clock */
  clock?: ListenerClock;
  /** where console/jsonl sinks write "-" (defaults to process.stdout) */
  stdout?: NodeJS.WritableStream;
  /** where sinks read credentials named by `{env: …}` (defaults to process.env) */
  env?: NodeJS.ProcessEnv;
  /** every notification, once it is stored for delivery (the demo counts them) */
  onNotification?: (n: Notification) => void;
  /** every delivery attempt, as recorded (tests, metrics) */
  onAttempt?: (a: AttemptRecord) => void;
  /** what the outbox did with each (notification, sink) pair, held back ones included (the demo accounts for them) */
  onDecision?: (d: EnqueueDecision) => void;
  /** backoff jitter in [0, 1) (default Math.random); tests pin it */
  random?: () => number;
  /** the state database is no longer usable: notifications can no longer be stored (run exits so a restart re-derives them) */
  onFatal?: (err: Error) => void;
  /** how long stop() (and the stop after a failed start) may take in all; a stop still running then is left behind (default 25 s, run's --grace-period) */
  graceMs?: number;
  /** config warnings are errors, and a Route matching what nothing produces is left out (run --strict) */
  strict?: boolean;
  /**
   * Replicas sharing one state database elect a leader on this Lease: until
   * it leads, this process watches (caches warm) and sends nothing. Without
   * it the process leads alone (its state is its own).
   */
  election?: LeaderElectionSettings;
  /** the Lease was lost: the process must stop (run exits so Kubernetes starts it again as a standby) */
  onLeadershipLost?: (reason: string) => void;
}

export interface Herald {
  /** the home cluster's listener */
  listener: Listener;
  /** every watched cluster, the home cluster first */
  clusters: readonly ClusterWatch[];
  routing: RoutingHub;
  store: Store;
  outbox: Outbox;
  deliverer: Deliverer;
  /** silences in force; add/expire here put them in force (and release) at once */
  silences: SilenceKeeper;
  /** the Silence/ClusterSilence controller, when customResources.enabled */
  silenceResources(): SilenceController | undefined;
  /** the router `type: plugin` sinks deliver through */
  plugins: PluginRouter;
  /** host:port of the plugin Registry RPC, when plugins.registry.listen is set */
  pluginRegistryAddress(): string | undefined;
  /**
   * Stores notifications for delivery (routed, deduplicated, grouped) in one
   * transaction with the incident tracker's state, and wakes the deliverer.
   * The listener feeds it; other sources (the audit webhook) call it too.
   */
  submit(ns: Notification[]): void;
  /** where /metrics is served, when metrics.listen is set */
  metricsUrl(): string | undefined;
  /** base URL of the probes' own listener (/healthz, /readyz), when health.listen is set */
  healthUrl(): string | undefined;
  /** what /healthz and /readyz judge, now */
  probeInputs(): ProbeInputs;
  /** resolves when the outbox holds nothing waiting for delivery (pending, in flight or in an open group) */
  drain(): Promise<void>;
  /** deliveries still waiting, by sink id */
  pending(): Map<string, number>;
  /** stops everything, last started first, once, within graceMs; says what was cut at the deadline */
  stop(): Promise<StopReport>;
}

/** ":memory:" (or "") keeps state in memory only: nothing survives a restart (tests, the demo). */
const inMemory = (path: string): boolean => path === '' || path === ':memory:';
const DEFAULT_GRACE_MS = 25_000;
/** how long a start that cannot finish holds back the previous run's queued deliveries */
const BACKLOG_WAIT_MS = 30_000;

export async function startHerald(opts: HeraldOptions): Promise<Herald> {
  const { log } = opts;
  let config = opts.config;
  const clock = opts.clock ?? realClock;
  // every component registers its stop where it is created or started; stop() and a failed start run them last first
  const life = new Lifecycle({ log, graceMs: opts.graceMs ?? DEFAULT_GRACE_MS });
  const statePath = inMemory(config.state.path) ? ':memory:' : config.state.path;
  const store = await openStore({ ...config.state, path: statePath }, { now: () => clock.now().getTime(), log: log.child({ component: 'store' }) });
  life.add('state database', () => store.close());
  let routing: RoutingHub;
  let plugins: Plugins;
  const clusters = clustersOf(config);
  const several = clusters.length > 1;
  const watches: ClusterWatch[] = [];
  const watchOf = (cluster: string): ClusterWatch | undefined => watches.find((w) => w.name === cluster);
  const kcOf = (cluster: string): k8s.KubeConfig => {
    const kc = opts.kcs?.get(cluster) ?? (cluster === clusters[0].name ? opts.kc : undefined);
    if (!kc) throw new Error(`clusters: no KubeConfig for cluster "${cluster}"`);
    return kc;
  };
  // what the probes judge; set as start-up and shutdown go
  const phase = { started: false, stopping: false };
  const probeInputs = (): ProbeInputs => {
    const health = watches.map((w) => ({ watch: w, ...w.health() }));
    // several clusters: a cluster that is down is reported on its own line, the watches judged are the others'
    const judged = several ? health.filter((h) => h.up).map((h) => h.watch) : watches;
    return {
      started: phase.started,
      stopping: phase.stopping,
      watches: judged.flatMap((w) => w.listener.reflectors.map((r) => ({ resource: several ? `${w.name}/${r.spec.resource}` : r.spec.resource, listed: r.stats.lists > 0, failures: r.failures }))),
      unavailable: judged.flatMap((w) => w.listener.unavailable().map((u) => ({ resource: `${several ? `${w.name}/` : ''}${u.resource.split('.')[0]}`, detail: u.detail }))),
      ...(several ? { clusters: health.map(({ name, up, detail }) => ({ name, up, detail })) } : {}),
      stateError: phase.stopping ? undefined : stateWriteError(store),
      fatal: intake?.fatal()?.message,
    };
  };
  const probes = probeHandler(probeInputs);
  // metrics exist before the router, which reports every plugin call to them
  const metrics: Metrics | undefined = config.metrics.listen ? createMetrics({ store, clusters: () => watches, plugins: () => plugins?.router, probes }) : undefined;
  let intake: Intake | undefined;
  let audit: AuditFeed | undefined;
  let chat: ChatOps | undefined;
  let silenceResources: SilenceController | undefined;
  let metricsUrl: string | undefined;
  let health: { url: string; close(): Promise<void> } | undefined;
  try {
    plugins = await startPlugins(config.plugins, { kc: opts.kc, log, onCall: metrics ? (r) => metrics.pluginCalled(r) : undefined });
    life.add('plugins', () => plugins.close());
    const createSink = storeBackedSinks(store);
    // a reload's config replaces the one policies are read from once the hub accepted it
    let loaded: Config | undefined;
    const load =
      opts.loadConfig ??
      ((f: string) =>
        loadConfigDefault({ file: f, env: opts.env ?? process.env, strict: opts.strict, onWarning: (w) => log.warn({ file: w.file, ...(w.line !== undefined ? { line: w.line } : {}), path: w.path }, `config reload: ${formatIssue(w)}`) }));
    routing = await RoutingHub.start({
      config,
      configFile: opts.configFile,
      loadConfig: async (f) => (loaded = await load(f)),
      kc: opts.kc,
      crds: config.customResources.enabled,
      namespace: config.customResources.namespace || undefined,
      ...(opts.strict ? { strict: true } : {}),
      log,
      stdout: opts.stdout,
      env: opts.env,
      // chat sinks with crashReport attach the crashed container's log, read where chatops.crashReports allows
      createSink: async (cfg, deps) => withCrashReports(await createSink(cfg, { ...deps, router: plugins.router }), 'crashReport' in cfg ? cfg.crashReport : undefined, { namespaces: () => config.chatops.crashReports?.namespaces ?? [], read: kubeCrashLogReader((c) => kcOf(c || clusters[0].name)), log: log.child({ component: 'crash-reports' }) }),
    });
    life.add('routing', () => routing.close());
    // the probes and /metrics answer until the deliveries in flight are done: they stop after the work, before the sinks
    const servers = life.group('servers');
    const policies = routingPolicies({
      config: () => config,
      resolved: (id) => routing.controller?.sinks().get(id),
      typeOf: (id) => routing.sinkMap().get(id)?.type,
    });
    routing.onConfigReload((r) => {
      if (r.ok && loaded) config = loaded;
      policies.invalidate();
    });
    routing.onChange(() => policies.invalidate());
    // pods are cached and notified whole while a sink in force sends them whole (webhook payload: pod)
    let wholePods = routing.sinks().some((s) => s.sendsPods);
    routing.onChange(() => (wholePods = routing.sinks().some((s) => s.sendsPods)));
    const sinks = routing.sinkMap();
    // causal inhibition: a cause's effects are held back from chat (record sinks get them marked inhibitedBy)
    // each cluster's own caches: a node of one cluster explains nothing of another's pods
    const cached = (cluster: string, kind: string, apiVersion: string): KubeObject[] => watchOf(cluster)?.cached(kind, apiVersion) ?? [];
    const inhibition = createInhibition(config.inhibit, {
      clock,
      log: log.child({ component: 'inhibition' }),
      pods: (cluster) => cached(cluster, 'Pod', 'v1'),
      workload: (kind, namespace, name, cluster) => (STORY_KINDS.has(kind) ? cached(cluster, kind, 'apps/v1').find((d) => d.metadata.namespace === namespace && d.metadata.name === name) : undefined),
    });
    const openIncidents = (): Set<string> => new Set(watches.flatMap((w) => w.openIncidents()));
    // what a hold that ended (a silence, a cause, a time window) still holds back from chat and still fires goes out
    const release = (reason: 'silence' | 'inhibition' | 'window', id: string, now: number): void => {
      if (!leading()) return;
      const open = openIncidents();
      outbox.release(reason, id, now, (key) => open.has(key));
      deliverer.wake();
    };
    // silences: added by the CLI, chat or Silence resources, in force from the state database; one that ends releases what it held
    const silences = new SilenceKeeper({
      store,
      clock,
      log: log.child({ component: 'silences' }),
      refreshMs: config.silences.refreshSeconds * 1000,
      inInterval: (name, at) => routing.timeIntervals().get(name)?.contains(at) ?? false,
      onEnded: (id, now) => release('silence', id, now),
    });
    // routes' time windows: a muted route's chat sinks are held until the window opens (its record sinks get nothing)
    const windows = createTimeWindows({
      clock,
      log: log.child({ component: 'time-windows' }),
      intervals: () => routing.timeIntervals(),
      mutedFor: (n) => routing.mutedFor(n),
      table: () => routing.table(),
      isRecords: (id) => (sinks.has(id) ? policies.forSink(id).records : undefined),
    });
    const holds: HoldCheck[] = [...inhibition.holds, silences.check, windows.hold];
    const outbox = new Outbox({
      store,
      sinks,
      policies,
      log: log.child({ component: 'outbox' }),
      holds,
      // reminders are for incidents still open (openIncidents below): no row for what never is
      remindable: (n) => watchOf(n.cluster)?.listener.tracker.isOpen(n.incidentKey) ?? false,
      onDecision:
        metrics || opts.onDecision
          ? (d) => {
              metrics?.decided(d);
              opts.onDecision?.(d);
            }
          : undefined,
    });
    // stopped after the listener and the deliverer, before the state database: a stop keeps every count
    life.add('storm digest counts', () => outbox.writeStormCounts(clock.now()));
    // with replicas: released after the deliverer stopped, so the next leader starts from what this one recorded
    const leadership: Leadership | undefined = opts.election
      ? createLeadership({
          store,
          log: log.child({ component: 'leadership' }),
          now: () => clock.now().getTime(),
          election: opts.election,
          onLead: () => takeOver(),
          onLost: (reason) => {
            log.error({ reason }, 'no longer the leader: stopping');
            opts.onLeadershipLost?.(reason);
          },
          onChange: (lease, leading) => metrics?.leader?.(lease, leading),
        })
      : undefined;
    if (leadership) life.add('leadership', () => leadership.stop());
    // several clusters: each but the home one has its own Lease (in the home cluster), so the clusters spread
    // across the replicas: a replica already leading some waits longer before contesting a free one
    const clusterLeaderships = new Map<string, Leadership>();
    const election = opts.election;
    if (election && several) {
      // the home Lease counts: its holder also delivers, so the other clusters go to the other replicas first
      const held = (): number => [leadership, ...clusterLeaderships.values()].filter((l) => l?.term()).length;
      for (const c of clusters.slice(1)) {
        const l = createLeadership({
          store,
          log: log.child({ component: 'leadership', cluster: c.name }),
          now: () => clock.now().getTime(),
          election: { ...election, name: clusterLeaseName(election.name, c.name) },
          acquireDelayMs: () => held() * 3 * election.retryPeriodMs,
          onLead: () => {
            if (phase.stopping) return;
            watchOf(c.name)?.activate();
            restoreInhibition(inhibition, store, sinks.keys(), openIncidents(), clock.now().getTime());
          },
          onLost: (reason) => {
            log.error({ reason, cluster: c.name }, 'no longer the leader of a cluster: stopping');
            opts.onLeadershipLost?.(reason);
          },
          onChange: (lease, leading) => metrics?.leader?.(lease, leading),
        });
        clusterLeaderships.set(c.name, l);
        life.add(`leadership ${c.name}`, () => l.stop());
      }
    }
    /** the leadership a cluster's watch detects under: its own Lease's, else the home one's */
    const leadershipOf = (cluster: string): Leadership | undefined => clusterLeaderships.get(cluster) ?? leadership;
    // what only the leader does (a standby's caches are warm, it sends nothing)
    const leading = (): boolean => !leadership || leadership.term() !== undefined;
    const attemptWaiters: (() => void)[] = [];
    const deliverer = new Deliverer({
      store,
      sinks,
      policy: policies,
      clock,
      log: log.child({ component: 'deliverer' }),
      random: opts.random,
      // reminders only for incidents that were notified
      openIncidents: () => watches.flatMap((w) => w.listener.tracker.open().flatMap((i) => (i.notified ? [i.key] : []))),
      holds,
      ...(leadership ? { term: () => leadership.term(), onFenced: () => opts.onLeadershipLost?.('a newer leader term began') } : {}),
      onAttempt: (a) => {
        metrics?.attempted(a);
        if (a.outcome === 'delivered' && routing.controller) countDelivered(a);
        opts.onAttempt?.(a);
        for (const w of attemptWaiters.splice(0)) w();
      },
    });
    // a plugin type back from having no healthy instance: its sinks' deliveries need not wait out their backoff
    plugins.router.onRecovered((type) => deliverer.retryWaiting((sink) => sinks.get(sink)?.plugin === type));
    // the custom-resource routes' status counters: which notifications the delivery carried
    const countDelivered = (a: AttemptRecord): void => {
      const row = store.outbox.get(a.id);
      if (!row) return;
      try {
        for (const n of decodePayload(row.payload, row.groupKey !== null)) routing.delivered(n, a.sink);
      } catch {
        // an unreadable payload was dead-lettered by the deliverer, not delivered
      }
    };
    intake = createIntake({
      ...(leadership ? { term: (cluster: string) => leadershipOf(cluster)?.term(), onFenced: () => opts.onLeadershipLost?.('a newer leader term began') } : {}),
      store,
      now: () => clock.now(),
      log: log.child({ component: 'intake' }),
      outbox,
      inhibition,
      // a route with `group` groups what it sends its own way
      route: (n, now) => [...routing.routeWithGroups(n, now.getTime()).map(({ sink, group }) => (group ? { sink: sink.id, group } : sink.id)), ...windows.heldSinks(n)],
      // only what changed: a whole snapshot per batch cost more than all the rest of storing it
      tracker: (cluster) => watchOf(cluster)?.listener.tracker.takeChanges(),
      attribute: (n) => audit?.attribute(n),
      stored: () => deliverer.wake(),
      notified: (ns) => {
        metrics?.notified(ns);
        if (opts.onNotification) for (const n of ns) opts.onNotification(n);
      },
      onFatal: opts.onFatal,
    });
    const submit = intake.submit;

    // one watch per cluster, each feeding the intake with its own tracker's changes (a standby's restore nothing
    // now: they take the stored state over when this process leads, takeOver)
    for (const [i, c] of clusters.entries()) {
      const w = await startClusterWatch({
        name: c.name,
        kc: kcOf(c.name),
        home: i === 0,
        config: () => config,
        store,
        clock,
        log,
        submit: (ns) => submit(ns, c.name),
        wholePods: () => wholePods,
        standby: leadership !== undefined,
        mayStartUnreachable: several,
      });
      watches.push(w);
    }
    life.add('queued deliveries', () => {
      const waiting = pending(store);
      if (!waiting.size) return;
      const where = inMemory(config.state.path) ? 'the state is in memory: they are dropped' : 'they are delivered after the next start';
      log.warn({ pending: Object.fromEntries(waiting) }, `stopping with deliveries still queued; ${where}`);
    });
    // what the outbox held when kubeherald last stopped goes out once kubeherald is ready: sending a
    // restart's backlog while the cluster was listed cost a CPU-second before /readyz (docs/scale.md);
    // a start that cannot finish (the API server unreachable) still delivers it, BACKLOG_WAIT_MS later
    const backlog = startOnce(() => deliverer.start(), BACKLOG_WAIT_MS);
    // the sends in flight finish and are recorded; what is still queued waits in the state database;
    // at the grace deadline the sends still running are aborted and their deliveries stay pending
    life.add('deliverer', (signal) => {
      backlog.cancel();
      return deliverer.stop({ signal });
    });
    const pruner = new Pruner({ store, policy: retentionPolicy(config.state), intervalMs: config.state.pruneIntervalSeconds * 1000, clock, log: log.child({ component: 'pruner' }) });
    life.add('pruner', () => pruner.stop());
    silences.start();
    life.add('silences', () => silences.stop());
    // after a restart: the causes still open, and what the outbox still holds back for each (a standby: when it takes over)
    if (!leadership) restoreInhibition(inhibition, store, sinks.keys(), openIncidents(), clock.now().getTime());
    // a resolved cause's hold ended: what it still held back from chat and still fires notifies on its own
    inhibition.start((cause, now) => release('inhibition', cause, now));
    life.add('inhibition', () => inhibition.stop());
    // a time interval's edge: what it held back from chat and still fires goes out
    windows.start((interval, now) => release('window', interval, now));
    life.add('time windows', () => windows.stop());
    if (metrics) {
      metricsUrl = await metrics.listen(config.metrics.listen);
      servers.add('metrics', () => metrics.close());
      log.info({ url: metricsUrl }, 'metrics listening');
    }
    if (config.health.listen) {
      const h = await listenProbes(config.health.listen, probes);
      health = h;
      servers.add('probes', () => h.close());
      log.info({ url: h.url }, 'probes listening (/healthz, /readyz)');
    }
    audit = await startAuditFeed(config.audit, { cluster: clusters[0].name, log: log.child({ component: 'audit' }), env: opts.env ?? process.env, onNotification: (n) => submit([n]) });
    const feed = audit;
    if (feed) life.add('audit feed', () => feed.close());
    // stopped before the rest (a listener's last batch is stored), as they start: nothing of theirs runs before this
    for (const w of watches) life.add(several ? `listener ${w.name}` : 'listener', () => w.stop());
    // each listed, or (several clusters) found unreachable: one cluster down does not hold the others' start
    await Promise.all(watches.map((w) => w.start()));
    // silences from chat and from Silence resources go through the keeper: in force (or ended and released) at once
    const port = silencePort(silences, store, clock, maxDurationMs(config.silences));
    // a Silence's author: its annotation, else who created it as the audit feed saw it, else the resource
    const creatorOf = feed ? (ref: { kind: string; namespace?: string; name: string; uid?: string }, at: Date) => feed.source.attributeUser(ref, at)?.username || undefined : undefined;
    // what only the leader runs: alone, at once; with replicas, when this process takes over
    async function takeOver(): Promise<void> {
      if (phase.stopping) return;
      if (leadership) {
        // the previous leader's record of what it told, then what the warm caches show that it did not
        for (const w of watches) if (!clusterLeaderships.has(w.name)) w.activate();
        restoreInhibition(inhibition, store, sinks.keys(), openIncidents(), clock.now().getTime());
        deliverer.wake();
      }
      pruner.start();
      if (config.customResources.enabled) {
        const sr = await startSilenceResources({ kc: kcOf(clusters[0].name), silences: port, clock, log: log.child({ component: 'silences' }), maxDurationMs: port.maxDurationMs, ...(creatorOf ? { creatorOf } : {}) });
        silenceResources = sr;
        life.add('silence resources', () => sr.stop());
      }
      // commands from chat, answered as the chat user's own Kubernetes identity, once kubeherald is up (a
      // command never races the start, or a stop during it); the trail in this state database
      if (chatPlatformsEnabled(config)) {
        const c = await startChatOps({ config, kc: kcOf(clusters[0].name), clusters: watches.map((w) => ({ name: w.name, kc: w.kc })), store, log, env: opts.env, metrics, submit, silences: port });
        chat = c;
        life.add('chatops', () => c.stop());
      }
    }
    if (leadership) {
      leadership.start();
      // the other clusters' Leases once the home one has had its first tries: its holder then waits longer for them
      if (clusterLeaderships.size) {
        const later = setTimeout(() => {
          if (!phase.stopping) for (const l of clusterLeaderships.values()) l.start();
        }, 2 * election!.retryPeriodMs);
        life.add('cluster leases start', () => clearTimeout(later));
      }
    } else await takeOver();
    phase.started = true;
    backlog.now();
    if (config.updates.check) {
      const updates = startUpdateCheck({ registry: config.updates.registry, intervalMs: config.updates.intervalHours * 3_600_000, running: PACKAGE_VERSION, log: log.child({ component: 'updates' }) });
      life.add('update check', () => updates.stop());
    }
    log.info({ clusters: watches.map((w) => w.name), sinks: routing.sinks().map((s) => s.id), resources: watches.reduce((n, w) => n + w.listener.reflectors.length, 0), state: store.path }, 'listening');
    return {
      listener: watches[0].listener,
      clusters: watches,
      routing,
      store,
      outbox,
      silences,
      silenceResources: () => silenceResources,
      deliverer,
      plugins: plugins.router,
      pluginRegistryAddress: () => plugins.registryAddress,
      submit,
      pending: () => pending(store),
      metricsUrl: () => metricsUrl,
      healthUrl: () => health?.url,
      probeInputs,
      async drain() {
        while (outboxOpen(store)) {
          // an attempt's outcome, or a timer of the deliverer's clock, changes what is open
          await new Promise<void>((resolve) => {
            attemptWaiters.push(resolve);
            setTimeout(resolve, 20).unref();
          });
        }
      },
      stop() {
        // unready at once (no new traffic), while the probes stay up until the deliveries in flight are done
        phase.stopping = true;
        return life.stop();
      },
    };
  } catch (err) {
    // a start that fails midway stops what it started, last first, as stop() would
    await life.stop();
    throw err;
  }
}

/** Whether the outbox holds anything waiting for delivery (pending, in flight or in an open group). */
function outboxOpen(store: Store): boolean {
  const c = store.outbox.counts();
  return c.pending + c.inflight > 0 || store.groups.nextFlushAt() !== undefined;
}

/** Deliveries still waiting, by sink id. */
function pending(store: Store): Map<string, number> {
  const out = new Map<string, number>();
  for (const h of store.outbox.queueHeads()) if (h.state === 'inflight') out.set(h.sink, (out.get(h.sink) ?? 0) + 1);
  for (const r of store.outbox.pendingAfter(0)) out.set(r.sink, (out.get(r.sink) ?? 0) + 1);
  return out;
}

/**
 * Why the state database takes no write now (undefined: it does). Writes and
 * removes a row of a table no sink uses, in one transaction, so a full disk
 * or a lost lock shows before a notification needs storing.
 */
function stateWriteError(store: Store): string | undefined {
  try {
    store.transaction(() => {
      const probe = store.threads.forSink('kubeherald.readyz');
      probe.set('probe', 'ok');
      probe.delete('probe');
    });
    return undefined;
  } catch (err) {
    return (err as Error).message;
  }
}

