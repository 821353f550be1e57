// The config file's `routes:`: its shape and defaults, and the route
// problems `config validate` reports at their line.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError, parseConfigText } from '../../src/config/index.ts';

function errorsOf(text: string): string[] {
  try {
    parseConfigText(text, 'k.yaml');
  } catch (err) {
    if (err instanceof ConfigError) return err.message.split('\n');
    throw err;
  }
  assert.fail('expected a ConfigError');
}

describe('config routes', () => {
  it('defaults to none; fills drop, continue and sinks', () => {
    assert.deepEqual(parseConfigText('', 'k.yaml').routes, []);
    assert.deepEqual(parseConfigText('routes:', 'k.yaml').routes, []);
    assert.deepEqual(parseConfigText('routes: [{ name: a, sinks: [console] }, { name: b, match: { reasons: [X] }, drop: true }]', 'k.yaml').routes, [
      { name: 'a', match: {}, sinks: ['console'], drop: false, continue: false },
      { name: 'b', match: { reasons: ['X'] }, sinks: [], drop: true, continue: false },
    ]);
  });

  it('keeps every match field and sink references', () => {
    const text = [
      'routes:',
      '  - name: all',
      '    match:',
      '      kinds: [Pod]',
      '      namespaces: ["team-*", ""]',
      '      reasons: [OOMKilled]',
      '      severities: [critical]',
      '      eventTypes: [Warning]',
      '      labelSelector: { matchLabels: { app: web }, matchExpressions: [{ key: env, operator: In, values: [prod] }] }',
      '      users: ["*@org.com"]',
      '      states: [firing]',
      '      detectors: [oomKilled]',
      '      cel: count > 1',
      '    sinks: [console, { kind: ClusterSink, name: es }, { name: chat, namespace: team-a }]',
      '    continue: true',
    ].join('\n');
    assert.deepEqual(parseConfigText(text, 'k.yaml').routes[0], {
      name: 'all',
      match: {
        kinds: ['Pod'],
        namespaces: ['team-*', ''],
        reasons: ['OOMKilled'],
        severities: ['critical'],
        eventTypes: ['Warning'],
        labelSelector: { matchLabels: { app: 'web' }, matchExpressions: [{ key: 'env', operator: 'In', values: ['prod'] }] },
        users: ['*@org.com'],
        states: ['firing'],
        detectors: ['oomKilled'],
        cel: 'count > 1',
      },
      sinks: ['console', { kind: 'ClusterSink', name: 'es' }, { name: 'chat', namespace: 'team-a' }],
      drop: false,
      continue: true,
    });
  });

  it('reports each problem at its line: CEL, globs, selectors, enums, unknown keys, names, sinks', () => {
    const text = [
      'routes:', //                                   1
      '  - name: r1', //                              2
      '    match:', //                                3
      "      cel: 'reasn == \"x\"'", //               4
      '      namespaces: [Prod]', //                  5
      '      labelSelector:', //                      6
      '        matchExpressions: [{ key: env, operator: Inn }]', // 7
      '      severity: [critical]', //                8
      '    sinks: [console]', //                      9
      '  - name: r1', //                              10
      '    match: { states: [open] }', //             11
      '    sinks: []', //                             12
      '  - name: Bad_Name', //                        13
      '    drop: true', //                            14
      '    sinks: [console]', //                      15
    ].join('\n');
    assert.deepEqual(errorsOf(text), [
      "k.yaml:4: routes[0].match.cel: 1:1: undeclared reference to 'reasn'",
      'k.yaml:5: routes[0].match.namespaces[0]: "Prod" is not a namespace name or glob (at most 63 lowercase letters, digits, "-", "*" and "?")',
      'k.yaml:7: routes[0].match.labelSelector.matchExpressions[0].operator: expected one of In, NotIn, Exists, DoesNotExist, got "Inn"',
      'k.yaml:8: routes[0].match.severity: unknown key; did you mean "severities"?',
      'k.yaml:10: routes[1].name: duplicate route name "r1" (also routes[0])',
      'k.yaml:11: routes[1].match.states[0]: expected one of firing, resolved, got "open"',
      'k.yaml:12: routes[1].sinks: a route needs at least one sink (or drop: true to discard what it matches)',
      'k.yaml:13: routes[2].name: expected a DNS-1123 label (lowercase letters, digits and "-", starting and ending with a letter or digit), got "Bad_Name"',
      'k.yaml:15: routes[2].sinks: a drop route delivers nothing: remove either its sinks or drop: true',
    ]);
  });

  it('leaves sink names to the routing table: a config route may name a ClusterSink', () => {
    assert.deepEqual(parseConfigText('routes: [{ name: a, sinks: [somewhere-else] }]', 'k.yaml').routes[0].sinks, ['somewhere-else']);
  });
});
