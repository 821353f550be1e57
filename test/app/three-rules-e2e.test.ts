// The three rules users asked for, end to end against the simulator with
// real kubectl: "any event → Elasticsearch", "deployment completed →
// #deploys", "a deployment changed by expert@org.com → Telegram". Routes and
// Sinks are custom resources; the user comes from the audit webhook the
// simulator posts to, as kube-apiserver's webhook backend would. The sinks
// are webhooks into one recording receiver, one path per destination: what
// is under test is who gets what.

import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { after, before, test } from 'node:test';
import * as k8s from '@kubernetes/client-node';
import { startAuditFeed, type AuditFeed } from '../../src/app/audit-feed.ts';
import { routesList } from '../../src/cli/routes.ts';
import { crdRouteSource } from '../../src/cli/routes-crd.ts';
import { RoutingHub } from '../../src/app/routing.ts';
import { Listener } from '../../src/cluster/listener.ts';
import { parseConfigText } from '../../src/config/index.ts';
import type { Notification } from '../../src/model/notification.ts';
import { startSim, type Sim } from '../../src/sim/sim.ts';
import { servingCert } from '../../src/sim/tls.ts';
import { FakeWebhooks } from '../fakes/webhook.ts';
import { simClock } from '../helpers/herald.ts';
import { Kubectl } from '../helpers/kubectl.ts';
import { silentLogger } from '../../src/model/logger.ts';

const CRD_DIR = join(import.meta.dirname, '..', '..', 'deploy', 'crds');
const EXPERT = 'expert@org.com';
const quiet = silentLogger;

let sim: Sim;
let hub: RoutingHub;
let audit: AuditFeed;
let listener: Listener;
let fake: FakeWebhooks;
let kubectl: Kubectl;
const sends: Promise<void>[] = [];

async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as { port: number }).port;
  await new Promise((r) => srv.close(r));
  return port;
}

/** what herald does with every notification, whichever source: attribute the user, route, send */
function submit(n: Notification): void {
  audit?.attribute(n);
  for (const sink of hub.route(n)) sends.push(sink.send(n).then(() => hub.delivered(n, sink)));
}

const clusterSink = (name: string, path: string): string => `apiVersion: kubeherald.io/v1alpha1
kind: ClusterSink
metadata: {name: ${name}}
spec:
  type: webhook
  target: {url: "${fake.url(path)}"}`;

const clusterRoute = (name: string, order: number, match: string, sink: string, cont: boolean): string => `apiVersion: kubeherald.io/v1alpha1
kind: ClusterRoute
metadata: {name: ${name}}
spec:
  order: ${order}
  match: ${match}
  sinks: [{name: ${sink}, kind: ClusterSink}]
  continue: ${cont}`;

/** "Reason Kind/name by user" of what one destination accepted */
function got(path: string): string[] {
  return fake.accepted(path).map((r) => {
    const n = r.body as { reason: string; involvedObject: { kind: string; name: string }; user?: { username?: string } };
    return `${n.reason} ${n.involvedObject.kind}/${n.involvedObject.name}${n.user?.username ? ` by ${n.user.username}` : ''}`;
  });
}

/** cluster time passes until `done` holds for what was delivered */
async function until(done: () => boolean, maxSeconds = 120): Promise<void> {
  for (let s = 0; s < maxSeconds && !done(); s++) {
    await sim.clock.advance(1000);
    await listener.caughtUp(sim.ctx.store.resourceVersion);
    await sim.audit!.flush();
    await Promise.all(sends);
  }
}

before(async () => {
  fake = await FakeWebhooks.start();
  const dir = mkdtempSync(join(tmpdir(), 'kubeherald-3rules-'));
  const tls = await servingCert(['127.0.0.1']);
  writeFileSync(join(dir, 'tls.crt'), tls.cert);
  writeFileSync(join(dir, 'tls.key'), tls.key);
  const port = await freePort();
  const config = parseConfigText(
    [
      'cluster: {name: e2e}',
      'sinks: [{name: terminal, type: console}]',
      'customResources: {enabled: true, namespace: kubeherald}',
      'audit:',
      '  enabled: true',
      `  listen: 127.0.0.1:${port}`,
      `  tls: {certFile: ${join(dir, 'tls.crt')}, keyFile: ${join(dir, 'tls.key')}}`,
      '  tokenFrom: {env: AUDIT_TOKEN}',
    ].join('\n'),
    join(dir, 'kubeherald.yaml'),
  );
  audit = (await startAuditFeed(config.audit, { cluster: 'e2e', log: quiet, env: { AUDIT_TOKEN: 'audit-secret' }, onNotification: submit }))!;
  sim = await startSim({ clockSpeed: 0, bookmarkIntervalMs: 20, audit: { url: `${audit.url}/audit`, caCert: tls.cert, token: 'audit-secret', batchMaxWaitMs: 5 } });
  kubectl = new Kubectl(sim.kubeconfig);
  await kubectl.ok(['apply', '-k', CRD_DIR]);
  await kubectl.ok(['create', 'namespace', 'kubeherald']);
  await kubectl.ok(['create', 'namespace', 'shop']);
  await kubectl.ok(['create', 'clusterrolebinding', 'expert-admin', '--clusterrole=cluster-admin', `--user=${EXPERT}`]);
  await kubectl.ok(
    ['apply', '-f', '-'],
    [
      clusterSink('elasticsearch', '/es'),
      clusterSink('deploys', '/deploys'),
      clusterSink('telegram', '/telegram'),
      clusterRoute('everything-to-es', 1, '{}', 'elasticsearch', true),
      clusterRoute('rollouts-to-deploys', 2, '{kinds: [Deployment], reasons: [RolloutCompleted]}', 'deploys', true),
      clusterRoute('expert-to-telegram', 3, `{kinds: [Deployment], users: ["${EXPERT}"]}`, 'telegram', false),
    ].join('\n---\n'),
  );
  const kc = new k8s.KubeConfig();
  kc.loadFromString(sim.kubeconfig);
  hub = await RoutingHub.start({ config, kc, crds: true, namespace: 'kubeherald', log: quiet, stdout: new Writable({ write: (_c, _e, cb) => cb() }) });
  listener = new Listener({
    kc,
    clock: simClock(sim),
    log: quiet,
    onNotification: submit,
    config: {
      cluster: 'e2e',
      namespaceAllowed: () => true,
      eventsApi: 'core',
      extraResources: [],
      watchdogSeconds: 30,
      pageSize: 100,
      detectors: config.detectors,
    },
  });
  await listener.start();
});

after(async () => {
  listener?.stop();
  await hub?.close();
  await sim?.close();
  await audit?.close();
  await fake?.close();
});

test('any event → elasticsearch, deployment completed → deploys, changed by expert@org.com → telegram', async () => {
  assert.deepEqual(hub.table().problems, []);
  assert.deepEqual(
    hub.table().routes.map((r) => r.id),
    ['ClusterRoute/everything-to-es', 'ClusterRoute/rollouts-to-deploys', 'ClusterRoute/expert-to-telegram'],
  );

  // the admin deploys: audited as admin, the rollout completes
  await kubectl.ok(['create', 'deployment', 'web', '--image=nginx:1.27', '--replicas=2', '-n', 'shop']);
  await until(() => got('/deploys').length >= 1);
  // the expert scales it: the audit log names them
  await kubectl.ok(['scale', 'deployment', 'web', '--replicas=3', '-n', 'shop', '--as', EXPERT]);
  await until(() => got('/telegram').length >= 1);
  await until(() => false, 5); // a few more seconds: nothing else may arrive

  // the watch saw the rollout; the audit log lends it the user who started it
  assert.deepEqual(got('/deploys'), ['RolloutCompleted Deployment/web by admin']);
  assert.deepEqual(got('/telegram'), [`Scaled Deployment/web by ${EXPERT}`]);
  const es = got('/es');
  assert.ok(es.includes('Created Deployment/web by admin'), es.join('\n'));
  assert.ok(es.includes('RolloutCompleted Deployment/web by admin'), es.join('\n'));
  assert.ok(es.includes(`Scaled Deployment/web by ${EXPERT}`), es.join('\n'));
});

test('routes list shows the effective table: the custom resources merged with the file', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'kubeherald-routes-list-'));
  writeFileSync(join(dir, 'kc'), sim.kubeconfig);
  writeFileSync(join(dir, 'k.yaml'), 'sinks: [{name: terminal, type: console}]\ncustomResources: {enabled: true, namespace: kubeherald}\n');
  let out = '';
  const sink = new Writable({ write: (c, _e, cb) => ((out += c.toString()), cb()) });
  const code = await routesList({ config: join(dir, 'k.yaml'), kubeconfig: join(dir, 'kc'), output: 'json', sources: [crdRouteSource] }, { stdout: sink, stderr: sink, env: {} });
  assert.equal(code, 0, out);
  const listed = JSON.parse(out) as { routes: { id: string }[] };
  assert.deepEqual(
    listed.routes.map((r) => r.id),
    ['ClusterRoute/everything-to-es', 'ClusterRoute/rollouts-to-deploys', 'ClusterRoute/expert-to-telegram'],
  );
});
