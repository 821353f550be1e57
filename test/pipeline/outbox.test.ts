// The way in: dedup (also across a reopen of the file), flood folding,
// grouping (with its updates, and across a restart) and repeat reminders.

import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { type Notification, Severity, State } from '../../src/model/notification.ts';
import { deliverySchema, sinkPolicy } from '../../src/pipeline/config.ts';
import { T0, note } from './helpers.ts';
import { Harness } from './harness.ts';
import { Outbox } from '../../src/pipeline/outbox.ts';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const pods = (ns: readonly Notification[]): string[] => ns.map((n) => n.involvedObject!.name);
const MIN = 60_000;

describe('dedup', () => {
  it('never enqueues a (notification, sink) pair twice, also after the file is reopened', async () => {
    h = new Harness({ sinks: ['a', 'b'] });
    const n = note({ pod: 'web-1' });
    assert.equal(h.enqueue([n]).queued, 2);
    assert.deepEqual(h.enqueue([n]), { queued: 0, grouped: 0, deduplicated: 2, folded: 0 });
    await h.run(0);
    await h.restart();
    assert.deepEqual(h.enqueue([n], ['a']), { queued: 0, grouped: 0, deduplicated: 1, folded: 0 });
    await h.run(1000);
    assert.equal(h.sink('a').calls.length, 1);
    assert.equal(h.sink('b').calls.length, 1);
  });
});

describe('flood control', () => {
  // grouped per object, so only flood control can put two pods in one group
  const PER_OBJECT = { groupBy: ['object'], groupWaitMs: 10_000, groupIntervalMs: 5 * MIN, floodWindowMs: 10 * MIN };
  const groupOf = (n: Notification): string | undefined => h!.store.groups.groupOfMember('chat', n.incidentKey);

  it('without grouping folds nothing: every notification goes out on its own', async () => {
    h = new Harness({ policy: { floodWindowMs: 10 * MIN } });
    const r = h.enqueue(['web-1', 'web-2', 'web-3'].map((pod) => note({ pod })));
    assert.deepEqual(r, { queued: 3, grouped: 0, deduplicated: 0, folded: 0 });
    assert.deepEqual(h.enqueue(['web-1', 'web-2'].map((pod) => note({ pod, state: State.RESOLVED }))), { queued: 2, grouped: 0, deduplicated: 0, folded: 0 });
    await h.run(0);
    assert.equal(h.sink().calls.length, 5);
    assert.equal(h.store.db.prepare('SELECT COUNT(*) AS n FROM flood_folded').get()!.n, 0);
  });

  it('repeats of one occurrence join the first one’s group; another workload, reason, severity or revision does not', async () => {
    h = new Harness({ policy: PER_OBJECT });
    const first = note({ pod: 'web-1' });
    h.enqueue([first]);
    const repeats = ['web-2', 'web-3'].map((pod) => note({ pod }));
    assert.deepEqual(h.enqueue(repeats), { queued: 0, grouped: 2, deduplicated: 0, folded: 0 });
    for (const n of repeats) assert.equal(groupOf(n), groupOf(first));
    const others = [note({ pod: 'api-1', owner: 'api' }), note({ pod: 'web-4', reason: 'OOMKilled' })];
    const warning = note({ pod: 'web-5' });
    warning.severity = Severity.WARNING;
    const rev2 = note({ pod: 'web-6', incident: 'deployment/web/rollout/2', reason: 'RolloutCompleted' });
    rev2.fields = { revision: '2' };
    const rev3 = note({ pod: 'web-7', incident: 'deployment/web/rollout/3', reason: 'RolloutCompleted' });
    rev3.fields = { revision: '3' };
    h.enqueue([...others, warning, rev2, rev3]);
    const groups = new Set([first, ...others, warning, rev2, rev3].map(groupOf));
    assert.equal(groups.size, 6, 'each its own group');
    await h.run(10_000);
    const calls = h.sink().calls;
    assert.deepEqual(
      calls.map((c) => pods(c.notifications)),
      [['web-1', 'web-2', 'web-3'], ['api-1'], ['web-4'], ['web-5'], ['web-6'], ['web-7']],
    );
    assert.equal(h.store.flood.get('chat', JSON.stringify(['prod', 'shop', 'Deployment/web', 'CrashLoopBackOff', 'CRITICAL', '']))?.folded, 2);
  });

  it('the first one’s RESOLVED ends the occurrence: what fires after it is news of its own', async () => {
    h = new Harness({ policy: PER_OBJECT });
    h.enqueue([note({ pod: 'web-1' })]);
    await h.run(10_000);
    h.enqueue([note({ pod: 'web-1', state: State.RESOLVED })]);
    // web-2 crashes a minute later, within the window: not a repeat of web-1's crash, which is over
    await h.run(MIN);
    const later = note({ pod: 'web-2' });
    h.enqueue([later]);
    assert.notEqual(groupOf(later), h.store.groups.groupOfMember('chat', 'pod/web-1/app/CrashLoopBackOff'));
    await h.run(10_000);
    assert.deepEqual(pods(h.sink().calls[1].notifications), ['web-2'], 'its own message after its own group wait');
  });

  it('an incident that resolves and fires again before its group’s next message shows both', async () => {
    h = new Harness({ policy: { ...PER_OBJECT, groupBy: ['owner'] } });
    h.enqueue([note({ pod: 'web-1' })]);
    await h.run(10_000);
    h.enqueue([note({ pod: 'web-1', state: State.RESOLVED })]);
    await h.run(30_000);
    const again = note({ pod: 'web-1', key: 'web-1/firing/again', time: T0 + 40_000 });
    const r = h.enqueue([again]);
    assert.deepEqual(r, { queued: 0, grouped: 1, deduplicated: 0, folded: 1 }, 'it waits for the group’s update');
    await h.run(5 * MIN);
    const update = h.sink().calls[1];
    assert.deepEqual(
      update.notifications.map((n) => [n.involvedObject?.name, n.state, n.idempotencyKey]),
      [
        ['web-1', State.RESOLVED, 'pod/web-1/app/CrashLoopBackOff/resolved'],
        ['web-1', State.FIRING, 'web-1/firing/again'],
      ],
    );
  });

  it('a record sink gets every notification on its own, at once, whatever its policy or a route says', async () => {
    const records = sinkPolicy(deliverySchema.parse({}), 'elasticsearch', undefined);
    assert.deepEqual([records.records, records.groupBy, records.floodWindowMs, records.groupWaitMs], [true, [], 0, 0]);
    h = new Harness({ sinks: ['es'], policies: { es: records } });
    const crashes = ['web-1', 'web-2', 'web-3'].map((pod) => note({ pod }));
    const r = h.store.transaction(() => h!.outbox.enqueue(crashes, [{ sink: 'es', group: { route: 'config/all', by: ['namespace'], waitSeconds: 30 } }], h!.clock.ms()));
    assert.deepEqual(r, { queued: 3, grouped: 0, deduplicated: 0, folded: 0 });
    await h.run(0);
    assert.deepEqual(pods(h.sink('es').calls.flatMap((c) => c.notifications)), ['web-1', 'web-2', 'web-3']);
  });
});

describe('grouping', () => {
  const GROUPED = { groupBy: ['namespace', 'owner', 'reason'], groupWaitMs: 10_000, groupIntervalMs: 5 * MIN, floodWindowMs: 10 * MIN };

  it('50 crash-looping pods of one deployment within 3 s: one message per sink, updated as more join', async () => {
    h = new Harness({ sinks: ['slack', 'console'], sinkOptions: { console: { groups: false } }, policy: GROUPED });
    for (let i = 0; i < 50; i++) {
      h.enqueue([note({ pod: `web-${i}` })]);
      await h.run(60);
    }
    await h.run(10_000 - 3000 - 1);
    assert.equal(h.sink('slack').calls.length, 0, 'held for groupWait');
    await h.run(1);
    const [slack] = h.sink('slack').calls;
    assert.equal(h.sink('slack').calls.length, 1);
    assert.equal(slack.at, T0 + 10_000);
    assert.deepEqual(slack.group?.update, 0);
    assert.deepEqual(
      pods(slack.notifications),
      Array.from({ length: 50 }, (_, i) => `web-${i}`),
    );
    const [consoleCall] = h.sink('console').calls;
    assert.equal(h.sink('console').calls.length, 1);
    assert.equal(consoleCall.notifications.length, 1, 'a sink without sendGroup gets one notification standing for the group');
    assert.equal(consoleCall.notifications[0].fields.groupSize, '50');
    // the newest member speaks for the group (all crashed at once here: the last to join), counting the others
    assert.match(consoleCall.notifications[0].message, /^container app of web-49: CrashLoopBackOff \(and 49 more since 12:00 UTC: web-0, web-1, web-2, web-3, web-4, …\)$/);

    // five more a minute later: one update, groupInterval after the first message, listing all 55
    await h.run(MIN - 10_000);
    h.enqueue(['web-50', 'web-51', 'web-52', 'web-53', 'web-54'].map((pod) => note({ pod })));
    await h.run(10_000 + 4 * MIN - 1);
    assert.equal(h.sink('slack').calls.length, 1, 'the update waits out groupInterval');
    await h.run(1);
    assert.equal(h.sink('slack').calls.length, 2);
    const update = h.sink('slack').calls[1];
    assert.equal(update.at, T0 + 10_000 + 5 * MIN);
    assert.equal(update.group?.update, 1);
    assert.equal(update.group?.key, slack.group?.key);
    assert.equal(update.notifications.length, 55);

    // the rollout recovers long after: the 55 RESOLVED make one message, and the group is gone
    await h.run(20 * MIN);
    h.enqueue(Array.from({ length: 55 }, (_, i) => note({ pod: `web-${i}`, state: State.RESOLVED })));
    await h.run(10_000);
    const last = h.sink('slack').calls.at(-1)!;
    assert.equal(h.sink('slack').calls.length, 3);
    assert.equal(last.notifications.length, 55);
    assert.ok(last.notifications.every((n) => n.state === State.RESOLVED));
    assert.equal(h.store.db.prepare('SELECT COUNT(*) AS n FROM delivery_groups').get()!.n, 0);
    assert.equal(h.store.db.prepare('SELECT COUNT(*) AS n FROM group_members').get()!.n, 0);
    assert.equal(h.sink('console').calls.length, 3);
  });

  it('an update lists a member that resolved, once; the next update no longer does', async () => {
    h = new Harness({ policy: GROUPED });
    h.enqueue(['a', 'b', 'c'].map((pod) => note({ pod })));
    await h.run(10_000);
    h.enqueue([note({ pod: 'a', state: State.RESOLVED })]);
    await h.run(5 * MIN);
    const update = h.sink().calls[1];
    assert.deepEqual(
      update.notifications.map((n) => [n.involvedObject?.name, n.state]),
      [
        ['a', State.RESOLVED],
        ['b', State.FIRING],
        ['c', State.FIRING],
      ],
    );
    h.enqueue([note({ pod: 'd' })]);
    await h.run(5 * MIN);
    assert.deepEqual(pods(h.sink().calls[2].notifications), ['b', 'c', 'd']);
  });

  it('a group being held survives a restart', async () => {
    h = new Harness({ policy: GROUPED });
    h.enqueue(Array.from({ length: 10 }, (_, i) => note({ pod: `web-${i}` })));
    await h.run(5000);
    await h.restart();
    await h.run(4999);
    assert.equal(h.sink().calls.length, 0);
    await h.run(1);
    assert.equal(h.sink().calls.length, 1);
    assert.equal(h.sink().calls[0].notifications.length, 10);
  });

  it('keeps groups of different targets, namespaces and reasons apart', async () => {
    h = new Harness({ policy: GROUPED, sinkOptions: { chat: { targetOf: (n) => (n.severity === 3 ? '#critical' : '#other') } } });
    h.enqueue([note({ pod: 'a' }), note({ pod: 'b' }), note({ pod: 'c', namespace: 'pay' }), note({ pod: 'd', reason: 'OOMKilled' })]);
    await h.run(10_000);
    assert.deepEqual(
      h.sink().calls.map((c) => pods(c.notifications)),
      [['a', 'b'], ['c'], ['d']],
    );
  });

  it('a lone notification goes out as itself, not as a group', async () => {
    h = new Harness({ policy: GROUPED });
    h.enqueue([note({ pod: 'a' })]);
    await h.run(10_000);
    assert.equal(h.sink().calls[0].group, undefined);
  });
});

describe('reminders', () => {
  it('repeats incidents still firing every repeatInterval, and stops once they resolve or close', async () => {
    const open = new Set(['pod/a/app/CrashLoopBackOff', 'pod/b/app/CrashLoopBackOff']);
    h = new Harness({ policy: { repeatIntervalMs: 4 * 3600_000 }, openIncidents: () => open, pollIntervalMs: 10 * MIN });
    h.enqueue([note({ pod: 'a' }), note({ pod: 'b' })]);
    await h.run(4 * 3600_000 - 1);
    assert.equal(h.sink().calls.length, 2);
    await h.run(1);
    const reminders = h.sink().calls.slice(2).flatMap((c) => c.notifications);
    assert.deepEqual(
      reminders.map((n) => [n.involvedObject?.name, n.fields.reminder]),
      [
        ['a', '1'],
        ['b', '1'],
      ],
    );
    assert.notEqual(reminders[0].idempotencyKey, h.sink().calls[0].keys[0]);
    open.delete('pod/b/app/CrashLoopBackOff');
    await h.restart();
    await h.run(4 * 3600_000);
    assert.deepEqual(
      h.sink().calls.slice(4).map((c) => [c.notifications[0].involvedObject?.name, c.notifications[0].fields.reminder]),
      [['a', '2']],
    );
    h.enqueue([note({ pod: 'a', state: State.RESOLVED })]);
    await h.run(12 * 3600_000);
    assert.deepEqual(
      h.sink().calls.slice(5).map((c) => [c.notifications[0].involvedObject?.name, c.notifications[0].state]),
      [['a', State.RESOLVED]],
    );
    assert.equal(h.store.reminders.list('chat').length, 0);
  });

  it('keeps no reminder for what can never be reminded of (remindable: an edge, a notice), and still delivers it', () => {
    h = new Harness({ policy: { repeatIntervalMs: 4 * 3600_000 } });
    const open = new Set(['pod/a/app/CrashLoopBackOff']);
    const outbox = new Outbox({ store: h.store, sinks: h.sinks, policies: { forSink: (s) => h!.policyOf(s) }, remindable: (n) => open.has(n.incidentKey) });
    const r = h.store.transaction(() => outbox.enqueue([note({ pod: 'a' }), note({ pod: 'w', incident: 'event/uid-1' })], ['chat'], h!.clock.ms()));
    assert.equal(r.queued, 2);
    assert.deepEqual(
      h.store.reminders.list('chat').map((row) => row.incidentKey),
      ['pod/a/app/CrashLoopBackOff'],
    );
  });
});
