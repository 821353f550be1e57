// k8svent's contract, kept: a webhook sink with `payload: pod` sends the pod
// as `kubectl get pod -o json` shows it — every field, not the listener's
// trimmed cache copy. Through startHerald against the simulator: the
// received pod is compared field for field with kubectl's view of the same
// pod at the same resourceVersion.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import * as k8s from '@kubernetes/client-node';
import { type Herald, startHerald } from '../../src/app/herald.ts';
import { parseConfigText } from '../../src/config/index.ts';
import { silentLogger } from '../../src/model/logger.ts';
import { startSim, type Sim } from '../../src/sim/sim.ts';
import { FakeWebhooks } from '../fakes/webhook.ts';
import { simClock } from '../helpers/herald.ts';
import { Kubectl } from '../helpers/kubectl.ts';

const SECRET = 'whsec_pod-payload-secret';

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

/** Every leaf path where two JSON values differ ("spec.containers[0].resources.limits.memory: 128Mi ≠ (missing)"). */
function differences(a: Json | undefined, b: Json | undefined, path = ''): string[] {
  if (a !== null && b !== null && typeof a === 'object' && typeof b === 'object' && Array.isArray(a) === Array.isArray(b)) {
    const keys = Array.isArray(a) ? [...Array(Math.max(a.length, (b as Json[]).length)).keys()].map(String) : [...new Set([...Object.keys(a), ...Object.keys(b)])];
    return keys.flatMap((k) => {
      const at = Array.isArray(a) ? `${path}[${k}]` : path ? `${path}.${k}` : k;
      return differences((a as Record<string, Json>)[k], (b as Record<string, Json>)[k], at);
    });
  }
  const show = (v: Json | undefined): string => (v === undefined ? '(missing)' : JSON.stringify(v));
  return JSON.stringify(a) === JSON.stringify(b) ? [] : [`${path}: ${show(a)} ≠ ${show(b)}`];
}

describe('webhook payload: pod', () => {
  let sim: Sim;
  let hooks: FakeWebhooks;
  let herald: Herald;
  let kubectl: Kubectl;

  before(async () => {
    sim = await startSim({ clockSpeed: 0, bookmarkIntervalMs: 20 });
    kubectl = new Kubectl(sim.kubeconfig);
    hooks = await FakeWebhooks.start({ secret: SECRET, now: () => sim.clock.nowMs() });
    const config = parseConfigText(
      ["state: {path: ':memory:'}", 'sinks:', `  - {name: k8svent, type: webhook, payload: pod, urls: ['${hooks.url('/pods')}']}`].join('\n'),
      'webhook-pod.yaml',
    );
    const kc = new k8s.KubeConfig();
    kc.loadFromString(sim.kubeconfig);
    herald = await startHerald({ config, kc, log: silentLogger, clock: simClock(sim), env: { KUBEHERALD_WEBHOOK_SECRET: SECRET } });
  });

  after(async () => {
    await herald?.stop();
    await hooks?.close();
    await sim?.close();
  });

  it('sends the pod with every field kubectl shows, equal field for field', async () => {
    // a pod that runs but never gets ready: it stays as it is once its NotReady fires
    sim.scenarios.start('pod-notready', { readyAfter: 3600 });
    for (let s = 0; s < 180 && hooks.accepted('/pods').length === 0; s++) {
      await sim.clock.advance(1000);
      await herald.listener.caughtUp(sim.ctx.store.resourceVersion);
      await herald.deliverer.settled();
    }
    await hooks.until(() => hooks.accepted('/pods').length > 0);
    const [received] = hooks.accepted('/pods');
    assert.equal(received.verified, true);
    const sent = (received.body as { pod: Json & { metadata: { name: string; namespace: string; resourceVersion: string } } }).pod;

    const shown = JSON.parse(await kubectl.ok(['get', 'pod', sent.metadata.name, '-n', sent.metadata.namespace, '-o', 'json'])) as Json & { metadata: { resourceVersion: string } };
    assert.equal(sent.metadata.resourceVersion, shown.metadata.resourceVersion, 'the pod did not change after it was notified');
    assert.deepEqual(differences(sent, shown), []);

    // what the listener's trimming used to drop is there
    const spec = (sent as unknown as { spec: Record<string, unknown> & { containers: Record<string, unknown>[] } }).spec;
    for (const key of ['dnsPolicy', 'terminationGracePeriodSeconds', 'schedulerName', 'securityContext', 'tolerations']) assert.ok(key in spec, `spec.${key} is missing`);
    for (const key of ['imagePullPolicy', 'terminationMessagePolicy', 'terminationMessagePath', 'readinessProbe', 'resources']) assert.ok(key in spec.containers[0], `spec.containers[0].${key} is missing`);
    assert.ok(!('managedFields' in (sent as { metadata: object }).metadata), 'managedFields are left out, as kubectl leaves them out');
  });
});
