// `kubeherald routes list|test` with `customResources.enabled`: the Routes
// and Sinks in the cluster join the file's, read once without writing
// status, so the listing is the table `run` would use. Every Route comes
// back, in effect or not, with what its status would say is wrong.

import { configSinks } from '../rules/index.ts';
import type { RouteSource } from './routes.ts';
import { silentLogger } from '../model/logger.ts';

const quiet = silentLogger;
const READ_TIMEOUT_MS = 15_000;

export const crdRouteSource: RouteSource = async ({ config, kubeconfig, context }) => {
  if (!config.customResources.enabled) return { routes: [], sinks: [] };
  // the Kubernetes client loads only when the custom resources are read
  const [{ loadKubeConfig }, { CrdController }] = await Promise.all([import('../cluster/connect.ts'), import('../crd/controller.ts')]);
  const kc = loadKubeConfig({
    kubeconfig: kubeconfig || config.cluster.kubeconfig || undefined,
    context: context || config.cluster.context || undefined,
    inCluster: config.cluster.inCluster,
  });
  // the config's sinks too: a ClusterRoute may name one
  const controller = new CrdController({ kc, namespace: config.customResources.namespace || 'default', log: quiet, writeStatus: false, configSinks: configSinks(config.sinks) });
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      (async () => {
        await controller.start();
        await controller.settled();
      })(),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error('customResources.enabled: the kubeherald.io custom resources could not be read (are the CRDs in deploy/crds/ installed?)')), READ_TIMEOUT_MS);
      }),
    ]);
    const reports = controller.routes();
    return {
      routes: reports.flatMap((r) => (r.spec ? [r.spec] : [])),
      sinks: [...controller.sinks().values()].map((s) => ({ name: s.name, namespace: s.namespace, kind: s.kind })),
      problems: reports.flatMap((r) => r.problems.map((p) => ({ routeId: r.id, field: p.field, reason: p.reason, message: p.message }))),
    };
  } finally {
    clearTimeout(timer);
    controller.stop();
  }
};
