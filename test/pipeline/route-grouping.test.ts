// A route's `group:` through the outbox: what the route sends is grouped its
// way while another route to the same sink follows the sink's settings; the
// two groupings never share a group; the route's interval is kept with the
// group across a reopen of the state file; reminders keep the route's grouping.

import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { parseConfigText } from '../../src/config/index.ts';
import { type Notification, State } from '../../src/model/notification.ts';
import type { GroupOverride } from '../../src/pipeline/config.ts';
import type { SinkChoice, SinkSelection } from '../../src/pipeline/outbox.ts';
import { tableFromConfig } from '../../src/rules/index.ts';
import { Harness } from './harness.ts';
import { note, T0 } from './helpers.ts';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const MIN = 60_000;
const pods = (ns: readonly Notification[]): string[] => ns.map((n) => n.involvedObject!.name);

/** The sinks the config's routes choose, with the deciding route's grouping: what herald hands the outbox. */
function router(yaml: string): (n: Notification) => (string | SinkChoice)[] {
  const table = tableFromConfig(parseConfigText(yaml, 'k.yaml'));
  return (n) => {
    const r = table.match(n);
    return r.sinks.map((id) => (r.groups?.[id] ? { sink: id, group: r.groups[id] } : id));
  };
}

const enqueue = (h: Harness, ns: Notification[], route: SinkSelection) => {
  const r = h.store.transaction(() => h.outbox.enqueue(ns, route, h.clock.ms()));
  h.deliverer.wake();
  return r;
};

describe('per-route grouping', () => {
  const CONFIG = [
    'sinks: [{ name: chat, type: console }]',
    'routes:',
    '  - { name: crash-loops, match: { reasons: [CrashLoopBackOff] }, sinks: [chat], group: { by: [owner], waitSeconds: 20 } }',
    '  - { name: the-rest, match: {}, sinks: [chat] }',
  ].join('\n');

  it('50 crash-looping pods through a route grouping by owner are one message; another route to the sink follows the sink’s settings', async () => {
    // the sink's own settings: no grouping, no flood control
    h = new Harness({ sinks: ['config/chat'], policy: { groupBy: [], groupWaitMs: 10_000, groupIntervalMs: 5 * MIN } });
    const route = router(CONFIG);
    // two namespaces' worth of one Deployment's pods would be two groups under namespace; by owner alone one
    const crashes = Array.from({ length: 50 }, (_, i) => note({ pod: `web-${i}`, namespace: i % 2 ? 'shop' : 'shop-canary' }));
    const ooms = ['api-1', 'api-2', 'api-3'].map((pod) => note({ pod, owner: 'api', reason: 'OOMKilled' }));
    assert.deepEqual(enqueue(h, [...crashes, ...ooms], route), { queued: 3, grouped: 50, deduplicated: 0, folded: 0 });
    await h.run(20_000 - 1);
    assert.deepEqual(
      h.sink('config/chat').calls.map((c) => pods(c.notifications)),
      [['api-1'], ['api-2'], ['api-3']],
      'the rest at once, one message each; the crash loops held for the route’s waitSeconds',
    );
    await h.run(1);
    const calls = h.sink('config/chat').calls;
    assert.equal(calls.length, 4);
    assert.equal(calls[3].at, T0 + 20_000);
    assert.deepEqual(pods(calls[3].notifications), crashes.map((n) => n.involvedObject!.name));
    assert.ok(calls[3].group, 'sent as a group');
    // the route's interval is left to the sink: 5 minutes
    enqueue(h, [note({ pod: 'web-0', state: State.RESOLVED, namespace: 'shop-canary' })], route);
    await h.run(5 * MIN - 1);
    assert.equal(h.sink('config/chat').calls.length, 4);
    await h.run(1);
    assert.equal(h.sink('config/chat').calls[4].group?.update, 1);
  });

  it('never merges the route’s grouping and the sink’s, even on the same dimensions, nor their flood windows', async () => {
    h = new Harness({ sinks: ['config/chat'], policy: { groupBy: ['owner'], groupWaitMs: 20_000, floodWindowMs: 10 * MIN } });
    const route = router(
      [
        'sinks: [{ name: chat, type: console }]',
        'routes:',
        '  - { name: detected, match: { detectors: [crashLoopBackOff] }, sinks: [chat], group: { by: [owner] } }',
        '  - { name: the-rest, match: {}, sinks: [chat] }',
      ].join('\n'),
    );
    // one workload and reason, so one flood key: only the detector (and so the route) differs
    const fromEvents = (pod: string): Notification => Object.assign(note({ pod }), { detector: 'warningEvent' });
    const r = enqueue(h, [note({ pod: 'web-1' }), fromEvents('web-2'), note({ pod: 'web-3' }), fromEvents('web-4')], route);
    assert.deepEqual(r, { queued: 0, grouped: 4, deduplicated: 0, folded: 0 }, 'none joined a group that had gone out');
    await h.run(20_000);
    const calls = h.sink('config/chat').calls;
    assert.deepEqual(
      calls.map((c) => pods(c.notifications)),
      [
        ['web-1', 'web-3'],
        ['web-2', 'web-4'],
      ],
      'one group per grouping, each flood folded into its own first',
    );
    assert.notEqual(calls[0].group?.key, calls[1].group?.key);
    assert.deepEqual(h.store.db.prepare('SELECT folded FROM flood ORDER BY opened_at, flood_key').all().map((f) => f.folded), [1, 1]);
  });

  it('with several matching routes naming the sink, the first decides; `by: []` sends what its route matched ungrouped', async () => {
    h = new Harness({ sinks: ['config/chat'], policy: { groupBy: ['namespace', 'owner', 'reason'], groupWaitMs: 10_000 } });
    const route = router(
      [
        'sinks: [{ name: chat, type: console }]',
        'routes:',
        '  - { name: loud, match: { reasons: [OOMKilled] }, sinks: [chat], group: { by: [] }, continue: true }',
        '  - { name: all, match: {}, sinks: [chat], group: { by: [owner], waitSeconds: 0 } }',
      ].join('\n'),
    );
    const ns = [note({ pod: 'a', reason: 'OOMKilled' }), note({ pod: 'b', reason: 'OOMKilled' }), note({ pod: 'c' }), note({ pod: 'd' })];
    assert.deepEqual(route(ns[0]), [{ sink: 'config/chat', group: { route: 'config/loud', by: [] } }]);
    enqueue(h, ns, route);
    await h.run(0);
    assert.deepEqual(
      h.sink('config/chat').calls.map((c) => [pods(c.notifications), c.group === undefined]),
      [
        [['a'], true],
        [['b'], true],
        [['c', 'd'], false],
      ],
    );
  });

  it('the route’s interval is kept with the group: after a reopen its update waits that long, not the sink’s', async () => {
    h = new Harness({ sinks: ['chat'], policy: { groupBy: ['namespace', 'owner', 'reason'], groupWaitMs: 10_000, groupIntervalMs: 5 * MIN } });
    const group: GroupOverride = { route: 'config/crash-loops', by: ['owner'], intervalSeconds: 20 * 60 };
    enqueue(h, [note({ pod: 'a' }), note({ pod: 'b' })], () => [{ sink: 'chat', group }]);
    await h.run(10_000);
    assert.equal(h.sink().calls.length, 1);
    await h.restart();
    // its RESOLVED comes by a route without a group of its own (or with the table reloaded): the member's group decides
    h.enqueue([note({ pod: 'a', state: State.RESOLVED })]);
    await h.run(20 * MIN - 1);
    assert.equal(h.sink().calls.length, 1, 'the sink’s 5 minutes do not apply');
    await h.run(1);
    const update = h.sink().calls[1];
    assert.equal(update.at, T0 + 10_000 + 20 * MIN);
    assert.equal(update.group?.update, 1);
    assert.deepEqual(
      update.notifications.map((n) => [n.involvedObject?.name, n.state]),
      [
        ['a', State.RESOLVED],
        ['b', State.FIRING],
      ],
    );
    // nothing due until something joins; with nothing, it closes the route's interval after its last message
    assert.deepEqual(h.store.groups.due(Number.MAX_SAFE_INTEGER), []);
    const [g] = h.store.db.prepare('SELECT interval_ms, expires_at FROM delivery_groups').all() as { interval_ms: number; expires_at: number }[];
    assert.deepEqual([g.interval_ms, g.expires_at], [20 * MIN, update.at + 20 * MIN]);
  });

  it('an incident’s RESOLVED updates the group its FIRING joined, also when it comes where the sink does not group', async () => {
    h = new Harness({ sinks: ['chat'], policy: { groupBy: [], groupIntervalMs: 5 * MIN } });
    const group: GroupOverride = { route: 'config/crash-loops', by: ['owner'], waitSeconds: 0 };
    enqueue(h, [note({ pod: 'a' }), note({ pod: 'b' })], () => [{ sink: 'chat', group }]);
    await h.run(0);
    // a's RESOLVED joins the group that went out (folded: it waits for the update); c's goes on its own
    assert.deepEqual(enqueue(h, [note({ pod: 'a', state: State.RESOLVED }), note({ pod: 'c', state: State.RESOLVED })], ['chat']), { queued: 1, grouped: 1, deduplicated: 0, folded: 1 });
    await h.run(5 * MIN);
    assert.deepEqual(
      h.sink().calls.map((c) => [c.at - T0, c.notifications.map((n) => `${n.involvedObject?.name} ${State[n.state]}`)]),
      [
        [0, ['a FIRING', 'b FIRING']],
        [0, ['c RESOLVED']],
        [5 * MIN, ['a RESOLVED', 'b FIRING']],
      ],
    );
  });

  it('reminders keep the grouping of the route that first sent the incident', async () => {
    const open = new Set(['pod/a/app/CrashLoopBackOff', 'pod/b/app/CrashLoopBackOff']);
    h = new Harness({ sinks: ['chat'], policy: { groupBy: [], repeatIntervalMs: 60 * MIN }, openIncidents: () => open, pollIntervalMs: 10 * MIN });
    const group: GroupOverride = { route: 'config/crash-loops', by: ['owner'], waitSeconds: 0 };
    enqueue(h, [note({ pod: 'a' }), note({ pod: 'b' })], () => [{ sink: 'chat', group }]);
    await h.run(0);
    await h.restart();
    await h.run(60 * MIN);
    assert.deepEqual(
      h.sink().calls.map((c) => [pods(c.notifications), c.notifications.map((n) => n.fields.reminder ?? '').join()]),
      [
        [['a', 'b'], ','],
        [['a', 'b'], '1,1'],
      ],
    );
  });
});
