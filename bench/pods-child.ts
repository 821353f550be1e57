// One measurement for bench/pods.ts, in a process of its own so one mode's
// garbage is not counted against the other: a Listener caches every pod of
// the cluster (trimmed, or whole as a `payload: pod` webhook sink needs
// them), then the heap and RSS are read after a full collection.
// argv: <trimmed|whole> <kubeconfig file> <pods expected>

import * as k8s from '@kubernetes/client-node';
import { Listener } from '../src/cluster/listener.ts';
import { DEFAULT_DETECTORS } from '../src/detect/config.ts';
import { silentLogger } from '../src/model/logger.ts';

const [mode, kubeconfig, expected] = process.argv.slice(2);
const MB = 2 ** 20;
const gc = (): void => {
  // twice: the first pass may only move objects to the old generation
  global.gc?.();
  global.gc?.();
};

const kc = new k8s.KubeConfig();
kc.loadFromFile(kubeconfig);
gc();
const base = process.memoryUsage();
const listener = new Listener({
  kc,
  log: silentLogger,
  wholePods: () => mode === 'whole',
  config: {
    cluster: 'bench',
    namespaceAllowed: () => true,
    eventsApi: 'core',
    extraResources: [],
    watchdogSeconds: 300,
    pageSize: 500,
    detectors: DEFAULT_DETECTORS,
  },
});
await listener.start();
const pods = listener.reflectors.find((r) => r.spec.kind === 'Pod')!;
if (pods.size < Number(expected)) throw new Error(`only ${pods.size} of ${expected} pods cached`);
gc();
const cached = process.memoryUsage();
const jsonBytes = pods.list().reduce((sum, p) => sum + Buffer.byteLength(JSON.stringify(p)), 0);
listener.stop();
process.stdout.write(
  JSON.stringify({
    pods: pods.size,
    rssMB: Math.round((cached.rss / MB) * 10) / 10,
    heapMB: Math.round((cached.heapUsed / MB) * 10) / 10,
    heapDeltaMB: Math.round(((cached.heapUsed - base.heapUsed) / MB) * 10) / 10,
    jsonBytesPerPod: Math.round(jsonBytes / pods.size),
  }) + '\n',
);
process.exit(0);
