// A route's `group`: handed on with each sink the route adds (the first
// matching route naming a sink decides), in match and explain alike; checked
// when compiled, since a custom resource's spec may reach the table unchecked.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { compileRoutes, type RouteSpec } from '../../src/rules/index.ts';
import { CONFIG_SINKS, notification, ordered, route } from './helpers.ts';

describe('route group', () => {
  const table = compileRoutes(
    ordered(
      route('es', {}, { sinks: [{ name: 'c' }], continue: true }),
      route('oom', { reasons: ['OOMKilled'] }, { sinks: [{ name: 'a' }, { name: 'c' }], group: { by: ['owner'], intervalSeconds: 600 }, continue: true }),
      route('pods', { kinds: ['Pod'] }, { sinks: [{ name: 'a' }, { name: 'b' }], group: { by: [] } }),
    ),
    CONFIG_SINKS,
  );

  it('goes with each sink the route adds; a sink an earlier route added keeps that route’s (none)', () => {
    const r = table.match(notification({ reason: 'OOMKilled', kind: 'Pod' }));
    assert.deepEqual(r.sinks, ['config/c', 'config/a', 'config/b']);
    assert.deepEqual(r.groups, {
      'config/a': { route: 'config/oom', by: ['owner'], intervalSeconds: 600 },
      'config/b': { route: 'config/pods', by: [] },
    });
    assert.deepEqual(table.explain(notification({ reason: 'OOMKilled', kind: 'Pod' })).groups, r.groups);
  });

  it('is absent when no route with a group chose a sink, and when dropped', () => {
    const r = table.match(notification({ reason: 'Evicted', kind: 'Node' }));
    assert.deepEqual(r.sinks, ['config/c']);
    assert.equal('groups' in r, false);
    const dropping = compileRoutes(ordered(route('g', {}, { group: { by: ['owner'] }, continue: true }), route('x', {}, { drop: true, sinks: [] })), CONFIG_SINKS);
    const d = dropping.match(notification());
    assert.deepEqual([d.sinks, d.dropped, 'groups' in d], [[], true, false]);
    assert.equal('groups' in dropping.explain(notification()), false);
  });

  it('a bad group leaves the route out with the exact field, also from a custom resource', () => {
    const bad: RouteSpec = {
      id: 'ClusterRoute/x',
      name: 'x',
      source: 'ClusterRoute',
      order: 0,
      match: {},
      sinks: [{ name: 'a' }],
      group: { by: ['owner', 'pod'], waitSeconds: -1, intervalSeconds: 0.5, extra: 1 } as never,
    };
    const t = compileRoutes([bad, { ...route('d', {}, { drop: true, sinks: [], group: {} }) }], CONFIG_SINKS);
    assert.deepEqual(t.routes, []);
    assert.deepEqual(
      t.problems.map((p) => `${p.routeId} ${p.field} ${p.reason}: ${p.message}`),
      [
        'ClusterRoute/x spec.group.extra InvalidGroup: unknown key (known keys: by, waitSeconds, intervalSeconds)',
        'ClusterRoute/x spec.group.by[1] InvalidGroup: expected one of cluster, namespace, owner, object, kind, reason, severity, detector, node or label:<name>, got "pod"',
        'ClusterRoute/x spec.group.waitSeconds InvalidGroup: expected an integer ≥ 0, got -1',
        'ClusterRoute/x spec.group.intervalSeconds InvalidGroup: expected an integer ≥ 1, got 0.5',
        'config/d group DropWithGroup: a drop route sends nothing to group: remove either group or drop: true',
      ],
    );
  });
});
