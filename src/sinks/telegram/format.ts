// Notifications as Telegram messages, in HTML or MarkdownV2. Pure.
//
// The message is built as lines of styled spans first, so its length can be
// measured the way Telegram does (4,096 characters of text after entity
// parsing, not counting markup) and then written in either markup with every
// reserved character escaped. What does not fit is cut with "…" and says so.

import type { Notification } from '../../model/notification.ts';
import { type AlertAction, alertActionsIn, telegramCallbackData } from '../alert-actions.ts';
import { crashReportTitle } from '../crash-report.ts';
import { emojiFor, type Summary, summarize, truncate, whereOf, worstOf } from '../summary.ts';

export type ParseMode = 'HTML' | 'MarkdownV2';
export type SilentClass = 'critical' | 'warning' | 'info' | 'resolved';

/** The sendMessage parameters a notification decides; chat_id and message_thread_id come from the config. */
export interface TelegramMessage {
  text: string;
  parse_mode: ParseMode;
  disable_notification: boolean;
  link_preview_options: { is_disabled: true };
  /** an alert's buttons (actions: true), each with callback_data of at most 64 bytes */
  reply_markup?: { inline_keyboard: { text: string; callback_data: string }[][] };
}

export interface TelegramFormatOptions {
  parseMode: ParseMode;
  /** deliver without sound when every notification is one of these (default info) */
  silentFor?: readonly SilentClass[];
  linkTemplate?: string;
  /** a group lists at most this many notifications, then "…and N more" (default 20) */
  maxGroupItems?: number;
  /** default 4096, Telegram's limit */
  maxLength?: number;
  /** buttons for the next step on alerts that have one (see TelegramSinkConfig.actions) */
  actions?: boolean;
  /** the chat it posts to (as the chat adapter reports it): a "Silence 1h" button is honoured only when pressed there */
  chatId?: string;
  /**
   * A button's callback_data (at most 64 bytes), undefined to leave it out.
   * Default: the action inline (telegramCallbackData), so long names lose
   * their buttons; the sink passes telegramButtonData (buttons.ts) to keep
   * them behind a stored token.
   */
  callbackData?: (a: AlertAction, n: Notification) => string | undefined;
}

export const MAX_MESSAGE_LENGTH = 4096;
const TRUNCATED = '… [truncated]';
const TITLE_MAX = 256;
const VALUE_MAX = 256;
const GROUP_ITEM_MESSAGE_MAX = 200;
/** A crash report's share of a message: the rest stays for the alert itself. */
const CRASH_REPORT_MAX = 2000;

interface Span {
  text: string;
  style?: 'bold' | 'italic' | 'code' | 'pre';
  href?: string;
}
type Line = Span[];

// ---- escaping (https://core.telegram.org/bots/api#formatting-options)

/** HTML: every <, > and & that is not markup becomes an entity; " too, for attribute values. */
export function escapeHtml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** MarkdownV2 text: the 18 reserved characters and the backslash itself get a backslash. */
export function escapeMarkdownV2(s: string): string {
  return s.replace(/[_*[\]()~`>#+\-=|{}.!\\]/g, '\\$&');
}

/** MarkdownV2 inside `code` and ```pre```: only ` and \. */
export function escapeMarkdownV2Code(s: string): string {
  return s.replace(/[`\\]/g, '\\$&');
}

/** MarkdownV2 inside the (…) of a link: only ) and \. */
export function escapeMarkdownV2Url(s: string): string {
  return s.replace(/[)\\]/g, '\\$&');
}

function renderSpan(s: Span, mode: ParseMode): string {
  if (!s.text) return '';
  if (mode === 'HTML') {
    const t = escapeHtml(s.text);
    if (s.href) return `<a href="${escapeHtml(s.href)}">${t}</a>`;
    return s.style === 'bold' ? `<b>${t}</b>` : s.style === 'italic' ? `<i>${t}</i>` : s.style === 'code' ? `<code>${t}</code>` : s.style === 'pre' ? `<pre>${t}</pre>` : t;
  }
  if (s.style === 'pre') return `\`\`\`\n${escapeMarkdownV2Code(s.text)}\n\`\`\``;
  if (s.href) return `[${escapeMarkdownV2(s.text)}](${escapeMarkdownV2Url(s.href)})`;
  if (s.style === 'code') return `\`${escapeMarkdownV2Code(s.text)}\``;
  const t = escapeMarkdownV2(s.text);
  return s.style === 'bold' ? `*${t}*` : s.style === 'italic' ? `_${t}_` : t;
}

function render(lines: Line[], mode: ParseMode): string {
  return lines.map((l) => l.map((s) => renderSpan(s, mode)).join('')).join('\n');
}

/** What Telegram counts: the text without markup, in UTF-16 units. */
function visibleLength(lines: Line[]): number {
  return lines.reduce((sum, l) => sum + l.reduce((n, s) => n + s.text.length, 0), 0) + Math.max(0, lines.length - 1);
}

function linkSpan(url: string): Span[] {
  return url ? [{ text: 'Open', href: url }] : [];
}

function silentClass(s: Summary): SilentClass | undefined {
  if (s.state === 'RESOLVED') return 'resolved';
  return s.severity === 'unknown' ? undefined : s.severity;
}

function headLine(s: Summary): Line {
  return [{ text: `${s.emoji} ` }, { text: s.state, style: 'bold' }, { text: ` · ${s.severity}` }, ...(s.reason ? [{ text: ' · ' }, { text: truncate(s.reason, VALUE_MAX), style: 'bold' as const }] : [])];
}

/** The crashed container's last log lines as a preformatted block, cut at the front (the crash is at the end). */
function crashReportLines(n: Notification): Line[] {
  const r = n.crashReport;
  if (!r) return [];
  const title: Line = [{ text: '📄 ' }, { text: truncate(crashReportTitle(r), TITLE_MAX), style: 'italic' }];
  const log = r.log.replace(/\r/g, '').replace(/\n+$/, '');
  if (r.error || !log.trim()) return [[], title];
  const cut = log.length > CRASH_REPORT_MAX ? `…${log.slice(log.length - CRASH_REPORT_MAX + 1)}` : log;
  return [[], title, [{ text: cut, style: 'pre' }]];
}

function single(s: Summary, max: number, n?: Notification): Line[] {
  const top: Line[] = [headLine(s), [{ text: truncate(s.title, TITLE_MAX), style: 'bold' }]];
  // the reason already leads the first line
  const facts = s.facts.filter((f) => f.label !== 'Reason');
  if (facts.length > 0) top.push([], ...facts.map((f): Line => [{ text: `${f.label}: ` }, { text: truncate(f.value, VALUE_MAX), style: 'code' }]));
  const crash = n ? crashReportLines(n) : [];
  const footer: Line[] = s.time || s.link ? [[], [{ text: s.time }, ...(s.time && s.link ? [{ text: ' · ' }] : []), ...linkSpan(s.link)]] : [];
  if (!s.message) return [...top, ...crash, ...footer];
  // the message gets what the rest leaves: its blank line before, and its own line breaks
  const room = max - visibleLength([...top, ...crash, ...footer]) - 2;
  const message = truncate(s.message, Math.max(room, TRUNCATED.length), TRUNCATED);
  return [...top, [], ...message.split('\n').map((t): Line => [{ text: t }]), ...crash, ...footer];
}

function group(ns: readonly Notification[], summaries: Summary[], opts: TelegramFormatOptions, max: number): Line[] {
  const limit = Math.max(1, opts.maxGroupItems ?? 20);
  const clusters = new Set(summaries.map((s) => s.facts.find((f) => f.label === 'Cluster')?.value ?? ''));
  const cluster = clusters.size === 1 ? [...clusters][0] : '';
  const firing = summaries.filter((s) => s.state !== 'RESOLVED').length;
  const lines: Line[] = [
    [{ text: `${emojiFor(worstOf(ns))} ` }, { text: `${ns.length} notifications`, style: 'bold' }, ...(cluster ? [{ text: ` · ${cluster}` }] : [])],
    [{ text: `${firing} firing, ${ns.length - firing} resolved` }],
  ];
  const moreLine = (left: number): Line => [{ text: `…and ${left} more`, style: 'italic' }];
  let shown = 0;
  for (const s of summaries) {
    if (shown >= limit) break;
    const where = whereOf(s);
    const item: Line[] = [
      [],
      [{ text: `${s.emoji} ` }, { text: truncate(`${s.state} ${s.reason || s.title}`, VALUE_MAX), style: 'bold' }, ...(where ? [{ text: ' ' }, { text: truncate(where, VALUE_MAX), style: 'code' as const }] : []), ...(s.link ? [{ text: ' ' }, ...linkSpan(s.link)] : [])],
      ...(s.message ? [[{ text: truncate(s.message.replace(/\n+/g, ' '), GROUP_ITEM_MESSAGE_MAX) }]] : []),
    ];
    // keep room for the "…and N more" line whenever something is left out
    const reserve = shown + 1 < summaries.length ? visibleLength([[], moreLine(summaries.length)]) + 1 : 0;
    if (visibleLength([...lines, ...item]) + reserve > max) break;
    lines.push(...item);
    shown++;
  }
  if (shown < summaries.length) lines.push([], moreLine(summaries.length - shown));
  return lines;
}

/** One notification, or a group of them as one message. */
export function formatTelegram(input: Notification | readonly Notification[], opts: TelegramFormatOptions): TelegramMessage {
  const ns: readonly Notification[] = Array.isArray(input) ? (input as readonly Notification[]) : [input as Notification];
  const max = opts.maxLength ?? MAX_MESSAGE_LENGTH;
  const summaries = ns.map((n) => summarize(n, { linkTemplate: opts.linkTemplate }));
  const lines = summaries.length === 1 ? single(summaries[0], max, ns[0]) : group(ns, summaries, opts, max);
  const silentFor = opts.silentFor ?? ['info'];
  return {
    text: render(lines, opts.parseMode),
    parse_mode: opts.parseMode,
    disable_notification: summaries.length > 0 && summaries.every((s) => {
      const c = silentClass(s);
      return c !== undefined && silentFor.includes(c);
    }),
    link_preview_options: { is_disabled: true },
    ...(opts.actions && ns.length === 1 ? keyboard(ns[0], opts) : {}),
  };
}

/** One row of buttons; a button without callback_data (too long inline, no token) is left out rather than cut. */
function keyboard(n: Notification, opts: TelegramFormatOptions): Pick<TelegramMessage, 'reply_markup'> {
  const data = opts.callbackData ?? telegramCallbackData;
  const row = alertActionsIn(n, opts.chatId).flatMap((a) => {
    const d = data(a, n);
    return d === undefined ? [] : [{ text: a.label, callback_data: d }];
  });
  return row.length > 0 ? { reply_markup: { inline_keyboard: [row] } } : {};
}
