// Causal inhibition in a running kubeherald: the Inhibitor (pipeline/) fed
// with the listener's cached pods, its HoldCheck for the Outbox, and a timer
// on the pipeline's clock that ends a resolved cause's hold and asks the
// Outbox to release what it still held back from chat.

import type { Clock } from '../model/clock.ts';
import type { KubeObject } from '../model/kube.ts';
import type { Logger } from '../model/logger.ts';
import type { Notification } from '../model/notification.ts';
import type { HoldCheck } from '../pipeline/hold.ts';
import { type InhibitConfig, userRules } from '../pipeline/inhibit-config.ts';
import { Inhibitor } from '../pipeline/inhibitor.ts';

export interface Inhibition {
  /** empty when inhibition is off */
  holds: readonly HoldCheck[];
  /** the batch to route: causes say what they explain, plus updates of causes (call inside the store transaction, before enqueue) */
  observe(ns: Notification[], now: number): Notification[];
  /** starts releasing resolved causes' effects through `release`; call once the outbox exists */
  start(release: (causeKey: string, now: number) => void): void;
  stop(): void;
  inhibitor: Inhibitor | undefined;
}

export function createInhibition(cfg: InhibitConfig | undefined, deps: { clock: Clock; pods: () => readonly KubeObject[]; log?: Logger }): Inhibition {
  if (!cfg?.enabled) return { holds: [], observe: (ns) => ns, start: () => undefined, stop: () => undefined, inhibitor: undefined };
  const inhibitor = new Inhibitor({
    switches: { node: cfg.node, rollout: cfg.rollout, namespace: cfg.namespace },
    rules: userRules(cfg),
    releaseAfterMs: cfg.releaseAfterSeconds * 1000,
    pods: deps.pods,
  });
  let release: ((causeKey: string, now: number) => void) | undefined;
  let timer: unknown;
  let timerAt: number | undefined;
  let stopped = false;
  const tick = (): void => {
    timer = undefined;
    timerAt = undefined;
    if (stopped || !release) return;
    const now = deps.clock.now().getTime();
    for (const key of inhibitor.due(now)) {
      try {
        release(key, now);
      } catch (err) {
        // the effects stay in the held table; the next start's listener re-derives them
        deps.log?.error({ err: (err as Error).message, cause: key }, 'inhibition: cannot release the effects of a resolved cause');
      }
    }
    schedule();
  };
  const schedule = (): void => {
    const at = inhibitor.nextDueAt();
    if (stopped || at === undefined || (timerAt !== undefined && timerAt <= at)) return;
    if (timer !== undefined) deps.clock.clearTimeout(timer);
    timerAt = at;
    timer = deps.clock.setTimeout(tick, Math.max(0, at - deps.clock.now().getTime()));
  };
  return {
    holds: [inhibitor.check],
    observe(ns, now) {
      const out = inhibitor.observe(ns, now).notifications;
      schedule();
      return out;
    },
    start(r) {
      release = r;
      schedule();
    },
    stop() {
      stopped = true;
      if (timer !== undefined) deps.clock.clearTimeout(timer);
      timer = undefined;
    },
    inhibitor,
  };
}
