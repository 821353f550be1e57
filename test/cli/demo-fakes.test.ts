// `npm run demo:fakes`: the demo delivering to every platform's fake at
// once, through the real sinks and their official clients, with the delivery
// settings a user gets (chat sinks group, record sinks take every
// notification on its own). Each chat fake must get every notification the
// outbox did not hold back from it (causal inhibition: a failing rollout
// tells its pods' and its stuck deadline's story), on its own or in a group's
// message; each record fake every notification, the held ones marked; and
// show the demo's incidents as its platform
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
  heldText,
  parseSinkTypes,
  renderTelegramMessage,
  slackPlain,
  startDemoFakes,
  WEBHOOK_PATH,
} from '../../scripts/demo-fakes.ts';
import { type DemoRun, runDemo } from '../../src/cli/demo.ts';
import { type Notification, Severity, State } from '../../src/model/notification.ts';
import { HOLD_FIELD, type HoldReason, releasedLine } from '../../src/pipeline/hold.ts';

const DINGTALK_PER_MINUTE = 20;

// the demo's `crashloop` pod (src/sim/scenarios/demo.ts), not the DaemonSet's crash-looping pod
const CRASHLOOP = { kind: 'Pod', namespace: 'demo', name: 'crashloop' };
const isCrashLoopPod = (o: { kind?: string; namespace?: string; name?: string } | undefined): boolean =>
  o?.kind === CRASHLOOP.kind && o.namespace === CRASHLOOP.namespace && o.name === CRASHLOOP.name;
const isCrashLoop = (n: Notification, state: State): boolean => n.reason === 'CrashLoopBackOff' && isCrashLoopPod(n.involvedObject) && n.state === state;
const CHAT_SINKS = ['slack', 'telegram', 'teams', 'dingtalk'] as const;

describe('demo:fakes — the demo against every platform fake at once', () => {
  let fakes: DemoFakes;
  let run: DemoRun;
  let dir: string;
  let logs = '';
  let total = 0;
  let firing: Notification;
  let resolved: Notification;
  /** what the outbox held back from a chat sink, by idempotency key */
  const heldFor = (sink: string): ReadonlyMap<string, HoldReason> => run.held.get(`config/${sink}`) ?? new Map();
  /** how many were held back from a chat sink for good (not released and delivered later) */
  const heldBack = (sink: string): number => [...heldFor(sink).keys()].filter((k) => !run.delivered.get(`config/${sink}`)?.has(k)).length;
  /** the notifications a sink neither got, on their own or in a group, nor had held back from it (by title and state, for the message) */
  const missed = (sink: string): string[] => {
    const got = run.delivered.get(`config/${sink}`) ?? new Set();
    const held = heldFor(sink);
    return run.notifications.filter((n) => !got.has(n.idempotencyKey) && !held.has(n.idempotencyKey)).map((n) => `${State[n.state]} ${n.title}`);
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

  it('holds back from every chat sink the same notifications, each the demo\'s inhibition, and none from a record sink', () => {
    const slackHeld = heldFor('slack');
    // the demo's failing rollout of demo/api tells its own story: its stuck deadline (ProgressDeadlineExceeded) is held as part of it
    const stuck = run.notifications.filter((n) => n.reason === 'ProgressDeadlineExceeded' && n.involvedObject?.name === 'api');
    assert.ok(stuck.length > 0, 'the demo\'s stuck rollout of api');
    for (const n of stuck) assert.equal(slackHeld.get(n.idempotencyKey)?.by, 'inhibition', `${State[n.state]} ${n.title} held by inhibition`);
    // so do the StatefulSet's (db) and the DaemonSet's (log-agent): the first failing new pod tells it, their stuck rollouts are held as its.
    // (A loaded machine's stall can let the stuck rollout fire first, the demo's clock being real time sped up: then it is the cause, the pods its effects.)
    const heldAs = (n: Notification): [string | undefined, string | undefined] => [slackHeld.get(n.idempotencyKey)?.by, slackHeld.get(n.idempotencyKey)?.id];
    for (const [workload, pod, reason] of [['db', /^db-2$/, 'StatefulSetRolloutStuck'], ['log-agent', /^log-agent-/, 'DaemonSetRolloutStuck']] as const) {
      const stuckOf = run.notifications.filter((n) => n.reason === reason && n.involvedObject?.name === workload);
      assert.ok(stuckOf.length > 0, `the demo's stuck rollout of ${workload}`);
      const story = run.notifications.find((n) => n.state === State.FIRING && n.involvedObject?.kind === 'Pod' && pod.test(n.involvedObject.name) && /^rollout of /.test(n.fields.explains ?? ''));
      if (story) {
        assert.equal(slackHeld.get(story.idempotencyKey), undefined, `${story.title} tells the story`);
        for (const n of stuckOf) assert.deepEqual(heldAs(n), ['inhibition', story.incidentKey], `${State[n.state]} ${n.title} held as the story's`);
      } else {
        const cause = stuckOf[0];
        assert.equal(slackHeld.get(cause.idempotencyKey), undefined, `no rollout story of ${workload}: its stuck rollout is the cause`);
        const pods = run.notifications.filter((n) => n.involvedObject?.kind === 'Pod' && pod.test(n.involvedObject.name) && /ErrImagePull|ImagePullBackOff|CrashLoopBackOff/.test(n.reason));
        assert.ok(pods.length > 0, `the failing pods of ${workload}`);
        for (const n of pods) assert.deepEqual(heldAs(n), ['inhibition', cause.incidentKey], `${State[n.state]} ${n.title} held as the stuck rollout's`);
      }
    }
    const keys = new Set(run.notifications.map((n) => n.idempotencyKey));
    for (const [key, reason] of slackHeld) {
      assert.ok(keys.has(key), `held ${key} is one of the demo's notifications`);
      // the demo config has no silences or time windows
      assert.equal(reason.by, 'inhibition', JSON.stringify(reason));
    }
    for (const sink of CHAT_SINKS) assert.deepEqual(heldFor(sink), slackHeld, sink);
    for (const sink of ['webhook', 'elasticsearch']) assert.equal(run.held.get(`config/${sink}`), undefined, sink);
    // one reaching chat later was released: a FIRING whose cause resolved first (a loaded machine can order the
    // rollback's two resolutions either way), and its message says so; a held RESOLVED never reaches chat
    const got = run.delivered.get('config/slack') ?? new Set();
    const slackTexts = fakes.report().find((r) => r.type === 'slack')!.texts.join('\n');
    for (const [key, reason] of slackHeld) {
      if (!got.has(key)) continue;
      const n = run.notifications.find((x) => x.idempotencyKey === key)!;
      assert.equal(n.state, State.FIRING, `${n.title}: a held RESOLVED delivered`);
      assert.ok(slackTexts.includes(releasedLine(reason.by, reason.id, reason.text)), `${n.title} delivered after its hold without saying why`);
    }
  });

  it('Slack: every notification not held back, on its own or in a group; the crash loop a message whose thread gets the resolution and whose colour turns green', () => {
    const slack = fakes.slack!;
    assert.deepEqual(missed('slack'), []);
    assert.ok(slack.messages.length > 0 && slack.messages.length <= total - heldBack('slack'));
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

  it('Telegram: every notification not held back in the forum topic, info ones silent, the crash loop firing and resolved', () => {
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

  it('Teams: every notification not held back as a card the Adaptive Card schema accepts, the crash loop firing and resolved', () => {
    const teams = fakes.teams!;
    assert.deepEqual(missed('teams'), []);
    assert.ok(teams.cards.length > 0 && teams.cards.length <= total - heldBack('teams'));
    assert.deepEqual(teams.posts.map((p) => p.status).filter((s) => s !== 202), []);
    const texts = fakes.report().find((r) => r.type === 'teams')!.texts;
    assert.ok(texts.some((t) => t.startsWith('FIRING · critical · CrashLoopBackOff\n') && t.includes(firing.title)));
    assert.ok(texts.some((t) => t.startsWith('RESOLVED · critical · CrashLoopBackOff\n') && t.includes(resolved.message)));
  });

  it('DingTalk: signed messages, at most 20 a minute; the rest stay queued rather than earn the penalty', () => {
    const dingtalk = fakes.dingtalk!;
    // the fake counts a sliding minute of real time as DingTalk does and answers the 21st with 130101, so "none refused" is
    // "never more than 20 a minute", however long a loaded machine takes (a total of at most 20 would assume it takes under a minute)
    assert.ok(dingtalk.messages.length > 0);
    // the held-back ones never reached the robot: no 130101, no 10-minute penalty
    assert.deepEqual(dingtalk.requests.map((r) => r.errcode), Array(dingtalk.messages.length).fill(0));
    assert.ok(dingtalk.requests.every((r) => r.query.has('timestamp') && r.query.has('sign')));
    const titles = dingtalk.messages.map((m) => (m.body.markdown as { title: string }).title);
    assert.ok(titles.some((t) => t.startsWith('FIRING · critical · CrashLoopBackOff: ')));
    // what did not go out waits in the outbox for the next minute (a real run delivers it then); every other sink got everything
    const queued = run.pending.get('config/dingtalk') ?? 0;
    assert.deepEqual([...run.pending.keys()].filter((k) => k !== 'config/dingtalk'), []);
    // the sink holds back only once a minute's 20 are taken
    if (missed('dingtalk').length > 0) assert.ok(queued > 0 && dingtalk.messages.length >= DINGTALK_PER_MINUTE, `${missed('dingtalk').length} missed, ${queued} queued, ${dingtalk.messages.length} sent`);
    else assert.equal(queued, 0);
    // the sink's own limit said when to try again; each refusal was logged as held back, none as an error of DingTalk's
    assert.doesNotMatch(logs, /130101/);
  });

  it('webhook: every notification once, in order, each signature checked by the documented verifier, the held ones marked', () => {
    const accepted = fakes.webhook!.accepted(WEBHOOK_PATH);
    assert.equal(fakes.webhook!.received.length, total);
    assert.deepEqual(
      accepted.map((r) => (r.body as { idempotencyKey: string }).idempotencyKey),
      run.notifications.map((n) => n.idempotencyKey),
    );
    assert.ok(accepted.every((r) => r.verified === true && r.headers['webhook-id'] === (r.body as { idempotencyKey: string }).idempotencyKey));
    type Body = { reason: string; state: string; idempotencyKey: string; involvedObject?: { kind?: string; namespace?: string; name?: string }; fields?: Record<string, string> };
    const states = accepted.filter((r) => (r.body as Body).reason === 'CrashLoopBackOff' && isCrashLoopPod((r.body as Body).involvedObject)).map((r) => (r.body as Body).state);
    assert.deepEqual(states, ['STATE_FIRING', 'STATE_RESOLVED']);
    // what chat did not get, the webhook got marked with what held it (a FIRING is held with its cause firing; a RESOLVED may come after the cause resolved, unmarked)
    const byKey = new Map(accepted.map((r) => [(r.body as Body).idempotencyKey, r.body as Body]));
    for (const [key, reason] of heldFor('slack')) {
      const n = run.notifications.find((x) => x.idempotencyKey === key)!;
      if (n.state !== State.FIRING) continue;
      assert.equal(byKey.get(key)?.fields?.[HOLD_FIELD[reason.by]], reason.id, `${n.title} marked`);
    }
  });

  it('Elasticsearch: one document per notification, _id the idempotency key, the crash loop firing and resolved', () => {
    const docs = fakes.elasticsearch!.documents(DATA_STREAM);
    assert.deepEqual(docs.map((d) => d._id).sort(), run.notifications.map((n) => n.idempotencyKey).sort());
    const crash = docs.filter((d) => (d._source.event as { reason: string }).reason === 'CrashLoopBackOff' && isCrashLoopPod((d._source.kubernetes as { involved_object?: { kind?: string; namespace?: string; name?: string } }).involved_object));
    assert.deepEqual(crash.map((d) => (d._source.event as { action: string }).action), ['firing', 'resolved']);
    const fields = new Map(docs.map((d) => [d._id, (d._source.kubeherald as { fields?: Record<string, string> }).fields ?? {}]));
    for (const [key, reason] of heldFor('slack')) {
      const n = run.notifications.find((x) => x.idempotencyKey === key)!;
      if (n.state === State.FIRING) assert.equal(fields.get(key)?.[HOLD_FIELD[reason.by]], reason.id, `${n.title} marked`);
    }
    assert.equal(crash[0]._source['@timestamp'], new Date(Number(firing.eventTime!.seconds) * 1000 + Math.floor(firing.eventTime!.nanos / 1e6)).toISOString());
  });

  it('the summary counts what each fake received, in how many messages, what was held back and why, and shows its last message', () => {
    const summary = formatFakesSummary(fakes.report(), total, run.delivered, run.held);
    for (const type of ['webhook', 'elasticsearch']) {
      assert.match(summary, new RegExp(`^── ${type}: ${total} of ${total} notifications received \\(`, 'm'));
    }
    const heldText = (sink: string): string => (heldBack(sink) > 0 ? `, ${heldBack(sink)} held back by inhibition` : '');
    for (const type of ['slack', 'telegram', 'teams']) {
      assert.match(summary, new RegExp(`^── ${type}: ${total - heldBack(type)} of ${total} notifications received( in \\d+ messages?)?${heldText(type)} \\(`, 'm'));
    }
    const held = heldBack('dingtalk');
    if (heldBack('slack') > 0) assert.match(summary, /record sinks got it marked inhibitedBy, silencedBy or mutedBy: nothing is lost/);
    const ding = run.delivered.get('config/dingtalk')?.size ?? 0;
    const dingMessages = fakes.dingtalk!.messages.length;
    assert.match(summary, new RegExp(`^── dingtalk: ${ding} of ${total} notifications received( in ${dingMessages} messages)?${heldText('dingtalk')} \\(${dingMessages} requests signed; 0 requests over the 20-a-minute limit\\)`, 'm'));
    if (ding + held < total) assert.match(summary, /did not reach a fake; the errors above say why/);
    else assert.doesNotMatch(summary, /did not reach a fake/);
    const last = run.notifications.at(-1)!;
    assert.ok(summary.includes(last.message), 'the last message is shown');
  });

  it('puts no credential in the logs or the summary', () => {
    const summary = formatFakesSummary(fakes.report(), total, run.delivered, run.held);
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

  it('counts what was held back from a chat sink by what held it, not what was released and delivered later', () => {
    const held = new Map<string, HoldReason>([
      ['a', { by: 'inhibition', id: 'k1', text: '' }],
      ['b', { by: 'inhibition', id: 'k1', text: '' }],
      ['c', { by: 'silence', id: 's-1', text: '' }],
      ['d', { by: 'window', id: 'night', text: '' }],
    ]);
    assert.deepEqual(heldText(held, new Set(['d', 'x'])), { count: 3, text: '2 held back by inhibition, 1 by a silence' });
    assert.deepEqual(heldText(undefined, undefined), { count: 0, text: '' });
    const report = { type: 'slack' as const, received: 2, refused: 0, notes: ['n'], texts: ['last'] };
    const delivered = new Map([['config/slack', new Set(['e', 'f'])]]);
    const summary = formatFakesSummary([report], 5, delivered, new Map([['config/slack', new Map([['a', held.get('a')!]])]]));
    assert.match(summary, /^── slack: 2 of 5 notifications received, 1 held back by inhibition \(n\)$/m);
    // 5 = 2 received + 1 held + 2 missing: the missing ones are not explained away by the held one
    assert.match(summary, /did not reach a fake/);
    assert.match(summary, /nothing is lost/);
    assert.doesNotMatch(formatFakesSummary([report], 2, delivered), /held back|did not reach/);
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
