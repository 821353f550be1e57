// The Deployment probes kubeherald where it serves them: health.listen in the
// rendered config is the container's `health` port, the probes ask /healthz
// and /readyz there, and the pod's termination grace period outlasts run's
// own grace period for deliveries in flight.

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { test } from 'node:test';
import { parseAllDocuments } from 'yaml';
import { parseConfigText } from '../../src/config/index.ts';

type Obj = Record<string, any>;

test('deploy/: the probes reach /healthz and /readyz on health.listen; the pod waits out the drain', async () => {
  const stdout = await new Promise<string>((resolve, reject) =>
    execFile('kubectl', ['kustomize', join(import.meta.dirname, '..', '..', 'deploy')], { maxBuffer: 16 * 1024 * 1024 }, (err, out, stderr) => (err ? reject(new Error(stderr)) : resolve(out))),
  );
  const objects = parseAllDocuments(stdout).map((d) => d.toJSON() as Obj);
  const dep = objects.find((o) => o.kind === 'Deployment' && o.metadata.name === 'kubeherald')!;
  const cm = objects.find((o) => o.kind === 'ConfigMap' && o.metadata.name.startsWith('kubeherald-config'))!;
  const config = parseConfigText(cm.data['kubeherald.yaml'], 'deploy/kubeherald.yaml');
  const pod = dep.spec.template.spec;
  const [c] = pod.containers;
  const port = c.ports.find((p: Obj) => p.name === 'health');
  assert.ok(port, 'a port named health');
  assert.equal(Number(config.health.listen.split(':').pop()), port.containerPort);
  // the kubelet probes the pod's IP: the listener must not be loopback-only
  assert.match(config.health.listen, /^0\.0\.0\.0:/);
  assert.deepEqual(c.livenessProbe.httpGet, { path: '/healthz', port: 'health' });
  assert.deepEqual(c.startupProbe.httpGet, { path: '/healthz', port: 'health' });
  assert.deepEqual(c.readinessProbe.httpGet, { path: '/readyz', port: 'health' });
  // `kubeherald run --grace-period` defaults to 25 s
  assert.ok(pod.terminationGracePeriodSeconds > 25, `terminationGracePeriodSeconds ${pod.terminationGracePeriodSeconds} outlasts run's 25 s grace period`);
});
