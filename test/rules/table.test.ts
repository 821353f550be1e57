// The table: order, continue and drop; tenancy of namespaced Routes; sink
// resolution; invalid routes left out with the exact field and message; the
// default table.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { compileRoutes, configRoutes, configSinks, defaultRoutes, effectiveRoutes, type KnownSink, type RouteSpec, sinkId, tableFromConfig } from '../../src/rules/index.ts';
import { CONFIG_SINKS, notification, ordered, route } from './helpers.ts';

describe('order, continue and drop', () => {
  it('the first match wins and stops evaluation', () => {
    const table = compileRoutes(ordered(route('oom', { reasons: ['OOMKilled'] }, { sinks: [{ name: 'a' }] }), route('all', {}, { sinks: [{ name: 'b' }] })), CONFIG_SINKS);
    assert.deepEqual(table.match(notification({ reason: 'OOMKilled' })), {
      sinks: ['config/a'],
      dropped: false,
      decisions: [{ routeId: 'config/oom', matched: true, why: 'matched: reasons', sinks: ['config/a'] }],
    });
    assert.deepEqual(table.match(notification({ reason: 'Evicted' })).sinks, ['config/b']);
    assert.deepEqual(table.explain(notification({ reason: 'OOMKilled' })).decisions, [
      { routeId: 'config/oom', matched: true, why: 'matched: reasons', sinks: ['config/a'] },
      { routeId: 'config/all', matched: false, why: 'not evaluated: config/oom matched first (without continue)', sinks: [] },
    ]);
  });

  it('continue: later routes add their sinks, each sink once, in order', () => {
    const table = compileRoutes(
      ordered(
        route('es', {}, { sinks: [{ name: 'c' }], continue: true }),
        route('oom', { reasons: ['OOMKilled'] }, { sinks: [{ name: 'a' }, { name: 'c' }], continue: true }),
        route('pods', { kinds: ['Pod'] }, { sinks: [{ name: 'b' }] }),
        route('never', {}, { sinks: [{ name: 'a' }] }),
      ),
      CONFIG_SINKS,
    );
    const r = table.match(notification({ reason: 'OOMKilled', kind: 'Pod' }));
    assert.deepEqual(r.sinks, ['config/c', 'config/a', 'config/b']);
    assert.deepEqual(
      r.decisions.map((d) => [d.routeId, d.sinks]),
      [
        ['config/es', ['config/c']],
        ['config/oom', ['config/a', 'config/c']],
        ['config/pods', ['config/b']],
      ],
    );
    assert.deepEqual(table.match(notification({ reason: 'Evicted', kind: 'Node', ns: '' })).sinks, ['config/c', 'config/a']);
  });

  it('a matching drop route delivers nothing, even what an earlier continue route added', () => {
    const table = compileRoutes(
      ordered(route('es', {}, { sinks: [{ name: 'c' }], continue: true }), route('sandbox', { namespaces: ['*-sandbox'] }, { drop: true, sinks: [] }), route('all', {}, { sinks: [{ name: 'a' }] })),
      CONFIG_SINKS,
    );
    assert.deepEqual(table.match(notification({ ns: 'x-sandbox' })), {
      sinks: [],
      dropped: true,
      decisions: [
        { routeId: 'config/es', matched: true, why: 'matched: empty match (every notification)', sinks: ['config/c'] },
        { routeId: 'config/sandbox', matched: true, why: 'matched: namespaces (drop)', sinks: [] },
      ],
    });
    assert.deepEqual(table.explain(notification({ ns: 'x-sandbox' })).decisions[2], { routeId: 'config/all', matched: false, why: 'not evaluated: dropped by config/sandbox', sinks: [] });
    assert.deepEqual(table.match(notification({ ns: 'prod' })).sinks, ['config/c', 'config/a']);
  });

  it('no matching route: delivered nowhere, not dropped', () => {
    const table = compileRoutes([route('oom', { reasons: ['OOMKilled'] })], CONFIG_SINKS);
    assert.deepEqual(table.match(notification({ reason: 'Evicted' })), { sinks: [], dropped: false, decisions: [] });
  });

  it('order is by `order`, then by id', () => {
    const routes: RouteSpec[] = [
      { ...route('z', {}, { sinks: [{ name: 'a' }] }), order: 1 },
      { ...route('y', {}, { sinks: [{ name: 'b' }] }), order: 1 },
      { ...route('x', {}, { sinks: [{ name: 'c' }] }), order: 2 },
      { ...route('w', { kinds: ['Nope'] }), order: 0 },
    ];
    const table = compileRoutes(routes, CONFIG_SINKS);
    assert.deepEqual(
      table.routes.map((r) => r.id),
      ['config/w', 'config/y', 'config/z', 'config/x'],
    );
    assert.deepEqual(table.match(notification()).sinks, ['config/b']);
  });
});

const SINKS: KnownSink[] = [
  { name: 'chat', namespace: 'team-a', kind: 'Sink' },
  { name: 'chat', namespace: 'team-b', kind: 'Sink' },
  { name: 'es', kind: 'ClusterSink' },
  { name: 'console', kind: 'config' },
];

function nsRoute(ns: string, name: string, extra: Partial<RouteSpec> = {}): RouteSpec {
  return { id: `Route/${ns}/${name}`, name, namespace: ns, source: 'Route', order: 0, match: {}, sinks: [{ name: 'chat' }], ...extra };
}

describe('tenancy: namespaced Routes', () => {
  it('see only notifications about objects in their own namespace', () => {
    const table = compileRoutes([nsRoute('team-a', 'all')], SINKS);
    assert.deepEqual(table.problems, []);
    assert.deepEqual(table.match(notification({ ns: 'team-a' })).sinks, ['Sink/team-a/chat']);
    assert.deepEqual(table.match(notification({ ns: 'team-b' })).sinks, []);
    assert.deepEqual(table.explain(notification({ ns: 'team-b' })).decisions[0].why, 'namespace: the object is in "team-b"; a Route only sees objects in its namespace "team-a"');
    assert.deepEqual(table.match(notification({ kind: 'Node', ns: '' })).sinks, []);
    assert.deepEqual(table.explain(notification({ kind: 'Node', ns: '' })).decisions[0].why, 'namespace: the object is cluster-scoped; a Route only sees objects in its namespace "team-a"');
  });

  it('cannot widen their namespace with a namespaces glob', () => {
    const table = compileRoutes([nsRoute('team-a', 'all', { match: { namespaces: ['*'] } })], SINKS);
    assert.deepEqual(table.match(notification({ ns: 'team-b' })).sinks, []);
    assert.deepEqual(table.match(notification({ ns: 'team-a' })).sinks, ['Sink/team-a/chat']);
  });

  it('may use Sinks in their namespace only: another namespace or a ClusterSink disables the route', () => {
    const table = compileRoutes(
      [
        nsRoute('team-a', 'other-ns', { sinks: [{ name: 'chat' }, { name: 'chat', namespace: 'team-b' }] }),
        nsRoute('team-a', 'cluster-sink', { sinks: [{ name: 'es', kind: 'ClusterSink' }] }),
        nsRoute('team-a', 'config-sink', { sinks: [{ name: 'console' }] }),
        nsRoute('team-a', 'own', { sinks: [{ name: 'chat', namespace: 'team-a', kind: 'Sink' }] }),
      ],
      SINKS,
    );
    assert.deepEqual(table.problems, [
      { routeId: 'Route/team-a/cluster-sink', field: 'spec.sinks[0]', reason: 'SinkNotAllowed', message: 'a Route may only use Sinks in its own namespace "team-a", not ClusterSink "es"' },
      { routeId: 'Route/team-a/config-sink', field: 'spec.sinks[0]', reason: 'UnknownSink', message: 'no Sink "console" in namespace "team-a"' },
      { routeId: 'Route/team-a/other-ns', field: 'spec.sinks[1]', reason: 'SinkNotAllowed', message: 'a Route may only use Sinks in its own namespace "team-a", not Sink "team-b/chat"' },
    ]);
    // never half working: the route with one allowed and one refused sink is out entirely
    assert.deepEqual(
      table.routes.map((r) => r.id),
      ['Route/team-a/own'],
    );
  });

  it('ClusterRoutes and config routes may use any sink', () => {
    const cluster: RouteSpec = { id: 'ClusterRoute/x', name: 'x', source: 'ClusterRoute', order: 0, match: {}, continue: true, sinks: [{ name: 'es' }, { name: 'chat', namespace: 'team-b' }, { name: 'console' }] };
    const config: RouteSpec = { id: 'config/y', name: 'y', source: 'config', order: 1, match: {}, sinks: [{ name: 'es' }, { name: 'chat', namespace: 'team-a', kind: 'Sink' }, { name: 'es', kind: 'ClusterSink' }] };
    const table = compileRoutes([cluster, config], SINKS);
    assert.deepEqual(table.problems, []);
    assert.deepEqual(table.match(notification()).sinks, ['ClusterSink/es', 'Sink/team-b/chat', 'config/console', 'Sink/team-a/chat']);
  });

  it('bare names: config routes prefer config sinks, ClusterRoutes ClusterSinks', () => {
    const sinks: KnownSink[] = [
      { name: 'x', kind: 'config' },
      { name: 'x', kind: 'ClusterSink' },
    ];
    const table = compileRoutes(
      [
        { id: 'config/c', name: 'c', source: 'config', order: 0, match: {}, continue: true, sinks: [{ name: 'x' }] },
        { id: 'ClusterRoute/k', name: 'k', source: 'ClusterRoute', order: 1, match: {}, sinks: [{ name: 'x' }] },
      ],
      sinks,
    );
    assert.deepEqual(table.match(notification()).sinks, ['config/x', 'ClusterSink/x']);
  });
});

describe('invalid routes', () => {
  const table = compileRoutes(
    [
      { id: 'ClusterRoute/cel', name: 'cel', source: 'ClusterRoute', order: 0, match: { cel: 'reasn == "x"' }, sinks: [{ name: 'es' }] },
      { id: 'ClusterRoute/not-bool', name: 'not-bool', source: 'ClusterRoute', order: 1, match: { cel: 'reason' }, sinks: [{ name: 'es' }] },
      { id: 'ClusterRoute/types', name: 'types', source: 'ClusterRoute', order: 2, match: { cel: 'count == "5"' }, sinks: [{ name: 'es' }] },
      { id: 'ClusterRoute/syntax', name: 'syntax', source: 'ClusterRoute', order: 3, match: { cel: 'reason ==' }, sinks: [{ name: 'es' }] },
      { id: 'ClusterRoute/glob', name: 'glob', source: 'ClusterRoute', order: 4, match: { namespaces: ['prod', 'Team_A'], users: [''] }, sinks: [{ name: 'es' }] },
      {
        id: 'ClusterRoute/selector',
        name: 'selector',
        source: 'ClusterRoute',
        order: 5,
        match: { labelSelector: { matchLabels: { 'app.kubernetes.io/name': 'bad value' }, matchExpressions: [{ key: 'env', operator: 'In', values: [] }, { key: 'x', operator: 'Exists', values: ['y'] }, { key: 'y', operator: 'Like' as 'In' }] } },
        sinks: [{ name: 'es' }],
      },
      { id: 'ClusterRoute/sink', name: 'sink', source: 'ClusterRoute', order: 6, match: {}, sinks: [{ name: 'es' }, { name: 'nope' }, { name: 'chat', namespace: 'nowhere' }] },
      { id: 'ClusterRoute/no-sinks', name: 'no-sinks', source: 'ClusterRoute', order: 7, match: {}, sinks: [] },
      { id: 'ClusterRoute/drop-sinks', name: 'drop-sinks', source: 'ClusterRoute', order: 8, match: {}, sinks: [{ name: 'es' }], drop: true },
      { id: 'ClusterRoute/enum', name: 'enum', source: 'ClusterRoute', order: 9, match: { severities: ['urgent' as 'critical'] }, sinks: [{ name: 'es' }] },
      { id: 'ClusterRoute/good', name: 'good', source: 'ClusterRoute', order: 10, match: { reasons: ['OOMKilled'] }, sinks: [{ name: 'es' }] },
      { id: 'ClusterRoute/good', name: 'good', source: 'ClusterRoute', order: 11, match: {}, sinks: [{ name: 'es' }] },
    ],
    SINKS,
  );

  it('are left out with the exact field, reason and message', () => {
    assert.deepEqual(table.problems, [
      { routeId: 'ClusterRoute/cel', field: 'spec.match.cel', reason: 'InvalidCEL', message: "1:1: undeclared reference to 'reasn'" },
      { routeId: 'ClusterRoute/not-bool', field: 'spec.match.cel', reason: 'InvalidCEL', message: 'expected the expression to be bool, but it is string' },
      { routeId: 'ClusterRoute/types', field: 'spec.match.cel', reason: 'InvalidCEL', message: "1:6: found no matching overload for '_==_' applied to '(int, string)'" },
      { routeId: 'ClusterRoute/syntax', field: 'spec.match.cel', reason: 'InvalidCEL', message: '1:8: found = but expecting end of input' },
      { routeId: 'ClusterRoute/glob', field: 'spec.match.namespaces[1]', reason: 'InvalidGlob', message: '"Team_A" is not a namespace name or glob (at most 63 lowercase letters, digits, "-", "*" and "?")' },
      { routeId: 'ClusterRoute/glob', field: 'spec.match.users[0]', reason: 'InvalidGlob', message: 'expected a username or glob, got ""' },
      {
        routeId: 'ClusterRoute/selector',
        field: 'spec.match.labelSelector.matchLabels["app.kubernetes.io/name"]',
        reason: 'InvalidSelector',
        message: '"bad value" is not a valid label value (at most 63 letters, digits, "-", "_" and ".", starting and ending with a letter or digit)',
      },
      { routeId: 'ClusterRoute/selector', field: 'spec.match.labelSelector.matchExpressions[0].values', reason: 'InvalidSelector', message: 'must be non-empty when operator is In' },
      { routeId: 'ClusterRoute/selector', field: 'spec.match.labelSelector.matchExpressions[1].values', reason: 'InvalidSelector', message: 'must be empty when operator is Exists' },
      { routeId: 'ClusterRoute/selector', field: 'spec.match.labelSelector.matchExpressions[2].operator', reason: 'InvalidSelector', message: 'expected one of In, NotIn, Exists, DoesNotExist, got "Like"' },
      { routeId: 'ClusterRoute/sink', field: 'spec.sinks[1]', reason: 'UnknownSink', message: 'no config sink or ClusterSink named "nope"' },
      { routeId: 'ClusterRoute/sink', field: 'spec.sinks[2]', reason: 'UnknownSink', message: 'no Sink "chat" in namespace "nowhere"' },
      { routeId: 'ClusterRoute/no-sinks', field: 'spec.sinks', reason: 'NoSinks', message: 'a route needs at least one sink (or drop: true to discard what it matches)' },
      { routeId: 'ClusterRoute/drop-sinks', field: 'spec.sinks', reason: 'DropWithSinks', message: 'a drop route delivers nothing: remove either its sinks or drop: true' },
      { routeId: 'ClusterRoute/enum', field: 'spec.match.severities[0]', reason: 'InvalidMatch', message: 'expected one of critical, warning, info, got "urgent"' },
      { routeId: 'ClusterRoute/good', field: 'metadata.name', reason: 'DuplicateRoute', message: 'another route has the id "ClusterRoute/good"' },
    ]);
  });

  it('while every other route keeps working', () => {
    assert.deepEqual(
      table.routes.map((r) => r.id),
      ['ClusterRoute/good'],
    );
    assert.deepEqual(table.match(notification({ reason: 'OOMKilled' })).sinks, ['ClusterSink/es']);
  });

  it('malformed input from a custom resource disables one route, never throws', () => {
    const bad = [
      { id: 'ClusterRoute/a', name: 'a', source: 'ClusterRoute', order: 0, match: { kinds: 'Pod', labelSelector: 'x', cel: 5 }, sinks: 'es' },
      { id: 'ClusterRoute/b', name: 'b', source: 'ClusterRoute', order: 1, match: null, sinks: [null, { name: 'es', kind: 'Other' }] },
      { id: 'Route/c', name: 'c', source: 'Route', order: 2, match: {}, sinks: [{ name: 'chat' }] },
      { id: 'ClusterRoute/ok', name: 'ok', source: 'ClusterRoute', order: 3, match: {}, sinks: [{ name: 'es' }] },
    ] as unknown as RouteSpec[];
    const t = compileRoutes(bad, SINKS);
    assert.deepEqual(
      t.problems.map((p) => `${p.routeId} ${p.field} ${p.reason}`),
      [
        'ClusterRoute/a spec.match.kinds InvalidMatch',
        'ClusterRoute/a spec.match.labelSelector InvalidSelector',
        'ClusterRoute/a spec.match.cel InvalidCEL',
        'ClusterRoute/a spec.sinks InvalidSinkRef',
        'ClusterRoute/b spec.sinks[0] InvalidSinkRef',
        'ClusterRoute/b spec.sinks[1] InvalidSinkRef',
        'Route/c metadata.namespace InvalidRoute',
        'Route/c spec.sinks[0] UnknownSink',
      ],
    );
    assert.deepEqual(t.match(notification()).sinks, ['ClusterSink/es']);
  });
});

describe('config routes and the default table', () => {
  it('config routes: id config/<name>, order as listed, sink names as references', () => {
    assert.deepEqual(
      configRoutes([
        { name: 'a', match: { reasons: ['X'] }, sinks: ['s', { name: 't', kind: 'ClusterSink' }], drop: false, continue: true },
        { name: 'b', sinks: [], drop: true },
      ]),
      [
        { id: 'config/a', name: 'a', source: 'config', order: 0, match: { reasons: ['X'] }, sinks: [{ name: 's' }, { name: 't', kind: 'ClusterSink' }], continue: true },
        { id: 'config/b', name: 'b', source: 'config', order: 1, match: {}, sinks: [], drop: true },
      ],
    );
  });

  it('with no routes, every notification goes to every config sink', () => {
    const sinks = configSinks([{ name: 'console' }, { name: 'file' }]);
    assert.deepEqual(defaultRoutes(sinks), [{ id: 'config/default', name: 'default', source: 'config', order: 0, match: {}, sinks: [{ name: 'console' }, { name: 'file' }] }]);
    const table = compileRoutes(effectiveRoutes([], sinks), sinks);
    assert.deepEqual(table.match(notification({ kind: 'Node', ns: '' })).sinks, ['config/console', 'config/file']);
    // any route at all replaces the default
    const one = configRoutes([{ name: 'x', match: { kinds: ['Pod'] }, sinks: ['file'] }]);
    assert.deepEqual(effectiveRoutes(one, sinks), one);
  });

  it('sink ids', () => {
    assert.equal(sinkId({ name: 'a', kind: 'config' }), 'config/a');
    assert.equal(sinkId({ name: 'a', namespace: 'ns', kind: 'Sink' }), 'Sink/ns/a');
    assert.equal(sinkId({ name: 'a', kind: 'ClusterSink' }), 'ClusterSink/a');
  });
});

describe('tableFromConfig', () => {
  it('config routes over config sinks, merged with routes and sinks from elsewhere', () => {
    const config = { sinks: [{ name: 'console' }, { name: 'file' }], routes: [{ name: 'oom', match: { reasons: ['OOMKilled'] }, sinks: ['file'], continue: true }] };
    const extra = {
      routes: [{ id: 'Route/team-a/all', name: 'all', namespace: 'team-a', source: 'Route' as const, order: 5, match: {}, sinks: [{ name: 'chat' }] }],
      sinks: [{ name: 'chat', namespace: 'team-a', kind: 'Sink' as const }],
    };
    const table = tableFromConfig(config, extra);
    assert.deepEqual(table.problems, []);
    assert.deepEqual(table.match(notification({ reason: 'OOMKilled', ns: 'team-a' })).sinks, ['config/file', 'Sink/team-a/chat']);
    assert.deepEqual(table.match(notification({ reason: 'OOMKilled', ns: 'team-b' })).sinks, ['config/file']);
    assert.deepEqual(table.explain(notification({ ns: 'team-a' })).decisions[1].why, 'matched: namespace');
    // no routes anywhere: the default
    assert.deepEqual(tableFromConfig({ sinks: config.sinks, routes: [] }).match(notification()).sinks, ['config/console', 'config/file']);
  });
});
