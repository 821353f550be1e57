// `npm run demo:fakes`: the demo delivering to every platform's fake at
// once, through the real sinks and their official clients, with the delivery
// settings a user gets (chat sinks group, record sinks take every
// notification on its own). Each fake must get every notification, on its
// own or in a group's message, and show the demo's incidents as its platform
// would (the crash loop firing and resolving, threads, signatures,
// documents), and the demo's own verdict must still pass.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  type DemoFakes,
  DATA_STREAM,
  demoFakesConfig,
  FAKE_SINK_TYPES,
  formatFakesSummary,
  parseSinkTypes,
  renderTelegramMessage,
  slackPlain,
  startDemoFakes,
  WEBHOOK_PATH,
} from '../../scripts/demo-fakes.ts';
import { type DemoRun, runDemo } from '../../src/cli/demo.ts';
import { type Notification, Severity, State } from '../../src/model/notification.ts';

const DINGTALK_PER_MINUTE = 20;

const isCrashLoop = (n: Notification, state: State): boolean => n.reason === 'CrashLoopBackOff' && n.state === state;

describe('demo:fakes — the demo against every platform fake at once', () => {
  let fakes: DemoFakes;
  let run: DemoRun;
  let dir: string;
  let logs = '';
  let total = 0;
  let firing: Notification;
  let resolved: Notification;
  /** the notifications a sink did not get, on their own or in a group (by title and state, for the message) */
  const missed = (sink: string): string[] => {
    const got = run.delivered.get(`config/${sink}`) ?? new Set();
    return run.notifications.filter((n) => !got.has(n.idempotencyKey)).map((n) => `${State[n.state]} ${n.title}`);
  };

  before(
    async () => {
      // Teams takes 4 requests a second; `demo` hands each notification to a
      // sink once, so at 60× a burst would be throttled and lost. Throttling
      // itself is covered by the Teams sink's send tests.
      fakes = await startDemoFakes(FAKE_SINK_TYPES, { teamsPerSecond: 1000 });
      dir = mkdtempSync(join(tmpdir(), 'kubeherald-demo-fakes-test-'));
      const configFile = join(dir, 'kubeherald.yaml');
      // pretty logs go through process.stderr.write, so the test can read them
      writeFileSync(configFile, demoFakesConfig(fakes, { console: false }) + 'log:\n  format: pretty\n');
      const write = process.stderr.write;
      process.stderr.write = ((chunk: string | Uint8Array) => {
        logs += String(chunk);
        return true;
      }) as typeof process.stderr.write;
      try {
        // the demo's own default speed: at 60×, a 1 s stall of a loaded CI machine is a cluster minute,
        // long enough for a crash loop to look stable before it was ever seen crashing
        run = await runDemo({ once: true, speed: 20, configFile, logLevel: 'warn', env: fakes.env });
      } finally {
        process.stderr.write = write;
      }
      total = run.notifications.length;
      firing = run.notifications.find((n) => isCrashLoop(n, State.FIRING))!;
      resolved = run.notifications.find((n) => isCrashLoop(n, State.RESOLVED))!;
    },
    { timeout: 60_000 },
  );

  after(async () => {
    await fakes?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('still passes the demo verdict, crash loop firing and resolved included', () => {
    assert.ok(run.report, 'runDemo --once returns a report');
    assert.equal(run.report.ok, true, JSON.stringify(run.report.results.filter((r) => !r.ok)));
    assert.ok(firing, 'a CrashLoopBackOff firing notification');
    assert.ok(resolved, 'a CrashLoopBackOff resolved notification');
    assert.equal(resolved.incidentKey, firing.incidentKey);
  });

  it('Slack: every notification, on its own or in a group; the crash loop a message whose thread gets the resolution and whose colour turns green', () => {
    const slack = fakes.slack!;
    assert.deepEqual(missed('slack'), []);
    assert.ok(slack.messages.length > 0 && slack.messages.length <= total);
    assert.equal(slack.calls.filter((c) => c.status !== 200).length, 0);
    const posted = slack.calls.find((c) => c.method === 'chat.postMessage' && c.params.thread_ts === undefined && String(c.params.text).includes(`FIRING critical CrashLoopBackOff: ${firing.title}`));
    assert.ok(posted, 'the crash loop posted in the channel');
    const parent = slack.parents().find((m) => m.ts === (posted.response as { ts: string }).ts)!;
    // updated in place when it resolved: the channel shows it green, resolved
    assert.ok(parent.updates >= 1);
    assert.equal(parent.text, `✅ RESOLVED critical CrashLoopBackOff: ${firing.title}`);
    assert.equal((parent.attachments?.[0] as { color: string }).color, '#2EB67D');
    const replies = slack.replies(parent.ts);
    assert.ok(
      replies.some((r) => /RESOLVED/.test(r.text ?? '') && r.text?.includes('CrashLoopBackOff')),
      `a resolved reply in the thread: ${JSON.stringify(replies.map((r) => r.text))}`,
    );
    const text = fakes.report().find((r) => r.type === 'slack')!.texts.find((t) => t.startsWith(`↳ reply in the thread of ${parent.ts}`) && t.includes('CrashLoopBackOff'));
    assert.ok(text, 'the rendering shows the reply in its thread');
    assert.match(text, /^▌#2EB67D /m);
  });

  it('Telegram: every notification in the forum topic, info ones silent, the crash loop firing and resolved', () => {
    const telegram = fakes.telegram!;
    assert.deepEqual(missed('telegram'), []);
    assert.ok(telegram.messages.every((m) => m.message_thread_id === 7 && m.parse_mode === 'HTML'));
    // a message of info notifications only (rollouts done) comes without a sound, any other with one
    const infoOnly = (plain: string): boolean => !/· (critical|warning) ·|(critical|warning) (FIRING|RESOLVED)|^🔴|^🟠|^⚠️/m.test(plain);
    const silent = telegram.messages.filter((m) => m.disable_notification);
    assert.ok(silent.length > 0, 'the rollouts came silently');
    assert.ok(silent.every((m) => m.plain.includes('RolloutCompleted') && infoOnly(m.plain)), silent.map((m) => m.plain).join('\n---\n'));
    assert.ok(run.notifications.some((n) => n.severity === Severity.INFO));
    const plain = telegram.messages.map((m) => m.plain);
    assert.ok(plain.some((p) => p.startsWith('🔴 FIRING · critical · CrashLoopBackOff\n') && p.includes(firing.title)), plain.join('\n---\n'));
    assert.ok(plain.some((p) => /^✅ RESOLVED · critical · CrashLoopBackOff\n/.test(p) && p.includes(resolved.message)));
  });

  it('Teams: every notification as a card the Adaptive Card schema accepts, the crash loop firing and resolved', () => {
    const teams = fakes.teams!;
    assert.deepEqual(missed('teams'), []);
    assert.ok(teams.cards.length > 0 && teams.cards.length <= total);
    assert.deepEqual(teams.posts.map((p) => p.status).filter((s) => s !== 202), []);
    const texts = fakes.report().find((r) => r.type === 'teams')!.texts;
    assert.ok(texts.some((t) => t.startsWith('FIRING · critical · CrashLoopBackOff\n') && t.includes(firing.title)));
    assert.ok(texts.some((t) => t.startsWith('RESOLVED · critical · CrashLoopBackOff\n') && t.includes(resolved.message)));
  });

  it('DingTalk: signed messages, at most 20 in the minute the demo lasts; the rest stay queued rather than earn the penalty', () => {
    const dingtalk = fakes.dingtalk!;
    assert.ok(dingtalk.messages.length > 0 && dingtalk.messages.length <= DINGTALK_PER_MINUTE);
    // the held-back ones never reached the robot: no 130101, no 10-minute penalty
    assert.deepEqual(dingtalk.requests.map((r) => r.errcode), Array(dingtalk.messages.length).fill(0));
    assert.ok(dingtalk.requests.every((r) => r.query.has('timestamp') && r.query.has('sign')));
    const titles = dingtalk.messages.map((m) => (m.body.markdown as { title: string }).title);
    assert.ok(titles.some((t) => t.startsWith('FIRING · critical · CrashLoopBackOff: ')));
    // what did not go out waits in the outbox for the next minute (a real run delivers it then); every other sink got everything
    const queued = run.pending.get('config/dingtalk') ?? 0;
    assert.deepEqual([...run.pending.keys()].filter((k) => k !== 'config/dingtalk'), []);
    if (missed('dingtalk').length > 0) assert.ok(queued > 0 && dingtalk.messages.length === DINGTALK_PER_MINUTE, `${missed('dingtalk').length} missed, ${queued} queued`);
    // the sink's own limit said when to try again; each refusal was logged as held back, none as an error of DingTalk's
    assert.doesNotMatch(logs, /130101/);
  });

  it('webhook: every notification once, in order, each signature checked by the documented verifier', () => {
    const accepted = fakes.webhook!.accepted(WEBHOOK_PATH);
    assert.equal(fakes.webhook!.received.length, total);
    assert.deepEqual(
      accepted.map((r) => (r.body as { idempotencyKey: string }).idempotencyKey),
      run.notifications.map((n) => n.idempotencyKey),
    );
    assert.ok(accepted.every((r) => r.verified === true && r.headers['webhook-id'] === (r.body as { idempotencyKey: string }).idempotencyKey));
    const states = accepted.filter((r) => (r.body as { reason: string }).reason === 'CrashLoopBackOff').map((r) => (r.body as { state: string }).state);
    assert.deepEqual(states, ['STATE_FIRING', 'STATE_RESOLVED']);
  });

  it('Elasticsearch: one document per notification, _id the idempotency key, the crash loop firing and resolved', () => {
    const docs = fakes.elasticsearch!.documents(DATA_STREAM);
    assert.deepEqual(docs.map((d) => d._id).sort(), run.notifications.map((n) => n.idempotencyKey).sort());
    const crash = docs.filter((d) => (d._source.event as { reason: string }).reason === 'CrashLoopBackOff');
    assert.deepEqual(crash.map((d) => (d._source.event as { action: string }).action), ['firing', 'resolved']);
    assert.equal(crash[0]._source['@timestamp'], new Date(Number(firing.eventTime!.seconds) * 1000 + Math.floor(firing.eventTime!.nanos / 1e6)).toISOString());
  });

  it('the summary counts what each fake received, in how many messages, and shows its last message', () => {
    const summary = formatFakesSummary(fakes.report(), total, run.delivered);
    for (const type of ['webhook', 'elasticsearch']) {
      assert.match(summary, new RegExp(`^── ${type}: ${total} of ${total} notifications received \\(`, 'm'));
    }
    for (const type of ['slack', 'telegram', 'teams']) {
      assert.match(summary, new RegExp(`^── ${type}: ${total} of ${total} notifications received( in \\d+ messages?)? \\(`, 'm'));
    }
    const ding = run.delivered.get('config/dingtalk')?.size ?? 0;
    const dingMessages = fakes.dingtalk!.messages.length;
    assert.match(summary, new RegExp(`^── dingtalk: ${ding} of ${total} notifications received( in ${dingMessages} messages)? \\(${dingMessages} requests signed; 0 requests over the 20-a-minute limit\\)`, 'm'));
    if (ding < total) assert.match(summary, /did not reach a fake; the errors above say why/);
    const last = run.notifications.at(-1)!;
    assert.ok(summary.includes(last.message), 'the last message is shown');
  });

  it('puts no credential in the logs or the summary', () => {
    const summary = formatFakesSummary(fakes.report(), total, run.delivered);
    for (const [name, value] of Object.entries(fakes.env)) {
      assert.ok(!logs.includes(value), `${name} appears in the logs`);
      assert.ok(!summary.includes(value), `${name} appears in the summary`);
    }
  });
});

describe('demo:fakes helpers', () => {
  it('parses the platforms named on the command line', () => {
    assert.deepEqual(parseSinkTypes(['all']), [...FAKE_SINK_TYPES]);
    assert.deepEqual(parseSinkTypes(['teams', 'slack', 'teams']), ['teams', 'slack']);
    assert.throws(() => parseSinkTypes(['slack', 'discord']), /unknown platform "discord"\nusage: npm run demo:fakes -- <slack\|telegram\|teams\|dingtalk\|webhook\|elasticsearch\|all>/);
    assert.throws(() => parseSinkTypes([]), /name at least one platform/);
  });

  it('renders Slack mrkdwn as a reader sees it', () => {
    assert.equal(slackPlain('*FIRING* · <!date^1700000000^{date_short_pretty}|2023-11-14 22:13 UTC> · <https://x.example/a?b=1|open>'), 'FIRING · 2023-11-14 22:13 UTC · open (https://x.example/a?b=1)');
    assert.equal(slackPlain('a &lt;b&gt; &amp;lt;'), 'a <b> &lt;');
  });

  it('renders a Telegram message with where and how it arrived', () => {
    const m = { chat_id: -100, message_id: 5, text: '<b>x</b>', plain: 'x', message_thread_id: 7, disable_notification: true, reply_to: 3 };
    assert.equal(renderTelegramMessage(m), '[topic 7, silent, reply to 3]\nx');
  });
});
