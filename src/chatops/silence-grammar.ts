// The pure side of `silence …` in chat: the comment after `--`, the end time,
// the labels, the RBAC each form needs, and the command as normalised text.
// The silences are a kubeherald.io resource (the Silence custom resource),
// so their rights are RBAC rules on `silences.kubeherald.io`: `create` in
// the namespace silenced (cluster-wide with -A), `list` to list, `delete`
// to expire, and the virtual verb `force` for a silence with no matcher or
// longer than the maximum. An administrator grants them like any other.

import { formatDuration } from '../model/duration.ts';
import type { ResourceAttributes, SilenceCommand } from './types.ts';
import { shown } from './validate.ts';

export const SILENCE_GROUP = 'kubeherald.io';
export const SILENCE_RESOURCE = 'silences';
/** The virtual verb that lets a silence through the no-matcher and maximum-duration rules. */
export const FORCE_VERB = 'force';
/** The longest comment kept. */
export const MAX_COMMENT = 500;

/** `silence … -- why` → the command words and the comment (trimmed, undefined when empty). Only the first standalone `--` splits. */
export function splitComment(text: string): { command: string; comment?: string } {
  const m = /(^|[ \t])--([ \t]|$)/.exec(text);
  if (!m) return { command: text };
  const at = m.index + m[1].length;
  const comment = text.slice(at + 2).trim();
  return { command: text.slice(0, at).trimEnd(), ...(comment ? { comment } : {}) };
}

const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/;

/** `until 2026-12-24T18:00Z` (RFC 3339, a zone required: chat users are in many) as epoch ms, or why not. */
export function parseUntil(text: string): number | string {
  const t = RFC3339.test(text) ? Date.parse(text) : Number.NaN;
  if (Number.isNaN(t)) return `until expects a time with its zone, such as 2026-12-24T18:00Z or 2026-12-24T19:00+01:00, got ${shown(text)}`;
  return t;
}

const KEY = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;
const VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]{0,61})?[A-Za-z0-9])?$/;

/** `-l app=web,tier=edge` → labels; only equalities (a silence matches exact label values). */
export function parseLabels(text: string): Record<string, string> | string {
  const out: Record<string, string> = {};
  for (const part of text.split(',')) {
    const eq = part.indexOf('=');
    const key = eq < 0 ? part : part.slice(0, eq);
    const value = eq < 0 ? '' : part.slice(eq + 1).replace(/^=/, '');
    if (eq < 0 || part.includes('!=')) return `-l expects label=value pairs (a silence matches exact labels), got ${shown(part)}`;
    if (!KEY.test(key)) return `-l: ${shown(key)} is not a label key`;
    if (!VALUE.test(value)) return `-l: ${shown(value)} is not a label value`;
    if (out[key] !== undefined && out[key] !== value) return `-l: label ${shown(key)} given twice`;
    out[key] = value;
  }
  return out;
}

const KIND = /^[A-Z][A-Za-z0-9]{0,62}$/;
const REASON = /^[A-Za-z][A-Za-z0-9_.-]{0,127}$/;

/** `Pod`, `Deployment`: as Kubernetes spells kinds in objects; undefined when fine. */
export function kindProblem(kind: string): string | undefined {
  return KIND.test(kind) ? undefined : `--kind ${shown(kind)}: expected a kind as Kubernetes spells it (Pod, Deployment, Node)`;
}

export function reasonProblem(reason: string): string | undefined {
  return REASON.test(reason) ? undefined : `--reason ${shown(reason)}: expected a reason such as CrashLoopBackOff`;
}

/** The RBAC a silence command needs before it runs; `expire` is checked once the silence's namespace is known. */
export function silenceAccess(cmd: SilenceCommand, channelNamespace: string): ResourceAttributes[] {
  // '' is every namespace, as for pods -A: the review then asks cluster-wide
  const on = (verb: string, namespace: string): ResourceAttributes => ({ verb, group: SILENCE_GROUP, resource: SILENCE_RESOURCE, namespace });
  if (cmd.action === 'expire') return [];
  const ns = cmd.allNamespaces ? '' : (cmd.namespace ?? channelNamespace);
  if (cmd.action === 'list') return [on('list', ns)];
  return [on('create', ns), ...(cmd.force ? [on(FORCE_VERB, ns)] : [])];
}

/** The RBAC expiring a silence needs: `delete silences` where it silences ('' for cluster-wide). */
export function expireAccess(namespace: string | undefined): ResourceAttributes[] {
  return [{ verb: 'delete', group: SILENCE_GROUP, resource: SILENCE_RESOURCE, namespace: namespace ?? '' }];
}


/** The command as normalised text (`silence -n demo --reason CrashLoopBackOff for 2h -- deploy`); parseCommand reads it back. */
export function formatSilence(cmd: SilenceCommand, namespace?: string): string {
  if (cmd.action === 'expire') return `silence expire ${cmd.id}`;
  const scope = cmd.allNamespaces ? ['-A'] : (cmd.namespace ?? namespace) !== undefined ? ['-n', (cmd.namespace ?? namespace)!] : [];
  if (cmd.action === 'list') return ['silence', 'list', ...scope].join(' ');
  const words = ['silence', ...scope];
  if (cmd.kind !== undefined) words.push('--kind', cmd.kind);
  if (cmd.name !== undefined) words.push('--name', cmd.name);
  if (cmd.reason !== undefined) words.push('--reason', cmd.reason);
  if (cmd.labels !== undefined) words.push('-l', Object.entries(cmd.labels).map(([k, v]) => `${k}=${v}`).join(','));
  if (cmd.cluster !== undefined) words.push('--cluster', cmd.cluster);
  if (cmd.force) words.push('--force');
  if (cmd.durationSeconds !== undefined) words.push('for', formatDuration(cmd.durationSeconds));
  if (cmd.until !== undefined) words.push('until', new Date(cmd.until).toISOString().replace(/\.000Z$/, 'Z'));
  if (cmd.comment !== undefined) words.push('--', cmd.comment);
  return words.join(' ');
}

/** What it acts on, for the audit trail: `silences in demo`, `silences in all namespaces`, `silences/s-42`. */
export function silenceTarget(cmd: SilenceCommand, namespace: string): string {
  if (cmd.action === 'expire') return `silences/${cmd.id}`;
  return cmd.allNamespaces ? 'silences in all namespaces' : `silences in ${cmd.namespace ?? namespace}`;
}
