// kubeherald assembled: the listener over one cluster, every notification
// routed by the rules (the config file's routes and, when enabled, the
// kubeherald.io custom resources; with no routes at all every sink gets
// everything) to its sinks. `run` and `demo` both start exactly this.

import type * as k8s from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { resolveResources } from '../cluster/connect.ts';
import { Listener, type ListenerClock } from '../cluster/listener.ts';
import { namespaceAllowed, type Config } from '../config/index.ts';
import type { Notification } from '../model/notification.ts';
import { RoutingHub } from './routing.ts';

export interface HeraldOptions {
  config: Config;
  /** watched for changes to routes and sinks (hot reload) */
  configFile?: string;
  /** how the file is re-read on change (the CLI passes its flags through this) */
  loadConfig?: (file: string) => Promise<Config>;
  kc: k8s.KubeConfig;
  log: Logger;
  clock?: ListenerClock;
  /** where console/jsonl sinks write "-" (defaults to process.stdout) */
  stdout?: NodeJS.WritableStream;
  /** where sinks read credentials named by `{env: …}` (defaults to process.env) */
  env?: NodeJS.ProcessEnv;
  /** every notification, after it was handed to its sinks (the demo counts them) */
  onNotification?: (n: Notification) => void;
}

export interface Herald {
  listener: Listener;
  routing: RoutingHub;
  /** resolves when every notification so far has been handed to every sink */
  drain(): Promise<void>;
  stop(): Promise<void>;
}

export async function startHerald(opts: HeraldOptions): Promise<Herald> {
  const { config, log } = opts;
  const routing = await RoutingHub.start({
    config,
    configFile: opts.configFile,
    loadConfig: opts.loadConfig,
    kc: opts.kc,
    crds: config.customResources.enabled,
    namespace: config.customResources.namespace || undefined,
    log,
    stdout: opts.stdout,
    env: opts.env,
  });
  // one chain per sink keeps each sink's notifications in order without one slow sink holding up the others
  const chains = new Map<string, Promise<void>>();
  const deliver = (n: Notification): void => {
    for (const sink of routing.route(n)) {
      const next = (chains.get(sink.id) ?? Promise.resolve()).then(() =>
        sink.send(n).then(
          () => routing.delivered(n, sink),
          (err: Error) => log.error({ sink: sink.name, sinkId: sink.id, incident: n.incidentKey, err: err.message }, 'sink failed to send a notification'),
        ),
      );
      chains.set(sink.id, next);
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
  log.info({ cluster: config.cluster.name, sinks: routing.sinks().map((s) => s.id), resources: listener.reflectors.length }, 'listening');
  const drain = async (): Promise<void> => {
    await Promise.all(chains.values());
  };
  return {
    listener,
    routing,
    drain,
    async stop() {
      listener.stop();
      await drain();
      await routing.close();
    },
  };
}
