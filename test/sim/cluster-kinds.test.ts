// The workload family and cluster-operations kinds as the real kubectl sees
// them: `kubectl api-resources` lists each with a 1.32 server's short names,
// group version, scope, verbs and categories; ResourceQuota usage and
// admission ("exceeded quota"), LimitRange defaults, the system
// PriorityClasses, Ingresses, IngressClasses and PodTemplates through
// kubectl's create/get with their real columns.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { RESOURCEQUOTAS } from '../../src/sim/refs.ts';
import { startSim, type Sim } from '../../src/sim/sim.ts';
import { Kubectl } from '../helpers/kubectl.ts';

const NS = 'ops';
const ALL = 'create,delete,deletecollection,get,list,patch,update,watch';

/** name → [shortnames, apiversion, namespaced, kind, verbs, categories] as a 1.32 server lists them. */
const EXPECTED: Record<string, [string, string, string, string, string, string]> = {
  statefulsets: ['sts', 'apps/v1', 'true', 'StatefulSet', ALL, 'all'],
  daemonsets: ['ds', 'apps/v1', 'true', 'DaemonSet', ALL, 'all'],
  controllerrevisions: ['', 'apps/v1', 'true', 'ControllerRevision', ALL, ''],
  jobs: ['', 'batch/v1', 'true', 'Job', ALL, 'all'],
  cronjobs: ['cj', 'batch/v1', 'true', 'CronJob', ALL, 'all'],
  persistentvolumeclaims: ['pvc', 'v1', 'true', 'PersistentVolumeClaim', ALL, ''],
  persistentvolumes: ['pv', 'v1', 'false', 'PersistentVolume', ALL, ''],
  storageclasses: ['sc', 'storage.k8s.io/v1', 'false', 'StorageClass', ALL, ''],
  horizontalpodautoscalers: ['hpa', 'autoscaling/v2', 'true', 'HorizontalPodAutoscaler', ALL, 'all'],
  ingresses: ['ing', 'networking.k8s.io/v1', 'true', 'Ingress', ALL, ''],
  ingressclasses: ['', 'networking.k8s.io/v1', 'false', 'IngressClass', ALL, ''],
  networkpolicies: ['netpol', 'networking.k8s.io/v1', 'true', 'NetworkPolicy', ALL, ''],
  poddisruptionbudgets: ['pdb', 'policy/v1', 'true', 'PodDisruptionBudget', ALL, ''],
  resourcequotas: ['quota', 'v1', 'true', 'ResourceQuota', ALL, ''],
  limitranges: ['limits', 'v1', 'true', 'LimitRange', ALL, ''],
  podtemplates: ['', 'v1', 'true', 'PodTemplate', ALL, ''],
  priorityclasses: ['pc', 'scheduling.k8s.io/v1', 'false', 'PriorityClass', ALL, ''],
  tokenreviews: ['', 'authentication.k8s.io/v1', 'false', 'TokenReview', 'create', ''],
};

/** Splits kubectl's aligned table by the header's column starts (cells may be empty). */
function parseTable(out: string): Record<string, string>[] {
  const [header, ...lines] = out.split('\n').filter((l) => l.trim());
  const starts = [...header.matchAll(/\S+/g)].map((m) => ({ name: m[0], at: m.index! }));
  return lines.map((l) =>
    Object.fromEntries(starts.map((c, i) => [c.name, l.slice(c.at, i + 1 < starts.length ? starts[i + 1].at : undefined).trim()])),
  );
}

function until(sim: Sim, check: () => boolean, what: string): Promise<void> {
  if (check()) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const stop = sim.ctx.store.subscribe(() => {
      if (!check()) return;
      stop();
      resolve();
    });
    sim.ctx.clock.setTimeout(() => {
      stop();
      if (check()) resolve();
      else reject(new Error(`never happened: ${what}`));
    }, 10 * 60_000);
  });
}

describe('cluster kinds through kubectl', { timeout: 120_000 }, () => {
  let sim: Sim;
  let k: Kubectl;

  before(async () => {
    sim = await startSim({ clockSpeed: 20 });
    k = new Kubectl(sim.kubeconfig);
    await k.ok(['create', 'namespace', NS]);
  });
  after(async () => {
    await sim.close();
  });

  it('lists every kind of the workload family in kubectl api-resources as a 1.32 server does', async () => {
    const rows = parseTable(await k.ok(['api-resources', '-o', 'wide']));
    const missing: string[] = [];
    for (const [name, [shortnames, apiversion, namespaced, kind, verbs, categories]] of Object.entries(EXPECTED)) {
      const row = rows.find((r) => r.NAME === name && r.APIVERSION === apiversion);
      if (!row) {
        missing.push(name);
        continue;
      }
      assert.deepEqual(
        [row.SHORTNAMES, row.NAMESPACED, row.KIND, row.VERBS, row.CATEGORIES],
        [shortnames, namespaced, kind, verbs, categories],
        `${name} as a 1.32 server lists it`,
      );
    }
    assert.deepEqual(missing, [], 'served');
  });

  it('counts usage in a ResourceQuota and refuses a create beyond it with the real 403', async () => {
    await k.ok(['create', 'quota', 'compute', '-n', NS, '--hard=pods=2,requests.cpu=1,limits.memory=1Gi,count/configmaps=5']);
    const withLimits = (name: string): string => `
apiVersion: v1
kind: Pod
metadata: {name: ${name}, namespace: ${NS}}
spec:
  containers:
  - name: app
    image: nginx:1.27
    resources: {requests: {cpu: 300m}, limits: {memory: 256Mi}}
`;
    await k.ok(['apply', '-f', '-'], withLimits('a'));
    await k.ok(['apply', '-f', '-'], withLimits('b'));
    const refused = await k.run(['apply', '-f', '-'], withLimits('c'));
    assert.notEqual(refused.code, 0);
    assert.match(refused.stderr, /pods "c" is forbidden: exceeded quota: compute, requested: pods=1, used: pods=2, limited: pods=2/);

    await until(sim, () => (sim.ctx.store.get(RESOURCEQUOTAS.storage, NS, 'compute')?.status as any)?.used?.pods === '2', 'quota status counted');
    const quota = JSON.parse(await k.ok(['get', 'quota', 'compute', '-n', NS, '-o', 'json']));
    assert.deepEqual(quota.status.used, { 'count/configmaps': '1', 'limits.memory': '512Mi', pods: '2', 'requests.cpu': '600m' });
    assert.equal(quota.status.hard.pods, '2');
    const table = await k.ok(['get', 'quota', '-n', NS]);
    assert.match(table, /^NAME\s+REQUEST\s+LIMIT\s+AGE\n/);
    assert.match(table, /\ncompute\s+count\/configmaps: 1\/5, pods: 2\/2, requests\.cpu: 600m\/1\s+limits\.memory: 512Mi\/1Gi\s+\S+\n/);

    // a quota on cpu requests wants every container to state one
    await k.ok(['delete', 'pod', 'b', '-n', NS, '--grace-period=0', '--force']);
    const bare = await k.run(['run', 'bare', '-n', NS, '--image=nginx:1.27']);
    assert.notEqual(bare.code, 0);
    assert.match(bare.stderr, /pods "bare" is forbidden: failed quota: compute: must specify limits\.memory for: bare; requests\.cpu for: bare/);

    const cms = await k.run(['create', 'configmap', 'x', '-n', NS]);
    assert.equal(cms.code, 0, cms.stderr);
    await k.ok(['delete', 'quota', 'compute', '-n', NS]);
  });

  it('defaults container resources from a LimitRange and refuses what exceeds its max', async () => {
    await k.ok(['apply', '-f', '-'], `
apiVersion: v1
kind: LimitRange
metadata: {name: defaults, namespace: ${NS}}
spec:
  limits:
  - type: Container
    default: {cpu: 500m, memory: 256Mi}
    defaultRequest: {cpu: 250m}
    max: {memory: 1Gi}
`);
    await k.ok(['run', 'defaulted', '-n', NS, '--image=nginx:1.27']);
    const pod = JSON.parse(await k.ok(['get', 'pod', 'defaulted', '-n', NS, '-o', 'json']));
    assert.deepEqual(pod.spec.containers[0].resources, { limits: { cpu: '500m', memory: '256Mi' }, requests: { cpu: '250m', memory: '256Mi' } });
    assert.equal(pod.metadata.annotations['kubernetes.io/limit-ranger'], 'LimitRanger plugin set: cpu, memory request for container defaulted; cpu, memory limit for container defaulted');
    const big = await k.run(['apply', '-f', '-'], `
apiVersion: v1
kind: Pod
metadata: {name: big, namespace: ${NS}}
spec:
  containers: [{name: app, image: nginx:1.27, resources: {limits: {memory: 2Gi}}}]
`);
    assert.notEqual(big.code, 0);
    assert.match(big.stderr, /pods "big" is forbidden: maximum memory usage per Container is 1Gi, but limit is 2Gi/);
    assert.match(await k.ok(['get', 'limits', '-n', NS]), /^NAME\s+CREATED AT\ndefaults\s+\d{4}-\d\d-\d\dT/);
    await k.ok(['delete', 'limits', 'defaults', '-n', NS]);
  });

  it('holds the pods of a Deployment to the quota: FailedCreate, ReplicaFailure, then the rest once the quota allows', async () => {
    await k.ok(['create', 'namespace', 'capped']);
    await k.ok(['create', 'quota', 'pods', '-n', 'capped', '--hard=pods=2']);
    await k.ok(['apply', '-f', '-'], `
apiVersion: v1
kind: LimitRange
metadata: {name: defaults, namespace: capped}
spec:
  limits:
  - {type: Container, default: {memory: 128Mi}}
`);
    await k.ok(['create', 'deployment', 'web', '-n', 'capped', '--image=nginx:1.27', '--replicas=3']);
    const rsFailed = (): boolean =>
      sim.ctx.store.list('apps/replicasets', 'capped').some((rs) => (rs.status as any)?.conditions?.some((c: any) => c.type === 'ReplicaFailure'));
    await until(sim, rsFailed, 'ReplicaFailure on the ReplicaSet');
    const rs = JSON.parse(await k.ok(['get', 'rs', '-n', 'capped', '-o', 'json'])).items[0];
    const cond = rs.status.conditions.find((c: any) => c.type === 'ReplicaFailure');
    assert.equal(cond.reason, 'FailedCreate');
    assert.match(cond.message, /^pods "web-[a-z0-9]+-[a-z0-9]{5}" is forbidden: exceeded quota: pods, requested: pods=1, used: pods=2, limited: pods=2$/);
    const events = await k.ok(['get', 'events', '-n', 'capped', '--field-selector=reason=FailedCreate', '-o', 'json']);
    assert.match(JSON.parse(events).items[0].message, /^Error creating: pods "web-.*" is forbidden: exceeded quota: pods/);
    assert.equal(sim.ctx.store.list('pods', 'capped').length, 2);
    const pod = JSON.parse(await k.ok(['get', 'pods', '-n', 'capped', '-o', 'json'])).items[0];
    assert.deepEqual(pod.spec.containers[0].resources, { limits: { memory: '128Mi' }, requests: { memory: '128Mi' } }, 'LimitRanger defaults pods a controller creates');

    await k.ok(['patch', 'quota', 'pods', '-n', 'capped', '--type=merge', '-p', '{"spec":{"hard":{"pods":"3"}}}']);
    await k.ok(['rollout', 'status', 'deployment/web', '-n', 'capped', '--timeout=60s']);
    await until(sim, () => !rsFailed(), 'ReplicaFailure cleared');
    assert.equal(sim.ctx.store.list('pods', 'capped').length, 3);
  });

  it('has the system PriorityClasses and serves new ones', async () => {
    const table = await k.ok(['get', 'pc']);
    assert.match(table, /^NAME\s+VALUE\s+GLOBAL-DEFAULT\s+AGE\s+PREEMPTIONPOLICY\n/);
    assert.match(table, /\nsystem-cluster-critical\s+2000000000\s+false\s+\S+\s+PreemptLowerPriority\n/);
    assert.match(table, /\nsystem-node-critical\s+2000001000\s+false\s+\S+\s+PreemptLowerPriority\n/);
    assert.match(await k.ok(['create', 'priorityclass', 'batch-low', '--value=100', '--description=low']), /priorityclass.scheduling.k8s.io\/batch-low created/);
    assert.match(await k.ok(['get', 'pc', 'batch-low', '--no-headers']), /^batch-low\s+100\s+false\s+/);
    const withClass = (name: string, cls: string): string => `
apiVersion: v1
kind: Pod
metadata: {name: ${name}, namespace: ${NS}}
spec: {priorityClassName: ${cls}, containers: [{name: app, image: nginx:1.27}]}
`;
    await k.ok(['apply', '-f', '-'], withClass('low', 'batch-low'));
    const low = JSON.parse(await k.ok(['get', 'pod', 'low', '-n', NS, '-o', 'json']));
    assert.deepEqual([low.spec.priority, low.spec.preemptionPolicy], [100, 'PreemptLowerPriority']);
    await k.ok(['apply', '-f', '-'], withClass('critical', 'system-node-critical'));
    assert.equal(JSON.parse(await k.ok(['get', 'pod', 'critical', '-n', NS, '-o', 'json'])).spec.priority, 2000001000);
    const unknown = await k.run(['apply', '-f', '-'], withClass('lost', 'nope'));
    assert.notEqual(unknown.code, 0);
    assert.match(unknown.stderr, /pods "lost" is forbidden: no PriorityClass with name nope was found/);
    const tooHigh = await k.run(['create', 'priorityclass', 'greedy', '--value=2000000000']);
    assert.notEqual(tooHigh.code, 0);
    assert.match(tooHigh.stderr, /PriorityClass.scheduling.k8s.io "greedy" is invalid: value: Forbidden: maximum allowed value of a user defined priority is 1000000000/);
    const reserved = await k.run(['create', 'priorityclass', 'system-mine', '--value=10']);
    assert.match(reserved.stderr, /priority class names with 'system-' prefix are reserved for system use only/);
  });

  it('validates PodDisruptionBudgets as kube-apiserver does', async () => {
    const both = await k.run(['apply', '-f', '-'], `
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata: {name: both, namespace: ${NS}}
spec: {minAvailable: 1, maxUnavailable: 1, selector: {matchLabels: {app: x}}}
`);
    assert.notEqual(both.code, 0);
    assert.match(both.stderr, /PodDisruptionBudget "both" is invalid: spec: Invalid value: .*minAvailable and maxUnavailable cannot be both set/);
    const over = await k.run(['create', 'pdb', 'over', '-n', NS, '--selector=app=x', '--min-available=120%']);
    assert.notEqual(over.code, 0);
    assert.match(over.stderr, /spec.minAvailable: Invalid value: "120%": must not be greater than 100%/);
    assert.match(await k.ok(['create', 'pdb', 'fine', '-n', NS, '--selector=app=x', '--max-unavailable=25%']), /poddisruptionbudget.policy\/fine created/);
  });

  it('serves Ingresses, IngressClasses and PodTemplates with their columns', async () => {
    await k.ok(['apply', '-f', '-'], `
apiVersion: networking.k8s.io/v1
kind: IngressClass
metadata: {name: nginx}
spec: {controller: k8s.io/ingress-nginx}
`);
    assert.match(await k.ok(['get', 'ingressclass']), /^NAME\s+CONTROLLER\s+PARAMETERS\s+AGE\nnginx\s+k8s\.io\/ingress-nginx\s+<none>\s+\S+\n$/);
    assert.match(await k.ok(['create', 'ingress', 'web', '-n', NS, '--class=nginx', '--rule=shop.example.com/=web:80']), /ingress.networking.k8s.io\/web created/);
    const ing = await k.ok(['get', 'ing', '-n', NS]);
    assert.match(ing, /^NAME\s+CLASS\s+HOSTS\s+ADDRESS\s+PORTS\s+AGE\nweb\s+nginx\s+shop\.example\.com\s+80\s+\S+\n$/);
    const obj = JSON.parse(await k.ok(['get', 'ing', 'web', '-n', NS, '-o', 'json']));
    assert.equal(obj.spec.rules[0].http.paths[0].backend.service.port.number, 80);

    await k.ok(['apply', '-f', '-'], `
apiVersion: v1
kind: PodTemplate
metadata: {name: worker, namespace: ${NS}}
template:
  metadata: {labels: {app: worker}}
  spec: {containers: [{name: w, image: busybox:1.36}]}
`);
    assert.match(await k.ok(['get', 'podtemplates', '-n', NS]), /^NAME\s+CONTAINERS\s+IMAGES\s+POD LABELS\nworker\s+w\s+busybox:1\.36\s+app=worker\n$/);
  });
});
