// A notification as the chat sinks show it: words for state and severity,
// one-line texts, and an ordered list of facts. Pure. Lives beside the
// generic webhook sink because the HTTP chat sinks (teams, dingtalk) share
// it; the webhook sink itself sends the notification as data.

import { timestampDate } from '@bufbuild/protobuf/wkt';
import { type Notification, type ObjectRef, Severity, State } from '../../model/notification.ts';

export type StateWord = 'FIRING' | 'RESOLVED' | 'UNKNOWN';
export type SeverityWord = 'critical' | 'warning' | 'info' | 'unknown';

export interface Summary {
  state: StateWord;
  severity: SeverityWord;
  /** machine-readable cause, e.g. CrashLoopBackOff ("" when unknown) */
  reason: string;
  /** what a person reads first: the detector's title, else reason and object */
  title: string;
  message: string;
  /** "Pod demo/web-7d9c-abcde", "Node worker-2" ("" when there is none) */
  object: string;
  /** ordered [label, value] pairs (the reason is in the status line, not here); empty values are left out */
  facts: [string, string][];
}

const SEVERITY: Record<number, SeverityWord> = {
  [Severity.CRITICAL]: 'critical',
  [Severity.WARNING]: 'warning',
  [Severity.INFO]: 'info',
};

// C0/C1 controls and the bidi overrides that can make text read differently
// from what it is; chat clients render neither usefully.
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]+/g;

/** Cluster-supplied text on one line: controls removed, runs of whitespace as one space. */
export function clean(s: string): string {
  return s.replace(UNSAFE, ' ').replace(/\s+/g, ' ').trim();
}

/** At most `max` characters (code points), ending in "…" when cut. */
export function truncate(s: string, max: number): string {
  const chars = Array.from(s);
  return chars.length <= max ? s : `${chars.slice(0, Math.max(0, max - 1)).join('')}…`;
}

export function stateWord(n: Notification): StateWord {
  return n.state === State.RESOLVED ? 'RESOLVED' : n.state === State.FIRING ? 'FIRING' : 'UNKNOWN';
}

export function severityWord(n: Notification): SeverityWord {
  return SEVERITY[n.severity] ?? 'unknown';
}

/** "Pod demo/web", "Node worker-2" ("Deployment web" without the namespace), "" for none. */
export function refText(ref: ObjectRef | undefined, withNamespace = true): string {
  if (!ref || !ref.name) return '';
  const kind = clean(ref.kind) || 'Object';
  return withNamespace && ref.namespace ? `${kind} ${clean(ref.namespace)}/${clean(ref.name)}` : `${kind} ${clean(ref.name)}`;
}

/** `2025-03-04 12:01:05 UTC`: chat readers are in many time zones, so say which. */
export function timeText(n: Notification): string {
  if (!n.eventTime) return '';
  const d = timestampDate(n.eventTime);
  if (!Number.isFinite(d.getTime())) return '';
  return `${d.toISOString().slice(0, 19).replace('T', ' ')} UTC`;
}

export function summarize(n: Notification): Summary {
  const object = refText(n.involvedObject);
  const reason = clean(n.reason);
  const title = clean(n.title) || [reason, object].filter(Boolean).join(' on ') || 'Notification';
  const facts: [string, string][] = [
    ['Cluster', clean(n.cluster)],
    ['Object', object],
    // the owner lives in the object's namespace: saying it twice adds nothing
    ['Owner', refText(n.owner, false)],
    ['Count', n.count > 1 ? String(n.count) : ''],
    ['Time', timeText(n)],
    ['User', clean(n.user?.username ?? '')],
    // detector details (container, restarts, exit code, node …) in a stable order
    ...Object.keys(n.fields)
      .sort()
      .map((k): [string, string] => [clean(k), clean(n.fields[k])]),
  ];
  return {
    state: stateWord(n),
    severity: severityWord(n),
    reason,
    title,
    message: clean(n.message),
    object,
    facts: facts.filter(([k, v]) => k !== '' && v !== ''),
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

/** The worst severity among the firing members, for a group's colour; "resolved" when none fires. */
export function groupTone(ns: readonly Notification[]): SeverityWord | 'resolved' {
  const firing = ns.filter((n) => n.state !== State.RESOLVED);
  if (firing.length === 0) return 'resolved';
  const worst = Math.max(...firing.map((n) => n.severity));
  return SEVERITY[worst] ?? 'unknown';
}

/** UTF-8 size, which is what services limit. */
export function byteLength(s: string): number {
  return Buffer.byteLength(s, 'utf8');
}
