// The Mattermost sink: the exact posts (message attachments coloured by
// severity, cluster text escaped), and sending them to a fake incoming
// webhook that checks the documented format, with every failure classified.

import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { Severity, State } from '../../src/model/notification.ts';
import { SinkError } from '../../src/sinks/types.ts';
import { classifyMattermostResponse } from '../../src/sinks/mattermost/classify.ts';
import { mattermostSinkSchema, type MattermostSinkConfig } from '../../src/sinks/mattermost/config.ts';
import { COLOR, escapeMattermost, formatMattermost, MAX_GROUP_ATTACHMENTS } from '../../src/sinks/mattermost/format.ts';
import { createMattermostSink } from '../../src/sinks/mattermost/index.ts';
import { postMattermost } from '../../src/sinks/mattermost/send.ts';
import { FakeMattermost, validateMattermostMessage } from '../fakes/mattermost.ts';
import { crashLoop, type NotificationInit as Init } from './crash-loop.ts';


const cfg: MattermostSinkConfig = mattermostSinkSchema.parse({ name: 'ops', type: 'mattermost' });

describe('mattermost config', () => {
  it('defaults to the webhook read from KUBEHERALD_MATTERMOST_URL, its own channel, name and icon', () => {
    assert.deepEqual(cfg, { name: 'ops', type: 'mattermost', urlFrom: { env: 'KUBEHERALD_MATTERMOST_URL' }, channel: '', username: '', iconUrl: '', timeoutSeconds: 10 });
  });

  it('refuses a channel that is no name, an icon that is no URL, and a URL written in the config', () => {
    const bad = mattermostSinkSchema.safeParse({ name: 'm', type: 'mattermost', channel: 'ops alerts', iconUrl: 'icon.png', url: 'https://chat.example/hooks/x' });
    assert.equal(bad.success, false);
    assert.deepEqual(bad.error!.issues.map((i) => i.path.join('.')).sort(), ['channel', 'iconUrl', 'url']);
    assert.equal(mattermostSinkSchema.safeParse({ name: 'm', type: 'mattermost', channel: '@alice' }).success, true);
  });
});

describe('formatMattermost', () => {
  it('makes a firing notification one attachment: severity colour, status, title, message and facts', () => {
    assert.deepEqual(formatMattermost(crashLoop()), {
      attachments: [
        {
          fallback: 'FIRING critical CrashLoopBackOff: web-7d9c-abcde is crash-looping',
          color: '#D93025',
          author_name: 'FIRING · critical · CrashLoopBackOff',
          title: 'web-7d9c-abcde is crash-looping',
          text: 'container app restarted 5 times: back-off 40s restarting failed container',
          fields: [
            { title: 'Cluster', value: 'prod', short: true },
            { title: 'Namespace', value: 'demo', short: true },
            { title: 'Object', value: 'pod/web-7d9c-abcde', short: true },
            { title: 'Restarts', value: '5', short: true },
            { title: 'Workload', value: 'deploy/web', short: true },
            { title: 'Time', value: '2025-03-04 12:01:05 UTC', short: true },
            { title: 'container', value: 'app', short: true },
          ],
          footer: 'kubeherald',
        },
      ],
    });
  });

  it('colours by severity, green once resolved, and carries the channel, name and icon overrides', () => {
    const colour = (over: Init) => formatMattermost(crashLoop(over)).attachments[0].color;
    assert.deepEqual(
      [colour({ severity: Severity.WARNING }), colour({ severity: Severity.INFO }), colour({ severity: Severity.UNSPECIFIED }), colour({ state: State.RESOLVED })],
      [COLOR.warning, COLOR.info, COLOR.unknown, COLOR.resolved],
    );
    const m = formatMattermost(crashLoop(), { channel: '#ops', username: 'kubeherald', iconUrl: 'https://example.com/k.png' });
    assert.deepEqual([m.channel, m.username, m.icon_url], ['#ops', 'kubeherald', 'https://example.com/k.png']);
  });

  it('escapes Markdown from the cluster, and no @channel in an Event message notifies anyone', () => {
    assert.equal(escapeMattermost('**boom** [x](http://evil) `rm` @channel @all me@example.com'), '\\*\\*boom\\*\\* \\[x\\](http://evil) \\`rm\\` @\u2060channel @\u2060all me@example.com');
    assert.equal(escapeMattermost('# not a heading'), '\\# not a heading');
    const a = formatMattermost(crashLoop({ message: 'ping @here', title: '_web_' })).attachments[0];
    assert.equal(a.text, 'ping @\u2060here');
    assert.equal(a.title, '\\_web\\_');
    assert.equal(a.fallback, 'FIRING critical CrashLoopBackOff: _web_', 'the fallback is plain text');
  });

  it('a group: one post, a headline and an attachment per member, the rest counted', () => {
    const ns = Array.from({ length: MAX_GROUP_ATTACHMENTS + 3 }, (_, i) => crashLoop({ idempotencyKey: `k${i}`, state: i === 0 ? State.RESOLVED : State.FIRING, title: `web-${i} is crash-looping` }));
    const m = formatMattermost(ns);
    assert.equal(m.text, '**23 notifications: 22 firing, 1 resolved**\n… and 3 more not shown');
    assert.equal(m.attachments.length, MAX_GROUP_ATTACHMENTS);
    assert.deepEqual(m.attachments[0], {
      fallback: 'RESOLVED critical CrashLoopBackOff: web-0 is crash-looping',
      color: COLOR.resolved,
      author_name: 'RESOLVED · critical · CrashLoopBackOff',
      title: 'web-0 is crash-looping',
      text: 'container app restarted 5 times: back-off 40s restarting failed container',
      fields: [
        { title: 'Cluster', value: 'prod', short: true },
        { title: 'Namespace', value: 'demo', short: true },
        { title: 'Object', value: 'pod/web-7d9c-abcde', short: true },
        { title: 'Time', value: '2025-03-04 12:01:05 UTC', short: true },
      ],
      footer: 'kubeherald',
    });
    assert.deepEqual(validateMattermostMessage(m), []);
  });

  it('cuts long texts; long fields take the full width', () => {
    const a = formatMattermost(crashLoop({ message: 'm'.repeat(10_000), fields: { node: 'n'.repeat(2000) } })).attachments[0];
    assert.equal(a.text!.length, 3000);
    const node = a.fields!.find((f) => f.title === 'Node')!;
    assert.deepEqual([node.value.length, node.short], [500, false]);
  });
});

describe('the fake incoming webhook', () => {
  it('refuses what Mattermost refuses', () => {
    assert.deepEqual(validateMattermostMessage({ text: 'x'.repeat(16_384) }), ['text is longer than 16383 characters']);
    assert.deepEqual(validateMattermostMessage({ attachments: [{ color: 'red', fields: [{ title: 't', value: 1, short: 'yes' }] }] }), [
      'attachments[0].fallback is required (a plain-text summary)',
      'attachments[0].color must be a hex colour or good/warning/danger',
      'attachments[0].fields[0].value must be a string',
      'attachments[0].fields[0].short must be a boolean',
    ]);
  });
});

describe('classifyMattermostResponse', () => {
  const NOW = Date.parse('2025-03-04T12:01:10Z');
  const res = (status: number, body: string, headers: Record<string, string> = {}) => ({ status, headers: new Headers(headers), body });
  const appError = (status: number, id: string, message: string) => res(status, JSON.stringify({ id, message, detailed_error: '', request_id: 'r', status_code: status }));

  it('200 ok is delivered', () => {
    assert.equal(classifyMattermostResponse('m', res(200, 'ok'), NOW), undefined);
  });

  it('says what to fix when the server will not take it, and never retries that', () => {
    const disabled = classifyMattermostResponse('m', appError(501, 'web.incoming_webhook.disabled.app_error', 'Incoming webhooks have been disabled by the system admin.'), NOW)!;
    assert.deepEqual([disabled.kind, disabled.reason], ['permanent', 'client']);
    assert.match(disabled.message, /^m: incoming webhooks are turned off on this server \(System Console > Integrations > Integration Management\) \(HTTP 501: web\.incoming_webhook\.disabled\.app_error/);
    const locked = classifyMattermostResponse('m', appError(403, 'web.incoming_webhook.channel_locked.app_error', 'not permitted'), NOW)!;
    assert.deepEqual([locked.kind, locked.reason], ['permanent', 'auth']);
    assert.equal(classifyMattermostResponse('m', res(501, ''), NOW)!.kind, 'permanent');
  });

  it('429 waits for Retry-After, else 5 s; 5xx is retried', () => {
    const limited = classifyMattermostResponse('m', res(429, 'limit exceeded', { 'retry-after': '2' }), NOW)!;
    assert.deepEqual([limited.kind, limited.retryAfterMs], ['rate-limited', 2000]);
    assert.equal(classifyMattermostResponse('m', res(429, ''), NOW)!.retryAfterMs, 5000);
    const down = classifyMattermostResponse('m', appError(500, 'app.channel.get.find.app_error', 'db down'), NOW)!;
    assert.deepEqual([down.kind, down.reason, down.message], ['retryable', 'server', 'm: HTTP 500: app.channel.get.find.app_error: db down']);
  });
});

describe('mattermost sink against the fake incoming webhook', () => {
  let fake: FakeMattermost;
  let locked: FakeMattermost;
  const NOW = Date.parse('2025-03-04T12:01:10Z');
  const sinkWith = (over: Partial<MattermostSinkConfig> = {}, url?: string) => createMattermostSink({ ...cfg, ...over }, { env: { KUBEHERALD_MATTERMOST_URL: url ?? fake.hookUrl }, now: () => NOW });

  before(async () => {
    fake = await FakeMattermost.start({ channels: ['ops-alerts'], users: ['alice'] });
    locked = await FakeMattermost.start({ channels: ['ops-alerts'], locked: true });
  });
  after(async () => {
    await fake.close();
    await locked.close();
  });
  beforeEach(() => {
    fake.posts.length = 0;
    fake.requests.length = 0;
  });

  async function rejection(p: Promise<unknown>, key = fake.key): Promise<SinkError> {
    try {
      await p;
    } catch (err) {
      assert.ok(err instanceof SinkError, String(err));
      assert.ok(!err.message.includes(key), "the webhook's key never appears in an error");
      return err;
    }
    return assert.fail('expected the send to fail');
  }

  it('posts the attachments, which the fake accepts, to the webhook\'s channel or the one configured', async () => {
    const sink = sinkWith();
    await sink.send(crashLoop());
    await sink.sendGroup!([crashLoop(), crashLoop({ idempotencyKey: 'k2', state: State.RESOLVED })], { key: 'g', update: 0 });
    await sink.sendGroup!([], { key: 'g', update: 1 });
    await sink.close();
    assert.deepEqual(fake.requests.map((r) => [r.status, r.response]), [[200, 'ok'], [200, 'ok']]);
    assert.deepEqual(fake.posts[0].attachments, formatMattermost(crashLoop()).attachments);
    assert.deepEqual([fake.posts[0].channel, fake.posts[1].text], ['town-square', '**2 notifications: 1 firing, 1 resolved**']);
    const elsewhere = sinkWith({ channel: '#ops-alerts', username: 'kubeherald', iconUrl: 'https://example.com/k.png' });
    await elsewhere.send(crashLoop());
    await sinkWith({ channel: '@alice' }).send(crashLoop());
    assert.deepEqual(fake.posts.slice(2).map((p) => [p.channel, p.username, p.iconUrl]), [['ops-alerts', 'kubeherald', 'https://example.com/k.png'], ['@alice', '', '']]);
  });

  it('a deleted webhook, an unknown channel and a locked webhook are permanent, with what to fix', async () => {
    const gone = await rejection(sinkWith({}, `${fake.url}/hooks/${'z'.repeat(26)}`).send(crashLoop()));
    assert.deepEqual([gone.kind, gone.message], ['permanent', 'mattermost sink "ops": no such incoming webhook: it was deleted, or urlFrom holds a wrong URL (HTTP 400: web.incoming_webhook.invalid.app_error: Invalid webhook.)']);
    const nowhere = await rejection(sinkWith({ channel: 'nowhere' }).send(crashLoop()));
    assert.deepEqual([nowhere.kind, nowhere.message], ['permanent', 'mattermost sink "ops": no such channel: check channel (HTTP 404: web.incoming_webhook.channel.app_error: Couldn\'t find the channel.)']);
    const refused = await rejection(createMattermostSink({ ...cfg, channel: 'ops-alerts' }, { env: { KUBEHERALD_MATTERMOST_URL: locked.hookUrl } }).send(crashLoop()), locked.key);
    assert.deepEqual([refused.kind, refused.reason], ['permanent', 'auth']);
    assert.match(refused.message, /locked to its own channel/);
  });

  it('the fake refuses an empty message as Mattermost does', async () => {
    const empty = await postMattermost(fake.hookUrl, { attachments: [] }, { timeoutMs: 5000 });
    assert.equal(empty.status, 400);
    const err = classifyMattermostResponse('m', empty, NOW)!;
    assert.deepEqual([err.kind, err.message], ['permanent', 'm: Mattermost refused an empty message (HTTP 400: web.incoming_webhook.text.app_error: No text specified.)']);
  });

  it('is rate-limited by a 429, retries a 5xx and a server that does not answer in time', async () => {
    fake.failNext({ kind: 'throttle', retryAfterSeconds: 3 });
    const limited = await rejection(sinkWith().send(crashLoop()));
    assert.deepEqual([limited.kind, limited.retryAfterMs], ['rate-limited', 3000]);
    fake.failNext({ kind: 'status', status: 502, body: '<html>Bad Gateway</html>' });
    const bad = await rejection(sinkWith().send(crashLoop()));
    assert.deepEqual([bad.kind, bad.message], ['retryable', 'mattermost sink "ops": HTTP 502: <html>Bad Gateway</html>']);
    fake.failNext({ kind: 'hang' });
    const slow = await rejection(sinkWith({ timeoutSeconds: 0.2 }).send(crashLoop()));
    assert.deepEqual([slow.kind, slow.message], ['retryable', 'mattermost sink "ops": no response within 200ms']);
    fake.release();
  });

  it('names the variable when the URL is missing or no URL, never its value', () => {
    assert.throws(() => createMattermostSink(cfg, { env: {} }), { name: 'ConfigError', message: 'KUBEHERALD_MATTERMOST_URL: mattermost sink "ops" (urlFrom.env): environment variable is not set or is empty' });
    assert.throws(
      () => createMattermostSink(cfg, { env: { KUBEHERALD_MATTERMOST_URL: 'hooks/secretkey' } }),
      (err: Error) => err.message === 'KUBEHERALD_MATTERMOST_URL: mattermost sink "ops" (urlFrom): not a URL' && !err.message.includes('secretkey'),
    );
  });
});
