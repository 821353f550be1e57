// kubeherald assembled: the listener over one cluster, every notification
// routed by the rules (config routes; with none, every sink gets
// everything) to its sinks. `run` and `demo` both start exactly this.

import type * as k8s from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { resolveResources } from '../cluster/connect.ts';
import { Listener, type ListenerClock } from '../cluster/listener.ts';
import { namespaceAllowed, type Config } from '../config/index.ts';
import type { Notification } from '../model/notification.ts';
import type { RoutingTable } from '../rules/types.ts';
import { sinkId, tableFromConfig } from '../rules/index.ts';
import { createSink } from '../sinks/index.ts';
import type { Sink } from '../sinks/types.ts';

export interface HeraldOptions {
  config: Config;
  kc: k8s.KubeConfig;
  log: Logger;
  clock?: ListenerClock;
  /** where console/jsonl sinks write "-" (defaults to process.stdout) */
  stdout?: NodeJS.WritableStream;
  /** where sinks read credentials named by `{env: …}` (defaults to process.env) */
  env?: NodeJS.ProcessEnv;
  /** every notification, after it went to the sinks (the demo counts them) */
  onNotification?: (n: Notification) => void;
}

export interface Herald {
  listener: Listener;
  table: RoutingTable;
  sinks: Sink[];
  /** resolves when every notification so far has been handed to every sink */
  drain(): Promise<void>;
  stop(): Promise<void>;
}

export async function startHerald(opts: HeraldOptions): Promise<Herald> {
  const { config, log } = opts;
  const table = tableFromConfig(config);
  for (const p of table.problems) log.error({ route: p.routeId, field: p.field, reason: p.reason }, `route left out: ${p.message}`);
  const sinks = await Promise.all(config.sinks.map((s) => createSink(s, { stdout: opts.stdout, env: opts.env })));
  const byId = new Map(sinks.map((s) => [sinkId({ name: s.name, kind: 'config' }), s]));
  // one chain per sink keeps each sink's notifications in order without one slow sink holding up the others
  const chains = new Map<Sink, Promise<void>>(sinks.map((s) => [s, Promise.resolve()]));
  const deliver = (n: Notification): void => {
    for (const id of table.match(n).sinks) {
      const sink = byId.get(id);
      if (!sink) continue;
      const next = chains.get(sink)!.then(() =>
        sink.send(n).catch((err: Error) => {
          log.error({ sink: sink.name, incident: n.incidentKey, err: err.message }, 'sink failed to send a notification');
        }),
      );
      chains.set(sink, next);
    }
    opts.onNotification?.(n);
  };
  const extraResources = await resolveResources(opts.kc, config.watch.resources);
  const listener = new Listener({
    kc: opts.kc,
    clock: opts.clock,
    log,
    onNotification: deliver,
    config: {
      cluster: config.cluster.name,
      namespaceAllowed: (ns) => namespaceAllowed(config.watch.namespaces, ns),
      eventsApi: config.watch.eventsApi,
      extraResources,
      watchdogSeconds: config.watch.watchdogSeconds,
      pageSize: config.watch.pageSize,
      detectors: config.detectors,
    },
  });
  await listener.start();
  log.info({ cluster: config.cluster.name, sinks: sinks.map((s) => s.name), resources: listener.reflectors.length }, 'listening');
  const drain = async (): Promise<void> => {
    await Promise.all(chains.values());
  };
  return {
    listener,
    table,
    sinks,
    drain,
    async stop() {
      listener.stop();
      await drain();
      await Promise.all(sinks.map((s) => s.close()));
    },
  };
}
