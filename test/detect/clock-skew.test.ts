// Time from the cluster is not trusted to be in the past: objects' timestamps
// come from node and control-plane clocks that may run ahead of kubeherald's.
// An incident without a minimum duration notifies when it is observed; a
// minimum counts from when the tracker first saw the condition or from the
// object's timestamp, whichever is later, the timestamp taken no later than
// when the tracker saw it.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { timestampDate } from '@bufbuild/protobuf/wkt';
import { detect } from '../../src/detect/index.ts';
import { dueAt, IncidentTracker } from '../../src/detect/tracker.ts';
import type { KubeObject } from '../../src/model/kube.ts';
import { type Notification, State } from '../../src/model/notification.ts';
import { config, cs, node, pod, POD_UID, running, t, terminated, waiting } from './fixtures.ts';

/** how far the cluster's clock runs ahead of kubeherald's, in seconds */
const AHEAD = 600;
const CFG = config();

/** kubeherald sees `obj` at its own second `s`. */
function feed(tr: IncidentTracker, kind: string, obj: KubeObject, s: number, cfg = CFG): Notification[] {
  return tr.observe(obj.metadata.uid!, obj, detect(kind, { current: obj }, t(s), cfg), t(s));
}
const brief = (ns: Notification[]): string[] => ns.map((n) => `${n.state === State.FIRING ? 'FIRING' : 'RESOLVED'} ${n.reason}`);

test('an OOM kill stamped ahead of our clock notifies when observed, and later kills change nothing', () => {
  const tr = new IncidentTracker({ cluster: 'c' });
  // killed at the cluster's second 609, observed at our second 10
  const killed = pod({ memoryLimit: '128Mi', statuses: [cs({ state: terminated('OOMKilled', 137, AHEAD + 3, AHEAD + 9) })], ready: ['False', AHEAD + 9] });
  const fired = feed(tr, 'Pod', killed, 10);
  assert.deepEqual(brief(fired), ['FIRING OOMKilled']);
  assert.deepEqual(timestampDate(fired[0].eventTime!), t(AHEAD + 9), 'the event time is still the cluster’s');
  assert.equal(tr.nextDue(), undefined);

  // crash-looping: each kill brings a newer timestamp, still ahead of ours; the incident is open and notified once
  const again = (kill: number, restarts: number): KubeObject =>
    pod({ memoryLimit: '128Mi', statuses: [cs({ state: waiting('CrashLoopBackOff', 'back-off'), last: terminated('OOMKilled', 137, AHEAD + kill - 5, AHEAD + kill), restarts })], ready: ['False', AHEAD + 9] });
  assert.deepEqual(brief(feed(tr, 'Pod', again(30, 1), 31)), ['FIRING CrashLoopBackOff']);
  assert.deepEqual(feed(tr, 'Pod', again(60, 2), 61), []);
  assert.deepEqual(feed(tr, 'Pod', again(110, 3), 111), []);
  assert.deepEqual(tr.open().map((i) => [i.key, i.notified]), [
    [`pod/${POD_UID}/app/OOMKilled`, true],
    [`pod/${POD_UID}/app/CrashLoopBackOff`, true],
  ]);
});

test('a node NotReady stamped ahead of our clock, no minimum: notified when observed', () => {
  const tr = new IncidentTracker({ cluster: 'c' });
  assert.deepEqual(brief(feed(tr, 'Node', node({ ready: ['Unknown', AHEAD + 5] }), 5)), ['FIRING NodeNotReady']);
});

test('a minimum duration counts from when we saw the condition, not from a timestamp in our future', () => {
  const tr = new IncidentTracker({ cluster: 'c' });
  const notReady = pod({ statuses: [cs({ state: running(AHEAD) })], ready: ['False', AHEAD + 4] });
  assert.deepEqual(feed(tr, 'Pod', notReady, 4), []);
  assert.deepEqual(tr.nextDue(), t(64));
  // the pod changes (probe results) with the same transition time: the due time stays
  assert.deepEqual(feed(tr, 'Pod', notReady, 30), []);
  assert.deepEqual(feed(tr, 'Pod', notReady, 50), []);
  assert.deepEqual(tr.nextDue(), t(64));
  assert.deepEqual(tr.tick(t(63)), []);
  const fired = tr.tick(t(64));
  assert.deepEqual(brief(fired), ['FIRING PodNotReady']);
  assert.deepEqual(timestampDate(fired[0].eventTime!), t(AHEAD + 4));
});

test('a condition that began again while pending counts from its new start', () => {
  const tr = new IncidentTracker({ cluster: 'c' });
  assert.deepEqual(feed(tr, 'Pod', pod({ statuses: [cs({ state: running(0) })], ready: ['False', 2] }), 3), []);
  assert.deepEqual(tr.nextDue(), t(63));
  // it was ready for a moment we did not see, and not ready again since 40
  assert.deepEqual(feed(tr, 'Pod', pod({ statuses: [cs({ state: running(0) })], ready: ['False', 40] }), 45), []);
  assert.deepEqual(tr.nextDue(), t(100));
  // ... and again since a time ahead of ours: from when we saw that, 50
  assert.deepEqual(feed(tr, 'Pod', pod({ statuses: [cs({ state: running(0) })], ready: ['False', 90] }), 50), []);
  assert.deepEqual(tr.nextDue(), t(110));
});

test('dueAt: now without a minimum; else the minimum after the later of opened and since, since capped at when it was seen', () => {
  const min = 60_000;
  // [opened, since, since seen at, minimum, now] → due
  const cases: [number, number | undefined, number, number, number, number][] = [
    [1000, 500_000, 1000, 0, 1000, 1000], // no minimum: at once, whatever since says
    [1000, undefined, 1000, min, 1000, 61_000], // no since: from opened
    [10_000, 0, 10_000, min, 10_000, 70_000], // since before we looked: from opened
    [10_000, 20_000, 25_000, min, 25_000, 80_000], // since after opened, in the past: from since
    [10_000, 90_000, 25_000, min, 25_000, 85_000], // since in our future: from when we saw it
  ];
  for (const [opened, since, seen, minimum, now, want] of cases) assert.equal(dueAt(opened, since, seen, minimum, now), want, JSON.stringify({ opened, since, seen, minimum, now }));
});
