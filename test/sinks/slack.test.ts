// The Slack sink: exact Block Kit payloads, Slack's limits kept visibly, and
// sending through @slack/web-api and @slack/webhook against a local fake
// Slack (threads, updates, errors classified, nothing retried or queued by
// the SDK, no secret in any error).

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';
import { create, type MessageInitShape } from '@bufbuild/protobuf';
import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import { WebClient } from '@slack/web-api';
import { ConfigError, parseConfigText } from '../../src/config/index.ts';
import { type Notification, NotificationSchema, Severity, State } from '../../src/model/notification.ts';
import { createSink, SinkError } from '../../src/sinks/index.ts';
import { classifySlackError } from '../../src/sinks/slack/classify.ts';
import type { SlackSinkConfig } from '../../src/sinks/slack/config.ts';
import { COLORS, escapeMrkdwn, fitMrkdwn, formatSlackMessage, formatSlackParent, formatSlackReply, type SlackMessage } from '../../src/sinks/slack/format.ts';
import { createSlackSink, MemoryThreadStore, type SlackSinkDeps } from '../../src/sinks/slack/index.ts';
import { FakeSlack, validateMessage } from '../fakes/slack.ts';
import { silentLogger } from '../../src/model/logger.ts';

type Init = Omit<MessageInitShape<typeof NotificationSchema>, '$typeName'>;

function crashLoop(over: Init = {}): Notification {
  return create(NotificationSchema, {
    idempotencyKey: 'pod/uid-1/app/CrashLoopBackOff/firing/1',
    incidentKey: 'pod/uid-1/app/CrashLoopBackOff',
    eventTime: timestampFromDate(new Date('2025-03-04T12:01:05Z')),
    severity: Severity.CRITICAL,
    state: State.FIRING,
    reason: 'CrashLoopBackOff',
    title: 'Pod web-1: container app is crash-looping',
    message: 'Container app of pod web-1 keeps crashing: 5 restarts, last exit code 1 (Error)',
    involvedObject: { apiVersion: 'v1', kind: 'Pod', namespace: 'demo', name: 'web-1', uid: 'uid-1' },
    owner: { apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'demo', name: 'web', uid: 'uid-2' },
    cluster: 'prod',
    count: 5,
    fields: { restarts: '5', node: 'sim-node-1', container: 'app' },
    rawObject: { kind: 'Pod', secret: 'never sent' },
    ...over,
  });
}

function resolved(over: Init = {}): Notification {
  return crashLoop({
    idempotencyKey: 'pod/uid-1/app/CrashLoopBackOff/resolved/1',
    state: State.RESOLVED,
    eventTime: timestampFromDate(new Date('2025-03-04T12:04:41Z')),
    message: 'Container app is running again',
    ...over,
  });
}

const FIRED_AT = '<!date^1741089665^{date_short_pretty} {time_secs}|2025-03-04 12:01:05 UTC>';
const RESOLVED_AT = '<!date^1741089881^{date_short_pretty} {time_secs}|2025-03-04 12:04:41 UTC>';

function blocksOf(m: SlackMessage) {
  return m.attachments[0].blocks;
}

describe('formatSlackMessage', () => {
  it('a firing notification: header, facts, message, status line and link, in a red attachment', () => {
    const msg = formatSlackMessage(crashLoop(), { linkTemplate: 'https://console.example.com/ns/{namespace}/pods/{name}?tab=events&from=kubeherald' });
    const text = '🔴 FIRING critical CrashLoopBackOff: Pod web-1: container app is crash-looping';
    assert.deepEqual(msg, {
      text,
      attachments: [
        {
          color: '#E01E5A',
          fallback: text,
          blocks: [
            { type: 'header', text: { type: 'plain_text', text: '🔴 Pod web-1: container app is crash-looping', emoji: true } },
            {
              type: 'section',
              fields: [
                { type: 'mrkdwn', text: '*Cluster*\nprod' },
                { type: 'mrkdwn', text: '*Namespace*\ndemo' },
                { type: 'mrkdwn', text: '*Object*\npod/web-1' },
                { type: 'mrkdwn', text: '*Reason*\nCrashLoopBackOff' },
                { type: 'mrkdwn', text: '*Restarts*\n5' },
                { type: 'mrkdwn', text: '*Node*\nsim-node-1' },
                { type: 'mrkdwn', text: '*Workload*\ndeploy/web' },
              ],
            },
            { type: 'section', text: { type: 'plain_text', text: 'Container app of pod web-1 keeps crashing: 5 restarts, last exit code 1 (Error)', emoji: false } },
            {
              type: 'context',
              elements: [{ type: 'mrkdwn', text: `*FIRING* · critical · ${FIRED_AT} · <https://console.example.com/ns/demo/pods/web-1?tab=events&amp;from=kubeherald|Open>` }],
            },
          ],
        },
      ],
    });
  });

  it('a resolved notification on its own: green, ✅, RESOLVED', () => {
    const msg = formatSlackMessage(resolved());
    assert.equal(msg.attachments[0].color, '#2EB67D');
    assert.equal(msg.text, '✅ RESOLVED critical CrashLoopBackOff: Pod web-1: container app is crash-looping');
    assert.deepEqual(blocksOf(msg)[0], { type: 'header', text: { type: 'plain_text', text: '✅ Pod web-1: container app is crash-looping', emoji: true } });
    assert.deepEqual(blocksOf(msg).at(-1), { type: 'context', elements: [{ type: 'mrkdwn', text: `*RESOLVED* · critical · ${RESOLVED_AT}` }] });
  });

  it('colours by severity: warning yellow, info blue', () => {
    assert.equal(formatSlackMessage(crashLoop({ severity: Severity.WARNING })).attachments[0].color, COLORS.warning);
    assert.equal(formatSlackMessage(crashLoop({ severity: Severity.INFO })).attachments[0].color, '#36C5F0');
  });

  it('counts an Event seen several times when there is no restart count', () => {
    const msg = formatSlackMessage(crashLoop({ fields: {}, count: 12, reason: 'FailedMount' }));
    assert.equal((blocksOf(msg).at(-1) as { elements: { text: string }[] }).elements[0].text, `*FIRING* · critical · ${FIRED_AT} · seen 12×`);
  });

  it('never includes the raw object', () => {
    assert.doesNotMatch(JSON.stringify(formatSlackMessage(crashLoop())), /never sent/);
  });
});

describe('formatSlackParent and formatSlackReply', () => {
  it('the parent keeps what the firing said, with the resolved colour and status line', () => {
    const msg = formatSlackParent(crashLoop(), resolved());
    const firing = formatSlackMessage(crashLoop());
    assert.equal(msg.attachments[0].color, '#2EB67D');
    assert.deepEqual(blocksOf(msg)[0], { type: 'header', text: { type: 'plain_text', text: '✅ Pod web-1: container app is crash-looping', emoji: true } });
    assert.deepEqual(blocksOf(msg).slice(1, 3), blocksOf(firing).slice(1, 3), 'facts and message of the firing');
    assert.deepEqual(blocksOf(msg)[3], { type: 'context', elements: [{ type: 'mrkdwn', text: `*RESOLVED* · was critical · fired ${FIRED_AT} · resolved ${RESOLVED_AT}` }] });
  });

  it('while still firing, the parent shows since/last and the latest restart count', () => {
    const later = crashLoop({ eventTime: timestampFromDate(new Date('2025-03-04T12:04:41Z')), fields: { restarts: '9', node: 'sim-node-1' } });
    const msg = formatSlackParent(crashLoop(), later);
    assert.equal(msg.attachments[0].color, '#E01E5A');
    assert.deepEqual((blocksOf(msg)[1] as { fields: unknown[] }).fields[4], { type: 'mrkdwn', text: '*Restarts*\n9' });
    assert.deepEqual(blocksOf(msg)[3], { type: 'context', elements: [{ type: 'mrkdwn', text: `*FIRING* · critical · since ${FIRED_AT} · last ${RESOLVED_AT}` }] });
  });

  it('a reply is short: state, severity, reason, time, message', () => {
    const text = '✅ RESOLVED critical CrashLoopBackOff: Pod web-1: container app is crash-looping';
    assert.deepEqual(formatSlackReply(resolved()), {
      text,
      attachments: [
        {
          color: '#2EB67D',
          fallback: text,
          blocks: [
            { type: 'context', elements: [{ type: 'mrkdwn', text: `✅ *Resolved* · critical · CrashLoopBackOff · ${RESOLVED_AT}` }] },
            { type: 'section', text: { type: 'plain_text', text: 'Container app is running again', emoji: false } },
          ],
        },
      ],
    });
    assert.match((blocksOf(formatSlackReply(crashLoop()))[0] as { elements: { text: string }[] }).elements[0].text, /^🔴 \*Still firing\* · critical/);
  });
});

describe('formatSlackMessage with a group', () => {
  const oom = crashLoop({
    incidentKey: 'pod/uid-3/db/OOMKilled',
    reason: 'OOMKilled',
    severity: Severity.WARNING,
    involvedObject: { kind: 'Pod', namespace: 'data', name: 'db-0', uid: 'uid-3' },
    message: 'Container db used more than its 1Gi limit',
  });

  it('one message listing each notification, coloured by the worst still firing', () => {
    const msg = formatSlackMessage([crashLoop(), oom, resolved()]);
    const text = '🔴 3 notifications from prod: 2 firing, 1 resolved';
    assert.deepEqual(msg, {
      text,
      attachments: [
        {
          color: '#E01E5A',
          fallback: text,
          blocks: [
            { type: 'header', text: { type: 'plain_text', text: '🔴 3 notifications from prod', emoji: true } },
            { type: 'section', text: { type: 'mrkdwn', text: '🔴 *FIRING CrashLoopBackOff* · demo/pod/web-1\nContainer app of pod web-1 keeps crashing: 5 restarts, last exit code 1 (Error)' } },
            { type: 'section', text: { type: 'mrkdwn', text: '🟠 *FIRING OOMKilled* · data/pod/db-0\nContainer db used more than its 1Gi limit' } },
            { type: 'section', text: { type: 'mrkdwn', text: '✅ *RESOLVED CrashLoopBackOff* · demo/pod/web-1\nContainer app is running again' } },
            { type: 'context', elements: [{ type: 'mrkdwn', text: `2 firing · 1 resolved · ${FIRED_AT}` }] },
          ],
        },
      ],
    });
  });

  it('all resolved is green; a group of one is the single format', () => {
    assert.equal(formatSlackMessage([resolved(), resolved()]).attachments[0].color, '#2EB67D');
    assert.deepEqual(formatSlackMessage([crashLoop()]), formatSlackMessage(crashLoop()));
  });

  it('past the item limit says "…and N more", and stays within 50 blocks', () => {
    const many = Array.from({ length: 75 }, (_, i) => crashLoop({ involvedObject: { kind: 'Pod', namespace: 'demo', name: `web-${i}` } }));
    const blocks = blocksOf(formatSlackMessage(many));
    assert.equal(blocks.length, 1 + 20 + 1 + 1);
    assert.deepEqual(blocks.at(-2), { type: 'context', elements: [{ type: 'mrkdwn', text: '_…and 55 more_' }] });
    const most = blocksOf(formatSlackMessage(many, { maxGroupItems: 1000 }));
    assert.ok(most.length <= 50, `${most.length} blocks`);
    assert.deepEqual(most.at(-2), { type: 'context', elements: [{ type: 'mrkdwn', text: '_…and 35 more_' }] });
  });
});

describe('Slack limits and escaping', () => {
  it('cuts a long message at 3,000 characters and says so', () => {
    const msg = formatSlackMessage(crashLoop({ message: 'x'.repeat(5000) }));
    const text = (blocksOf(msg)[2] as { text: { text: string } }).text.text;
    assert.equal(text.length, 3000);
    assert.equal(text, `${'x'.repeat(3000 - 13)}… [truncated]`);
  });

  it('cuts a header at 150 characters, without splitting an emoji', () => {
    const msg = formatSlackMessage(crashLoop({ title: '🔥'.repeat(100) }));
    const text = (blocksOf(msg)[0] as { text: { text: string } }).text.text;
    assert.ok(text.length <= 150);
    assert.equal(text, `🔴 ${'🔥'.repeat(73)}…`);
  });

  it('escapes &, < and > in mrkdwn, so cluster text cannot mention or link', () => {
    assert.equal(escapeMrkdwn('<!channel> & <@U1|x>'), '&lt;!channel&gt; &amp; &lt;@U1|x&gt;');
    const msg = formatSlackMessage(crashLoop({ cluster: '<!here>', involvedObject: { kind: 'Pod', namespace: 'a&b', name: 'x>y' } }));
    const fields = (blocksOf(msg)[1] as { fields: { text: string }[] }).fields.map((f) => f.text);
    assert.deepEqual(fields.slice(0, 3), ['*Cluster*\n&lt;!here&gt;', '*Namespace*\na&amp;b', '*Object*\npod/x&gt;y']);
    assert.match(msg.text, /&lt;!here&gt;|Pod web-1/);
  });

  it('fits escaped text without cutting an entity in half', () => {
    assert.equal(fitMrkdwn('&'.repeat(10), 12), '&amp;&amp;…');
    assert.equal(fitMrkdwn('ok', 12), 'ok');
  });

  it('keeps a field value within 2,000 characters', () => {
    const msg = formatSlackMessage(crashLoop({ fields: { node: '<'.repeat(3000) } }));
    const node = (blocksOf(msg)[1] as { fields: { text: string }[] }).fields.find((f) => f.text.startsWith('*Node*'))!;
    assert.ok(node.text.length <= 2000, `${node.text.length}`);
    assert.ok(node.text.endsWith('&lt;…'));
  });

  it('whatever the input, the payload passes the fake Slack validation', () => {
    const huge = crashLoop({ title: 'T'.repeat(1000), message: '<&>'.repeat(5000), cluster: 'c'.repeat(3000), fields: { node: 'n'.repeat(5000), restarts: '9'.repeat(3000) } });
    for (const msg of [formatSlackMessage(huge), formatSlackReply(huge), formatSlackParent(huge, resolved()), formatSlackMessage(Array.from({ length: 200 }, () => huge), { maxGroupItems: 40 })]) {
      assert.equal(validateMessage(msg as unknown as Record<string, unknown>), undefined);
    }
  });

  it('the fake rejects what Slack rejects', () => {
    const block = (text: string) => ({ type: 'section', text: { type: 'mrkdwn', text } });
    assert.equal(validateMessage({ text: 'x', blocks: Array.from({ length: 51 }, () => block('a')) })?.error, 'invalid_blocks');
    assert.equal(validateMessage({ text: 'x', blocks: [block('a'.repeat(3001))] })?.error, 'invalid_blocks');
    assert.equal(validateMessage({ text: 'x', blocks: [{ type: 'header', text: { type: 'plain_text', text: 'h'.repeat(151) } }] })?.error, 'invalid_blocks');
    assert.equal(validateMessage({ text: 'x', blocks: [{ type: 'header', text: { type: 'mrkdwn', text: 'h' } }] })?.error, 'invalid_blocks');
    assert.equal(validateMessage({ text: 'x'.repeat(40_001) })?.error, 'msg_too_long');
    assert.equal(validateMessage({})?.error, 'no_text');
  });
});

// ---- sending

const log = silentLogger;

describe('Slack sink with a bot token', () => {
  let slack: FakeSlack;
  before(async () => {
    slack = await FakeSlack.start({ channels: [{ id: 'C0ALERTS', name: 'alerts' }] });
  });
  after(() => slack.close());
  beforeEach(() => {
    slack.calls.length = 0;
    slack.messages.length = 0;
  });

  const cfg = (over: Partial<SlackSinkConfig> = {}): SlackSinkConfig => ({
    name: 'alerts',
    type: 'slack',
    tokenFrom: { env: 'SLACK_BOT_TOKEN' },
    channel: 'C0ALERTS',
    apiUrl: slack.apiUrl,
    threads: true,
    linkTemplate: '',
    timeoutSeconds: 10,
    ...over,
  });
  const deps = (over: SlackSinkDeps = {}): SlackSinkDeps => ({ env: { SLACK_BOT_TOKEN: slack.token }, log, ...over });

  it('posts through chat.postMessage with the bearer token, the exact payload and no unfurling', async () => {
    const sink = await createSink(cfg(), deps());
    assert.equal(sink.type, 'slack');
    await sink.send(crashLoop());
    await sink.close();
    assert.equal(slack.calls.length, 1);
    const call = slack.calls[0];
    assert.equal(call.method, 'chat.postMessage');
    assert.equal(call.headers.authorization, `Bearer ${slack.token}`);
    const expected = formatSlackMessage(crashLoop());
    assert.equal(call.params.channel, 'C0ALERTS');
    assert.equal(call.params.text, expected.text);
    assert.deepEqual(call.params.attachments, expected.attachments);
    assert.equal(call.params.unfurl_links, 'false');
    assert.equal(call.params.thread_ts, undefined);
    assert.equal(slack.parents().length, 1);
  });

  it('one incident is one thread: later notifications reply and update the parent', async () => {
    const threads = new MemoryThreadStore();
    const sink = createSlackSink(cfg(), deps({ threads }));
    await sink.send(crashLoop());
    const still = crashLoop({ idempotencyKey: 'again', eventTime: timestampFromDate(new Date('2025-03-04T12:03:00Z')), fields: { restarts: '7' } });
    await sink.send(still);
    await sink.send(resolved());
    await sink.close();

    assert.equal(slack.parents().length, 1);
    const parent = slack.parents()[0];
    assert.deepEqual(
      slack.replies(parent.ts).map((m) => m.text),
      [formatSlackReply(still).text, formatSlackReply(resolved()).text],
    );
    assert.equal(parent.updates, 2);
    assert.deepEqual(parent.attachments, formatSlackParent(crashLoop(), resolved()).attachments, 'the parent now shows the resolution');
    assert.deepEqual(
      slack.calls.map((c) => c.method),
      ['chat.postMessage', 'chat.update', 'chat.postMessage', 'chat.update', 'chat.postMessage'],
    );
    const ref = await threads.get('pod/uid-1/app/CrashLoopBackOff');
    assert.equal(ref?.ts, parent.ts);
    assert.equal(ref?.resolved, true);
    assert.doesNotMatch(ref?.opened ?? '', /never sent/, 'the raw object is not kept');
  });

  it('the same incident firing again after its resolution opens a new message', async () => {
    const sink = createSlackSink(cfg(), deps());
    await sink.send(crashLoop());
    await sink.send(resolved());
    await sink.send(crashLoop({ idempotencyKey: 'second-occurrence' }));
    await sink.close();
    assert.equal(slack.parents().length, 2);
  });

  it('a RESOLVED sent right behind its FIRING still finds the thread', async () => {
    const sink = createSlackSink(cfg(), deps());
    await Promise.all([sink.send(crashLoop()), sink.send(resolved())]);
    await sink.close();
    assert.equal(slack.parents().length, 1);
    assert.equal(slack.replies(slack.parents()[0].ts).length, 1);
  });

  it('posts to a channel given by name, and updates it by the ID Slack answered with', async () => {
    const sink = createSlackSink(cfg({ channel: '#alerts' }), deps());
    await sink.send(crashLoop());
    await sink.send(resolved());
    await sink.close();
    const update = slack.calls.find((c) => c.method === 'chat.update');
    assert.equal(update?.params.channel, 'C0ALERTS');
    assert.equal(update?.status, 200);
    assert.deepEqual(update?.response, { ok: true, channel: 'C0ALERTS', ts: slack.parents()[0].ts, text: formatSlackParent(crashLoop(), resolved()).text });
  });

  it('a deleted parent: the next notification starts the conversation again', async () => {
    const sink = createSlackSink(cfg(), deps());
    await sink.send(crashLoop());
    slack.messages.length = 0; // someone deleted it
    await sink.send(resolved());
    await sink.close();
    assert.equal(slack.parents().length, 1);
    assert.deepEqual(slack.parents()[0].attachments, formatSlackMessage(resolved()).attachments);
  });

  it('threads: false posts every notification as its own message', async () => {
    const sink = createSlackSink(cfg({ threads: false }), deps());
    await sink.send(crashLoop());
    await sink.send(resolved());
    await sink.close();
    assert.equal(slack.parents().length, 2);
    assert.ok(slack.calls.every((c) => c.method === 'chat.postMessage'));
  });

  it('a group is one message; its incidents continue in its thread', async () => {
    const sink = createSlackSink(cfg(), deps());
    const other = crashLoop({ incidentKey: 'pod/uid-9/app/CrashLoopBackOff', involvedObject: { kind: 'Pod', namespace: 'demo', name: 'web-9', uid: 'uid-9' } });
    await sink.sendGroup([crashLoop(), other]);
    await sink.send(resolved());
    await sink.close();
    assert.equal(slack.parents().length, 1);
    assert.deepEqual(slack.parents()[0].attachments, formatSlackMessage([crashLoop(), other]).attachments);
    assert.equal(slack.replies(slack.parents()[0].ts).length, 1);
    assert.equal(slack.parents()[0].updates, 0, 'a group parent is not re-rendered');
  });

  it('a group the pipeline updates: its message is edited to list everyone, newcomers replied in its thread', async () => {
    const sink = createSlackSink(cfg(), deps());
    assert.equal(sink.targetOf(crashLoop()), 'C0ALERTS');
    const a = crashLoop();
    const b = crashLoop({ incidentKey: 'pod/uid-9/app/CrashLoopBackOff', involvedObject: { kind: 'Pod', namespace: 'demo', name: 'web-9', uid: 'uid-9' } });
    const c = crashLoop({ incidentKey: 'pod/uid-8/app/CrashLoopBackOff', involvedObject: { kind: 'Pod', namespace: 'demo', name: 'web-8', uid: 'uid-8' } });
    await sink.sendGroup([a, b], { key: 'demo/CrashLoopBackOff', update: 0 });
    await sink.sendGroup([a, b, c], { key: 'demo/CrashLoopBackOff', update: 1 });
    await sink.sendGroup([a], { key: 'other', update: 0 });
    await sink.close();
    assert.equal(slack.parents().length, 2);
    const parent = slack.parents()[0];
    assert.equal(parent.updates, 1);
    assert.deepEqual(parent.attachments, formatSlackMessage([a, b, c]).attachments);
    assert.deepEqual(
      slack.replies(parent.ts).map((m) => m.attachments),
      [formatSlackMessage(c).attachments],
    );
  });

  it('a wrong token is a permanent error naming invalid_auth, never the token', async () => {
    const sink = createSlackSink(cfg(), deps({ env: { SLACK_BOT_TOKEN: 'xoxb-wrong-secret-value' } }));
    const err = await sink.send(crashLoop()).then(() => assert.fail('sent'), (e: unknown) => e);
    assert.ok(err instanceof SinkError);
    assert.equal(err.kind, 'permanent');
    assert.equal(err.message, 'slack sink "alerts": chat.postMessage: invalid_auth (the token is not valid: check tokenFrom)');
    assert.doesNotMatch(JSON.stringify({ m: err.message, c: String(err.cause), s: err.stack }), /wrong-secret/);
    await sink.close();
  });

  it('no token at all is not_authed, permanent', async () => {
    const client = new WebClient(undefined, { slackApiUrl: slack.apiUrl, retryConfig: { retries: 0 }, logger: { debug() {}, info() {}, warn() {}, error() {}, setLevel() {}, getLevel: () => 'debug' as never, setName() {} } });
    const err = await client.chat.postMessage({ channel: 'C0ALERTS', text: 'x' }).then(() => assert.fail('sent'), (e: unknown) => e);
    const sinkErr = classifySlackError(err, { sink: 'alerts', what: 'chat.postMessage' });
    assert.equal(sinkErr.kind, 'permanent');
    assert.match(sinkErr.message, /not_authed/);
  });

  it('an unknown channel is permanent', async () => {
    const sink = createSlackSink(cfg({ channel: 'C0NOPE' }), deps());
    await assert.rejects(sink.send(crashLoop()), (e: SinkError) => e.kind === 'permanent' && /channel_not_found/.test(e.message));
    await sink.close();
  });

  it('429: rate-limited with Retry-After surfaced, one request, no waiting in the SDK', { timeout: 60_000 }, async () => {
    const sink = createSlackSink(cfg(), deps());
    slack.failNext({ kind: 'ratelimited', retryAfter: 1800 });
    // an SDK that waited would wait out Retry-After (30 min) before answering at all: the answer itself is the proof
    const err = (await sink.send(crashLoop()).catch((e: unknown) => e)) as SinkError;
    assert.equal(err.kind, 'rate-limited');
    assert.equal(err.retryAfterMs, 1_800_000);
    assert.equal(slack.calls.length, 1);
    // the next send goes straight through: nothing was paused
    await sink.send(crashLoop());
    assert.equal(slack.parents().length, 1);
    await sink.close();
  });

  it('429 without Retry-After: rate-limited, the delay left to the outbox', async () => {
    const sink = createSlackSink(cfg(), deps());
    slack.failNext({ kind: 'ratelimited' });
    const err = (await sink.send(crashLoop()).catch((e: unknown) => e)) as SinkError;
    assert.equal(err.kind, 'rate-limited');
    assert.equal(err.retryAfterMs, undefined);
    await sink.close();
  });

  it('5xx and internal_error are retryable', async () => {
    const sink = createSlackSink(cfg(), deps());
    slack.failNext({ kind: 'http', status: 503 }, { kind: 'error', error: 'internal_error' });
    await assert.rejects(sink.send(crashLoop()), (e: SinkError) => e.kind === 'retryable' && e.message === 'slack sink "alerts": chat.postMessage: HTTP 503');
    await assert.rejects(sink.send(crashLoop()), (e: SinkError) => e.kind === 'retryable' && /internal_error/.test(e.message));
    assert.equal(slack.calls.length, 2, 'no retries by the SDK');
    await sink.close();
  });

  it('a failed update is retried whole: the reply is not posted twice', async () => {
    const sink = createSlackSink(cfg(), deps());
    await sink.send(crashLoop());
    slack.failNext({ kind: 'http', status: 500 });
    await assert.rejects(sink.send(resolved()), (e: SinkError) => e.kind === 'retryable' && /chat\.update: HTTP 500/.test(e.message));
    await sink.send(resolved());
    await sink.close();
    assert.equal(slack.replies(slack.parents()[0].ts).length, 1);
  });

  it('a timeout is retryable', async () => {
    const sink = createSlackSink(cfg(), deps({ timeoutMs: 200 }));
    slack.failNext({ kind: 'hang' });
    await assert.rejects(sink.send(crashLoop()), (e: SinkError) => e.kind === 'retryable' && e.message === 'slack sink "alerts": chat.postMessage: timed out');
    await sink.close();
  });

  it("the send's signal aborts the Web API call (canceled, not the sink's own timeout)", async () => {
    const sink = createSlackSink(cfg(), deps());
    const abandoned = new AbortController();
    abandoned.abort();
    await assert.rejects(sink.send(crashLoop(), { signal: abandoned.signal }), (e: SinkError) => e.kind === 'retryable' && e.reason === 'canceled');
    await sink.close();
  });

  it('a refused connection is retryable', async () => {
    const port = await freePort();
    const sink = createSlackSink(cfg({ apiUrl: `http://127.0.0.1:${port}/api/` }), deps());
    await assert.rejects(sink.send(crashLoop()), (e: SinkError) => e.kind === 'retryable' && /request failed/.test(e.message));
    await sink.close();
  });

  it('the SDK logs to the given logger, never to stdout', async () => {
    const lines: unknown[] = [];
    const sink = createSlackSink(cfg(), deps({ log: { ...silentLogger, debug: (o) => void lines.push(o), warn: (o) => void lines.push(o) } }));
    await sink.send(crashLoop());
    await sink.close();
    assert.ok(lines.some((l) => (l as { sdk?: string }).sdk === '@slack/web-api'));
    assert.doesNotMatch(JSON.stringify(lines), new RegExp(slack.token));
  });

  it('close waits for sends in flight; later sends are refused', async () => {
    const sink = createSlackSink(cfg(), deps());
    const sending = sink.send(crashLoop());
    await sink.close();
    assert.equal(slack.parents().length, 1);
    await sending;
    await assert.rejects(sink.send(crashLoop()), (e: SinkError) => e.kind === 'permanent' && /closed/.test(e.message));
  });
});

describe('Slack sink with an incoming webhook', () => {
  let slack: FakeSlack;
  before(async () => {
    slack = await FakeSlack.start();
  });
  after(() => slack.close());
  beforeEach(() => {
    slack.calls.length = 0;
    slack.messages.length = 0;
  });

  const cfg = (): SlackSinkConfig => ({ name: 'hook', type: 'slack', webhookUrlFrom: { env: 'SLACK_WEBHOOK_URL' }, apiUrl: 'https://slack.com/api/', threads: true, linkTemplate: '', timeoutSeconds: 10 });
  const sinkFor = (url = slack.webhookUrl, timeoutMs?: number) => createSlackSink(cfg(), { env: { SLACK_WEBHOOK_URL: url }, timeoutMs });

  it("the send's signal aborts the webhook request (canceled, not the sink's own timeout)", async () => {
    const sink = sinkFor();
    const abandoned = new AbortController();
    abandoned.abort();
    await assert.rejects(sink.send(crashLoop(), { signal: abandoned.signal }), (e: SinkError) => e.kind === 'retryable' && e.reason === 'canceled');
    await sink.close();
  });

  it('posts JSON with the same payload; no threads, every notification its own message', async () => {
    const sink = sinkFor();
    assert.equal(sink.targetOf(crashLoop()), 'webhook', 'never the URL');
    await sink.send(crashLoop());
    await sink.send(resolved());
    await sink.sendGroup([crashLoop(), resolved()], { key: 'g', update: 1 });
    await sink.close();
    assert.deepEqual(
      slack.calls.map((c) => [c.method, c.status, c.response]),
      [
        ['webhook', 200, 'ok'],
        ['webhook', 200, 'ok'],
        ['webhook', 200, 'ok'],
      ],
    );
    assert.equal(slack.calls[0].headers['content-type'], 'application/json');
    assert.deepEqual(slack.calls[0].params, { ...formatSlackMessage(crashLoop()), unfurl_links: false, unfurl_media: false });
    assert.equal(slack.parents().length, 3);
  });

  it('too_many_requests: rate-limited with Retry-After', async () => {
    const sink = sinkFor();
    slack.failNext({ kind: 'ratelimited', retryAfter: 3 });
    const err = (await sink.send(crashLoop()).catch((e: unknown) => e)) as SinkError;
    assert.equal(err.kind, 'rate-limited');
    assert.equal(err.retryAfterMs, 3000);
    assert.equal(err.message, 'slack sink "hook": incoming webhook: rate limited by Slack (HTTP 429 too_many_requests), retry after 3s');
    assert.equal(slack.calls.length, 1);
    await sink.close();
  });

  it('invalid_payload and a removed webhook are permanent, and the URL never shows', async () => {
    const sink = sinkFor();
    slack.failNext({ kind: 'error', error: 'invalid_payload' });
    await assert.rejects(sink.send(crashLoop()), (e: SinkError) => e.kind === 'permanent' && /HTTP 400 invalid_payload/.test(e.message));
    await sink.close();
    const gone = sinkFor(`${slack.url}/services/T0000FAKE/B0000FAKE/revokedsecret`);
    const err = (await gone.send(crashLoop()).catch((e: unknown) => e)) as SinkError;
    assert.equal(err.kind, 'permanent');
    assert.equal(err.message, 'slack sink "hook": incoming webhook: HTTP 404 no_service (the webhook was removed or disabled: check webhookUrlFrom)');
    assert.doesNotMatch(`${err.message} ${String(err.cause)}`, /revokedsecret/);
    await gone.close();
  });

  it('5xx and timeouts are retryable', async () => {
    const sink = sinkFor(slack.webhookUrl, 200);
    slack.failNext({ kind: 'http', status: 500 }, { kind: 'hang' });
    await assert.rejects(sink.send(crashLoop()), (e: SinkError) => e.kind === 'retryable' && /HTTP 500 rollup_error/.test(e.message));
    await assert.rejects(sink.send(crashLoop()), (e: SinkError) => e.kind === 'retryable' && /timed out/.test(e.message));
    assert.equal(slack.calls.length, 2, 'no retries by the SDK');
    await sink.close();
  });
});

describe('Slack sink config and credentials', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'kubeherald-slack-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('a missing token variable stops start-up, naming the sink and the variable', async () => {
    const cfg = parseConfigText('sinks: [{ name: alerts, type: slack, tokenFrom: { env: SLACK_BOT_TOKEN }, channel: C0ALERTS }]', 'x').sinks[0];
    await assert.rejects(
      async () => createSink(cfg, { env: {} }),
      (e: unknown) => e instanceof ConfigError && e.message === 'SLACK_BOT_TOKEN: slack sink "alerts" (tokenFrom.env): environment variable is not set or is empty',
    );
  });

  it('reads a token file (trimmed), and says when it is missing or empty', async () => {
    const file = join(dir, 'token');
    writeFileSync(file, 'xoxb-from-file\n');
    const slack = await FakeSlack.start({ token: 'xoxb-from-file' });
    try {
      const cfg = parseConfigText(`sinks: [{ name: alerts, type: slack, tokenFrom: { file: ${JSON.stringify(file)} }, channel: C0ALERTS, apiUrl: ${JSON.stringify(slack.apiUrl)} }]`, 'x').sinks[0];
      const sink = await createSink(cfg, { env: {} });
      await sink.send(crashLoop());
      await sink.close();
      assert.equal(slack.parents().length, 1);
    } finally {
      await slack.close();
    }
    assert.throws(() => createSlackSink({ ...baseCfg(), tokenFrom: { file: join(dir, 'nope') } }, { env: {} }), /slack sink "alerts" \(tokenFrom\.file\): cannot read: no such file/);
    writeFileSync(join(dir, 'empty'), '\n');
    assert.throws(() => createSlackSink({ ...baseCfg(), tokenFrom: { file: join(dir, 'empty') } }, { env: {} }), /the file is empty/);
  });

  it('a webhook URL that is not a URL is refused without being echoed', () => {
    assert.throws(
      () => createSlackSink({ ...baseCfg(), tokenFrom: undefined, channel: undefined, webhookUrlFrom: { env: 'HOOK' } }, { env: { HOOK: 'not-a-url-secret' } }),
      (e: unknown) => e instanceof ConfigError && e.message === 'HOOK: slack sink "alerts" (webhookUrlFrom): expected an http(s) URL',
    );
  });

  it('the schema wants exactly one credential, a channel with a token, and no inline secrets', () => {
    const problems = (yaml: string): string => {
      try {
        parseConfigText(yaml, 'k.yaml');
        return '';
      } catch (e) {
        return (e as Error).message;
      }
    };
    assert.equal(problems('sinks: [{ name: a, type: slack, channel: C1 }]'), 'k.yaml:1: sinks[0].tokenFrom: expected exactly one of tokenFrom (a bot token) or webhookUrlFrom (an incoming webhook URL)');
    assert.equal(problems('sinks: [{ name: a, type: slack, tokenFrom: { env: T } }]'), 'k.yaml:1: sinks[0].channel: required with tokenFrom: the channel ID (C0123ABCD) or name (#alerts) to post to');
    assert.equal(problems('sinks: [{ name: a, type: slack, webhookUrlFrom: { env: H }, channel: C1 }]'), 'k.yaml:1: sinks[0].channel: not used with webhookUrlFrom: an incoming webhook posts to the channel chosen when it was created');
    assert.match(problems('sinks: [{ name: a, type: slack, tokenFrom: { env: T, file: /x }, channel: C1 }]'), /sinks\[0\]\.tokenFrom: expected exactly one of `env: NAME` or `file: PATH`/);
    assert.match(problems('sinks: [{ name: a, type: slack, token: xoxb-1, channel: C1 }]'), /sinks\[0\]\.token: unknown key; did you mean "tokenFrom"\?/);
    assert.deepEqual(parseConfigText('sinks: [{ name: a, type: slack, webhookUrlFrom: { file: /run/hook } }]', 'x').sinks[0], {
      name: 'a',
      type: 'slack',
      webhookUrlFrom: { file: '/run/hook' },
      apiUrl: 'https://slack.com/api/',
      threads: true,
      linkTemplate: '',
      timeoutSeconds: 10,
    });
  });
});

function baseCfg(): SlackSinkConfig {
  return { name: 'alerts', type: 'slack', tokenFrom: { env: 'T' }, channel: 'C0ALERTS', apiUrl: 'http://127.0.0.1:9/api/', threads: true, linkTemplate: '', timeoutSeconds: 10 };
}

async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const port = (srv.address() as { port: number }).port;
  await new Promise<void>((resolve) => srv.close(() => resolve()));
  return port;
}
