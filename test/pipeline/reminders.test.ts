// Reminder timing (pure) and the keys and payloads the pipeline builds.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Severity, State } from '../../src/model/notification.ts';
import { floodKeyOf, groupKeyOf, reminderOf, summarizeGroup } from '../../src/pipeline/keys.ts';
import { decodeGroup, encodeGroup } from '../../src/pipeline/payload.ts';
import { dueReminders, nextReminderAt, staleReminders } from '../../src/pipeline/reminders.ts';
import { note, T0 } from './helpers.ts';

const H = 3600_000;

describe('dueReminders', () => {
  const last = new Map([
    ['a', 0],
    ['b', 1 * H],
    ['c', 2 * H],
    ['gone', 0],
  ]);
  const open = new Set(['a', 'b', 'c', 'never-sent']);

  it('lists open incidents last sent an interval ago or more, oldest first', () => {
    assert.deepEqual(dueReminders(open, last, 5 * H, 4 * H), ['a', 'b']);
    assert.deepEqual(dueReminders(open, last, 4 * H - 1, 4 * H), []);
    assert.deepEqual(dueReminders(open, last, 6 * H, 4 * H), ['a', 'b', 'c']);
  });

  it('an interval of 0 turns reminders off', () => {
    assert.deepEqual(dueReminders(open, last, 100 * H, 0), []);
    assert.equal(nextReminderAt(last.values(), 0), undefined);
  });

  it('names incidents no longer open, and the next due time', () => {
    assert.deepEqual(staleReminders(open, last), ['gone']);
    assert.equal(nextReminderAt(last.values(), 4 * H), 4 * H);
    assert.equal(nextReminderAt([], 4 * H), undefined);
  });
});

describe('keys', () => {
  it('one flood key per owner workload and reason, whatever the pod', () => {
    assert.equal(floodKeyOf(note({ pod: 'web-1' })), floodKeyOf(note({ pod: 'web-2' })));
    assert.notEqual(floodKeyOf(note({ pod: 'web-1' })), floodKeyOf(note({ pod: 'web-1', reason: 'OOMKilled' })));
    assert.notEqual(floodKeyOf(note({ owner: 'web' })), floodKeyOf(note({ owner: 'api' })));
    assert.notEqual(floodKeyOf(note({ pod: 'a', owner: '' })), floodKeyOf(note({ pod: 'b', owner: '' })), 'without an owner the object is the workload');
    // a change of severity, or a Deployment's next revision, is another occurrence
    assert.notEqual(floodKeyOf(note({ pod: 'web-1' })), floodKeyOf(Object.assign(note({ pod: 'web-2' }), { severity: Severity.WARNING })));
    const rollout = (revision: string) => Object.assign(note({ pod: 'web', reason: 'RolloutCompleted' }), { fields: { revision } });
    assert.notEqual(floodKeyOf(rollout('2')), floodKeyOf(rollout('3')));
  });

  it('group keys follow groupBy and always the target and cluster', () => {
    const by = ['namespace', 'owner', 'reason'];
    assert.equal(groupKeyOf(note({ pod: 'a' }), by, '#ops'), groupKeyOf(note({ pod: 'b' }), by, '#ops'));
    assert.notEqual(groupKeyOf(note({ pod: 'a' }), by, '#ops'), groupKeyOf(note({ pod: 'a' }), by, '#dev'));
    assert.notEqual(groupKeyOf(note({ pod: 'a' }), by, '#ops'), groupKeyOf(note({ pod: 'a', cluster: 'staging' }), by, '#ops'));
    assert.notEqual(groupKeyOf(note({ pod: 'a' }), ['object'], '#ops'), groupKeyOf(note({ pod: 'b' }), ['object'], '#ops'));
  });

  it('a reminder has a new idempotency key per repeat and says it is one', () => {
    const n = note();
    const r1 = reminderOf(n, 1);
    assert.notEqual(r1.idempotencyKey, n.idempotencyKey);
    assert.notEqual(reminderOf(n, 2).idempotencyKey, r1.idempotencyKey);
    assert.equal(reminderOf(n, 1).idempotencyKey, r1.idempotencyKey);
    assert.equal(r1.fields.reminder, '1');
    assert.equal(r1.incidentKey, n.incidentKey);
  });

  it('a group stands as its newest firing member, with its own text, counting and naming the rest and since when', () => {
    const at = (min: number): number => T0 + min * 60_000;
    const ns = [note({ pod: 'a', state: State.RESOLVED, time: at(9) }), ...['b', 'c', 'd', 'e', 'f', 'g', 'h'].map((pod, i) => note({ pod, time: at(i === 2 ? 8 : 2 + i / 10) }))];
    const s = summarizeGroup(ns);
    assert.equal(s.involvedObject?.name, 'd', 'the latest of those firing, not the first to join');
    assert.equal(s.message, 'container app of d: CrashLoopBackOff (and 7 more since 12:02 UTC: a (resolved), b, c, e, f, …)');
    assert.deepEqual([s.fields.groupSize, s.fields.groupFiring, s.fields.groupResolved], ['8', '7', '1']);
    assert.equal(summarizeGroup([ns[1]]), ns[1]);
    // two revisions of one rollout: the update speaks of the new one, never the old one's text
    const rev = (r: string, min: number) => Object.assign(note({ pod: 'web', incident: `deployment/web/rollout/${r}`, reason: 'RolloutCompleted', time: at(min) }), { message: `web rolled out revision ${r}` });
    assert.equal(summarizeGroup([rev('2', 0), rev('3', 5)]).message, 'web rolled out revision 3 (and 1 more since 12:00 UTC: web)');
  });

  it('group payloads round-trip through protobuf binary', () => {
    const ns = [note({ pod: 'a' }), note({ pod: 'b', state: State.RESOLVED })];
    const back = decodeGroup(encodeGroup(ns));
    assert.deepEqual(
      back.map((n) => [n.involvedObject?.name, n.state]),
      [
        ['a', State.FIRING],
        ['b', State.RESOLVED],
      ],
    );
    assert.throws(() => decodeGroup(encodeGroup(ns).subarray(0, 10)), /truncated/);
  });
});
