// Routes with time windows: activeTimeIntervals / muteTimeIntervals
// evaluated at the instant handed in, a muted route still stopping
// evaluation, a RESOLVED never muted, undefined names refused.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { compileRoutes, compileTimeIntervals } from '../../src/rules/index.ts';
import { CONFIG_SINKS, notification, ordered, route } from './helpers.ts';

const { intervals } = compileTimeIntervals([
  { name: 'business', intervals: [{ times: [{ startTime: '08:00', endTime: '20:00' }], location: 'Europe/Berlin' }] },
  { name: 'night', intervals: [{ times: [{ startTime: '22:00', endTime: '06:00' }], location: 'Europe/Berlin' }] },
]);

// Monday 7 December 2026 (Berlin is UTC+1)
const NOON = Date.parse('2026-12-07T11:00:00Z');
const EVENING = Date.parse('2026-12-07T20:30:00Z'); // 21:30 Berlin: neither
const AFTER_MIDNIGHT = Date.parse('2026-12-07T23:30:00Z'); // 00:30 Berlin on Tuesday: night

describe('routes with time windows', () => {
  const table = compileRoutes(
    ordered(
      route('deploys', { reasons: ['ScalingReplicaSet'] }, { sinks: [{ name: 'a' }], activeTimeIntervals: ['business'] }),
      route('quiet', { reasons: ['CrashLoopBackOff'] }, { sinks: [{ name: 'b' }], muteTimeIntervals: ['night'], continue: true }),
      route('es', {}, { sinks: [{ name: 'c' }] }),
    ),
    CONFIG_SINKS,
    { timeIntervals: intervals },
  );
  const rollout = notification({ reason: 'ScalingReplicaSet', kind: 'Deployment' });

  it('an active interval: sends within it, not outside; the muted route still stops evaluation', () => {
    assert.deepEqual(table.problems, []);
    assert.deepEqual(table.match(rollout, NOON).sinks, ['config/a']);
    const r = table.match(rollout, EVENING);
    assert.deepEqual(r.sinks, []);
    assert.deepEqual(Object.keys(r.muted ?? {}), ['config/a']);
    assert.equal(r.muted?.['config/a'].interval, 'business');
    assert.equal(r.decisions[0].why, 'matched: reasons; outside its active time interval business (Europe/Berlin)');
    // without an instant, windows are not evaluated
    assert.deepEqual(table.match(rollout).sinks, ['config/a']);
  });

  it('a mute interval across midnight; continue goes on to the next route; explain says why', () => {
    const crash = notification();
    assert.deepEqual(table.match(crash, EVENING).sinks, ['config/b', 'config/c']);
    const r = table.match(crash, AFTER_MIDNIGHT);
    assert.deepEqual(r.sinks, ['config/c']);
    assert.deepEqual(r.muted?.['config/b'], { route: 'config/quiet', interval: 'night', kind: 'mute', locations: ['Europe/Berlin'], text: 'muted by time interval night (Europe/Berlin)' });
    const e = table.explain(crash, AFTER_MIDNIGHT);
    assert.deepEqual(e.sinks, ['config/c']);
    assert.equal(e.decisions.find((d) => d.routeId === 'config/quiet')?.why, 'matched: reasons; muted by time interval night (Europe/Berlin)');
    assert.equal(e.decisions.find((d) => d.routeId === 'config/quiet')?.muted?.interval, 'night');
  });

  it('a RESOLVED is never muted: the end of a FIRING that went out reaches the same chat', () => {
    assert.deepEqual(table.match(notification({ reason: 'ScalingReplicaSet', kind: 'Deployment', state: 'resolved' }), EVENING).sinks, ['config/a']);
    assert.deepEqual(table.match(notification({ state: 'resolved' }), AFTER_MIDNIGHT).sinks, ['config/b', 'config/c']);
  });

  it('a sink a later route adds anyway is not reported muted', () => {
    const t = compileRoutes(
      ordered(route('a-night', {}, { sinks: [{ name: 'a' }], muteTimeIntervals: ['night'], continue: true }), route('a-always', {}, { sinks: [{ name: 'a' }] })),
      CONFIG_SINKS,
      { timeIntervals: intervals },
    );
    const r = t.match(notification(), AFTER_MIDNIGHT);
    assert.deepEqual(r.sinks, ['config/a']);
    assert.equal(r.muted, undefined);
  });

  it('a name not defined leaves the route out, naming the route and the name', () => {
    const t = compileRoutes(
      [
        route('deploys', {}, { activeTimeIntervals: ['busines'] }),
        { ...route('x', {}, { muteTimeIntervals: ['night', ''] }), id: 'ClusterRoute/x', source: 'ClusterRoute' },
      ],
      CONFIG_SINKS,
      { timeIntervals: intervals },
    );
    assert.deepEqual(
      t.problems.map((p) => `${p.routeId} ${p.field} ${p.reason}: ${p.message}`),
      [
        'ClusterRoute/x spec.muteTimeIntervals[1] InvalidTimeInterval: expected a time interval name, got ""',
        'config/deploys activeTimeIntervals[0] UnknownTimeInterval: route "deploys" names time interval "busines", which is not defined (timeIntervals: business, night)',
      ],
    );
    assert.equal(t.routes.length, 0);
    const none = compileRoutes([route('d', {}, { activeTimeIntervals: ['business'] })], CONFIG_SINKS);
    assert.match(none.problems[0].message, /which is not defined \(no timeIntervals are defined\)/);
  });
});
