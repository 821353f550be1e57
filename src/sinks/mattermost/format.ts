// What the Mattermost sink posts to an incoming webhook, pure: message
// attachments (Mattermost's Slack-compatible format), one per notification,
// its left border coloured by severity, its facts as fields. A group is one
// post: a headline and an attachment for each member, as many as fit.
// Cluster text is escaped: no Markdown from an Event message renders, and no
// @channel in it notifies anyone.

import type { Notification } from '../../model/notification.ts';
import { cleanLine, allFacts, groupHeadline, type SeverityWord, type Summary, summarize, truncate } from '../summary.ts';

/** Mattermost's limit on a post's text (runes); longer it splits the post in several. */
export const MAX_TEXT = 16_383;
/** How many members a group's post shows; the rest are counted. */
export const MAX_GROUP_ATTACHMENTS = 20;

// per-field caps, so one long Event message cannot crowd out everything else
const MAX_TITLE = 200;
const MAX_MESSAGE = 3000;
const MAX_FIELD = 500;
const MAX_GROUP_MESSAGE = 500;
/** Fields up to this long share a row (`short`), longer ones take the attachment's width. */
const SHORT_FIELD = 40;

export interface MattermostField {
  title: string;
  value: string;
  short: boolean;
}

export interface MattermostAttachment {
  fallback: string;
  color: string;
  author_name: string;
  title: string;
  text?: string;
  fields?: MattermostField[];
  footer: string;
}

export interface MattermostMessage {
  text?: string;
  channel?: string;
  username?: string;
  icon_url?: string;
  attachments: MattermostAttachment[];
}

export interface MattermostFormatOptions {
  channel?: string;
  username?: string;
  iconUrl?: string;
}

export const FOOTER = 'kubeherald';

/** The attachment's left border. */
export const COLOR: Record<SeverityWord | 'resolved', string> = {
  critical: '#D93025',
  warning: '#E37400',
  info: '#1A73E8',
  unknown: '#80868B',
  resolved: '#188038',
};

/**
 * Cluster text in Mattermost Markdown: emphasis, links, code and block
 * syntax escaped; an @ starting a word gets a word joiner after it, so
 * `@channel` or `@all` in an Event message mentions nobody (addresses
 * such as me@example.com are left alone).
 */
export function escapeMattermost(s: string): string {
  return s
    .replace(/[\\*_`~[\]|<>]/g, (c) => `\\${c}`)
    .replace(/(^|[^\w.])@(?=[\w.-])/g, '$1@\u2060')
    .replace(/^([#>+-])/, '\\$1')
    .replace(/^(\d+)\./, '$1\\.');
}

function toneOf(s: Summary): SeverityWord | 'resolved' {
  return s.state === 'RESOLVED' ? 'resolved' : s.severity;
}

function statusWords(s: Summary): string {
  return [s.state, s.severity, s.reason].filter(Boolean).join(' · ');
}

function fallbackOf(s: Summary): string {
  return `${[s.state, s.severity, s.reason].filter(Boolean).join(' ')}: ${truncate(s.title, MAX_TITLE)}`;
}

function field(title: string, value: string): MattermostField {
  const v = truncate(value, MAX_FIELD);
  return { title: escapeMattermost(title), value: escapeMattermost(v), short: Array.from(v).length <= SHORT_FIELD };
}

/** What an attachment shows: a whole notification, or a group member's essentials (a shorter message, where and when). */
interface Detail {
  message: number;
  facts: (label: string) => boolean;
}

const WHOLE: Detail = { message: MAX_MESSAGE, facts: () => true };
const MEMBER: Detail = { message: MAX_GROUP_MESSAGE, facts: (label) => label === 'Cluster' || label === 'Namespace' || label === 'Object' || label === 'Time' };

function attachment(n: Notification, detail: Detail): MattermostAttachment {
  const s = summarize(n);
  const a: MattermostAttachment = {
    fallback: fallbackOf(s),
    color: COLOR[toneOf(s)],
    author_name: escapeMattermost(statusWords(s)),
    title: escapeMattermost(truncate(s.title, MAX_TITLE)),
    footer: FOOTER,
  };
  if (s.message) a.text = escapeMattermost(truncate(cleanLine(s.message), detail.message));
  const facts = allFacts(s).filter(({ label }) => detail.facts(label));
  if (facts.length > 0) a.fields = facts.map(({ label, value }) => field(label, value));
  return a;
}

function withOptions(m: MattermostMessage, opts: MattermostFormatOptions): MattermostMessage {
  return {
    ...m,
    ...(opts.channel ? { channel: opts.channel } : {}),
    ...(opts.username ? { username: opts.username } : {}),
    ...(opts.iconUrl ? { icon_url: opts.iconUrl } : {}),
  };
}

/** The post for one notification, or for a group (a headline and each member's attachment). */
export function formatMattermost(input: Notification | readonly Notification[], opts: MattermostFormatOptions = {}): MattermostMessage {
  const ns: readonly Notification[] = Array.isArray(input) ? input : [input as Notification];
  if (ns.length === 1) return withOptions({ attachments: [attachment(ns[0], WHOLE)] }, opts);
  const shown = ns.slice(0, MAX_GROUP_ATTACHMENTS);
  const omitted = ns.length - shown.length;
  const text = `**${escapeMattermost(groupHeadline(ns))}**${omitted > 0 ? `\n… and ${omitted} more not shown` : ''}`;
  return withOptions({ text, attachments: shown.map((n) => attachment(n, MEMBER)) }, opts);
}
