// The config's shape and defaults: what an empty or partial file means.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DEFAULT_DETECTORS } from '../../src/detect/config.ts';
import { type Config, defaultConfig, parseConfigText } from '../../src/config/index.ts';

const DEFAULTS: Config = {
  cluster: { name: 'default', kubeconfig: '', context: '', inCluster: false },
  clusters: [],
  watch: { namespaces: { include: [], exclude: [] }, eventsApi: 'core', resources: [], watchdogSeconds: 300, pageSize: 500 },
  detectors: DEFAULT_DETECTORS,
  sinks: [{ name: 'console', type: 'console', color: 'auto' }],
  routes: [],
  timeIntervals: [],
  customResources: { enabled: false, namespace: '', egress: { allow: [] } },
  audit: { enabled: false, listen: '127.0.0.1:8443', tls: { certFile: '', keyFile: '', clientCAFile: '' }, clientCertNames: [] },
  metrics: { listen: '' },
  health: { listen: '' },
  updates: { check: false, registry: 'https://registry.npmjs.org', intervalHours: 24 },
  delivery: {
    concurrency: 8,
    maxAgeSeconds: 86_400,
    sendTimeoutSeconds: 30,
    backoff: { baseSeconds: 1, factor: 2, maxSeconds: 300 },
    repeatIntervalSeconds: 14_400,
    floodWindowSeconds: 600,
    groupBy: ['namespace', 'owner', 'reason'],
    groupWaitSeconds: 10,
    groupIntervalSeconds: 300,
    storm: { quietSeconds: 120, updateSeconds: 30 },
  },
  inhibit: { enabled: true, node: true, rollout: true, namespace: true, releaseAfterSeconds: 60, rules: [] },
  silences: { maxDuration: '7d', refreshSeconds: 5 },
  chatops: {
    defaultNamespace: 'default',
    slack: { enabled: false, mode: 'socket', listen: '127.0.0.1:3000', tls: { certFile: '', keyFile: '' }, apiUrl: 'https://slack.com/api/', slashCommand: '/kube', channels: [] },
    telegram: { enabled: false, apiRoot: 'https://api.telegram.org', mode: 'polling', webhook: { listen: '127.0.0.1:8443', url: '', tls: { certFile: '', keyFile: '' } }, chats: [] },
    identities: [],
    identityResources: false,
    auditNotifications: false,
    productionLabel: 'kubeherald.io/production',
    policies: [],
    policyResources: false,
  },
  plugins: {
    tls: { caFile: '', certFile: '', keyFile: '', serverName: '' },
    insecure: false,
    maxMessageBytes: 4_194_304,
    callTimeoutSeconds: 30,
    healthCheck: { intervalSeconds: 5, unhealthyThreshold: 2, healthyThreshold: 1 },
    outlierDetection: { consecutiveFailures: 5, baseEjectionSeconds: 30, maxEjectionPercent: 50 },
    maxAttemptsPerDelivery: 3,
    static: [],
    kubernetes: { enabled: false, namespaces: [], portName: '' },
    registry: { listen: '', ttlSeconds: 15, heartbeatIntervalSeconds: 5, tls: { certFile: '', keyFile: '', clientCaFile: '' }, insecure: false },
  },
  state: { path: './.kubeherald/state.db', url: '', synchronous: 'full', pruneIntervalSeconds: 300, retention: { deliveredSeconds: 86_400, deadLetterSeconds: 604_800, dedupSeconds: 604_800, auditSeconds: 7_776_000, requestsSeconds: 2_592_000 } },
  leaderElection: { enabled: 'auto', namespace: '', leaseName: 'kubeherald', identity: '', leaseDurationSeconds: 15, renewDeadlineSeconds: 10, retryPeriodSeconds: 2 },
  log: { level: 'info', format: 'json' },
};

describe('defaults', () => {
  it('no config at all is the defaults with a single console sink', () => {
    assert.deepEqual(defaultConfig(), DEFAULTS);
  });

  it('an empty file, a comment-only file and `{}` are the defaults', () => {
    assert.deepEqual(parseConfigText('', 'k.yaml'), DEFAULTS);
    assert.deepEqual(parseConfigText('# nothing yet\n', 'k.yaml'), DEFAULTS);
    assert.deepEqual(parseConfigText('{}', 'k.yaml'), DEFAULTS);
  });

  it('sections left empty (every child commented out) are their defaults', () => {
    const text = 'cluster:\nwatch:\n  namespaces:\n  resources:\ndetectors:\n  podNotReady:\nsinks:\nlog:\n';
    assert.deepEqual(parseConfigText(text, 'k.yaml'), DEFAULTS);
  });

  it('returns fresh objects: changing one config does not change the next', () => {
    const a = defaultConfig();
    a.sinks.push({ name: 'x', type: 'jsonl', path: '-', includeRawObject: false });
    a.detectors.badWaiting.reasons.push('Oops');
    assert.deepEqual(defaultConfig(), DEFAULTS);
    assert.equal(DEFAULT_DETECTORS.badWaiting.reasons.includes('Oops'), false);
  });
});

describe('values', () => {
  it('keeps what is given and fills in the rest', () => {
    const cfg = parseConfigText(
      [
        'cluster: { name: prod-eu, context: admin@prod }',
        'watch:',
        '  namespaces: { include: ["team-*"], exclude: [team-sandbox] }',
        '  eventsApi: events.k8s.io',
        '  resources:',
        '    - { version: v1, resource: configmaps }',
        '    - { group: cert-manager.io, version: v1, resource: certificates }',
        '  watchdogSeconds: 120',
        '  pageSize: 50',
        'sinks:',
        '  - { name: out, type: console, color: never }',
        '  - { name: file, type: jsonl, path: /var/log/k.jsonl, includeRawObject: true }',
        '  - { name: stdout-json, type: jsonl }',
        'log: { level: debug, format: pretty }',
      ].join('\n'),
      'k.yaml',
    );
    assert.deepEqual(cfg.cluster, { name: 'prod-eu', kubeconfig: '', context: 'admin@prod', inCluster: false });
    assert.deepEqual(cfg.watch, {
      namespaces: { include: ['team-*'], exclude: ['team-sandbox'] },
      eventsApi: 'events.k8s.io',
      resources: [
        { group: '', version: 'v1', resource: 'configmaps' },
        { group: 'cert-manager.io', version: 'v1', resource: 'certificates' },
      ],
      watchdogSeconds: 120,
      pageSize: 50,
    });
    assert.deepEqual(cfg.sinks, [
      { name: 'out', type: 'console', color: 'never' },
      { name: 'file', type: 'jsonl', path: '/var/log/k.jsonl', includeRawObject: true },
      { name: 'stdout-json', type: 'jsonl', path: '-', includeRawObject: false },
    ]);
    assert.deepEqual(cfg.log, { level: 'debug', format: 'pretty' });
  });

  it('merges detectors key by key over the defaults; a list replaces the default list', () => {
    const cfg = parseConfigText(
      'detectors:\n  podNotReady: { minSeconds: 120 }\n  normalEvents: { enabled: true }\n  nodePressure:\n    conditions: [DiskPressure]\n',
      'k.yaml',
    );
    assert.deepEqual(cfg.detectors, {
      ...DEFAULT_DETECTORS,
      podNotReady: { enabled: true, minSeconds: 120 },
      normalEvents: { enabled: true },
      nodePressure: { enabled: true, conditions: ['DiskPressure'] },
    });
  });

  it('supports anchors, aliases and merge keys', () => {
    const cfg = parseConfigText('sinks:\n  - &file { name: a, type: jsonl, path: /a.jsonl, includeRawObject: true }\n  - { <<: *file, name: b }\n', 'k.yaml');
    assert.deepEqual(cfg.sinks, [
      { name: 'a', type: 'jsonl', path: '/a.jsonl', includeRawObject: true },
      { name: 'b', type: 'jsonl', path: '/a.jsonl', includeRawObject: true },
    ]);
  });
});
