// The silences as chat and the Silence resources see them: the running
// SilenceKeeper (adds and expiries in force at once, releases on end) and
// the state database behind it, on the pipeline's clock.

import type { SilencePort } from '../chatops/silence-command.ts';
import type { Clock } from '../model/clock.ts';
import type { SilenceKeeper } from '../pipeline/silences.ts';
import type { Store } from '../store/types.ts';

export function silencePort(keeper: SilenceKeeper, store: Pick<Store, 'silences'>, clock: Clock, maxDurationMs: number): SilencePort {
  return {
    add: (s) => keeper.add(s),
    expire: (id, by) => keeper.expire(id, by),
    get: (id) => store.silences.get(id),
    open: () => store.silences.list({ now: clock.now().getTime() }),
    now: () => clock.now().getTime(),
    maxDurationMs,
  };
}

/**
 * The silences straight in the state database, for a process without a
 * pipeline (`kubeherald chat` at a terminal): a running kubeherald on the same
 * file puts them in force, and releases what an expired one held, within
 * silences.refreshSeconds, as for `kubeherald silence`.
 */
export function storeSilencePort(store: Pick<Store, 'silences'>, maxDurationMs: number, now: () => number = Date.now): SilencePort {
  return {
    add: (s) => store.silences.add(s),
    expire: (id, by) => store.silences.expire(id, now(), by),
    get: (id) => store.silences.get(id),
    open: () => store.silences.list({ now: now() }),
    now,
    maxDurationMs,
  };
}
