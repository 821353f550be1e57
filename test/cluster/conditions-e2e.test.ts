// The generic condition detector end to end: a CustomResourceDefinition
// (cert-manager's Certificate, with a status subresource) applied with
// kubectl, watched through watch.resources with `conditions: { Ready:
// "False" }`; objects' conditions written through the status subresource
// with kubectl, the listener on the simulator's clock.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import * as k8s from '@kubernetes/client-node';
import { resolveResources, type ExtraResource } from '../../src/cluster/connect.ts';
import { Listener } from '../../src/cluster/listener.ts';
import { simListenerClock } from '../../src/cli/demo.ts';
import { DEFAULT_DETECTORS } from '../../src/detect/config.ts';
import type { TrackerState } from '../../src/detect/tracker.ts';
import { silentLogger } from '../../src/model/logger.ts';
import { type Notification, State } from '../../src/model/notification.ts';
import { startSim, type Sim } from '../../src/sim/sim.ts';
import { Kubectl } from '../helpers/kubectl.ts';

const CRD = `
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: certificates.cert-manager.io}
spec:
  group: cert-manager.io
  names: {plural: certificates, singular: certificate, kind: Certificate, listKind: CertificateList, shortNames: [cert]}
  scope: Namespaced
  versions:
  - name: v1
    served: true
    storage: true
    subresources: {status: {}}
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec: {type: object, properties: {secretName: {type: string}, dnsNames: {type: array, items: {type: string}}}}
          status:
            type: object
            properties:
              conditions:
                type: array
                items:
                  type: object
                  required: [type, status]
                  properties:
                    type: {type: string}
                    status: {type: string, enum: ["True", "False", "Unknown"]}
                    reason: {type: string}
                    message: {type: string}
                    lastTransitionTime: {type: string, format: date-time}
`;

const cert = (name: string) => `apiVersion: cert-manager.io/v1\nkind: Certificate\nmetadata: {name: ${name}, namespace: shop}\nspec: {secretName: ${name}, dnsNames: [${name}.example.com]}\n`;

let sim: Sim;
let kubectl: Kubectl;
let kc: k8s.KubeConfig;
let extra: ExtraResource[];

before(async () => {
  sim = await startSim({ clockSpeed: 0, bookmarkIntervalMs: 20 });
  kubectl = new Kubectl(sim.kubeconfig);
  await kubectl.ok(['apply', '-f', '-'], CRD);
  await kubectl.ok(['create', 'namespace', 'shop']);
  kc = new k8s.KubeConfig();
  kc.loadFromString(sim.kubeconfig);
  extra = await resolveResources(kc, [{ group: 'cert-manager.io', version: 'v1', resource: 'certificates', conditions: { Ready: 'False' }, minSeconds: 60 }]);
});
after(() => sim?.close());

/** A listener of this simulator, on its clock; conditions notifications only. */
async function listen(initialState?: TrackerState, standby = false): Promise<{ l: Listener; seen: Notification[]; run(seconds: number): Promise<void>; settle(): Promise<void> }> {
  const seen: Notification[] = [];
  const l = new Listener({
    kc,
    clock: simListenerClock(sim),
    log: silentLogger,
    initialState,
    standby,
    onNotification: (n) => {
      if (n.detector === 'conditions') seen.push(n);
    },
    config: { cluster: 'sim', namespaceAllowed: () => true, eventsApi: 'core', extraResources: extra, watchdogSeconds: 30, pageSize: 100, detectors: DEFAULT_DETECTORS },
  });
  await l.start();
  const settle = () => l.caughtUp(sim.ctx.store.resourceVersion);
  return {
    l,
    seen,
    settle,
    async run(seconds) {
      for (let s = 0; s < seconds; s++) {
        await sim.clock.advance(1000);
        await settle();
      }
    },
  };
}

async function setReady(name: string, status: string, reason?: string, message?: string): Promise<void> {
  const condition = { type: 'Ready', status, lastTransitionTime: sim.clock.now().toISOString().replace(/\.\d{3}Z$/, 'Z'), ...(reason ? { reason } : {}), ...(message ? { message } : {}) };
  await kubectl.ok(['patch', 'certificate', name, '-n', 'shop', '--subresource=status', '--type=merge', '-p', JSON.stringify({ status: { conditions: [condition] } })]);
}

const summary = (n: Notification): string => `${State[n.state]} ${n.reason} ${n.involvedObject?.kind}/${n.involvedObject?.name}`;

describe('conditions of a custom resource', () => {
  it('Ready False: FIRING once after minSeconds; a restart with the stored state does not notify again; True: RESOLVED once', async () => {
    await kubectl.ok(['apply', '-f', '-'], cert('web'));
    const a = await listen();
    let state: TrackerState;
    try {
      await setReady('web', 'False', 'DoesNotExist', 'Issuing certificate as Secret does not exist');
      await a.settle();
      await a.run(59);
      assert.deepEqual(a.seen.map(summary), [], 'not before minSeconds');
      await a.run(2);
      assert.deepEqual(a.seen.map(summary), ['FIRING DoesNotExist Certificate/web']);
      const [n] = a.seen;
      assert.equal(n.title, 'Certificate shop/web: Ready is False');
      assert.equal(n.message, 'Issuing certificate as Secret does not exist');
      assert.equal(n.involvedObject?.apiVersion, 'cert-manager.io/v1');
      assert.equal(n.involvedObject?.namespace, 'shop');
      // the object changes (its spec), the condition holds: nothing new
      await kubectl.ok(['patch', 'certificate', 'web', '-n', 'shop', '--type=merge', '-p', '{"spec":{"dnsNames":["web.example.com","www.example.com"]}}']);
      await a.run(5);
      assert.equal(a.seen.length, 1);
      state = a.l.tracker.snapshot();
    } finally {
      a.l.stop();
    }

    const b = await listen(state);
    try {
      await b.run(120);
      assert.deepEqual(b.seen.map(summary), [], 'restarted with the stored state: already notified');
      await setReady('web', 'True', 'Ready', 'Certificate is up to date and has not expired');
      await b.settle();
      await b.run(5);
      assert.deepEqual(b.seen.map(summary), ['RESOLVED DoesNotExist Certificate/web']);
    } finally {
      b.l.stop();
    }
  });

  it('an object deleted while firing resolves; one without a reason is told as ReadyFalse; a status that flips back before minSeconds says nothing', async () => {
    await kubectl.ok(['apply', '-f', '-'], cert('api') + '---\n' + cert('blip'));
    const c = await listen();
    try {
      await setReady('api', 'False');
      await setReady('blip', 'False', 'Pending');
      await c.settle();
      await c.run(30);
      await setReady('blip', 'True', 'Ready');
      await c.run(40);
      assert.deepEqual(c.seen.map(summary), ['FIRING ReadyFalse Certificate/api']);
      assert.equal(c.seen[0].message, 'Certificate shop/api has Ready=False');
      await kubectl.ok(['delete', 'certificate', 'api', '-n', 'shop']);
      await c.settle();
      assert.deepEqual(c.seen.map(summary), ['FIRING ReadyFalse Certificate/api', 'RESOLVED ReadyFalse Certificate/api']);
    } finally {
      c.l.stop();
    }
  });
});

describe('a standby listener (a replica not leading)', () => {
  it('detects nothing while standing by; activated with the leader\'s stored state it tells only what the leader did not', async () => {
    await kubectl.ok(['apply', '-f', '-'], cert('told') + '---\n' + cert('untold') + '---\n' + cert('gone'));
    // the leader: told and gone fire, and it stores that
    const leader = await listen();
    const standby = await listen(undefined, true);
    let state: TrackerState;
    try {
      await setReady('told', 'False', 'Expired');
      await setReady('gone', 'False', 'Expired');
      await leader.settle();
      await leader.run(61);
      assert.deepEqual(leader.seen.map(summary).sort(), ['FIRING Expired Certificate/gone', 'FIRING Expired Certificate/told']);
      state = leader.l.tracker.snapshot();
    } finally {
      // killed: what happens next, no one tells but the standby on taking over
      leader.l.stop();
    }
    try {
      await setReady('untold', 'False', 'Expired');
      await kubectl.ok(['delete', 'certificate', 'gone', '-n', 'shop']);
      await standby.settle();
      await standby.run(70);
      assert.deepEqual(standby.seen.map(summary), [], 'a standby detects nothing');
      assert.equal(standby.l.standby, true);
      standby.l.activate({ initialState: state });
      assert.equal(standby.l.standby, false);
      await standby.settle();
      await standby.run(61);
      // told is not told again; untold fires (its minimum from when it is looked at); gone resolves
      assert.deepEqual(standby.seen.map(summary).sort(), ['FIRING Expired Certificate/untold', 'RESOLVED Expired Certificate/gone']);
      // and from then on it detects as any leader
      await setReady('told', 'True', 'Ready');
      await standby.settle();
      assert.deepEqual(standby.seen.map(summary).slice(2), ['RESOLVED Expired Certificate/told']);
      assert.throws(() => standby.l.activate(), /not standing by/);
    } finally {
      standby.l.stop();
    }
  });
});
