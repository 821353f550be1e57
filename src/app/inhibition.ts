// Causal inhibition in a running kubeherald: the Inhibitor (pipeline/) fed
// with the listener's cached pods, its HoldCheck for the Outbox, and a timer
// on the pipeline's clock that ends a resolved cause's hold and asks the
// Outbox to release what it still held back from chat.

import type { Clock } from '../model/clock.ts';
import type { KubeObject } from '../model/kube.ts';
import type { Logger } from '../model/logger.ts';
import type { Notification } from '../model/notification.ts';
import type { HoldCheck } from '../pipeline/hold.ts';
import type { HeldRow, Store } from '../store/types.ts';
import { decodeNotification } from '../pipeline/payload.ts';
import { type InhibitConfig, userRules } from '../pipeline/inhibit-config.ts';
import { Inhibitor } from '../pipeline/inhibitor.ts';

export interface Inhibition {
  /** empty when inhibition is off */
  holds: readonly HoldCheck[];
  /** the batch to route: causes say what they explain, plus updates of causes (call inside the store transaction, before enqueue) */
  observe(ns: Notification[], now: number): Notification[];
  /**
   * After a restart, before the listener's first batch: rebuilds the open
   * causes (the open incidents whose last FIRING, as the reminders keep it,
   * is a cause) and what the outbox still holds back for each.
   */
  restore(from: { held: readonly HeldRow[]; open: ReadonlySet<string>; firing: (incidentKey: string) => Notification | undefined }, now: number): void;
  /** starts releasing resolved causes' effects through `release`; call once the outbox exists */
  start(release: (causeKey: string, now: number) => void): void;
  stop(): void;
  inhibitor: Inhibitor | undefined;
}

export function createInhibition(
  cfg: InhibitConfig | undefined,
  deps: { clock: Clock; pods: (cluster: string) => readonly KubeObject[]; workload?: (kind: string, namespace: string, name: string, cluster: string) => KubeObject | undefined; log?: Logger },
): Inhibition {
  if (!cfg?.enabled) return { holds: [], observe: (ns) => ns, restore: () => undefined, start: () => undefined, stop: () => undefined, inhibitor: undefined };
  const inhibitor = new Inhibitor({
    switches: { node: cfg.node, rollout: cfg.rollout, namespace: cfg.namespace },
    rules: userRules(cfg),
    releaseAfterMs: cfg.releaseAfterSeconds * 1000,
    pods: deps.pods,
    workload: deps.workload,
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
    restore(from, now) {
      const effects = new Map<string, { label: string; keys: Set<string> }>();
      for (const row of from.held) {
        if (row.by !== 'inhibition') continue;
        const e = effects.get(row.holderId) ?? { label: row.text.replace(/^inhibited by /, ''), keys: new Set<string>() };
        e.keys.add(row.incidentKey);
        effects.set(row.holderId, e);
      }
      for (const key of from.open) {
        const firing = from.firing(key);
        if (firing && inhibitor.isCause(firing)) inhibitor.restore({ key, firing, effects: [...(effects.get(key)?.keys ?? [])], open: true }, now);
      }
      // what a cause that resolved while kubeherald was down still holds is released after the hold
      for (const [key, e] of effects) inhibitor.restore({ key, firing: from.firing(key), label: e.label, effects: [...e.keys], open: from.open.has(key) }, now);
      schedule();
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

/** After a restart: the last FIRING of each incident as the reminders keep it, and what the outbox holds back. */
export function restoreInhibition(inhibition: Inhibition, store: Store, sinks: Iterable<string>, open: ReadonlySet<string>, now: number): void {
  if (!inhibition.inhibitor) return;
  const firing = new Map<string, Uint8Array>();
  for (const sink of sinks) for (const row of store.reminders.list(sink)) firing.set(row.incidentKey, row.notification);
  inhibition.restore(
    {
      held: store.held.list(),
      open,
      firing: (key) => {
        const bytes = firing.get(key);
        return bytes ? decodeNotification(bytes) : undefined;
      },
    },
    now,
  );
}
