// `npm run demo:fakes -- <slack|telegram|teams|dingtalk|webhook|elasticsearch|all>… [--once] [--speed N]`
//
// The demo, delivering to the local fakes of the platforms (test/fakes)
// instead of only the console: starts the chosen fakes on 127.0.0.1, writes
// a config whose sinks point at them (Slack's apiUrl, Telegram's apiRoot,
// the Teams/DingTalk/webhook URLs and the Elasticsearch node) with the
// credentials in an environment of their own, runs `kubeherald demo` in this
// process, and at the end prints, per sink, how many messages the fake
// received and what the last one looks like there. The fakes enforce what
// each platform documents (auth, signatures, schemas, rate limits), so what
// they accept a real workspace would show. The rendering functions are pure
// and exported, as is startDemoFakes, for test/cli/demo-fakes.test.ts.

import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { formatReport } from '../src/app/demo-check.ts';
import { runDemo } from '../src/cli/demo.ts';
import type { HoldReason } from '../src/pipeline/hold.ts';
import { FakeDingTalk, type DingTalkMessageSeen } from '../test/fakes/dingtalk.ts';
import { type FakeElasticsearch, type StoredDocument, startFakeElasticsearch } from '../test/fakes/elasticsearch.ts';
import { FakeSlack, type StoredMessage } from '../test/fakes/slack.ts';
import { FakeTeams, THROTTLED_BODY } from '../test/fakes/teams.ts';
import { FakeTelegram, type SentMessage } from '../test/fakes/telegram.ts';
import { FakeWebhooks, type Received } from '../test/fakes/webhook.ts';

export const FAKE_SINK_TYPES = ['slack', 'telegram', 'teams', 'dingtalk', 'webhook', 'elasticsearch'] as const;
export type FakeSinkType = (typeof FAKE_SINK_TYPES)[number];

/** The webhook fake's endpoint. */
export const WEBHOOK_PATH = '/kubeherald';
/** The data stream the Elasticsearch sink writes (its default). */
export const DATA_STREAM = 'kubeherald-events';

export interface FakeSinkReport {
  type: FakeSinkType;
  /** messages the platform shows (documents, accepted requests) */
  received: number;
  /** requests the fake refused (429, bad signature …) */
  refused: number;
  /** platform specifics: threads, updates, verified signatures */
  notes: string[];
  /** each received message as its platform would show it, in order */
  texts: string[];
}

export interface DemoFakes {
  slack?: FakeSlack;
  telegram?: FakeTelegram;
  teams?: FakeTeams;
  dingtalk?: FakeDingTalk;
  webhook?: FakeWebhooks;
  elasticsearch?: FakeElasticsearch;
  /** the `sinks:` entries pointing at the fakes, as YAML list items */
  sinksYaml: string;
  /** the credentials the sinks read (`{env: …}`), none of them real */
  env: Record<string, string>;
  report(): FakeSinkReport[];
  close(): Promise<void>;
}

export interface DemoFakesOptions {
  /** the Teams fake's requests a second before it throttles (default 4, as Teams documents) */
  teamsPerSecond?: number;
}

/** Starts the fakes of the given platforms on 127.0.0.1 (port 0) and says how to point sinks at them. */
export async function startDemoFakes(types: readonly FakeSinkType[], opts: DemoFakesOptions = {}): Promise<DemoFakes> {
  const f: Omit<DemoFakes, 'sinksYaml' | 'env' | 'report' | 'close'> = {};
  const sinks: string[] = [];
  const env: Record<string, string> = {};
  const reports: (() => FakeSinkReport)[] = [];
  try {
    for (const type of new Set(types)) {
      switch (type) {
        case 'slack': {
          const fake = (f.slack = await FakeSlack.start());
          env.SLACK_BOT_TOKEN = fake.token;
          const channel = fake.channels[0].id;
          sinks.push(`- { name: slack, type: slack, tokenFrom: { env: SLACK_BOT_TOKEN }, channel: ${channel}, apiUrl: "${fake.apiUrl}" }`);
          reports.push(() => slackReport(fake));
          break;
        }
        case 'telegram': {
          const fake = (f.telegram = await FakeTelegram.start());
          env.TELEGRAM_BOT_TOKEN = fake.token;
          const forum = fake.chats.find((c) => c.topics?.length) ?? fake.chats[0];
          const topic = forum.topics?.[0] !== undefined ? `, messageThreadId: ${forum.topics[0]}` : '';
          sinks.push(`- { name: telegram, type: telegram, tokenFrom: { env: TELEGRAM_BOT_TOKEN }, chatId: ${forum.id}${topic}, apiRoot: "${fake.apiRoot}" }`);
          reports.push(() => telegramReport(fake));
          break;
        }
        case 'teams': {
          const fake = (f.teams = await FakeTeams.start({ perSecond: opts.teamsPerSecond }));
          env.KUBEHERALD_TEAMS_URL = fake.workflowUrl;
          sinks.push('- { name: teams, type: teams, urlFrom: { env: KUBEHERALD_TEAMS_URL } }');
          reports.push(() => teamsReport(fake));
          break;
        }
        case 'dingtalk': {
          const fake = (f.dingtalk = await FakeDingTalk.start());
          env.KUBEHERALD_DINGTALK_URL = fake.webhookUrl();
          env.KUBEHERALD_DINGTALK_SECRET = fake.robots[0].secret ?? '';
          sinks.push('- { name: dingtalk, type: dingtalk, urlFrom: { env: KUBEHERALD_DINGTALK_URL }, secretFrom: { env: KUBEHERALD_DINGTALK_SECRET } }');
          reports.push(() => dingtalkReport(fake));
          break;
        }
        case 'webhook': {
          const secret = randomBytes(24).toString('base64url');
          const fake = (f.webhook = await FakeWebhooks.start({ secret }));
          env.KUBEHERALD_WEBHOOK_SECRET = secret;
          sinks.push(`- { name: webhook, type: webhook, urls: ["${fake.url(WEBHOOK_PATH)}"], secretFrom: { env: KUBEHERALD_WEBHOOK_SECRET } }`);
          reports.push(() => webhookReport(fake));
          break;
        }
        case 'elasticsearch': {
          // the encoded form of an API key: base64 of id:key
          const apiKey = Buffer.from(`demo:${randomBytes(16).toString('hex')}`).toString('base64');
          const fake = (f.elasticsearch = await startFakeElasticsearch({ apiKey }));
          env.ES_API_KEY = apiKey;
          sinks.push(`- { name: elasticsearch, type: elasticsearch, nodes: ["${fake.url}"], dataStream: ${DATA_STREAM}, apiKeyFrom: { env: ES_API_KEY } }`);
          reports.push(() => elasticsearchReport(fake));
          break;
        }
        default: {
          const unknown: never = type;
          throw new Error(`no fake for sink type ${JSON.stringify(unknown)}`);
        }
      }
    }
  } catch (err) {
    await closeAll(f);
    throw err;
  }
  return {
    ...f,
    sinksYaml: sinks.join('\n'),
    env,
    report: () => reports.map((r) => r()),
    close: () => closeAll(f),
  };
}

async function closeAll(f: Partial<DemoFakes>): Promise<void> {
  await Promise.all([f.slack?.close(), f.telegram?.close(), f.teams?.close(), f.dingtalk?.close(), f.webhook?.close(), f.elasticsearch?.close()]);
}

/** A whole config file: a console sink (unless `console: false`) and the fakes' sinks. */
export function demoFakesConfig(fakes: Pick<DemoFakes, 'sinksYaml'>, opts: { console?: boolean } = {}): string {
  const head = '# written by scripts/demo-fakes.ts: every sink points at a local fake\nsinks:\n';
  const consoleSink = opts.console === false ? '' : '- { name: console, type: console }\n';
  // the demo plays minutes of a cluster in seconds (60×): every chat fake would be in a storm
  // digest at once, and the demo is here to show each notification as its platform renders it
  const delivery = '# the demo runs 60× faster than a cluster: no storm digest (docs/silences.md)\ndelivery: { storm: { threshold: 0 } }\n';
  return head + consoleSink + fakes.sinksYaml + '\n' + delivery;
}

// ------------------------------------------------------------ what each fake got, as its platform shows it

const plural = (n: number, word: string, many = `${word}s`): string => `${n} ${n === 1 ? word : many}`;

/** Slack mrkdwn as a reader sees it: dates and links by their text, entities decoded, bold markers gone. */
export function slackPlain(mrkdwn: string): string {
  return mrkdwn
    .replace(/<!date\^[^|>]*\|([^>]*)>/g, '$1')
    .replace(/<(https?:[^|>]*)\|([^>]*)>/g, '$2 ($1)')
    .replace(/<(https?:[^>]*)>/g, '$1')
    .replace(/\*([^*\n]+)\*/g, '$1')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');
}

interface SlackText {
  text?: string;
}
interface SlackBlock {
  type: string;
  text?: SlackText;
  fields?: SlackText[];
  elements?: SlackText[];
}

export function renderSlackMessage(m: StoredMessage): string {
  const lines: string[] = [];
  if (m.thread_ts) lines.push(`↳ reply in the thread of ${m.thread_ts}`);
  const attachments = (m.attachments ?? []) as { color?: string; blocks?: SlackBlock[] }[];
  if (attachments.length === 0) lines.push(slackPlain(m.text ?? ''));
  for (const a of attachments) {
    const bar = `▌${a.color ?? ''} `;
    for (const b of a.blocks ?? []) {
      if (b.type === 'header') lines.push(bar + (b.text?.text ?? ''));
      else if (b.fields) lines.push(bar + b.fields.map((x) => slackPlain(x.text ?? '').replace('\n', ': ')).join(' · '));
      else if (b.text) lines.push(...slackPlain(b.text.text ?? '').split('\n').map((l) => bar + l));
      else if (b.elements) lines.push(bar + b.elements.map((x) => slackPlain(x.text ?? '')).join(' '));
    }
  }
  if (m.updates > 0) lines.push(`(edited ${plural(m.updates, 'time')} since it was posted)`);
  return lines.join('\n');
}

export function slackReport(fake: FakeSlack): FakeSinkReport {
  const replies = fake.messages.filter((m) => m.thread_ts).length;
  const updates = fake.calls.filter((c) => c.method === 'chat.update' && c.status === 200).length;
  return {
    type: 'slack',
    received: fake.messages.length,
    refused: fake.calls.filter((c) => c.status !== 200 || (c.response as { ok?: boolean } | undefined)?.ok === false).length,
    notes: [`${plural(fake.parents().length, 'message')} in the channel, ${plural(replies, 'reply', 'replies')} in threads, ${plural(updates, 'message update')}`],
    texts: fake.messages.map(renderSlackMessage),
  };
}

export function renderTelegramMessage(m: SentMessage): string {
  const where = `${m.message_thread_id !== undefined ? `topic ${m.message_thread_id}` : 'chat'}${m.disable_notification ? ', silent' : ''}${m.reply_to !== undefined ? `, reply to ${m.reply_to}` : ''}`;
  return `[${where}]\n${m.plain}`;
}

export function telegramReport(fake: FakeTelegram): FakeSinkReport {
  return {
    type: 'telegram',
    received: fake.messages.length,
    refused: fake.calls.filter((c) => c.status !== 200).length,
    notes: [`${plural(fake.messages.filter((m) => m.disable_notification).length, 'message')} without a sound`],
    texts: fake.messages.map(renderTelegramMessage),
  };
}

type CardElement = Record<string, unknown>;

function renderCardElements(elements: unknown, out: string[]): void {
  if (!Array.isArray(elements)) return;
  for (const e of elements as CardElement[]) {
    switch (e.type) {
      case 'TextBlock':
        out.push(String(e.text ?? ''));
        break;
      case 'FactSet':
        for (const fact of (e.facts ?? []) as { title: string; value: string }[]) out.push(`  ${fact.title}: ${fact.value}`);
        break;
      case 'Container':
        if (e.separator) out.push('  ──');
        renderCardElements(e.items, out);
        break;
      case 'ColumnSet':
        for (const c of (e.columns ?? []) as CardElement[]) renderCardElements(c.items, out);
        break;
      default:
        out.push(`[${String(e.type)}]`);
    }
  }
}

export function renderTeamsCard(card: Record<string, unknown>): string {
  const out: string[] = [];
  renderCardElements(card.body, out);
  const actions = (card.actions ?? []) as { title?: string; url?: string }[];
  if (actions.length > 0) out.push(actions.map((a) => `[ ${a.title} ] → ${a.url}`).join('   '));
  return out.join('\n');
}

export function teamsReport(fake: FakeTeams): FakeSinkReport {
  return {
    type: 'teams',
    received: fake.cards.length,
    refused: fake.posts.filter((p) => p.status >= 300 || p.response === THROTTLED_BODY).length,
    notes: [`${plural(fake.posts.filter((p) => p.status === 429).length, 'request')} throttled (429)`],
    texts: fake.cards.map(renderTeamsCard),
  };
}

export function renderDingTalkMessage(m: DingTalkMessageSeen): string {
  const body = m.body as { markdown?: { text?: string }; text?: { content?: string } };
  const text = m.msgtype === 'markdown' ? (body.markdown?.text ?? '') : (body.text?.content ?? '');
  const mentions = [...(m.at?.atMobiles ?? []).map((x) => `@${x}`), ...(m.at?.isAtAll ? ['@all'] : [])];
  // DingTalk renders the colour of <font> and drops the tag
  return text.replace(/<\/?font[^>]*>/g, '') + (mentions.length > 0 ? `\n${mentions.join(' ')}` : '');
}

export function dingtalkReport(fake: FakeDingTalk): FakeSinkReport {
  const signed = fake.requests.filter((r) => r.query.has('sign')).length;
  return {
    type: 'dingtalk',
    received: fake.messages.length,
    refused: fake.requests.filter((r) => r.errcode !== 0).length,
    notes: [`${plural(signed, 'request')} signed`, `${plural(fake.requests.filter((r) => r.errcode === 130101).length, 'request')} over the 20-a-minute limit`],
    texts: fake.messages.map(renderDingTalkMessage),
  };
}

const MAX_JSON_LINES = 30;

function clippedJson(value: unknown): string {
  const lines = JSON.stringify(value, null, 2).split('\n');
  return lines.length <= MAX_JSON_LINES ? lines.join('\n') : [...lines.slice(0, MAX_JSON_LINES), `  … ${lines.length - MAX_JSON_LINES} more lines`].join('\n');
}

export function renderWebhookRequest(r: Received): string {
  const h = (name: string): string => String(r.headers[name] ?? '');
  const signature = h('webhook-signature');
  return [
    `POST ${r.path}  →  ${r.status}${r.verified === true ? ' (signature verified)' : ''}`,
    `webhook-id: ${h('webhook-id')}`,
    `webhook-timestamp: ${h('webhook-timestamp')}`,
    `webhook-signature: ${signature.length > 20 ? signature.slice(0, 20) + '…' : signature}`,
    '',
    r.body === undefined ? r.raw : clippedJson(r.body),
  ].join('\n');
}

export function webhookReport(fake: FakeWebhooks): FakeSinkReport {
  const accepted = fake.accepted(WEBHOOK_PATH);
  return {
    type: 'webhook',
    received: accepted.length,
    refused: fake.received.length - accepted.length,
    notes: [`${plural(accepted.filter((r) => r.verified === true).length, 'signature')} checked with the documented verifier`],
    texts: accepted.map(renderWebhookRequest),
  };
}

export function renderElasticsearchDocument(d: StoredDocument): string {
  return `${d._index} _id ${d._id}\n${clippedJson(d._source)}`;
}

export function elasticsearchReport(fake: FakeElasticsearch): FakeSinkReport {
  const docs = fake.documents(DATA_STREAM);
  return {
    type: 'elasticsearch',
    received: docs.length,
    refused: fake.requests.filter((r) => r.status >= 300).length,
    notes: [`${plural(fake.bulkRequests().length, 'bulk request')}, data stream ${DATA_STREAM}${fake.templates.has(DATA_STREAM) ? ' (index template installed)' : ''}`],
    texts: docs.map(renderElasticsearchDocument),
  };
}

const HELD_BY: Record<HoldReason['by'], string> = { inhibition: 'inhibition', silence: 'a silence', window: 'a time window' };

/** "2 held back by inhibition, 1 by a silence": what was kept out of a chat sink on purpose (not sent later), by what held it. */
export function heldText(held: ReadonlyMap<string, HoldReason> | undefined, delivered: ReadonlySet<string> | undefined): { count: number; text: string } {
  const by = new Map<HoldReason['by'], number>();
  for (const [key, reason] of held ?? []) if (!delivered?.has(key)) by.set(reason.by, (by.get(reason.by) ?? 0) + 1);
  const parts = [...by].map(([kind, n], i) => `${i === 0 ? `${n} held back` : n} by ${HELD_BY[kind]}`);
  return { count: [...by.values()].reduce((a, n) => a + n, 0), text: parts.join(', ') };
}

/**
 * The end-of-run summary. Per fake: how many of the notifications reached it,
 * and in how many messages (a chat sink groups what comes together, as it
 * does for a user), how many the outbox held back from it on purpose
 * (inhibition, silences, time windows: record sinks get those too, marked);
 * `delivered` and `held` are the demo's own account by sink id
 * (DemoRun.delivered, DemoRun.held), without `delivered` every message counts
 * as one notification; its last message.
 */
export function formatFakesSummary(
  reports: readonly FakeSinkReport[],
  notified: number,
  delivered?: ReadonlyMap<string, ReadonlySet<string>>,
  held?: ReadonlyMap<string, ReadonlyMap<string, HoldReason>>,
): string {
  const out: string[] = [''];
  let missing = 0;
  let heldBackAny = false;
  for (const r of reports) {
    const sink = `config/${r.type}`;
    const got = delivered ? (delivered.get(sink)?.size ?? 0) : r.received;
    const kept = heldText(held?.get(sink), delivered?.get(sink));
    missing += Math.max(0, notified - got - kept.count);
    const refused = r.refused > 0 ? `; ${plural(r.refused, 'request')} refused` : '';
    const messages = got !== r.received ? ` in ${plural(r.received, 'message')}` : '';
    const heldBack = kept.count > 0 ? `, ${kept.text}` : '';
    heldBackAny ||= kept.count > 0;
    out.push(`── ${r.type}: ${got} of ${plural(notified, 'notification')} received${messages}${heldBack}${refused} (${r.notes.join('; ')})`);
    const last = r.texts.at(-1);
    out.push(last === undefined ? '   (nothing received)' : last.split('\n').map((l) => `   ${l}`).join('\n'), '');
  }
  if (heldBackAny) {
    out.push(
      'What was held back stays out of chat on purpose (a cause tells its effects\' story, a silence, a time window);',
      'record sinks got it marked inhibitedBy, silencedBy or mutedBy: nothing is lost.',
      '',
    );
  }
  if (missing > 0) {
    out.push(
      'Some notifications did not reach a fake; the errors above say why. Teams takes 4 requests a second and a',
      'DingTalk robot 20 a minute (the sink holds back the 21st); a lower --speed spreads the demo out.',
      '',
    );
  }
  return out.join('\n');
}

// ------------------------------------------------------------ the command

const USAGE = `usage: npm run demo:fakes -- <${FAKE_SINK_TYPES.join('|')}|all>… [--once] [--speed N] [--log-level L]`;

/** The platforms named on the command line ("all" is every one); throws on an unknown name. */
export function parseSinkTypes(names: readonly string[]): FakeSinkType[] {
  if (names.length === 0) throw new Error(`name at least one platform\n${USAGE}`);
  const types = new Set<FakeSinkType>();
  for (const n of names) {
    if (n === 'all') FAKE_SINK_TYPES.forEach((t) => types.add(t));
    else if ((FAKE_SINK_TYPES as readonly string[]).includes(n)) types.add(n as FakeSinkType);
    else throw new Error(`unknown platform ${JSON.stringify(n)}\n${USAGE}`);
  }
  return [...types];
}

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { once: { type: 'boolean', default: false }, speed: { type: 'string', default: '20' }, 'log-level': { type: 'string', default: 'warn' } },
  });
  const types = parseSinkTypes(positionals);
  const speed = Number(values.speed);
  if (!(speed > 0)) throw new Error(`--speed: expected a positive number, got "${values.speed}"`);

  const fakes = await startDemoFakes(types);
  const dir = mkdtempSync(join(tmpdir(), 'kubeherald-demo-fakes-'));
  try {
    const configFile = join(dir, 'kubeherald.yaml');
    writeFileSync(configFile, demoFakesConfig(fakes));
    process.stderr.write(
      `kubeherald demo → local fakes of ${types.join(', ')} (config ${configFile}; credentials in ${Object.keys(fakes.env).join(', ')})\n` +
        `${values.once ? 'playing the demo scenario to the end' : 'Ctrl-C to stop and see what each fake received'} at ${speed}× speed\n\n`,
    );
    const run = await runDemo({ once: values.once, speed, configFile, logLevel: values['log-level'], env: { ...process.env, ...fakes.env } });
    process.stdout.write(formatFakesSummary(fakes.report(), run.notifications.length, run.delivered, run.held));
    if (!run.report) return 0;
    process.stdout.write(formatReport(run.report));
    return run.report.ok ? 0 : 1;
  } finally {
    await fakes.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.main) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      process.stderr.write(`demo:fakes: ${(err as Error).message}\n`);
      process.exitCode = 2;
    },
  );
}
