import { test } from 'node:test';
import assert from 'node:assert/strict';
import { humanDuration, parseJSONPath, evalJSONPath, tableColumns, toTable } from '../../src/sim/table.ts';
import type { KObject, PrinterColumn, ResourceType } from '../../src/sim/types.ts';

const NOW = new Date('2025-03-01T12:00:00Z');
const ago = (seconds: number): string => new Date(NOW.getTime() - seconds * 1000).toISOString();

function rt(group: string, resource: string, extra: Partial<ResourceType> = {}): ResourceType {
  return {
    group,
    version: 'v1',
    resource,
    singular: resource.replace(/s$/, ''),
    kind: 'X',
    listKind: 'XList',
    namespaced: true,
    verbs: ['get', 'list'],
    subresources: [],
    storage: resource,
    ...extra,
  };
}

interface Table {
  kind: string;
  apiVersion: string;
  metadata: Record<string, unknown>;
  columnDefinitions: { name: string; type: string; format: string; priority: number; description: string }[] | null;
  rows: { cells: unknown[]; conditions?: unknown[]; object: unknown }[] | null;
}

const table = (r: ResourceType, objects: KObject[], extra: Partial<Parameters<typeof toTable>[2]> = {}): Table =>
  toTable(r, objects, { now: NOW, resourceVersion: '42', ...extra }) as Table;
const cells = (r: ResourceType, o: KObject): unknown[] => table(r, [o]).rows![0].cells;
const names = (t: Table): string[] => t.columnDefinitions!.map((c) => (c.priority ? `${c.name}*` : c.name));

test('humanDuration matches apimachinery', () => {
  const s = 1000;
  const m = 60 * s;
  const h = 60 * m;
  const d = 24 * h;
  const cases: [number, string][] = [
    [0, '0s'],
    [-1500, '0s'],
    [-2000, '<invalid>'],
    [45 * s, '45s'],
    [119 * s, '119s'],
    [120 * s, '2m'],
    [185 * s, '3m5s'],
    [10 * m + 30 * s, '10m'],
    [179 * m, '179m'],
    [3 * h, '3h'],
    [7 * h + 59 * m, '7h59m'],
    [8 * h + 30 * m, '8h'],
    [47 * h, '47h'],
    [2 * d, '2d'],
    [3 * d + 5 * h, '3d5h'],
    [8 * d, '8d'],
    [729 * d, '729d'],
    [730 * d, '2y'],
    [3 * 365 * d + 10 * d, '3y10d'],
    [9 * 365 * d, '9y'],
  ];
  for (const [ms, want] of cases) assert.equal(humanDuration(ms), want, `${ms}ms`);
});

const pods = rt('', 'pods');

test('pod table: columns, envelope and metadata rows', () => {
  const pod: KObject = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'web-1', namespace: 'default', creationTimestamp: ago(600), resourceVersion: '7' },
    spec: { nodeName: 'node-1', containers: [{ name: 'app', image: 'nginx' }] },
    status: {
      phase: 'Running',
      podIPs: [{ ip: '10.0.0.5' }],
      conditions: [{ type: 'Ready', status: 'True' }],
      containerStatuses: [{ name: 'app', ready: true, restartCount: 0, state: { running: { startedAt: ago(590) } } }],
    },
  };
  const t = table(pods, [pod], { continueToken: 'abc' });
  assert.equal(t.kind, 'Table');
  assert.equal(t.apiVersion, 'meta.k8s.io/v1');
  assert.deepEqual(t.metadata, { resourceVersion: '42', continue: 'abc' });
  assert.deepEqual(names(t), ['Name', 'Ready', 'Status', 'Restarts', 'Age', 'IP*', 'Node*', 'Nominated Node*', 'Readiness Gates*']);
  assert.deepEqual(t.columnDefinitions![0].format, 'name');
  assert.deepEqual(t.rows![0].cells, ['web-1', '1/1', 'Running', '0', '10m', '10.0.0.5', 'node-1', '<none>', '<none>']);
  assert.deepEqual(t.rows![0].object, { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: pod.metadata });
  assert.equal(table(pods, [pod], { includeObject: 'Object' }).rows![0].object, pod);
  assert.equal(table(pods, [pod], { includeObject: 'None' }).rows![0].object, null);
  assert.equal(table(pods, [pod], { withHeaders: false }).columnDefinitions, null);
  assert.deepEqual(table(pods, []).rows, []);
});

test('pod status: crash loop, OOMKilled, image pull, init, terminating, evicted, completed', () => {
  const base = (status: Record<string, unknown>, spec: Record<string, unknown> = {}, meta: Record<string, unknown> = {}): KObject => ({
    metadata: { name: 'p', creationTimestamp: ago(3600), ...meta },
    spec: { containers: [{ name: 'app', image: 'img' }], ...spec },
    status,
  });
  const crashLoop = base({
    phase: 'Running',
    containerStatuses: [
      {
        name: 'app',
        ready: false,
        restartCount: 5,
        state: { waiting: { reason: 'CrashLoopBackOff', message: 'back-off 2m40s restarting failed container' } },
        lastState: { terminated: { exitCode: 1, reason: 'Error', finishedAt: ago(30) } },
      },
    ],
  });
  assert.deepEqual(cells(pods, crashLoop).slice(0, 5), ['p', '0/1', 'CrashLoopBackOff', '5 (30s ago)', '60m']);

  const oom = base({
    phase: 'Running',
    containerStatuses: [{ name: 'app', ready: false, restartCount: 0, state: { terminated: { exitCode: 137, reason: 'OOMKilled' } } }],
  });
  assert.deepEqual(cells(pods, oom).slice(1, 4), ['0/1', 'OOMKilled', '0']);

  const pull = base({
    phase: 'Pending',
    containerStatuses: [{ name: 'app', ready: false, restartCount: 0, state: { waiting: { reason: 'ImagePullBackOff' } } }],
  });
  assert.equal(cells(pods, pull)[2], 'ImagePullBackOff');

  const exitCode = base({ phase: 'Running', containerStatuses: [{ name: 'app', state: { terminated: { exitCode: 2 } } }] });
  assert.equal(cells(pods, exitCode)[2], 'ExitCode:2');

  const init = base(
    { phase: 'Pending', initContainerStatuses: [{ name: 'migrate', ready: false, restartCount: 0, state: { running: {} } }] },
    { initContainers: [{ name: 'migrate' }, { name: 'seed' }] },
  );
  assert.equal(cells(pods, init)[2], 'Init:0/2');
  const initCrash = base(
    { phase: 'Pending', initContainerStatuses: [{ name: 'migrate', restartCount: 3, state: { waiting: { reason: 'CrashLoopBackOff' } } }] },
    { initContainers: [{ name: 'migrate' }] },
  );
  assert.deepEqual(cells(pods, initCrash).slice(2, 4), ['Init:CrashLoopBackOff', '3']);

  // a running sidecar (restartable init container) counts as a container
  const sidecar = base(
    {
      phase: 'Running',
      conditions: [{ type: 'Initialized', status: 'True' }],
      initContainerStatuses: [{ name: 'proxy', ready: true, started: true, restartCount: 1, state: { running: {} } }],
      containerStatuses: [{ name: 'app', ready: true, restartCount: 0, state: { running: {} } }],
    },
    { initContainers: [{ name: 'proxy', restartPolicy: 'Always' }] },
  );
  assert.deepEqual(cells(pods, sidecar).slice(1, 4), ['2/2', 'Running', '1']);

  const terminating = base(
    { phase: 'Running', containerStatuses: [{ name: 'app', ready: true, state: { running: {} } }] },
    {},
    { deletionTimestamp: ago(5) },
  );
  assert.equal(cells(pods, terminating)[2], 'Terminating');

  const evicted = base({ phase: 'Failed', reason: 'Evicted', message: 'The node was low on resource: memory.' });
  const evictedRow = table(pods, [evicted]).rows![0];
  assert.equal(evictedRow.cells[2], 'Evicted');
  assert.deepEqual(evictedRow.conditions, [{ type: 'Completed', status: 'True', reason: 'Failed', message: 'The pod failed.' }]);

  const completed = base({
    phase: 'Succeeded',
    containerStatuses: [{ name: 'app', ready: false, restartCount: 0, state: { terminated: { exitCode: 0, reason: 'Completed' } } }],
  });
  assert.deepEqual(cells(pods, completed).slice(1, 3), ['0/1', 'Completed']);
});

test('node status and roles', () => {
  const nodes = rt('', 'nodes', { namespaced: false });
  const node = (conditions: unknown[], extra: Record<string, unknown> = {}, labels: Record<string, string> = {}): KObject => ({
    metadata: { name: 'n1', creationTimestamp: ago(3 * 86400 + 3600), labels },
    spec: { ...extra },
    status: {
      conditions,
      addresses: [{ type: 'InternalIP', address: '192.168.0.10' }, { type: 'Hostname', address: 'n1' }],
      nodeInfo: { kubeletVersion: 'v1.32.2', osImage: 'Ubuntu 24.04', kernelVersion: '6.8.0', containerRuntimeVersion: 'containerd://1.7.24' },
    },
  });
  assert.deepEqual(names(table(nodes, [])), ['Name', 'Status', 'Roles', 'Age', 'Version', 'Internal-IP*', 'External-IP*', 'OS-Image*', 'Kernel-Version*', 'Container-Runtime*']);
  assert.deepEqual(cells(nodes, node([{ type: 'Ready', status: 'False' }])), [
    'n1', 'NotReady', '<none>', '3d1h', 'v1.32.2', '192.168.0.10', '<none>', 'Ubuntu 24.04', '6.8.0', 'containerd://1.7.24',
  ]);
  assert.equal(cells(nodes, node([{ type: 'Ready', status: 'Unknown' }]))[1], 'NotReady');
  assert.equal(cells(nodes, node([]))[1], 'Unknown');
  const cordoned = node([{ type: 'MemoryPressure', status: 'False' }, { type: 'Ready', status: 'True' }], { unschedulable: true }, {
    'node-role.kubernetes.io/control-plane': '',
    'kubernetes.io/role': 'infra',
  });
  assert.deepEqual(cells(nodes, cordoned).slice(1, 3), ['Ready,SchedulingDisabled', 'control-plane,infra']);
});

test('deployments and replicasets', () => {
  const deployments = rt('apps', 'deployments');
  const d: KObject = {
    metadata: { name: 'web', creationTimestamp: ago(185) },
    spec: {
      replicas: 3,
      selector: { matchLabels: { app: 'web' }, matchExpressions: [{ key: 'tier', operator: 'In', values: ['front', 'edge'] }] },
      template: { spec: { containers: [{ name: 'nginx', image: 'nginx:1.27' }, { name: 'log', image: 'busybox' }] } },
    },
    status: { replicas: 3, updatedReplicas: 3, readyReplicas: 2, availableReplicas: 2 },
  };
  assert.deepEqual(names(table(deployments, [])), ['Name', 'Ready', 'Up-to-date', 'Available', 'Age', 'Containers*', 'Images*', 'Selector*']);
  assert.deepEqual(cells(deployments, d), ['web', '2/3', 3, 2, '3m5s', 'nginx,log', 'nginx:1.27,busybox', 'app=web,tier in (edge,front)']);

  const replicasets = rt('apps', 'replicasets');
  const rs: KObject = {
    metadata: { name: 'web-5d9c', creationTimestamp: ago(185) },
    spec: { replicas: 3, selector: {}, template: { spec: { containers: [{ name: 'nginx', image: 'nginx' }] } } },
    status: { replicas: 3 },
  };
  assert.deepEqual(names(table(replicasets, [])).slice(0, 5), ['Name', 'Desired', 'Current', 'Ready', 'Age']);
  assert.deepEqual(cells(replicasets, rs), ['web-5d9c', 3, 3, 0, '3m5s', 'nginx', 'nginx', '<none>']);
});

test('events print alike from core/v1 and events.k8s.io/v1', () => {
  const eventCols = ['Last Seen', 'Type', 'Reason', 'Object', 'Subobject*', 'Source*', 'Message', 'First Seen*', 'Count*', 'Name*'];
  const core: KObject = {
    apiVersion: 'v1',
    kind: 'Event',
    metadata: { name: 'web-1.17f', namespace: 'default' },
    involvedObject: { kind: 'Pod', name: 'web-1', fieldPath: 'spec.containers{app}' },
    reason: 'BackOff',
    message: 'Back-off restarting failed container app in pod web-1_default\n',
    type: 'Warning',
    source: { component: 'kubelet', host: 'node-1' },
    firstTimestamp: ago(600),
    lastTimestamp: ago(30),
    count: 12,
  };
  const t = table(rt('', 'events'), [core]);
  assert.deepEqual(names(t), eventCols);
  assert.deepEqual(t.rows![0].cells, [
    '30s', 'Warning', 'BackOff', 'pod/web-1', 'spec.containers{app}', 'kubelet, node-1',
    'Back-off restarting failed container app in pod web-1_default', '10m', 12, 'web-1.17f',
  ]);

  const modern: KObject = {
    apiVersion: 'events.k8s.io/v1',
    kind: 'Event',
    metadata: { name: 'web.18a' },
    regarding: { kind: 'Deployment', name: 'web' },
    note: 'Scaled up replica set web-5d9c to 3',
    reason: 'ScalingReplicaSet',
    type: 'Normal',
    eventTime: ago(125),
    reportingController: 'deployment-controller',
    reportingInstance: '',
  };
  const t2 = table(rt('events.k8s.io', 'events'), [modern]);
  assert.deepEqual(names(t2), eventCols);
  assert.deepEqual(t2.rows![0].cells, [
    '2m5s', 'Normal', 'ScalingReplicaSet', 'deployment/web', '', 'deployment-controller',
    'Scaled up replica set web-5d9c to 3', '2m5s', 1, 'web.18a',
  ]);
  const series = { ...modern, series: { count: 4, lastObservedTime: ago(10) } };
  assert.deepEqual(cells(rt('events.k8s.io', 'events'), series).filter((_, i) => i === 0 || i === 8), ['10s', 4]);
});

test('custom resources: printer columns, JSONPath filters, dates, missing values', () => {
  const printerColumns: PrinterColumn[] = [
    { name: 'Replicas', type: 'integer', jsonPath: '.spec.replicas' },
    { name: 'Ready', type: 'string', jsonPath: '.status.conditions[?(@.type=="Ready")].status' },
    { name: 'Endpoint', type: 'string', jsonPath: '.status.endpoint', priority: 1, description: 'Where it listens' },
    { name: 'Selector', type: 'string', jsonPath: '.spec.selector' },
    { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
  ];
  const widgets = rt('example.com', 'widgets', { crd: true, printerColumns });
  const w: KObject = {
    apiVersion: 'example.com/v1',
    kind: 'Widget',
    metadata: { name: 'w1', creationTimestamp: ago(7200) },
    spec: { replicas: 2.0, selector: { b: '2', a: '1' } },
    status: { conditions: [{ type: 'Synced', status: 'True' }, { type: 'Ready', status: 'False' }] },
  };
  const t = table(widgets, [w]);
  assert.deepEqual(
    t.columnDefinitions!.map((c) => [c.name, c.type, c.priority, c.description]),
    [
      ['Name', 'string', 0, t.columnDefinitions![0].description],
      ['Replicas', 'integer', 0, 'Custom resource definition column (in JSONPath format): .spec.replicas'],
      ['Ready', 'string', 0, 'Custom resource definition column (in JSONPath format): .status.conditions[?(@.type=="Ready")].status'],
      ['Endpoint', 'string', 1, 'Where it listens'],
      ['Selector', 'string', 0, 'Custom resource definition column (in JSONPath format): .spec.selector'],
      ['Age', 'date', 0, 'Custom resource definition column (in JSONPath format): .metadata.creationTimestamp'],
    ],
  );
  assert.deepEqual(t.rows![0].cells, ['w1', 2, 'False', null, '{"a":"1","b":"2"}', '120m']);

  // no additionalPrinterColumns: NAME and AGE
  const plain = rt('example.com', 'gadgets', { crd: true });
  assert.deepEqual(names(table(plain, [])), ['Name', 'Age']);
  assert.deepEqual(cells(plain, { metadata: { name: 'g', creationTimestamp: ago(45) } }), ['g', '45s']);
});

test('JSONPath subset', () => {
  const doc = { metadata: { labels: { 'app.kubernetes.io/name': 'web' } }, items: [{ n: 1 }, { n: 2 }, { n: 3 }] };
  assert.deepEqual(evalJSONPath(parseJSONPath(".metadata.labels['app.kubernetes.io/name']"), doc), ['web']);
  assert.deepEqual(evalJSONPath(parseJSONPath('.metadata.labels.app\\.kubernetes\\.io/name'), doc), ['web']);
  assert.deepEqual(evalJSONPath(parseJSONPath('{.items[*].n}'), doc), [1, 2, 3]);
  assert.deepEqual(evalJSONPath(parseJSONPath('.items[-1].n'), doc), [3]);
  assert.deepEqual(evalJSONPath(parseJSONPath('.items[?(@.n > 1)].n'), doc), [2, 3]);
  assert.deepEqual(evalJSONPath(parseJSONPath('.nothing.here'), doc), []);
});

test('other built-in printers', () => {
  const at = ago(90);
  assert.deepEqual(cells(rt('', 'namespaces'), { metadata: { name: 'dev', creationTimestamp: at }, status: { phase: 'Active' } }), ['dev', 'Active', '90s']);
  assert.deepEqual(
    cells(rt('', 'services'), {
      metadata: { name: 'web', creationTimestamp: at },
      spec: { type: 'NodePort', clusterIPs: ['10.96.0.12'], ports: [{ port: 80, nodePort: 30080, protocol: 'TCP' }, { port: 53, protocol: 'UDP' }], selector: { app: 'web' } },
    }),
    ['web', 'NodePort', '10.96.0.12', '<none>', '80:30080/TCP,53/UDP', '90s', 'app=web'],
  );
  assert.deepEqual(
    cells(rt('', 'services'), { metadata: { name: 'lb', creationTimestamp: at }, spec: { type: 'LoadBalancer', clusterIPs: ['10.96.0.13'], ports: [{ port: 443, nodePort: 31443, protocol: 'TCP' }] } })[3],
    '<pending>',
  );
  assert.deepEqual(cells(rt('', 'configmaps'), { metadata: { name: 'c', creationTimestamp: at }, data: { a: '1', b: '2' }, binaryData: { c: 'AA==' } }), ['c', 3, '90s']);
  assert.deepEqual(cells(rt('', 'secrets'), { metadata: { name: 's', creationTimestamp: at }, type: 'Opaque', data: { k: 'dg==' } }), ['s', 'Opaque', 1, '90s']);
  assert.deepEqual(cells(rt('', 'serviceaccounts'), { metadata: { name: 'default', creationTimestamp: at } }), ['default', 0, '90s']);
  assert.deepEqual(cells(rt('coordination.k8s.io', 'leases'), { metadata: { name: 'l', creationTimestamp: at }, spec: { holderIdentity: 'node-1' } }), ['l', 'node-1', '90s']);
  assert.deepEqual(
    cells(rt('', 'endpoints'), {
      metadata: { name: 'web', creationTimestamp: at },
      subsets: [{ addresses: [{ ip: '10.0.0.1' }, { ip: '10.0.0.2' }, { ip: '10.0.0.3' }, { ip: '10.0.0.4' }], ports: [{ port: 8080 }] }],
    }),
    ['web', '10.0.0.1:8080,10.0.0.2:8080,10.0.0.3:8080 + 1 more...', '90s'],
  );
  assert.deepEqual(
    cells(rt('discovery.k8s.io', 'endpointslices'), {
      metadata: { name: 'web-abc', creationTimestamp: at },
      addressType: 'IPv4',
      ports: [{ name: 'http', port: 8080, protocol: 'TCP' }],
      endpoints: [{ addresses: ['10.0.0.1'] }, { addresses: ['10.0.0.2'] }],
    }),
    ['web-abc', 'IPv4', '8080', '10.0.0.1,10.0.0.2', '90s'],
  );
  const crb = rt('rbac.authorization.k8s.io', 'clusterrolebindings', { namespaced: false });
  assert.deepEqual(names(table(crb, [])), ['Name', 'Role', 'Age', 'Users*', 'Groups*', 'ServiceAccounts*']);
  assert.deepEqual(
    cells(crb, {
      metadata: { name: 'b', creationTimestamp: at },
      roleRef: { kind: 'ClusterRole', name: 'view' },
      subjects: [{ kind: 'User', name: 'alice' }, { kind: 'Group', name: 'devs' }, { kind: 'ServiceAccount', name: 'ci', namespace: 'tools' }, { kind: 'User', name: 'bob' }],
    }),
    ['b', 'ClusterRole/view', '90s', 'alice, bob', 'devs', 'tools/ci'],
  );
  assert.deepEqual(
    cells(rt('batch', 'jobs'), {
      metadata: { name: 'j', creationTimestamp: at },
      spec: { completions: 1, selector: { matchLabels: { 'batch.kubernetes.io/controller-uid': 'u' } }, template: { spec: { containers: [{ name: 'c', image: 'i' }] } } },
      status: { succeeded: 1, startTime: ago(80), completionTime: ago(20), conditions: [{ type: 'Complete', status: 'True' }] },
    }),
    ['j', 'Complete', '1/1', '60s', '90s', 'c', 'i', 'batch.kubernetes.io/controller-uid=u'],
  );
});

test('roles, CRDs and unknown built-ins use the default NAME / CREATED AT table', () => {
  const roles = rt('rbac.authorization.k8s.io', 'roles');
  const t = table(roles, [{ metadata: { name: 'reader', creationTimestamp: '2025-02-27T08:30:00Z' } }]);
  assert.deepEqual(t.columnDefinitions!.map((c) => [c.name, c.type, c.format]), [['Name', 'string', 'name'], ['Created At', 'date', '']]);
  assert.deepEqual(t.rows![0].cells, ['reader', '2025-02-27T08:30:00Z']);
  assert.equal(table(roles, []).rows, null);
  assert.deepEqual(tableColumns(rt('apiextensions.k8s.io', 'customresourcedefinitions')).map((c) => c.name), ['Name', 'Created At']);
});
