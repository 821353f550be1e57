// May this identity do what a command needs? Asked of the API server itself,
// AS the impersonated identity (SelfSubjectAccessReview), so the answer is
// the cluster's RBAC (and any webhook authorizer), not a copy of it. A
// refusal becomes one sentence for the chat; a failure to ask is kept apart
// from a refusal, so "the API is down" never reads as "you may not".

import { describeApiError } from './errors.ts';
import type { KubeClients } from './kube.ts';
import type { KubeIdentity, ResourceAttributes } from './types.ts';

/** `allowed` for a quick check; `decision` tells a refusal from a failure to ask. */
export type Authorization =
  | { allowed: true; decision: 'allowed' }
  | {
      allowed: false;
      decision: 'denied';
      /** the first attribute set refused */
      attributes: ResourceAttributes;
      /** `alice (Kubernetes user alice@corp) may not patch deployments/scale in namespace payments`, plus the server's reason */
      message: string;
      /** what the authorizer said, if anything */
      reason?: string;
    }
  | {
      allowed: false;
      decision: 'error';
      /** why the question could not be asked (timeout, 5xx, unreachable) */
      message: string;
      /** HTTP status, when the server answered */
      status?: number;
    };

/** `patch deployments/scale in namespace payments`, `patch nodes` */
export function describeAttributes(a: ResourceAttributes): string {
  const resource = a.subresource ? `${a.resource}/${a.subresource}` : a.resource;
  return a.namespace ? `${a.verb} ${resource} in namespace ${a.namespace}` : `${a.verb} ${resource}`;
}

/** The sentence shown when RBAC refuses. `who` is the chat user's display name, when known. */
export function denialMessage(identity: KubeIdentity, a: ResourceAttributes, who?: string, reason?: string): string {
  const subject = who ? `${who} (Kubernetes user ${identity.user})` : `Kubernetes user ${identity.user}`;
  const because = reason ? `: ${reason}` : '';
  return `${subject} may not ${describeAttributes(a)}${because}`;
}

/**
 * One SelfSubjectAccessReview per attribute set, in order, through clients
 * that impersonate `identity`; stops at the first denial. `who` only changes
 * the wording.
 */
export async function authorize(
  clients: KubeClients,
  identity: KubeIdentity,
  attrs: readonly ResourceAttributes[],
  signal?: AbortSignal,
  who?: string,
): Promise<Authorization> {
  // the review is answered for whoever the clients impersonate: asking for one
  // identity through another's clients would authorize the wrong person
  if (clients.identity.user !== identity.user || clients.identity.groups.join('\n') !== identity.groups.join('\n')) {
    throw new Error('authorize: the clients impersonate a different identity');
  }
  for (const a of attrs) {
    let status: { allowed?: boolean; denied?: boolean; reason?: string; evaluationError?: string } | undefined;
    try {
      const review = await clients.authorization.createSelfSubjectAccessReview(
        {
          body: {
            apiVersion: 'authorization.k8s.io/v1',
            kind: 'SelfSubjectAccessReview',
            spec: {
              resourceAttributes: {
                verb: a.verb,
                group: a.group,
                resource: a.resource,
                ...(a.subresource ? { subresource: a.subresource } : {}),
                ...(a.namespace ? { namespace: a.namespace } : {}),
                ...(a.name ? { name: a.name } : {}),
              },
            },
          },
        },
        clients.call(signal),
      );
      status = review.status;
    } catch (err) {
      const e = describeApiError(err, signal);
      return { allowed: false, decision: 'error', message: `could not check access (${describeAttributes(a)}): ${e.message}`, ...(e.status ? { status: e.status } : {}) };
    }
    if (!status?.allowed) {
      const reason = status?.reason || status?.evaluationError || undefined;
      return { allowed: false, decision: 'denied', attributes: a, message: denialMessage(identity, a, who, reason), ...(reason ? { reason } : {}) };
    }
  }
  return { allowed: true, decision: 'allowed' };
}
