// docs/config.md and examples/kubeherald.yaml describe the same keys the
// schema has, with the same defaults: a key added to one without the others
// fails here.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { defaultConfig, ENV_VARS, parseConfigText } from '../../src/config/index.ts';
import { SINK_TYPES } from '../../src/sinks/registry.ts';

const docs = readFileSync(new URL('../../docs/config.md', import.meta.url), 'utf8');
const example = readFileSync(new URL('../../examples/kubeherald.yaml', import.meta.url), 'utf8');

/** Dotted paths of every leaf of a plain object; lists are leaves. */
function leafPaths(value: unknown, prefix = ''): string[] {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return [prefix];
  return Object.entries(value).flatMap(([k, v]) => leafPaths(v, prefix ? `${prefix}.${k}` : k));
}

const { sinks: _sinks, ...rest } = defaultConfig();
// a sink's own `delivery:` takes every key of the global one, and rate limit rules
const sinkDelivery = parseConfigText(
  `sinks: [{ name: a, type: slack, tokenFrom: { env: T }, channel: C1, delivery: ${JSON.stringify({ ...rest.delivery, rateLimits: [{ count: 1, perSeconds: 1, scope: 'sink', targets: '^-' }] })} }]`,
  'x',
).sinks[0].delivery!;
// chatops keys that are optional or inside lists: taken from a config that sets every one, so each is a real key
const fullChatops = parseConfigText(
  `chatops:
  slack: { enabled: true, mode: http, botTokenFrom: { env: B }, appTokenFrom: { env: A }, signingSecretFrom: { env: S }, channels: [{ id: C1, namespace: ns, cluster: default }] }
  telegram: { enabled: true, mode: webhook, tokenFrom: { env: T }, webhook: { url: "https://x.example/tg", secretTokenFrom: { env: W } }, chats: [{ id: "-100", namespace: ns, cluster: default }] }
  identities: [{ platform: slack, user: U1, kubernetes: { user: a, groups: [g] } }, { platform: slack, email: a@b.example, kubernetes: { user: b } }]
  crashReports: { namespaces: [ns] }`,
  'x',
).chatops;
/** Like leafPaths, but into lists of mappings (`a[].b`); credential references (`…From`) are leaves. */
function chatopsPaths(value: unknown, prefix: string): string[] {
  if (Array.isArray(value)) {
    const items = value.filter((v) => v !== null && typeof v === 'object');
    return [prefix, ...new Set(items.flatMap((v) => chatopsPaths(v, `${prefix}[]`)))];
  }
  if (value === null || typeof value !== 'object' || prefix.endsWith('From')) return [prefix];
  return Object.entries(value).flatMap(([k, v]) => chatopsPaths(v, `${prefix}.${k}`));
}
/** The keys of `{ name: a, type }` as parsed; none for a type that requires more (those are listed below). */
function minimalSinkKeys(type: string): string[] {
  try {
    return Object.keys(parseConfigText(`sinks: [{ name: a, type: ${type} }]`, 'x').sinks[0]);
  } catch {
    return [];
  }
}
const KEYS = [
  ...leafPaths(rest),
  ...chatopsPaths(fullChatops, 'chatops').filter((k) => !leafPaths(rest).includes(k)),
  'sinks',
  'clusters[].name',
  'clusters[].kubeconfig',
  'clusters[].context',
  'clusters[].inCluster',
  'watch.resources[].group',
  'watch.resources[].version',
  'watch.resources[].resource',
  'watch.resources[].conditions',
  'watch.resources[].minSeconds',
  // optional keys with no default
  'audit.tokenFrom',
  'delivery.storm.threshold',
  'sinks[].delivery.storm.threshold',
  'sinks[].delivery',
  ...leafPaths(sinkDelivery, 'sinks[].delivery'),
  ...Object.keys(sinkDelivery.rateLimits![0]).map((k) => `sinks[].delivery.rateLimits[].${k}`),
  // every type of the sink registry that needs nothing but its name: its keys as its defaults spell them
  ...SINK_TYPES.flatMap((type) => minimalSinkKeys(type).map((k) => `sinks[].${k}`)),
  // sinks with required keys: a minimal sink each, once per optional key
  ...[
    '{ name: a, type: slack, tokenFrom: { env: T }, channel: C1, actions: true, crashReport: { lines: 5 } }',
    '{ name: a, type: slack, webhookUrlFrom: { env: H } }',
    '{ name: a, type: telegram, tokenFrom: { env: T }, chatId: 1, messageThreadId: 2 }',
    '{ name: a, type: plugin, plugin: slack }',
  ].flatMap((sink) => Object.keys(parseConfigText(`sinks: [${sink}]`, 'x').sinks[0]).map((k) => `sinks[].${k}`)),
];

describe('docs/config.md', () => {
  it('has a table row for every key', () => {
    const rows = new Set([...docs.matchAll(/^\| `([^`]+)` \|/gm)].map((m) => m[1]));
    for (const key of KEYS) assert.ok(rows.has(key), `docs/config.md has no row for ${key}`);
  });

  it('documents no key the schema does not have', () => {
    const rows = [...docs.matchAll(/^\| `([^`]+)` \|/gm)].map((m) => m[1]);
    for (const row of rows) assert.ok(KEYS.includes(row), `docs/config.md documents ${row}, which is not a config key`);
  });

  it('names every environment variable', () => {
    for (const name of [...Object.keys(ENV_VARS), 'KUBEHERALD_CONFIG']) assert.ok(docs.includes(`\`${name}\``), `docs/config.md does not mention ${name}`);
  });

  it('shows the true default of every scalar key', () => {
    const flat = new Map<string, unknown>(leafPaths(rest).map((p) => [p, p.split('.').reduce<unknown>((o, k) => (o as Record<string, unknown>)[k], rest)]));
    for (const [key, value] of flat) {
      if (Array.isArray(value)) continue;
      const row = docs.split('\n').find((l) => l.startsWith(`| \`${key}\` |`))!;
      const shown = row.split(' | ')[2];
      assert.equal(shown, typeof value === 'string' && value === '' ? '`""`' : `\`${String(value)}\``, `default of ${key}`);
    }
  });
});

describe('examples/kubeherald.yaml', () => {
  it('is valid and, but for its sinks, exactly the defaults', () => {
    const cfg = parseConfigText(example, 'examples/kubeherald.yaml');
    const { sinks, ...others } = cfg;
    assert.deepEqual(others, rest);
    assert.deepEqual(sinks, [
      { name: 'console', type: 'console', color: 'auto' },
      { name: 'events-file', type: 'jsonl', path: 'notifications.jsonl', includeRawObject: false },
    ]);
  });

  it('spells out every key', () => {
    for (const key of KEYS) {
      const last = key.split(/[.[\]]+/).filter(Boolean).pop()!;
      assert.match(example, new RegExp(`^[ #-]*(- )?\\{? ?${last}:|[{,] ${last}:`, 'm'), `examples/kubeherald.yaml does not show ${key}`);
    }
  });
});
