// The config file's `routes:`: its shape and defaults, and the route
// problems `config validate` reports at their line: errors (a sink that does
// not exist) and warnings (a reason, kind or detector nothing produces).

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError, type ConfigIssue, formatIssue, parseConfigText } from '../../src/config/index.ts';

function errorsOf(text: string, opts: { strict?: boolean } = {}): string[] {
  try {
    parseConfigText(text, 'k.yaml', opts);
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

  it('a route to a sink that does not exist is an error at its line, with the sink meant', () => {
    const text = ['sinks: [{ name: console, type: console }, { name: es, type: jsonl, path: es.jsonl }]', 'routes:', '  - name: a', '    sinks: [es, consol]', '  - { name: b, sinks: [somewhere-else] }'].join('\n');
    assert.deepEqual(errorsOf(text), ['k.yaml:4: routes[0].sinks[1]: no sink named "consol"; did you mean "console"?', 'k.yaml:5: routes[1].sinks[0]: no sink named "somewhere-else"; the sinks are console, es']);
  });

  it('with custom resources, a name that is no config sink may be a ClusterSink: a warning; a Sink or ClusterSink reference is the cluster\'s to resolve', () => {
    const warnings: ConfigIssue[] = [];
    const text = ['customResources: { enabled: true }', 'routes:', '  - { name: a, sinks: [somewhere-else, { name: hook, namespace: shop }, { name: es, kind: ClusterSink }] }'].join('\n');
    const cfg = parseConfigText(text, 'k.yaml', { onWarning: (w) => void warnings.push(w) });
    assert.deepEqual(cfg.routes[0].sinks, ['somewhere-else', { name: 'hook', namespace: 'shop' }, { name: 'es', kind: 'ClusterSink' }]);
    assert.deepEqual(warnings.map(formatIssue), ['k.yaml:3: routes[0].sinks[0]: warning: no config sink named "somewhere-else": it must be a ClusterSink in the cluster; the sinks are console']);
    assert.deepEqual(errorsOf(text, { strict: true }), ['k.yaml:3: routes[0].sinks[0]: no config sink named "somewhere-else": it must be a ClusterSink in the cluster; the sinks are console']);
  });

  it('a reason, kind or detector that nothing produces: a warning with the word meant; an error with strict', () => {
    const text = [
      'watch: { resources: [{ group: cert-manager.io, version: v1, resource: certificates }] }',
      'routes:',
      '  - name: rollouts',
      '    match: { kinds: [Deployment, Deploymnet, Certificate, Certficate], reasons: [RolloutComplete, CrashLoopBackOff, ScalingReplicaSet, MyOperatorSaidSo] }',
      '    sinks: [console]',
      '  - name: by-cel',
      '    match: { detectors: [crashloop], cel: \'reason == "OOMKiled" && kind == "Pod"\' }',
      '    sinks: [console]',
    ].join('\n');
    const warnings: ConfigIssue[] = [];
    parseConfigText(text, 'k.yaml', { onWarning: (w) => void warnings.push(w) });
    const r = (q: string, hint: string): string => `${q} is not a reason kubeherald's detectors or Kubernetes' own components give; ${hint}`;
    assert.deepEqual(warnings.map(formatIssue), [
      `k.yaml:4: routes[0].match.kinds[1]: warning: "Deploymnet" is not a kind kubeherald watches or sees Kubernetes events about; did you mean "Deployment"?`,
      `k.yaml:4: routes[0].match.kinds[3]: warning: "Certficate" is not a kind kubeherald watches or sees Kubernetes events about; add its resource to watch.resources to be told of its changes`,
      `k.yaml:4: routes[0].match.reasons[0]: warning: ${r('"RolloutComplete"', 'did you mean "RolloutCompleted"?')}`,
      `k.yaml:4: routes[0].match.reasons[3]: warning: ${r('"MyOperatorSaidSo"', 'only an Event from another controller could carry it')}`,
      `k.yaml:7: routes[1].match.detectors[0]: warning: "crashloop" is not a detector; did you mean "crashLoopBackOff"?`,
      `k.yaml:7: routes[1].match.cel: warning: reason: ${r('"OOMKiled"', 'did you mean "OOMKilled"?')}`,
    ]);
    const errors = errorsOf(text, { strict: true });
    assert.equal(errors.length, 6);
    assert.equal(errors[2], `k.yaml:4: routes[0].match.reasons[0]: ${r('"RolloutComplete"', 'did you mean "RolloutCompleted"?')}`);
  });

  it('the reasons the configured detectors give are known: a badWaiting reason or pressure condition added in the config', () => {
    const text = ['detectors: { badWaiting: { reasons: [PreCreateHookError] }, nodePressure: { conditions: [GPUPressure] } }', 'routes: [{ name: a, match: { reasons: [PreCreateHookError, GPUPressure] }, sinks: [console] }]'].join('\n');
    const warnings: ConfigIssue[] = [];
    parseConfigText(text, 'k.yaml', { strict: true, onWarning: (w) => void warnings.push(w) });
    assert.deepEqual(warnings, []);
  });

  it('an error and warnings together: every one is told, the warnings marked', () => {
    const text = ['routes:', '  - { name: a, match: { reasons: [RolloutComplete] }, sinks: [consol] }'].join('\n');
    assert.deepEqual(errorsOf(text), [
      'k.yaml:2: routes[0].sinks[0]: no sink named "consol"; did you mean "console"?',
      `k.yaml:2: routes[0].match.reasons[0]: warning: "RolloutComplete" is not a reason kubeherald's detectors or Kubernetes' own components give; did you mean "RolloutCompleted"?`,
    ]);
  });
});
