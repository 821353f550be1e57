// A Sink custom resource of type plugin, end to end: real kubectl applies the
// CRDs, the Sink and a Route to the simulator; the hub makes a remote sink
// from it that delivers through a PluginRouter (static discovery) to a
// webhook plugin served in process, which posts to a local receiver with the
// plugin's own signing secret and the Sink's options. Sinks that try to give
// the plugin credentials are Ready=False at the field. Waits on the hub's
// events and the controller having settled, never on time.

import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { create } from '@bufbuild/protobuf';
import * as k8s from '@kubernetes/client-node';
import { RoutingHub } from '../../src/app/routing.ts';
import { parseConfigText } from '../../src/config/index.ts';
import { type Notification, NotificationSchema, ObjectRefSchema, Severity, State } from '../../src/model/notification.ts';
import { type PluginServer, startPluginServer } from '../../src/plugin/server.ts';
import { staticSource } from '../../src/router/discovery/static.ts';
import { PluginRouter } from '../../src/router/router.ts';
import type { RoutingTable } from '../../src/rules/types.ts';
import { startSim, type Sim } from '../../src/sim/sim.ts';
import { createSink } from '../../src/sinks/index.ts';
import { FakeWebhooks } from '../fakes/webhook.ts';
import { Kubectl } from '../helpers/kubectl.ts';
import { recordingLog } from '../helpers/log.ts';
import { silentLogger } from '../../src/model/logger.ts';

const CRD_DIR = join(import.meta.dirname, '..', '..', 'deploy', 'crds');
// the plugin's own credential: kubeherald never sees it
const SIGNING = 'whsec-plugin-e2e-5d21';
const quiet = silentLogger;
const { entries: logged, log } = recordingLog();

let sim: Sim;
let kubectl: Kubectl;
let fake: FakeWebhooks;
let plugin: PluginServer;
let router: PluginRouter;
let hub: RoutingHub;
let api: k8s.CustomObjectsApi;

const OBJECTS = `
apiVersion: kubeherald.io/v1alpha1
kind: Sink
metadata: {name: relay, namespace: shop}
spec:
  type: plugin
  plugin: webhook
  options:
    template: '{"reason": "{{reason}}", "namespace": "{{involvedObject.namespace}}"}'
  delivery: {rateLimitPerMinute: 0}
---
apiVersion: kubeherald.io/v1alpha1
kind: Route
metadata: {name: rollouts, namespace: shop}
spec:
  match: {kinds: [Deployment], reasons: [RolloutCompleted]}
  sinks: [{name: relay}]
---
apiVersion: kubeherald.io/v1alpha1
kind: ClusterSink
metadata: {name: ops-chat}
spec:
  type: plugin
  plugin: slack
  target: {name: "#ops"}
  options: {threads: false}
---
apiVersion: kubeherald.io/v1alpha1
kind: Sink
metadata: {name: with-creds, namespace: shop}
spec:
  type: plugin
  plugin: webhook
  credentials: {token: {secretKeyRef: {name: hook, key: token}}}
---
apiVersion: kubeherald.io/v1alpha1
kind: Sink
metadata: {name: secret-option, namespace: shop}
spec:
  type: plugin
  plugin: webhook
  options: {secretFrom: {env: MY_SECRET}}
`;

function note(reason: string, namespace: string): Notification {
  return create(NotificationSchema, {
    idempotencyKey: `${namespace}/${reason}/${Math.random()}`,
    reason,
    severity: Severity.INFO,
    state: State.FIRING,
    message: `Deployment web: ${reason}`,
    involvedObject: create(ObjectRefSchema, { apiVersion: 'apps/v1', kind: 'Deployment', namespace, name: 'web' }),
  });
}

function nextTable(pred: (t: RoutingTable) => boolean): Promise<RoutingTable> {
  if (pred(hub.table())) return Promise.resolve(hub.table());
  return new Promise((resolve) => {
    const off = hub.onChange((t) => {
      if (pred(t)) {
        off();
        resolve(t);
      }
    });
  });
}

async function ready(plural: string, name: string, namespace?: string): Promise<{ status: string; reason: string; message: string }> {
  const o = (
    namespace
      ? await api.getNamespacedCustomObject({ group: 'kubeherald.io', version: 'v1alpha1', namespace, plural, name })
      : await api.getClusterCustomObject({ group: 'kubeherald.io', version: 'v1alpha1', plural, name })
  ) as { status?: { conditions?: { type: string; status: string; reason: string; message: string }[] } };
  const c = o.status?.conditions?.find((x) => x.type === 'Ready');
  assert.ok(c, `${plural}/${name}: no Ready condition`);
  return { status: c.status, reason: c.reason, message: c.message };
}

before(async () => {
  sim = await startSim({ clockSpeed: 0 });
  fake = await FakeWebhooks.start({ secret: SIGNING });
  plugin = await startPluginServer({ type: 'webhook', base: { urls: [fake.url('/plugin')], timeoutSeconds: 5, allow: { options: ['template'] } }, listen: '127.0.0.1:0', log: quiet, env: { KUBEHERALD_WEBHOOK_SECRET: SIGNING } });
  router = new PluginRouter({ log: quiet });
  await router.addSource(staticSource([{ type: 'webhook', addresses: [plugin.address] }]));
  kubectl = new Kubectl(sim.kubeconfig);
  await kubectl.ok(['apply', '-k', CRD_DIR]);
  await kubectl.ok(['apply', '-f', '-'], ['shop', 'kubeherald'].map((ns) => `apiVersion: v1\nkind: Namespace\nmetadata: {name: ${ns}}\n`).join('---\n'));
  await kubectl.ok(['apply', '-f', '-'], OBJECTS);
  const kc = new k8s.KubeConfig();
  kc.loadFromString(sim.kubeconfig);
  api = kc.makeApiClient(k8s.CustomObjectsApi);
  hub = await RoutingHub.start({
    config: parseConfigText('sinks: [{name: out, type: console}]', 'e2e.yaml'),
    kc,
    crds: true,
    namespace: 'kubeherald',
    log,
    // what herald does: the plugin router lent to every sink it creates
    createSink: (cfg, deps) => createSink(cfg, { ...deps, router }),
    controller: { debounceMs: 20 },
  });
  await nextTable((t) => t.routes.some((r) => r.id === 'Route/shop/rollouts') && hub.sinkMap().has('Sink/shop/relay') && hub.sinkMap().has('ClusterSink/ops-chat'));
  await hub.controller!.settled();
});

after(async () => {
  await hub?.close();
  await router?.close();
  await plugin?.close();
  await fake?.close();
  await sim?.close();
});

test('kubectl shows a plugin Sink with its type; the API server keeps its options as written', async () => {
  assert.match(await kubectl.ok(['get', 'sinks', '-n', 'shop']), /\nrelay\s+plugin\s+True\s+/);
  const o = JSON.parse(await kubectl.ok(['get', 'clustersink', 'ops-chat', '-o', 'json'])) as { spec: unknown };
  assert.deepEqual(o.spec, { type: 'plugin', plugin: 'slack', target: { name: '#ops' }, options: { threads: false } });
  assert.deepEqual(await ready('sinks', 'relay', 'shop'), { status: 'True', reason: 'Accepted', message: 'plugin sink ready' });
  assert.deepEqual(await ready('clustersinks', 'ops-chat'), { status: 'True', reason: 'Accepted', message: 'plugin sink ready' });
});

test('a notification routed to the plugin Sink goes through the router to the plugin, with the Sink’s options and the plugin’s own secret', async () => {
  const n = note('RolloutCompleted', 'shop');
  const sinks = hub.route(n);
  assert.deepEqual(
    sinks.map((s) => s.id),
    ['Sink/shop/relay'],
  );
  assert.equal(sinks[0].type, 'webhook');
  await sinks[0].send(n);
  const got = fake.accepted('/plugin');
  assert.equal(got.length, 1);
  assert.equal(got[0].verified, true);
  // the template came from spec.options, over the plugin's own config
  assert.deepEqual(got[0].body, { reason: 'RolloutCompleted', namespace: 'shop' });
  // a repeat of the same delivery (a retry) is dropped by the plugin, not posted twice
  await sinks[0].send(n);
  assert.equal(fake.accepted('/plugin').length, 1);
});

test('a plugin Sink whose plugin type has no instances is started; its deliveries wait (retryable)', async () => {
  const s = hub.sinkMap().get('ClusterSink/ops-chat')!;
  assert.equal(s.type, 'slack');
  await assert.rejects(s.send(note('Anything', 'shop')), { kind: 'retryable', message: /^slack plugin: delivery .* not sent: no instances known$/ });
});

test('credentials on a plugin Sink, or in its options, are refused at the field: Ready=False, never started', async () => {
  assert.deepEqual(await ready('sinks', 'with-creds', 'shop'), {
    status: 'False',
    reason: 'InvalidSpec',
    message: "spec.credentials: not allowed for a plugin sink: credentials belong to the plugin's own Secret (its environment or files), never to kubeherald",
  });
  assert.deepEqual(await ready('sinks', 'secret-option', 'shop'), {
    status: 'False',
    reason: 'InvalidSpec',
    message: "spec.options.secretFrom: looks like a credential: credentials belong to the plugin's own Secret, and options are sent with every delivery",
  });
  assert.equal(hub.sinkMap().has('Sink/shop/with-creds'), false);
  assert.equal(hub.sinkMap().has('Sink/shop/secret-option'), false);
  assert.equal(JSON.stringify(logged).includes(SIGNING), false, 'the plugin’s secret reached kubeherald’s log');
});

test('editing the plugin Sink’s options with kubectl apply gives it a new instance that uses them', async () => {
  const before = hub.sinkMap().get('Sink/shop/relay');
  const changed = nextTable(() => hub.sinkMap().get('Sink/shop/relay') !== before && hub.sinkMap().has('Sink/shop/relay'));
  await kubectl.ok(['apply', '-f', '-'], OBJECTS.split('---')[0].replace('"namespace": "{{involvedObject.namespace}}"', '"edited": true'));
  await changed;
  const n = note('RolloutCompleted', 'shop');
  await hub.route(n)[0].send(n);
  const got = fake.accepted('/plugin');
  assert.equal(got.length, 2);
  assert.deepEqual(got[1].body, { reason: 'RolloutCompleted', edited: true });
});
