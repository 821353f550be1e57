// The way notifications enter durable delivery, from the listener and the
// audit webhook alike: attributed to who made the change, causes told what
// they explain, routed and written to the outbox in one transaction with the
// incident tracker's state. A failed write stops storing for good: the
// tracker has moved on in memory, and storing its later state would mark
// these notified; a restart re-derives them from the cluster.

import type { TrackerChanges } from '../detect/tracker.ts';
import type { Logger } from '../model/logger.ts';
import type { Notification } from '../model/notification.ts';
import type { Outbox, SinkChoice } from '../pipeline/outbox.ts';
import type { Store, Term } from '../store/types.ts';
import type { Inhibition } from './inhibition.ts';

export interface IntakeDeps {
  store: Store;
  now: () => Date;
  log: Logger;
  outbox: Pick<Outbox, 'enqueue'>;
  inhibition: Pick<Inhibition, 'observe'>;
  /** the sinks (and groups) a notification goes to at `now` */
  route: (n: Notification, now: Date) => readonly (string | SinkChoice)[];
  /** what changed in the cluster's tracker state since it was last stored, to store with its notifications (none before its listener exists) */
  tracker: (cluster: string) => TrackerChanges | undefined;
  /** who did it, when the audit log saw a change to the same object a moment before */
  attribute: (n: Notification) => void;
  /** something was stored for delivery */
  stored: () => void;
  /** what the detectors said, once stored */
  notified?: (ns: Notification[]) => void;
  onFatal?: (err: Error) => void;
  /**
   * With replicas: a cluster's batches are stored only under this process's
   * current term, and only while the store still holds it as current; one
   * that comes without (a leader paused past its Lease, its watch catching up
   * as it wakes) is dropped with its tracker changes, so it cannot overwrite
   * the new leader's record. The audit feed's notifications (no cluster) are
   * stored by whichever replica received them.
   */
  term?: (cluster: string) => Term | undefined;
  /** a batch was refused because a newer term began */
  onFenced?: () => void;
}

/** A batch refused by the term fence: nothing of it was written. */
class Fenced extends Error {}

export interface Intake {
  /**
   * Stores a batch; a cluster's listener names its cluster, whose tracker
   * changes commit with it (the audit feed names none: its notifications
   * change no tracker).
   */
  submit(batch: Notification[], cluster?: string): void;
  /** why nothing is stored any more, if so */
  fatal(): Error | undefined;
}

export function createIntake(d: IntakeDeps): Intake {
  let fatal: Error | undefined;
  return {
    fatal: () => fatal,
    submit(batch, cluster) {
      if (batch.length === 0) return;
      let ns = batch;
      for (const n of ns) d.attribute(n);
      if (fatal) {
        d.log.error({ notifications: ns.length }, 'notifications not stored: the state database failed earlier');
        return;
      }
      try {
        d.store.transaction(() => {
          if (d.term && cluster !== undefined) {
            const t = d.term(cluster);
            if (!t || d.store.leadership.current(t.scope)?.epoch !== t.epoch) throw new Fenced(t ? `term ${t.epoch} of ${t.scope} is over` : 'not leading');
          }
          // causes first say what they explain (and are updated when that changes); their effects are held by the outbox
          const now = d.now();
          ns = d.inhibition.observe(ns, now.getTime());
          d.outbox.enqueue(ns, (n) => d.route(n, now), now);
          const changes = cluster === undefined ? undefined : d.tracker(cluster);
          if (changes && cluster !== undefined) d.store.tracker(cluster).apply(changes);
        });
      } catch (err) {
        if (err instanceof Fenced) {
          d.log.warn({ notifications: ns.length, cluster, reason: err.message }, 'not the leader: a batch of notifications was not stored (the leader tells them)');
          d.onFenced?.();
          return;
        }
        fatal = err as Error;
        d.log.error({ err: fatal.message, notifications: ns.length }, 'cannot store notifications in the state database; restart kubeherald to re-derive them');
        d.onFatal?.(fatal);
        return;
      }
      d.stored();
      // what the detectors said (a cause's updates of what it explains, appended by the inhibitor, are not new notifications)
      d.notified?.(ns.slice(0, batch.length));
    },
  };
}
