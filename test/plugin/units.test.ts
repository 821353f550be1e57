// The plugin host's pure parts: options over the plugin's config, the
// options schema, outcome mapping, repeat memory, the sink cache, addresses.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { checkPluginFlags } from '../../src/cli/plugin.ts';
import { Outcome } from '../../src/gen/kubeherald/v1/plugin_pb.js';
import type { SinkConfig } from '../../src/config/schema.ts';
import { formatHostPort, parseHostPort } from '../../src/plugin/address.ts';
import { SINK_TYPE_INFO, type PluginSinkType } from '../../src/plugin/catalog.ts';
import { parsePluginConfig, parsePluginSettings, readPluginConfigFile, readPluginSettingsFile } from '../../src/plugin/config.ts';
import { DeliveryMemory } from '../../src/plugin/idempotency.ts';
import { effectiveConfig, optionsJsonSchema, parseAllowList } from '../../src/plugin/options.ts';
import { outcomeName, resultOfError } from '../../src/plugin/outcome.ts';
import { credentialValues } from '../../src/plugin/running.ts';
import { SinkCache } from '../../src/plugin/sink-cache.ts';
import { SinkError, type Sink } from '../../src/sinks/types.ts';

const slack = parsePluginConfig('slack', { tokenFrom: { env: 'SLACK_BOT_TOKEN' }, channel: '#alerts', apiUrl: 'http://127.0.0.1:1/api/' });
const webhook = parsePluginConfig('webhook', { urls: ['https://hooks.example.com/in'] });

describe('effectiveConfig', () => {
  it('merges allowed options over the base and sets the target option', () => {
    const r = effectiveConfig('slack', slack, { threads: false }, 'C0123ABCD', { options: ['threads'] });
    assert.ok(r.ok);
    const cfg = r.config as Extract<SinkConfig, { type: 'slack' }>;
    assert.equal(cfg.channel, 'C0123ABCD');
    assert.equal(cfg.threads, false);
    assert.deepEqual(cfg.tokenFrom, { env: 'SLACK_BOT_TOKEN' });
    assert.equal(cfg.apiUrl, 'http://127.0.0.1:1/api/');
    assert.equal(cfg.name, 'slack');
  });

  it('sets telegram chatId and elasticsearch dataStream from the target', () => {
    const tg = effectiveConfig('telegram', parsePluginConfig('telegram', { tokenFrom: { env: 'T' }, chatId: -100 }), undefined, '-1001234567890');
    assert.ok(tg.ok);
    assert.equal((tg.config as { chatId: unknown }).chatId, '-1001234567890');
    const es = effectiveConfig('elasticsearch', parsePluginConfig('elasticsearch', {}), {}, 'audit-events');
    assert.ok(es.ok);
    assert.equal((es.config as { dataStream: string }).dataStream, 'audit-events');
  });

  it('refuses credential references, naming the option', () => {
    const r = effectiveConfig('slack', slack, { tokenFrom: { env: 'OTHER' } }, '');
    assert.deepEqual(r, { ok: false, message: "options.tokenFrom: credentials are read from the plugin's own environment or files, never chosen by a delivery" });
    const w = effectiveConfig('webhook', webhook, { secretFrom: { file: '/etc/passwd' }, sign: false }, '');
    assert.equal(w.ok, false);
    assert.match((w as { message: string }).message, /^options\.secretFrom: credentials/);
  });

  it('never lets a delivery change the destination or turn signing off, whatever the allow-list; the plugin\'s own value is accepted', () => {
    const pinned = "where the plugin's credentials and signed messages go, and whether they are signed, come from the plugin's own config only";
    const everything = { options: ['threads', 'payload', 'template', 'timeoutSeconds'] };
    const moved = effectiveConfig('slack', slack, { apiUrl: 'https://evil.example/api/' }, '', everything);
    assert.deepEqual(moved, { ok: false, message: `options.apiUrl: ${pinned}` });
    assert.equal(effectiveConfig('slack', slack, { apiUrl: 'http://127.0.0.1:1/api/' }, '').ok, true);
    // header values expand the plugin's environment
    assert.equal(effectiveConfig('webhook', webhook, { headers: { 'X-Leak': '${HOME}' } }, '', everything).ok, false);
    // a signed body goes only where the operator said, even without any header
    assert.deepEqual(effectiveConfig('webhook', webhook, { urls: ['http://127.0.0.1:18082/steal'] }, '', everything), { ok: false, message: `options.urls: ${pinned}` });
    assert.deepEqual(effectiveConfig('webhook', webhook, { sign: false }, '', everything), { ok: false, message: `options.sign: ${pinned}` });
    assert.equal(effectiveConfig('webhook', webhook, { sign: true, urls: ['https://hooks.example.com/in'] }, '').ok, true);
    assert.equal(effectiveConfig('jsonl', parsePluginConfig('jsonl', {}), { path: '/etc/cron.d/x' }, '').ok, false);
  });

  it('accepts only the options and targets the plugin\'s operator allowed', () => {
    assert.deepEqual(effectiveConfig('slack', slack, { threads: false }, ''), { ok: false, message: "options.threads: not allowed by this plugin's config (allow.options; it allows none)" });
    assert.deepEqual(effectiveConfig('webhook', webhook, { template: 'x', payload: 'pod' }, '', { options: ['payload'] }).ok, false);
    assert.match((effectiveConfig('webhook', webhook, { template: 'x' }, '', { options: ['payload'] }) as { message: string }).message, /^options\.template: not allowed by this plugin's config \(allow\.options; it allows payload\)$/);
    assert.equal(effectiveConfig('webhook', webhook, { payload: 'pod' }, '', { options: ['payload'] }).ok, true);
    // repeating the plugin's own value changes nothing
    assert.equal(effectiveConfig('slack', slack, { threads: true }, '').ok, true);
    const targets = { options: [], targets: ['#ops'] };
    assert.equal(effectiveConfig('slack', slack, undefined, '#ops', targets).ok, true);
    assert.equal(effectiveConfig('slack', slack, undefined, '#alerts', targets).ok, true, "the plugin's own channel");
    assert.deepEqual(effectiveConfig('slack', slack, undefined, '#random', targets), { ok: false, message: 'target "#random": not among this plugin\'s allow.targets (#ops)' });
  });

  it('reports schema problems under options.<path>', () => {
    const r = effectiveConfig('webhook', webhook, { timeoutSeconds: 0, payload: 'pods' }, '', { options: ['timeoutSeconds', 'payload'] });
    assert.deepEqual(r, { ok: false, message: 'options.payload: expected one of notification, pod, got "pods"; did you mean "pod"?; options.timeoutSeconds: expected an integer ≥ 1, got 0' });
    const unknown = effectiveConfig('webhook', webhook, { retries: 3 }, '');
    assert.equal(unknown.ok, false);
    assert.match((unknown as { message: string }).message, /^options\.retries: not allowed/);
  });

  it('refuses a target for a type without targets, a foreign type and delivery settings; ignores name', () => {
    assert.deepEqual(effectiveConfig('webhook', webhook, undefined, 'somewhere'), { ok: false, message: 'target "somewhere": webhook sinks have no target option; leave it empty' });
    assert.equal(effectiveConfig('webhook', webhook, { type: 'slack' }, '').ok, false);
    assert.equal(effectiveConfig('webhook', webhook, { delivery: { maxAttempts: 3 } }, '').ok, false);
    const named = effectiveConfig('webhook', webhook, { name: 'other', type: 'webhook' }, '');
    assert.ok(named.ok);
    assert.equal(named.config.name, 'webhook');
  });

  it('a parsed config parses to itself for every type (the base is merged in parsed form)', () => {
    // a type not listed is checked with its defaults
    const bases: Partial<Record<PluginSinkType, Record<string, unknown>>> = {
      console: {},
      jsonl: { path: '/tmp/x.jsonl' },
      slack: { webhookUrlFrom: { env: 'U' } },
      telegram: { tokenFrom: { file: '/t' }, chatId: '@chan_name', messageThreadId: 4 },
      elasticsearch: { apiKeyFrom: { env: 'K' } },
      teams: { actions: [{ title: 'Logs', url: 'https://g.example/{{involvedObject.name}}' }] },
      dingtalk: { secretFrom: { env: 'S' }, atMobiles: ['13800000000'] },
      webhook: { urls: ['https://a.example/'], headers: { 'X-A': 'b' } },
    };
    for (const type of Object.keys(SINK_TYPE_INFO) as PluginSinkType[]) {
      const parsed = parsePluginConfig(type, bases[type] ?? {});
      const again = effectiveConfig(type, parsed, undefined, '');
      assert.ok(again.ok, type);
      assert.deepEqual(again.config, parsed, type);
    }
  });
});

describe('optionsJsonSchema', () => {
  it('lists only what the operator allowed, with the plugin\'s values as defaults', () => {
    const s = optionsJsonSchema('slack', slack, { options: ['threads', 'linkTemplate'] }) as { properties: Record<string, { default?: unknown }>; additionalProperties: boolean };
    assert.deepEqual(Object.keys(s.properties), ['threads', 'linkTemplate']);
    assert.equal(s.properties.threads.default, true);
    assert.equal(s.additionalProperties, false);
    assert.deepEqual(Object.keys((optionsJsonSchema('webhook', webhook) as { properties: object }).properties), []);
    const t = optionsJsonSchema('slack', slack, { options: [], targets: ['#ops'] });
    assert.deepEqual(t['x-kubeherald-targets'], ['#ops']);
  });
});

describe('the allow-list in the plugin config', () => {
  it('is read with the sink and refuses what can never be chosen per delivery, naming the entry', () => {
    const s = parsePluginSettings('webhook', { urls: ['https://a.example/'], allow: { options: ['payload', 'template'] } });
    assert.deepEqual(s.allow, { options: ['payload', 'template'] });
    assert.deepEqual(parsePluginSettings('slack', { tokenFrom: { env: 'T' }, channel: '#c', allow: { targets: ['#a', 42] } }).allow, { options: [], targets: ['#a', '42'] });
    assert.deepEqual(parsePluginSettings('slack', { tokenFrom: { env: 'T' }, channel: '#c' }).allow, { options: [] });
    assert.throws(() => parsePluginSettings('webhook', { allow: { options: ['urls', 'sign', 'secretFrom'] } }), (err: Error) => {
      assert.match(err.message, /allow\.options\[0\]: urls cannot be allowed per delivery/);
      assert.match(err.message, /allow\.options\[1\]: sign cannot be allowed per delivery/);
      assert.match(err.message, /allow\.options\[2\]: secretFrom cannot be allowed per delivery: credentials/);
      return true;
    });
    assert.throws(() => parsePluginSettings('slack', { tokenFrom: { env: 'T' }, channel: '#c', allow: { options: ['thread'] } }), /allow\.options\[0\]: slack sinks have no setting "thread" \(they have: channel, threads/);
    assert.throws(() => parsePluginSettings('webhook', { allow: { targets: ['x'] } }), /allow\.targets: webhook sinks have no target option/);
    assert.throws(() => parsePluginSettings('slack', { tokenFrom: { env: 'T' }, channel: '#c', allow: { everything: true } }), /allow\.everything: unknown key/);
    assert.equal(parseAllowList('slack', null).ok, true);
  });

  it('is read from the plugin config file, with its line', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kh-allow-'));
    try {
      const f = join(dir, 'p.yaml');
      writeFileSync(f, 'urls: [https://a.example/]\nallow:\n  options:\n    - payload\n    - sign\n');
      await assert.rejects(readPluginSettingsFile('webhook', f), /p\.yaml:5: allow\.options\[1\]: sign cannot be allowed per delivery/);
      writeFileSync(f, 'urls: [https://a.example/]\nallow:\n  options: [payload]\n');
      assert.deepEqual((await readPluginSettingsFile('webhook', f)).allow, { options: ['payload'] });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('resultOfError', () => {
  it('maps each SinkError kind, and anything else to retryable', () => {
    assert.deepEqual(resultOfError(new SinkError('slow down', { kind: 'rate-limited', retryAfterMs: 7000 })), { outcome: Outcome.RATE_LIMITED, message: 'slow down', retryAfterMs: 7000 });
    assert.deepEqual(resultOfError(new SinkError('bad', { kind: 'permanent' })), { outcome: Outcome.PERMANENT, message: 'bad' });
    assert.deepEqual(resultOfError(new SinkError('down', { kind: 'retryable' })), { outcome: Outcome.RETRYABLE, message: 'down' });
    assert.deepEqual(resultOfError(new TypeError('x is undefined')), { outcome: Outcome.RETRYABLE, message: 'x is undefined' });
    assert.equal(outcomeName(Outcome.RATE_LIMITED), 'rate-limited');
  });

  it('redacts the secrets it is given', () => {
    const r = resultOfError(new SinkError('POST https://h.example/hook?token=s3cr3t failed', { kind: 'retryable' }), ['s3cr3t']);
    assert.equal(r.message, 'POST https://h.example/hook?token=[redacted] failed');
  });

  it('collects the values of the credentials a config refers to', () => {
    const cfg = parsePluginConfig('webhook', { urls: ['https://a.example/'], headers: { Authorization: 'Bearer ${TOK}' } });
    assert.deepEqual(credentialValues(cfg, { KUBEHERALD_WEBHOOK_SECRET: 'signing-secret', TOK: 'tok-1' }), ['signing-secret', 'tok-1']);
    assert.deepEqual(credentialValues(cfg, {}), []);
  });
});

describe('DeliveryMemory', () => {
  it('remembers delivered ids only, bounded, oldest first out', async () => {
    const m = new DeliveryMemory<string>(2);
    const ok = (r: string) => r === 'ok';
    await m.run('a', async () => 'ok', ok);
    await m.run('b', async () => 'fail', ok);
    await m.run('c', async () => 'ok', ok);
    assert.equal(m.delivered('a'), true);
    assert.equal(m.delivered('b'), false);
    await m.run('d', async () => 'ok', ok);
    assert.equal(m.delivered('a'), false);
    assert.deepEqual([m.delivered('c'), m.delivered('d'), m.size], [true, true, 2]);
  });

  it('a repeat while the first runs shares its result', async () => {
    const m = new DeliveryMemory<string>();
    let calls = 0;
    let release!: (v: string) => void;
    const gate = new Promise<string>((r) => (release = r));
    const first = m.run('x', () => (calls++, gate), () => true);
    const second = m.run('x', async () => (calls++, 'second'), () => true);
    assert.equal(m.running('x') !== undefined, true);
    release('first');
    assert.deepEqual(await Promise.all([first, second]), ['first', 'first']);
    assert.equal(calls, 1);
    assert.equal(m.running('x'), undefined);
  });
});

describe('SinkCache', () => {
  function fakeSink(name: string, closed: string[]): Sink {
    return { name, type: 'console', send: async () => undefined, close: async () => void closed.push(name) };
  }

  it('keeps one sink per key, evicts the least recently used and closes it after its users finish', async () => {
    const closed: string[] = [];
    const created: string[] = [];
    const cache = new SinkCache({ max: 2, create: async (key) => (created.push(key), { sink: fakeSink(key, closed), secrets: [] }) });
    await cache.pin('base');
    await cache.use('a', async () => undefined);
    let finish!: () => void;
    const busy = cache.use('b', () => new Promise<void>((r) => (finish = r)));
    await cache.use('a', async () => undefined); // a is now the most recent
    await cache.use('c', async () => undefined); // evicts b, which is still in use
    assert.deepEqual(closed, []);
    finish();
    await busy;
    await cache.close();
    assert.deepEqual(created, ['base', 'a', 'b', 'c']);
    assert.deepEqual(closed, ['b', 'base', 'a', 'c']);
  });

  it('does not keep a sink that failed to start', async () => {
    let attempts = 0;
    const cache = new SinkCache({
      create: async () => {
        attempts++;
        throw new Error('no token');
      },
    });
    await assert.rejects(cache.use('k', async () => undefined), /no token/);
    await assert.rejects(cache.use('k', async () => undefined), /no token/);
    assert.equal(attempts, 2);
    assert.equal(cache.size, 0);
  });
});

describe('addresses', () => {
  it('parses host:port forms and names the flag when wrong', () => {
    assert.deepEqual(parseHostPort('127.0.0.1:0', '--listen', { allowPortZero: true }), { host: '127.0.0.1', port: 0 });
    assert.deepEqual(parseHostPort(':50051', '--listen', { allowAnyHost: true }), { host: '127.0.0.1', port: 50051 }); // no host is the loopback
    assert.deepEqual(parseHostPort('[::1]:7', '--listen'), { host: '::1', port: 7 });
    assert.throws(() => parseHostPort(':50051', '--advertise'), /^Error: --advertise ":50051": expected host:port with a host$/);
    assert.throws(() => parseHostPort('host:70000', '--listen'), /--listen "host:70000": expected host:port/);
    assert.throws(() => parseHostPort('host:0', '--advertise'), /port 1-65535/);
    assert.equal(formatHostPort('::', 5), '[::]:5');
    assert.equal(formatHostPort('10.0.0.1', 5), '10.0.0.1:5');
  });
});

describe('plugin config', () => {
  it('fills in the name, checks the type and refuses kubeherald-only keys', () => {
    assert.equal(parsePluginConfig('console', undefined).name, 'console');
    assert.equal(parsePluginConfig('console', { name: 'term', type: 'console' }).name, 'term');
    assert.throws(() => parsePluginConfig('webhook', { type: 'slack' }), /^ConfigError: plugin config: type: this plugin serves webhook sinks, got "slack"; leave type out or write webhook$/);
    assert.throws(() => parsePluginConfig('console', { delivery: { maxAttempts: 3 } }), /plugin config: delivery: belongs to the plugin sink in kubeherald's config/);
    assert.throws(() => parsePluginConfig('console', ['a']), /plugin config: expected a mapping/);
  });

  it('reads a file with lines in its errors, and resolves a jsonl path next to it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kubeherald-plugin-config-'));
    try {
      const bad = join(dir, 'bad.yaml');
      writeFileSync(bad, 'name: Bad_Name\ncolour: never\n');
      await assert.rejects(readPluginConfigFile('console', bad), (err: Error) => {
        assert.equal(err.message, `${bad}:1: name: expected a DNS-1123 label (lowercase letters, digits and "-", starting and ending with a letter or digit), got "Bad_Name"\n${bad}:2: colour: unknown key; did you mean "color"?`);
        return true;
      });
      const yaml = join(dir, 'broken.yaml');
      writeFileSync(yaml, 'a: [1\n');
      await assert.rejects(readPluginConfigFile('console', yaml), /broken\.yaml:\d+: invalid YAML/);
      await assert.rejects(readPluginConfigFile('console', join(dir, 'none.yaml')), /none\.yaml: cannot read the plugin config file: no such file/);
      const jsonl = join(dir, 'jsonl.yaml');
      writeFileSync(jsonl, 'path: out/events.jsonl\n');
      assert.equal(((await readPluginConfigFile('jsonl', jsonl)) as { path: string }).path, join(dir, 'out/events.jsonl'));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('checkPluginFlags', () => {
  const base = { listen: '127.0.0.1:0', graceSeconds: '30', logLevel: 'info' };
  it('accepts a plain plugin and reads the grace period', () => {
    assert.deepEqual(checkPluginFlags(base), { graceMs: 30_000, logLevel: 'info', maxMessageBytes: 4 * 1024 * 1024 });
    assert.deepEqual(checkPluginFlags({ ...base, listen: ':50051', graceSeconds: '0', tlsDir: '/etc/tls' }), { graceMs: 0, logLevel: 'info', maxMessageBytes: 4 * 1024 * 1024 });
    assert.deepEqual(checkPluginFlags({ ...base, listen: ':50051', insecure: true, maxMessageBytes: '65536' }), { graceMs: 30_000, logLevel: 'info', maxMessageBytes: 65536 });
  });
  it('refuses to listen off the loopback without mutual TLS unless --insecure', () => {
    assert.throws(() => checkPluginFlags({ ...base, listen: '0.0.0.0:50051' }), /^Error: --listen 0\.0\.0\.0:50051: refusing to listen on 0\.0\.0\.0 without authenticating callers \(plaintext/);
    // no host is the loopback, not every interface
    assert.ok(checkPluginFlags({ ...base, listen: ':50051' }));
    assert.throws(() => checkPluginFlags({ ...base, listen: '10.0.0.5:50051', tlsCert: 'c', tlsKey: 'k' }), /refusing to listen on 10\.0\.0\.5 without authenticating callers \(TLS without client certificates/);
    assert.ok(checkPluginFlags({ ...base, listen: '0.0.0.0:50051', tlsCert: 'c', tlsKey: 'k', tlsClientCa: 'ca' }));
    assert.ok(checkPluginFlags({ ...base, listen: '[::1]:50051' }));
    assert.throws(() => checkPluginFlags({ ...base, tlsDir: '/d', tlsCert: 'c', tlsKey: 'k' }), /^Error: --tls-dir holds tls\.crt, tls\.key and ca\.crt/);
    assert.throws(() => checkPluginFlags({ ...base, maxMessageBytes: '10' }), /^Error: --max-message-bytes: expected an integer ≥ 1024, got "10"$/);
  });
  it('names the flag that is wrong', () => {
    assert.throws(() => checkPluginFlags({ ...base, listen: 'nowhere' }), /^Error: --listen "nowhere": expected host:port/);
    assert.throws(() => checkPluginFlags({ ...base, tlsCert: 'c.pem' }), /^Error: --tls-cert needs --tls-key too$/);
    assert.throws(() => checkPluginFlags({ ...base, tlsClientCa: 'ca.pem' }), /^Error: --tls-client-ca \(mutual TLS\) needs --tls-cert and --tls-key$/);
    assert.throws(() => checkPluginFlags({ ...base, register: 'http://kh:8443' }), /^Error: --register needs --advertise host:port/);
    assert.throws(() => checkPluginFlags({ ...base, register: 'kh:8443', advertise: '10.0.0.1:50051' }), /^Error: --register "kh:8443": expected the registry's URL/);
    assert.throws(() => checkPluginFlags({ ...base, register: 'http://kh:8443', advertise: ':50051' }), /^Error: --advertise ":50051": expected host:port with a host$/);
    assert.throws(() => checkPluginFlags({ ...base, graceSeconds: '1.5' }), /^Error: --grace-seconds: expected an integer ≥ 0, got "1\.5"$/);
    assert.throws(() => checkPluginFlags({ ...base, logLevel: 'loud' }), /^Error: --log-level: expected one of trace, debug, info, warn, error, got "loud"$/);
  });
});
