// `kubeherald routes list|test` with `customResources.enabled`: the Routes
// and Sinks in the cluster join the file's, read once without writing
// status, so the listing is the table `run` would use.

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
  const controller = new CrdController({ kc, namespace: config.customResources.namespace || 'default', log: quiet, writeStatus: false });
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
    const table = controller.current();
    return {
      routes: table.routes.filter((r) => r.source !== 'config'),
      sinks: [...controller.sinks().values()].map((s) => ({ name: s.name, namespace: s.namespace, kind: s.kind })),
    };
  } finally {
    clearTimeout(timer);
    controller.stop();
  }
};
