// Approving or denying a chat write request, the same way from a chat
// button and from `kubeherald requests approve|deny`: the approver is a
// chat user mapped to a Kubernetes identity; they may not be the requester;
// the policy frozen into the request must list them (or list nobody); their
// own identity must pass RBAC for the very action; and their decision and
// the state change it causes are written in one transaction, so of two
// approvers pressing at once exactly one sees "approved" (and executes).
//
// Executing is not done here: the caller that gets `approved` back claims
// the request (store.requests.claimForExecution) and runs it as the
// requester's identity with the previewed resourceVersion as precondition.

import { randomBytes } from 'node:crypto';
import type * as k8s from '@kubernetes/client-node';
import { AWAITING_STATES, type ActionRequest, type Decision, type DecisionKind, type RequestUser } from '../model/approval.ts';
import type { RequestRepo, Store } from '../store/types.ts';
import { authorize, type Authorization } from './authorize.ts';
import { requiredAccess } from './commands.ts';
import { impersonatingClients } from './kube.ts';
import { mayApprove } from './policy.ts';
import type { ChatUser, KubeIdentity, ParsedCommand, ResourceAttributes } from './types.ts';

/** A new request id: 16 random bytes as 22 base64url characters (fits Telegram's callback_data with room for an action id). */
export function newRequestId(): string {
  return randomBytes(16).toString('base64url');
}

/** The parsed command a request was made for (stored as JSON in the request). */
export function requestCommand(r: ActionRequest): ParsedCommand {
  return r.parsed as unknown as ParsedCommand;
}

/**
 * `(identity, attributes) → may it?` — the answer of the cluster the request
 * is for (`cluster`, its configured name; undefined: the home cluster), for
 * the approver's identity.
 */
export type Authorizer = (identity: KubeIdentity, attrs: readonly ResourceAttributes[], signal?: AbortSignal, cluster?: string) => Promise<Authorization>;

/**
 * An Authorizer that asks the API server as the identity (impersonation +
 * SelfSubjectAccessReview), as the command path does: of the one cluster
 * `kc`, or of the cluster `kc(cluster)` returns (which throws for one it
 * does not know: the approval is then refused, never checked elsewhere).
 */
export function kubeAuthorizer(kc: k8s.KubeConfig | ((cluster: string | undefined) => k8s.KubeConfig)): Authorizer {
  return async (identity, attrs, signal, cluster) => authorize(impersonatingClients(typeof kc === 'function' ? kc(cluster) : kc, identity), identity, attrs, signal);
}

export interface ApprovalDeps {
  store: { readonly requests: RequestRepo; transaction<T>(fn: () => T): T } | Store;
  /** chat user → their mapped identity (the same map chat commands use) */
  identities: { resolve(user: ChatUser): KubeIdentity | undefined };
  authorize: Authorizer;
  /** epoch ms (default Date.now) */
  now?: () => number;
}

export interface DecideOptions {
  reason?: string;
  /** `chat` (a button) or `cli` (kubeherald requests) */
  via?: string;
  /** the channel a button was pressed in: a press in another channel than the request's is refused */
  channel?: string;
  signal?: AbortSignal;
}

/** Why a decision was not taken. Nothing was written for any of these. */
export type RefusalCode =
  | 'not-found'
  | 'foreign'
  | 'not-awaiting-approval'
  | 'expired'
  | 'already-decided'
  | 'unmapped'
  | 'self'
  | 'not-an-approver'
  | 'reason-required'
  | 'rbac-denied'
  | 'rbac-error';

export type DecideResult =
  /** the threshold was reached by this decision: the caller executes (claimForExecution, then the write) */
  | { outcome: 'approved'; request: ActionRequest; decision: Decision }
  /** recorded; more approvals needed (or a denial recorded under a policy where one does not reject) */
  | { outcome: 'recorded'; request: ActionRequest; decision: Decision; remaining: number }
  /** a denial that rejects: the request is now `denied` */
  | { outcome: 'denied'; request: ActionRequest; decision: Decision }
  | { outcome: 'refused'; code: RefusalCode; message: string; request?: ActionRequest };

/** Distinct Kubernetes users who approved: two chat accounts of one person count once. */
export function approvalsOf(r: Pick<ActionRequest, 'decisions'>): number {
  return new Set(r.decisions.filter((d) => d.decision === 'approve').map((d) => d.identity.user)).size;
}

/**
 * One approver's decision on a request awaiting approval. Checks, in order:
 * the request exists, belongs to `opts.channel` when given, awaits approval
 * and has not expired; the approver is mapped; mayApprove (not the
 * requester, listed by the policy); RBAC for the command as the approver's
 * identity. Then records the decision and, in the same transaction, moves
 * the request to `approved` when enough distinct people approved, or to
 * `denied` on a denial when the policy says one rejects.
 */
export async function decide(deps: ApprovalDeps, requestId: string, approver: ChatUser, decision: DecisionKind, opts: DecideOptions = {}): Promise<DecideResult> {
  const now = deps.now ?? Date.now;
  const repo = deps.store.requests;
  const request = repo.get(requestId);
  if (!request) return { outcome: 'refused', code: 'not-found', message: `There is no request ${requestId}.` };
  if (opts.channel !== undefined && opts.channel !== request.channel) return { outcome: 'refused', code: 'foreign', message: 'This request belongs to another chat.' };
  const early = checkState(request, now(), repo);
  if (early) return early;

  const identity = deps.identities.resolve(approver);
  if (!identity) return { outcome: 'refused', code: 'unmapped', message: `${who(approver)} is not mapped to a Kubernetes identity, so cannot decide on requests.`, request };
  const user: RequestUser = { platform: approver.platform, id: approver.id, ...(approver.name !== undefined ? { name: approver.name } : {}) };
  const may = mayApprove(request.policy, { user, identity }, { user: request.requester, identity: request.identity });
  if (!may.ok) return { outcome: 'refused', code: may.reason.startsWith('the requester') ? 'self' : 'not-an-approver', message: capital(may.reason), request };

  if (request.policy.requireReason && !opts.reason?.trim()) {
    return { outcome: 'refused', code: 'reason-required', message: `${request.policy.name} requires a reason with every decision (in chat: \`${decision} ${request.id} <reason>\`; at a terminal: --reason)`, request };
  }

  const cmd = requestCommand(request);
  // on the cluster the request was previewed on: an approver's rights elsewhere say nothing
  const auth = await deps.authorize(identity, requiredAccess(cmd, request.namespace ?? ''), opts.signal, request.target.cluster);
  if (!auth.allowed) {
    const code = auth.decision === 'denied' ? 'rbac-denied' : 'rbac-error';
    return { outcome: 'refused', code, message: auth.decision === 'denied' ? `${capital(auth.message)}, so may not ${decision} this request.` : capital(auth.message), request };
  }

  const d: Decision = { by: user, identity: { user: identity.user, groups: [...identity.groups] }, decision, at: now(), ...(opts.reason ? { reason: opts.reason } : {}), ...(opts.via ? { via: opts.via } : {}) };
  return deps.store.transaction((): DecideResult => {
    const added = repo.addDecision(requestId, d);
    if (!added.ok) {
      const again = added.request ? checkState(added.request, d.at, repo) : undefined;
      if (again) return again;
      if (added.reason === 'already-decided') return { outcome: 'refused', code: 'already-decided', message: `${who(approver)} already decided on this request.`, ...(added.request ? { request: added.request } : {}) };
      return { outcome: 'refused', code: added.reason === 'expired' ? 'expired' : added.reason === 'not-found' ? 'not-found' : 'not-awaiting-approval', message: 'This request is no longer awaiting approval.', ...(added.request ? { request: added.request } : {}) };
    }
    const r = added.request;
    if (decision === 'deny' && r.policy.denyRejects) {
      const denied = repo.transition(requestId, ['awaiting-approval'], 'denied', {}, d.at);
      return { outcome: 'denied', request: denied ?? r, decision: d };
    }
    const remaining = Math.max(0, r.policy.approvals - approvalsOf(r));
    if (decision === 'approve' && remaining === 0) {
      const approved = repo.transition(requestId, ['awaiting-approval'], 'approved', {}, d.at);
      if (approved) return { outcome: 'approved', request: approved, decision: d };
    }
    return { outcome: 'recorded', request: r, decision: d, remaining };
  });
}

/** A refusal for a request that cannot take a decision now (and marks a late one expired). */
function checkState(r: ActionRequest, now: number, repo: RequestRepo): DecideResult | undefined {
  if (AWAITING_STATES.includes(r.state) && r.expiresAt <= now) {
    const expired = repo.transition(r.id, AWAITING_STATES, 'expired', {}, now);
    return { outcome: 'refused', code: 'expired', message: 'This request has expired.', request: expired ?? r };
  }
  if (r.state === 'expired') return { outcome: 'refused', code: 'expired', message: 'This request has expired.', request: r };
  if (r.state !== 'awaiting-approval') {
    const message = r.state === 'awaiting-confirmation' ? 'This request is not confirmed by its requester yet.' : `This request was already decided (it is ${r.state}).`;
    return { outcome: 'refused', code: 'not-awaiting-approval', message, request: r };
  }
  return undefined;
}

function who(u: ChatUser): string {
  return u.name ? `${u.name} (${u.platform} ${u.id})` : `${u.platform} user ${u.id}`;
}

function capital(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}
