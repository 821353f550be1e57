// Every way a config file can be wrong, and the exact line that says so:
// `FILE:LINE: path.to.key: expected …, got …`.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError, parseConfigText, SINK_TYPES } from '../../src/config/index.ts';

/** every sink type, in the schema's order: the messages list them all */
const TYPES = SINK_TYPES.join(', ');

/** The error's lines for `text`; fails when the text is valid or the error is not a ConfigError. */
function errorsOf(text: string, file = 'k.yaml'): string[] {
  try {
    parseConfigText(text, file);
  } catch (err) {
    assert.ok(err instanceof ConfigError, `expected a ConfigError, got ${String(err)}`);
    assert.equal(err.message, err.issues.map((i) => `${i.file}${i.line ? `:${i.line}` : ''}: ${i.path ? `${i.path}: ` : ''}${i.message}`).join('\n'));
    return err.message.split('\n');
  }
  assert.fail('expected a ConfigError');
}

const yaml = (...lines: string[]): string => `${lines.join('\n')}\n`;

describe('ConfigError', () => {
  it('carries every issue as data and lists them all in its message', () => {
    try {
      parseConfigText(yaml('log:', '  level: loud', '  format: xml'), '/etc/kubeherald/config.yaml');
      assert.fail('expected a ConfigError');
    } catch (err) {
      assert.ok(err instanceof ConfigError);
      assert.deepEqual(err.issues, [
        { file: '/etc/kubeherald/config.yaml', path: 'log.level', line: 2, message: 'expected one of trace, debug, info, warn, error, got "loud"' },
        { file: '/etc/kubeherald/config.yaml', path: 'log.format', line: 3, message: 'expected one of json, pretty, got "xml"' },
      ]);
      assert.equal(
        err.message,
        '/etc/kubeherald/config.yaml:2: log.level: expected one of trace, debug, info, warn, error, got "loud"\n' +
          '/etc/kubeherald/config.yaml:3: log.format: expected one of json, pretty, got "xml"',
      );
    }
  });
});

describe('unknown keys', () => {
  it('names the key, its line, and the key that was probably meant', () => {
    assert.deepEqual(errorsOf(yaml('cluster:', '  name: a', '  kubeconfg: /x', 'watch:', '  namespace:', '    include: [a]', 'log:', '  formt: json')), [
      'k.yaml:3: cluster.kubeconfg: unknown key; did you mean "kubeconfig"?',
      'k.yaml:5: watch.namespace: unknown key; did you mean "namespaces"?',
      'k.yaml:8: log.formt: unknown key; did you mean "format"?',
    ]);
  });

  it('ignores case, "-" and "_", and catches swapped letters', () => {
    assert.deepEqual(errorsOf(yaml('cluster:', '  in_cluster: true', '  Context: x', 'watch:', '  pagesize: 5', '  watchdogSecodns: 9')), [
      'k.yaml:2: cluster.in_cluster: unknown key; did you mean "inCluster"?',
      'k.yaml:3: cluster.Context: unknown key; did you mean "context"?',
      'k.yaml:5: watch.pagesize: unknown key; did you mean "pageSize"?',
      'k.yaml:6: watch.watchdogSecodns: unknown key; did you mean "watchdogSeconds"?',
    ]);
  });

  it('lists the known keys when nothing is close', () => {
    assert.deepEqual(errorsOf(yaml('outputs: []')), ['k.yaml:1: outputs: unknown key (known keys: cluster, clusters, watch, detectors, sinks, routes, timeIntervals, customResources, audit, metrics, health, updates, delivery, inhibit, silences, chatops, plugins, state, leaderElection, log)']);
  });

  it('checks detectors and their settings, and each sink type against its own keys', () => {
    assert.deepEqual(
      errorsOf(yaml('detectors:', '  crashLoopBackof: {}', '  podNotReady:', '    minSecs: 5', 'sinks:', '  - name: a', '    type: console', '    path: /x', '  - name: b', '    type: jsonl', '    colour: never')),
      [
        'k.yaml:2: detectors.crashLoopBackof: unknown key; did you mean "crashLoopBackOff"?',
        'k.yaml:4: detectors.podNotReady.minSecs: unknown key; did you mean "minSeconds"?',
        'k.yaml:8: sinks[0].path: unknown key (known keys: name, type, color, delivery)',
        'k.yaml:11: sinks[1].colour: unknown key (known keys: name, type, path, includeRawObject, delivery)',
      ],
    );
  });

  it('reports unknown keys alongside other errors, even an aborting integer check', () => {
    assert.deepEqual(errorsOf(yaml('watch:', '  pageSize: 1.5', 'extra: 1')), [
      'k.yaml:2: watch.pageSize: expected an integer ≥ 1, got 1.5',
      'k.yaml:3: extra: unknown key (known keys: cluster, clusters, watch, detectors, sinks, routes, timeIntervals, customResources, audit, metrics, health, updates, delivery, inhibit, silences, chatops, plugins, state, leaderElection, log)',
    ]);
  });
});

describe('wrong values', () => {
  it('says what was expected and what was found, in YAML terms', () => {
    assert.deepEqual(
      errorsOf(yaml('cluster:', '  name: ""', '  kubeconfig: 42', '  context: [a]', '  inCluster: null', 'watch: []', 'log: info')),
      [
        'k.yaml:2: cluster.name: expected a non-empty string, got ""',
        'k.yaml:3: cluster.kubeconfig: expected a string, got 42',
        'k.yaml:4: cluster.context: expected a string, got a list',
        'k.yaml:5: cluster.inCluster: expected true or false, got null',
        'k.yaml:6: watch: expected a mapping, got a list',
        'k.yaml:7: log: expected a mapping, got "info"',
      ],
    );
  });

  it('hints that YAML 1.1 words are not booleans', () => {
    assert.deepEqual(errorsOf(yaml('cluster:', '  inCluster: yes', 'sinks:', '  - { name: a, type: jsonl, includeRawObject: "true" }')), [
      'k.yaml:2: cluster.inCluster: expected true or false, got "yes"; write true or false, unquoted',
      'k.yaml:4: sinks[0].includeRawObject: expected true or false, got "true"; write true or false, unquoted',
    ]);
  });

  it('suggests the enum value that was probably meant', () => {
    assert.deepEqual(errorsOf(yaml('watch:', '  eventsApi: event.k8s.io', 'log:', '  level: warning', 'sinks:', '  - { name: a, type: console, color: allways }')), [
      'k.yaml:2: watch.eventsApi: expected one of core, events.k8s.io, got "event.k8s.io"; did you mean "events.k8s.io"?',
      'k.yaml:4: log.level: expected one of trace, debug, info, warn, error, got "warning"; did you mean "warn"?',
      'k.yaml:6: sinks[0].color: expected one of auto, always, never, got "allways"; did you mean "always"?',
    ]);
  });

  it('checks integers and their minimum', () => {
    assert.deepEqual(errorsOf(yaml('watch:', '  watchdogSeconds: 0', '  pageSize: "500"', 'detectors:', '  podNotReady: { minSeconds: -1 }', '  crashLoopBackOff: { stableSeconds: 2.5 }')), [
      'k.yaml:2: watch.watchdogSeconds: expected an integer ≥ 1, got 0',
      'k.yaml:3: watch.pageSize: expected a number, got "500"',
      'k.yaml:5: detectors.podNotReady.minSeconds: expected an integer ≥ 0, got -1',
      'k.yaml:6: detectors.crashLoopBackOff.stableSeconds: expected an integer ≥ 0, got 2.5',
    ]);
  });

  it('checks detector lists item by item', () => {
    assert.deepEqual(errorsOf(yaml('detectors:', '  badWaiting:', '    reasons: ErrImagePull', '  warningEvents:', '    excludeReasons: [a, 5, ""]')), [
      'k.yaml:3: detectors.badWaiting.reasons: expected a list, got "ErrImagePull"',
      'k.yaml:5: detectors.warningEvents.excludeReasons[1]: expected a string, got 5',
      'k.yaml:5: detectors.warningEvents.excludeReasons[2]: expected a non-empty string, got ""',
    ]);
  });

  it('checks namespace globs', () => {
    assert.deepEqual(errorsOf(yaml('watch:', '  namespaces:', '    include:', '      - team-*', '      - Prod', '    exclude: kube-system')), [
      'k.yaml:5: watch.namespaces.include[1]: expected a namespace name or glob (lowercase letters, digits, "-", "*" and "?"), got "Prod"',
      'k.yaml:6: watch.namespaces.exclude: expected a list, got "kube-system"',
    ]);
  });

  it('checks extra resources and rejects one listed twice', () => {
    assert.deepEqual(
      errorsOf(
        yaml(
          'watch:',
          '  resources:',
          '    - { version: v1, resource: ConfigMaps }',
          '    - { group: Apps, version: 1, resource: deployments }',
          '    - { resource: pods }',
          '    - { group: apps, version: v1, resource: deployments }',
          '    - { group: apps, version: v1beta2, resource: deployments }',
        ),
      ),
      [
        'k.yaml:3: watch.resources[0].resource: expected a resource name: lowercase and plural, as in `kubectl api-resources` (e.g. configmaps), got "ConfigMaps"',
        'k.yaml:4: watch.resources[1].group: expected an API group ("" for the core group, else a DNS subdomain such as apps or example.com), got "Apps"',
        'k.yaml:4: watch.resources[1].version: expected a string, got 1',
        'k.yaml:5: watch.resources[2].version: required (expected a string)',
        'k.yaml:7: watch.resources[4]: duplicate of watch.resources[3] (apps deployments)',
      ],
    );
  });

  it('rejects inCluster together with a kubeconfig or context', () => {
    assert.deepEqual(errorsOf(yaml('cluster:', '  kubeconfig: /k', '  inCluster: true')), [
      "k.yaml:3: cluster.inCluster: true cannot be combined with cluster.kubeconfig (in-cluster config uses the pod's service account)",
    ]);
    assert.deepEqual(errorsOf(yaml('cluster: { context: x, inCluster: true }')), [
      "k.yaml:1: cluster.inCluster: true cannot be combined with cluster.context (in-cluster config uses the pod's service account)",
    ]);
  });
});

describe('sinks', () => {
  it('needs a name and a known type on every sink', () => {
    assert.deepEqual(errorsOf(yaml('sinks:', '  - type: console', '  - name: b', '  - name: c', '    type: slak', '  - name: d', '    type: 7')), [
      'k.yaml:2: sinks[0].name: required (expected a string)',
      `k.yaml:3: sinks[1].type: required (expected one of ${TYPES})`,
      `k.yaml:5: sinks[2].type: expected one of ${TYPES}, got "slak"; did you mean "slack"?`,
      `k.yaml:7: sinks[3].type: expected one of ${TYPES}, got 7`,
    ]);
  });

  it('suggests the sink type that was probably meant', () => {
    assert.deepEqual(errorsOf(yaml('sinks:', '  - { name: a, type: JSONL }', '  - { name: b, type: consol }')), [
      `k.yaml:2: sinks[0].type: expected one of ${TYPES}, got "JSONL"; did you mean "jsonl"?`,
      `k.yaml:3: sinks[1].type: expected one of ${TYPES}, got "consol"; did you mean "console"?`,
    ]);
  });

  it('needs names to be unique DNS-1123 labels', () => {
    assert.deepEqual(
      errorsOf(yaml('sinks:', '  - { name: Team_Chat, type: console }', '  - { name: out, type: console }', '  - name: out', '    type: jsonl', `  - { name: ${'a'.repeat(64)}, type: console }`)),
      [
        'k.yaml:2: sinks[0].name: expected a DNS-1123 label (lowercase letters, digits and "-", starting and ending with a letter or digit), got "Team_Chat"',
        'k.yaml:4: sinks[2].name: duplicate sink name "out" (also sinks[1])',
        `k.yaml:6: sinks[3].name: expected at most 63 characters, got "${'a'.repeat(64)}"`,
      ],
    );
  });

  it('reports a duplicate name even when another sink is invalid', () => {
    assert.deepEqual(errorsOf(yaml('sinks:', '  - { name: a, type: console }', '  - { name: a, type: jsonl, path: 5 }')), [
      'k.yaml:3: sinks[1].path: expected a string, got 5',
      'k.yaml:3: sinks[1].name: duplicate sink name "a" (also sinks[0])',
    ]);
  });

  it('refuses an empty list and a non-list', () => {
    assert.deepEqual(errorsOf(yaml('sinks: []')), ['k.yaml:1: sinks: expected at least one sink (leave `sinks` out for a console sink)']);
    assert.deepEqual(errorsOf(yaml('sinks:', '  console: {}')), ['k.yaml:1: sinks: expected a list, got a mapping']);
    assert.deepEqual(errorsOf(yaml('sinks: [{ name: a, type: jsonl, path: "" }]')), ['k.yaml:1: sinks[0].path: expected a non-empty string, got ""']);
  });
});

describe('YAML', () => {
  it('reports syntax errors with their line', () => {
    assert.deepEqual(errorsOf(yaml('log: {}', 'cluster: { name: a', 'watch: {}')), ['k.yaml:3: invalid YAML: Flow map in block collection must be sufficiently indented and end with a }']);
    assert.deepEqual(errorsOf(yaml('log:', '  level: info', ' format: json')), ['k.yaml:3: invalid YAML: All mapping items must start at the same column']);
  });

  it('rejects a key given twice', () => {
    assert.deepEqual(errorsOf(yaml('log:', '  level: info', 'log:', '  level: debug')), ['k.yaml:3: invalid YAML: Map keys must be unique']);
  });

  it('rejects several documents in one file', () => {
    assert.deepEqual(errorsOf(yaml('log: {}', '---', 'log: {}')), ['k.yaml:2: invalid YAML: expected a single YAML document, found several (separated by ---)']);
  });

  it('rejects an undefined alias', () => {
    assert.deepEqual(errorsOf(yaml('sinks: *nope')), ['k.yaml: invalid YAML: Unresolved alias (the anchor must be set before the alias): nope']);
  });

  it('needs a mapping at the top', () => {
    assert.deepEqual(errorsOf(yaml('- cluster')), ['k.yaml:1: expected a mapping, got a list']);
    assert.deepEqual(errorsOf('just text'), ['k.yaml:1: expected a mapping, got "just text"']);
  });

  it('refuses chat modes that listen for requests when replicas elect a leader (only the leader answers chat)', () => {
    const slack = ['chatops:', '  slack: {enabled: true, mode: http, botTokenFrom: {env: B}, signingSecretFrom: {env: S}, listen: "0.0.0.0:3000"}'];
    assert.deepEqual(errorsOf(yaml('state: {url: "postgres://k@db/k"}', ...slack)), [
      'k.yaml:3: chatops.slack.mode: http cannot be used with several replicas (leaderElection) only the leader answers chat, and requests sent to a Service would reach standbys too: use socket (Socket Mode connects out from the leader)',
    ]);
    // one replica, or replicas told not to elect: Slack may post to it
    assert.equal(parseConfigText(yaml('leaderElection: {enabled: false}', 'state: {url: "postgres://k@db/k"}', ...slack), 'k.yaml').chatops.slack.mode, 'http');
    assert.equal(parseConfigText(yaml(...slack), 'k.yaml').chatops.slack.mode, 'http');
  });
});
