// `kubectl apply -k` of deploy/ and of each overlay in examples/overlays/,
// with the real kubectl and its client-side validation on, against the
// simulated cluster: every rendered object ends up in the cluster, the
// state claim is Bound, and every Deployment's pods are Ready.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { parse, parseAllDocuments } from 'yaml';
import { startSim, type Sim } from '../../src/sim/sim.ts';
import { Kubectl, pollKubectl } from '../helpers/kubectl.ts';

const ROOT = join(import.meta.dirname, '..', '..');
type Obj = Record<string, any>;

const SHAPES: { name: string; dir: string; deployments: Record<string, number> }[] = [
  { name: 'single binary (deploy/)', dir: 'deploy', deployments: { kubeherald: 1 } },
  {
    name: 'listener plus separately scaled sink plugins',
    dir: 'examples/overlays/with-plugins',
    deployments: { kubeherald: 1, 'kubeherald-plugin-slack': 3 },
  },
  { name: 'audit webhook wired', dir: 'examples/overlays/audit-webhook', deployments: { kubeherald: 1 } },
];

// The Secrets the docs say to create before applying (values are placeholders).
const SECRETS: [string, string[]][] = [
  ['kubeherald-plugin-slack', ['--from-literal=token=xoxb-placeholder']],
  ['kubeherald-plugin-slack-tls', ['--from-literal=tls.crt=x', '--from-literal=tls.key=x', '--from-literal=ca.crt=x']],
  ['kubeherald-plugin-client-tls', ['--from-literal=tls.crt=x', '--from-literal=tls.key=x', '--from-literal=ca.crt=x']],
  ['kubeherald-audit-tls', ['--from-literal=tls.crt=x', '--from-literal=tls.key=x', '--from-literal=ca.crt=x']],
];

const key = (o: Obj): string => `${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}`;

const sims: Sim[] = [];
after(async () => {
  for (const sim of sims) await sim.close();
});

describe('kubectl apply -k', () => {
  for (const shape of SHAPES) {
    test(`${shape.name}: applies with validation, every object is there, the pods are Ready`, async () => {
      // a fast clock: image pulls and container starts take cluster seconds
      const sim = await startSim({ clockSpeed: 50 });
      sims.push(sim);
      const kubectl = new Kubectl(sim.kubeconfig);
      const dir = join(ROOT, shape.dir);

      await kubectl.ok(['create', 'namespace', 'kubeherald']);
      for (const [name, args] of SECRETS) await kubectl.ok(['-n', 'kubeherald', 'create', 'secret', 'generic', name, ...args]);

      const applied = await kubectl.run(['apply', '-k', dir, '--validate=strict']);
      assert.equal(applied.code, 0, `kubectl apply -k ${shape.dir}:\n${applied.stderr}`);
      assert.doesNotMatch(applied.stderr, /openapi|error/i);

      const rendered = parseAllDocuments(await kubectl.ok(['kustomize', dir])).map((d) => d.toJSON() as Obj);
      const live = JSON.parse(await kubectl.ok(['get', '-k', dir, '-o', 'json'])).items as Obj[];
      assert.deepEqual(live.map(key).sort(), rendered.map(key).sort());
      for (const o of rendered) assert.match(applied.stdout, new RegExp(`/${o.metadata.name} (created|configured)`), key(o));

      const pvc = JSON.parse(await kubectl.ok(['-n', 'kubeherald', 'get', 'pvc', 'kubeherald-state', '-o', 'json']));
      assert.equal(pvc.status.phase, 'Bound');
      const pv = JSON.parse(await kubectl.ok(['get', 'pv', pvc.spec.volumeName, '-o', 'json']));
      assert.equal(pv.spec.claimRef.uid, pvc.metadata.uid);

      for (const [name, replicas] of Object.entries(shape.deployments)) {
        await kubectl.ok(['-n', 'kubeherald', 'rollout', 'status', `deployment/${name}`, '--timeout=300s']);
        const d = JSON.parse(await kubectl.ok(['-n', 'kubeherald', 'get', 'deployment', name, '-o', 'json']));
        assert.equal(d.status.readyReplicas, replicas, name);
        const selector = Object.entries(d.spec.selector.matchLabels as Record<string, string>).map(([k, v]) => `${k}=${v}`).join(',');
        const pods = JSON.parse(await kubectl.ok(['-n', 'kubeherald', 'get', 'pods', '-l', selector, '-o', 'json'])).items as Obj[];
        assert.equal(pods.length, replicas, name);
        for (const p of pods) {
          const ready = (p.status.conditions as Obj[]).find((c) => c.type === 'Ready');
          assert.equal(ready?.status, 'True', p.metadata.name);
        }
      }

      // applying again changes nothing
      const again = await kubectl.ok(['apply', '-k', dir]);
      assert.doesNotMatch(again, / (created|configured)$/m);
    });
  }

  test('a Deployment whose claim is missing stays Pending with the scheduler\'s reason, and starts once the claim is bound', async () => {
    const sim = await startSim({ clockSpeed: 50 });
    sims.push(sim);
    const kubectl = new Kubectl(sim.kubeconfig);
    const rendered = parseAllDocuments(await kubectl.ok(['kustomize', join(ROOT, 'deploy')])).map((d) => d.toJSON() as Obj);
    const withoutClaim = rendered.filter((o) => o.kind !== 'PersistentVolumeClaim');
    await kubectl.ok(['apply', '-f', '-'], withoutClaim.map((o) => JSON.stringify(o)).join('\n'));
    const pending = await pollKubectl(async () => {
      const pods = JSON.parse(await kubectl.ok(['-n', 'kubeherald', 'get', 'pods', '-o', 'json'])).items as Obj[];
      const cond = pods[0]?.status?.conditions?.find((c: Obj) => c.type === 'PodScheduled');
      return cond?.status === 'False' ? cond : undefined;
    });
    assert.match(pending.message, /persistentvolumeclaim "kubeherald-state" not found/);
    await kubectl.ok(['apply', '-f', '-'], JSON.stringify(rendered.find((o) => o.kind === 'PersistentVolumeClaim')));
    await kubectl.ok(['-n', 'kubeherald', 'rollout', 'status', 'deployment/kubeherald', '--timeout=300s']);
  });

  test('the audit overlay\'s config is the base\'s plus audit:', () => {
    const base = parse(readFileSync(join(ROOT, 'deploy', 'kubeherald.yaml'), 'utf8'));
    const overlay = parse(readFileSync(join(ROOT, 'examples', 'overlays', 'audit-webhook', 'kubeherald.yaml'), 'utf8'));
    assert.equal(overlay.audit.enabled, true);
    assert.match(overlay.audit.tls.certFile, /^\/etc\/kubeherald-audit\/tls\//);
    // the base carries audit: too (off, with the address the Service reaches); the overlay's replaces it whole
    delete overlay.audit;
    delete base.audit;
    assert.deepEqual(overlay, base, 'copy the base\'s deploy/kubeherald.yaml changes into the overlay');
  });
});
