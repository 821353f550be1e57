import assert from 'node:assert/strict';
import { test } from 'node:test';
import { detect } from '../../src/detect/index.ts';
import { Severity } from '../../src/model/notification.ts';
import { at, config, node, NODE_UID, t } from './fixtures.ts';

const run = (n: ReturnType<typeof node>, cfg = config()) => detect('Node', { current: n }, t(100), cfg);
const keys = (n: ReturnType<typeof node>, cfg = config()) => run(n, cfg).map((o) => `${o.key.replace(`node/${NODE_UID}/`, '')} ${o.state}`);

test('node NotReady (Unknown: the kubelet stopped posting) is critical, since the transition, after minSeconds', () => {
  const [o] = run(node({ ready: ['Unknown', 5] }), config({ nodeNotReady: { minSeconds: 30 } }));
  assert.deepEqual(o, {
    kind: 'level',
    key: `node/${NODE_UID}/NotReady`,
    state: 'firing',
    detector: 'nodeNotReady',
    severity: Severity.CRITICAL,
    reason: 'NodeNotReady',
    title: 'Node sim-node-2 is NotReady',
    message: 'Node sim-node-2 is NotReady (Ready=Unknown, NodeStatusUnknown): Kubelet stopped posting node status.',
    since: at(5),
    minDurationMs: 30_000,
    fields: { node: 'sim-node-2', status: 'Unknown', conditionReason: 'NodeStatusUnknown' },
    involved: { apiVersion: 'v1', kind: 'Node', namespace: '', name: 'sim-node-2', uid: NODE_UID },
  });
  // with Unknown, the pressure conditions are Unknown too: not pressure
  assert.deepEqual(keys(node({ ready: ['Unknown', 5] })), ['NotReady firing']);
});

test('node NotReady with status False; Ready nodes and unregistered nodes say nothing', () => {
  const [o] = run(node({ ready: ['False', 7] }));
  assert.equal(o.message, 'Node sim-node-2 is NotReady (Ready=False, KubeletNotReady): container runtime network not ready: NetworkReady=false');
  assert.equal(o.minDurationMs, 0);
  assert.deepEqual(keys(node()), []);
  assert.deepEqual(run({ metadata: { name: 'fresh', uid: 'u' }, status: {} }), []);
  assert.deepEqual(keys(node({ ready: ['False', 7] }), config({ nodeNotReady: { enabled: false } })), []);
});

test('pressure conditions that are True are warnings, one per configured condition', () => {
  const n = node({ pressure: { MemoryPressure: 20, DiskPressure: 30 } });
  const obs = run(n);
  assert.deepEqual(keys(n), ['MemoryPressure firing', 'DiskPressure firing']);
  assert.deepEqual(
    [obs[0].kind, obs[0].detector, obs[0].severity, obs[0].reason, obs[0].title, obs[0].message, obs[0].since, obs[0].minDurationMs],
    ['level', 'nodePressure', Severity.WARNING, 'MemoryPressure', 'Node sim-node-2 has MemoryPressure', 'Node sim-node-2 reports MemoryPressure: kubelet has MemoryPressure', at(20), undefined],
  );
  assert.deepEqual(obs[0].fields, { node: 'sim-node-2', condition: 'MemoryPressure', conditionReason: 'KubeletHasInsufficientMemory' });
  assert.deepEqual(keys(n, config({ nodePressure: { conditions: ['DiskPressure'] } })), ['DiskPressure firing']);
  assert.deepEqual(keys(n, config({ nodePressure: { enabled: false } })), []);
});
