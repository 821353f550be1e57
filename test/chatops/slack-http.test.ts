// Slack over HTTP end to end: requests signed as Slack signs them, replies
// through the official @slack/web-api client against the local fake.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { SlackHttpAdapter } from '../../src/chatops/slack/http.ts';
import { blockActionsPayload, eventCallback, FakeSlack, signedRequest, type SlackCall, slackSignature, slashCommandPayload } from '../fakes/slack.ts';
import { authority, leaf } from '../helpers/pki.ts';
import { blockText, logText, StubHandler, testLogger } from './slack-stub.ts';

const SECRET = '8f742231b10e8888abcd99yyyzzz85a5';
const channels = [
  { id: 'C0OPS', name: 'ops' },
  { id: 'D0ALICE', name: 'alice' },
];
const posts = (c: { method: string }) => c.method === 'chat.postMessage';

function nextCalls(fake: FakeSlack, match: (c: SlackCall) => boolean, n = 1): Promise<SlackCall[]> {
  const already = fake.calls.filter((c) => c.status !== 0 && match(c)).length;
  return fake.waitForCalls(match, already + n).then((calls) => calls.slice(already));
}

let ts = 1_700_100_000;
const mention = (text: string, extra: Record<string, unknown> = {}) => {
  const t = `${++ts}.000100`;
  return { type: 'app_mention', user: 'U0ALICE', text, ts: t, channel: 'C0OPS', event_ts: t, ...extra };
};

describe('Slack HTTP adapter', () => {
  let fake: FakeSlack;
  let adapter: SlackHttpAdapter;
  const handler = new StubHandler();
  const logged = testLogger();
  const rejected: string[] = [];
  const abort = new AbortController();
  const post = (path: string, body: string, opts: Partial<Parameters<typeof signedRequest>[3]> = {}) => signedRequest(adapter.url, path, body, { secret: SECRET, ...opts });

  before(async () => {
    fake = await FakeSlack.start({ channels, users: [{ id: 'U0ALICE', name: 'alice', email: 'alice@corp.example' }] });
    adapter = new SlackHttpAdapter({
      botToken: fake.token,
      signingSecret: SECRET,
      apiUrl: fake.apiUrl,
      slashCommand: '/kube',
      listen: '127.0.0.1:0',
      resolveEmail: true,
      log: logged.log,
      onRejected: (r) => rejected.push(r),
      maxBodyBytes: 64 * 1024,
    });
    await adapter.start(handler, abort.signal);
  });

  after(async () => {
    abort.abort();
    await adapter.stop();
    await fake.close();
  });

  it('answers url_verification with the challenge', async () => {
    const res = await post('/slack/events', JSON.stringify({ token: 'x', challenge: '3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P', type: 'url_verification' }));
    assert.equal(res.status, 200);
    assert.equal(res.text, '3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P');
  });

  it('a signed app_mention is acknowledged at once and answered in its thread', async () => {
    const ev = mention('<@U0000BOT> pods -n demo');
    const replied = nextCalls(fake, posts);
    const res = await post('/slack/events', JSON.stringify(eventCallback(ev, { event_id: 'Ev0HTTP001' })));
    assert.equal(res.status, 200);
    const [reply] = await replied;
    assert.equal(reply.params.thread_ts, ev.ts);
    const msg = handler.messages.at(-1)!;
    assert.deepEqual([msg.text, msg.channel, msg.thread, msg.user.email], ['pods -n demo', 'C0OPS', ev.ts, 'alice@corp.example']);
  });

  it('a direct message (message.im) is answered in the DM', async () => {
    const t = `${++ts}.000100`;
    const replied = nextCalls(fake, (c) => posts(c) && c.params.channel === 'D0ALICE');
    const res = await post('/slack/events', JSON.stringify(eventCallback({ type: 'message', channel_type: 'im', user: 'U0ALICE', text: 'whoami', ts: t, channel: 'D0ALICE', event_ts: t }, { event_id: 'Ev0HTTP002' })));
    assert.equal(res.status, 200);
    const [reply] = await replied;
    assert.equal(reply.params.thread_ts, undefined);
    assert.equal(handler.messages.at(-1)?.text, 'whoami');
  });

  it('a retried event (X-Slack-Retry-Num) already handled is acknowledged and not run again', async () => {
    const n = handler.messages.length;
    const ev = mention('<@U0000BOT> scale deployment web 3 -n demo');
    const body = JSON.stringify(eventCallback(ev, { event_id: 'Ev0HTTPRETRY' }));
    const first = nextCalls(fake, (c) => posts(c) && c.params.thread_ts === ev.ts);
    assert.equal((await post('/slack/events', body)).status, 200);
    await first;
    const retry = await post('/slack/events', body, { headers: { 'x-slack-retry-num': '1', 'x-slack-retry-reason': 'http_timeout' } });
    assert.equal(retry.status, 200);
    // a later event is handled after the retry was turned away, so the retry had its chance to run
    const later = mention('<@U0000BOT> whoami');
    const done = nextCalls(fake, (c) => posts(c) && c.params.thread_ts === later.ts);
    await post('/slack/events', JSON.stringify(eventCallback(later, { event_id: 'Ev0HTTPLATER' })));
    await done;
    assert.deepEqual(handler.messages.slice(n).map((m) => m.text), ['scale deployment web 3 -n demo', 'whoami']);
  });

  it('a slash command gets an empty 200 at once, then the reply in the channel', async () => {
    const replied = nextCalls(fake, (c) => posts(c) && c.params.channel === 'C0OPS' && c.params.thread_ts === undefined);
    const res = await post('/slack/commands', new URLSearchParams(slashCommandPayload({ command: '/kube', text: 'get deployment web -n demo', user_id: 'U0ALICE', channel_id: 'C0OPS' }, fake.url)).toString());
    assert.equal(res.status, 200);
    assert.equal(res.text, '');
    const [reply] = await replied;
    assert.match(blockText(reply.params.blocks as unknown[]), /<@U0ALICE> ran `\/kube get deployment web -n demo`/);
    assert.equal(handler.messages.at(-1)?.text, 'get deployment web -n demo');
  });

  it('a slash command in a channel the bot is not in is answered through its response_url', async () => {
    const replied = nextCalls(fake, (c) => c.method === 'response_url');
    const res = await post('/slack/commands', new URLSearchParams(slashCommandPayload({ command: '/kube', text: 'pods', user_id: 'U0ALICE', channel_id: 'C0ELSEWHERE' }, fake.url)).toString());
    assert.equal(res.status, 200);
    const [call] = await replied;
    assert.equal(call.params.response_type, 'in_channel');
    assert.equal(fake.messages.at(-1)?.via, 'response_url');
    assert.equal(fake.messages.at(-1)?.channel, 'C0ELSEWHERE');
  });

  it("Slack's ssl_check is answered without running anything", async () => {
    const n = handler.messages.length;
    const res = await post('/slack/commands', 'ssl_check=1&token=fakeverificationtoken');
    assert.equal(res.status, 200);
    assert.equal(handler.messages.length, n);
  });

  it('a button press (interactivity) reaches interact() and is answered in the thread of its message', async () => {
    const payload = blockActionsPayload({ user: 'U0ALICE', username: 'alice', channel: 'C0OPS', message_ts: '1700000999.000200', action_id: 'confirm', value: 'req-7' }, fake.url);
    const replied = nextCalls(fake, (c) => posts(c) && c.params.thread_ts === '1700000999.000200');
    const res = await post('/slack/interactivity', new URLSearchParams({ payload: JSON.stringify(payload) }).toString());
    assert.equal(res.status, 200);
    await replied;
    const ev = handler.interactions.at(-1)!;
    assert.deepEqual([ev.actionId, ev.value, ev.messageRef, ev.user.id, ev.user.email], ['confirm', 'req-7', '1700000999.000200', 'U0ALICE', 'alice@corp.example']);
  });

  describe('refused requests: 401, counted, nothing run', () => {
    const body = () => JSON.stringify(eventCallback(mention('<@U0000BOT> delete pod web-1'), { event_id: `Ev0BAD${++ts}` }));
    const cases: [string, Partial<Parameters<typeof signedRequest>[3]>, string][] = [
      ['a signature made with another secret', { secret: 'not-the-secret' }, 'bad_signature'],
      ['a tampered signature', { signature: 'v0=' + '0'.repeat(64) }, 'bad_signature'],
      ['no signature at all', { signature: null }, 'missing_signature'],
      ['a request signed 6 minutes ago', { timestamp: Math.floor(Date.now() / 1000) - 360 }, 'stale_timestamp'],
      ['a timestamp from the future', { timestamp: Math.floor(Date.now() / 1000) + 360 }, 'stale_timestamp'],
      ['a timestamp that is not a number', { timestamp: 'soon' as unknown as number }, 'bad_timestamp'],
    ];
    for (const [what, opts, reason] of cases) {
      it(what, async () => {
        const n = handler.messages.length;
        const before = rejected.length;
        const calls = fake.calls.length;
        const res = await post('/slack/events', body(), opts);
        assert.equal(res.status, 401);
        assert.equal(res.text, 'invalid request signature');
        assert.deepEqual(rejected.slice(before), [reason]);
        assert.equal(handler.messages.length, n);
        assert.equal(fake.calls.length, calls, 'no Slack API call');
      });
    }

    it('a signature over a different body (the body was changed on the way)', async () => {
      const before = rejected.length;
      const ts = Math.floor(Date.now() / 1000);
      const res = await post('/slack/commands', 'command=%2Fkube&text=delete+pod+x', { signature: slackSignature(SECRET, ts, 'command=%2Fkube&text=pods'), timestamp: ts });
      assert.equal(res.status, 401);
      assert.deepEqual(rejected.slice(before), ['bad_signature']);
    });

    it('slash commands and interactivity are checked too', async () => {
      const before = rejected.length;
      assert.equal((await post('/slack/commands', 'command=%2Fkube&text=pods', { signature: null })).status, 401);
      assert.equal((await post('/slack/interactivity', 'payload=%7B%7D', { secret: 'wrong' })).status, 401);
      assert.deepEqual(rejected.slice(before), ['missing_signature', 'bad_signature']);
    });

    it('a body over the limit gets 413', async () => {
      const before = rejected.length;
      const res = await post('/slack/events', JSON.stringify({ type: 'event_callback', pad: 'x'.repeat(70 * 1024) }));
      assert.equal(res.status, 413);
      assert.deepEqual(rejected.slice(before), ['too_large']);
    });
  });

  it('bad JSON and unknown paths and methods get 400/404/405; /healthz is 200', async () => {
    assert.equal((await post('/slack/events', '{not json')).status, 400);
    assert.equal((await post('/slack/interactivity', 'payload=nope')).status, 400);
    assert.equal((await post('/slack/other', '{}')).status, 404);
    assert.equal((await fetch(adapter.url + '/slack/events')).status, 405);
    const health = await fetch(adapter.url + '/healthz');
    assert.equal(health.status, 200);
    assert.equal(await health.text(), 'ok');
  });

  it('logs carry neither the signing secret nor the bot token', () => {
    const text = logText(logged.entries);
    assert.ok(!text.includes(SECRET) && !text.includes(fake.token));
    assert.ok(logged.entries.some((e) => e.msg === 'slack request refused' && e.obj.reason === 'bad_signature'));
  });
});

describe('Slack HTTP adapter over TLS', () => {
  it('serves HTTPS with the configured certificate', async () => {
    const ca = await authority('kubeherald-test-ca');
    const server = await leaf('localhost', ca, { serverAuth: true });
    const dir = mkdtempSync(join(tmpdir(), 'kh-slack-tls-'));
    writeFileSync(join(dir, 'tls.crt'), server.cert);
    writeFileSync(join(dir, 'tls.key'), server.key);
    const fake = await FakeSlack.start({ channels });
    const adapter = new SlackHttpAdapter({
      botToken: fake.token,
      signingSecret: SECRET,
      apiUrl: fake.apiUrl,
      slashCommand: '/kube',
      listen: '127.0.0.1:0',
      tls: { certFile: join(dir, 'tls.crt'), keyFile: join(dir, 'tls.key') },
      log: testLogger().log,
    });
    try {
      await adapter.start(new StubHandler(), new AbortController().signal);
      assert.match(adapter.url, /^https:\/\/127\.0\.0\.1:\d+$/);
      const status = await new Promise<number>((resolve, reject) => {
        const req = request(adapter.url + '/healthz', { ca: ca.cert }, (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        });
        req.on('error', reject);
        req.end();
      });
      assert.equal(status, 200);
    } finally {
      await adapter.stop();
      await fake.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('start() fails clearly when the bot token is refused, and url is unavailable', async () => {
    const fake = await FakeSlack.start({ channels });
    const adapter = new SlackHttpAdapter({ botToken: 'xoxb-not-known', signingSecret: SECRET, apiUrl: fake.apiUrl, slashCommand: '/kube', listen: '127.0.0.1:0', log: testLogger().log });
    try {
      await assert.rejects(adapter.start(new StubHandler(), new AbortController().signal), /auth\.test: invalid_auth/);
      assert.throws(() => adapter.url, /not started/);
      assert.throws(() => new SlackHttpAdapter({ botToken: fake.token, signingSecret: '', apiUrl: fake.apiUrl, slashCommand: '/kube', listen: '127.0.0.1:0', log: testLogger().log }), /signingSecret is required/);
    } finally {
      await adapter.stop();
      await fake.close();
    }
  });
});
