// What the DingTalk sink posts to a custom robot, pure: a markdown message
// (title for the chat list, text in DingTalk's Markdown subset) or a text
// message, with @-mentions by mobile for firing notifications. A robot may
// require a keyword in every message ("自定义关键词"): it is added where the
// message lacks it. DingTalk asks senders to fold bursts of alerts into one
// markdown summary, which is what a group becomes.

import type { Notification } from '../../model/notification.ts';
import { State } from '../../model/notification.ts';
import { byteLength, cleanLine, allFacts, groupHeadline, whereOf, type SeverityWord, type Summary, summarize, truncate, worstOf } from '../summary.ts';

/** Kept under DingTalk's 20000-byte message limit, with room for the mentions line. */
export const MAX_CONTENT_BYTES = 18_000;

const MAX_TITLE = 200;
const MAX_MESSAGE = 3000;
const MAX_FACT = 500;
const MAX_GROUP_MESSAGE = 300;

export interface DingTalkAt {
  atMobiles: string[];
  isAtAll: boolean;
}

export type DingTalkMessage =
  | { msgtype: 'markdown'; markdown: { title: string; text: string }; at?: DingTalkAt }
  | { msgtype: 'text'; text: { content: string }; at?: DingTalkAt };

export interface DingTalkFormatOptions {
  msgType: 'markdown' | 'text';
  /** the robot's security keyword; "" for none */
  keyword?: string;
  atMobiles?: readonly string[];
  atAll?: boolean;
  maxBytes?: number;
}

const COLOR: Record<SeverityWord | 'resolved', string> = {
  critical: '#D93025',
  warning: '#E37400',
  info: '#1A73E8',
  unknown: '',
  resolved: '#188038',
};

/** Cluster text in DingTalk Markdown: no emphasis, links or HTML (`<font>` is markup there) can come from an Event message. */
export function escapeDingTalkMarkdown(s: string): string {
  return s
    .replace(/[\\*_`[\]]/g, (c) => `\\${c}`)
    .replace(/</g, '&lt;')
    .replace(/^([#>+-])/, '\\$1')
    .replace(/^(\d+)\./, '$1\\.');
}

function toneOf(s: Summary): SeverityWord | 'resolved' {
  return s.state === 'RESOLVED' ? 'resolved' : s.severity;
}

function paint(tone: SeverityWord | 'resolved', text: string): string {
  return COLOR[tone] ? `<font color=${COLOR[tone]}>${text}</font>` : text;
}

function statusWords(s: Summary): string {
  return [s.state, s.severity, s.reason].filter(Boolean).join(' · ');
}

/** Mentions apply while something fires: nobody needs waking for a recovery. */
function mentions(ns: readonly Notification[], opts: DingTalkFormatOptions): DingTalkAt | undefined {
  const mobiles = opts.atMobiles ?? [];
  if (!ns.some((n) => n.state === State.FIRING) || (mobiles.length === 0 && !opts.atAll)) return undefined;
  return { atMobiles: [...mobiles], isAtAll: opts.atAll ?? false };
}

/** DingTalk only highlights a mention whose @mobile also appears in the text (isAtAll needs no text). */
function mentionLine(at: DingTalkAt | undefined): string {
  return at ? at.atMobiles.map((m) => `@${m}`).join(' ') : '';
}

function withKeyword(text: string, keyword: string): string {
  return keyword && !text.includes(keyword) ? `[${keyword}] ${text}` : text;
}

interface Limits {
  message: number;
  fact: number;
  facts: number;
}

function singleMarkdown(s: Summary, kw: string, at: DingTalkAt | undefined, l: Limits): DingTalkMessage {
  const title = withKeyword(truncate(`${statusWords(s)}: ${s.title}`, MAX_TITLE), kw);
  // the keyword is configuration, not cluster text: it goes in as written, since the robot looks for it verbatim
  const head = withKeyword(escapeDingTalkMarkdown(statusWords(s)), kw);
  // DingTalk's Markdown needs a blank line to break a paragraph; list items may follow each other
  const lines = [`#### ${paint(toneOf(s), head)}`, '', `**${escapeDingTalkMarkdown(truncate(s.title, MAX_TITLE))}**`];
  if (s.message && l.message > 0) lines.push('', escapeDingTalkMarkdown(truncate(cleanLine(s.message), l.message)));
  const facts = allFacts(s).slice(0, l.facts);
  if (facts.length > 0) lines.push('', ...facts.map(({ label, value }) => `- **${escapeDingTalkMarkdown(label)}:** ${escapeDingTalkMarkdown(truncate(value, l.fact))}`));
  const mention = mentionLine(at);
  if (mention) lines.push('', mention);
  return { msgtype: 'markdown', markdown: { title, text: lines.join('\n') }, ...(at ? { at } : {}) };
}

function singleText(s: Summary, kw: string, at: DingTalkAt | undefined, l: Limits): DingTalkMessage {
  const lines = [withKeyword(statusWords(s), kw), truncate(s.title, MAX_TITLE)];
  if (s.message && l.message > 0) lines.push(truncate(cleanLine(s.message), l.message));
  lines.push(...allFacts(s).slice(0, l.facts).map(({ label, value }) => `${label}: ${truncate(value, l.fact)}`));
  const mention = mentionLine(at);
  if (mention) lines.push(mention);
  return { msgtype: 'text', text: { content: lines.join('\n') }, ...(at ? { at } : {}) };
}

function contentBytes(m: DingTalkMessage): number {
  return m.msgtype === 'markdown' ? byteLength(m.markdown.title) + byteLength(m.markdown.text) : byteLength(m.text.content);
}

function single(n: Notification, opts: DingTalkFormatOptions, maxBytes: number): DingTalkMessage {
  const s = summarize(n);
  const kw = opts.keyword ?? '';
  const at = mentions([n], opts);
  const build = opts.msgType === 'markdown' ? singleMarkdown : singleText;
  const l: Limits = { message: MAX_MESSAGE, fact: MAX_FACT, facts: allFacts(s).length };
  let m = build(s, kw, at, l);
  // shrink step by step until it fits: detector details first (long values, then the message, then facts from the end)
  while (contentBytes(m) > maxBytes) {
    if (l.fact > 100) l.fact = Math.floor(l.fact / 2);
    else if (l.message > 200) l.message = Math.floor(l.message / 2);
    else if (l.facts > 0) l.facts -= 1;
    else if (l.message > 0) l.message = 0;
    else break;
    m = build(s, kw, at, l);
  }
  return m;
}

function groupLine(n: Notification, markdown: boolean): string {
  const s = summarize(n);
  const where = whereOf(s) ? ` · ${whereOf(s)}` : '';
  const msg = s.message ? ` — ${truncate(cleanLine(s.message), MAX_GROUP_MESSAGE)}` : '';
  if (!markdown) return `- ${statusWords(s)}: ${truncate(s.title, MAX_TITLE)}${where}${msg}`;
  return `- ${paint(toneOf(s), escapeDingTalkMarkdown(statusWords(s)))}: **${escapeDingTalkMarkdown(truncate(s.title, MAX_TITLE))}**${escapeDingTalkMarkdown(where)}${escapeDingTalkMarkdown(msg)}`;
}

function group(ns: readonly Notification[], opts: DingTalkFormatOptions, maxBytes: number): DingTalkMessage {
  const kw = opts.keyword ?? '';
  const markdown = opts.msgType === 'markdown';
  const headline = groupHeadline(ns);
  const at = mentions(ns, opts);
  const mention = mentionLine(at);
  const head = markdown ? `#### ${paint(worstOf(ns), withKeyword(headline, kw))}` : withKeyword(headline, kw);
  const more = (k: number): string => `- … and ${k} more`;
  const build = (lines: string[], omitted: number): DingTalkMessage => {
    const all = [head, ...(markdown ? [''] : []), ...lines, ...(omitted > 0 ? [more(omitted)] : [])];
    if (mention) all.push(...(markdown ? ['', mention] : [mention]));
    const text = all.join('\n');
    return markdown
      ? { msgtype: 'markdown', markdown: { title: withKeyword(headline, kw), text }, ...(at ? { at } : {}) }
      : { msgtype: 'text', text: { content: text }, ...(at ? { at } : {}) };
  };
  const lines: string[] = [];
  for (let i = 0; i < ns.length; i++) {
    const next = [...lines, groupLine(ns[i], markdown)];
    if (contentBytes(build(next, ns.length - i - 1)) > maxBytes) break;
    lines.push(next[next.length - 1]);
  }
  return build(lines, ns.length - lines.length);
}

/** The message for one notification, or for a group (one summary listing each). */
export function formatDingTalk(input: Notification | readonly Notification[], opts: DingTalkFormatOptions): DingTalkMessage {
  const maxBytes = opts.maxBytes ?? MAX_CONTENT_BYTES;
  if (!Array.isArray(input)) return single(input as Notification, opts, maxBytes);
  const ns = input as readonly Notification[];
  return ns.length === 1 ? single(ns[0], opts, maxBytes) : group(ns, opts, maxBytes);
}
