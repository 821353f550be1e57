// What a message says about a notification, before any platform's markup:
// the words, the emoji, the labelled facts and the link. Pure. Every sink
// that writes for people (Slack, Telegram, Teams, DingTalk, Mattermost,
// PagerDuty, the console) renders this one Summary in its own format, so one
// notification reads the same everywhere: the same state and severity
// words, title, object names, facts and truncation.

import { timestampDate } from '@bufbuild/protobuf/wkt';
import { type Notification, type ObjectRef, Severity, State } from '../model/notification.ts';

export type SeverityWord = 'critical' | 'warning' | 'info' | 'unknown';
export type StateWord = 'FIRING' | 'RESOLVED' | 'NOTICE';

export interface Fact {
  label: string;
  value: string;
}

export interface Summary {
  state: StateWord;
  severity: SeverityWord;
  /** one glyph for the state and severity: 🔴 critical, 🟠 warning, 🔵 info, ✅ resolved */
  emoji: string;
  /** one line: the notification's title, else reason and object */
  title: string;
  reason: string;
  /** `pod/web-1`, or `-` */
  object: string;
  /** cluster, namespace, object, reason, restarts, node, workload, changed by: those known, in that order */
  facts: Fact[];
  /** the detector's other fields (container, exit code …), by name: for formats with room for them */
  details: Fact[];
  /** the message, newlines kept, other control characters removed */
  message: string;
  /** `2025-03-04 12:01:05 UTC`, empty when the notification has no time */
  time: string;
  /** event time in Unix seconds (0 when unknown) */
  epochSeconds: number;
  /** how many times it was seen (an Event's count; 1 when once) */
  count: number;
  /** the configured link with this notification's values filled in, or empty */
  link: string;
}

const SEVERITY_WORD: Record<number, SeverityWord> = {
  [Severity.CRITICAL]: 'critical',
  [Severity.WARNING]: 'warning',
  [Severity.INFO]: 'info',
};

const SEVERITY_EMOJI: Record<SeverityWord, string> = { critical: '🔴', warning: '🟠', info: '🔵', unknown: '⚪' };
export const RESOLVED_EMOJI = '✅';

export function severityWord(n: Notification): SeverityWord {
  return SEVERITY_WORD[n.severity] ?? 'unknown';
}

export function stateWord(n: Notification): StateWord {
  return n.state === State.RESOLVED ? 'RESOLVED' : n.state === State.FIRING ? 'FIRING' : 'NOTICE';
}

export function emojiOf(n: Notification): string {
  return n.state === State.RESOLVED ? RESOLVED_EMOJI : SEVERITY_EMOJI[severityWord(n)];
}

/** The most urgent severity among the notifications still firing; `resolved` when none is. */
export function worstOf(ns: readonly Notification[]): SeverityWord | 'resolved' {
  const open = ns.filter((n) => n.state !== State.RESOLVED);
  if (open.length === 0) return 'resolved';
  const rank: SeverityWord[] = ['critical', 'warning', 'info', 'unknown'];
  return rank.find((w) => open.some((n) => severityWord(n) === w)) ?? 'unknown';
}

export function emojiFor(worst: SeverityWord | 'resolved'): string {
  return worst === 'resolved' ? RESOLVED_EMOJI : SEVERITY_EMOJI[worst];
}

// C0/C1 controls and the bidi overrides that make text read differently from what it is
const UNSAFE_LINE = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]+/g;
const UNSAFE_TEXT = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]+/g;

/** One line: controls and runs of whitespace become one space. */
export function cleanLine(s: string): string {
  return s.replace(UNSAFE_LINE, ' ').replace(/\s+/g, ' ').trim();
}

/** Text that keeps its line breaks (at most one blank line in a row). */
export function cleanText(s: string): string {
  return s
    .replace(/\r\n?/g, '\n')
    .replace(UNSAFE_TEXT, ' ')
    .split('\n')
    .map((l) => l.replace(/[ \t]+/g, ' ').trimEnd())
    .join('\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}

/**
 * At most `max` UTF-16 units (what the platforms count), cut on a code point
 * so no emoji is split, with `suffix` appended when cut (its length
 * included in max).
 */
export function truncate(s: string, max: number, suffix = '…'): string {
  if (s.length <= max) return s;
  const room = Math.max(0, max - suffix.length);
  let out = '';
  for (const ch of s) {
    if (out.length + ch.length > room) break;
    out += ch;
  }
  return out + suffix;
}

// kubectl's short names where people use them; other kinds are lower-cased
const SHORT_KIND: Record<string, string> = {
  Deployment: 'deploy',
  ReplicaSet: 'rs',
  StatefulSet: 'sts',
  DaemonSet: 'ds',
  Service: 'svc',
  PersistentVolumeClaim: 'pvc',
  PersistentVolume: 'pv',
  HorizontalPodAutoscaler: 'hpa',
  ConfigMap: 'cm',
  Namespace: 'ns',
  Ingress: 'ing',
};

/** "Deployment" → "deploy", as kubectl users write it; unknown kinds lower-cased. */
export function shortKind(kind: string): string {
  return SHORT_KIND[kind] ?? (kind.toLowerCase() || 'object');
}

export function refText(ref: ObjectRef | undefined): string {
  if (!ref || !ref.name) return '-';
  return `${cleanLine(shortKind(ref.kind))}/${cleanLine(ref.name)}`;
}

function utcTime(d: Date): string {
  return `${d.toISOString().slice(0, 19).replace('T', ' ')} UTC`;
}

/**
 * The link template with `{cluster}`, `{namespace}`, `{kind}`, `{name}`,
 * `{uid}`, `{reason}` and `{incidentKey}` filled in, each URL-encoded so
 * a value cannot change the link's shape. Unknown placeholders are left as
 * they are.
 */
export function renderLink(template: string, n: Notification): string {
  if (!template) return '';
  const o = n.involvedObject;
  const values: Record<string, string> = {
    cluster: n.cluster,
    namespace: o?.namespace ?? '',
    kind: o?.kind ?? '',
    name: o?.name ?? '',
    uid: o?.uid ?? '',
    reason: n.reason,
    incidentKey: n.incidentKey,
  };
  return template.replace(/\{(\w+)\}/g, (m, key: string) => (key in values ? encodeURIComponent(values[key]) : m));
}

// detector fields the facts already show
const FACT_FIELDS = new Set(['restarts', 'node']);

export function summarize(n: Notification, opts: { linkTemplate?: string } = {}): Summary {
  const o = n.involvedObject;
  const object = refText(o);
  const reason = cleanLine(n.reason);
  const facts: Fact[] = [];
  const add = (label: string, value: string | undefined): void => {
    const v = cleanLine(value ?? '');
    if (v) facts.push({ label, value: v });
  };
  add('Cluster', n.cluster);
  add('Namespace', o?.namespace);
  add('Object', object === '-' ? '' : object);
  add('Reason', reason);
  add('Restarts', n.fields.restarts);
  add('Node', n.fields.node);
  add('Workload', n.owner?.name ? refText(n.owner) : '');
  add('Changed by', n.user?.username);
  const date = n.eventTime ? timestampDate(n.eventTime) : undefined;
  const details = Object.keys(n.fields)
    .filter((k) => !FACT_FIELDS.has(k))
    .sort()
    .flatMap((k) => {
      const label = cleanLine(k);
      const value = cleanLine(n.fields[k]);
      return label && value ? [{ label, value }] : [];
    });
  return {
    state: stateWord(n),
    severity: severityWord(n),
    emoji: emojiOf(n),
    title: cleanLine(n.title) || [reason, object === '-' ? '' : object].filter(Boolean).join(' ') || 'kubeherald notification',
    reason,
    object,
    facts,
    details,
    message: cleanText(n.message),
    time: date ? utcTime(date) : '',
    epochSeconds: date ? Math.floor(date.getTime() / 1000) : 0,
    count: n.count > 1 ? n.count : 1,
    link: renderLink(opts.linkTemplate ?? '', n),
  };
}

/** "3 notifications: 2 firing, 1 resolved". */
export function groupHeadline(ns: readonly Notification[]): string {
  const firing = ns.filter((n) => n.state === State.FIRING).length;
  const resolved = ns.filter((n) => n.state === State.RESOLVED).length;
  const other = ns.length - firing - resolved;
  const parts = [firing ? `${firing} firing` : '', resolved ? `${resolved} resolved` : '', other ? `${other} other` : ''].filter(Boolean);
  return `${ns.length} notification${ns.length === 1 ? '' : 's'}: ${parts.join(', ')}`;
}

/** UTF-8 size, which is what services limit. */
export function byteLength(s: string): number {
  return Buffer.byteLength(s, 'utf8');
}

/** How many times it was seen, worth saying (0: not): an Event's count, unless restarts already say it. */
export function timesSeen(s: Summary): number {
  return s.count > 1 && !s.facts.some((f) => f.label === 'Restarts') ? s.count : 0;
}

/**
 * Everything there is to say in labelled lines: the facts but the reason
 * (the status line says it), how many times it was seen and when (Slack and
 * Telegram say those in their status line and footer), then the detector's
 * details. For formats with room for them all (cards, attachments, event
 * details); cut from the end when a message must shrink.
 */
export function allFacts(s: Summary): Fact[] {
  const seen = timesSeen(s);
  return [
    ...s.facts.filter((f) => f.label !== 'Reason'),
    ...(seen ? [{ label: 'Count', value: String(seen) }] : []),
    ...(s.time ? [{ label: 'Time', value: s.time }] : []),
    ...s.details,
  ];
}

/** Where it happened in one line: `demo/pod/web-1` (the namespace, then the object), empty when neither is known. */
export function whereOf(s: Summary): string {
  const namespace = s.facts.find((f) => f.label === 'Namespace')?.value;
  return [namespace, s.object === '-' ? '' : s.object].filter(Boolean).join('/');
}
