import assert from 'node:assert/strict';
import { test } from 'node:test';
import { detect } from '../../src/detect/index.ts';
import { describeResolved } from '../../src/detect/resolved.ts';
import { IncidentTracker } from '../../src/detect/tracker.ts';
import type { KubeObject } from '../../src/model/kube.ts';
import { Severity, State } from '../../src/model/notification.ts';
import { causeOf, podOrObjectCause } from '../../src/pipeline/inhibit-rules.ts';
import { at, config, t } from './fixtures.ts';

const UID = '5b0c3e0a-7a51-4f0e-9d0c-1f4a2f8e9a11';

/** A Namespace; `deleting` the second its deletion began; conditions as [type, status, since, reason?, message?]. */
function namespace(opts: { deleting?: number; phase?: string; conditions?: [string, string, number, string?, string?][] } = {}): KubeObject {
  return {
    metadata: { name: 'shop', uid: UID, ...(opts.deleting !== undefined ? { deletionTimestamp: at(opts.deleting) } : {}) },
    status: {
      phase: opts.phase ?? (opts.deleting !== undefined ? 'Terminating' : 'Active'),
      ...(opts.conditions
        ? { conditions: opts.conditions.map(([type, status, since, reason, message]) => ({ type, status, lastTransitionTime: at(since), ...(reason ? { reason } : {}), ...(message ? { message } : {}) })) }
        : {}),
    },
  };
}

const run = (ns: KubeObject, cfg = config()) => detect('Namespace', { current: ns }, t(100), cfg);

test('an Active namespace says nothing; the detector switched off says nothing either', () => {
  assert.deepEqual(run(namespace()), []);
  assert.deepEqual(run(namespace({ deleting: 10 }), config({ namespaceTerminating: { enabled: false } })), []);
  assert.deepEqual(detect('Namespace', { current: undefined, old: namespace({ deleting: 10 }) }, t(100), config()), [], 'a deleted namespace: the tracker resolves');
});

test('a Terminating namespace is NamespaceTerminating (warning, at once, since its deletion), the reason the inhibitor opens a namespace cause for', () => {
  const [o, ...rest] = run(namespace({ deleting: 10 }));
  assert.deepEqual(rest, []);
  assert.deepEqual(o, {
    kind: 'level',
    key: `namespace/${UID}/Terminating`,
    state: 'firing',
    detector: 'namespaceTerminating',
    severity: Severity.WARNING,
    reason: 'NamespaceTerminating',
    title: 'Namespace shop is being deleted',
    message: `Namespace shop is Terminating since ${at(10)}: everything in it is being deleted`,
    since: at(10),
    fields: { namespace: 'shop', phase: 'Terminating' },
    involved: { apiVersion: 'v1', kind: 'Namespace', namespace: '', name: 'shop', uid: UID },
  });
  // the phase alone (a trimmed object without the timestamp) says so too
  assert.equal(run(namespace({ phase: 'Terminating' }))[0]?.reason, 'NamespaceTerminating');
  // the inhibitor's namespace rule reads exactly this reason and kind
  const cause = causeOf(note('NamespaceTerminating', 'Namespace', '', 'shop'));
  assert.equal(cause?.kind, 'namespace');
  assert.equal(cause?.namespace, 'shop');
  assert.equal(podOrObjectCause(note('CrashLoopBackOff', 'Pod', 'shop', 'worker', 'pod/w'), [cause!])?.key, cause!.key);
  assert.equal(podOrObjectCause(note('CrashLoopBackOff', 'Pod', 'other', 'worker', 'pod/w'), [cause!]), undefined, 'another namespace\'s objects are not its effects');
  assert.equal(causeOf(note('NamespaceDeletionFailed', 'Namespace', '', 'shop'))?.kind, 'namespace');
});

test('content, finalizers or a failure remaining: NamespaceDeletionFailed once the longest-standing held failedMinSeconds; False conditions are progress', () => {
  const ns = namespace({
    deleting: 10,
    conditions: [
      ['NamespaceDeletionDiscoveryFailure', 'False', 11, 'ResourcesDiscovered'],
      ['NamespaceContentRemaining', 'True', 20, 'SomeResourcesRemain', 'Some resources are remaining: widgets.example.com has 1 resource instances'],
      ['NamespaceFinalizersRemaining', 'True', 12, 'SomeFinalizersRemain', 'Some content in the namespace has finalizers remaining: example.com/cleanup in 1 resource instances'],
    ],
  });
  const failed = run(ns, config({ namespaceTerminating: { failedMinSeconds: 120 } })).find((o) => o.reason === 'NamespaceDeletionFailed')!;
  assert.equal(failed.key, `namespace/${UID}/DeletionFailed`);
  assert.equal(failed.severity, Severity.WARNING);
  assert.equal(failed.since, at(12), 'since the longest-standing blocking condition');
  assert.equal(failed.minDurationMs, 120_000);
  assert.equal(failed.fields?.conditions, 'NamespaceFinalizersRemaining,NamespaceContentRemaining');
  assert.match(failed.message, /^Namespace shop cannot finish deleting: NamespaceFinalizersRemaining \(SomeFinalizersRemain\): .*example\.com\/cleanup.*; NamespaceContentRemaining \(SomeResourcesRemain\)/);
  const progressing = namespace({ deleting: 10, conditions: [['NamespaceContentRemaining', 'False', 20, 'ContentRemoved'], ['NamespaceDeletionContentFailure', 'False', 20, 'ContentDeleted']] });
  assert.deepEqual(run(progressing).map((o) => o.reason), ['NamespaceTerminating']);
  // a failure condition alone counts
  assert.deepEqual(run(namespace({ deleting: 10, conditions: [['NamespaceDeletionDiscoveryFailure', 'True', 30, 'DiscoveryFailed', 'unable to retrieve the complete list of server APIs']] })).map((o) => o.reason), ['NamespaceTerminating', 'NamespaceDeletionFailed']);
});

test('through the tracker: Terminating fires at once and resolves when the namespace is gone; a deletion that finishes within the minimum never fires DeletionFailed', () => {
  const tracker = new IncidentTracker({ cluster: 'c', includeRaw: false });
  const cfg = config();
  const deleting = namespace({ deleting: 10, conditions: [['NamespaceContentRemaining', 'True', 11, 'SomeResourcesRemain', 'pods has 2 resource instances']] });
  const fired = tracker.observe(UID, deleting, detect('Namespace', { current: deleting }, t(12), cfg), t(12));
  assert.deepEqual(fired.map((n) => [n.reason, n.state]), [['NamespaceTerminating', State.FIRING]]);
  const emptied = namespace({ deleting: 10, conditions: [['NamespaceContentRemaining', 'False', 45, 'ContentRemoved']] });
  assert.deepEqual(tracker.observe(UID, emptied, detect('Namespace', { old: deleting, current: emptied }, t(45), cfg), t(45)), []);
  const gone = tracker.observe(UID, undefined, detect('Namespace', { old: emptied }, t(46), cfg), t(46));
  assert.deepEqual(gone.map((n) => [n.reason, n.state]), [['NamespaceTerminating', State.RESOLVED]]);
  assert.equal(gone[0].message, 'namespace shop was deleted');
  assert.deepEqual(tracker.tick(t(1000)), [], 'nothing left to fire');
});

test('through the tracker: content stuck past the minimum fires DeletionFailed, which resolves once the namespace is gone', () => {
  const tracker = new IncidentTracker({ cluster: 'c', includeRaw: false });
  const cfg = config({ namespaceTerminating: { failedMinSeconds: 60 } });
  const stuck = namespace({ deleting: 10, conditions: [['NamespaceFinalizersRemaining', 'True', 11, 'SomeFinalizersRemain', 'example.com/cleanup in 1 resource instances']] });
  tracker.observe(UID, stuck, detect('Namespace', { current: stuck }, t(12), cfg), t(12));
  assert.deepEqual(tracker.tick(t(40)), [], 'within the minimum');
  const due = tracker.tick(t(80));
  assert.deepEqual(due.map((n) => [n.reason, n.state]), [['NamespaceDeletionFailed', State.FIRING]]);
  const gone = tracker.observe(UID, undefined, [], t(90));
  assert.deepEqual(gone.map((n) => [n.reason, n.state]).sort(), [['NamespaceDeletionFailed', State.RESOLVED], ['NamespaceTerminating', State.RESOLVED]]);
  assert.equal(gone.find((n) => n.reason === 'NamespaceDeletionFailed')!.message, 'namespace shop finished deleting: it is gone');
});

test('resolved texts when the namespace is still there', () => {
  const [terminating, failed] = run(namespace({ deleting: 10, conditions: [['NamespaceContentRemaining', 'True', 11]] }));
  assert.equal(describeResolved(failed, namespace({ deleting: 10 })), 'namespace shop deletion is progressing again: nothing reports content, finalizers or failures remaining');
  assert.equal(describeResolved(terminating, namespace()), 'namespace shop is no longer Terminating (phase Active)');
});

function note(reason: string, kind: string, namespace: string, name: string, key = `${kind.toLowerCase()}/${name}/${reason}`) {
  return {
    incidentKey: key,
    reason,
    cluster: 'c',
    state: State.FIRING,
    involvedObject: { kind, namespace, name },
    fields: {},
  } as unknown as Parameters<typeof causeOf>[0];
}
