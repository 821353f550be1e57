// What every verb's executor gets: clients that impersonate the chat user,
// the namespace already resolved (the command's -n, else the channel's
// default), a clock and the AbortSignal of the command.

import type { KubeClients } from '../kube.ts';
import type { KubeIdentity } from '../types.ts';

export interface ExecContext {
  clients: KubeClients;
  identity: KubeIdentity;
  namespace: string;
  /** "now" for ages and restartedAt (tests and the simulator's clock) */
  now?: () => Date;
  signal?: AbortSignal;
  /**
   * The target's resourceVersion when the write was previewed: the write
   * carries it, so the API server refuses it (409) if the object changed
   * since, instead of writing over what nobody saw.
   */
  precondition?: string;
  /** the restartedAt value to write (the one recorded as the request's intent), instead of "now" */
  restartedAt?: string;
}

/** A refusal or failure the executor turns into a reply without a stack trace. */
export class CommandError extends Error {
  readonly status: 'error' | 'denied';
  constructor(message: string, status: 'error' | 'denied' = 'error') {
    super(message);
    this.name = 'CommandError';
    this.status = status;
  }
}
