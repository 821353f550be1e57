// What the sinks' delivery settings would do with the notifications `routes
// test` routes: each (notification, sink) pair goes through the real Outbox
// on an in-memory state database, in the order given, at each notification's
// event time (never earlier than the one before), with the groups that fell
// due meanwhile sent, so the answer is the pipeline's own: a message of its
// own now, held in a new group (until when), folded into a group that already
// went out (it comes with that group's next update), or already had.

import type { HoldCheck } from '../pipeline/hold.ts';
import { routingPolicies } from '../app/durable.ts';
import type { Config } from '../config/index.ts';
import type { Notification } from '../model/notification.ts';
import { type EnqueueDecision, Outbox, type SinkChoice } from '../pipeline/index.ts';
import { HOLD_FIELD } from '../pipeline/hold.ts';
import { userRules } from '../pipeline/inhibit-config.ts';
import { Inhibitor } from '../pipeline/inhibitor.ts';
import type { RoutingResult } from '../rules/index.ts';
import { openSqliteStore } from '../store/sqlite.ts';

export interface DeliveryStep {
  sink: string;
  outcome: EnqueueDecision['outcome'] | 'not previewed';
  /** seconds from the notification until its message is due (queued: 0) */
  dueInSeconds?: number;
  /** the group was chosen by the flood window of an earlier notification of the same occurrence */
  byFlood?: boolean;
  /** what it means, in a line */
  what: string;
}

const eventMs = (n: Notification): number | undefined => (n.eventTime ? Number(n.eventTime.seconds) * 1000 + Math.floor(n.eventTime.nanos / 1e6) : undefined);

function describe(d: EnqueueDecision, dueIn: number, records: boolean): string {
  switch (d.outcome) {
    case 'queued':
      // a record sink gets what chat sinks are kept from, marked with why
      if (records && d.hold) return `sent on its own, at once, marked ${HOLD_FIELD[d.hold.by]} (${d.hold.text}): a record sink gets what chat sinks are kept from`;
      return records ? 'sent on its own, at once (a record sink never groups or folds)' : 'sent on its own, at once';
    case 'grouped':
      return `held in a new group: its first message goes out in ${dueIn} s, with whatever joins it meanwhile${d.byFlood ? ' (a repeat of an earlier occurrence: the first one’s group)' : ''}`;
    case 'folded':
      return `folded into a group that already went out${d.byFlood ? ' (the first of the same occurrence)' : ''}: it comes with that group’s next update, in ${dueIn} s`;
    case 'deduplicated':
      return 'not sent: the sink already had this notification';
    case 'held':
      return `held back from this chat sink: ${d.hold?.text ?? 'held'} (it is sent when that ends if it still fires)`;
    case 'digested':
      return 'counted in the storm digest of its target: the target gets more than its threshold a minute, so one digest message is updated instead';
  }
}

/**
 * Per notification (in the order given), what delivery does for each sink
 * it was routed to. `routed` is the routing table's answer for it. Sinks
 * not in the config file (Sink custom resources) are not previewed.
 */
export function previewDelivery(config: Pick<Config, 'delivery' | 'sinks'> & Partial<Pick<Config, 'inhibit'>>, ns: readonly Notification[], routed: (n: Notification) => RoutingResult, now = Date.now(), extraHolds: readonly HoldCheck[] = []): DeliveryStep[][] {
  const store = openSqliteStore({ path: ':memory:' });
  try {
    const policies = routingPolicies({ config: () => config, resolved: () => undefined, typeOf: () => undefined });
    const known = new Set(config.sinks.map((s) => `config/${s.name}`));
    const sinks = new Map([...known].map((id) => [id, { name: id }]));
    let decisions: EnqueueDecision[] = [];
    // causal inhibition over the notifications given, in their order: an effect of one given before is held back
    const inh = config.inhibit;
    const inhibitor = inh?.enabled ? new Inhibitor({ switches: { node: inh.node, rollout: inh.rollout, namespace: inh.namespace }, rules: userRules(inh), releaseAfterMs: inh.releaseAfterSeconds * 1000 }) : undefined;
    const outbox = new Outbox({ store, sinks, policies, holds: [...(inhibitor ? [inhibitor.check] : []), ...extraHolds], onDecision: (d) => decisions.push(d) });
    let t = now;
    return ns.map((n) => {
      t = Math.max(t, eventMs(n) ?? t);
      // each group that fell due meanwhile goes out at its own time, as the deliverer's timer would send it
      for (let due = outbox.nextGroupFlushAt(); due !== undefined && due <= t; due = outbox.nextGroupFlushAt()) outbox.flushGroups(due);
      const r = routed(n);
      const choices: SinkChoice[] = r.sinks.filter((id) => known.has(id)).map((id) => (r.groups?.[id] ? { sink: id, group: r.groups[id] } : { sink: id }));
      decisions = [];
      // a cause's update (what it explains changed) goes along, but the steps shown are this notification's
      const batch = inhibitor ? inhibitor.observe([n], t).notifications : [n];
      store.transaction(() => outbox.enqueue(batch, choices, t));
      const steps = new Map<string, DeliveryStep>();
      for (const d of decisions) {
        if (d.notification.incidentKey !== n.incidentKey) continue;
        const dueIn = Math.max(0, Math.round(((d.dueAt ?? t) - t) / 1000));
        steps.set(d.sink, {
          sink: d.sink,
          outcome: d.outcome,
          ...(d.outcome === 'grouped' || d.outcome === 'folded' ? { dueInSeconds: dueIn } : d.outcome === 'queued' ? { dueInSeconds: 0 } : {}),
          ...(d.byFlood ? { byFlood: true } : {}),
          what: describe(d, dueIn, policies.forSink(d.sink).records),
        });
      }
      return r.sinks.map((id) => steps.get(id) ?? { sink: id, outcome: 'not previewed', what: 'not previewed: its delivery settings are in its custom resource' });
    });
  } finally {
    store.close();
  }
}

/** The text `routes test` prints under a notification's routing. */
export function formatDelivery(steps: readonly DeliveryStep[]): string {
  if (steps.length === 0) return '';
  return `delivery:\n${steps.map((s) => `  ${s.sink}: ${s.what}\n`).join('')}`;
}
