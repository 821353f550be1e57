// The Kustomize base: it renders with `kubectl kustomize deploy/`, holds what
// an installation needs, and its RBAC is least privilege. The RBAC objects
// are applied to the simulator and checked with `kubectl auth can-i` as the
// service account; then the routing controller runs as that service account
// and needs exactly the per-namespace RoleBinding docs/deploy.md describes to
// read a tenant's Sink Secret.

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import * as k8s from '@kubernetes/client-node';
import { parseAllDocuments, stringify } from 'yaml';
import { parseConfigText } from '../../src/config/index.ts';
import { CrdController } from '../../src/crd/controller.ts';
import { startSim, type Sim } from '../../src/sim/sim.ts';
import { type CanICheck, Kubectl, wrongCanI } from '../helpers/kubectl.ts';
import { silentLogger } from '../../src/model/logger.ts';

const DEPLOY = join(import.meta.dirname, '..', '..', 'deploy');
const SA = 'system:serviceaccount:kubeherald:kubeherald';
type Obj = Record<string, any>;

function render(): Promise<Obj[]> {
  return new Promise((resolve, reject) => {
    execFile('kubectl', ['kustomize', DEPLOY], { maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err) return reject(new Error(`kubectl kustomize failed: ${stderr}`));
      resolve(parseAllDocuments(stdout).map((d) => d.toJSON() as Obj));
    });
  });
}

let objects: Obj[];
const find = (kind: string, name?: string) => objects.filter((o) => o.kind === kind && (!name || o.metadata.name === name));

before(async () => {
  objects = await render();
});

describe('kubectl kustomize deploy/', () => {
  test('renders everything an installation needs', () => {
    const kinds = objects.map((o) => `${o.kind}/${o.metadata.name}`).sort();
    assert.deepEqual(
      kinds.filter((k) => !k.startsWith('ConfigMap/')),
      [
        'ClusterRole/kubeherald',
        'ClusterRole/kubeherald-chatops-impersonate',
        'ClusterRole/kubeherald-crash-reports',
        'ClusterRole/kubeherald-sink-secrets',
        'ClusterRoleBinding/kubeherald',
        'ClusterRoleBinding/kubeherald-chatops-impersonate',
        'CustomResourceDefinition/chatidentities.kubeherald.io',
        'CustomResourceDefinition/chatpolicies.kubeherald.io',
        'CustomResourceDefinition/clusterchatpolicies.kubeherald.io',
        'CustomResourceDefinition/clusterroutes.kubeherald.io',
        'CustomResourceDefinition/clustersilences.kubeherald.io',
        'CustomResourceDefinition/clustersinks.kubeherald.io',
        'CustomResourceDefinition/routes.kubeherald.io',
        'CustomResourceDefinition/silences.kubeherald.io',
        'CustomResourceDefinition/sinks.kubeherald.io',
        'Deployment/kubeherald',
        'Namespace/kubeherald',
        'NetworkPolicy/kubeherald',
        'PersistentVolumeClaim/kubeherald-state',
        'Role/kubeherald',
        'RoleBinding/kubeherald',
        'Service/kubeherald-audit',
        'ServiceAccount/kubeherald',
      ],
    );
    for (const o of objects) {
      if (['Namespace', 'ClusterRole', 'ClusterRoleBinding', 'CustomResourceDefinition'].includes(o.kind)) continue;
      assert.equal(o.metadata.namespace, 'kubeherald', `${o.kind}/${o.metadata.name}`);
    }
  });

  test('the Deployment: its service account, image, config, state volume and audit port', () => {
    const [dep] = find('Deployment');
    const pod = dep.spec.template.spec;
    assert.equal(pod.serviceAccountName, 'kubeherald');
    assert.equal(dep.spec.replicas, 1);
    assert.equal(dep.spec.strategy.type, 'Recreate');
    const [c] = pod.containers;
    assert.equal(c.image, 'ghcr.io/kubeherald/kubeherald:0.1.0');
    assert.deepEqual(c.args, ['run', '--config', '/etc/kubeherald/kubeherald.yaml']);
    assert.equal(c.securityContext.readOnlyRootFilesystem, true);
    assert.equal(pod.securityContext.runAsNonRoot, true);
    const volumes = new Map<string, Obj>(pod.volumes.map((v: Obj) => [v.name, v]));
    const cm = find('ConfigMap')[0];
    assert.match(cm.metadata.name, /^kubeherald-config-[a-z0-9]+$/);
    assert.equal(volumes.get('config')!.configMap.name, cm.metadata.name, 'the hashed ConfigMap name is wired in');
    const config = parseConfigText(cm.data['kubeherald.yaml'], 'deploy/kubeherald.yaml');
    assert.equal(config.cluster.inCluster, true);
    assert.equal(volumes.get('state')!.persistentVolumeClaim.claimName, find('PersistentVolumeClaim')[0].metadata.name);
    // the root file system is read-only: the state database must live on the state volume
    const stateMount = c.volumeMounts.find((m: Obj) => m.name === 'state').mountPath;
    assert.ok(config.state.path.startsWith(`${stateMount}/`), `state.path ${config.state.path} is on the volume mounted at ${stateMount}`);
    assert.equal(volumes.get('audit-tls')!.secret.optional, true);
    const [svc] = find('Service');
    assert.equal(svc.spec.ports[0].targetPort, 'audit');
    assert.ok(c.ports.some((p: Obj) => p.name === 'audit' && p.containerPort === 8443));
    for (const [k, v] of Object.entries(svc.spec.selector)) assert.equal(dep.spec.template.metadata.labels[k], v);
  });

  test('plugins: mutual TLS from a mounted Secret; a NetworkPolicy lets in the audit webhook and probes only, and out DNS, the API server, plugins and HTTPS', () => {
    const [dep] = find('Deployment');
    const pod = dep.spec.template.spec;
    const cm = find('ConfigMap')[0];
    const config = parseConfigText(cm.data['kubeherald.yaml'], 'deploy/kubeherald.yaml');
    const mount = pod.containers[0].volumeMounts.find((m: Obj) => m.name === 'plugin-client-tls').mountPath;
    assert.deepEqual(config.plugins.tls, { caFile: `${mount}/ca.crt`, certFile: `${mount}/tls.crt`, keyFile: `${mount}/tls.key`, serverName: 'kubeherald-plugin-{type}.kubeherald.svc' });
    assert.equal(config.plugins.insecure, false);
    assert.equal(pod.volumes.find((v: Obj) => v.name === 'plugin-client-tls').secret.secretName, 'kubeherald-plugin-client-tls');
    const [np] = find('NetworkPolicy');
    for (const [k, v] of Object.entries(np.spec.podSelector.matchLabels)) assert.equal(dep.spec.template.metadata.labels[k], v);
    assert.deepEqual(np.spec.policyTypes, ['Ingress', 'Egress']);
    assert.deepEqual(np.spec.ingress, [{ ports: [{ port: 'audit', protocol: 'TCP' }, { port: 'health', protocol: 'TCP' }] }]);
    const egressPorts = np.spec.egress.flatMap((e: Obj) => e.ports.map((p: Obj) => `${p.port}/${p.protocol}`)).sort();
    assert.deepEqual(egressPorts, ['443/TCP', '50051/TCP', '53/TCP', '53/UDP', '6443/TCP']);
    const toPlugins = np.spec.egress.find((e: Obj) => e.ports.some((p: Obj) => p.port === 50051));
    assert.deepEqual(toPlugins.to, [{ namespaceSelector: {}, podSelector: { matchLabels: { 'app.kubernetes.io/component': 'plugin' } } }]);
  });

  test('RBAC: no wildcards, reads only, status writes only, Secrets only by get and never cluster-wide', () => {
    const rules = (kind: string, name: string): Obj[] => find(kind, name)[0].rules;
    for (const r of [...rules('ClusterRole', 'kubeherald'), ...rules('Role', 'kubeherald'), ...rules('ClusterRole', 'kubeherald-sink-secrets'), ...rules('ClusterRole', 'kubeherald-crash-reports')]) {
      for (const k of ['apiGroups', 'resources', 'verbs']) assert.equal(r[k].includes('*'), false, JSON.stringify(r));
    }
    for (const r of rules('ClusterRole', 'kubeherald')) {
      assert.equal(r.resources.includes('secrets'), false);
      const status = r.resources.every((x: string) => x.endsWith('/status'));
      // namespaces are watched too (a namespace being deleted is a cause that holds back its objects' incidents)
      const expected = status ? ['get', 'update', 'patch'] : ['get', 'list', 'watch'];
      assert.deepEqual(r.verbs, expected, JSON.stringify(r));
    }
    const bindings = [...find('ClusterRoleBinding'), ...find('RoleBinding')];
    assert.deepEqual(bindings.map((b) => b.roleRef.name).sort(), ['kubeherald', 'kubeherald', 'kubeherald-chatops-impersonate'], 'kubeherald-sink-secrets and kubeherald-crash-reports are bound per namespace, never cluster-wide');
    assert.deepEqual(rules('ClusterRole', 'kubeherald-crash-reports'), [{ apiGroups: [''], resources: ['pods/log'], verbs: ['get'] }], 'crash reports: get pods/log and nothing else');
    for (const b of bindings) assert.deepEqual(b.subjects, [{ kind: 'ServiceAccount', name: 'kubeherald', namespace: 'kubeherald' }]);
  });
});

describe('the RBAC in a cluster', () => {
  let sim: Sim;
  let kubectl: Kubectl;
  before(async () => {
    sim = await startSim({ clockSpeed: 0 });
    kubectl = new Kubectl(sim.kubeconfig);
    // what the simulator serves of the base: everything but the workload objects
    const serve = objects.filter((o) => !['Deployment', 'PersistentVolumeClaim', 'Service', 'ConfigMap', 'NetworkPolicy'].includes(o.kind));
    await kubectl.ok(['apply', '-f', '-'], serve.map((o) => stringify(o)).join('---\n'));
  });
  after(() => sim?.close());

  test('kubectl auth can-i, as the service account', async () => {
    const checks: CanICheck[] = [
      [['watch', 'pods', '-A'], 'yes'],
      [['list', 'nodes'], 'yes'],
      [['watch', 'events.events.k8s.io', '-A'], 'yes'],
      [['list', 'deployments.apps', '-A'], 'yes'],
      [['watch', 'routes.kubeherald.io', '-A'], 'yes'],
      [['list', 'clustersinks.kubeherald.io'], 'yes'],
      [['watch', 'endpointslices.discovery.k8s.io', '-A'], 'yes'],
      [['list', 'services', '-A'], 'no'],
      [['patch', 'routes.kubeherald.io', '--subresource=status', '-n', 'shop'], 'yes'],
      [['update', 'routes.kubeherald.io', '-n', 'shop'], 'no'],
      [['delete', 'sinks.kubeherald.io', '-n', 'shop'], 'no'],
      [['get', 'secrets', '-n', 'kubeherald'], 'yes'],
      [['list', 'secrets', '-n', 'kubeherald'], 'no'],
      [['get', 'secrets', '-n', 'shop'], 'no'],
      [['delete', 'pods', '-n', 'shop'], 'no'],
      // one replica on SQLite elects no leader: the Lease rights come with examples/overlays/ha (test/deploy/ha.test.ts)
      [['update', 'leases.coordination.k8s.io', '-n', 'kubeherald'], 'no'],
    ];
    assert.deepEqual(await wrongCanI(kubectl, SA, checks), []);
  });

  test('the controller runs as the service account; a tenant Secret needs the documented RoleBinding', async () => {
    await kubectl.ok(
      ['apply', '-f', '-'],
      `apiVersion: v1
kind: Namespace
metadata: {name: shop}
---
apiVersion: v1
kind: Secret
# opted in for Sinks, as a tenant Sink's Secret must be
metadata: {name: hook, namespace: shop, labels: {kubeherald.io/sink-credentials: "true"}}
stringData: {secret: s3cr3t}
---
apiVersion: kubeherald.io/v1alpha1
kind: Sink
metadata: {name: hook, namespace: shop}
spec:
  type: webhook
  target: {url: "https://hooks.example/k8s"}
  credentials: {signingSecret: {secretKeyRef: {name: hook, key: secret}}}
`,
    );
    const kc = new k8s.KubeConfig();
    kc.loadFromString(sim.kubeconfig);
    // the admin's token, impersonating the service account: every request is authorized as kubeherald
    const user = kc.getCurrentUser()!;
    kc.users = kc.users.map((u) => (u.name === user.name ? { ...u, impersonateUser: SA } : u));
    const controller = new CrdController({ kc, namespace: 'kubeherald', log: silentLogger, debounceMs: 20, secretRetryMs: 50 });
    try {
      await controller.start();
      await controller.settled();
      const ready = async () => {
        const o = (await kc.makeApiClient(k8s.CustomObjectsApi).getNamespacedCustomObject({ group: 'kubeherald.io', version: 'v1alpha1', namespace: 'shop', plural: 'sinks', name: 'hook' })) as Obj;
        return o.status.conditions[0];
      };
      const denied = await ready();
      assert.equal(denied.status, 'False');
      assert.equal(denied.reason, 'SecretForbidden');
      assert.match(denied.message, /^spec\.credentials\.signingSecret\.secretKeyRef: kubeherald may not get Secret "hook" in namespace "shop" \(bind the kubeherald-sink-secrets ClusterRole there/);

      const resolved = new Promise<void>((resolve) => controller.onChange(() => controller.sinks().has('Sink/shop/hook') && resolve()));
      await kubectl.ok(['create', 'rolebinding', 'kubeherald-sink-secrets', '-n', 'shop', '--clusterrole=kubeherald-sink-secrets', '--serviceaccount=kubeherald:kubeherald']);
      await resolved;
      await controller.settled();
      assert.equal((await ready()).status, 'True');
      assert.deepEqual(controller.sinks().get('Sink/shop/hook')!.credentials, { signingSecret: 's3cr3t' });
    } finally {
      await controller.stop();
    }
  });
});
