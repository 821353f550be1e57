// The plugin side of a running kubeherald: the router every `type: plugin`
// sink delivers through, fed by the discovery sources the `plugins:` section
// names (static addresses, EndpointSlices, the Registry RPC it serves).

import type * as k8s from '@kubernetes/client-node';
import type { Logger } from '../model/logger.ts';
import { kubernetesSource } from '../router/discovery/kubernetes.ts';
import { createRegistry, type RegistryServer, serveRegistry } from '../router/discovery/registry.ts';
import { staticSource } from '../router/discovery/static.ts';
import type { PluginsConfig } from '../router/config.ts';
import { PluginRouter } from '../router/router.ts';
import type { PluginCallRecord } from '../router/types.ts';

export interface Plugins {
  router: PluginRouter;
  /** host:port of the Registry RPC, when plugins.registry.listen is set */
  registryAddress: string | undefined;
  close(): Promise<void>;
}

const orUndefined = (s: string): string | undefined => (s === '' ? undefined : s);

/**
 * Starts the router and its discovery. The router exists even with no
 * discovery configured: a plugin sink then waits in the outbox (retryable
 * "no instances known") until a config reload adds some, instead of failing.
 */
export async function startPlugins(cfg: PluginsConfig, deps: { kc: k8s.KubeConfig; log: Logger; onCall?: (r: PluginCallRecord) => void }): Promise<Plugins> {
  const log = deps.log.child({ component: 'plugins' });
  const t = cfg.tls;
  const tlsOn = t.caFile !== '' || t.certFile !== '' || t.keyFile !== '' || t.serverName !== '';
  const router = new PluginRouter({
    ...(tlsOn ? { tls: { caFile: orUndefined(t.caFile), certFile: orUndefined(t.certFile), keyFile: orUndefined(t.keyFile), serverName: orUndefined(t.serverName) } } : {}),
    insecure: cfg.insecure,
    maxMessageBytes: cfg.maxMessageBytes,
    callTimeoutMs: cfg.callTimeoutSeconds * 1000,
    healthIntervalMs: cfg.healthCheck.intervalSeconds * 1000,
    unhealthyThreshold: cfg.healthCheck.unhealthyThreshold,
    healthyThreshold: cfg.healthCheck.healthyThreshold,
    consecutiveFailures: cfg.outlierDetection.consecutiveFailures,
    baseEjectionMs: cfg.outlierDetection.baseEjectionSeconds * 1000,
    maxEjectionPercent: cfg.outlierDetection.maxEjectionPercent,
    maxAttemptsPerDelivery: cfg.maxAttemptsPerDelivery,
    log,
    ...(deps.onCall ? { onCall: deps.onCall } : {}),
  });
  let registry: RegistryServer | undefined;
  try {
    if (cfg.static.length) await router.addSource(staticSource(cfg.static));
    if (cfg.registry.listen) {
      const reg = createRegistry({ ttlMs: cfg.registry.ttlSeconds * 1000, heartbeatIntervalMs: cfg.registry.heartbeatIntervalSeconds * 1000, log });
      await router.addSource(reg.source);
      registry = await serveRegistry({ registry: reg, listen: cfg.registry.listen, tls: cfg.registry.tls, insecure: cfg.registry.insecure, log });
      log.info({ address: registry.address }, 'plugin registry listening');
    }
    if (cfg.kubernetes.enabled) {
      const src = kubernetesSource({ kc: deps.kc, log, ...(cfg.kubernetes.namespaces.length ? { namespaces: cfg.kubernetes.namespaces } : {}), ...(cfg.kubernetes.portName ? { portName: cfg.kubernetes.portName } : {}) });
      // not awaited: an API server that is slow to answer must not hold up the start; the reflector retries on its own
      router.addSource(src).catch((err: Error) => log.error({ err: err.message }, 'plugin discovery through EndpointSlices failed'));
    }
  } catch (err) {
    await registry?.close();
    await router.close();
    throw err;
  }
  return {
    router,
    registryAddress: registry?.address,
    async close() {
      await registry?.close();
      await router.close();
    },
  };
}
