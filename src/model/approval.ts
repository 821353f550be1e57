// A write asked for from chat, from its preview to its result: what the
// state database keeps so that a restart, a second approver or a crash
// between "approved" and "executed" never loses it nor runs it twice. A leaf
// (store/ keeps it, chatops/ drives it, and the two may not import each
// other), plain JSON-able data only.

import type { KubeIdentity, Platform } from './audit.ts';

/**
 * Where a request is. The open states come first:
 *
 *   awaiting-confirmation → (requester confirms) → awaiting-approval → approved → executing → executed | failed
 *                         ↘ approved (when the policy needs no approver)
 *
 * and it can end early: cancelled (by the requester), denied (an approver
 * said no and the policy lets one denial reject), expired (expiresAt passed
 * while awaiting), stale (the target changed after the preview: nothing was
 * written and a fresh preview is needed).
 */
export type RequestState =
  | 'awaiting-confirmation'
  | 'awaiting-approval'
  | 'approved'
  | 'executing'
  | 'executed'
  | 'failed'
  | 'cancelled'
  | 'denied'
  | 'expired'
  | 'stale';

export const REQUEST_STATES: readonly RequestState[] = ['awaiting-confirmation', 'awaiting-approval', 'approved', 'executing', 'executed', 'failed', 'cancelled', 'denied', 'expired', 'stale'];

/** Waiting for a person: these expire at expiresAt. */
export const AWAITING_STATES: readonly RequestState[] = ['awaiting-confirmation', 'awaiting-approval'];

/** Nothing more happens to a request in one of these. */
export const FINAL_STATES: readonly RequestState[] = ['executed', 'failed', 'cancelled', 'denied', 'expired', 'stale'];

/** The chat user behind a request or a decision, as their platform identifies them. */
export interface RequestUser {
  platform: Platform;
  /** the platform's stable user id (Slack U…, Telegram numeric id, the console's/CLI's --as name) */
  id: string;
  /** display name, never used to decide anything */
  name?: string;
}

/** The object the write is about, as it was when previewed. */
export interface RequestTarget {
  /** `deployment`, `pod`, `node` (the command's kind) */
  kind: string;
  /** absent for cluster-scoped objects (nodes) */
  namespace?: string;
  name: string;
  /** metadata.resourceVersion at preview time: the write's precondition */
  resourceVersion?: string;
  /** metadata.generation at preview time (for re-checking after a crash) */
  generation?: number;
  /**
   * The configured cluster (its `clusters[].name`) the write was previewed on,
   * and so the only one it may run on. Absent in requests made before
   * kubeherald knew several clusters: the home (first) cluster.
   */
  cluster?: string;
}

/** Who may approve: any listed chat user, or anyone whose mapped identity is in a listed group. Both empty: anyone but the requester. */
export interface Approvers {
  /** `platform:id`, e.g. `slack:U0123ABCD`, `telegram:123456`, `console:bob` */
  chatUsers?: string[];
  /** Kubernetes groups of the approver's mapped identity */
  groups?: string[];
}

/** The policy that applied, frozen into the request when it was made (a later policy change does not move the goalposts). */
export interface RequestPolicy {
  /** `default` (the built-in rules), `config:<name>`, `ChatPolicy <ns>/<name>`, `ClusterChatPolicy <name>` */
  name: string;
  /** approvals needed from people other than the requester; 0: the requester's confirmation is enough */
  approvals: number;
  approvers: Approvers;
  /** one denial rejects the request (else denials are recorded and it waits for enough approvals until expiry) */
  denyRejects: boolean;
  requireReason: boolean;
  expirySeconds: number;
  /** why this policy applied, for the reply: "scaling to 0", "namespace payments is labelled production" */
  why?: string;
}

export type DecisionKind = 'approve' | 'deny';

/** One approver's decision. At most one per approver (chat user) per request. */
export interface Decision {
  by: RequestUser;
  /** the approver's mapped Kubernetes identity (RBAC was checked for it) */
  identity: KubeIdentity;
  decision: DecisionKind;
  reason?: string;
  /** epoch ms */
  at: number;
  /** `chat` or `cli` */
  via?: string;
}

/** What the write did (or why it did not happen). */
export interface RequestResult {
  ok: boolean;
  /** one line for the chat and the audit trail, never a secret */
  message: string;
  /** epoch ms */
  at: number;
  /** the object's resourceVersion after the write, when known */
  resourceVersion?: string;
  /** HTTP status of a failed call, when the server answered */
  status?: number;
}

export interface ActionRequest {
  /** opaque, random, at most 22 characters of base64url: it goes into Telegram's 64-byte callback_data */
  id: string;
  /** epoch ms */
  createdAt: number;
  /** epoch ms; an awaiting request is refused (and marked expired) after this */
  expiresAt: number;
  /** epoch ms of the last change */
  updatedAt: number;
  platform: Platform;
  requester: RequestUser;
  /** the requester's mapped identity: the write runs as it, and only as it */
  identity: KubeIdentity;
  /** Slack channel id, Telegram chat id, `console` */
  channel: string;
  thread?: string;
  /** the message showing the request (to update it on expiry or decision) */
  messageRef?: string;
  /** the normalised command text (`scale deployment web 0 -n demo`) */
  command: string;
  /** the parsed command (chatops' ParsedCommand), namespace filled in */
  parsed: Record<string, unknown>;
  /** the namespace the command acts in; absent for cluster-scoped commands (cordon) */
  namespace?: string;
  target: RequestTarget;
  /** sha256 (hex) of the dry-run result the requester (and approvers) saw */
  previewDigest: string;
  /** what would change, as shown: "deployment demo/web: replicas 3 → 0" */
  preview: string;
  /** the requester's reason, when given (or required) */
  reason?: string;
  state: RequestState;
  policy: RequestPolicy;
  decisions: Decision[];
  /** set once it ran (executed/failed) or could not (stale: what changed) */
  result?: RequestResult;
  /**
   * Recorded when execution is claimed, before the API call: what is about to
   * be sent (e.g. the patch, or the restartedAt annotation value), so a
   * process that finds this request still `executing` after a crash can
   * check whether the write landed instead of sending it again.
   */
  intent?: string;
  /** epoch ms execution was claimed */
  executingSince?: number;
}

export interface RequestFilter {
  states?: readonly RequestState[];
  /** requester's platform user id or name, or their Kubernetes user */
  requester?: string;
  channel?: string;
  /** created at or after (epoch ms) */
  since?: number;
  /** the newest that many (returned oldest first) */
  limit?: number;
}
