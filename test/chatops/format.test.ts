// The pure formatting of command replies: kubectl's ages and columns, reply
// sizing (rows, lines, files and the notes that say so), describe text and
// the client-side rollout logic.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type * as k8s from '@kubernetes/client-node';
import { describePod, eventsSection } from '../../src/chatops/exec/describe.ts';
import { planUndo, rolloutHistory, rolloutStatus } from '../../src/chatops/exec/rollout.ts';
import { hpaTargets, kindTable, nodeStatus, podSummary, servicePorts } from '../../src/chatops/exec/tables.ts';
import { selectorString } from '../../src/chatops/exec/write.ts';
import {
  age,
  DescribeWriter,
  fitsMessage,
  humanDuration,
  MAX_MESSAGE_CHARS,
  renderTable,
  tableReply,
  tailPreview,
  textReply,
} from '../../src/chatops/format.ts';

const NOW = new Date('2025-03-01T12:00:00Z');
const ago = (s: number): Date => new Date(NOW.getTime() - s * 1000);

describe('humanDuration (kubectl duration.HumanDuration)', () => {
  const cases: [number, string][] = [
    [-5, '<invalid>'],
    [-1, '0s'],
    [0, '0s'],
    [59, '59s'],
    [119, '119s'],
    [120, '2m'],
    [312, '5m12s'],
    [600, '10m'],
    [179 * 60, '179m'],
    [3 * 3600, '3h'],
    [3 * 3600 + 25 * 60, '3h25m'],
    [8 * 3600, '8h'],
    [47 * 3600, '47h'],
    [48 * 3600, '2d'],
    [2 * 86400 + 4 * 3600, '2d4h'],
    [8 * 86400, '8d'],
    [400 * 86400, '400d'],
    [2 * 365 * 86400, '2y'],
    [3 * 365 * 86400 + 12 * 86400, '3y12d'],
    [9 * 365 * 86400, '9y'],
  ];
  for (const [s, want] of cases) it(`${s}s → ${want}`, () => assert.equal(humanDuration(s * 1000), want));

  it('age of a missing or unparsable time is <unknown>', () => {
    assert.equal(age(undefined, NOW), '<unknown>');
    assert.equal(age('not a time', NOW), '<unknown>');
    assert.equal(age('2025-03-01T11:55:00Z', NOW), '5m');
    assert.equal(age(ago(30), NOW), '30s');
  });
});

describe('tables', () => {
  it('renders kubectl columns, three spaces apart, last column unpadded', () => {
    assert.equal(renderTable(['NAME', 'READY', 'STATUS'], [['a', '1/1', 'Running'], ['longer-name', '0/1', 'CrashLoopBackOff']]), [
      'NAME          READY   STATUS',
      'a             1/1     Running',
      'longer-name   0/1     CrashLoopBackOff',
    ].join('\n'));
  });

  it('keeps a short list whole and cuts a long one to 50 rows, with the whole table as a file and a note', () => {
    const rows = Array.from({ length: 1000 }, (_, i) => [`pod-${i}`, 'Running']);
    const small = tableReply(['NAME', 'STATUS'], rows.slice(0, 50), { noun: 'pods', fileName: 'pods.txt' });
    assert.equal(small.file, undefined);
    assert.equal(small.notes, undefined);
    const big = tableReply(['NAME', 'STATUS'], rows, { noun: 'pods', fileName: 'pods.txt' });
    const block = big.blocks[0];
    assert.equal(block.kind, 'table');
    assert.equal(block.kind === 'table' && block.rows.length, 50);
    assert.equal(block.kind === 'table' && block.rows[0][0], 'pod-0');
    assert.deepEqual(big.notes, ['showing 50 of 1,000 pods; full list attached']);
    assert.equal(big.file?.name, 'pods.txt');
    assert.equal(big.file?.content.trimEnd().split('\n').length, 1001);
    const events = tableReply(['MESSAGE'], rows.map((r) => [r[0]]), { noun: 'events', fileName: 'events.txt', keepLast: true });
    assert.equal(events.blocks[0].kind === 'table' && events.blocks[0].rows.at(-1)![0], 'pod-999');
    assert.deepEqual(events.notes, ['showing the last 50 of 1,000 events; full list attached']);
  });

  it('pod READY, STATUS and RESTARTS as kubectl prints them', () => {
    const pod: k8s.V1Pod = {
      metadata: { name: 'crashloop', namespace: 'demo', creationTimestamp: ago(200) },
      spec: { containers: [{ name: 'app' }, { name: 'sidecar' }] },
      status: {
        phase: 'Running',
        containerStatuses: [
          { name: 'app', image: 'x', imageID: '', ready: false, restartCount: 5, state: { waiting: { reason: 'CrashLoopBackOff' } }, lastState: { terminated: { exitCode: 1, reason: 'Error', finishedAt: ago(24) } } },
          { name: 'sidecar', image: 'x', imageID: '', ready: true, restartCount: 0, state: { running: { startedAt: ago(200) } } },
        ],
      },
    };
    assert.deepEqual(podSummary(pod, NOW), { ready: '1/2', status: 'CrashLoopBackOff', restarts: '5 (24s ago)' });
    const t = kindTable('pod', [pod], NOW, true);
    assert.deepEqual(t.columns, ['NAMESPACE', 'NAME', 'READY', 'STATUS', 'RESTARTS', 'AGE']);
    assert.deepEqual(t.rows, [['demo', 'crashloop', '1/2', 'CrashLoopBackOff', '5 (24s ago)', '3m20s']]);
  });

  it('pod status: init containers, exit codes, terminating', () => {
    const base = (status: k8s.V1PodStatus, extra: Partial<k8s.V1Pod> = {}): k8s.V1Pod => ({
      metadata: { name: 'p', ...(extra.metadata ?? {}) },
      spec: { initContainers: [{ name: 'init' }], containers: [{ name: 'app' }] },
      status,
    });
    assert.equal(podSummary(base({ phase: 'Pending', initContainerStatuses: [{ name: 'init', image: '', imageID: '', ready: false, restartCount: 0, state: { running: {} } }] }), NOW).status, 'Init:0/1');
    assert.equal(
      podSummary(base({ phase: 'Pending', initContainerStatuses: [{ name: 'init', image: '', imageID: '', ready: false, restartCount: 0, state: { terminated: { exitCode: 2 } } }] }), NOW).status,
      'Init:ExitCode:2',
    );
    assert.equal(podSummary(base({ phase: 'Running', containerStatuses: [{ name: 'app', image: '', imageID: '', ready: false, restartCount: 0, state: { terminated: { exitCode: 0, signal: 9 } } }] }), NOW).status, 'Signal:9');
    assert.equal(podSummary(base({ phase: 'Running' }, { metadata: { name: 'p', deletionTimestamp: ago(1) } }), NOW).status, 'Terminating');
  });

  it('nodes, services and HPAs', () => {
    const node: k8s.V1Node = {
      metadata: { name: 'sim-node-1', creationTimestamp: ago(3 * 86400), labels: { 'node-role.kubernetes.io/control-plane': '' } },
      spec: { unschedulable: true },
      status: { conditions: [{ type: 'Ready', status: 'True' }], nodeInfo: { kubeletVersion: 'v1.32.0' } as k8s.V1NodeSystemInfo },
    };
    assert.equal(nodeStatus(node), 'Ready,SchedulingDisabled');
    assert.deepEqual(kindTable('node', [node], NOW).rows, [['sim-node-1', 'Ready,SchedulingDisabled', 'control-plane', '3d', 'v1.32.0']]);
    assert.equal(servicePorts({ spec: { ports: [{ port: 80, protocol: 'TCP' }, { port: 443, nodePort: 30443 }] } }), '80/TCP,443:30443/TCP');
    const hpa: k8s.V2HorizontalPodAutoscaler = {
      spec: { maxReplicas: 5, scaleTargetRef: { kind: 'Deployment', name: 'web' }, metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 80 } } }] },
    };
    assert.equal(hpaTargets(hpa), 'cpu: <unknown>/80%');
    hpa.status = { desiredReplicas: 2, currentMetrics: [{ type: 'Resource', resource: { name: 'cpu', current: { averageUtilization: 45 } } }] };
    assert.equal(hpaTargets(hpa), 'cpu: 45%/80%');
  });

  it('label selectors as list calls take them', () => {
    assert.equal(selectorString({ matchLabels: { app: 'web' }, matchExpressions: [{ key: 'tier', operator: 'In', values: ['a', 'b'] }, { key: 'x', operator: 'DoesNotExist' }] }), 'app=web,tier in (a,b),!x');
  });
});

describe('text replies', () => {
  it('a short text is one code block; a long one a preview of its end, a file and a note', () => {
    const short = textReply('one\ntwo\n', { fileName: 'p.log', keep: 'tail', noun: 'lines' });
    assert.deepEqual(short.blocks, [{ kind: 'code', text: 'one\ntwo' }]);
    assert.equal(short.file, undefined);
    const text = Array.from({ length: 100 }, (_, i) => `line ${i}`).join('\n');
    assert.equal(fitsMessage(text), false);
    const long = textReply(text, { fileName: 'p.log', keep: 'tail', noun: 'lines' });
    assert.equal(long.file?.name, 'p.log');
    assert.equal(long.file?.content, `${text}\n`);
    const preview = long.blocks[0].kind === 'code' ? long.blocks[0].text : '';
    assert.equal(preview.split('\n').length, 20);
    assert.equal(preview.split('\n').at(-1), 'line 99');
    assert.deepEqual(long.notes, ['showing the last 20 of 100 lines; the whole text is attached as p.log']);
  });

  it('cuts by characters too: one huge line keeps its end', () => {
    const huge = `${'x'.repeat(10_000)}END`;
    assert.equal(fitsMessage(huge), false);
    const p = tailPreview(huge);
    assert.ok(p.length <= MAX_MESSAGE_CHARS);
    assert.ok(p.endsWith('END') && p.startsWith('…'));
  });

  it('describe text aligns each run of keys and prints <none> for empty maps', () => {
    const w = new DescribeWriter().kv(0, 'Name', 'web').kv(0, 'Namespace', 'demo').map(0, 'Labels', { b: '2', a: '1' }).map(0, 'Annotations', {}).kv(0, 'Containers').kv(1, 'app').kv(2, 'Image', 'nginx');
    assert.equal(w.toString(), ['Name:         web', 'Namespace:    demo', 'Labels:       a=1', '              b=2', 'Annotations:  <none>', 'Containers:', '  app:', '    Image:  nginx', ''].join('\n'));
  });

  it('a multi-line value continues under its first line', () => {
    const w = new DescribeWriter().kv(0, 'State', 'Terminated').kv(1, 'Message', 'first\nsecond').kv(1, 'Exit Code', 1);
    assert.equal(w.toString(), ['State:  Terminated', '  Message:    first', '              second', '  Exit Code:  1', ''].join('\n'));
  });

  it('describe pod shows container state, last state, restarts and events with repeats', () => {
    const pod: k8s.V1Pod = {
      metadata: { name: 'crashloop', namespace: 'demo', annotations: { 'kubectl.kubernetes.io/last-applied-configuration': '{"huge":true}' } },
      spec: { containers: [{ name: 'app', image: 'demo:1', env: [{ name: 'DB_PASSWORD', value: 'hunter2' }] }] },
      status: {
        phase: 'Running',
        conditions: [{ type: 'Ready', status: 'False' }],
        containerStatuses: [{ name: 'app', image: 'demo:1', imageID: '', ready: false, restartCount: 5, state: { waiting: { reason: 'CrashLoopBackOff' } }, lastState: { terminated: { exitCode: 1, reason: 'Error', finishedAt: ago(24) } } }],
      },
    };
    const events: k8s.CoreV1Event[] = [
      { metadata: {}, involvedObject: { kind: 'Pod', name: 'crashloop' }, type: 'Warning', reason: 'BackOff', count: 12, firstTimestamp: ago(180), lastTimestamp: ago(3), message: 'Back-off restarting failed container', source: { component: 'kubelet' } },
      { metadata: {}, involvedObject: { kind: 'Pod', name: 'crashloop' }, type: 'Normal', reason: 'Scheduled', lastTimestamp: ago(200), message: 'assigned', source: { component: 'default-scheduler' } },
    ];
    const text = describePod(pod, events, NOW);
    assert.match(text, /State:\s+Waiting\n\s+Reason:\s+CrashLoopBackOff/);
    assert.match(text, /Last State:\s+Terminated\n\s+Reason:\s+Error\n\s+Exit Code:\s+1/);
    assert.match(text, /Restart Count:\s+5/);
    assert.match(text, /Environment:\s+DB_PASSWORD \(values not shown\)/);
    assert.doesNotMatch(text, /hunter2|last-applied/);
    const ev = text.slice(text.indexOf('Events:'));
    assert.ok(ev.indexOf('Scheduled') < ev.indexOf('BackOff'), 'newest last');
    assert.match(ev, /3s \(x12 over 3m\)\s+kubelet/);
  });

  it('events a user may not read are named, not fatal', () => {
    const w = new DescribeWriter();
    eventsSection(w, undefined, NOW, 'not allowed to list events');
    assert.equal(w.toString(), 'Events:  <not shown: not allowed to list events>\n');
  });
});

describe('rollout (kubectl client-side logic)', () => {
  const dep = (over: Partial<k8s.V1Deployment> = {}): k8s.V1Deployment => ({
    metadata: { name: 'web', uid: 'd1', generation: 2, annotations: { 'deployment.kubernetes.io/revision': '3' } },
    spec: { replicas: 3, selector: { matchLabels: { app: 'web' } }, template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'app', image: 'web:3' }] } } },
    status: { observedGeneration: 2, replicas: 3, updatedReplicas: 3, availableReplicas: 3 },
    ...over,
  });
  const rs = (rev: number, image: string, owner = 'd1'): k8s.V1ReplicaSet => ({
    metadata: { name: `web-${rev}`, annotations: { 'deployment.kubernetes.io/revision': String(rev), ...(rev === 2 ? { 'kubernetes.io/change-cause': 'set image 2' } : {}) }, ownerReferences: [{ apiVersion: 'apps/v1', kind: 'Deployment', name: 'web', uid: owner, controller: true }] },
    spec: { selector: { matchLabels: { app: 'web' } }, template: { metadata: { labels: { app: 'web', 'pod-template-hash': `h${rev}` } }, spec: { containers: [{ name: 'app', image }] } } },
  });

  it('status messages', () => {
    assert.equal(rolloutStatus(dep()).message, 'deployment "web" successfully rolled out');
    assert.equal(rolloutStatus(dep({ metadata: { name: 'web', generation: 3 } })).message, 'Waiting for deployment spec update to be observed...');
    assert.equal(rolloutStatus(dep({ status: { observedGeneration: 2, replicas: 3, updatedReplicas: 1 } })).message, 'Waiting for deployment "web" rollout to finish: 1 out of 3 new replicas have been updated...');
    assert.equal(rolloutStatus(dep({ status: { observedGeneration: 2, replicas: 4, updatedReplicas: 3 } })).message, 'Waiting for deployment "web" rollout to finish: 1 old replicas are pending termination...');
    assert.equal(rolloutStatus(dep({ status: { observedGeneration: 2, replicas: 3, updatedReplicas: 3, availableReplicas: 1 } })).message, 'Waiting for deployment "web" rollout to finish: 1 of 3 updated replicas are available...');
    const failed = rolloutStatus(dep({ status: { observedGeneration: 2, conditions: [{ type: 'Progressing', status: 'False', reason: 'ProgressDeadlineExceeded' }] } }));
    assert.deepEqual(failed, { message: 'deployment "web" exceeded its progress deadline', done: false, failed: true });
  });

  it('history rows by revision with change causes', () => {
    assert.deepEqual(rolloutHistory([rs(3, 'web:3'), rs(1, 'web:1'), rs(2, 'web:2')]), [['1', '<none>'], ['2', 'set image 2'], ['3', '<none>']]);
  });

  it('undo: the previous revision template, without pod-template-hash, with its annotations', () => {
    const plan = planUndo(dep(), [rs(1, 'web:1'), rs(3, 'web:3'), rs(2, 'web:2')]);
    assert.equal(plan.kind, 'patch');
    assert.ok(plan.kind === 'patch');
    assert.equal(plan.revision, 2);
    assert.deepEqual(plan.patch, [
      { op: 'replace', path: '/spec/template', value: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'app', image: 'web:2' }] } } },
      { op: 'replace', path: '/metadata/annotations', value: { 'deployment.kubernetes.io/revision': '3', 'kubernetes.io/change-cause': 'set image 2' } },
    ]);
    const to1 = planUndo(dep(), [rs(1, 'web:1'), rs(3, 'web:3')], 1);
    assert.equal(to1.kind === 'patch' && to1.revision, 1);
  });

  it('undo refuses without history, an unknown revision or a paused deployment, and skips a no-op', () => {
    assert.deepEqual(planUndo(dep(), [rs(3, 'web:3')]), { kind: 'error', message: 'no rollout history found for deployment "web"' });
    assert.deepEqual(planUndo(dep(), [rs(3, 'web:3')], 7), { kind: 'error', message: 'unable to find specified revision 7 in history' });
    assert.equal(planUndo(dep({ spec: { ...dep().spec!, paused: true } }), [rs(1, 'web:1'), rs(3, 'web:3')]).kind, 'error');
    assert.deepEqual(planUndo(dep(), [rs(1, 'web:3'), rs(3, 'web:3')]), { kind: 'skip', revision: 1, message: 'skipped rollback (current template already matches revision 1)' });
  });
});
