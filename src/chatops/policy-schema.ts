// The schema of one approval policy as written: an entry of
// `chatops.policies` in the config file (with a name). The rules beyond the
// schema's (known commands, namespace globs, the selector) are
// compilePolicy's, so the config file refuses what a policy resource's
// status would report.

import { z } from 'zod';
import { dnsLabel, labelSelector, list, strict } from '../config-kit/fields.ts';
import { compilePolicy, DEFAULT_EXPIRY_SECONDS, MAX_APPROVALS, MAX_EXPIRY_SECONDS, type PolicySpec } from './policy.ts';

const labelSelectorSchema = labelSelector(z.enum(['In', 'NotIn', 'Exists', 'DoesNotExist']));

export const policyConfigSchema = strict({
  /** names the policy in replies, the audit trail and `requests show` */
  name: dnsLabel,
  /** the commands it covers (`scale`, `restart`, `rollout undo`, `cordon`, `uncordon`, `delete`); empty: every write */
  commands: list(z.string()),
  /** namespace names or globs (`prod-*`); empty: any */
  namespaces: list(z.string()),
  /** only namespaces with these labels (a Kubernetes label selector) */
  namespaceSelector: labelSelectorSchema.optional(),
  /** channel/chat ids; empty: any */
  channels: list(z.string().min(1)),
  /** approvals needed from people other than the requester; 0: the requester's confirmation only */
  approvals: z.number().int().min(0).max(MAX_APPROVALS).default(1),
  /** who may approve: chat users (`slack:U0123ABCD`) or groups of their mapped Kubernetes identity; both empty: anyone but the requester */
  approvers: strict({
    chatUsers: list(z.string()),
    groups: list(z.string().min(1)),
  }).prefault({}),
  /** one denial rejects the request */
  denyRejects: z.boolean().default(true),
  /** how long a request waits for confirmation and approval */
  expirySeconds: z.number().int().min(1).max(MAX_EXPIRY_SECONDS).default(DEFAULT_EXPIRY_SECONDS),
  /** the requester must give a reason (`scale … --reason "…"`) */
  requireReason: z.boolean().default(false),
}).superRefine((p, ctx) => {
  for (const problem of compilePolicy(toPolicySpec(p), { name: `config:${p.name}` }).problems) ctx.addIssue({ code: 'custom', path: problem.path, message: problem.message });
});

export type PolicyConfig = z.output<typeof policyConfigSchema>;

/** A config entry as compilePolicy takes it (empty lists: no restriction). */
export function toPolicySpec(p: Omit<PolicyConfig, 'name'>): PolicySpec {
  return {
    ...(p.commands.length ? { commands: p.commands } : {}),
    ...(p.namespaces.length ? { namespaces: p.namespaces } : {}),
    ...(p.namespaceSelector ? { namespaceSelector: p.namespaceSelector } : {}),
    ...(p.channels.length ? { channels: p.channels } : {}),
    approvals: p.approvals,
    approvers: { ...(p.approvers.chatUsers.length ? { chatUsers: p.approvers.chatUsers } : {}), ...(p.approvers.groups.length ? { groups: p.approvers.groups } : {}) },
    denyRejects: p.denyRejects,
    expirySeconds: p.expirySeconds,
    requireReason: p.requireReason,
  };
}
