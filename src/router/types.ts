// The router's vocabulary, shared by its parts (pool, transport, discovery)
// and by what uses it (the remote sink, the app's metrics and logs).

import type { JsonObject } from '@bufbuild/protobuf';
import type { Notification } from '../model/notification.ts';

/** Where a plugin instance was learned from. */
export type DiscoverySourceName = 'static' | 'kubernetes' | 'registry';

/** One plugin instance: a process serving kubeherald.v1.SinkPlugin for one sink type. */
export interface PluginEndpoint {
  /**
   * Unique and stable while the instance lives, e.g. "static/10.0.0.5:50051",
   * "kubernetes/<namespace>/<pod>/<ip>:<port>", "registry/<instance id>";
   * logs and metrics name instances by it.
   */
  id: string;
  /** the sink type it serves ("slack"); the router routes by it */
  type: string;
  /** host:port of its gRPC server */
  address: string;
  source: DiscoverySourceName;
  /** terminating: deliveries in flight finish, new ones go elsewhere */
  draining?: boolean;
}

/**
 * A source of plugin instances. It reports the whole set it knows every time
 * that set changes (not deltas), so a lost update heals with the next one.
 */
export interface DiscoverySource {
  readonly name: DiscoverySourceName;
  /** Starts watching; resolves once the first set was reported (possibly empty). */
  start(update: (endpoints: readonly PluginEndpoint[]) => void): Promise<void>;
  close(): Promise<void>;
}

export type { PluginDelivery } from '../contracts/sink.ts';

/** How one call to one instance ended, for logs and metrics. */
export interface PluginCallRecord {
  type: string;
  instance: string;
  deliveryId: string;
  sink: string;
  /** delivered | retryable | rate-limited | permanent: the plugin's answer; transport: the call itself failed */
  outcome: 'delivered' | 'retryable' | 'rate-limited' | 'permanent' | 'transport';
  durationMs: number;
  /** the plugin's message or the transport error, never a credential */
  message?: string;
}

/** The state of an instance in its pool. */
export type InstanceState = 'healthy' | 'unhealthy' | 'ejected' | 'draining';

/** TLS toward plugins (router side) or for a plugin's own server; file paths, read at start. */
export interface TlsFiles {
  /** CA bundle that signs the peer's certificate */
  caFile?: string;
  /** own certificate (router: client cert for mutual TLS; plugin: server cert) */
  certFile?: string;
  keyFile?: string;
  /** the name expected in the plugin's certificate (router side; default the address's host) */
  serverName?: string;
}
