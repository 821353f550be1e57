// The Silence and ClusterSilence custom resources (kubeherald.io/v1alpha1):
// a maintenance window declared in Git. A Silence silences its own
// namespace only (namespaced resources never reach beyond their namespace);
// a ClusterSilence may name a namespace, or none (every namespace and the
// cluster-scoped objects, nodes among them).
//
// The schemas check shape only; what they cannot say (a CEL expression that
// does not compile, an end before the start, a ClusterSilence with no
// matcher, a silence longer than the maximum without spec.force) is left for
// the status to report: the API server admits such an object, its Ready
// condition names the field, and it matches nothing. Pure: from the object
// as it is to the silence it stands for and what its status should say.

import { z } from 'zod';
import type { KubeObject } from '../model/kube.ts';
import { describeMatchers, type SilenceDraft, SilenceError, type SilenceMatchers, validateSilence } from '../rules/silence.ts';

const GROUP = 'kubeherald.io';
const VERSION = 'v1alpha1';
export const SILENCE = { group: GROUP, version: VERSION, kind: 'Silence', plural: 'silences', singular: 'silence' } as const;
export const CLUSTER_SILENCE = { group: GROUP, version: VERSION, kind: 'ClusterSilence', plural: 'clustersilences', singular: 'clustersilence' } as const;
export const SILENCE_API_VERSION = `${GROUP}/${VERSION}`;
export type SilenceKind = 'Silence' | 'ClusterSilence';

/** Who wrote it, when the creator is not otherwise known: `kubeherald.io/author: alice@corp`. */
export const AUTHOR_ANNOTATION = 'kubeherald.io/author';
/** The longest silence without spec.force (the issue's default: 7 days). */
export const DEFAULT_MAX_SILENCE_SECONDS = 7 * 24 * 3600;

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

const matchersBase = {
  kind: z.string().min(1).max(63).optional().describe('Kind of the object, exact: Pod, Deployment, Node …'),
  name: z.string().min(1).max(253).optional().describe('Name of the object, exact or a glob (web-*).'),
  reason: z.string().min(1).max(128).optional().describe('Reason, exact: CrashLoopBackOff, NodeNotReady …'),
  labels: z.record(z.string(), z.string()).optional().describe("Labels the object must carry (every one given, exact values)."),
  cluster: z.string().min(1).max(253).optional().describe('The cluster the notification comes from (multi-cluster setups).'),
  cel: z.string().min(1).max(4096).optional().describe('A CEL expression over the notification that must be true; see docs/routes.md.'),
};

const silenceMatchers = z.strictObject(matchersBase).describe("What it silences in the Silence's own namespace: every field given must match. Empty: everything in the namespace.");

const clusterSilenceMatchers = z
  .strictObject({
    namespace: z
      .string()
      .max(63)
      .regex(DNS1123_LABEL, { error: 'expected a namespace name (a DNS-1123 label)' })
      .optional()
      .describe('The namespace; absent: every namespace and the cluster-scoped objects.'),
    ...matchersBase,
  })
  .describe('What it silences: every field given must match. Empty matches everything, which needs spec.force.');

const common = {
  startsAt: z.string().optional().describe('When it starts (RFC 3339); default: when the object was created.'),
  endsAt: z.string().optional().describe('When it ends (RFC 3339). Either endsAt or duration.'),
  duration: z.string().optional().describe('How long it lasts from startsAt: 30m, 2h, 1d12h. Either endsAt or duration.'),
  comment: z.string().max(1024).optional().describe('Why: shown with the silence in chat and in `silence list`.'),
  force: z.boolean().optional().describe('Allow what is otherwise refused: longer than the maximum (default 7d), or a ClusterSilence with no matcher. Whoever may write the object has the right.'),
};

export const silenceSpecSchema = z.strictObject({ matchers: silenceMatchers.optional(), ...common }).describe('A silence of notifications in this namespace.');
export const clusterSilenceSpecSchema = z.strictObject({ matchers: clusterSilenceMatchers.optional(), ...common }).describe('A silence of notifications anywhere in the cluster.');

const conditionSchema = z.strictObject({
  type: z.string().min(1).max(316),
  status: z.enum(['True', 'False', 'Unknown']),
  observedGeneration: z.number().int().min(0).optional(),
  lastTransitionTime: z.string(),
  reason: z.string().max(1024),
  message: z.string().max(32768),
});

export const silenceStatusSchema = z.strictObject({
  observedGeneration: z.number().int().min(0).optional(),
  conditions: z.array(conditionSchema).optional().meta({ 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['type'] }),
  id: z.string().optional().describe("The silence's id in kubeherald (what `silence list` shows)."),
  startsAt: z.string().optional().describe('When it starts, resolved.'),
  endsAt: z.string().optional().describe('When it ends, resolved.'),
});

/** What a valid object stands for. */
export interface SilenceFromResource {
  /** stable across restarts and edits: the store's id of a resource's silence */
  id: string;
  matchers: SilenceMatchers;
  startsAt: number;
  endsAt: number;
  author: string;
  comment: string;
  forced: boolean;
}

export interface SilenceProblem {
  field: string;
  message: string;
}

export interface SilenceCheck {
  kind: SilenceKind;
  obj: KubeObject;
  /** `ns/name` or `name` */
  key: string;
  /** absent when the object is not valid: it then matches nothing */
  silence?: SilenceFromResource;
  problems: SilenceProblem[];
}

/** The store id of the silence a resource stands for: `cr:ns/name` (`cr:name` for a ClusterSilence). */
export function resourceSilenceId(kind: SilenceKind, namespace: string | undefined, name: string): string {
  return kind === 'Silence' ? `cr:${namespace}/${name}` : `cr:${name}`;
}

const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;
const UNITS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400 };

/** 30m, 2h, 1d12h as seconds, or why not. */
export function parseSilenceDuration(text: string): number | string {
  if (!/^(\d+[smhd])+$/.test(text)) return `expected a duration such as 30m, 2h or 1d12h, got "${text.slice(0, 40)}"`;
  let total = 0;
  for (const [, n, u] of text.matchAll(/(\d+)([smhd])/g)) total += Number(n) * UNITS[u];
  return total > 0 ? total : 'must be longer than 0s';
}

function parseTime(text: string): number | undefined {
  if (!RFC3339.test(text)) return undefined;
  const t = Date.parse(text);
  return Number.isNaN(t) ? undefined : t;
}

/**
 * One object's silence, or the problems naming its fields. `creator`: who
 * created the object, when the audit feed saw it (the author annotation
 * still wins: it is what the Git history says).
 */
export function checkSilence(kind: SilenceKind, obj: KubeObject, opts: { maxSeconds?: number; creator?: string } = {}): SilenceCheck {
  const meta = obj.metadata;
  const key = kind === 'Silence' ? `${meta.namespace}/${meta.name}` : `${meta.name}`;
  const problems: SilenceProblem[] = [];
  const schema = kind === 'Silence' ? silenceSpecSchema : clusterSilenceSpecSchema;
  const parsed = schema.safeParse(obj.spec ?? {});
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const keys = issue.code === 'unrecognized_keys' ? issue.keys : [undefined];
      for (const k of keys) problems.push({ field: ['spec', ...issue.path, ...(k !== undefined ? [k] : [])].map(String).join('.'), message: k === undefined ? issue.message : 'unknown field' });
    }
    return { kind, obj, key, problems };
  }
  const spec = parsed.data as z.output<typeof clusterSilenceSpecSchema>;
  const m = spec.matchers ?? {};
  const matchers: SilenceMatchers = {};
  if (kind === 'Silence') matchers.namespace = meta.namespace ?? '';
  else if (m.namespace !== undefined) matchers.namespace = m.namespace;
  for (const f of ['kind', 'name', 'reason', 'cluster'] as const) if (m[f] !== undefined) matchers[f] = m[f];
  if (m.labels !== undefined) {
    if (Object.keys(m.labels).length === 0) problems.push({ field: 'spec.matchers.labels', message: 'empty: give at least one label, or leave it out' });
    else matchers.labels = m.labels;
  }
  if (m.cel !== undefined) matchers.cel = m.cel;
  const created = meta.creationTimestamp ? Date.parse(String(meta.creationTimestamp)) : Number.NaN;
  let startsAt = Number.isNaN(created) ? 0 : created;
  if (spec.startsAt !== undefined) {
    const t = parseTime(spec.startsAt);
    if (t === undefined) problems.push({ field: 'spec.startsAt', message: `expected an RFC 3339 time such as 2026-12-24T18:00:00Z, got "${spec.startsAt.slice(0, 40)}"` });
    else startsAt = t;
  }
  let endsAt: number | undefined;
  if (spec.endsAt !== undefined && spec.duration !== undefined) problems.push({ field: 'spec.duration', message: 'either endsAt or duration, not both' });
  else if (spec.endsAt !== undefined) {
    const t = parseTime(spec.endsAt);
    if (t === undefined) problems.push({ field: 'spec.endsAt', message: `expected an RFC 3339 time such as 2026-12-24T20:00:00Z, got "${spec.endsAt.slice(0, 40)}"` });
    else if (t <= startsAt) problems.push({ field: 'spec.endsAt', message: 'must be after startsAt' });
    else endsAt = t;
  } else if (spec.duration !== undefined) {
    const d = parseSilenceDuration(spec.duration);
    if (typeof d === 'string') problems.push({ field: 'spec.duration', message: d });
    else endsAt = startsAt + d * 1000;
  } else problems.push({ field: 'spec.endsAt', message: 'required: endsAt or duration' });
  if (problems.length || endsAt === undefined) return { kind, obj, key, problems };
  const annotated = meta.annotations?.[AUTHOR_ANNOTATION];
  const author = annotated && annotated.trim() !== '' && annotated.length <= 256 ? annotated : opts.creator ? `${opts.creator} (resource:${key})` : `resource:${key}`;
  const comment = spec.comment?.trim() ? spec.comment : `${kind} ${key}`;
  const draft: SilenceDraft = { matchers, startsAt, endsAt, createdBy: author, comment, source: 'resource' };
  try {
    // the rules every silence meets, wherever it comes from; the right to force is whoever may write the object
    validateSilence(draft, { maxDurationMs: (opts.maxSeconds ?? DEFAULT_MAX_SILENCE_SECONDS) * 1000, force: spec.force === true });
  } catch (err) {
    if (!(err instanceof SilenceError)) throw err;
    const field = err.field === 'endsAt' && spec.duration !== undefined ? 'duration' : err.field;
    const message = err.message.slice(err.field.length + 2).replace('force it if that is meant', 'set spec.force: true if that is meant').replace('(force it if that is meant)', '(set spec.force: true if that is meant)');
    return { kind, obj, key, problems: [{ field: `spec.${field}`, message }] };
  }
  return { kind, obj, key, problems, silence: { id: resourceSilenceId(kind, meta.namespace, meta.name ?? ''), matchers, startsAt, endsAt, author, comment, forced: spec.force === true } };
}

export interface SilenceStatus {
  observedGeneration: number;
  conditions: { type: string; status: 'True' | 'False'; reason: string; message: string; observedGeneration: number; lastTransitionTime: string }[];
  id?: string;
  startsAt?: string;
  endsAt?: string;
}

const MAX_MESSAGE = 4000;
const iso = (t: number | Date): string => new Date(t).toISOString().replace(/\.\d{3}Z$/, 'Z');

function previous(obj: KubeObject, type: string): { status?: string; lastTransitionTime?: string; reason?: string; message?: string } | undefined {
  const conds = (obj.status as { conditions?: { type: string }[] } | undefined)?.conditions;
  return Array.isArray(conds) ? (conds.find((c) => c.type === type) as never) : undefined;
}

/** Ready (True, or False naming the field) and Expired (True once it ended, or once it was ended by hand: `endedAt`). */
export function desiredSilenceStatus(c: SilenceCheck, now: Date, endedAt?: number): SilenceStatus {
  const generation = c.obj.metadata.generation ?? 0;
  const since = (type: string, status: string): string => {
    const p = previous(c.obj, type);
    return p?.status === status && p.lastTransitionTime ? p.lastTransitionTime : iso(now);
  };
  const s = c.silence;
  let message = s
    ? `silences ${describeMatchers(s.matchers)} from ${iso(s.startsAt)} until ${iso(s.endsAt)}`
    : `${c.problems.map((p) => `${p.field}: ${p.message}`).join('; ')}. It matches nothing until this is fixed`;
  if (message.length > MAX_MESSAGE) message = `${message.slice(0, MAX_MESSAGE - 1)}…`;
  const ready = s ? 'True' : 'False';
  const end = s === undefined ? undefined : endedAt !== undefined && endedAt < s.endsAt ? endedAt : s.endsAt;
  const expired = end !== undefined && now.getTime() >= end;
  const conditions: SilenceStatus['conditions'] = [
    { type: 'Ready', status: ready, reason: s ? 'Accepted' : 'InvalidSpec', message, observedGeneration: generation, lastTransitionTime: since('Ready', ready) },
    {
      type: 'Expired',
      status: expired ? 'True' : 'False',
      reason: expired ? 'Expired' : s ? (now.getTime() < s.startsAt ? 'Pending' : 'Active') : 'InvalidSpec',
      message: expired ? `ended at ${iso(end!)}${end! < s!.endsAt ? ' (by hand)' : ''}` : s ? `ends at ${iso(s.endsAt)}` : 'not in effect',
      observedGeneration: generation,
      lastTransitionTime: since('Expired', expired ? 'True' : 'False'),
    },
  ];
  return { observedGeneration: generation, conditions, ...(s ? { id: s.id, startsAt: iso(s.startsAt), endsAt: iso(s.endsAt) } : {}) };
}

/** Whether the object's status already says this (no write needed). */
export function silenceStatusUpToDate(obj: KubeObject, want: SilenceStatus): boolean {
  const cur = (obj.status ?? {}) as { observedGeneration?: number; id?: string; endsAt?: string };
  if (cur.observedGeneration !== want.observedGeneration || cur.id !== want.id || cur.endsAt !== want.endsAt) return false;
  return want.conditions.every((w) => {
    const p = previous(obj, w.type);
    return !!p && p.status === w.status && p.reason === w.reason && p.message === w.message;
  });
}
