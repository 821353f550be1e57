// What the Teams sink posts, pure: a `message` whose one attachment is an
// Adaptive Card, the body the Workflows trigger "When a Teams webhook
// request is received" takes and the "Post card in a chat or channel" action
// shows. Only elements of Adaptive Cards 1.0 are used, so every Teams client
// renders the card; the only action is Action.OpenUrl, the only one a card
// posted by a flow supports. Teams refuses messages over about 28 KB, so
// long texts are cut and groups shortened to stay under MAX_MESSAGE_BYTES.

import { toJson } from '@bufbuild/protobuf';
import { type Notification, NotificationSchema } from '../../model/notification.ts';
import { byteLength, cleanLine, allFacts, groupHeadline, whereOf, type SeverityWord, type Summary, summarize, truncate, worstOf } from '../summary.ts';
import { parseTemplate, renderTemplate, type Template } from '../template.ts';

export const CARD_CONTENT_TYPE = 'application/vnd.microsoft.card.adaptive';
export const CARD_SCHEMA = 'http://adaptivecards.io/schemas/adaptive-card.json';
export const CARD_VERSION = '1.4';
/** Teams' limit is about 28 KB for the whole message; this leaves room for what the flow wraps around the card. */
export const MAX_MESSAGE_BYTES = 26_000;

// per-field caps, so one long Event message cannot crowd out everything else
const MAX_TITLE = 200;
const MAX_MESSAGE = 3000;
const MAX_FACT = 500;
const MAX_GROUP_MESSAGE = 500;

type Element = Record<string, unknown>;

export interface AdaptiveCard {
  $schema: string;
  type: 'AdaptiveCard';
  version: string;
  fallbackText: string;
  body: Element[];
  actions?: Element[];
  msteams: { width: 'Full' };
}

export interface TeamsMessage {
  type: 'message';
  attachments: [{ contentType: typeof CARD_CONTENT_TYPE; contentUrl: null; content: AdaptiveCard }];
}

export interface TeamsAction {
  title: string;
  /** a link template: {{field.path}} of the notification's JSON, URL-encoded */
  url: string | Template;
}

export interface TeamsFormatOptions {
  actions?: readonly TeamsAction[];
  maxBytes?: number;
}

/** Adaptive Card colours (lower case, as the schema spells them). */
const COLOR: Record<SeverityWord | 'resolved', string> = {
  critical: 'attention',
  warning: 'warning',
  info: 'accent',
  unknown: 'default',
  resolved: 'good',
};

/**
 * TextBlocks are Markdown: text from the cluster is escaped so an Event
 * message cannot turn into a link or bold. Text is one line (summary.cleanLine),
 * so block syntax only matters at its start.
 */
export function escapeMarkdown(s: string): string {
  return s
    .replace(/[\\*_`~[\]]/g, (c) => `\\${c}`)
    .replace(/^([#>+-])/, '\\$1')
    .replace(/^(\d+)\./, '$1\\.');
}

function toneOf(s: Summary): SeverityWord | 'resolved' {
  return s.state === 'RESOLVED' ? 'resolved' : s.severity;
}

function statusLine(s: Summary): string {
  return escapeMarkdown([s.state, s.severity, s.reason].filter(Boolean).join(' · '));
}

function text(value: string, extra: Element = {}): Element {
  return { type: 'TextBlock', text: value, wrap: true, ...extra };
}

function message(card: AdaptiveCard): TeamsMessage {
  return { type: 'message', attachments: [{ contentType: CARD_CONTENT_TYPE, contentUrl: null, content: card }] };
}

function card(fallbackText: string, body: Element[], actions: Element[]): AdaptiveCard {
  return {
    $schema: CARD_SCHEMA,
    type: 'AdaptiveCard',
    version: CARD_VERSION,
    fallbackText,
    body,
    ...(actions.length > 0 ? { actions } : {}),
    msteams: { width: 'Full' },
  };
}

function size(m: TeamsMessage): number {
  return byteLength(JSON.stringify(m));
}

/** Action.OpenUrl buttons with their links filled in; a link that does not come out as an http(s) URL is left out. */
export function renderActions(n: Notification, actions: readonly TeamsAction[]): Element[] {
  if (actions.length === 0) return [];
  const data = toJson(NotificationSchema, { ...n, rawObject: undefined });
  return actions.flatMap((a) => {
    const t = typeof a.url === 'string' ? parseTemplate(a.url) : a.url;
    const url = renderTemplate(t, data, encodeURIComponent);
    try {
      const u = new URL(url);
      if (u.protocol !== 'https:' && u.protocol !== 'http:') return [];
    } catch {
      return [];
    }
    return [{ type: 'Action.OpenUrl', title: a.title, url }];
  });
}

function single(n: Notification, opts: TeamsFormatOptions, maxBytes: number): TeamsMessage {
  const s = summarize(n);
  const actions = renderActions(n, opts.actions ?? []);
  const fallback = `${[s.state, s.severity, s.reason].filter(Boolean).join(' ')}: ${truncate(s.title, MAX_TITLE)}`;
  const all = allFacts(s);
  const build = (messageChars: number, factCount: number, factChars: number): TeamsMessage => {
    const body: Element[] = [
      text(statusLine(s), { size: 'small', weight: 'bolder', color: COLOR[toneOf(s)] }),
      text(escapeMarkdown(truncate(s.title, MAX_TITLE)), { size: 'medium', weight: 'bolder', spacing: 'small' }),
    ];
    if (s.message && messageChars > 0) body.push(text(escapeMarkdown(truncate(cleanLine(s.message), messageChars))));
    const facts = all.slice(0, factCount).map(({ label, value }) => ({ title: escapeMarkdown(label), value: escapeMarkdown(truncate(value, factChars)) }));
    if (facts.length > 0) body.push({ type: 'FactSet', facts });
    return message(card(fallback, body, actions));
  };
  // shrink step by step until it fits: detector details first (long values, then the message, then facts from the end)
  let messageChars = MAX_MESSAGE;
  let factChars = MAX_FACT;
  let factCount = all.length;
  let m = build(messageChars, factCount, factChars);
  while (size(m) > maxBytes) {
    if (factChars > 100) factChars = Math.floor(factChars / 2);
    else if (messageChars > 200) messageChars = Math.floor(messageChars / 2);
    else if (factCount > 0) factCount -= 1;
    else if (messageChars > 0) messageChars = 0;
    else break; // title, status and actions alone: nothing left to cut
    m = build(messageChars, factCount, factChars);
  }
  return m;
}

function groupItem(n: Notification): Element {
  const s = summarize(n);
  const items: Element[] = [
    text(statusLine(s), { size: 'small', weight: 'bolder', color: COLOR[toneOf(s)] }),
    text(escapeMarkdown(truncate(s.title, MAX_TITLE)), { weight: 'bolder', spacing: 'none' }),
  ];
  if (s.message) items.push(text(escapeMarkdown(truncate(cleanLine(s.message), MAX_GROUP_MESSAGE)), { spacing: 'none' }));
  const where = [whereOf(s), s.facts.find((f) => f.label === 'Cluster')?.value, s.time].filter(Boolean).join(' · ');
  if (where) items.push(text(escapeMarkdown(where), { size: 'small', isSubtle: true, spacing: 'none' }));
  return { type: 'Container', separator: true, spacing: 'medium', items };
}

function group(ns: readonly Notification[], maxBytes: number): TeamsMessage {
  const headline = groupHeadline(ns);
  const head = text(escapeMarkdown(headline), { size: 'medium', weight: 'bolder', color: COLOR[worstOf(ns)] });
  const items: Element[] = [];
  const more = (k: number): Element => text(`… and ${k} more not shown: Teams limits a message to about 28 KB`, { isSubtle: true, separator: true });
  // add members while the message, with a "… and N more" line, still fits
  for (let i = 0; i < ns.length; i++) {
    const next = [...items, groupItem(ns[i])];
    const rest = ns.length - i - 1;
    const candidate = message(card(headline, [head, ...next, ...(rest > 0 ? [more(rest)] : [])], []));
    if (size(candidate) > maxBytes) break;
    items.push(next[next.length - 1]);
  }
  const omitted = ns.length - items.length;
  return message(card(headline, [head, ...items, ...(omitted > 0 ? [more(omitted)] : [])], []));
}

/** The message for one notification, or for a group (one card listing each; no buttons, which would belong to one member). */
export function formatTeams(input: Notification | readonly Notification[], opts: TeamsFormatOptions = {}): TeamsMessage {
  const maxBytes = opts.maxBytes ?? MAX_MESSAGE_BYTES;
  if (!Array.isArray(input)) return single(input as Notification, opts, maxBytes);
  const ns = input as readonly Notification[];
  return ns.length === 1 ? single(ns[0], opts, maxBytes) : group(ns, maxBytes);
}
