// A pod shaped like a typical production Deployment's (an app container and
// a sidecar, each with env, resources, probes, mounts and a security
// context; config, secret and token volumes; affinity; the labels and
// annotations tooling adds), for measuring what caching pods whole costs
// with pods bigger than the storm's minimal ones.

import { applyCreateDefaults } from '../src/sim/defaults.ts';
import { PODS } from '../src/sim/refs.ts';
import { stormPod } from '../src/sim/scenarios/storm.ts';
import type { KObject } from '../src/sim/types.ts';

const env = (prefix: string, n: number): { name: string; value: string }[] =>
  Array.from({ length: n }, (_, k) => ({ name: `${prefix}_SETTING_${k}`, value: `value-${k}-${'x'.repeat(16)}` }));

function container(name: string, image: string, port: number): Record<string, unknown> {
  const probe = { httpGet: { path: '/healthz', port, scheme: 'HTTP' }, initialDelaySeconds: 5, periodSeconds: 10, timeoutSeconds: 1, successThreshold: 1, failureThreshold: 3 };
  return {
    name,
    image,
    imagePullPolicy: 'IfNotPresent',
    ports: [{ name: 'http', containerPort: port, protocol: 'TCP' }],
    env: [...env(name.toUpperCase(), 12), { name: 'POD_NAME', valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.name' } } }],
    envFrom: [{ configMapRef: { name: `${name}-config` } }],
    resources: { requests: { cpu: '250m', memory: '256Mi' }, limits: { cpu: '1', memory: '512Mi' } },
    livenessProbe: probe,
    readinessProbe: probe,
    securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, runAsNonRoot: true, runAsUser: 10001, capabilities: { drop: ['ALL'] } },
    volumeMounts: [
      { name: 'config', mountPath: '/etc/app', readOnly: true },
      { name: 'tls', mountPath: '/etc/tls', readOnly: true },
      { name: 'tmp', mountPath: '/tmp' },
    ],
    terminationMessagePath: '/dev/termination-log',
    terminationMessagePolicy: 'FallbackToLogsOnError',
  };
}

export function richPod(namespace: string, i: number, nodes: number, now: string): KObject {
  const pod = stormPod(namespace, i, nodes, now);
  const status = pod.status as { containerStatuses: Record<string, unknown>[] };
  const running = status.containerStatuses[0];
  pod.metadata = {
    ...pod.metadata,
    name: `rich-${String(i).padStart(5, '0')}`,
    generateName: 'checkout-7c9d8f6b5-',
    labels: { app: 'checkout', 'app.kubernetes.io/name': 'checkout', 'app.kubernetes.io/part-of': 'shop', 'app.kubernetes.io/version': '2.14.3', 'pod-template-hash': '7c9d8f6b5', team: 'payments' },
    annotations: { 'prometheus.io/scrape': 'true', 'prometheus.io/port': '9090', 'kubectl.kubernetes.io/restartedAt': now, 'checksum/config': 'a'.repeat(64) },
    ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'checkout-7c9d8f6b5', uid: '0a9b8c7d-6e5f-4a3b-2c1d-0e9f8a7b6c5d', controller: true, blockOwnerDeletion: true }],
  };
  const spec = pod.spec as Record<string, unknown>;
  spec.containers = [container('app', 'ghcr.io/shop/checkout:2.14.3', 8080), container('proxy', 'envoyproxy/envoy:v1.31.2', 9901)];
  spec.volumes = [
    { name: 'config', configMap: { name: 'checkout-config', defaultMode: 420 } },
    { name: 'tls', secret: { secretName: 'checkout-tls', defaultMode: 420 } },
    { name: 'tmp', emptyDir: { sizeLimit: '64Mi' } },
  ];
  spec.affinity = {
    podAntiAffinity: {
      preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 100, podAffinityTerm: { labelSelector: { matchLabels: { app: 'checkout' } }, topologyKey: 'kubernetes.io/hostname' } }],
    },
  };
  spec.securityContext = { fsGroup: 10001, seccompProfile: { type: 'RuntimeDefault' } };
  spec.topologySpreadConstraints = [{ maxSkew: 1, topologyKey: 'topology.kubernetes.io/zone', whenUnsatisfiable: 'ScheduleAnyway', labelSelector: { matchLabels: { app: 'checkout' } } }];
  applyCreateDefaults(PODS.storage, pod);
  pod.status = status;
  status.containerStatuses = (spec.containers as { name: string; image: string }[]).map((c, k) => ({ ...running, name: c.name, image: c.image, containerID: `containerd://${String(i).padStart(8, '0')}${k}${'f'.repeat(55)}` }));
  return pod;
}
