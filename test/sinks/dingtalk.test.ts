// The DingTalk sink: the exact messages, signing, and sending to a fake
// robot that enforces signatures, keywords and the 20-a-minute limit, with
// the sink's own limiter keeping it from ever meeting that limit.

import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { after, before, beforeEach, describe, it } from 'node:test';
import { ConfigError, parseConfigText } from '../../src/config/index.ts';
import { type Notification, State } from '../../src/model/notification.ts';
import { dingtalkSinkSchema, type DingTalkSinkConfig } from '../../src/sinks/dingtalk/config.ts';
import { escapeDingTalkMarkdown, formatDingTalk, MAX_CONTENT_BYTES } from '../../src/sinks/dingtalk/format.ts';
import { createDingTalkSink } from '../../src/sinks/dingtalk/index.ts';
import { SendLimiter } from '../../src/sinks/dingtalk/limiter.ts';
import { dingtalkSign, postDingTalk, signedUrl } from '../../src/sinks/dingtalk/send.ts';
import { createSink, SinkError } from '../../src/sinks/index.ts';
import { FakeDingTalk, type Robot } from '../fakes/dingtalk.ts';
import { crashLoop as crashLoopBase, type NotificationInit } from './crash-loop.ts';

const crashLoop = (over: NotificationInit = {}): Notification => crashLoopBase({ fields: { container: 'app' }, ...over });

const resolved = (over: NotificationInit = {}): Notification => crashLoop({ idempotencyKey: 'k2', state: State.RESOLVED, message: 'container app is running again', count: 1, fields: {}, ...over });

describe('formatDingTalk', () => {
  const opts = { msgType: 'markdown' as const, keyword: 'k8s', atMobiles: ['13800000000', '+86-13900000000'] };

  it('writes a firing notification as markdown, with the keyword and the mentions', () => {
    assert.deepEqual(formatDingTalk(crashLoop(), opts), {
      msgtype: 'markdown',
      markdown: {
        title: '[k8s] FIRING · critical · CrashLoopBackOff: web-7d9c-abcde is crash-looping',
        text: [
          '#### <font color=#D93025>[k8s] FIRING · critical · CrashLoopBackOff</font>',
          '',
          '**web-7d9c-abcde is crash-looping**',
          '',
          'container app restarted 5 times: back-off 40s restarting failed container',
          '',
          '- **Cluster:** prod',
          '- **Namespace:** demo',
          '- **Object:** pod/web-7d9c-abcde',
          '- **Workload:** deploy/web',
          '- **Count:** 5',
          '- **Time:** 2025-03-04 12:01:05 UTC',
          '- **container:** app',
          '',
          '@13800000000 @+86-13900000000',
        ].join('\n'),
      },
      at: { atMobiles: ['13800000000', '+86-13900000000'], isAtAll: false },
    });
  });

  it('mentions nobody for a resolved notification, and keeps a keyword already there', () => {
    assert.deepEqual(formatDingTalk(resolved(), { ...opts, keyword: 'crash-looping' }), {
      msgtype: 'markdown',
      markdown: {
        title: 'RESOLVED · critical · CrashLoopBackOff: web-7d9c-abcde is crash-looping',
        text: [
          '#### <font color=#188038>[crash-looping] RESOLVED · critical · CrashLoopBackOff</font>',
          '',
          '**web-7d9c-abcde is crash-looping**',
          '',
          'container app is running again',
          '',
          '- **Cluster:** prod',
          '- **Namespace:** demo',
          '- **Object:** pod/web-7d9c-abcde',
          '- **Workload:** deploy/web',
          '- **Time:** 2025-03-04 12:01:05 UTC',
        ].join('\n'),
      },
    });
  });

  it('writes plain text when asked, @all included', () => {
    assert.deepEqual(formatDingTalk(crashLoop(), { msgType: 'text', atMobiles: ['13800000000'], atAll: true }), {
      msgtype: 'text',
      text: {
        content: [
          'FIRING · critical · CrashLoopBackOff',
          'web-7d9c-abcde is crash-looping',
          'container app restarted 5 times: back-off 40s restarting failed container',
          'Cluster: prod',
          'Namespace: demo',
          'Object: pod/web-7d9c-abcde',
          'Workload: deploy/web',
          'Count: 5',
          'Time: 2025-03-04 12:01:05 UTC',
          'container: app',
          '@13800000000',
        ].join('\n'),
      },
      at: { atMobiles: ['13800000000'], isAtAll: true },
    });
  });

  it('folds a group into one summary', () => {
    const group = [crashLoop(), resolved({ involvedObject: { kind: 'Pod', namespace: 'demo', name: 'db-0' }, title: 'db-0 is crash-looping' })];
    assert.deepEqual(formatDingTalk(group, opts), {
      msgtype: 'markdown',
      markdown: {
        title: '[k8s] 2 notifications: 1 firing, 1 resolved',
        text: [
          '#### <font color=#D93025>[k8s] 2 notifications: 1 firing, 1 resolved</font>',
          '',
          '- <font color=#D93025>FIRING · critical · CrashLoopBackOff</font>: **web-7d9c-abcde is crash-looping** · demo/pod/web-7d9c-abcde — container app restarted 5 times: back-off 40s restarting failed container',
          '- <font color=#188038>RESOLVED · critical · CrashLoopBackOff</font>: **db-0 is crash-looping** · demo/pod/db-0 — container app is running again',
          '',
          '@13800000000 @+86-13900000000',
        ].join('\n'),
      },
      at: { atMobiles: ['13800000000', '+86-13900000000'], isAtAll: false },
    });
    assert.deepEqual(formatDingTalk([resolved(), resolved()], { msgType: 'text', atMobiles: ['13800000000'] }), {
      msgtype: 'text',
      text: {
        content: [
          '2 notifications: 2 resolved',
          '- RESOLVED · critical · CrashLoopBackOff: web-7d9c-abcde is crash-looping · demo/pod/web-7d9c-abcde — container app is running again',
          '- RESOLVED · critical · CrashLoopBackOff: web-7d9c-abcde is crash-looping · demo/pod/web-7d9c-abcde — container app is running again',
        ].join('\n'),
      },
    });
  });

  it('cuts long input to fit DingTalk, and shortens a large group', () => {
    const long = crashLoop({ message: 'x'.repeat(50_000), fields: Object.fromEntries(Array.from({ length: 60 }, (_, i) => [`f${String(i).padStart(2, '0')}`, 'y'.repeat(2000)])) });
    const m = formatDingTalk(long, opts);
    assert.equal(m.msgtype, 'markdown');
    const text = m.msgtype === 'markdown' ? m.markdown.text : '';
    assert.ok(Buffer.byteLength(text) <= MAX_CONTENT_BYTES, `${Buffer.byteLength(text)} bytes`);
    assert.ok(text.includes(`\n\n${'x'.repeat(2999)}…\n\n`), 'the message is kept at 3000 characters');
    assert.ok(text.includes(`- **f59:** ${'y'.repeat(124)}…\n`), 'fact values are cut first');
    assert.ok(text.endsWith('\n\n@13800000000 @+86-13900000000'), 'the mentions survive');

    const group = Array.from({ length: 500 }, (_, i) => crashLoop({ title: `pod-${i} is crash-looping` }));
    const g = formatDingTalk(group, opts);
    const lines = g.msgtype === 'markdown' ? g.markdown.text.split('\n') : [];
    const shown = lines.filter((l) => l.startsWith('- <font')).length;
    assert.ok(shown > 10 && shown < 500, `${shown} shown`);
    assert.equal(lines[lines.length - 3], `- … and ${500 - shown} more`);
    assert.ok(Buffer.byteLength(g.msgtype === 'markdown' ? g.markdown.title + g.markdown.text : '') <= MAX_CONTENT_BYTES);
  });

  it('escapes Markdown and HTML in cluster text', () => {
    assert.equal(escapeDingTalkMarkdown('<font color=red>**x**</font> [a](b) _i_ `c`'), '&lt;font color=red>\\*\\*x\\*\\*&lt;/font> \\[a\\](b) \\_i\\_ \\`c\\`');
    const m = formatDingTalk(crashLoop({ message: '# <b>hi</b>\n[x](http://evil.example)' }), { msgType: 'markdown' });
    assert.ok(m.msgtype === 'markdown' && m.markdown.text.includes('\n\n\\# &lt;b>hi&lt;/b> \\[x\\](http://evil.example)\n\n'));
  });
});

describe('DingTalk signing', () => {
  it('is base64 HMAC-SHA256 of "timestamp\\nsecret", URL-encoded in the query', () => {
    const secret = 'SEC000111';
    const expected = createHmac('sha256', secret).update('1741089665000\nSEC000111').digest('base64');
    assert.equal(dingtalkSign(secret, 1741089665000), expected);
    const url = new URL(signedUrl('https://oapi.dingtalk.com/robot/send?access_token=t0k', secret, 1741089665000));
    assert.equal(url.searchParams.get('access_token'), 't0k');
    assert.equal(url.searchParams.get('timestamp'), '1741089665000');
    assert.equal(url.searchParams.get('sign'), expected);
    assert.ok(!/[+/=]/.test(url.search.split('sign=')[1]), 'base64 characters are percent-encoded');
    assert.equal(signedUrl('https://x.example/robot/send?access_token=t', undefined, 1), 'https://x.example/robot/send?access_token=t');
  });
});

describe('SendLimiter', () => {
  it('refuses the 21st send in a minute until the first one is a minute old, and waits out a penalty', () => {
    const l = new SendLimiter(20);
    for (let i = 0; i < 20; i++) assert.deepEqual(l.tryAcquire(1000 + i * 100), { ok: true });
    assert.deepEqual(l.tryAcquire(5000), { ok: false, retryAfterMs: 56_000, penalized: false });
    assert.deepEqual(l.tryAcquire(61_000), { ok: true });
    assert.equal(l.penalize(70_000), 600_000);
    assert.deepEqual(l.tryAcquire(669_999), { ok: false, retryAfterMs: 1, penalized: true });
    assert.deepEqual(l.tryAcquire(670_000), { ok: true });
  });
});

describe('dingtalk config', () => {
  it('fills in the defaults', () => {
    assert.deepEqual(parseConfigText('sinks: [{ name: ding, type: dingtalk }]', 'x').sinks[0], {
      name: 'ding',
      type: 'dingtalk',
      urlFrom: { env: 'KUBEHERALD_DINGTALK_URL' },
      secretFrom: null,
      msgType: 'markdown',
      keyword: '',
      atMobiles: [],
      atAll: false,
      maxPerMinute: 20,
      timeoutSeconds: 10,
    });
  });

  it('refuses a limit above DingTalk\'s and numbers that are not mobiles', () => {
    assert.throws(
      () => parseConfigText('sinks: [{ name: ding, type: dingtalk, maxPerMinute: 30, atMobiles: ["138 0000", "13800000000"], msgType: card }]', 'x'),
      (err: ConfigError) => {
        assert.deepEqual(
          err.issues.map((i) => `${i.path}: ${i.message}`),
          [
            'sinks[0].msgType: expected one of markdown, text, got "card"',
            'sinks[0].atMobiles[0]: expected a mobile number (digits, optionally +country code and "-"), got "138 0000"',
            'sinks[0].maxPerMinute: expected at most 20: DingTalk refuses the 21st message in a minute and then every message for 10 minutes',
          ],
        );
        return true;
      },
    );
  });
});

describe('the DingTalk sink against a fake robot', () => {
  const SECRET = 'SEC9f8e7d6c5b4a39281706f5e4d3c2b1a09f8e7d6c5b4a39281706f5e4d3c2b1a0';
  const signing: Robot = { accessToken: 'tok-signing', secret: SECRET };
  const keyworded: Robot = { accessToken: 'tok-keyword', keywords: ['kubeherald', 'k8s'] };
  let fake: FakeDingTalk;
  let clock = Date.parse('2025-03-04T12:01:10Z');
  const now = (): number => clock;
  const base: DingTalkSinkConfig = dingtalkSinkSchema.parse({ name: 'ding', type: 'dingtalk' });

  function sink(robot: Robot, over: Partial<DingTalkSinkConfig> = {}, env: Record<string, string> = {}, sinkNow = now) {
    const cfg = { ...base, ...(robot.secret ? { secretFrom: { env: 'DING_SECRET' } } : {}), ...over };
    return createDingTalkSink(cfg, { env: { KUBEHERALD_DINGTALK_URL: fake.webhookUrl(robot), DING_SECRET: SECRET, ...env }, now: sinkNow });
  }

  async function rejection(p: Promise<unknown>): Promise<SinkError> {
    try {
      await p;
    } catch (err) {
      assert.ok(err instanceof SinkError, String(err));
      assert.ok(!err.message.includes('tok-') && !err.message.includes(SECRET), 'neither the token nor the secret appears in an error');
      return err;
    }
    return assert.fail('expected the send to fail');
  }

  before(async () => {
    fake = await FakeDingTalk.start({ robots: [signing, keyworded], now });
  });
  after(async () => {
    await fake.close();
  });
  beforeEach(() => {
    fake.requests.length = 0;
    fake.messages.length = 0;
    clock += 3_600_000; // a fresh hour: every limit and penalty of the test before has passed
  });

  it('sends a signed message the robot accepts', async () => {
    const s = sink(signing, { atMobiles: ['13800000000'] });
    await s.send(crashLoop());
    await s.sendGroup!([crashLoop(), resolved()], { key: 'g', update: 0 });
    await s.close();
    assert.deepEqual(fake.requests.map((r) => [r.errcode, r.query.get('timestamp')]), [
      [0, String(clock)],
      [0, String(clock)],
    ]);
    assert.deepEqual(fake.messages[0].body, formatDingTalk(crashLoop(), { msgType: 'markdown', atMobiles: ['13800000000'] }));
    assert.deepEqual(fake.messages[0].at, { atMobiles: ['13800000000'], isAtAll: false });
    assert.match(fake.messages[1].content, /^2 notifications: 1 firing, 1 resolved\n/);
  });

  it('fails permanently, saying what to fix, on a wrong secret or a clock an hour off', async () => {
    const wrong = await rejection(sink(signing, {}, { DING_SECRET: 'SECwrong' }).send(crashLoop()));
    assert.equal(wrong.kind, 'permanent');
    assert.equal(
      wrong.message,
      'dingtalk sink "ding": signature mismatch: the secret (secretFrom) is not the robot\'s signing secret (加签), or the robot does not sign (errcode 310000: sign not match, more: [https://ding-doc.dingtalk.com/doc#/serverapi2/qf2nxq])',
    );
    const unsigned = await rejection(sink(signing, { secretFrom: null }).send(crashLoop()));
    assert.equal(unsigned.kind, 'permanent');
    const late = await rejection(sink(signing, {}, {}, () => clock - 3_600_001).send(crashLoop()));
    assert.equal(late.kind, 'permanent');
    assert.equal(late.message, "dingtalk sink \"ding\": timestamp rejected: DingTalk accepts signatures for one hour; check this host's clock (errcode 310000: invalid timestamp)");
    assert.equal(fake.messages.length, 0);
  });

  it("puts the robot's keyword in, and fails permanently without it", async () => {
    const err = await rejection(sink(keyworded).send(crashLoop()));
    assert.equal(err.kind, 'permanent');
    assert.equal(err.message, 'dingtalk sink "ding": the message lacks the robot\'s security keyword: set keyword to one of the robot\'s keywords (errcode 310000: keywords not in content)');
    await sink(keyworded, { keyword: 'k8s', msgType: 'text' }).send(crashLoop());
    assert.match(fake.messages[0].content, /^\[k8s\] FIRING · critical · CrashLoopBackOff\n/);
  });

  it('holds back the 21st message in a minute itself, so DingTalk never refuses one', async () => {
    const s = sink(signing);
    const start = clock;
    for (let i = 0; i < 20; i++) {
      await s.send(crashLoop({ idempotencyKey: `m${i}` }));
      clock += 1000;
    }
    const err = await rejection(s.send(crashLoop({ idempotencyKey: 'm20' })));
    assert.equal(err.kind, 'rate-limited');
    assert.equal(err.retryAfterMs, 40_000);
    assert.equal(err.message, 'dingtalk sink "ding": held back: the robot may send 20 messages a minute, and DingTalk refuses every message for 10 minutes after one more; next slot in 40s');
    assert.equal(fake.requests.length, 20, 'the 21st never left');
    clock = start + 60_000;
    await s.send(crashLoop({ idempotencyKey: 'm20' }));
    assert.deepEqual(new Set(fake.requests.map((r) => r.errcode)), new Set([0]));
  });

  it('waits out the 10-minute penalty when DingTalk says 130101 anyway', async () => {
    // another sender shares the robot: between them they exceed the limit
    const other = sink(signing);
    for (let i = 0; i < 20; i++) await other.send(crashLoop({ idempotencyKey: `o${i}` }));
    const s = sink(signing);
    const err = await rejection(s.send(crashLoop()));
    assert.equal(err.kind, 'rate-limited');
    assert.equal(err.retryAfterMs, 600_000);
    assert.equal(err.message, 'dingtalk sink "ding": DingTalk refuses messages for 10 minutes after 20 in a minute (errcode 130101: send too fast, exceed 20 times per minute)');
    clock += 120_000;
    const held = await rejection(s.send(crashLoop()));
    assert.equal(held.retryAfterMs, 480_000);
    assert.match(held.message, /DingTalk refuses this robot for 10 minutes after it exceeded 20 messages a minute; next slot in 480s$/);
    assert.equal(fake.requests.length, 21, 'the penalty was waited out here, not at DingTalk');
    clock += 480_000;
    await s.send(crashLoop());
    assert.equal(fake.requests.at(-1)!.errcode, 0);
  });

  it('retries when DingTalk is busy, down or slow, and gives up on a removed robot', async () => {
    fake.failNext({ kind: 'errcode', errcode: -1, errmsg: '系统繁忙' }, { kind: 'status', status: 503, body: 'busy' });
    const s = sink(signing, { timeoutSeconds: 0.2 });
    assert.equal((await rejection(s.send(crashLoop()))).kind, 'retryable');
    assert.equal((await rejection(s.send(crashLoop()))).message, 'dingtalk sink "ding": HTTP 503: busy');
    fake.failNext({ kind: 'hang' });
    assert.equal((await rejection(s.send(crashLoop()))).message, 'dingtalk sink "ding": no response within 200ms');
    const gone = createDingTalkSink(base, { env: { KUBEHERALD_DINGTALK_URL: `${fake.url}/robot/send?access_token=tok-removed` }, now });
    const err = await rejection(gone.send(crashLoop()));
    assert.equal(err.kind, 'permanent');
    assert.equal(err.message, 'dingtalk sink "ding": the robot\'s access_token is not valid; was the robot removed? (errcode 300005: token is not exist)');
  });

  it("meets the fake robot's message checks", async () => {
    const res = await postDingTalk(fake.webhookUrl(keyworded), { msgtype: 'markdown', markdown: { title: 'k8s', text: '' } }, { timeoutMs: 5000, nowMs: clock });
    assert.deepEqual(JSON.parse(res.body), { errcode: 40035, errmsg: '缺少参数 markdown.text' });
  });

  it('is what the registry builds, and names the variables it lacks', async () => {
    clock = Date.now(); // the registry's sink has the real clock
    const cfg = parseConfigText('sinks: [{ name: ding, type: dingtalk, secretFrom: { env: DING_SECRET } }]', 'x').sinks[0];
    const s = await createSink(cfg, { env: { KUBEHERALD_DINGTALK_URL: fake.webhookUrl(signing), DING_SECRET: SECRET } });
    await s.send(crashLoop());
    assert.equal(fake.messages.length, 1);
    await assert.rejects(async () => createSink(cfg, { env: { KUBEHERALD_DINGTALK_URL: fake.webhookUrl(signing) } }), {
      name: 'ConfigError',
      message: 'DING_SECRET: dingtalk sink "ding" (secretFrom.env): environment variable is not set or is empty',
    });
    await assert.rejects(async () => createSink(cfg, { env: { DING_SECRET: SECRET } }), {
      message: 'KUBEHERALD_DINGTALK_URL: dingtalk sink "ding" (urlFrom.env): environment variable is not set or is empty',
    });
  });
});
