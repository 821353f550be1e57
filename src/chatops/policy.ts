// Approval policies: which chat writes need someone other than the requester
// to approve, how many, who may, and for how long a request waits. Pure: the
// caller hands in what it read (the namespace's labels, the current replica
// count) and the compiled policies; nothing here does I/O.
//
// How a requirement is chosen for a write:
// 1. Every policy that matches the command, its namespace and the channel
//    (every matcher a policy gives must hold) is a candidate; the strictest
//    candidate applies (most approvals, then a required reason, then "one
//    denial rejects", then the shortest expiry).
// 2. No policy matches: the safe defaults. Scaling to 0, or by more than a
//    factor of 2, and any write in a namespace labelled production
//    (`kubeherald.io/production: "true"`, the key configurable) need one
//    approver other than the requester; any other write needs the
//    requester's own confirmation only.
// 3. What is unknown counts against loosening: namespace labels that could
//    not be read make the namespace possibly production and make every
//    selector policy a candidate; an unknown replica count makes a scale
//    possibly large; a policy that failed validation still applies where
//    its valid matchers say it would, demanding at least one approver.

import { compileSelector, type CompiledSelector } from '../rules/selector.ts';
import type { LabelSelector } from '../rules/types.ts';
import { globRegExp, namespaceGlobProblem } from '../rules/glob.ts';
import type { Approvers, RequestPolicy, RequestUser } from '../model/approval.ts';
import { COMMANDS, commandSpec } from './commands.ts';
import type { KubeIdentity, ParsedCommand } from './types.ts';

export const DEFAULT_EXPIRY_SECONDS = 600;
export const DEFAULT_PRODUCTION_LABEL = 'kubeherald.io/production';
/** The most a request may wait: a day. */
export const MAX_EXPIRY_SECONDS = 86_400;
export const MAX_APPROVALS = 10;

/** The names policies give commands by: the writing commands of the table (`scale`, `restart`, `rollout undo`, `cordon`, `uncordon`, `delete`). */
export const WRITE_COMMANDS: readonly string[] = COMMANDS.filter((c) => c.writes).map((c) => c.name);

/** One policy as written (config file `chatops.policies[]` or a ChatPolicy's spec); defaults already applied by the schema. */
export interface PolicySpec {
  /** `WRITE_COMMANDS` names; empty or absent: every write */
  commands?: string[];
  /** namespace names or globs (`prod-*`); absent: any (a namespaced ChatPolicy: its own namespace only) */
  namespaces?: string[];
  namespaceSelector?: LabelSelector;
  /** channel/chat ids */
  channels?: string[];
  /** approvals needed from people other than the requester (0: the requester's confirmation is enough) */
  approvals: number;
  approvers?: Approvers;
  denyRejects?: boolean;
  expirySeconds?: number;
  requireReason?: boolean;
}

/** A field of a policy that is wrong, for config errors and the custom resource's status. */
export interface PolicyProblem {
  /** within the spec: ['commands', 1], ['namespaceSelector', 'matchExpressions', 0, 'operator'] */
  path: (string | number)[];
  message: string;
}

/** Where a policy came from and what it may cover. */
export interface PolicySource {
  /** `config:prod-scaling`, `ChatPolicy payments/scaling`, `ClusterChatPolicy prod` */
  name: string;
  /** a namespaced ChatPolicy applies in its own namespace only */
  namespace?: string;
}

export interface CompiledPolicy {
  readonly name: string;
  /** problems found; a policy with problems still applies where its valid matchers say, with at least one approver */
  readonly problems: readonly PolicyProblem[];
  /** the requirement when it applies */
  readonly requirement: RequestPolicy;
  /** 'yes', 'no', or 'maybe' (it depends on what the caller could not read) */
  matches(ctx: MatchContext): 'yes' | 'no' | 'maybe';
}

/** What a policy matches on. */
export interface MatchContext {
  /** the command's name in WRITE_COMMANDS (`scale`, `rollout undo`) */
  command: string;
  /** absent for a cluster-scoped command (cordon) */
  namespace?: string;
  /** the namespace's labels; undefined: could not be read */
  namespaceLabels?: Readonly<Record<string, string>>;
  channel: string;
}

/** What needsApproval is told about the request. */
export interface PolicyContext {
  /** the namespace the command acts in (namespace filled in); absent for cluster-scoped commands */
  namespace?: string;
  /** the namespace's labels as kubeherald read them; undefined when they could not be read (counts as possibly production) */
  namespaceLabels?: Readonly<Record<string, string>>;
  channel: string;
  /** scale only: the target's current spec.replicas; undefined when unknown (counts as a large change) */
  currentReplicas?: number;
  policies: readonly CompiledPolicy[];
  /** default kubeherald.io/production (value "true") */
  productionLabel?: string;
  /** default 600 */
  defaultExpirySeconds?: number;
}

/** The name of a command as policies match it: `scale`, `rollout undo`. */
export function commandName(cmd: ParsedCommand): string {
  return commandSpec(cmd.verb, cmd.verb === 'rollout' ? cmd.action : undefined).name;
}

/**
 * Validates and compiles one policy. Never throws: problems are returned
 * (and kept on the policy), and an invalid matcher is replaced by "matches
 * everything" so that the policy errs towards applying (it then demands at
 * least one approver).
 */
export function compilePolicy(spec: PolicySpec, source: PolicySource, defaults: { expirySeconds?: number } = {}): CompiledPolicy {
  const problems: PolicyProblem[] = [];
  const s = (spec ?? {}) as Partial<PolicySpec>;

  let commands: Set<string> | undefined;
  if (s.commands !== undefined) {
    if (!Array.isArray(s.commands)) problems.push({ path: ['commands'], message: 'expected a list of commands' });
    else {
      const good: string[] = [];
      s.commands.forEach((c, n) => {
        if (typeof c === 'string' && WRITE_COMMANDS.includes(c)) good.push(c);
        else problems.push({ path: ['commands', n], message: `${JSON.stringify(c)} is not a command that writes (expected one of ${WRITE_COMMANDS.join(', ')})` });
      });
      // one bad name: the policy covers every write rather than fewer than meant
      if (good.length && good.length === s.commands.length) commands = new Set(good);
    }
  }

  let namespaces: RegExp[] | undefined;
  if (s.namespaces !== undefined) {
    if (!Array.isArray(s.namespaces)) problems.push({ path: ['namespaces'], message: 'expected a list of namespace names or globs' });
    else {
      const bad = s.namespaces.map((ns, n) => [n, namespaceGlobProblem(ns)] as const).filter(([, p]) => p !== undefined);
      for (const [n, p] of bad) problems.push({ path: ['namespaces', n], message: p! });
      if (!bad.length && s.namespaces.length) namespaces = s.namespaces.map((ns) => globRegExp(ns));
    }
  }

  let selector: CompiledSelector | undefined;
  if (s.namespaceSelector !== undefined) {
    const c = compileSelector(s.namespaceSelector);
    for (const p of c.problems) problems.push({ path: ['namespaceSelector', ...p.path], message: p.message });
    if (!c.problems.length) selector = c.selector;
  }

  let channels: Set<string> | undefined;
  if (s.channels !== undefined) {
    if (!Array.isArray(s.channels) || s.channels.some((c) => typeof c !== 'string' || c === '')) problems.push({ path: ['channels'], message: 'expected a list of channel/chat ids' });
    else if (s.channels.length) channels = new Set(s.channels);
  }

  const int = (v: unknown, path: string, min: number, max: number, dflt: number): number => {
    if (v === undefined) return dflt;
    if (typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max) return v;
    problems.push({ path: [path], message: `expected a whole number from ${min} to ${max}, got ${JSON.stringify(v)}` });
    return dflt;
  };
  let approvals = int(s.approvals, 'approvals', 0, MAX_APPROVALS, 1);
  const expirySeconds = int(s.expirySeconds, 'expirySeconds', 1, MAX_EXPIRY_SECONDS, defaults.expirySeconds ?? DEFAULT_EXPIRY_SECONDS);

  const approvers: Approvers = {};
  const a = s.approvers as Approvers | undefined;
  if (a !== undefined) {
    for (const key of ['chatUsers', 'groups'] as const) {
      const v = (a as Record<string, unknown>)[key];
      if (v === undefined) continue;
      if (!Array.isArray(v)) problems.push({ path: ['approvers', key], message: 'expected a list' });
      else
        v.forEach((x, n) => {
          if (typeof x !== 'string' || x === '') problems.push({ path: ['approvers', key, n], message: 'expected a non-empty string' });
          else if (key === 'chatUsers' && !/^(slack|telegram|console):\S+$/.test(x)) problems.push({ path: ['approvers', key, n], message: `${JSON.stringify(x)}: expected platform:id (slack:U0123ABCD, telegram:123456, console:bob)` });
        });
      if (Array.isArray(v) && v.length) approvers[key] = v.filter((x): x is string => typeof x === 'string' && x !== '');
    }
  }
  // an invalid policy never loosens: at least one approver, and one denial rejects
  if (problems.length) approvals = Math.max(1, approvals);
  const requirement: RequestPolicy = {
    name: source.name,
    approvals,
    approvers,
    denyRejects: problems.length ? true : s.denyRejects ?? true,
    requireReason: s.requireReason === true,
    expirySeconds,
  };
  if (problems.length) requirement.why = `${source.name} is invalid (${problems.map((p) => `${p.path.join('.')}: ${p.message}`).join('; ')}); the safe default applies`;

  const scope = source.namespace;
  return {
    name: source.name,
    problems,
    requirement,
    matches(ctx) {
      if (commands && !commands.has(ctx.command)) return 'no';
      if (channels && !channels.has(ctx.channel)) return 'no';
      if (scope !== undefined && ctx.namespace !== scope) return 'no';
      if (namespaces && (ctx.namespace === undefined || !namespaces.some((re) => re.test(ctx.namespace!)))) return 'no';
      if (selector) {
        if (ctx.namespace === undefined) return 'no';
        if (ctx.namespaceLabels === undefined) return 'maybe';
        if (!selector.test(ctx.namespaceLabels)) return 'no';
      }
      return 'yes';
    },
  };
}

/** Higher: stricter. */
function strictness(p: RequestPolicy): [number, number, number, number] {
  return [p.approvals, p.requireReason ? 1 : 0, p.denyRejects ? 1 : 0, -p.expirySeconds];
}

function stricter(a: RequestPolicy, b: RequestPolicy): boolean {
  const x = strictness(a);
  const y = strictness(b);
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return x[i] > y[i];
  return a.name < b.name;
}

/**
 * What a command needs before it runs. Undefined: it does not write (it runs
 * at once). Otherwise the policy to freeze into the request: `approvals` 0
 * means the requester's own confirmation is enough; more means that many
 * people other than the requester, allowed by `mayApprove`, must approve
 * after the requester confirmed.
 */
export function needsApproval(cmd: ParsedCommand, ctx: PolicyContext): RequestPolicy | undefined {
  const spec = commandSpec(cmd.verb, cmd.verb === 'rollout' ? cmd.action : undefined);
  if (!spec.writes) return undefined;
  const m: MatchContext = { command: spec.name, channel: ctx.channel, ...(ctx.namespace !== undefined ? { namespace: ctx.namespace } : {}), ...(ctx.namespaceLabels !== undefined ? { namespaceLabels: ctx.namespaceLabels } : {}) };

  let definite: RequestPolicy | undefined;
  let possible: RequestPolicy | undefined;
  for (const p of ctx.policies) {
    const r = p.matches(m);
    if (r === 'yes' && (!definite || stricter(p.requirement, definite))) definite = p.requirement;
    if (r === 'maybe' && (!possible || stricter(p.requirement, possible))) possible = p.requirement;
  }
  const candidates: RequestPolicy[] = [];
  if (definite) candidates.push(definite);
  else candidates.push(defaultPolicy(cmd, ctx));
  // a policy that may apply (labels unread) only ever tightens
  if (possible) candidates.push(possible);
  let best = candidates[0];
  for (const c of candidates.slice(1)) if (stricter(c, best)) best = c;
  return { ...best, approvers: { ...best.approvers } };
}

/** The built-in rules, used when no policy matches. */
export function defaultPolicy(cmd: ParsedCommand, ctx: Pick<PolicyContext, 'namespace' | 'namespaceLabels' | 'currentReplicas' | 'productionLabel' | 'defaultExpirySeconds'>): RequestPolicy {
  const base = { name: 'default', approvers: {}, denyRejects: true, requireReason: false, expirySeconds: ctx.defaultExpirySeconds ?? DEFAULT_EXPIRY_SECONDS };
  const label = ctx.productionLabel ?? DEFAULT_PRODUCTION_LABEL;
  const why: string[] = [];
  if (ctx.namespace !== undefined) {
    if (ctx.namespaceLabels === undefined) why.push(`the labels of namespace ${ctx.namespace} could not be read (it may be production)`);
    else if (ctx.namespaceLabels[label] === 'true') why.push(`namespace ${ctx.namespace} is labelled ${label}=true`);
  }
  if (cmd.verb === 'scale') {
    const cur = ctx.currentReplicas;
    if (cmd.replicas === 0) why.push('scaling to 0');
    else if (cur === undefined) why.push('the current replica count is unknown');
    else if (cmd.replicas > 2 * cur || cmd.replicas * 2 < cur) why.push(`scaling from ${cur} to ${cmd.replicas} (more than a factor of 2)`);
  }
  if (why.length) return { ...base, approvals: 1, why: why.join('; ') };
  return { ...base, approvals: 0 };
}

/** The chat user and identity on either side of a decision. */
export interface Party {
  user: RequestUser;
  identity: KubeIdentity;
}

/**
 * May `approver` approve (or deny) a request of `requester` under `policy`?
 * Never the requester themselves: not the same chat user, and not the same
 * Kubernetes user through another platform or the CLI. RBAC for the action
 * is checked separately (approvals.ts), against the cluster.
 */
export function mayApprove(policy: RequestPolicy, approver: Party, requester: Party): { ok: true } | { ok: false; reason: string } {
  if (approver.user.platform === requester.user.platform && approver.user.id === requester.user.id) return { ok: false, reason: 'the requester cannot approve their own request' };
  if (approver.identity.user === requester.identity.user) return { ok: false, reason: `the requester cannot approve their own request (both act as Kubernetes user ${requester.identity.user})` };
  const users = policy.approvers.chatUsers ?? [];
  const groups = policy.approvers.groups ?? [];
  if (!users.length && !groups.length) return { ok: true };
  if (users.includes(`${approver.user.platform}:${approver.user.id}`)) return { ok: true };
  if (approver.identity.groups.some((g) => groups.includes(g))) return { ok: true };
  const who = [users.length ? `chat users ${users.join(', ')}` : '', groups.length ? `members of ${groups.join(', ')}` : ''].filter(Boolean).join(' or ');
  return { ok: false, reason: `only ${who} may approve under ${policy.name}` };
}
