// The ChatPolicy and ClusterChatPolicy custom resources (kubeherald.io/
// v1alpha1): approval policies for chat writes, the same as an entry of
// `chatops.policies`. A ChatPolicy applies in its own namespace only (so a
// namespace's owners can ask for more approvals there, never anywhere
// else); a ClusterChatPolicy may name namespaces or select them by label.
// The spec schemas live here and src/crd/ generates the CRDs from them.
//
// The schemas check shape only. What compilePolicy checks (command names,
// namespace globs, the label selector) is deliberately left for the status
// to report: the API server admits such a policy, its Ready condition names
// the field, and the policy still applies, safely, where it would have.
// Pure: from the objects as they are to the compiled policies and what each
// object's status should say.

import { z } from 'zod';
import { previousReady, type ReadyCondition, readyFor, readyUpToDate } from '../cluster/ready-condition.ts';
import type { KubeObject } from '../model/kube.ts';
import type { RequestPolicy } from '../model/approval.ts';
import { compilePolicy, type CompiledPolicy, MAX_APPROVALS, MAX_EXPIRY_SECONDS, type PolicySpec, WRITE_COMMANDS } from './policy.ts';

const GROUP = 'kubeherald.io';
const VERSION = 'v1alpha1';
export const CHAT_POLICY = { group: GROUP, version: VERSION, kind: 'ChatPolicy', plural: 'chatpolicies', singular: 'chatpolicy' } as const;
export const CLUSTER_CHAT_POLICY = { group: GROUP, version: VERSION, kind: 'ClusterChatPolicy', plural: 'clusterchatpolicies', singular: 'clusterchatpolicy' } as const;
export const CHAT_POLICY_API_VERSION = `${GROUP}/${VERSION}`;
export type ChatPolicyKind = 'ChatPolicy' | 'ClusterChatPolicy';

const text = (max: number) => z.string().min(1).max(max);

// Shared by both kinds: what a policy asks for, and of which commands and channels.
const common = {
  commands: z
    .array(text(64))
    .max(16)
    .optional()
    .describe(`The writing commands it covers: ${WRITE_COMMANDS.join(', ')}. Absent or empty: every write. An unknown name is reported in status and the policy then covers every write.`),
  channels: z.array(text(256)).max(256).optional().describe('Slack channel or Telegram chat ids it covers. Absent or empty: any.'),
  approvals: z
    .number()
    .int()
    .min(0)
    .max(MAX_APPROVALS)
    .optional()
    .describe('Approvals needed from people other than the requester (default 1). 0: the requester confirming is enough.'),
  approvers: z
    .strictObject({
      chatUsers: z.array(text(300)).max(256).optional().describe('Chat users as platform:id (slack:U0123ABCD, telegram:123456789, console:bob).'),
      groups: z.array(text(256)).max(256).optional().describe("Kubernetes groups of the approver's mapped identity."),
    })
    .optional()
    .describe('Who may approve. Both absent: anyone but the requester. Every approver must also pass RBAC for the action.'),
  denyRejects: z.boolean().optional().describe('One denial rejects the request (default true).'),
  expirySeconds: z.number().int().min(1).max(MAX_EXPIRY_SECONDS).optional().describe('How long a request waits for confirmation and approvals (default 600).'),
  requireReason: z.boolean().optional().describe('A reason is required (default false).'),
};

export const chatPolicySpecSchema = z.strictObject(common).describe('An approval policy for chat writes in this namespace.');

export const clusterChatPolicySpecSchema = z
  .strictObject({
    ...common,
    namespaces: z.array(text(253)).max(256).optional().describe('Namespace names or globs (prod-*). Absent or empty: any, and cluster-scoped commands (cordon, uncordon).'),
    namespaceSelector: z
      .strictObject({
        matchLabels: z.record(z.string(), z.string()).optional(),
        matchExpressions: z
          .array(
            z.strictObject({
              key: z.string(),
              operator: z.string().describe('In, NotIn, Exists or DoesNotExist.'),
              values: z.array(z.string()).optional(),
            }),
          )
          .optional(),
      })
      .optional()
      .describe('Only namespaces whose labels match (a Kubernetes label selector). Never matches cluster-scoped commands.'),
  })
  .describe('An approval policy for chat writes in any namespace, or the namespaces it names or selects.');

export type ChatPolicySpec = z.output<typeof clusterChatPolicySpecSchema>;

export interface ChatPolicyProblem {
  /** the object's field: spec.commands[1], spec.namespaceSelector.matchExpressions[0].operator */
  field: string;
  message: string;
}

export interface ChatPolicyCheck {
  kind: ChatPolicyKind;
  /** "payments/scaling" for a ChatPolicy, "prod" for a ClusterChatPolicy */
  key: string;
  obj: KubeObject;
  /** always there: a policy with problems applies where it would have, demanding at least one approver */
  policy: CompiledPolicy;
  problems: ChatPolicyProblem[];
}

/** ['spec', 'commands', 1] → "spec.commands[1]" */
function fieldPath(path: readonly PropertyKey[]): string {
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : `${i ? '.' : ''}${String(p)}`)).join('');
}

/** The name a policy goes by in replies, requests and the audit trail. */
export function policyName(kind: ChatPolicyKind, obj: KubeObject): string {
  return kind === 'ChatPolicy' ? `ChatPolicy ${obj.metadata.namespace}/${obj.metadata.name}` : `ClusterChatPolicy ${obj.metadata.name}`;
}

/**
 * One object: its compiled policy and its problems by field. The shape is
 * checked by the kind's schema (the API server does so too, so this only
 * matters for objects admitted before a CRD upgrade); the rest by
 * compilePolicy, which never lets a broken policy loosen anything.
 */
export function checkChatPolicy(kind: ChatPolicyKind, obj: KubeObject, defaults: { expirySeconds?: number } = {}): ChatPolicyCheck {
  const schema = kind === 'ChatPolicy' ? chatPolicySpecSchema : clusterChatPolicySpecSchema;
  const raw = obj.spec ?? {};
  const problems: ChatPolicyProblem[] = [];
  const r = schema.safeParse(raw);
  if (!r.success) {
    for (const issue of r.error.issues) {
      if (issue.code === 'unrecognized_keys') for (const key of issue.keys) problems.push({ field: fieldPath(['spec', ...issue.path, key]), message: 'unknown field' });
      else problems.push({ field: fieldPath(['spec', ...issue.path]), message: issue.message });
    }
  }
  const name = policyName(kind, obj);
  const compiled = compilePolicy(raw as PolicySpec, { name, ...(kind === 'ChatPolicy' ? { namespace: obj.metadata.namespace! } : {}) }, defaults);
  const seen = new Set(problems.map((p) => p.field));
  for (const p of compiled.problems) {
    const field = fieldPath(['spec', ...p.path]);
    if (!seen.has(field)) problems.push({ field, message: p.message });
    seen.add(field);
  }
  const key = kind === 'ChatPolicy' ? `${obj.metadata.namespace}/${obj.metadata.name}` : obj.metadata.name!;
  // problems only the schema saw (compilePolicy found none): still never looser than one approver
  const policy = problems.length && !compiled.problems.length ? safeVersion(compiled, problems) : compiled;
  return { kind, key, obj, policy, problems };
}

function safeVersion(p: CompiledPolicy, problems: ChatPolicyProblem[]): CompiledPolicy {
  const requirement: RequestPolicy = {
    ...p.requirement,
    approvals: Math.max(1, p.requirement.approvals),
    denyRejects: true,
    why: `${p.name} is invalid (${problems.map((x) => `${x.field}: ${x.message}`).join('; ')}); the safe default applies`,
  };
  return {
    name: p.name,
    problems: problems.map((x) => ({ path: [x.field], message: x.message })),
    requirement,
    matches: (ctx) => p.matches(ctx),
  };
}

/** Every object of both kinds, sorted: ClusterChatPolicies first, then ChatPolicies by namespace/name. */
export function checkChatPolicies(objects: readonly { kind: ChatPolicyKind; obj: KubeObject }[], defaults: { expirySeconds?: number } = {}): ChatPolicyCheck[] {
  return objects
    .map(({ kind, obj }) => checkChatPolicy(kind, obj, defaults))
    .sort((a, b) => (a.kind !== b.kind ? (a.kind === 'ClusterChatPolicy' ? -1 : 1) : a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

// ---------------------------------------------------------------------------
// Status, written the way ChatIdentity's is

export type Condition = ReadyCondition;

export interface ChatPolicyStatus {
  observedGeneration: number;
  conditions: Condition[];
}

/** What a valid policy does, in one sentence, for its Ready condition and `kubectl describe`. */
export function readyMessage(c: ChatPolicyCheck): string {
  const spec = (c.obj.spec ?? {}) as ChatPolicySpec;
  const req = c.policy.requirement;
  const what = spec.commands?.length ? spec.commands.join(', ') : 'every write';
  const where: string[] = [];
  if (c.kind === 'ChatPolicy') where.push(`in namespace ${c.obj.metadata.namespace}`);
  if (spec.namespaces?.length) where.push(`in namespaces ${spec.namespaces.join(', ')}`);
  if (spec.namespaceSelector) where.push('in the namespaces its selector matches');
  if (spec.channels?.length) where.push(`from channels ${spec.channels.join(', ')}`);
  const who = [...(req.approvers.chatUsers ?? []), ...(req.approvers.groups ?? []).map((g) => `group ${g}`)];
  const needs =
    req.approvals === 0
      ? "needs the requester's confirmation only"
      : `needs ${req.approvals} approval${req.approvals === 1 ? '' : 's'} from ${who.length ? who.join(' or ') : 'anyone but the requester'}${req.requireReason ? ' with a reason' : ''}`;
  return `${what}${where.length ? ` ${where.join(' ')}` : ''} ${needs}; requests expire after ${req.expirySeconds} s`;
}

/** The status a check calls for; lastTransitionTime kept while Ready stays the same. */
export function desiredStatus(c: ChatPolicyCheck, now: Date): ChatPolicyStatus {
  const generation = c.obj.metadata.generation ?? 0;
  const ok = c.problems.length === 0;
  const message = ok
    ? readyMessage(c)
    : `${c.problems.map((p) => `${p.field}: ${p.message}`).join('; ')}. Until this is fixed the policy applies wherever it could match and needs at least one approver (the safe default); the other policies are unaffected`;
  return { observedGeneration: generation, conditions: [readyFor(previousReady(c.obj), { status: ok ? 'True' : 'False', reason: ok ? 'Accepted' : 'InvalidSpec', message, generation }, now)] };
}

/** Whether the object's status already says this (no write needed). */
export const statusUpToDate: (obj: KubeObject, want: ChatPolicyStatus) => boolean = readyUpToDate;
