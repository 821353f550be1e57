// `silence …` from chat, run: a silence made, listed or ended in kubeherald's
// own silences (the SilenceKeeper's, through a port), never in the cluster.
// The service has already checked the RBAC the command's form needs
// (silence-grammar.ts); `expire` is checked here, once the silence's
// namespace is known. The rules every silence meets (a comment, no
// matcher or too long only when forced) are the model's (validateSilence).

import { randomBytes } from 'node:crypto';
import { describeMatchers, formatDuration, type Silence, type SilenceDraft, SilenceError, type SilenceMatchers, validateSilence } from '../rules/silence.ts';
import type { Authorization } from './authorize.ts';
import { expireAccess, FORCE_VERB } from './silence-grammar.ts';
import type { ChatReply, ChatUser, KubeIdentity, ResourceAttributes, SilenceCommand } from './types.ts';

/** What the chat side needs of the silences (app/ wires it to the SilenceKeeper and the store). */
export interface SilencePort {
  /** stores it and puts it in force at once */
  add(s: Silence): void;
  /** ends it now; undefined when there is none in force */
  expire(id: string, by: string): Silence | undefined;
  get(id: string): Silence | undefined;
  /** silences not ended (in force or yet to start) */
  open(): Silence[];
  /** the pipeline's clock (ms) */
  now(): number;
  /** the longest a silence lasts without force */
  maxDurationMs: number;
}

export interface SilenceRun {
  silences: SilencePort;
  user: ChatUser;
  identity: KubeIdentity;
  /** the namespace the command acts in: its -n, else the channel's; '' for -A */
  namespace: string;
  /** asks RBAC, as the chat user (the service's authorize) */
  authorize: (attrs: ResourceAttributes[]) => Promise<Authorization>;
}

/** A new silence id: short enough to type (`silence expire s-3kq9x2ab`). */
export function newSilenceId(): string {
  return `s-${randomBytes(5).toString('hex')}`;
}

/** Who made it, as silences record it: the Kubernetes identity the chat user acts as, and the chat user. */
export function silenceAuthor(user: ChatUser, identity: KubeIdentity): string {
  return `${identity.user} (${user.platform} ${user.name ?? user.id})`;
}

const iso = (t: number): string => new Date(t).toISOString().replace(/\.\d{3}Z$/, 'Z');

/** The matchers a `silence` command makes: the namespace it acts in ('' for -A: every namespace) and the flags. */
export function commandMatchers(cmd: Extract<SilenceCommand, { action: 'create' }>, namespace: string): SilenceMatchers {
  return {
    ...(namespace !== '' ? { namespace } : {}),
    ...(cmd.kind !== undefined ? { kind: cmd.kind } : {}),
    ...(cmd.name !== undefined ? { name: cmd.name } : {}),
    ...(cmd.reason !== undefined ? { reason: cmd.reason } : {}),
    ...(cmd.labels !== undefined ? { labels: cmd.labels } : {}),
    ...(cmd.cluster !== undefined ? { cluster: cmd.cluster } : {}),
  };
}

export async function runSilence(cmd: SilenceCommand, r: SilenceRun): Promise<ChatReply> {
  switch (cmd.action) {
    case 'create':
      return create(cmd, r);
    case 'list':
      return list(cmd, r);
    case 'expire':
      return expire(cmd.id, r);
  }
}

function create(cmd: Extract<SilenceCommand, { action: 'create' }>, r: SilenceRun): ChatReply {
  const now = r.silences.now();
  const endsAt = cmd.until ?? now + (cmd.durationSeconds ?? 0) * 1000;
  const matchers = commandMatchers(cmd, r.namespace);
  const draft: SilenceDraft = { matchers, startsAt: now, endsAt, createdBy: silenceAuthor(r.user, r.identity), comment: cmd.comment ?? '', source: 'chat' };
  try {
    validateSilence(draft, { maxDurationMs: r.silences.maxDurationMs, force: cmd.force });
  } catch (err) {
    if (!(err instanceof SilenceError)) throw err;
    return { status: 'invalid', title: `silence refused: ${chatWording(err, cmd)}`, blocks: [] };
  }
  const silence: Silence = { ...draft, id: newSilenceId(), createdAt: now, ...(cmd.force ? { forced: true } : {}) };
  r.silences.add(silence);
  return {
    status: 'ok',
    title: `Silenced ${describeMatchers(matchers)} until ${iso(endsAt)} (${formatDuration(endsAt - now)}): ${silence.id}`,
    blocks: [
      {
        kind: 'fields',
        fields: [
          { label: 'Matches', value: matchersText(matchers) },
          { label: 'Until', value: iso(endsAt) },
          { label: 'By', value: silence.createdBy },
          { label: 'Why', value: silence.comment },
        ],
      },
    ],
    notes: [`Data sinks still get these notifications, marked silencedBy ${silence.id}. \`silence expire ${silence.id}\` ends it early.`],
  };
}

// what the model says, in the chat's words (flags rather than fields)
function chatWording(err: SilenceError, cmd: Extract<SilenceCommand, { action: 'create' }>): string {
  if (err.field === 'comment') return 'say why after `--`, e.g. `silence --reason CrashLoopBackOff for 2h -- deploying the fix`';
  const text = err.message.slice(err.field.length + 2);
  if (err.forcible) return `${text.replace(/\(?force it if that is meant\)?/, '').trim()}. Add --force if that is meant (it needs the right to \`${FORCE_VERB} silences.kubeherald.io\`)`;
  if (err.field === 'endsAt' && cmd.until !== undefined) return `until: ${text}`;
  return `${err.field}: ${text}`;
}

function matchersText(m: SilenceMatchers): string {
  const text = describeMatchers(m);
  return m.namespace === undefined ? `${text} (every namespace and cluster-scoped objects)` : text;
}

/** Whether a silence applies in `namespace` ('' for -A: all of them): its own namespace, or none (cluster-wide). */
function appliesIn(s: Silence, namespace: string): boolean {
  return namespace === '' || s.matchers.namespace === undefined || s.matchers.namespace === '' || s.matchers.namespace === namespace;
}

function list(cmd: Extract<SilenceCommand, { action: 'list' }>, r: SilenceRun): ChatReply {
  const now = r.silences.now();
  const all = r.silences.open().filter((s) => appliesIn(s, r.namespace));
  const where = cmd.allNamespaces ? 'anywhere' : `in ${r.namespace}`;
  if (all.length === 0) return { status: 'ok', title: `No silences ${where}.`, blocks: [] };
  const rows = all.map((s) => [s.id, describeMatchers(s.matchers), `${s.startsAt > now ? `from ${iso(s.startsAt)} ` : ''}until ${iso(s.endsAt)}`, s.createdBy, s.comment]);
  return { status: 'ok', title: `${all.length} silence${all.length === 1 ? '' : 's'} ${where}`, blocks: [{ kind: 'table', columns: ['ID', 'MATCHES', 'WHEN', 'BY', 'WHY'], rows }] };
}

async function expire(id: string, r: SilenceRun): Promise<ChatReply> {
  const s = r.silences.get(id);
  const now = r.silences.now();
  if (!s || s.expiredAt !== undefined || s.endsAt <= now) return { status: 'invalid', title: `No silence ${id} in force (\`silence list\` shows them).`, blocks: [] };
  if (s.source === 'resource') return { status: 'invalid', title: `${id} comes from a Silence resource: delete the resource to end it (kubectl delete).`, blocks: [] };
  const verdict = await r.authorize(expireAccess(s.matchers.namespace));
  if (!verdict.allowed) return { status: verdict.decision === 'error' ? 'error' : 'denied', title: verdict.message, blocks: [] };
  const ended = r.silences.expire(id, silenceAuthor(r.user, r.identity));
  if (!ended) return { status: 'invalid', title: `No silence ${id} in force (\`silence list\` shows them).`, blocks: [] };
  return { status: 'ok', title: `Expired ${id} (${describeMatchers(s.matchers)}). What it held that still fires is sent once.`, blocks: [] };
}
