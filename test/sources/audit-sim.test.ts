// End to end: real kubectl, run as admin impersonating expert@org.com, talks
// to the simulator; the simulator posts audit events of those calls to the
// audit source like kube-apiserver's webhook backend; the notifications name
// expert@org.com. Waits on the notifications themselves, never on time.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Notification } from '../../src/model/notification.ts';
import { startSim, type Sim } from '../../src/sim/sim.ts';
import { servingCert } from '../../src/sim/tls.ts';
import { AuditSource } from '../../src/sources/audit.ts';
import { Kubectl } from '../helpers/kubectl.ts';
import { silentLogger } from '../../src/model/logger.ts';

const quiet = silentLogger;
const EXPERT = 'expert@org.com';

let source: AuditSource;
let sim: Sim;
let kubectl: Kubectl;
const got: Notification[] = [];
let waiters: { pred: (n: Notification) => boolean; resolve: (n: Notification) => void }[] = [];

function waitFor(pred: (n: Notification) => boolean): Promise<Notification> {
  const seen = got.find(pred);
  if (seen) return Promise.resolve(seen);
  return new Promise((resolve) => waiters.push({ pred, resolve }));
}

before(async () => {
  const tls = await servingCert(['127.0.0.1']);
  source = new AuditSource({
    host: '127.0.0.1',
    port: 0,
    tls,
    bearerToken: 'audit-token',
    cluster: 'sim',
    log: quiet,
    onNotification: (n) => {
      got.push(n);
      waiters = waiters.filter((w) => (w.pred(n) ? (w.resolve(n), false) : true));
    },
  });
  const url = await source.listen();
  sim = await startSim({ clockSpeed: 0, audit: { url: `${url}/audit`, caCert: tls.cert, token: 'audit-token', batchMaxWaitMs: 20 } });
  kubectl = new Kubectl(sim.kubeconfig);
  await kubectl.ok(['create', 'clusterrolebinding', 'expert-admin', '--clusterrole=cluster-admin', `--user=${EXPERT}`]);
});

after(async () => {
  await sim?.close();
  await source?.close();
});

const about = (reason: string, name = 'web') => (n: Notification) => n.reason === reason && n.involvedObject?.name === name;

test('kubectl --as expert@org.com: create, scale, rollout restart and delete are notified as that user', async () => {
  const as = ['--as', EXPERT, '-n', 'default'];
  await kubectl.ok(['create', 'deployment', 'web', '--image=nginx:1.27', ...as]);
  const created = await waitFor(about('Created'));
  await kubectl.ok(['scale', 'deployment', 'web', '--replicas=3', ...as]);
  const scaled = await waitFor(about('Scaled'));
  await kubectl.ok(['rollout', 'restart', 'deployment/web', ...as]);
  const restarted = await waitFor(about('RolloutRestarted'));
  await kubectl.ok(['delete', 'deployment', 'web', ...as]);
  const deleted = await waitFor(about('Deleted'));

  for (const n of [created, scaled, restarted, deleted]) {
    assert.equal(n.user?.username, EXPERT, n.reason);
    assert.ok(n.user?.groups.includes('system:authenticated'), n.reason);
    assert.equal(n.fields.impersonatedBy, 'admin', n.reason);
    assert.equal(n.involvedObject?.kind, 'Deployment', n.reason);
    assert.equal(n.involvedObject?.apiVersion, 'apps/v1', n.reason);
    assert.equal(n.involvedObject?.namespace, 'default', n.reason);
    assert.match(n.fields.userAgent ?? '', /^kubectl\//, n.reason);
    assert.match(n.fields.auditID ?? '', /^[0-9a-f-]{36}$/, n.reason);
  }
  assert.equal(created.fields.verb, 'create');
  assert.equal(created.fields.responseCode, '201');
  assert.equal(created.fields.requestURI, '/apis/apps/v1/namespaces/default/deployments?fieldManager=kubectl-create&fieldValidation=Strict');
  assert.equal(scaled.fields.subresource, 'scale');
  assert.equal(scaled.fields.replicas, '3');
  assert.equal(scaled.title, `Deployment default/web scaled to 3 by ${EXPERT}`);
  assert.equal(restarted.fields.verb, 'patch');
  assert.match(restarted.fields.restartedAt ?? '', /^\d{4}-\d\d-\d\dT/);
  assert.equal(deleted.fields.verb, 'delete');
  assert.equal(deleted.fields.responseCode, '200');

  // a watched change about the same object at the same time is attributed
  assert.equal(source.attributeUser({ kind: 'Deployment', namespace: 'default', name: 'web' }, sim.clock.now())?.username, EXPERT);
  // the admin's own binding was created without impersonation
  const binding = await waitFor(about('Created', 'expert-admin'));
  assert.equal(binding.user?.username, 'admin');
  assert.equal(binding.fields.impersonatedBy, undefined);
  // reads are not audited by the simulator's default policy, failed writes are not notified
  assert.equal(got.filter((n) => n.fields.verb === 'get' || n.fields.verb === 'list').length, 0);
  assert.equal(sim.audit!.stats.dropped, 0);
});

test('a forbidden write is audited but not notified', async () => {
  const before = source.stats.events;
  const r = await kubectl.run(['create', 'configmap', 'x', '-n', 'default', '--as', 'nobody@org.com']);
  assert.notEqual(r.code, 0);
  await sim.audit!.flush();
  assert.ok(source.stats.events > before);
  assert.equal(got.some((n) => n.user?.username === 'nobody@org.com'), false);
});
