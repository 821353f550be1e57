// The several-replica overlay (examples/overlays/ha, docs/ha.md): rendered
// with the real `kubectl kustomize`, it runs two replicas rolled one at a
// time with no state volume, reads PostgreSQL's password only through a
// secretKeyRef, and may touch Leases (get, create, update) in its own
// namespace only. Applied with kubectl to the simulated cluster, both pods
// become Ready, the PodDisruptionBudget counts them and refuses the
// eviction that would leave none, and `kubectl auth can-i` as the service
// account answers as the Role says.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import * as k8s from '@kubernetes/client-node';
import { parse, parseAllDocuments } from 'yaml';
import { resolveLeaderElection } from '../../src/cluster/leader-election-config.ts';
import { parseConfigText } from '../../src/config/index.ts';
import { isPostgresUrl } from '../../src/store/config.ts';
import { startSim, type Sim } from '../../src/sim/sim.ts';
import { type CanICheck, Kubectl, pollKubectl, wrongCanI } from '../helpers/kubectl.ts';

const ROOT = join(import.meta.dirname, '..', '..');
const HA = join(ROOT, 'examples', 'overlays', 'ha');
const SA = 'system:serviceaccount:kubeherald:kubeherald';
const LEASES = 'leases.coordination.k8s.io';
type Obj = Record<string, any>;

let objects: Obj[];
const find = (kind: string, name?: string): Obj[] => objects.filter((o) => o.kind === kind && (!name || o.metadata.name === name));
const deployment = (): Obj => find('Deployment', 'kubeherald')[0];
const podLabels = (): Record<string, string> => deployment().spec.template.metadata.labels;
const matches = (selector: Record<string, string>, labels: Record<string, string>): boolean =>
  Object.keys(selector).length > 0 && Object.entries(selector).every(([k, v]) => labels[k] === v);

before(async () => {
  // no cluster is needed to render
  const kubectl = new Kubectl('apiVersion: v1\nkind: Config\n');
  objects = parseAllDocuments(await kubectl.ok(['kustomize', HA])).map((d) => d.toJSON() as Obj);
});

describe('kubectl kustomize examples/overlays/ha', () => {
  test('two replicas, rolled one at a time (a new pod before an old one goes), spread over nodes where it can', () => {
    const dep = deployment();
    assert.equal(dep.spec.replicas, 2);
    assert.deepEqual(dep.spec.strategy, { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } });
    const anti = dep.spec.template.spec.affinity.podAntiAffinity;
    assert.equal(anti.requiredDuringSchedulingIgnoredDuringExecution, undefined, 'preferred only: one node still runs both');
    const [term] = anti.preferredDuringSchedulingIgnoredDuringExecution;
    assert.equal(term.podAffinityTerm.topologyKey, 'kubernetes.io/hostname');
    assert.ok(matches(term.podAffinityTerm.labelSelector.matchLabels, podLabels()), 'the anti-affinity selects its own pods');
  });

  test('no state volume: no claim rendered, none mounted', () => {
    assert.deepEqual(find('PersistentVolumeClaim'), []);
    const pod = deployment().spec.template.spec;
    assert.equal(pod.volumes.some((v: Obj) => v.persistentVolumeClaim), false);
    const names = new Set(pod.volumes.map((v: Obj) => v.name));
    for (const m of pod.containers[0].volumeMounts) assert.ok(names.has(m.name), `mount ${m.mountPath} has its volume`);
    assert.equal(pod.containers[0].volumeMounts.some((m: Obj) => m.mountPath === '/var/lib/kubeherald'), false);
  });

  test('the config: the base\'s with state.url in place of state.path, a URL that carries no password; the Lease in the Role\'s namespace, held by the pod\'s name', () => {
    const [cm] = find('ConfigMap');
    // kubeherald's own reading: PostgreSQL, and leader election on (auto: the state is shared)
    const loaded = parseConfigText(cm.data['kubeherald.yaml'], 'examples/overlays/ha/kubeherald.yaml');
    assert.ok(isPostgresUrl(loaded.state.url));
    // in the pod: the in-cluster kubeconfig's namespace is the pod's, POD_NAME its name (the Deployment's env)
    const kc = new k8s.KubeConfig();
    kc.loadFromOptions({
      clusters: [{ name: 'in-cluster', server: 'https://10.96.0.1:443' }],
      users: [{ name: 'sa' }],
      contexts: [{ name: 'in-cluster', cluster: 'in-cluster', user: 'sa', namespace: 'kubeherald' }],
      currentContext: 'in-cluster',
    });
    const election = resolveLeaderElection(loaded.leaderElection, { kc, stateUrl: loaded.state.url, customResourcesNamespace: loaded.customResources.namespace, env: { POD_NAME: 'kubeherald-7d9f-x2x4' } });
    assert.ok(election, 'leader election is on when the state is shared');
    assert.deepEqual([election.namespace, election.name, election.identity], [find('Role', 'kubeherald-leader-election')[0].metadata.namespace, 'kubeherald', 'kubeherald-7d9f-x2x4'], 'the Lease is where the Role grants it');
    const config = parse(cm.data['kubeherald.yaml']);
    const url = new URL(config.state.url);
    assert.equal(url.protocol, 'postgres:');
    assert.equal(url.password, '');
    assert.ok(url.username && url.pathname.length > 1, 'a user and a database');
    // the rest is the base's: a change there must be copied here
    const base = parse(readFileSync(join(ROOT, 'deploy', 'kubeherald.yaml'), 'utf8'));
    delete base.state.path;
    delete config.state.url;
    assert.deepEqual(config, base, 'copy the base\'s deploy/kubeherald.yaml changes into the overlay');
  });

  test('the password reaches the pod only through a secretKeyRef to the generated Secret, never as a literal', () => {
    const [c] = deployment().spec.template.spec.containers;
    const env = new Map<string, Obj>(c.env.map((e: Obj) => [e.name, e]));
    const pw = env.get('KUBEHERALD_STATE_PASSWORD')!;
    assert.equal(pw.value, undefined);
    const [secret] = find('Secret');
    assert.match(secret.metadata.name, /^kubeherald-postgres-[a-z0-9]+$/);
    assert.deepEqual(pw.valueFrom, { secretKeyRef: { name: secret.metadata.name, key: 'password' } }, 'the hashed name is wired in');
    assert.equal(secret.metadata.namespace, 'kubeherald');
    const password = Buffer.from(secret.data.password, 'base64').toString();
    const [cm] = find('ConfigMap');
    for (const o of [deployment(), cm]) assert.equal(JSON.stringify(o).includes(password), false, `${o.kind} holds the password`);
    assert.equal(c.envFrom, undefined, 'no Secret poured whole into the environment');
    assert.deepEqual(env.get('POD_NAME')!.valueFrom, { fieldRef: { fieldPath: 'metadata.name' } });
  });

  test('a PodDisruptionBudget of one available selects the pods; the NetworkPolicy lets PostgreSQL out', () => {
    const [pdb] = find('PodDisruptionBudget');
    assert.equal(pdb.metadata.namespace, 'kubeherald');
    assert.equal(pdb.spec.minAvailable, 1);
    assert.ok(matches(pdb.spec.selector.matchLabels, podLabels()));
    const [np] = find('NetworkPolicy');
    assert.ok(np.spec.egress.some((e: Obj) => e.ports.some((p: Obj) => p.port === 5432 && p.protocol === 'TCP')));
  });

  test('Leases: get, create, update, in kubeherald\'s namespace only, bound to its service account', () => {
    const grants = objects
      .filter((o) => o.kind === 'Role' || o.kind === 'ClusterRole')
      .flatMap((o) => (o.rules as Obj[]).filter((r) => r.resources.includes('leases')).map((r) => ({ role: `${o.kind}/${o.metadata.name}`, ...r })));
    assert.deepEqual(grants, [{ role: 'Role/kubeherald-leader-election', apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['get', 'create', 'update'] }]);
    const [role] = find('Role', 'kubeherald-leader-election');
    assert.equal(role.metadata.namespace, 'kubeherald');
    const [binding] = find('RoleBinding', 'kubeherald-leader-election');
    assert.equal(binding.metadata.namespace, 'kubeherald');
    assert.deepEqual(binding.roleRef, { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'kubeherald-leader-election' });
    assert.deepEqual(binding.subjects, [{ kind: 'ServiceAccount', name: 'kubeherald', namespace: 'kubeherald' }]);
  });
});

describe('kubectl apply -k examples/overlays/ha, to the simulated cluster', () => {
  let sim: Sim;
  let kubectl: Kubectl;
  before(async () => {
    // a fast clock: image pulls and container starts take cluster seconds
    sim = await startSim({ clockSpeed: 50 });
    kubectl = new Kubectl(sim.kubeconfig);
    await kubectl.ok(['create', 'namespace', 'kubeherald']);
    const applied = await kubectl.run(['apply', '-k', HA, '--validate=strict']);
    assert.equal(applied.code, 0, `kubectl apply -k examples/overlays/ha:\n${applied.stderr}`);
    assert.doesNotMatch(applied.stderr, /openapi|error/i);
  });
  after(() => sim?.close());

  test('both replicas become Ready; no claim exists; the budget counts them and allows one disruption', async () => {
    await kubectl.ok(['-n', 'kubeherald', 'rollout', 'status', 'deployment/kubeherald', '--timeout=300s']);
    const pods = JSON.parse(await kubectl.ok(['-n', 'kubeherald', 'get', 'pods', '-l', 'app.kubernetes.io/component=controller', '-o', 'json'])).items as Obj[];
    assert.equal(pods.length, 2);
    for (const p of pods) assert.equal(p.status.conditions.find((c: Obj) => c.type === 'Ready')?.status, 'True', p.metadata.name);
    assert.deepEqual(JSON.parse(await kubectl.ok(['-n', 'kubeherald', 'get', 'pvc', '-o', 'json'])).items, []);
    const pdb = await pollKubectl(async () => {
      const o = JSON.parse(await kubectl.ok(['-n', 'kubeherald', 'get', 'pdb', 'kubeherald', '-o', 'json']));
      return o.status?.currentHealthy === 2 ? o : undefined;
    });
    assert.equal(pdb.status.expectedPods, 2);
    assert.equal(pdb.status.disruptionsAllowed, 1);

    // a drain evicts one replica; the other stays until the first is replaced
    const kc = new k8s.KubeConfig();
    kc.loadFromString(sim.kubeconfig);
    const core = kc.makeApiClient(k8s.CoreV1Api);
    const evict = (name: string) => core.createNamespacedPodEviction({ name, namespace: 'kubeherald', body: { metadata: { name, namespace: 'kubeherald' } } });
    await evict(pods[0].metadata.name);
    await assert.rejects(evict(pods[1].metadata.name), (err: Obj) => err.code === 429 && /disruption budget kubeherald/.test(String(err.body)));
  });

  test('kubectl auth can-i, as the service account: Leases in its namespace, and nothing more on them', async () => {
    const checks: CanICheck[] = [
      ...['get', 'create', 'update'].map((verb): CanICheck => [[verb, LEASES, '-n', 'kubeherald'], 'yes']),
      ...['list', 'watch', 'delete', 'patch', 'deletecollection'].map((verb): CanICheck => [[verb, LEASES, '-n', 'kubeherald'], 'no']),
      [['update', LEASES, '-n', 'kube-system'], 'no'],
      [['get', 'secrets', '-n', 'kubeherald'], 'yes'],
      [['list', 'secrets', '-n', 'kubeherald'], 'no'],
    ];
    assert.deepEqual(await wrongCanI(kubectl, SA, checks), []);
  });
});
