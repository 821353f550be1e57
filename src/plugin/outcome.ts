// How a sink's send ended, in the plugin protocol's words: pure.

import { Outcome } from '../gen/kubeherald/v1/plugin_pb.js';
import { redact } from '../sinks/credential.ts';
import { SinkError } from '../sinks/types.ts';

export interface DeliveryResult {
  outcome: Outcome;
  /** for logs; never a credential */
  message: string;
  retryAfterMs?: number;
}

export const DELIVERED: DeliveryResult = { outcome: Outcome.DELIVERED, message: '' };

export function permanent(message: string): DeliveryResult {
  return { outcome: Outcome.PERMANENT, message };
}

/**
 * A send's failure: a SinkError says what it means; anything else (a bug, a
 * socket error a sink did not classify) is retryable, since refusing for
 * good on an unknown cause would drop a notification. `secrets` are
 * replaced in the message whatever the sink already did.
 */
export function resultOfError(err: unknown, secrets: readonly string[] = []): DeliveryResult {
  const text = redact(err instanceof Error ? err.message : String(err), secrets);
  if (err instanceof SinkError) {
    switch (err.kind) {
      case 'permanent':
        return { outcome: Outcome.PERMANENT, message: text };
      case 'rate-limited':
        return { outcome: Outcome.RATE_LIMITED, message: text, retryAfterMs: Math.max(0, err.retryAfterMs ?? 0) };
      case 'retryable':
        return err.retryAfterMs === undefined ? { outcome: Outcome.RETRYABLE, message: text } : { outcome: Outcome.RETRYABLE, message: text, retryAfterMs: Math.max(0, err.retryAfterMs) };
    }
  }
  return { outcome: Outcome.RETRYABLE, message: text };
}

const NAMES: Record<number, string> = {
  [Outcome.DELIVERED]: 'delivered',
  [Outcome.RETRYABLE]: 'retryable',
  [Outcome.RATE_LIMITED]: 'rate-limited',
  [Outcome.PERMANENT]: 'permanent',
};

/** delivered | retryable | rate-limited | permanent, as logs and the router's records say it. */
export function outcomeName(o: Outcome): string {
  return NAMES[o] ?? 'unspecified';
}
