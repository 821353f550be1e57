// Notifications as Slack messages: Block Kit inside one attachment, because
// an attachment's colour bar is the only way Slack shows a severity colour.
// Pure: the same notification always gives the same payload.
//
// Slack's documented limits are kept here, visibly: 50 blocks per message,
// 150 characters in a header, 3,000 in a section's text, 10 fields of 2,000
// characters each. What does not fit is cut with "…" and says so.

import { type Notification, State } from '../../model/notification.ts';
import { alertActionsIn } from '../alert-actions.ts';
import { crashReportTitle } from '../crash-report.ts';
import { emojiFor, type SeverityWord, type Summary, summarize, timesSeen, truncate, whereOf, worstOf } from '../summary.ts';

export interface TextObject {
  type: 'plain_text' | 'mrkdwn';
  text: string;
  emoji?: boolean;
}

export type Block =
  | { type: 'header'; text: TextObject }
  | { type: 'section'; text: TextObject }
  | { type: 'section'; fields: TextObject[] }
  | { type: 'context'; elements: TextObject[] }
  | { type: 'actions'; elements: Button[] };

export interface Button {
  type: 'button';
  action_id: string;
  text: TextObject;
  value: string;
  style?: 'primary' | 'danger';
}

export interface SlackAttachment {
  color: string;
  /** shown where attachments cannot be (old clients, some notifications) */
  fallback: string;
  blocks: Block[];
}

/** The body of chat.postMessage / chat.update / an incoming webhook, without channel or thread. */
export interface SlackMessage {
  /** the notification text (push, screen readers); Slack shows the attachment in the channel */
  text: string;
  attachments: SlackAttachment[];
}

export interface SlackFormatOptions {
  /** see SlackSinkConfig.linkTemplate */
  linkTemplate?: string;
  /** a group lists at most this many notifications, then "…and N more" (default 20, at most 40) */
  maxGroupItems?: number;
  /** buttons for the next step on alerts that have one (see SlackSinkConfig.actions) */
  actions?: boolean;
  /** the channel it posts to: a "Silence 1h" button is honoured only when pressed there */
  channel?: string;
}

export const LIMITS = {
  blocks: 50,
  headerText: 150,
  sectionText: 3000,
  fields: 10,
  fieldText: 2000,
  contextElements: 10,
} as const;

const TRUNCATED = '… [truncated]';
const FALLBACK_MAX = 500;
const GROUP_ITEM_MESSAGE_MAX = 280;

export const COLORS: Record<SeverityWord | 'resolved', string> = {
  critical: '#E01E5A',
  warning: '#ECB22E',
  info: '#36C5F0',
  unknown: '#9E9E9E',
  resolved: '#2EB67D',
};

/** Slack's three control characters in mrkdwn (https://docs.slack.dev/messaging/formatting-message-text#escaping). */
export function escapeMrkdwn(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** Escaped, and at most `max` characters once escaped; an entity is never cut in half. */
export function fitMrkdwn(raw: string, max: number, suffix = '…'): string {
  const whole = escapeMrkdwn(raw);
  if (whole.length <= max) return whole;
  const room = Math.max(0, max - suffix.length);
  let out = '';
  for (const ch of raw) {
    const e = escapeMrkdwn(ch);
    if (out.length + e.length > room) break;
    out += e;
  }
  return out + suffix;
}

function colorOf(s: Summary): string {
  return COLORS[s.state === 'RESOLVED' ? 'resolved' : s.severity];
}

/** `<!date^…>` shows the time in each reader's own time zone, with the UTC text as fallback. */
function slackDate(s: Summary): string {
  if (!s.epochSeconds) return '';
  return `<!date^${s.epochSeconds}^{date_short_pretty} {time_secs}|${escapeMrkdwn(s.time)}>`;
}

function linkText(url: string, label: string): string {
  // the URL's own & < > are escaped too; "|" would end the URL early
  return url ? `<${escapeMrkdwn(url).replace(/\|/g, '%7C')}|${label}>` : '';
}

function header(text: string): Block {
  return { type: 'header', text: { type: 'plain_text', text: truncate(text, LIMITS.headerText), emoji: true } };
}

function factsBlock(s: Summary): Block | undefined {
  const fields = s.facts.slice(0, LIMITS.fields).map((f) => ({ type: 'mrkdwn' as const, text: `*${f.label}*\n${fitMrkdwn(f.value, LIMITS.fieldText - f.label.length - 3)}` }));
  return fields.length > 0 ? { type: 'section', fields } : undefined;
}

function messageBlock(message: string): Block | undefined {
  // plain text: cluster-supplied words cannot format, link or mention anyone
  return message ? { type: 'section', text: { type: 'plain_text', text: truncate(message, LIMITS.sectionText, TRUNCATED), emoji: false } } : undefined;
}

function context(parts: string[]): Block {
  return { type: 'context', elements: [{ type: 'mrkdwn', text: truncate(parts.filter(Boolean).join(' · '), LIMITS.sectionText) }] };
}

/** The alert's buttons while it fires: pressing one runs the command as the person who pressed it (chatops). */
function actionsBlock(opened: Notification, latest: Notification, opts: SlackFormatOptions): Block | undefined {
  if (!opts.actions || latest.state === State.RESOLVED) return undefined;
  const elements = alertActionsIn(opened, opts.channel).map((a): Button => ({
    type: 'button',
    action_id: a.id,
    text: { type: 'plain_text', text: a.label, emoji: true },
    value: a.value,
    ...(a.style ? { style: a.style } : {}),
  }));
  return elements.length > 0 ? { type: 'actions', elements } : undefined;
}

/** Escaped, at most `max` characters, cut at the front: the end of a log is where the crash is. */
function fitTail(raw: string, max: number, prefix = '…'): string {
  const whole = escapeMrkdwn(raw);
  if (whole.length <= max) return whole;
  const chars = [...raw];
  let out = '';
  for (let i = chars.length - 1; i >= 0; i--) {
    const e = escapeMrkdwn(chars[i]);
    if (out.length + e.length > max - prefix.length) break;
    out = e + out;
  }
  return prefix + out;
}

/** The crashed container's last log lines, as a code block under a line saying what they are. */
function crashReportBlocks(n: Notification): Block[] {
  const r = n.crashReport;
  if (!r) return [];
  const title = context([`:page_facing_up: ${fitMrkdwn(crashReportTitle(r), 500)}`]);
  if (r.error || !r.log.trim()) return [title];
  // mrkdwn has no escape for ``` inside a code block: a zero-width joiner keeps one from closing it
  const log = r.log.replace(/\r/g, '').replace(/```/g, '`\u200d``').replace(/\n+$/, '');
  return [title, { type: 'section', text: { type: 'mrkdwn', text: '```' + fitTail(log, LIMITS.sectionText - 6) + '```' } }];
}

function fallbackText(s: Summary): string {
  return fitMrkdwn(`${s.emoji} ${s.state} ${s.severity} ${s.reason || s.object}: ${s.title}`, FALLBACK_MAX);
}

function message(color: string, text: string, blocks: (Block | undefined)[]): SlackMessage {
  const kept = blocks.filter((b): b is Block => b !== undefined).slice(0, LIMITS.blocks);
  return { text, attachments: [{ color, fallback: text, blocks: kept }] };
}

function countNote(s: Summary): string {
  const seen = timesSeen(s);
  return seen ? `seen ${seen}×` : '';
}

/**
 * A new message: one notification (header, facts, message, status line) or
 * a group (one line each, "…and N more" past the limit).
 */
export function formatSlackMessage(input: Notification | readonly Notification[], opts: SlackFormatOptions = {}): SlackMessage {
  if (!Array.isArray(input)) return formatSlackParent(input as Notification, input as Notification, opts);
  const ns = input as readonly Notification[];
  if (ns.length === 1) return formatSlackParent(ns[0], ns[0], opts);
  return formatGroup(ns, opts);
}

/**
 * The first message of an incident as it should look now: what `opened` said,
 * with the colour and status line of `latest` (still firing, resolved).
 */
export function formatSlackParent(opened: Notification, latest: Notification, opts: SlackFormatOptions = {}): SlackMessage {
  const first = summarize(opened, opts);
  const now = opened === latest ? first : summarize(latest, opts);
  const status =
    opened === latest
      ? [`*${now.state}*`, now.severity, slackDate(now), countNote(now)]
      : now.state === 'RESOLVED'
        ? [`*RESOLVED*`, `was ${first.severity}`, first.epochSeconds ? `fired ${slackDate(first)}` : '', now.epochSeconds ? `resolved ${slackDate(now)}` : '']
        : [`*${now.state}*`, now.severity, first.epochSeconds ? `since ${slackDate(first)}` : '', now.epochSeconds ? `last ${slackDate(now)}` : '', countNote(now)];
  // restarts move on while an incident lasts: show the latest count
  const restarts = now.facts.find((f) => f.label === 'Restarts');
  const facts = first.facts.map((f) => (f.label === 'Restarts' && restarts ? restarts : f));
  return message(colorOf(now), fallbackText({ ...first, emoji: now.emoji, state: now.state }), [
    header(`${now.emoji} ${first.title}`),
    factsBlock({ ...first, facts }),
    messageBlock(first.message),
    ...crashReportBlocks(latest.crashReport ? latest : opened),
    actionsBlock(opened, latest, opts),
    context([...status, linkText(first.link, 'Open')]),
  ]);
}

/** A reply in an incident's thread: its state and message, short. */
export function formatSlackReply(n: Notification, opts: SlackFormatOptions = {}): SlackMessage {
  const s = summarize(n, opts);
  const what = s.state === 'RESOLVED' ? 'Resolved' : s.state === 'FIRING' ? 'Still firing' : 'Update';
  return message(colorOf(s), fallbackText(s), [
    context([`${s.emoji} *${what}*`, s.severity, fitMrkdwn(s.reason, 200), slackDate(s), countNote(s), linkText(s.link, 'Open')]),
    messageBlock(s.message),
  ]);
}

function formatGroup(ns: readonly Notification[], opts: SlackFormatOptions): SlackMessage {
  const max = Math.min(Math.max(1, opts.maxGroupItems ?? 20), 40);
  const summaries = ns.map((n) => summarize(n, opts));
  const worst = worstOf(ns);
  const emoji = emojiFor(worst);
  const clusters = new Set(summaries.map((s) => s.facts.find((f) => f.label === 'Cluster')?.value ?? ''));
  const cluster = clusters.size === 1 ? [...clusters][0] : '';
  const firing = summaries.filter((s) => s.state !== 'RESOLVED').length;
  const title = `${ns.length} notifications${cluster ? ` from ${cluster}` : ''}`;
  const items: Block[] = summaries.slice(0, max).map((s) => {
    const where = whereOf(s);
    const head = [`${s.emoji} *${escapeMrkdwn(s.state)} ${fitMrkdwn(s.reason || s.title, 200)}*`, where ? fitMrkdwn(where, 300) : '', linkText(s.link, 'Open')].filter(Boolean).join(' · ');
    const body = s.message ? `\n${fitMrkdwn(s.message, GROUP_ITEM_MESSAGE_MAX)}` : '';
    return { type: 'section', text: { type: 'mrkdwn', text: head + body } };
  });
  const more = ns.length > max ? context([`_…and ${ns.length - max} more_`]) : undefined;
  const first = summaries.find((s) => s.epochSeconds);
  return message(COLORS[worst], fitMrkdwn(`${emoji} ${title}: ${firing} firing, ${ns.length - firing} resolved`, FALLBACK_MAX), [
    header(`${emoji} ${title}`),
    ...items,
    more,
    context([`${firing} firing`, `${ns.length - firing} resolved`, first ? slackDate(first) : '']),
  ]);
}
