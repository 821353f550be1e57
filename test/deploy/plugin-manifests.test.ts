// deploy/plugins/slack: it renders, its sink file is a valid plugin config,
// and once applied with kubectl (to the simulator) kubeherald's EndpointSlice
// discovery finds its ready pods as `slack` plugin instances on the grpc port.

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import * as k8s from '@kubernetes/client-node';
import { parse, parseAllDocuments, stringify } from 'yaml';
import { checkPluginFlags } from '../../src/cli/plugin.ts';
import { parsePluginConfig, parsePluginSettings } from '../../src/plugin/config.ts';
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
    assert.deepEqual(kinds, ['ConfigMap/kubeherald-plugin-slack', 'Deployment/kubeherald-plugin-slack', 'NetworkPolicy/kubeherald-plugin-slack', 'Service/kubeherald-plugin-slack', 'ServiceAccount/kubeherald-plugin-slack']);
    const dep = objects.find((o) => o.kind === 'Deployment')!;
    const c = dep.spec.template.spec.containers[0];
    assert.deepEqual(c.args.slice(0, 4), ['plugin', 'slack', '--listen', '0.0.0.0:50051']);
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

  test('mutual TLS from a Secret (no plaintext gRPC), probes on the health-only port, a NetworkPolicy', () => {
    const dep = objects.find((o) => o.kind === 'Deployment')!;
    const pod = dep.spec.template.spec;
    const c = pod.containers[0];
    const flag = (name: string): string | undefined => c.args[c.args.indexOf(name) + 1];
    const mount = c.volumeMounts.find((m: Obj) => m.name === 'tls');
    assert.equal(flag('--tls-dir'), mount.mountPath);
    assert.equal(c.args.includes('--insecure'), false);
    const tlsVolume = pod.volumes.find((v: Obj) => v.name === 'tls');
    assert.equal(tlsVolume.secret.secretName, 'kubeherald-plugin-slack-tls');
    assert.equal(tlsVolume.secret.optional, undefined, 'without its certificate the plugin must not start');
    // the same checks the plugin makes at start pass with these flags
    assert.ok(checkPluginFlags({ listen: flag('--listen')!, tlsDir: flag('--tls-dir'), healthListen: flag('--health-listen'), graceSeconds: '30' }));
    const healthPort = Number(flag('--health-listen')!.split(':').at(-1));
    assert.equal(c.readinessProbe.grpc.port, healthPort);
    assert.equal(c.livenessProbe.grpc.port, healthPort);
    const cm = objects.find((o) => o.kind === 'ConfigMap')!;
    const settings = parsePluginSettings('slack', parse(cm.data['sink.yaml']), { file: 'sink.yaml' });
    assert.deepEqual(settings.allow.options, []);
    const np = objects.find((o) => o.kind === 'NetworkPolicy')!;
    assert.deepEqual(np.spec.podSelector.matchLabels, dep.spec.selector.matchLabels);
    assert.deepEqual(np.spec.policyTypes, ['Ingress', 'Egress']);
    const [fromKubeherald, probes] = np.spec.ingress;
    assert.deepEqual(fromKubeherald.from, [{ podSelector: { matchLabels: { 'app.kubernetes.io/name': 'kubeherald', 'app.kubernetes.io/component': 'controller' } } }]);
    assert.deepEqual(fromKubeherald.ports, [{ port: 'grpc', protocol: 'TCP' }]);
    assert.deepEqual(probes.ports, [{ port: 'health', protocol: 'TCP' }]);
    assert.equal(probes.from, undefined);
    const egressPorts = np.spec.egress.flatMap((e: Obj) => e.ports.map((p: Obj) => `${p.port}/${p.protocol}`)).sort();
    assert.deepEqual(egressPorts, ['443/TCP', '53/TCP', '53/UDP']);
    const https = np.spec.egress.find((e: Obj) => e.ports.some((p: Obj) => p.port === 443));
    for (const blocked of ['10.0.0.0/8', '169.254.0.0/16', '127.0.0.0/8']) assert.ok(https.to[0].ipBlock.except.includes(blocked), blocked);
  });

  test('applied with kubectl, its ready pods are slack plugin instances', async () => {
    const kubectl = new Kubectl(sim.kubeconfig);
    await kubectl.ok(['create', 'namespace', 'kubeherald']);
    // the simulator does not serve NetworkPolicy; the policy is checked as rendered above
    await kubectl.ok(['apply', '-f', '-'], objects.filter((o) => o.kind !== 'NetworkPolicy').map((o) => stringify(o)).join('---\n'));
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
