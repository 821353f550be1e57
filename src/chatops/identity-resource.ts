// The ChatIdentity custom resource (kubeherald.io/v1alpha1, cluster-scoped):
// one chat user acting as one Kubernetes identity, the same mapping as an
// entry of `chatops.identities`. Its spec schema lives here and src/crd/
// generates the CRD from it, so what the API server admits and what
// kubeherald accepts cannot drift apart. Pure: from the objects as they are
// to the mappings in force and what each object's status should say.

import { z } from 'zod';
import { previousReady, type ReadyCondition, readyFor, readyUpToDate } from '../cluster/ready-condition.ts';
import type { KubeObject } from '../model/kube.ts';
import { chatUserKey, describeChatUser, type IdentityEntry, identityProblems } from './identity.ts';

export const CHAT_IDENTITY = { group: 'kubeherald.io', version: 'v1alpha1', kind: 'ChatIdentity', plural: 'chatidentities', singular: 'chatidentity' } as const;
export const CHAT_IDENTITY_API_VERSION = `${CHAT_IDENTITY.group}/${CHAT_IDENTITY.version}`;

// RE2-compatible patterns only: the API server evaluates them in Go.
// Printable ASCII without spaces: Slack (U0123ABCD) and Telegram (numeric)
// ids are ASCII, so a look-alike character can only be a mistake or a trick.
const PLATFORM_ID = /^[!-~]+$/;
const EMAIL = /^[^\s@]+@[^\s@]+$/;

export const chatIdentitySpecSchema = z
  .strictObject({
    platform: z.enum(['slack', 'telegram', 'console']).describe('The chat platform.'),
    user: z
      .string()
      .min(1)
      .max(256)
      .regex(PLATFORM_ID, { error: 'expected a platform user id (Slack U0123ABCD, Telegram 123456789): printable ASCII, no spaces' })
      .optional()
      .describe("The platform's stable user id (Slack U0123ABCD, Telegram numeric id, the console's --as name); compared exactly."),
    email: z
      .string()
      .max(254)
      .regex(EMAIL, { error: 'expected an e-mail address' })
      .optional()
      .describe('Slack only, instead of user: the e-mail address Slack has verified for the user (compared ignoring ASCII case).'),
    kubernetes: z
      .strictObject({
        user: z.string().min(1).max(256).describe('The Kubernetes user every API call of this chat user impersonates; never a system: name.'),
        groups: z.array(z.string().min(1).max(256)).max(32).optional().describe('Groups impersonated with it; never system: groups.'),
      })
      .describe('The Kubernetes identity: its RBAC decides what the chat user may do.'),
  })
  .superRefine((spec, ctx) => {
    for (const p of identityProblems(spec)) ctx.addIssue({ code: 'custom', path: p.path, message: p.message, params: { reason: p.reason } });
  })
  .describe('One chat user acting as one Kubernetes identity.');

export type ChatIdentitySpec = z.output<typeof chatIdentitySpecSchema>;

export interface ChatIdentityProblem {
  /** the object's field: spec.kubernetes.groups[0] */
  field: string;
  message: string;
  /** InvalidSpec, Forbidden (a system: identity), Conflict (another ChatIdentity maps the same chat user), OverriddenByConfig */
  reason: string;
}

export interface ChatIdentityCheck {
  name: string;
  obj: KubeObject;
  /** valid and in force (no problems) */
  entry?: IdentityEntry;
  problems: ChatIdentityProblem[];
}

/** ['spec', 'kubernetes', 'groups', 0] → "spec.kubernetes.groups[0]" */
function fieldPath(path: readonly PropertyKey[]): string {
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : `${i ? '.' : ''}${String(p)}`)).join('');
}

/** One object's spec: the mapping, or the problems naming their fields. */
export function checkSpec(obj: KubeObject): { spec?: ChatIdentitySpec; problems: ChatIdentityProblem[] } {
  const r = chatIdentitySpecSchema.safeParse(obj.spec ?? undefined);
  if (r.success) return { spec: r.data, problems: [] };
  const problems: ChatIdentityProblem[] = [];
  for (const issue of r.error.issues) {
    const reason = issue.code === 'custom' && (issue.params as { reason?: string } | undefined)?.reason === 'Forbidden' ? 'Forbidden' : 'InvalidSpec';
    if (issue.code === 'unrecognized_keys') for (const key of issue.keys) problems.push({ field: fieldPath(['spec', ...issue.path, key]), message: 'unknown field', reason });
    else problems.push({ field: fieldPath(['spec', ...issue.path]), message: issue.message, reason });
  }
  // a refused system: identity says so first, whatever else is wrong
  problems.sort((a, b) => Number(b.reason === 'Forbidden') - Number(a.reason === 'Forbidden'));
  return { problems };
}

/**
 * Every ChatIdentity checked against the schema, against each other (two
 * mapping one chat user: neither is used, each names the other) and
 * against the config file (`configFor`: the config entry mapping that chat
 * user, which wins).
 */
export function checkChatIdentities(objects: readonly KubeObject[], configFor: (spec: ChatIdentitySpec) => string | undefined = () => undefined): ChatIdentityCheck[] {
  const checks = [...objects]
    .sort((a, b) => (a.metadata.name! < b.metadata.name! ? -1 : a.metadata.name! > b.metadata.name! ? 1 : 0))
    .map((obj) => ({ name: obj.metadata.name!, obj, ...checkSpec(obj) }));
  const byKey = new Map<string, typeof checks>();
  for (const c of checks) {
    if (!c.spec) continue;
    const key = chatUserKey(c.spec);
    byKey.set(key, [...(byKey.get(key) ?? []), c]);
  }
  const out: ChatIdentityCheck[] = [];
  for (const c of checks) {
    const { spec, problems } = c;
    if (spec) {
      const field = spec.user !== undefined ? 'spec.user' : 'spec.email';
      const others = byKey.get(chatUserKey(spec))!.filter((o) => o !== c).map((o) => o.name);
      const config = configFor(spec);
      if (others.length) {
        problems.push({ field, reason: 'Conflict', message: `${describeChatUser(spec)} is also mapped by ChatIdentity ${others.join(', ')}; neither is used until one is changed or deleted` });
      } else if (config) {
        problems.push({ field, reason: 'OverriddenByConfig', message: `${describeChatUser(spec)} is mapped by the config file (${config}), which takes precedence` });
      }
    }
    const entry: IdentityEntry | undefined =
      spec && !problems.length
        ? {
            platform: spec.platform,
            ...(spec.user !== undefined ? { user: spec.user } : {}),
            ...(spec.email !== undefined ? { email: spec.email } : {}),
            kubernetes: { user: spec.kubernetes.user, groups: [...(spec.kubernetes.groups ?? [])] },
            source: `ChatIdentity ${c.name}`,
          }
        : undefined;
    out.push({ name: c.name, obj: c.obj, ...(entry ? { entry } : {}), problems });
  }
  return out;
}

// ---------------------------------------------------------------------------
// Status, written the way the routing controller writes Routes' and Sinks'

export type Condition = ReadyCondition;

export interface ChatIdentityStatus {
  observedGeneration: number;
  conditions: Condition[];
}

export function readyMessage(e: IdentityEntry): string {
  const groups = e.kubernetes.groups.length ? ` (groups ${e.kubernetes.groups.join(', ')})` : '';
  return `${describeChatUser(e)} acts as Kubernetes user ${e.kubernetes.user}${groups}`;
}

/** The status a check calls for; lastTransitionTime kept while Ready stays the same. */
export function desiredStatus(c: ChatIdentityCheck, now: Date): ChatIdentityStatus {
  const generation = c.obj.metadata.generation ?? 0;
  const ok = c.problems.length === 0;
  const message = ok ? readyMessage(c.entry!) : c.problems.map((p) => `${p.field}: ${p.message}`).join('; ');
  return { observedGeneration: generation, conditions: [readyFor(previousReady(c.obj), { status: ok ? 'True' : 'False', reason: ok ? 'Accepted' : c.problems[0].reason, message, generation }, now)] };
}

/** Whether the object's status already says this (no write needed). */
export const statusUpToDate: (obj: KubeObject, want: ChatIdentityStatus) => boolean = readyUpToDate;
