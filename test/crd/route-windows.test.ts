// Route custom resources with time windows, applied with the real kubectl to
// the simulator: a Route naming a time interval the config file defines is
// Ready and muted within it; one naming an undefined interval gets Ready=False
// naming the field, the route and the name, and matches nothing; a bad value
// is refused by the CRD's schema.

import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { create } from '@bufbuild/protobuf';
import * as k8s from '@kubernetes/client-node';
import { CrdController } from '../../src/crd/controller.ts';
import { silentLogger } from '../../src/model/logger.ts';
import { type Notification, NotificationSchema, ObjectRefSchema, Severity, State } from '../../src/model/notification.ts';
import { compileTimeIntervals } from '../../src/rules/index.ts';
import type { RoutingTable } from '../../src/rules/types.ts';
import { startSim, type Sim } from '../../src/sim/sim.ts';
import { Kubectl } from '../helpers/kubectl.ts';

const CRD_DIR = join(import.meta.dirname, '..', '..', 'deploy', 'crds');

let sim: Sim;
let kubectl: Kubectl;
let controller: CrdController;
let api: k8s.CustomObjectsApi;
let waiters: { pred: (t: RoutingTable) => boolean; resolve: (t: RoutingTable) => void }[] = [];

function waitTable(pred: (t: RoutingTable) => boolean): Promise<RoutingTable> {
  if (pred(controller.current())) return Promise.resolve(controller.current());
  return new Promise((resolve) => waiters.push({ pred, resolve }));
}

const OBJECTS = `
apiVersion: kubeherald.io/v1alpha1
kind: Sink
metadata: {name: deploys, namespace: shop}
spec: {type: webhook, target: {url: "https://hooks.example/deploys"}}
---
apiVersion: kubeherald.io/v1alpha1
kind: Route
metadata: {name: rollouts, namespace: shop}
spec:
  match: {reasons: [RolloutCompleted]}
  sinks: [{name: deploys}]
  activeTimeIntervals: [business]
---
apiVersion: kubeherald.io/v1alpha1
kind: Route
metadata: {name: typo, namespace: shop}
spec:
  match: {reasons: [OOMKilled]}
  sinks: [{name: deploys}]
  muteTimeIntervals: [nigth]
`;

function note(reason: string): Notification {
  return create(NotificationSchema, { reason, severity: Severity.INFO, state: State.FIRING, involvedObject: create(ObjectRefSchema, { apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'shop', name: 'web' }) });
}

async function ready(name: string): Promise<{ status: string; reason: string; message: string }> {
  const o = (await api.getNamespacedCustomObject({ group: 'kubeherald.io', version: 'v1alpha1', namespace: 'shop', plural: 'routes', name })) as { status?: { conditions?: { type: string; status: string; reason: string; message: string }[] } };
  return o.status?.conditions?.find((c) => c.type === 'Ready') ?? { status: '', reason: '', message: '' };
}

before(async () => {
  sim = await startSim({ clockSpeed: 0 });
  kubectl = new Kubectl(sim.kubeconfig);
  await kubectl.ok(['apply', '-k', CRD_DIR]);
  await kubectl.ok(['apply', '-f', '-'], 'apiVersion: v1\nkind: Namespace\nmetadata: {name: shop}\n');
  const kc = new k8s.KubeConfig();
  kc.loadFromString(sim.kubeconfig);
  api = kc.makeApiClient(k8s.CustomObjectsApi);
  const { intervals, problems } = compileTimeIntervals([
    { name: 'business', intervals: [{ times: [{ startTime: '08:00', endTime: '20:00' }], location: 'Europe/Berlin' }] },
    { name: 'night', intervals: [{ times: [{ startTime: '22:00', endTime: '06:00' }], location: 'Europe/Berlin' }] },
  ]);
  assert.deepEqual(problems, []);
  controller = new CrdController({
    kc,
    namespace: 'shop',
    log: silentLogger,
    debounceMs: 20,
    timeIntervals: intervals,
    onChange: (t) => {
      waiters = waiters.filter((w) => (w.pred(t) ? (w.resolve(t), false) : true));
    },
  });
  await controller.start();
  await kubectl.ok(['apply', '-f', '-'], OBJECTS);
  await waitTable((t) => t.routes.some((r) => r.id === 'Route/shop/rollouts') && t.problems.some((p) => p.routeId === 'Route/shop/typo'));
  await controller.settled();
});

after(async () => {
  await controller?.stop();
  await sim?.close();
});

test('a Route with activeTimeIntervals is Ready, and sends only within them (Europe/Berlin)', async () => {
  assert.equal((await ready('rollouts')).status, 'True');
  const t = controller.current();
  assert.deepEqual(t.match(note('RolloutCompleted'), Date.parse('2026-12-07T12:00:00+01:00')).sinks, ['Sink/shop/deploys']);
  const r = t.match(note('RolloutCompleted'), Date.parse('2026-12-07T21:00:00+01:00'));
  assert.deepEqual(r.sinks, []);
  assert.equal(r.muted?.['Sink/shop/deploys']?.text, 'outside its active time interval business (Europe/Berlin)');
});

test('a Route naming an undefined time interval: Ready=False naming the field, the route and the name; it matches nothing', async () => {
  const c = await ready('typo');
  assert.deepEqual([c.status, c.reason], ['False', 'UnknownTimeInterval']);
  assert.equal(c.message, 'spec.muteTimeIntervals[0]: route "typo" names time interval "nigth", which is not defined (timeIntervals: business, night)');
  assert.equal(controller.current().routes.some((r) => r.id === 'Route/shop/typo'), false);
  assert.deepEqual(controller.current().match(note('OOMKilled'), Date.parse('2026-12-07T12:00:00+01:00')).sinks, []);
});

test('kubectl: the CRD refuses an empty interval name, naming the field', async () => {
  const bad = ['apiVersion: kubeherald.io/v1alpha1', 'kind: Route', 'metadata: {name: empty, namespace: shop}', 'spec:', '  sinks: [{name: deploys}]', '  activeTimeIntervals: [""]', ''].join('\n');
  const r = await kubectl.run(['apply', '-f', '-'], bad);
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /spec\.activeTimeIntervals\[0\]/);
});
