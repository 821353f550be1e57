// The record a chat command leaves, as the state database keeps it. It lives
// here, with the other contracts folders meet at, because two folders that
// may not import each other share it: chatops/ writes it and store/ keeps it
// (chatops/types.ts re-exports it, narrowing `verb` to the parser's verbs).

export type Platform = 'slack' | 'telegram' | 'console';

/** The Kubernetes identity a chat user acts as: every API call of their commands impersonates it. */
export interface KubeIdentity {
  user: string;
  groups: string[];
}

/** How a command ended, for the audit trail. */
export type AuditDecision = 'allowed' | 'denied' | 'unmapped' | 'invalid';
export type AuditOutcome = 'ok' | 'error' | 'denied' | 'invalid' | 'pending';

export interface AuditEntry {
  /** assigned by the store */
  id?: number;
  /** epoch ms the command was received */
  at: number;
  platform: Platform;
  platformUserId: string;
  platformUserName?: string;
  channel: string;
  /** the identity impersonated; absent for an unmapped user */
  identity?: KubeIdentity;
  /** the text as typed, cut to 1,000 characters */
  text: string;
  /** the parsed command, normalised (`scale deployment web 3 -n demo`); absent when it did not parse */
  command?: string;
  /** the command's verb (`scale`, `logs` …) */
  verb?: string;
  /** `deployments/web in demo`, `nodes/sim-node-1` */
  target?: string;
  /** the configured cluster the command went to; absent for commands that reach no cluster (help, whoami, silence, refusals before one was chosen) */
  cluster?: string;
  writes: boolean;
  decision: AuditDecision;
  outcome: AuditOutcome;
  /** why it was refused or failed, never a secret */
  error?: string;
  durationMs: number;
}

export interface AuditFilter {
  /** platform user id, platform user name or impersonated Kubernetes user */
  user?: string;
  /** epoch ms */
  since?: number;
  limit?: number;
}
