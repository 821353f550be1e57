// The routing controller end to end: real kubectl applies the CRDs, Sinks,
// Routes and Secrets to the simulator; the controller watches them, compiles
// the table, and writes status. Waits on onChange and on the controller
// having settled, never on time.

import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { create } from '@bufbuild/protobuf';
import * as k8s from '@kubernetes/client-node';
import { CrdController } from '../../src/crd/controller.ts';
import { type Notification, NotificationSchema, ObjectRefSchema, Severity, State } from '../../src/model/notification.ts';
import type { RoutingTable } from '../../src/rules/types.ts';
import { startSim, type Sim } from '../../src/sim/sim.ts';
import { Kubectl } from '../helpers/kubectl.ts';
import { silentLogger } from '../../src/model/logger.ts';

const CRD_DIR = join(import.meta.dirname, '..', '..', 'deploy', 'crds');
const warnings: string[] = [];
const log = { ...silentLogger, error: (_o: object, m: string) => void warnings.push(m), warn: (_o: object, m: string) => void warnings.push(m) };

let sim: Sim;
let kubectl: Kubectl;
let controller: CrdController;
let api: k8s.CustomObjectsApi;
let waiters: { pred: (t: RoutingTable) => boolean; resolve: (t: RoutingTable) => void }[] = [];

function waitTable(pred: (t: RoutingTable) => boolean): Promise<RoutingTable> {
  if (pred(controller.current())) return Promise.resolve(controller.current());
  return new Promise((resolve) => waiters.push({ pred, resolve }));
}

const b64 = (s: string) => Buffer.from(s).toString('base64');

const OBJECTS = `
apiVersion: v1
kind: Secret
metadata: {name: slack, namespace: shop, labels: {kubeherald.io/sink-credentials: "true"}}
data: {token: ${b64('xoxb-real-token\n')}}
---
apiVersion: v1
kind: Secret
metadata: {name: db, namespace: shop}
data: {password: ${b64('another-apps-db-password')}, hidden-key-name: ${b64('x')}}
---
apiVersion: v1
kind: Secret
metadata: {name: named, namespace: shop, annotations: {kubeherald.io/sinks: "other-hook, hook-by-name"}}
data: {token: ${b64('named-token')}}
---
apiVersion: v1
kind: Secret
metadata: {name: es, namespace: kubeherald}
data: {apiKey: ${b64('es-key')}}
---
apiVersion: kubeherald.io/v1alpha1
kind: Sink
metadata: {name: deploys, namespace: shop}
spec:
  type: slack
  target: {channel: "#deploys"}
  credentials: {token: {secretKeyRef: {name: slack, key: token}}}
---
apiVersion: kubeherald.io/v1alpha1
kind: Sink
metadata: {name: leaky, namespace: shop}
spec:
  type: slack
  target: {channel: "#leaks"}
  credentials: {token: {value: xoxb-leaked-inline}}
---
apiVersion: kubeherald.io/v1alpha1
kind: Sink
metadata: {name: pending, namespace: shop}
spec:
  type: telegram
  target: {chatId: "-1001234567890"}
  credentials: {token: {secretKeyRef: {name: telegram, key: token}}}
---
apiVersion: kubeherald.io/v1alpha1
kind: Sink
metadata: {name: theirs, namespace: other}
spec: {type: webhook, target: {url: "https://theirs.example/hook"}}
---
apiVersion: kubeherald.io/v1alpha1
kind: ClusterSink
metadata: {name: es}
spec:
  type: elasticsearch
  target: {url: "https://es.example:9200"}
  credentials: {apiKey: {secretKeyRef: {name: es, key: apiKey}}}
---
apiVersion: kubeherald.io/v1alpha1
kind: ClusterRoute
metadata: {name: everything}
spec: {order: -10, continue: true, sinks: [{name: es, kind: ClusterSink}]}
---
apiVersion: kubeherald.io/v1alpha1
kind: Route
metadata: {name: rollouts, namespace: shop}
spec:
  match: {kinds: [Deployment], reasons: [RolloutCompleted]}
  sinks: [{name: deploys}]
---
apiVersion: kubeherald.io/v1alpha1
kind: Route
metadata: {name: bad-cel, namespace: shop}
spec:
  match: {cel: 'reasn == "OOMKilled"'}
  sinks: [{name: deploys}]
---
apiVersion: kubeherald.io/v1alpha1
kind: Route
metadata: {name: steal, namespace: shop}
spec:
  sinks: [{name: theirs, namespace: other}]
---
apiVersion: kubeherald.io/v1alpha1
kind: Route
metadata: {name: via-leaky, namespace: shop}
spec:
  sinks: [{name: leaky}]
`;

function note(reason: string, namespace: string, kind = 'Deployment', name = 'web'): Notification {
  return create(NotificationSchema, {
    reason,
    severity: Severity.INFO,
    state: State.FIRING,
    involvedObject: create(ObjectRefSchema, { apiVersion: 'apps/v1', kind, namespace, name }),
  });
}

const PLURALS: Record<string, string> = { route: 'routes', sink: 'sinks', clusterroute: 'clusterroutes', clustersink: 'clustersinks' };

// status reads go through client-node (kubectl takes ~0.3 s a call); writes and table output use kubectl
async function statusOf(kind: string, name: string, namespace?: string): Promise<{ generation: number; status: any }> {
  const plural = PLURALS[kind];
  const o = (namespace
    ? await api.getNamespacedCustomObject({ group: 'kubeherald.io', version: 'v1alpha1', namespace, plural, name })
    : await api.getClusterCustomObject({ group: 'kubeherald.io', version: 'v1alpha1', plural, name })) as { metadata: { generation: number }; status?: unknown };
  return { generation: o.metadata.generation, status: o.status ?? {} };
}

async function ready(kind: string, name: string, namespace?: string): Promise<{ type: string; status: string; reason: string; message: string; observedGeneration: number; lastTransitionTime: string }> {
  const { status } = await statusOf(kind, name, namespace);
  return status.conditions?.find((c: { type: string }) => c.type === 'Ready');
}

before(async () => {
  sim = await startSim({ clockSpeed: 0 });
  kubectl = new Kubectl(sim.kubeconfig);
  await kubectl.ok(['apply', '-k', CRD_DIR]);
  await kubectl.ok(['apply', '-f', '-'], ['shop', 'other', 'kubeherald'].map((ns) => `apiVersion: v1\nkind: Namespace\nmetadata: {name: ${ns}}\n`).join('---\n'));
  const kc = new k8s.KubeConfig();
  kc.loadFromString(sim.kubeconfig);
  api = kc.makeApiClient(k8s.CustomObjectsApi);
  controller = new CrdController({
    kc,
    namespace: 'kubeherald',
    log,
    debounceMs: 20,
    secretRetryMs: 50,
    onChange: (t) => {
      waiters = waiters.filter((w) => (w.pred(t) ? (w.resolve(t), false) : true));
    },
  });
  await controller.start();
  await kubectl.ok(['apply', '-f', '-'], OBJECTS);
  await waitTable((t) => t.routes.some((r) => r.id === 'Route/shop/rollouts') && t.problems.some((p) => p.routeId === 'Route/shop/via-leaky'));
  await controller.settled();
});

after(async () => {
  await controller?.stop();
  await sim?.close();
});

test('valid Sinks and Routes are Ready and route; the namespace boundary holds', async () => {
  const t = controller.current();
  assert.deepEqual(t.match(note('RolloutCompleted', 'shop')).sinks, ['ClusterSink/es', 'Sink/shop/deploys']);
  // a Route only sees its own namespace's notifications
  assert.deepEqual(t.match(note('RolloutCompleted', 'other')).sinks, ['ClusterSink/es']);

  const { lastTransitionTime, ...cond } = await ready('route', 'rollouts', 'shop');
  assert.deepEqual(cond, { type: 'Ready', status: 'True', reason: 'Accepted', message: 'routes to deploys', observedGeneration: 1 });
  assert.match(lastTransitionTime, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  const s = await statusOf('route', 'rollouts', 'shop');
  assert.equal(s.status.observedGeneration, 1);
  assert.equal(s.status.sinks, 'deploys');
  assert.equal((await ready('sink', 'deploys', 'shop')).status, 'True');
  assert.equal((await ready('clustersink', 'es')).status, 'True');
  assert.equal((await ready('clusterroute', 'everything')).message, 'routes to ClusterSink/es');

  // credentials are resolved for the router, trimmed, and nowhere else
  const sink = controller.sinks().get('Sink/shop/deploys')!;
  assert.deepEqual(sink.credentials, { token: 'xoxb-real-token' });
  // unset in the Sink: the pipeline's defaults for its type apply (test/app/durable-policies.test.ts)
  assert.equal(sink.delivery.rateLimitPerMinute, undefined);
  assert.deepEqual(controller.sinks().get('ClusterSink/es')!.credentials, { apiKey: 'es-key' });

  const table = await kubectl.ok(['get', 'routes', '-n', 'shop']);
  assert.match(table, /\nrollouts\s+deploys\s+True\s+\d+s\n/);
});

test('an invalid CEL expression: Ready=False naming spec.match.cel; the other routes keep working', async () => {
  const c = await ready('route', 'bad-cel', 'shop');
  assert.equal(c.status, 'False');
  assert.equal(c.reason, 'InvalidCEL');
  assert.match(c.message, /^spec\.match\.cel: .*reasn/);
  assert.equal(controller.current().routes.some((r) => r.id === 'Route/shop/bad-cel'), false);
});

test('a Sink with an inline secret: Ready=False naming the field, the value never repeated', async () => {
  const c = await ready('sink', 'leaky', 'shop');
  assert.equal(c.status, 'False');
  assert.equal(c.reason, 'InlineSecret');
  assert.equal(c.message, 'spec.credentials.token.value: inline secret values are not allowed: credentials are read from Secrets only (secretKeyRef: {name, key})');
  assert.equal(controller.sinks().has('Sink/shop/leaky'), false);
  // a route using it says why
  const r = await ready('route', 'via-leaky', 'shop');
  assert.equal(r.status, 'False');
  assert.equal(r.reason, 'SinkNotReady');
  assert.match(r.message, /^spec\.sinks\[0\]: Sink shop\/leaky is not Ready: spec\.credentials\.token\.value: inline secret/);
  const everything = JSON.stringify(warnings) + JSON.stringify((await statusOf('sink', 'leaky', 'shop')).status);
  assert.equal(everything.includes('xoxb-leaked-inline'), false);
  assert.equal(everything.includes('xoxb-real-token'), false);
});

test('a Route pointing at another namespace’s Sink: Ready=False, SinkNotAllowed at spec.sinks[0]', async () => {
  const c = await ready('route', 'steal', 'shop');
  assert.equal(c.status, 'False');
  assert.equal(c.reason, 'SinkNotAllowed');
  assert.match(c.message, /^spec\.sinks\[0\]: /);
  assert.deepEqual(controller.current().match(note('Anything', 'shop', 'Pod')).sinks, ['ClusterSink/es']);
});

test('a missing Secret: Ready=False naming the secretKeyRef, then Ready once the Secret exists', async () => {
  const c = await ready('sink', 'pending', 'shop');
  assert.equal(c.status, 'False');
  assert.equal(c.reason, 'SecretNotFound');
  assert.equal(c.message, 'spec.credentials.token.secretKeyRef: Secret "telegram" not found in namespace "shop"');
  const appeared = waitTable(() => controller.sinks().has('Sink/shop/pending'));
  await kubectl.ok(['create', 'secret', 'generic', 'telegram', '-n', 'shop', '--from-literal=token=123:abc']);
  // a Secret that has not opted in is not used, and none of its keys is named
  // the controller learns of the Secret from its watch: until then the status still says it is missing
  let refused = await ready('sink', 'pending', 'shop');
  while (refused.reason === 'SecretNotFound') {
    await controller.refresh();
    await controller.settled();
    refused = await ready('sink', 'pending', 'shop');
  }
  assert.equal(refused.reason, 'SecretNotAllowed');
  assert.doesNotMatch(refused.message, /\btoken\b(?!\.)/);
  await kubectl.ok(['label', 'secret', 'telegram', '-n', 'shop', 'kubeherald.io/sink-credentials=true']);
  await appeared;
  await controller.settled();
  assert.equal((await ready('sink', 'pending', 'shop')).status, 'True');
});

test('an edit takes effect without a restart, and status follows the new generation', async (ctx) => {
  const failed = note('ProgressDeadlineExceeded', 'shop');
  assert.deepEqual(controller.current().match(failed).sinks, ['ClusterSink/es']);
  const t0 = performance.now();
  const changed = waitTable((t) => t.match(failed).sinks.includes('Sink/shop/deploys'));
  await kubectl.ok(['patch', 'route', 'rollouts', '-n', 'shop', '--type=merge', '-p', '{"spec":{"match":{"reasons":["ProgressDeadlineExceeded"]}}}']);
  // awaited, not timed (a kubectl spawn on a loaded machine is no verdict on the controller)
  const t = await changed;
  ctx.diagnostic(`in force ${Math.round(performance.now() - t0)} ms after kubectl patch was started`);
  assert.deepEqual(t.match(note('RolloutCompleted', 'shop')).sinks, ['ClusterSink/es']);
  await controller.settled();
  const s = await statusOf('route', 'rollouts', 'shop');
  assert.equal(s.generation, 2);
  assert.equal(s.status.observedGeneration, 2);
  assert.equal(s.status.conditions[0].observedGeneration, 2);
});

test('deleting a Route removes it from the table; fixing one makes it Ready', async () => {
  const gone = waitTable((t) => !t.problems.some((p) => p.routeId === 'Route/shop/steal'));
  await kubectl.ok(['delete', 'route', 'steal', '-n', 'shop']);
  await gone;
  const fixed = waitTable((t) => t.routes.some((r) => r.id === 'Route/shop/bad-cel'));
  await kubectl.ok(['patch', 'route', 'bad-cel', '-n', 'shop', '--type=merge', '-p', '{"spec":{"match":{"cel":"reason == \\"OOMKilled\\""}}}']);
  await fixed;
  await controller.settled();
  const c = await ready('route', 'bad-cel', 'shop');
  assert.equal(c.status, 'True');
  assert.equal(c.observedGeneration, 2);
});

test('matched/delivered counters reach status when flushed', async () => {
  controller.countMatched('Route/shop/rollouts', 3);
  controller.countDelivered('Route/shop/rollouts', 2);
  controller.countDelivered('Sink/shop/deploys', 2);
  await controller.flushCounters();
  const r = await statusOf('route', 'rollouts', 'shop');
  assert.equal(r.status.matched, 3);
  assert.equal(r.status.delivered, 2);
  assert.equal(r.status.conditions[0].status, 'True');
  controller.countMatched('Route/shop/rollouts');
  await controller.flushCounters();
  assert.equal((await statusOf('route', 'rollouts', 'shop')).status.matched, 4);
  assert.equal((await statusOf('sink', 'deploys', 'shop')).status.delivered, 2);
  const wide = await kubectl.ok(['get', 'routes', 'rollouts', '-n', 'shop', '-o', 'wide']);
  assert.match(wide, /\nrollouts\s+deploys\s+True\s+Accepted\s+4\s+2\s+/);
});

test('a Route’s group reaches the table with the sinks it adds; a dimension that does not exist is refused by the CRD’s schema', async () => {
  const route = (by: string) =>
    ['apiVersion: kubeherald.io/v1alpha1', 'kind: Route', 'metadata: {name: crash-loops, namespace: shop}', 'spec:', '  match: {reasons: [CrashLoopBackOff]}', '  sinks: [{name: deploys}]', `  group: {by: [${by}], waitSeconds: 30}`, ''].join('\n');
  const grouped = waitTable((t) => t.routes.some((r) => r.id === 'Route/shop/crash-loops'));
  await kubectl.ok(['apply', '-f', '-'], route('owner'));
  const r = (await grouped).match(note('CrashLoopBackOff', 'shop', 'Pod', 'web-1'));
  assert.deepEqual(r.sinks, ['ClusterSink/es', 'Sink/shop/deploys']);
  assert.deepEqual(r.groups, { 'Sink/shop/deploys': { route: 'Route/shop/crash-loops', by: ['owner'], waitSeconds: 30 } });
  await controller.settled();
  assert.equal((await ready('route', 'crash-loops', 'shop')).status, 'True');

  const refused = await kubectl.run(['apply', '-f', '-'], route('pod'));
  assert.notEqual(refused.code, 0);
  assert.match(refused.stderr, /spec\.group\.by\[0\]: Invalid value: "pod"/);
  assert.deepEqual(controller.current().match(note('CrashLoopBackOff', 'shop', 'Pod', 'web-1')).groups, r.groups);
});

test('a Route naming a Sink that does not exist: Ready=False UnknownSink with the Sink meant; Ready and routing once the Sink is created', async () => {
  const route = ['apiVersion: kubeherald.io/v1alpha1', 'kind: Route', 'metadata: {name: pager, namespace: shop}', 'spec:', '  match: {reasons: [NodeNotReady]}', '  sinks: [{name: deploy}]', ''].join('\n');
  const left = waitTable((t) => t.problems.some((p) => p.routeId === 'Route/shop/pager'));
  await kubectl.ok(['apply', '-f', '-'], route);
  await left;
  await controller.settled();
  const c = await ready('route', 'pager', 'shop');
  assert.deepEqual([c.status, c.reason, c.message], ['False', 'UnknownSink', 'spec.sinks[0]: no Sink "deploy" in namespace "shop"; did you mean "deploys"?']);
  // the Sink may come later: creating it is a change the controller watches, and the Route is evaluated again
  const usable = waitTable((t) => t.routes.some((r) => r.id === 'Route/shop/pager'));
  await kubectl.ok(['apply', '-f', '-'], ['apiVersion: kubeherald.io/v1alpha1', 'kind: Sink', 'metadata: {name: deploy, namespace: shop}', 'spec: {type: webhook, target: {url: "https://hooks.example/deploy"}}', ''].join('\n'));
  const t = await usable;
  assert.deepEqual(t.match(note('NodeNotReady', 'shop', 'Pod', 'web-1')).sinks, ['ClusterSink/es', 'Sink/shop/deploy']);
  await controller.settled();
  assert.deepEqual((({ status, reason, message }) => ({ status, reason, message }))(await ready('route', 'pager', 'shop')), { status: 'True', reason: 'Accepted', message: 'routes to deploy' });
});

test('a Route matching a reason or kind nothing produces still routes, its Ready condition warning of it with the word meant; strict leaves it out', async () => {
  const route = ['apiVersion: kubeherald.io/v1alpha1', 'kind: Route', 'metadata: {name: typo, namespace: shop}', 'spec:', '  match: {kinds: [Deploymnet], reasons: [RolloutComplete]}', '  sinks: [{name: deploys}]', ''].join('\n');
  const added = waitTable((t) => t.routes.some((r) => r.id === 'Route/shop/typo'));
  await kubectl.ok(['apply', '-f', '-'], route);
  await added;
  await controller.settled();
  const kind = 'spec.match.kinds[0]: "Deploymnet" is not a kind kubeherald watches or sees Kubernetes events about; did you mean "Deployment"?';
  const reason = `spec.match.reasons[0]: "RolloutComplete" is not a reason kubeherald's detectors or Kubernetes' own components give; did you mean "RolloutCompleted"?`;
  const c = await ready('route', 'typo', 'shop');
  assert.deepEqual([c.status, c.reason, c.message], ['True', 'AcceptedWithWarnings', `routes to deploys; warning: ${kind}; ${reason}`]);
  assert.ok(warnings.some((w) => w.startsWith('Route ready, with warnings: spec.match.kinds[0]')), 'logged once as a warning');
  const report = controller.routes().find((r) => r.id === 'Route/shop/typo')!;
  assert.deepEqual([report.problems, report.warnings.map((w) => w.reason)], [[], ['UnknownKind', 'UnknownReason']]);

  // --strict: the same Route is left out (a second controller that only reads)
  const kc = new k8s.KubeConfig();
  kc.loadFromString(sim.kubeconfig);
  const strict = new CrdController({ kc, namespace: 'kubeherald', log: silentLogger, writeStatus: false, strict: true });
  try {
    await strict.start();
    await strict.settled();
    assert.equal(strict.current().routes.some((r) => r.id === 'Route/shop/typo'), false);
    assert.ok(strict.current().routes.some((r) => r.id === 'Route/shop/rollouts'), 'the other Routes are in effect');
    const left = strict.routes().find((r) => r.id === 'Route/shop/typo')!;
    assert.deepEqual(left.problems.map((p) => `${p.reason} ${p.field}`), ['UnknownKind spec.match.kinds[0]', 'UnknownReason spec.match.reasons[0]']);
  } finally {
    await strict.stop();
  }
  await kubectl.ok(['delete', 'route', 'typo', '-n', 'shop']);
});

test('a tenant Sink is held to least authority: no files, no internal addresses, only Secrets that opted in; a ClusterSink keeps full reach', async () => {
  const sink = (name: string, spec: string, kind = 'Sink') =>
    ['apiVersion: kubeherald.io/v1alpha1', `kind: ${kind}`, `metadata: {name: ${name}${kind === 'Sink' ? ', namespace: shop' : ''}}`, `spec: ${spec}`, ''].join('\n');
  const internal: Record<string, [string, RegExp]> = {
    'to-metadata': ['http://169.254.169.254/latest/meta-data/', /169\.254\.169\.254 is a metadata address/],
    'to-apiserver': ['https://127.0.0.1:6443/', /127\.0\.0\.1 is a loopback address/],
    'to-v6-loopback': ['http://[::1]:8080/', /::1 is a loopback address/],
    'to-private': ['http://10.0.0.1/', /10\.0\.0\.1 is a private address/],
    'to-service': ['https://kubernetes.default.svc/', /kubernetes\.default\.svc is a cluster-service name/],
    'to-hex': ['http://0x7f000001/', /127\.0\.0\.1 is a loopback address/],
    'to-decimal': ['http://2130706433/', /127\.0\.0\.1 is a loopback address/],
    'to-octal': ['http://0177.0.0.1/', /127\.0\.0\.1 is a loopback address/],
    'to-gce-metadata': ['http://metadata.google.internal/', /metadata\.google\.internal is a metadata name/],
    'to-mapped': ['http://[::ffff:127.0.0.1]/', /is a loopback address/],
    'to-cgnat': ['http://100.64.0.1/', /carrier-grade NAT/],
    'to-link-local': ['http://[fe80::1]/', /link-local/],
    'to-unique-local': ['http://[fd12::1]/', /unique-local/],
    'to-localhost': ['http://localhost:9200/', /localhost is a loopback name/],
  };
  const docs = [
    ...Object.entries(internal).map(([name, [url]]) => sink(name, `{type: webhook, target: {url: "${url}"}}`)),
    sink('file', '{type: jsonl, target: {path: /var/lib/kubeherald/state.db}}'),
    sink('stolen', '{type: webhook, target: {url: "https://attacker.example/"}, credentials: {token: {secretKeyRef: {name: db, key: password}}}}'),
    sink('stolen-wrong-key', '{type: webhook, target: {url: "https://attacker.example/"}, credentials: {token: {secretKeyRef: {name: db, key: nope}}}}'),
    sink('hook-by-name', '{type: webhook, target: {url: "https://hooks.example/"}, credentials: {token: {secretKeyRef: {name: named, key: token}}}}'),
    sink('not-named', '{type: webhook, target: {url: "https://hooks.example/"}, credentials: {token: {secretKeyRef: {name: named, key: token}}}}'),
    sink('internal-admin', '{type: webhook, target: {url: "http://10.0.0.1/"}}', 'ClusterSink'),
  ];
  const done = waitTable(() => controller.sinks().has('Sink/shop/hook-by-name') && controller.sinks().has('ClusterSink/internal-admin'));
  await kubectl.ok(['apply', '-f', '-'], docs.join('---\n'));
  await done;
  await controller.settled();
  for (const [name, [, why]] of Object.entries(internal)) {
    const c = await ready('sink', name, 'shop');
    assert.equal(c.status, 'False', name);
    assert.equal(c.reason, 'EgressNotAllowed', name);
    assert.match(c.message, /^spec\.target\.url: /, name);
    assert.match(c.message, why, name);
    assert.match(c.message, /customResources\.egress\.allow/, name);
    assert.ok(!controller.sinks().has(`Sink/shop/${name}`), name);
  }
  const file = await ready('sink', 'file', 'shop');
  assert.equal(file.reason, 'SinkTypeNotAllowed');
  assert.match(file.message, /^spec\.type: a jsonl Sink writes kubeherald's own files/);
  for (const name of ['stolen', 'stolen-wrong-key', 'not-named']) {
    const c = await ready('sink', name, 'shop');
    assert.equal(c.status, 'False', name);
    assert.equal(c.reason, 'SecretNotAllowed', name);
    assert.match(c.message, /kubectl label secret (db|named) -n shop kubeherald\.io\/sink-credentials=true/, name);
    // neither the value nor any key name of a Secret that did not opt in
    assert.doesNotMatch(c.message, /password|hidden-key-name|another-apps/, name);
    assert.ok(!controller.sinks().has(`Sink/shop/${name}`), name);
  }
  assert.doesNotMatch(warnings.join('\n'), /hidden-key-name|another-apps-db-password/);
  assert.deepEqual(controller.sinks().get('Sink/shop/hook-by-name')!.credentials, { token: 'named-token' });
  assert.equal((await ready('clustersink', 'internal-admin')).status, 'True');
});
