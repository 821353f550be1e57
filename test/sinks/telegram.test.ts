// The Telegram sink: exact HTML and MarkdownV2 text with every reserved
// character escaped, the 4,096-character limit kept visibly, and sending
// through grammY's Api against a local fake Bot API (topics, silent info,
// retry_after, errors classified, the token never in an error).

import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { after, before, beforeEach, describe, it } from 'node:test';
import { create, type MessageInitShape } from '@bufbuild/protobuf';
import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import { ConfigError, parseConfigText } from '../../src/config/index.ts';
import { type Notification, NotificationSchema, Severity, State } from '../../src/model/notification.ts';
import { createSink, SinkError } from '../../src/sinks/index.ts';
import type { TelegramSinkConfig } from '../../src/sinks/telegram/config.ts';
import { escapeHtml, escapeMarkdownV2, escapeMarkdownV2Code, escapeMarkdownV2Url, formatTelegram, type ParseMode } from '../../src/sinks/telegram/format.ts';
import { createTelegramSink, type TelegramSinkDeps } from '../../src/sinks/telegram/index.ts';
import { FakeTelegram, parseHtml, parseMarkdownV2 } from '../fakes/telegram.ts';

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
    cluster: 'prod',
    count: 5,
    fields: { restarts: '5', node: 'sim-node-1' },
    ...over,
  });
}

function resolved(over: Init = {}): Notification {
  return crashLoop({ state: State.RESOLVED, eventTime: timestampFromDate(new Date('2025-03-04T12:04:41Z')), message: 'Container app is running again', ...over });
}

const LINK = 'https://console.example.com/ns/{namespace}/pods/{name}?a=1&b=(2)';

/** The text a reader sees, as the fake Bot API parses it. */
function visible(text: string, mode: ParseMode): string {
  return mode === 'HTML' ? parseHtml(text) : parseMarkdownV2(text);
}

describe('formatTelegram', () => {
  it('HTML: exact text, sound on for critical, no link preview', () => {
    assert.deepEqual(formatTelegram(crashLoop(), { parseMode: 'HTML', linkTemplate: LINK }), {
      text: [
        '🔴 <b>FIRING</b> · critical · <b>CrashLoopBackOff</b>',
        '<b>Pod web-1: container app is crash-looping</b>',
        '',
        'Cluster: <code>prod</code>',
        'Namespace: <code>demo</code>',
        'Object: <code>pod/web-1</code>',
        'Restarts: <code>5</code>',
        'Node: <code>sim-node-1</code>',
        '',
        'Container app of pod web-1 keeps crashing: 5 restarts, last exit code 1 (Error)',
        '',
        '2025-03-04 12:01:05 UTC · <a href="https://console.example.com/ns/demo/pods/web-1?a=1&amp;b=(2)">Open</a>',
      ].join('\n'),
      parse_mode: 'HTML',
      disable_notification: false,
      link_preview_options: { is_disabled: true },
    });
  });

  it('MarkdownV2: exact text', () => {
    assert.equal(
      formatTelegram(crashLoop(), { parseMode: 'MarkdownV2', linkTemplate: LINK }).text,
      [
        '🔴 *FIRING* · critical · *CrashLoopBackOff*',
        '*Pod web\\-1: container app is crash\\-looping*',
        '',
        'Cluster: `prod`',
        'Namespace: `demo`',
        'Object: `pod/web-1`',
        'Restarts: `5`',
        'Node: `sim-node-1`',
        '',
        'Container app of pod web\\-1 keeps crashing: 5 restarts, last exit code 1 \\(Error\\)',
        '',
        '2025\\-03\\-04 12:01:05 UTC · [Open](https://console.example.com/ns/demo/pods/web-1?a=1&b=(2\\))',
      ].join('\n'),
    );
  });

  it('both markups read the same to a person', () => {
    const html = formatTelegram(crashLoop(), { parseMode: 'HTML', linkTemplate: LINK }).text;
    const md = formatTelegram(crashLoop(), { parseMode: 'MarkdownV2', linkTemplate: LINK }).text;
    assert.equal(visible(html, 'HTML'), visible(md, 'MarkdownV2'));
    assert.match(visible(html, 'HTML'), /^🔴 FIRING · critical · CrashLoopBackOff\nPod web-1/);
  });

  it('resolved: ✅ and RESOLVED', () => {
    const { text } = formatTelegram(resolved(), { parseMode: 'HTML' });
    assert.equal(text.split('\n')[0], '✅ <b>RESOLVED</b> · critical · <b>CrashLoopBackOff</b>');
    assert.match(text, /\n\nContainer app is running again\n\n2025-03-04 12:04:41 UTC$/);
  });

  it('silent for info by default, and for whatever silentFor names', () => {
    const silent = (n: Notification | Notification[], silentFor?: ('critical' | 'warning' | 'info' | 'resolved')[]) => formatTelegram(n, { parseMode: 'HTML', silentFor }).disable_notification;
    assert.equal(silent(crashLoop({ severity: Severity.INFO })), true);
    assert.equal(silent(crashLoop({ severity: Severity.WARNING })), false);
    assert.equal(silent(resolved()), false);
    assert.equal(silent(resolved(), ['info', 'resolved']), true);
    assert.equal(silent([crashLoop({ severity: Severity.INFO }), crashLoop()]), false, 'a group is silent only when all of it is');
    assert.equal(silent([crashLoop({ severity: Severity.INFO }), resolved()], ['info', 'resolved']), true);
    assert.equal(silent(crashLoop({ severity: Severity.UNSPECIFIED }), ['critical', 'warning', 'info', 'resolved']), false);
  });
});

describe('Telegram escaping', () => {
  const RESERVED = '_*[]()~`>#+-=|{}.!\\';

  it('escapes every MarkdownV2 reserved character in text', () => {
    assert.equal(escapeMarkdownV2(RESERVED), '\\_\\*\\[\\]\\(\\)\\~\\`\\>\\#\\+\\-\\=\\|\\{\\}\\.\\!\\\\');
    for (const c of RESERVED) {
      assert.equal(escapeMarkdownV2(`a${c}b`), `a\\${c}b`, `character ${c}`);
      assert.equal(parseMarkdownV2(escapeMarkdownV2(`a${c}b`)), `a${c}b`);
      // a lone backslash is not refused: it silently escapes the next character away
      if (c === '\\') assert.equal(parseMarkdownV2('a\\b'), 'ab');
      else assert.throws(() => parseMarkdownV2(`a${c}b`), /reserved|Can't find end/, `the fake rejects an unescaped ${c}`);
    }
  });

  it('escapes only ` and \\ in code, and only ) and \\ in a link URL', () => {
    assert.equal(escapeMarkdownV2Code('a`b\\c_*.'), 'a\\`b\\\\c_*.');
    assert.equal(escapeMarkdownV2Url('https://x/(a)\\b'), 'https://x/(a\\)\\\\b');
    assert.equal(parseMarkdownV2(`\`${escapeMarkdownV2Code('a`b\\c_*.')}\``), 'a`b\\c_*.');
  });

  it('escapes <, >, & and " in HTML', () => {
    assert.equal(escapeHtml('<b>&"x"</b>'), '&lt;b&gt;&amp;&quot;x&quot;&lt;/b&gt;');
    assert.equal(parseHtml(escapeHtml('<b>&"x"</b>')), '<b>&"x"</b>');
    for (const bad of ['a<b', 'a>b', 'a&b', '<x>y</x>', '<b>open']) assert.throws(() => parseHtml(bad), Error, bad);
  });

  for (const mode of ['HTML', 'MarkdownV2'] as const) {
    it(`${mode}: cluster text full of reserved characters arrives exactly as it was`, () => {
      const nasty = `${RESERVED} <b>&amp;</b> "q" \`code\` *bold* _it_ ||sp|| [l](http://x) > quote`;
      const n = crashLoop({
        title: `title ${nasty}`,
        message: `message ${nasty}\nsecond line ${nasty}`,
        cluster: `c ${nasty}`,
        involvedObject: { kind: 'Pod', namespace: 'ns', name: `n ${nasty}` },
        fields: { node: `node ${nasty}` },
      });
      const seen = visible(formatTelegram(n, { parseMode: mode, linkTemplate: 'https://x.example/{name}?q=(1)\\' }).text, mode);
      assert.ok(seen.includes(`title ${nasty}`), 'title');
      assert.ok(seen.includes(`message ${nasty}\nsecond line ${nasty}`), 'message');
      assert.ok(seen.includes(`Cluster: c ${nasty}`), 'fact (code)');
      assert.ok(seen.includes(`Node: node ${nasty}`), 'fact (code)');
      const group = visible(formatTelegram([n, n], { parseMode: mode }).text, mode);
      assert.ok(group.includes(`message ${nasty} second line`), 'group item');
    });
  }
});

describe('Telegram limits', () => {
  for (const mode of ['HTML', 'MarkdownV2'] as const) {
    it(`${mode}: a long message is cut to 4,096 characters as read, and says so`, () => {
      // "." doubles in MarkdownV2 and "&" quintuples in HTML: the limit counts what the reader sees
      const n = crashLoop({ message: (mode === 'HTML' ? '&' : '.').repeat(10_000) });
      const { text } = formatTelegram(n, { parseMode: mode });
      const seen = visible(text, mode);
      assert.equal(seen.length, 4096);
      assert.ok(seen.endsWith('… [truncated]\n\n2025-03-04 12:01:05 UTC'), seen.slice(-60));
      assert.ok(text.length > 4096, 'the markup itself may be longer');
    });
  }

  it('a group lists what fits, then "…and N more"', () => {
    const many = Array.from({ length: 100 }, (_, i) => crashLoop({ involvedObject: { kind: 'Pod', namespace: 'demo', name: `web-${i}` }, message: 'm'.repeat(150) }));
    const seen = visible(formatTelegram(many, { parseMode: 'MarkdownV2' }).text, 'MarkdownV2');
    assert.ok(seen.endsWith('…and 80 more'), seen.slice(-40));
    const all = visible(formatTelegram(many, { parseMode: 'HTML', maxGroupItems: 1000 }).text, 'HTML');
    assert.ok(all.length <= 4096, `${all.length}`);
    const shown = (all.match(/FIRING CrashLoopBackOff/g) ?? []).length;
    assert.match(all, new RegExp(`…and ${100 - shown} more$`));
    assert.ok(shown > 15 && shown < 100, `${shown} shown`);
  });

  it('a small group exactly', () => {
    const oom = crashLoop({ reason: 'OOMKilled', severity: Severity.WARNING, involvedObject: { kind: 'Pod', namespace: 'data', name: 'db-0' }, message: 'Container db used more than its 1Gi limit' });
    assert.equal(
      formatTelegram([crashLoop(), oom, resolved()], { parseMode: 'HTML' }).text,
      [
        '🔴 <b>3 notifications</b> · prod',
        '2 firing, 1 resolved',
        '',
        '🔴 <b>FIRING CrashLoopBackOff</b> <code>demo/pod/web-1</code>',
        'Container app of pod web-1 keeps crashing: 5 restarts, last exit code 1 (Error)',
        '',
        '🟠 <b>FIRING OOMKilled</b> <code>data/pod/db-0</code>',
        'Container db used more than its 1Gi limit',
        '',
        '✅ <b>RESOLVED CrashLoopBackOff</b> <code>demo/pod/web-1</code>',
        'Container app is running again',
      ].join('\n'),
    );
  });
});

// ---- sending

describe('Telegram sink', () => {
  let tg: FakeTelegram;
  before(async () => {
    tg = await FakeTelegram.start();
  });
  after(() => tg.close());
  beforeEach(() => {
    tg.calls.length = 0;
    tg.messages.length = 0;
  });

  const cfg = (over: Partial<TelegramSinkConfig> = {}): TelegramSinkConfig => ({
    name: 'ops',
    type: 'telegram',
    tokenFrom: { env: 'TELEGRAM_BOT_TOKEN' },
    chatId: -1001234567890,
    parseMode: 'HTML',
    silentFor: ['info'],
    apiRoot: tg.apiRoot,
    linkTemplate: '',
    timeoutSeconds: 10,
    ...over,
  });
  const deps = (over: TelegramSinkDeps = {}): TelegramSinkDeps => ({ env: { TELEGRAM_BOT_TOKEN: tg.token }, ...over });

  for (const parseMode of ['HTML', 'MarkdownV2'] as const) {
    it(`sends ${parseMode} through grammY to the chat's forum topic, accepted by the Bot API's parser`, async () => {
      const sink = await createSink(cfg({ parseMode, messageThreadId: 7 }), deps());
      const n = crashLoop({ message: 'back-off 40s restarting failed container=app pod=web-1_demo(uid) <x> & *y*' });
      await sink.send(n);
      await sink.close();
      assert.equal(tg.calls.length, 1);
      assert.equal(tg.calls[0].method, 'sendMessage');
      assert.equal(tg.calls[0].status, 200, JSON.stringify(tg.calls[0].response));
      const expected = formatTelegram(n, { parseMode });
      assert.deepEqual(tg.calls[0].params, { chat_id: -1001234567890, text: expected.text, parse_mode: parseMode, disable_notification: false, link_preview_options: { is_disabled: true }, message_thread_id: 7 });
      assert.equal(tg.messages[0].plain, visible(expected.text, parseMode).trim());
      assert.ok(tg.messages[0].plain.includes('pod=web-1_demo(uid) <x> & *y*'));
    });
  }

  it('info is delivered silently; a channel may be given by @username', async () => {
    const sink = createTelegramSink(cfg({ chatId: '@kubeops' }), deps());
    await sink.send(crashLoop({ severity: Severity.INFO }));
    await sink.send(crashLoop());
    await sink.close();
    assert.deepEqual(
      tg.messages.map((m) => m.disable_notification),
      [true, false],
    );
    assert.equal(tg.calls[0].params.chat_id, '@kubeops');
  });

  it('a group is one message', async () => {
    const sink = createTelegramSink(cfg(), deps());
    await sink.sendGroup([crashLoop(), resolved()]);
    await sink.close();
    assert.equal(tg.messages.length, 1);
    assert.match(tg.messages[0].plain, /^🔴 2 notifications · prod\n1 firing, 1 resolved/);
  });

  it('updates of a group reply to its first message; the target is the chat and topic', async () => {
    const sink = createTelegramSink(cfg({ messageThreadId: 7 }), deps());
    assert.equal(sink.targetOf(crashLoop()), '-1001234567890/7');
    await sink.sendGroup([crashLoop()], { key: 'g1', update: 0 });
    await sink.sendGroup([crashLoop(), resolved()], { key: 'g1', update: 1 });
    await sink.sendGroup([crashLoop()], { key: 'g2', update: 0 });
    await sink.close();
    assert.deepEqual(
      tg.messages.map((m) => m.reply_to),
      [undefined, tg.messages[0].message_id, undefined],
    );
    assert.deepEqual(tg.calls[1].params.reply_parameters, { message_id: tg.messages[0].message_id, allow_sending_without_reply: true });
    assert.equal(createTelegramSink(cfg(), deps()).targetOf(crashLoop()), '-1001234567890');
  });

  it('an over-long message is accepted (the fake enforces 4,096)', async () => {
    const sink = createTelegramSink(cfg({ parseMode: 'MarkdownV2' }), deps());
    await sink.send(crashLoop({ message: '.-'.repeat(6000) }));
    await sink.close();
    assert.equal(tg.messages[0].plain.length, 4096);
  });

  it('a wrong token is permanent, and the token is in no error', async () => {
    const secret = '999999:wrongTokenSecretValue';
    const sink = createTelegramSink(cfg(), deps({ env: { TELEGRAM_BOT_TOKEN: secret } }));
    const err = (await sink.send(crashLoop()).catch((e: unknown) => e)) as SinkError;
    assert.ok(err instanceof SinkError);
    assert.equal(err.kind, 'permanent');
    assert.equal(err.message, 'telegram sink "ops": sendMessage: 401 Unauthorized (the bot token is not valid: check tokenFrom)');
    assert.doesNotMatch(`${err.message} ${String(err.cause)} ${err.stack}`, /wrongTokenSecretValue/);
    await sink.close();
  });

  it('chat not found and a missing topic are permanent', async () => {
    const sink = createTelegramSink(cfg({ chatId: -100999 }), deps());
    await assert.rejects(sink.send(crashLoop()), (e: SinkError) => e.kind === 'permanent' && e.message === 'telegram sink "ops": sendMessage: 400 Bad Request: chat not found (check chatId, and that the bot was added to the chat)');
    await sink.close();
    const topic = createTelegramSink(cfg({ messageThreadId: 99 }), deps());
    await assert.rejects(topic.send(crashLoop()), (e: SinkError) => e.kind === 'permanent' && /message thread not found \(check messageThreadId/.test(e.message));
    await topic.close();
  });

  it('the fake refuses unescaped markup and over-long text, as Telegram does', async () => {
    const raw = async (body: Record<string, unknown>) => {
      const res = await fetch(`${tg.apiRoot}/bot${tg.token}/sendMessage`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ chat_id: 4242, ...body }) });
      return [res.status, ((await res.json()) as { description?: string }).description];
    };
    assert.deepEqual(await raw({ text: 'a.b', parse_mode: 'MarkdownV2' }), [400, "Bad Request: can't parse entities: Character '.' is reserved and must be escaped with the preceding '\\'"]);
    assert.deepEqual(await raw({ text: '*bold', parse_mode: 'MarkdownV2' }), [400, "Bad Request: can't parse entities: Can't find end of the entity starting at byte offset 0"]);
    assert.deepEqual(await raw({ text: '<foo>x</foo>', parse_mode: 'HTML' }), [400, 'Bad Request: can\'t parse entities: Unsupported start tag "foo" at byte offset 0']);
    assert.deepEqual(await raw({ text: 'x'.repeat(4097) }), [400, 'Bad Request: message is too long']);
    assert.deepEqual(await raw({ text: `<b>${'x'.repeat(4096)}</b>`, parse_mode: 'HTML' }), [200, undefined], 'markup does not count');
  });

  it('429: rate-limited with retry_after surfaced, one request', async () => {
    const sink = createTelegramSink(cfg(), deps());
    tg.failNext({ kind: 'ratelimited', retryAfter: 35 });
    const err = (await sink.send(crashLoop()).catch((e: unknown) => e)) as SinkError;
    assert.equal(err.kind, 'rate-limited');
    assert.equal(err.retryAfterMs, 35_000);
    assert.equal(err.message, 'telegram sink "ops": sendMessage: 429 Too Many Requests: retry after 35');
    assert.equal(tg.calls.length, 1);
    await sink.close();
  });

  it('5xx (JSON or a proxy page) is retryable', async () => {
    const sink = createTelegramSink(cfg(), deps());
    tg.failNext({ kind: 'error', code: 500, description: 'Internal Server Error' }, { kind: 'html', status: 502 });
    await assert.rejects(sink.send(crashLoop()), (e: SinkError) => e.kind === 'retryable' && e.message === 'telegram sink "ops": sendMessage: 500 Internal Server Error');
    await assert.rejects(sink.send(crashLoop()), (e: SinkError) => e.kind === 'retryable' && /request failed/.test(e.message));
    assert.equal(tg.calls.length, 2);
    await sink.close();
  });

  it('a timeout and a refused connection are retryable', async () => {
    const sink = createTelegramSink(cfg(), deps({ timeoutMs: 200 }));
    tg.failNext({ kind: 'hang' });
    await assert.rejects(sink.send(crashLoop()), (e: SinkError) => e.kind === 'retryable' && e.message === 'telegram sink "ops": sendMessage: timed out');
    await sink.close();
    const port = await freePort();
    const refused = createTelegramSink(cfg({ apiRoot: `http://127.0.0.1:${port}` }), deps());
    const err = (await refused.send(crashLoop()).catch((e: unknown) => e)) as SinkError;
    assert.equal(err.kind, 'retryable');
    assert.doesNotMatch(`${err.message} ${String(err.cause)}`, new RegExp(tg.token.split(':')[1]), 'node-fetch quotes the URL; the token is cut out');
    await refused.close();
  });

  it("the send's signal aborts a sendMessage in flight (canceled, not the sink's own timeout)", async () => {
    const sink = createTelegramSink(cfg(), deps());
    tg.failNext({ kind: 'hang' });
    const abandoned = new AbortController();
    const sent = sink.send(crashLoop(), { signal: abandoned.signal });
    await tg.waitFor(() => tg.calls.some((c) => c.method === 'sendMessage'));
    abandoned.abort();
    await assert.rejects(sent, (e: SinkError) => e.kind === 'retryable' && e.reason === 'canceled');
    await sink.close();
  });

  it('a group upgraded to a supergroup: permanent, naming the new chat ID', async () => {
    const sink = createTelegramSink(cfg(), deps());
    tg.failNext({ kind: 'error', code: 400, description: 'Bad Request: group chat was upgraded to a supergroup chat', parameters: { migrate_to_chat_id: -1009876 } });
    await assert.rejects(sink.send(crashLoop()), (e: SinkError) => e.kind === 'permanent' && /now the supergroup -1009876: set chatId to it/.test(e.message));
    await sink.close();
  });

  it('close waits for sends in flight; later sends are refused', async () => {
    const sink = createTelegramSink(cfg(), deps());
    const sending = sink.send(crashLoop());
    await sink.close();
    assert.equal(tg.messages.length, 1);
    await sending;
    await assert.rejects(sink.send(crashLoop()), (e: SinkError) => e.kind === 'permanent' && /closed/.test(e.message));
  });
});

describe('Telegram sink config and credentials', () => {
  it('a missing token variable stops start-up, naming the sink and the variable', async () => {
    const cfg = parseConfigText('sinks: [{ name: ops, type: telegram, tokenFrom: { env: TELEGRAM_BOT_TOKEN }, chatId: -1001234567890 }]', 'x').sinks[0];
    await assert.rejects(
      async () => createSink(cfg, { env: { TELEGRAM_BOT_TOKEN: '' } }),
      (e: unknown) => e instanceof ConfigError && e.message === 'TELEGRAM_BOT_TOKEN: telegram sink "ops" (tokenFrom.env): environment variable is not set or is empty',
    );
  });

  it('a token of the wrong shape is refused without being echoed', async () => {
    const cfg = parseConfigText('sinks: [{ name: ops, type: telegram, tokenFrom: { env: T }, chatId: 42 }]', 'x').sinks[0];
    await assert.rejects(
      async () => createSink(cfg, { env: { T: 'not a token/secret' } }),
      (e: unknown) => e instanceof ConfigError && !/secret/.test(e.message) && /telegram sink "ops" \(tokenFrom\): does not look like a bot token/.test(e.message),
    );
  });

  it('defaults, and what the schema refuses', () => {
    assert.deepEqual(parseConfigText('sinks: [{ name: ops, type: telegram, tokenFrom: { env: T }, chatId: "@kubeops" }]', 'x').sinks[0], {
      name: 'ops',
      type: 'telegram',
      tokenFrom: { env: 'T' },
      chatId: '@kubeops',
      parseMode: 'HTML',
      silentFor: ['info'],
      apiRoot: 'https://api.telegram.org',
      linkTemplate: '',
      timeoutSeconds: 10,
    });
    const problems = (yaml: string): string => {
      try {
        parseConfigText(yaml, 'k.yaml');
        return '';
      } catch (e) {
        return (e as Error).message;
      }
    };
    assert.match(problems('sinks: [{ name: a, type: telegram, tokenFrom: { env: T }, chatId: "ops chat" }]'), /sinks\[0\]\.chatId: /);
    assert.match(problems('sinks: [{ name: a, type: telegram, tokenFrom: { env: T }, chatId: 1, parseMode: Markdown }]'), /sinks\[0\]\.parseMode: /);
    assert.match(problems('sinks: [{ name: a, type: telegram, tokenFrom: { env: T }, chatId: 1, messageThreadId: 0 }]'), /sinks\[0\]\.messageThreadId: expected an integer ≥ 1, got 0/);
    assert.match(problems('sinks: [{ name: a, type: telegram, chatId: 1 }]'), /sinks\[0\]\.tokenFrom: /);
    assert.match(problems('sinks: [{ name: a, type: telegram, tokenFrom: { env: T }, chatId: 1, silentFor: [loud] }]'), /sinks\[0\]\.silentFor\[0\]: /);
  });
});

async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const port = (srv.address() as { port: number }).port;
  await new Promise<void>((resolve) => srv.close(() => resolve()));
  return port;
}
