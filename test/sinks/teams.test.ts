// The Teams sink: the exact messages (checked against the Adaptive Card
// schema), and sending them to a fake Workflows trigger with every failure
// classified.

import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { ConfigError, parseConfigText } from '../../src/config/index.ts';
import { type Notification, Severity, State } from '../../src/model/notification.ts';
import { createSink, SinkError } from '../../src/sinks/index.ts';
import { classifyTeamsResponse } from '../../src/sinks/teams/classify.ts';
import { teamsSinkSchema, type TeamsSinkConfig } from '../../src/sinks/teams/config.ts';
import { escapeMarkdown, formatTeams, MAX_MESSAGE_BYTES, type TeamsMessage } from '../../src/sinks/teams/format.ts';
import { createTeamsSink } from '../../src/sinks/teams/index.ts';
import { postTeams } from '../../src/sinks/teams/send.ts';
import { FakeTeams, MAX_BYTES, validateAdaptiveCard, validateTeamsMessage } from '../fakes/teams.ts';
import { crashLoop as crashLoopBase, type NotificationInit } from './crash-loop.ts';

const crashLoop = (over: NotificationInit = {}): Notification => crashLoopBase({ rawObject: { kind: 'Pod', secretLooking: 'never shown' }, ...over });

const LOGS = { title: 'Logs', url: 'https://grafana.example/explore?ns={{involvedObject.namespace}}&pod={{involvedObject.name}}' };

function cardOf(m: TeamsMessage) {
  return m.attachments[0].content;
}

function size(m: unknown): number {
  return Buffer.byteLength(JSON.stringify(m));
}

describe('formatTeams', () => {
  it('makes a firing notification an Adaptive Card message, with its buttons', () => {
    const m = formatTeams(crashLoop(), { actions: [LOGS] });
    assert.deepEqual(m, {
      type: 'message',
      attachments: [
        {
          contentType: 'application/vnd.microsoft.card.adaptive',
          contentUrl: null,
          content: {
            $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
            type: 'AdaptiveCard',
            version: '1.4',
            fallbackText: 'FIRING critical CrashLoopBackOff: web-7d9c-abcde is crash-looping',
            body: [
              { type: 'TextBlock', text: 'FIRING · critical · CrashLoopBackOff', wrap: true, size: 'small', weight: 'bolder', color: 'attention' },
              { type: 'TextBlock', text: 'web-7d9c-abcde is crash-looping', wrap: true, size: 'medium', weight: 'bolder', spacing: 'small' },
              { type: 'TextBlock', text: 'container app restarted 5 times: back-off 40s restarting failed container', wrap: true },
              {
                type: 'FactSet',
                facts: [
                  { title: 'Cluster', value: 'prod' },
                  { title: 'Namespace', value: 'demo' },
                  { title: 'Object', value: 'pod/web-7d9c-abcde' },
                  { title: 'Restarts', value: '5' },
                  { title: 'Workload', value: 'deploy/web' },
                  { title: 'Time', value: '2025-03-04 12:01:05 UTC' },
                  { title: 'container', value: 'app' },
                ],
              },
            ],
            actions: [{ type: 'Action.OpenUrl', title: 'Logs', url: 'https://grafana.example/explore?ns=demo&pod=web-7d9c-abcde' }],
            msteams: { width: 'Full' },
          },
        },
      ],
    });
    assert.deepEqual(validateTeamsMessage(m), []);
    assert.ok(!JSON.stringify(m).includes('never shown'), 'the raw object is not in the card');
  });

  it('shows a resolved notification in green, and leaves out what is empty', () => {
    const n = crashLoop({ state: State.RESOLVED, message: '', count: 1, owner: undefined, fields: {} });
    const card = cardOf(formatTeams(n));
    assert.deepEqual(card.body, [
      { type: 'TextBlock', text: 'RESOLVED · critical · CrashLoopBackOff', wrap: true, size: 'small', weight: 'bolder', color: 'good' },
      { type: 'TextBlock', text: 'web-7d9c-abcde is crash-looping', wrap: true, size: 'medium', weight: 'bolder', spacing: 'small' },
      {
        type: 'FactSet',
        facts: [
          { title: 'Cluster', value: 'prod' },
          { title: 'Namespace', value: 'demo' },
          { title: 'Object', value: 'pod/web-7d9c-abcde' },
          { title: 'Time', value: '2025-03-04 12:01:05 UTC' },
        ],
      },
    ]);
    assert.equal(card.actions, undefined);
    assert.equal(card.fallbackText, 'RESOLVED critical CrashLoopBackOff: web-7d9c-abcde is crash-looping');
    assert.equal(cardOf(formatTeams(crashLoop({ severity: Severity.WARNING }))).body[0].color, 'warning');
    assert.equal(cardOf(formatTeams(crashLoop({ severity: Severity.INFO }))).body[0].color, 'accent');
  });

  it('lists a group in one card, without buttons', () => {
    const group = [crashLoop(), crashLoop({ state: State.RESOLVED, severity: Severity.WARNING, reason: 'OOMKilled', title: 'app was OOM-killed', message: '', involvedObject: { kind: 'Pod', namespace: 'demo', name: 'db-0' } })];
    const m = formatTeams(group, { actions: [LOGS] });
    assert.deepEqual(cardOf(m), {
      $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
      type: 'AdaptiveCard',
      version: '1.4',
      fallbackText: '2 notifications: 1 firing, 1 resolved',
      body: [
        { type: 'TextBlock', text: '2 notifications: 1 firing, 1 resolved', wrap: true, size: 'medium', weight: 'bolder', color: 'attention' },
        {
          type: 'Container',
          separator: true,
          spacing: 'medium',
          items: [
            { type: 'TextBlock', text: 'FIRING · critical · CrashLoopBackOff', wrap: true, size: 'small', weight: 'bolder', color: 'attention' },
            { type: 'TextBlock', text: 'web-7d9c-abcde is crash-looping', wrap: true, weight: 'bolder', spacing: 'none' },
            { type: 'TextBlock', text: 'container app restarted 5 times: back-off 40s restarting failed container', wrap: true, spacing: 'none' },
            { type: 'TextBlock', text: 'demo/pod/web-7d9c-abcde · prod · 2025-03-04 12:01:05 UTC', wrap: true, size: 'small', isSubtle: true, spacing: 'none' },
          ],
        },
        {
          type: 'Container',
          separator: true,
          spacing: 'medium',
          items: [
            { type: 'TextBlock', text: 'RESOLVED · warning · OOMKilled', wrap: true, size: 'small', weight: 'bolder', color: 'good' },
            { type: 'TextBlock', text: 'app was OOM-killed', wrap: true, weight: 'bolder', spacing: 'none' },
            { type: 'TextBlock', text: 'demo/pod/db-0 · prod · 2025-03-04 12:01:05 UTC', wrap: true, size: 'small', isSubtle: true, spacing: 'none' },
          ],
        },
      ],
      msteams: { width: 'Full' },
    });
    assert.deepEqual(validateTeamsMessage(m), []);
    assert.deepEqual(formatTeams([crashLoop()]), formatTeams(crashLoop()), 'a group of one is the notification itself');
  });

  it('cuts a long notification to fit Teams, detector fields first', () => {
    const n = crashLoop({ message: 'x'.repeat(100_000), fields: Object.fromEntries(Array.from({ length: 60 }, (_, i) => [`f${String(i).padStart(2, '0')}`, 'y'.repeat(2000)])) });
    const m = formatTeams(n);
    const body = cardOf(m).body;
    assert.equal(body[2].text, `${'x'.repeat(2999)}…`);
    const facts = body[3].facts as { title: string; value: string }[];
    assert.equal(facts.length, 66);
    assert.equal(facts[65].value, `${'y'.repeat(249)}…`);
    assert.ok(size(m) <= MAX_MESSAGE_BYTES, `${size(m)} bytes`);
    assert.ok(size(formatTeams(n, { maxBytes: 1_000_000 })) > MAX_MESSAGE_BYTES, 'without the limit it would not fit');
    assert.deepEqual(validateTeamsMessage(m), []);
  });

  it('lists as much of a large group as fits, and says how many are left out', () => {
    const group = Array.from({ length: 300 }, (_, i) => crashLoop({ idempotencyKey: `k${i}`, title: `pod-${i} is crash-looping` }));
    const m = formatTeams(group);
    const body = cardOf(m).body;
    const shown = body.filter((e) => e.type === 'Container').length;
    assert.ok(shown > 10 && shown < 300, `${shown} shown`);
    assert.deepEqual(body[body.length - 1], { type: 'TextBlock', text: `… and ${300 - shown} more not shown: Teams limits a message to about 28 KB`, wrap: true, isSubtle: true, separator: true });
    assert.ok(size(m) <= MAX_MESSAGE_BYTES);
    assert.ok(size(m) + size(body[shown]) + 1 > MAX_MESSAGE_BYTES, 'one more would not have fitted');
    assert.deepEqual(validateTeamsMessage(m), []);
  });

  it('escapes Markdown and removes control characters in cluster text', () => {
    assert.equal(escapeMarkdown('**bold** [link](http://evil.example) _x_ `code` ~s~ \\'), '\\*\\*bold\\*\\* \\[link\\](http://evil.example) \\_x\\_ \\`code\\` \\~s\\~ \\\\');
    assert.equal(escapeMarkdown('# heading'), '\\# heading');
    assert.equal(escapeMarkdown('1. first'), '1\\. first');
    const n = crashLoop({ title: '- web\u202e', message: 'line\none\r\n\t\u0007[x](y)' });
    const body = cardOf(formatTeams(n)).body;
    assert.equal(body[1].text, '\\- web');
    assert.equal(body[2].text, 'line one \\[x\\](y)');
  });

  it('fills links with URL-encoded fields, and drops one that is not a URL', () => {
    const n = crashLoop({ title: 'a b&c=d' });
    const actions = cardOf(formatTeams(n, { actions: [{ title: 'Search', url: 'https://search.example/?q={{title}}' }, { title: 'Bad', url: '{{message}}' }] })).actions;
    assert.deepEqual(actions, [{ type: 'Action.OpenUrl', title: 'Search', url: 'https://search.example/?q=a%20b%26c%3Dd' }]);
  });
});

describe('the Adaptive Card check in the fake', () => {
  it('finds a bad colour past the first element, and actions Teams does not run from a flow', () => {
    const card = cardOf(formatTeams(crashLoop()));
    const bad = { ...card, body: [card.body[0], { type: 'TextBlock', text: 'x', color: 'purple' }], actions: [{ type: 'Action.Submit', title: 'Ack' }] };
    const problems = validateAdaptiveCard(bad);
    assert.ok(problems.some((p) => p.startsWith('card/body/1/color must be equal to one of the allowed values')), problems.join('\n'));
    assert.ok(problems.includes('card/actions/0: Action.Submit is not supported in cards a workflow posts (only Action.OpenUrl)'), problems.join('\n'));
    assert.deepEqual(validateAdaptiveCard({ type: 'AdaptiveCard', body: [] }).slice(0, 1), ['card must have required property \'version\'']);
  });
});

describe('teams config', () => {
  it('fills in the defaults', () => {
    assert.deepEqual(parseConfigText('sinks: [{ name: ops, type: teams }]', 'x').sinks[0], { name: 'ops', type: 'teams', urlFrom: { env: 'KUBEHERALD_TEAMS_URL' }, actions: [], timeoutSeconds: 10 });
  });

  it('refuses links that are not http(s) URLs, and more buttons than Teams shows', () => {
    const seven = Array.from({ length: 7 }, () => '{ title: t, url: "https://a.example" }').join(', ');
    assert.throws(
      () => parseConfigText(`sinks: [{ name: ops, type: teams, urlFrom: { env: "1X" }, actions: [{ title: Logs, url: "javascript:alert(1)" }, { title: T, url: "https://a.example/{{ bad path }}" }] }, { name: b, type: teams, actions: [${seven}] }]`, 'x.yaml'),
      (err: ConfigError) => {
        assert.deepEqual(
          err.issues.map((i) => `${i.path}: ${i.message}`),
          [
            'sinks[0].urlFrom.env: expected an environment variable name (letters, digits and "_", not starting with a digit), got "1X"',
            'sinks[0].actions[0].url: expected an http(s) URL (fields as {{involvedObject.name}}), got "javascript:alert(1)"',
            'sinks[0].actions[1].url: {{ bad path }} at character 19: expected a field path such as {{involvedObject.name}} (letters, digits, "_", "-", separated by ".")',
            'sinks[1].actions: expected at most 6 actions (Teams shows no more)',
          ],
        );
        return true;
      },
    );
  });
});

describe('the Teams sink against a fake workflow', () => {
  let fake: FakeTeams;
  let clock = 0;
  const NOW = Date.parse('2025-03-04T12:01:10Z');
  const cfg: TeamsSinkConfig = teamsSinkSchema.parse({ name: 'ops', type: 'teams' });
  const sinkWith = (over: Partial<TeamsSinkConfig> = {}, url?: string) => createTeamsSink({ ...cfg, ...over }, { env: { KUBEHERALD_TEAMS_URL: url ?? fake.workflowUrl }, now: () => NOW });

  before(async () => {
    fake = await FakeTeams.start({ now: () => clock });
  });
  after(async () => {
    await fake.close();
  });
  beforeEach(() => {
    fake.posts.length = 0;
    fake.cards.length = 0;
    clock += 10_000; // a fresh second for the fake's 4-a-second limit
  });

  async function rejection(p: Promise<unknown>): Promise<SinkError> {
    try {
      await p;
    } catch (err) {
      assert.ok(err instanceof SinkError, String(err));
      assert.ok(!err.message.includes(fake.sig), 'the workflow signature never appears in an error');
      return err;
    }
    return assert.fail('expected the send to fail');
  }

  it('posts the card, which the fake accepts and shows', async () => {
    const sink = sinkWith({ actions: [LOGS] });
    await sink.send(crashLoop());
    await sink.sendGroup!([crashLoop(), crashLoop({ idempotencyKey: 'k2', state: State.RESOLVED })], { key: 'g', update: 0 });
    await sink.close();
    assert.deepEqual(fake.posts.map((p) => p.status), [202, 202]);
    assert.deepEqual(fake.cards[0], cardOf(formatTeams(crashLoop(), { actions: [LOGS] })));
    assert.equal(fake.cards[1].fallbackText, '2 notifications: 1 firing, 1 resolved');
    assert.equal(fake.posts[0].headers['content-type'], 'application/json; charset=utf-8');
  });

  it('is rate-limited by a 429, for as long as Retry-After says', async () => {
    fake.failNext({ kind: 'throttle', via: 'status', retryAfterSeconds: 12 });
    const err = await rejection(sinkWith().send(crashLoop()));
    assert.equal(err.kind, 'rate-limited');
    assert.equal(err.retryAfterMs, 12_000);
    assert.equal(err.message, 'teams sink "ops": throttled (HTTP 429: WorkflowRequestsThrottled: Rate limit is exceeded. Try again later.)');
  });

  it('is rate-limited by a success status whose body says Teams throttled', async () => {
    fake.failNext({ kind: 'throttle', via: 'body' });
    const err = await rejection(sinkWith().send(crashLoop()));
    assert.equal(fake.posts[0].status, 200);
    assert.equal(err.kind, 'rate-limited');
    assert.equal(err.retryAfterMs, 30_000);
    assert.match(err.message, /^teams sink "ops": Teams answered 200 but failed to deliver \(Webhook message delivery failed with error: Microsoft Teams endpoint returned HTTP error 429/);
  });

  it('meets the fake\'s 4-a-second limit on the fifth message in a second', async () => {
    const sink = sinkWith();
    for (let i = 0; i < 4; i++) await sink.send(crashLoop({ idempotencyKey: `r${i}` }));
    const err = await rejection(sink.send(crashLoop({ idempotencyKey: 'r4' })));
    assert.equal(err.kind, 'rate-limited');
    assert.equal(err.retryAfterMs, 1000);
    clock += 1000;
    await sink.send(crashLoop({ idempotencyKey: 'r4' }));
    assert.equal(fake.cards.length, 5);
  });

  it('retries a 5xx and gives up permanently on a 4xx', async () => {
    fake.failNext({ kind: 'status', status: 502, body: '<html>Bad Gateway</html>' });
    const err = await rejection(sinkWith().send(crashLoop()));
    assert.equal(err.kind, 'retryable');
    assert.equal(err.message, 'teams sink "ops": HTTP 502: <html>Bad Gateway</html>');
    assert.equal(classifyTeamsResponse('t', { status: 200, headers: new Headers(), body: 'Webhook message delivery failed with error: Microsoft Teams endpoint returned HTTP error 400 with ContextId x' }, NOW)?.kind, 'permanent');
    assert.equal(classifyTeamsResponse('t', { status: 200, headers: new Headers(), body: '1' }, NOW), undefined, "the old connectors' success");
  });

  it('fails permanently, with advice, when the URL is wrong', async () => {
    const badSig = fake.workflowUrl.replace(`sig=${fake.sig}`, 'sig=forged');
    const err = await rejection(sinkWith({}, badSig).send(crashLoop()));
    assert.equal(err.kind, 'permanent');
    assert.equal(err.message, "teams sink \"ops\": the workflow refused the request (HTTP 401: InvalidSignature: The request signature is missing or does not match.); copy the URL again from the flow's trigger, and check the flow's owner can still post");
    const gone = await rejection(sinkWith({}, fake.workflowUrl.replace(fake.workflowId, 'deleted')).send(crashLoop()));
    assert.equal(gone.kind, 'permanent');
    assert.match(gone.message, /no such workflow \(HTTP 404: WorkflowNotFound/);
  });

  it("meets the fake's 28 KB limit and schema with permanent errors", async () => {
    const huge = formatTeams(crashLoop());
    cardOf(huge).body[2].text = 'x'.repeat(40_000);
    const tooBig = await postTeams(fake.workflowUrl, huge, { timeoutMs: 5000 });
    assert.equal(tooBig.status, 413);
    assert.ok(size(huge) > MAX_BYTES);
    assert.equal(classifyTeamsResponse('t', tooBig, NOW)?.kind, 'permanent');
    const card = cardOf(formatTeams(crashLoop()));
    const withSubmit: TeamsMessage = { type: 'message', attachments: [{ contentType: 'application/vnd.microsoft.card.adaptive', contentUrl: null, content: { ...card, actions: [{ type: 'Action.Submit', title: 'Ack' }] } }] };
    const refused = await postTeams(fake.workflowUrl, withSubmit, { timeoutMs: 5000 });
    assert.equal(refused.status, 400);
    const err = classifyTeamsResponse('t', refused, NOW)!;
    assert.equal(err.kind, 'permanent');
    assert.match(err.message, /^t: the workflow rejected the message \(HTTP 400: InvalidRequestContent: attachments\[0\]\.content: card\/actions\/0/);
  });

  it('gives up on a workflow that does not answer in time, and retries', async () => {
    fake.failNext({ kind: 'hang' });
    const err = await rejection(sinkWith({ timeoutSeconds: 0.2 }).send(crashLoop()));
    assert.equal(err.kind, 'retryable');
    assert.equal(err.message, 'teams sink "ops": no response within 200ms');
  });

  it('is what the registry builds, and names the variable when the URL is missing', async () => {
    const sink = await createSink(cfg, { env: { KUBEHERALD_TEAMS_URL: fake.workflowUrl } });
    await sink.send(crashLoop());
    assert.equal(fake.cards.length, 1);
    await assert.rejects(async () => createSink(cfg, { env: {} }), {
      name: 'ConfigError',
      message: 'KUBEHERALD_TEAMS_URL: teams sink "ops" (urlFrom.env): environment variable is not set or is empty',
    });
    await assert.rejects(async () => createSink(cfg, { env: { KUBEHERALD_TEAMS_URL: 'not a url sig=abc' } }), (err: Error) => err.message === 'KUBEHERALD_TEAMS_URL: teams sink "ops" (urlFrom): not a URL' && !err.message.includes('sig=abc'));
  });
});
