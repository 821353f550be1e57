// The PagerDuty sink: the exact Events API v2 events, and sending them to a
// fake Events API that checks the documented format and keeps alert state —
// a FIRING triggers an alert, its RESOLVED (from this sink or one created
// after a restart) resolves the same alert — with every failure classified.

import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { Severity, State } from '../../src/model/notification.ts';
import { SinkError } from '../../src/sinks/types.ts';
import { classifyPagerDutyResponse } from '../../src/sinks/pagerduty/classify.ts';
import { pagerdutySinkSchema, type PagerDutySinkConfig } from '../../src/sinks/pagerduty/config.ts';
import { dedupKeyOf, formatPagerDuty, latestPerIncident, MAX_SUMMARY, type PagerDutyFormatOptions } from '../../src/sinks/pagerduty/format.ts';
import { createPagerDutySink } from '../../src/sinks/pagerduty/index.ts';
import { postPagerDuty } from '../../src/sinks/pagerduty/send.ts';
import { FakePagerDuty, validateEvent } from '../fakes/pagerduty.ts';
import { crashLoop as crashLoopOf, type NotificationInit as Init } from './crash-loop.ts';

const crashLoop = (over: Init = {}) => crashLoopOf({ detector: 'crashLoopBackOff', rawObject: { kind: 'Pod', secretLooking: 'never shown' }, ...over });

const resolved = (over: Init = {}) => crashLoop({ idempotencyKey: 'k1-resolved', state: State.RESOLVED, title: 'web-7d9c-abcde recovered', ...over });

const cfg: PagerDutySinkConfig = pagerdutySinkSchema.parse({ name: 'oncall', type: 'pagerduty' });
const opts: PagerDutyFormatOptions = { severities: cfg.severities, sendResolved: true };

describe('pagerduty config', () => {
  it('defaults: the key from KUBEHERALD_PAGERDUTY_ROUTING_KEY, the US endpoint, severities as named, resolves sent', () => {
    assert.deepEqual(cfg, {
      name: 'oncall',
      type: 'pagerduty',
      routingKeyFrom: { env: 'KUBEHERALD_PAGERDUTY_ROUTING_KEY' },
      url: 'https://events.pagerduty.com/v2/enqueue',
      severities: { critical: 'critical', warning: 'warning', info: 'info', unknown: 'error' },
      sendResolved: true,
      clientUrl: '',
      timeoutSeconds: 10,
    });
  });

  it('refuses a severity PagerDuty does not know, a key written in the config and a non-URL', () => {
    const bad = pagerdutySinkSchema.safeParse({ name: 'p', type: 'pagerduty', severities: { warning: 'high' }, routingKey: 'abc', url: 'events.pagerduty.com' });
    assert.equal(bad.success, false);
    const paths = bad.error!.issues.map((i) => i.path.join('.')).sort();
    assert.deepEqual(paths, ['routingKey', 'severities.warning', 'url']);
  });
});

describe('formatPagerDuty', () => {
  it('triggers on FIRING: summary, source, severity, timestamp, component, group, class, details', () => {
    assert.deepEqual(formatPagerDuty(crashLoop(), { ...opts, clientUrl: 'https://grafana.example/d/k8s' }), {
      event_action: 'trigger',
      dedup_key: 'pod/uid-1/app/CrashLoopBackOff',
      payload: {
        summary: '[prod] web-7d9c-abcde is crash-looping',
        source: 'demo/pod/web-7d9c-abcde',
        severity: 'critical',
        timestamp: '2025-03-04T12:01:05.000Z',
        component: 'deploy/web',
        group: 'prod/demo',
        class: 'CrashLoopBackOff',
        custom_details: {
          message: 'container app restarted 5 times: back-off 40s restarting failed container',
          Cluster: 'prod',
          Namespace: 'demo',
          Object: 'pod/web-7d9c-abcde',
          Restarts: '5',
          Workload: 'deploy/web',
          Time: '2025-03-04 12:01:05 UTC',
          container: 'app',
          detector: 'crashLoopBackOff',
        },
      },
      client: 'kubeherald',
      client_url: 'https://grafana.example/d/k8s',
    });
  });

  it('resolves on RESOLVED under the same dedup_key, or sends nothing when resolving is left to people', () => {
    assert.deepEqual(formatPagerDuty(resolved(), opts), { event_action: 'resolve', dedup_key: 'pod/uid-1/app/CrashLoopBackOff' });
    assert.equal(formatPagerDuty(resolved(), { ...opts, sendResolved: false }), undefined);
  });

  it('maps severities through the configuration, a notification without one as unknown', () => {
    const severities = pagerdutySinkSchema.parse({ name: 'p', type: 'pagerduty', severities: { warning: 'error', info: 'warning' } }).severities;
    const sev = (s: Severity) => {
      const e = formatPagerDuty(crashLoop({ severity: s }), { ...opts, severities });
      return e?.event_action === 'trigger' ? e.payload.severity : undefined;
    };
    assert.deepEqual([sev(Severity.CRITICAL), sev(Severity.WARNING), sev(Severity.INFO), sev(Severity.UNSPECIFIED)], ['critical', 'error', 'warning', 'error']);
  });

  it('dedup_key: the incident key, a stable hash past 255 characters, the idempotency key without an incident', () => {
    const long = `pod/${'x'.repeat(300)}/CrashLoopBackOff`;
    const a = dedupKeyOf(crashLoop({ incidentKey: long }));
    assert.equal(a, dedupKeyOf(resolved({ incidentKey: long, idempotencyKey: 'other' })));
    assert.match(a, /^kubeherald:sha256:[0-9a-f]{64}$/);
    assert.notEqual(a, dedupKeyOf(crashLoop({ incidentKey: `${long}x` })));
    assert.equal(dedupKeyOf(crashLoop({ incidentKey: '', idempotencyKey: 'event/uid-9/1' })), 'event/uid-9/1');
  });

  it('cuts the summary at 1024 characters and long details, and still passes PagerDuty\'s checks', () => {
    const e = formatPagerDuty(crashLoop({ title: 'é'.repeat(5000), message: 'm'.repeat(10_000) }), opts)!;
    assert.equal(e.event_action, 'trigger');
    if (e.event_action !== 'trigger') return;
    assert.equal(Array.from(e.payload.summary).length, MAX_SUMMARY);
    assert.ok(e.payload.summary.endsWith('…'));
    assert.equal(e.payload.custom_details!.message.length, 4000);
    const fake = new Set(['k'.repeat(32)]);
    assert.deepEqual(validateEvent({ routing_key: 'k'.repeat(32), ...e }, fake), []);
  });

  it('a notification with no object says where it is from by its cluster', () => {
    const e = formatPagerDuty(crashLoop({ involvedObject: undefined, owner: undefined, fields: {} }), opts);
    assert.equal(e?.event_action === 'trigger' && e.payload.source, 'prod');
    const bare = formatPagerDuty(crashLoop({ involvedObject: undefined, owner: undefined, cluster: '', eventTime: undefined }), opts);
    assert.equal(bare?.event_action === 'trigger' && bare.payload.source, 'kubeherald');
    assert.equal(bare?.event_action === 'trigger' && bare.payload.timestamp, undefined);
  });

  it("a group's events: each incident once, at its latest state, in the order those arrived", () => {
    const a = crashLoop();
    const b = crashLoop({ idempotencyKey: 'k2', incidentKey: 'pod/uid-2/app/CrashLoopBackOff' });
    const aDone = resolved();
    assert.deepEqual(latestPerIncident([a, b, aDone]), [b, aDone]);
  });
});

describe('the fake Events API', () => {
  const keys = new Set(['k'.repeat(32)]);
  const trigger = { routing_key: 'k'.repeat(32), event_action: 'trigger', payload: { summary: 's', source: 'x', severity: 'info' } };

  it('refuses what PagerDuty refuses', () => {
    assert.deepEqual(validateEvent(trigger, keys), []);
    assert.deepEqual(validateEvent({ ...trigger, routing_key: undefined }, keys), ["'routing_key' is missing or blank"]);
    assert.deepEqual(validateEvent({ ...trigger, routing_key: 'short' }, keys), ["Length of 'routing_key' is incorrect (should be 32 characters)"]);
    assert.deepEqual(validateEvent({ ...trigger, payload: { source: 'x', severity: 'high' } }, keys), ["'payload.summary' is missing or blank", "'payload.severity' must be one of critical, error, warning, info"]);
    assert.deepEqual(validateEvent({ ...trigger, payload: { ...trigger.payload, summary: 's'.repeat(1025), source: '' } }, keys), ["'payload.summary' is longer than 1024 characters", "'payload.source' is missing or blank"]);
    assert.deepEqual(validateEvent({ routing_key: 'k'.repeat(32), event_action: 'resolve' }, keys), ["'dedup_key' is required for resolve"]);
    assert.deepEqual(validateEvent({ ...trigger, dedup_key: 'd'.repeat(256) }, keys), ["'dedup_key' must be a non-empty string of at most 255 characters"]);
  });
});

describe('classifyPagerDutyResponse', () => {
  const NOW = Date.parse('2025-03-04T12:01:10Z');
  const res = (status: number, body: string, headers: Record<string, string> = {}) => ({ status, headers: new Headers(headers), body });

  it('202 is delivered', () => {
    assert.equal(classifyPagerDutyResponse('p', res(202, '{"status":"success","message":"Event processed","dedup_key":"x"}'), NOW, 'KEY'), undefined);
  });

  it('400 is permanent, with PagerDuty\'s errors and what to check; the key never shows', () => {
    const err = classifyPagerDutyResponse('p', res(400, '{"status":"invalid event","message":"Event object is invalid","errors":["Invalid routing key KEY0123"]}'), NOW, 'KEY0123')!;
    assert.equal(err.kind, 'permanent');
    assert.equal(err.reason, 'client');
    assert.equal(err.message, 'p: PagerDuty refused the event (HTTP 400: Event object is invalid: Invalid routing key [redacted]); routingKeyFrom must hold the 32-character integration key of an Events API v2 integration');
  });

  it('429 waits for Retry-After, else 30 s; 5xx and 408 are retried; 403 is permanent (auth)', () => {
    const limited = classifyPagerDutyResponse('p', res(429, '{"status":"throttle event","message":"slow down"}', { 'retry-after': '7' }), NOW, 'K')!;
    assert.deepEqual([limited.kind, limited.reason, limited.retryAfterMs], ['rate-limited', 'rate-limited', 7000]);
    assert.equal(classifyPagerDutyResponse('p', res(429, ''), NOW, 'K')!.retryAfterMs, 30_000);
    const down = classifyPagerDutyResponse('p', res(503, '<html>unavailable</html>'), NOW, 'K')!;
    assert.deepEqual([down.kind, down.reason, down.message], ['retryable', 'server', 'p: HTTP 503: <html>unavailable</html>']);
    assert.equal(classifyPagerDutyResponse('p', res(408, ''), NOW, 'K')!.kind, 'retryable');
    const denied = classifyPagerDutyResponse('p', res(403, ''), NOW, 'K')!;
    assert.deepEqual([denied.kind, denied.reason], ['permanent', 'auth']);
    assert.equal(classifyPagerDutyResponse('p', res(301, ''), NOW, 'K')!.message, 'p: HTTP 301 (redirects are not followed: configure the final URL)');
  });
});

describe('pagerduty sink against the fake Events API', () => {
  let fake: FakePagerDuty;
  let clock = 0;
  const NOW = Date.parse('2025-03-04T12:01:10Z');
  const sinkWith = (over: Partial<PagerDutySinkConfig> = {}, key?: string) =>
    createPagerDutySink({ ...cfg, url: fake.enqueueUrl, ...over }, { env: { KUBEHERALD_PAGERDUTY_ROUTING_KEY: key ?? fake.routingKey }, now: () => NOW });

  before(async () => {
    fake = await FakePagerDuty.start({ now: () => clock });
  });
  after(async () => {
    await fake.close();
  });
  beforeEach(() => {
    fake.requests.length = 0;
    fake.events.length = 0;
    fake.alerts.clear();
    clock += 120_000; // a fresh minute for the fake's 120-a-minute limit
  });

  async function rejection(p: Promise<unknown>, key = fake.routingKey): Promise<SinkError> {
    try {
      await p;
    } catch (err) {
      assert.ok(err instanceof SinkError, String(err));
      assert.ok(!err.message.includes(key), 'the routing key never appears in an error');
      return err;
    }
    return assert.fail('expected the send to fail');
  }

  it('a FIRING opens an alert, its RESOLVED closes it — also from a sink created after a restart', async () => {
    const before = sinkWith();
    await before.send(crashLoop());
    await before.close();
    const alert = fake.alert('pod/uid-1/app/CrashLoopBackOff')!;
    assert.equal(alert.status, 'triggered');
    assert.equal(alert.payload.summary, '[prod] web-7d9c-abcde is crash-looping');
    assert.equal(JSON.parse(fake.requests[0].raw).routing_key, fake.routingKey);
    assert.equal(fake.requests[0].headers['content-type'], 'application/json; charset=utf-8');

    const after = sinkWith();
    await after.send(resolved());
    assert.deepEqual(alert.log, ['trigger', 'resolve']);
    assert.equal(alert.status, 'resolved');
    // a new occurrence of the incident is a new alert, not the resolved one reopened
    await after.send(crashLoop({ idempotencyKey: 'k3' }));
    assert.deepEqual(fake.alert('pod/uid-1/app/CrashLoopBackOff')!.log, ['trigger']);
    assert.notEqual(fake.alert('pod/uid-1/app/CrashLoopBackOff'), alert);
  });

  it('a group is its incidents\' events: B triggers, A (fired, then resolved) ends resolved', async () => {
    const sink = sinkWith();
    await sink.send(crashLoop());
    const b = crashLoop({ idempotencyKey: 'k2', incidentKey: 'pod/uid-2/app/CrashLoopBackOff', title: 'web-2 is crash-looping' });
    await sink.sendGroup!([crashLoop(), b, resolved()], { key: 'g', update: 1 });
    assert.deepEqual(fake.events.map((e) => e.event_action), ['trigger', 'trigger', 'resolve']);
    assert.equal(fake.alert('pod/uid-1/app/CrashLoopBackOff')!.status, 'resolved');
    assert.equal(fake.alert('pod/uid-2/app/CrashLoopBackOff')!.status, 'triggered');
  });

  it('sends no resolve when resolving is left to people', async () => {
    const sink = sinkWith({ sendResolved: false });
    await sink.send(crashLoop());
    await sink.send(resolved());
    assert.equal(fake.requests.length, 1);
    assert.equal(fake.alert('pod/uid-1/app/CrashLoopBackOff')!.status, 'triggered');
  });

  it('a key PagerDuty does not know is permanent, and the error does not show it', async () => {
    const wrong = 'W'.repeat(32);
    const err = await rejection(sinkWith({}, wrong).send(crashLoop()), wrong);
    assert.equal(err.kind, 'permanent');
    assert.match(err.message, /^pagerduty sink "oncall": PagerDuty refused the event \(HTTP 400: Event object is invalid: Invalid routing key: no integration has this 'routing_key'\); routingKeyFrom must hold/);
  });

  it('is rate-limited past 120 events a minute and by a 429 with Retry-After', async () => {
    const sink = sinkWith();
    for (let i = 0; i < 120; i++) await sink.send(crashLoop({ idempotencyKey: `r${i}`, incidentKey: `pod/uid-${i}/app/CrashLoopBackOff` }));
    const limited = await rejection(sink.send(crashLoop({ idempotencyKey: 'r120' })));
    assert.deepEqual([limited.kind, limited.retryAfterMs], ['rate-limited', 30_000]);
    clock += 60_000;
    fake.failNext({ kind: 'throttle', retryAfterSeconds: 12 });
    const told = await rejection(sink.send(crashLoop({ idempotencyKey: 'r121' })));
    assert.deepEqual([told.kind, told.retryAfterMs], ['rate-limited', 12_000]);
    await sink.send(crashLoop({ idempotencyKey: 'r121' }));
    assert.equal(fake.events.length, 121);
  });

  it('retries a 5xx and a PagerDuty that does not answer in time', async () => {
    fake.failNext({ kind: 'status', status: 500, body: '{"status":"error","message":"Internal error"}' });
    const err = await rejection(sinkWith().send(crashLoop()));
    assert.deepEqual([err.kind, err.message], ['retryable', 'pagerduty sink "oncall": HTTP 500: Internal error']);
    fake.failNext({ kind: 'hang' });
    const slow = await rejection(sinkWith({ timeoutSeconds: 0.2 }).send(crashLoop()));
    assert.deepEqual([slow.kind, slow.message], ['retryable', 'pagerduty sink "oncall": no response within 200ms']);
    fake.release();
  });

  it("the fake refuses a summary past 1024 characters, as PagerDuty does, and the sink's is never that long", async () => {
    const event = formatPagerDuty(crashLoop(), opts)!;
    if (event.event_action !== 'trigger') return assert.fail('a trigger');
    const tooLong = { ...event, payload: { ...event.payload, summary: 'x'.repeat(1025) } };
    const res = await postPagerDuty(fake.enqueueUrl, fake.routingKey, tooLong, { timeoutMs: 5000 });
    assert.equal(res.status, 400);
    assert.equal(classifyPagerDutyResponse('p', res, NOW, fake.routingKey)!.kind, 'permanent');
    await sinkWith().send(crashLoop({ title: 'y'.repeat(3000) }));
    assert.equal(fake.requests.at(-1)!.status, 202);
  });

  it('names the variable, never a value, when the key is missing; a closed sink refuses', async () => {
    assert.throws(() => createPagerDutySink(cfg, { env: {} }), {
      name: 'ConfigError',
      message: 'KUBEHERALD_PAGERDUTY_ROUTING_KEY: pagerduty sink "oncall" (routingKeyFrom.env): environment variable is not set or is empty',
    });
    const sink = sinkWith();
    await sink.close();
    const err = await rejection(sink.send(crashLoop()));
    assert.equal(err.kind, 'permanent');
  });
});
