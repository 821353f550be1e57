// What a controller's create goes through on a real cluster: the API
// server's admission plugins (LimitRange defaults, ResourceQuota, priority).
// The simulated controllers write to the store directly, so they call the
// same admission first; a refusal is what the real controller sees as the
// create's error (a 403 "exceeded quota"), to record as FailedCreate.

import { ApiError } from '../errors.ts';
import type { SimContext } from '../scenario.ts';
import type { KObject } from '../types.ts';

/**
 * Runs admission for a create of obj (which it may default, as LimitRange
 * does); the refusal's message when the API server would refuse it.
 * Anything but an API error is a bug, and is thrown.
 */
export function refusedCreate(ctx: SimContext, storage: string, obj: KObject): string | undefined {
  try {
    ctx.admit?.(storage, obj);
    return undefined;
  } catch (err) {
    if (!(err instanceof ApiError)) throw err;
    return err.message;
  }
}
