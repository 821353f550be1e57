// The `plugins:` config section: how kubeherald reaches sink plugins (TLS,
// timeouts, health checks, outlier ejection) and where it learns of them
// (a static list, Kubernetes EndpointSlices, the Registry RPC it serves).

import { z } from 'zod';
import { count, list, section, strict } from '../config-kit/fields.ts';

const hostPort = z.string().regex(/^(\[[0-9a-fA-F:]+\]|[^:\s\[\]]+):\d{1,5}$/, { error: 'expected host:port (e.g. 10.0.0.5:50051, [::1]:50051)' });
const listenAddress = z.string().regex(/^$|^(\[[0-9a-fA-F:]+\]|[^:\s]*):\d{1,5}$/, { error: 'expected host:port (e.g. 0.0.0.0:50060, :50060) or "" for off' });
const pluginType = z.string().regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, { error: 'expected a plugin type: a DNS-1123 label such as slack' });

const clientTlsSchema = strict({
  /** CA bundle that signs the plugins' certificates; setting any TLS key turns TLS on */
  caFile: z.string().default(''),
  /** client certificate and key, for plugins that require mutual TLS */
  certFile: z.string().default(''),
  keyFile: z.string().default(''),
  /** the name the plugins' certificates carry (default: each address's host); {type} stands for the plugin type, e.g. kubeherald-plugin-{type}.kubeherald.svc */
  serverName: z.string().default(''),
});

const serverTlsSchema = strict({
  certFile: z.string().default(''),
  keyFile: z.string().default(''),
  /** set: mutual TLS, plugins must present a certificate signed by this CA */
  clientCaFile: z.string().default(''),
});

export const pluginsSchema = strict({
  tls: section(clientTlsSchema),
  /** talk plaintext to plugins off the loopback (without tls they are otherwise refused); warned about at start */
  insecure: z.boolean().default(false),
  /** largest gRPC message sent to or read from a plugin; a bigger delivery fails permanently */
  maxMessageBytes: count(1024).default(4 * 1024 * 1024),
  /** a delivery call not answered in this long fails on that instance and is tried on another */
  callTimeoutSeconds: count(1).default(30),
  healthCheck: section(
    strict({
      intervalSeconds: count(1).default(5),
      /** failed checks in a row before an instance gets no deliveries */
      unhealthyThreshold: count(1).default(2),
      /** passed checks in a row before it gets them again */
      healthyThreshold: count(1).default(1),
    }),
  ),
  outlierDetection: section(
    strict({
      /** failed calls in a row (connection, stream, deadline) before an instance is ejected */
      consecutiveFailures: count(1).default(5),
      /** first ejection; each further one lasts this times the number of ejections, at most 5 minutes */
      baseEjectionSeconds: count(1).default(30),
      maxEjectionPercent: count(0).max(100, { error: 'expected a percentage (0–100)' }).default(50),
    }),
  ),
  /** distinct instances one delivery is tried on before it goes back to the outbox's backoff */
  maxAttemptsPerDelivery: count(1).default(3),
  /** instances at fixed addresses */
  static: list(strict({ type: pluginType, addresses: z.array(hostPort).min(1, { error: 'expected at least one host:port' }) })),
  /** EndpointSlices of Services labelled kubeherald.io/plugin: <type> */
  kubernetes: section(
    strict({
      enabled: z.boolean().default(false),
      /** [] for every namespace */
      namespaces: list(z.string().min(1)),
      /** the Service port to use; default the one named grpc, else the only one */
      portName: z.string().default(''),
    }),
  ),
  /** the Registry RPC, for plugins outside Kubernetes */
  registry: section(
    strict({
      /** host:port to serve it on; "" for off */
      listen: listenAddress.default(''),
      /** an instance with no heartbeat for this long is no longer used */
      ttlSeconds: count(1).default(15),
      /** told to plugins when they register */
      heartbeatIntervalSeconds: count(1).default(5),
      tls: section(serverTlsSchema),
      /** serve off the loopback without client certificates (refused otherwise); warned about at start */
      insecure: z.boolean().default(false),
    }),
  ),
});

export type PluginsConfig = z.output<typeof pluginsSchema>;

/** Whether the config asks for plugin discovery at all (a router is started only then, or for a plugin sink). */
export function discoveryConfigured(p: PluginsConfig): boolean {
  return p.static.length > 0 || p.kubernetes.enabled || p.registry.listen !== '';
}
