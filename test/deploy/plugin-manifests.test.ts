// deploy/plugins/slack: it renders, its sink file is a valid plugin config,
// and once applied with kubectl (to the simulator) kubeherald's EndpointSlice
// discovery finds its ready pods as `slack` plugin instances on the grpc port.

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import * as k8s from '@kubernetes/client-node';
import { parse, parseAllDocuments, stringify } from 'yaml';
import { parsePluginConfig } from '../../src/plugin/config.ts';
import { kubernetesSource, type KubernetesSource } from '../../src/router/discovery/kubernetes.ts';
import type { PluginEndpoint } from '../../src/router/types.ts';
import { startSim, type Sim } from '../../src/sim/sim.ts';
import { Kubectl } from '../helpers/kubectl.ts';
import { silentLogger } from '../../src/model/logger.ts';

const DIR = join(import.meta.dirname, '..', '..', 'deploy', 'plugins', 'slack');
type Obj = Record<string, any>;
const quiet = silentLogger;

function render(): Promise<Obj[]> {
  return new Promise((resolve, reject) => {
    execFile('kubectl', ['kustomize', DIR], (err, stdout, stderr) => (err ? reject(new Error(stderr)) : resolve(parseAllDocuments(stdout).map((d) => d.toJSON() as Obj))));
  });
}

let objects: Obj[];
let sim: Sim;
let source: KubernetesSource | undefined;

before(async () => {
  objects = await render();
  sim = await startSim({ clockSpeed: 0, bookmarkIntervalMs: 20, nodes: 2 });
});
after(async () => {
  await source?.close();
  await sim?.close();
});

describe('kubectl kustomize deploy/plugins/slack', () => {
  test('a Deployment whose pods serve the slack plugin, found through its labelled Service', () => {
    const kinds = objects.map((o) => `${o.kind}/${o.metadata.name.replace(/-[a-z0-9]{10}$/, '')}`).sort();
    assert.deepEqual(kinds, ['ConfigMap/kubeherald-plugin-slack', 'Deployment/kubeherald-plugin-slack', 'Service/kubeherald-plugin-slack', 'ServiceAccount/kubeherald-plugin-slack']);
    const dep = objects.find((o) => o.kind === 'Deployment')!;
    const c = dep.spec.template.spec.containers[0];
    assert.deepEqual(c.args.slice(0, 4), ['plugin', 'slack', '--listen', ':50051']);
    assert.equal(c.readinessProbe.grpc.service, 'kubeherald.v1.SinkPlugin');
    assert.equal(dep.spec.template.spec.automountServiceAccountToken, false, 'the plugin needs no API access');
    const svc = objects.find((o) => o.kind === 'Service')!;
    assert.equal(svc.metadata.labels['kubeherald.io/plugin'], 'slack');
    assert.equal(svc.spec.ports[0].name, 'grpc');
    const cm = objects.find((o) => o.kind === 'ConfigMap')!;
    const sink = parsePluginConfig('slack', parse(cm.data['sink.yaml']), { file: 'sink.yaml' });
    assert.deepEqual(sink.type === 'slack' && sink.tokenFrom, { env: 'SLACK_BOT_TOKEN' });
    assert.ok(c.env.some((e: Obj) => e.name === 'SLACK_BOT_TOKEN' && e.valueFrom.secretKeyRef.name === 'kubeherald-plugin-slack'));
  });

  test('applied with kubectl, its ready pods are slack plugin instances', async () => {
    const kubectl = new Kubectl(sim.kubeconfig);
    await kubectl.ok(['create', 'namespace', 'kubeherald']);
    await kubectl.ok(['apply', '-f', '-'], objects.map((o) => stringify(o)).join('---\n'));
    const kc = new k8s.KubeConfig();
    kc.loadFromString(sim.kubeconfig);
    let latest: readonly PluginEndpoint[] = [];
    source = kubernetesSource({ kc, log: quiet, namespaces: ['kubeherald'] });
    await source.start((e) => (latest = e));
    for (let i = 0; i < 60 && latest.filter((e) => !e.draining).length < 2; i++) {
      await sim.clock.advance(1000);
      await source.caughtUp(sim.ctx.store.resourceVersion);
    }
    assert.equal(latest.length, 2, JSON.stringify(latest));
    for (const e of latest) {
      assert.equal(e.type, 'slack');
      assert.match(e.address, /^10\.\d+\.\d+\.\d+:50051$/);
      assert.equal(e.draining, undefined);
    }
  });
});
