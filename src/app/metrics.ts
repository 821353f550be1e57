// Prometheus metrics on /metrics (prom-client): what an operator alerts on
// — notifications made, deliveries and their outcomes, the outbox backlog
// and its age, dead letters, the state database's size, watch activity.
// Gauges are read at scrape time, so nothing is recomputed on the hot path.

import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { Listener } from '../cluster/listener.ts';
import type { Notification } from '../model/notification.ts';
import { State } from '../model/notification.ts';
import type { AttemptRecord, EnqueueDecision } from '../pipeline/index.ts';
import type { PluginRouter } from '../router/router.ts';
import type { PluginCallRecord } from '../router/types.ts';
import type { Store } from '../store/types.ts';
import type { AuditEntry } from '../chatops/types.ts';
import { buildInfo } from './build-info.ts';
import type { ProbeHandler } from './probes.ts';

export interface Metrics {
  registry: Registry;
  notified(ns: readonly Notification[]): void;
  /** what the outbox did with a notification for a sink (folded ones are counted) */
  decided(d: EnqueueDecision): void;
  attempted(a: AttemptRecord): void;
  /** one call of the router to a plugin instance */
  pluginCalled(r: PluginCallRecord): void;
  /** one chat command, as audited */
  chatCommand(e: AuditEntry): void;
  /** a request to a chat listener refused before it was read (bad signature, missing secret token) */
  chatRejected(platform: string, reason: string): void;
  /** whether this process leads on `lease` (namespace/name) now; a change is counted as a transition */
  leader(lease: string, leading: boolean): void;
  /** serves /metrics on host:port; resolves with the URL */
  listen(listen: string): Promise<string>;
  close(): Promise<void>;
}

/** A watched cluster as the metrics read it (app/cluster-watch.ts). */
export interface MetricsCluster {
  name: string;
  listener: Listener;
  health(): { up: boolean };
}

export function createMetrics(deps: { store: Store; clusters: () => readonly MetricsCluster[]; plugins?: () => Pick<PluginRouter, 'instances'> | undefined; probes?: ProbeHandler }): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'kubeherald_' });
  const notifications = new Counter({ name: 'kubeherald_notifications_total', help: 'Notifications produced, by state and reason.', labelNames: ['state', 'reason'], registers: [registry] });
  const folded = new Counter({
    name: 'kubeherald_notifications_folded_total',
    help: "Notifications that joined a group whose message had already gone out, by sink: they reach it with the group's next update, up to delivery.groupIntervalSeconds later.",
    labelNames: ['sink'],
    registers: [registry],
  });
  const held = new Counter({
    name: 'kubeherald_notifications_held_total',
    help: 'Notifications held back from a chat sink, by what held them (silence, inhibition, window) and sink; record sinks still get them, marked.',
    labelNames: ['reason', 'sink'],
    registers: [registry],
  });
  const digested = new Counter({
    name: 'kubeherald_notifications_digested_total',
    help: "Notifications a chat sink's target got as part of its storm digest rather than on their own, by sink; record sinks still get each.",
    labelNames: ['sink'],
    registers: [registry],
  });
  const stormActive = new Gauge({ name: 'kubeherald_storm_active', help: 'Chat targets in a storm now (1), getting one digest message instead of each notification, by sink and target.', labelNames: ['sink', 'target'], registers: [registry] });
  const attempts = new Counter({
    name: 'kubeherald_delivery_attempts_total',
    help: 'Delivery attempts, by sink, outcome (delivered, retry, dead) and, for failed ones, reason (auth, rate-limited, client, server, timeout, canceled, network).',
    labelNames: ['sink', 'outcome', 'reason'],
    registers: [registry],
  });
  const latency = new Histogram({
    name: 'kubeherald_delivery_duration_seconds',
    help: 'How long a sink took per delivery attempt.',
    labelNames: ['sink'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  const outbox = new Gauge({ name: 'kubeherald_outbox_deliveries', help: 'Deliveries in the outbox, by state (pending, inflight, dead).', labelNames: ['state'], registers: [registry] });
  const oldest = new Gauge({ name: 'kubeherald_outbox_oldest_open_age_seconds', help: 'Age of the oldest delivery not yet done (0 when none).', registers: [registry] });
  const dbSize = new Gauge({ name: 'kubeherald_state_db_bytes', help: 'Size of the state database file(s).', registers: [registry] });
  const watchEvents = new Gauge({ name: 'kubeherald_watch_events', help: 'Watch events received since start, by cluster and resource.', labelNames: ['cluster', 'resource'], registers: [registry] });
  const clusterUp = new Gauge({ name: 'kubeherald_cluster_up', help: 'Whether each watched cluster is listed and watching (1) or not: unreachable, not listed yet, or its watches failing (0).', labelNames: ['cluster'], registers: [registry] });
  const unavailable = new Gauge({
    name: 'kubeherald_watch_unavailable',
    help: 'Watched resources the API server does not serve (status 404) or forbids kubeherald (status 403): 1 each while kubeherald runs degraded without them, by cluster.',
    labelNames: ['cluster', 'resource', 'status'],
    registers: [registry],
  });
  const relists = new Gauge({ name: 'kubeherald_watch_relists_after_gone', help: 'Re-lists after 410 Gone since start, by cluster and resource.', labelNames: ['cluster', 'resource'], registers: [registry] });
  const pluginCalls = new Counter({
    name: 'kubeherald_plugin_calls_total',
    help: 'Calls to sink plugin instances, by plugin type, instance and outcome (delivered, retryable, rate-limited, permanent: the plugin\'s answer; transport: no answer).',
    labelNames: ['type', 'instance', 'outcome'],
    registers: [registry],
  });
  const pluginLatency = new Histogram({
    name: 'kubeherald_plugin_call_duration_seconds',
    help: 'How long a plugin instance took to answer a delivery call, by plugin type and instance.',
    labelNames: ['type', 'instance'],
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  const pluginInstances = new Gauge({ name: 'kubeherald_plugin_instances', help: 'Known sink plugin instances, by plugin type and state (healthy, unhealthy, ejected, draining).', labelNames: ['type', 'state'], registers: [registry] });
  const pluginOutstanding = new Gauge({ name: 'kubeherald_plugin_outstanding_calls', help: 'Calls in flight to each plugin instance.', labelNames: ['type', 'instance'], registers: [registry] });
  const chatCommands = new Counter({
    name: 'kubeherald_chatops_commands_total',
    help: 'Chat commands, by platform, command, decision (allowed, denied, unmapped, invalid) and outcome.',
    labelNames: ['platform', 'command', 'decision', 'outcome'],
    registers: [registry],
  });
  const chatLatency = new Histogram({
    name: 'kubeherald_chatops_command_duration_seconds',
    help: 'From a chat command received to its reply ready, by platform.',
    labelNames: ['platform'],
    buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  const chatRejectedRequests = new Counter({
    name: 'kubeherald_chatops_rejected_requests_total',
    help: 'Requests to the chat listeners refused with 401 (bad, stale or missing Slack signature; missing or wrong Telegram secret token), by platform and reason.',
    labelNames: ['platform', 'reason'],
    registers: [registry],
  });
  const openIncidents = new Gauge({ name: 'kubeherald_open_incidents', help: 'Incidents open in the tracker (firing or pending).', registers: [registry] });
  const leaderGauge = new Gauge({ name: 'kubeherald_leader', help: 'Whether this process leads on its Lease (1) or stands by (0), by lease (namespace/name).', labelNames: ['lease'], registers: [registry] });
  const leaderTransitions = new Counter({ name: 'kubeherald_leader_transitions_total', help: 'Times this process began or ended leading on its Lease, by lease (namespace/name).', labelNames: ['lease'], registers: [registry] });
  const leading = new Map<string, boolean>();
  // the build as labels on a constant 1, the Prometheus convention: joins to any series by instance
  const build = buildInfo();
  new Gauge({ name: 'kubeherald_build_info', help: 'The running build: kubeherald version and Node.js version (always 1).', labelNames: ['version', 'node'], registers: [registry] }).set({ version: build.version, node: build.node }, 1);

  // read at scrape time
  const refresh = (): void => {
    const c = deps.store.outbox.counts();
    outbox.set({ state: 'pending' }, c.pending);
    outbox.set({ state: 'inflight' }, c.inflight);
    outbox.set({ state: 'dead' }, c.dead);
    oldest.set(c.oldestOpenAt === undefined ? 0 : Math.max(0, (Date.now() - c.oldestOpenAt) / 1000));
    dbSize.set(deps.store.sizeBytes());
    stormActive.reset();
    for (const s of deps.store.storms.active()) stormActive.set({ sink: s.sink, target: s.target }, 1);
    const clusters = deps.clusters();
    if (clusters.length) {
      unavailable.reset();
      let open = 0;
      for (const { name: cluster, listener: l, health } of clusters) {
        for (const r of l.reflectors) {
          const resource = r.spec.resource;
          watchEvents.set({ cluster, resource }, r.stats.events);
          relists.set({ cluster, resource }, r.stats.relistsAfterGone);
        }
        open += l.tracker.open().length;
        for (const u of l.unavailable()) unavailable.set({ cluster, resource: u.resource, status: String(u.status) }, 1);
        clusterUp.set({ cluster }, health().up ? 1 : 0);
      }
      openIncidents.set(open);
    }
    const router = deps.plugins?.();
    if (router) {
      pluginInstances.reset();
      pluginOutstanding.reset();
      const byState = new Map<string, number>();
      for (const i of router.instances()) {
        const k = `${i.type}\u0000${i.state}`;
        byState.set(k, (byState.get(k) ?? 0) + 1);
        pluginOutstanding.set({ type: i.type, instance: i.id }, i.outstanding);
      }
      for (const [k, n] of byState) {
        const [type, state] = k.split('\u0000');
        pluginInstances.set({ type, state }, n);
      }
    }
  };

  let server: Server | undefined;
  return {
    registry,
    decided(d) {
      if (d.outcome === 'folded') folded.inc({ sink: d.sink });
      if (d.outcome === 'digested') digested.inc({ sink: d.sink });
      if (d.outcome === 'held' && d.hold) held.inc({ reason: d.hold.by, sink: d.sink });
    },
    notified(ns) {
      for (const n of ns) notifications.inc({ state: n.state === State.RESOLVED ? 'resolved' : 'firing', reason: n.reason });
    },
    attempted(a) {
      if (a.attempted) latency.observe({ sink: a.sink }, a.durationMs / 1000);
      // a delivered attempt has no reason label; one dead-lettered untried (too old, sink gone) neither
      attempts.inc({ sink: a.sink, outcome: a.outcome, ...(a.reason ? { reason: a.reason } : {}) });
    },
    chatCommand(e) {
      chatCommands.inc({ platform: e.platform, command: e.verb ?? 'unparsed', decision: e.decision, outcome: e.outcome });
      chatLatency.observe({ platform: e.platform }, e.durationMs / 1000);
    },
    chatRejected(platform, reason) {
      chatRejectedRequests.inc({ platform, reason });
    },
    leader(lease, isLeader) {
      // a process starts as a standby: taking the lease is a transition, a repeated report is not (inc by 0 shows the series)
      leaderTransitions.inc({ lease }, (leading.get(lease) ?? false) === isLeader ? 0 : 1);
      leading.set(lease, isLeader);
      leaderGauge.set({ lease }, isLeader ? 1 : 0);
    },
    pluginCalled(r) {
      pluginCalls.inc({ type: r.type, instance: r.instance, outcome: r.outcome });
      pluginLatency.observe({ type: r.type, instance: r.instance }, r.durationMs / 1000);
    },
    async listen(listen) {
      const i = listen.lastIndexOf(':');
      const host = listen.slice(0, i).replace(/^\[|\]$/g, '') || '127.0.0.1'; // no host is loopback: all interfaces only when asked for (0.0.0.0:9090)
      const port = Number(listen.slice(i + 1));
      server = createServer((req, res) => {
        // /healthz and /readyz share this listener, so a kubelet probe needs no second port
        if (deps.probes?.(req, res)) return;
        if (req.url !== '/metrics') {
          res.writeHead(404).end('not found\n');
          return;
        }
        try {
          refresh();
        } catch {
          // a closed store during shutdown: serve what we have
        }
        registry.metrics().then(
          (text) => res.writeHead(200, { 'Content-Type': registry.contentType }).end(text),
          (err: Error) => res.writeHead(500).end(err.message),
        );
      });
      await new Promise<void>((resolve, reject) => {
        server!.once('error', reject);
        server!.listen(port, host, () => resolve());
      });
      const addr = server.address() as AddressInfo;
      return `http://${addr.family === 'IPv6' ? `[${addr.address}]` : addr.address}:${addr.port}/metrics`;
    },
    async close() {
      if (!server) return;
      server.closeAllConnections();
      await new Promise<void>((r) => server!.close(() => r()));
    },
  };
}
