// Who does the work that must happen once: detection into the outbox,
// delivery, reminders, group flushes, ChatOps. Every process leads through
// here. Alone on its state (SQLite, whose owner lock already keeps a second
// process out) it leads at once; sharing its state with other replicas
// (PostgreSQL) it leads while it holds its Lease (cluster/leader-election.ts).
//
// A term begins in the store (store.leadership): the epoch it gets fences
// every outbox claim, so a leader paused past its Lease claims nothing once
// it wakes; and the rows the previous leader left inflight go back to pending
// (a send it made but never recorded may go out once more, with the same
// idempotency key). A term that ends without a stop() is a lost Lease: the
// process stops (kube-controller-manager's way) and comes back as a standby,
// rather than every component learning to stop and start again.

import { createHash } from 'node:crypto';
import type { LeaderElectionSettings } from '../cluster/leader-election-config.ts';
import { LeaderElector } from '../cluster/leader-election.ts';
import type { Logger } from '../model/logger.ts';
import type { Store, Term } from '../store/types.ts';

export interface LeadershipOptions {
  store: Store;
  log: Logger;
  now: () => number;
  /** the Lease to hold; undefined: this process leads at once, alone on its state */
  election?: LeaderElectionSettings;
  /** the term's scope and holder when there is no Lease */
  alone?: { scope: string; identity: string };
  /** a term began (the deliverer's fence is `term()` from now on) */
  onLead(term: Term): void | Promise<void>;
  /** the Lease was lost without stop(): the caller stops the process */
  onLost(reason: string): void;
  /** an extra pause before each attempt to acquire the Lease while not leading (spreads several Leases across replicas) */
  acquireDelayMs?: () => number;
  /** every change of leading (a metric) */
  onChange?(lease: string, leading: boolean): void;
}

export interface Leadership {
  /** the Lease as namespace/name, or the scope when alone */
  readonly lease: string;
  /** the current term while this process leads (judged at the call: a paused leader's is gone at once), else undefined */
  term(): Term | undefined;
  /** resolves when the first term began (a standby waits here until it takes over) */
  readonly led: Promise<Term>;
  start(): void;
  /** ends the term (if any) and releases the Lease, after the caller's work has stopped */
  stop(): Promise<void>;
}

export function createLeadership(opts: LeadershipOptions): Leadership {
  const { store, log } = opts;
  let current: Term | undefined;
  let stopping = false;
  let resolveLed!: (t: Term) => void;
  const led = new Promise<Term>((resolve) => (resolveLed = resolve));

  const begin = (scope: string, identity: string, transitions: number): void => {
    const now = opts.now();
    const { term, recovered } = store.transaction(() => ({
      term: store.leadership.begin(scope, identity, transitions, now),
      // the previous leader's claims are over: what it left inflight goes out again from here
      recovered: store.outbox.recoverInflight(now),
    }));
    current = term;
    log.info({ scope, holder: identity, epoch: term.epoch, leaseTransitions: transitions, recovered }, 'leader term began');
    opts.onChange?.(scope, true);
    resolveLed(term);
    void Promise.resolve()
      .then(() => opts.onLead(term))
      .catch((err: unknown) => {
        log.error({ err: (err as Error).message }, 'taking over failed: stopping');
        opts.onLost(`taking over failed: ${(err as Error).message}`);
      });
  };

  const e = opts.election;
  if (!e) {
    const alone = opts.alone ?? { scope: 'kubeherald', identity: 'kubeherald' };
    return {
      lease: alone.scope,
      term: () => current,
      led,
      start: () => begin(alone.scope, alone.identity, 0),
      async stop() {
        stopping = true;
        if (current) opts.onChange?.(alone.scope, false);
        current = undefined;
      },
    };
  }

  const lease = `${e.namespace}/${e.name}`;
  const elector: LeaderElector = new LeaderElector({
    kc: e.kc,
    namespace: e.namespace,
    name: e.name,
    identity: e.identity,
    leaseDurationMs: e.leaseDurationMs,
    renewDeadlineMs: e.renewDeadlineMs,
    retryPeriodMs: e.retryPeriodMs,
    ...(opts.acquireDelayMs ? { acquireDelayMs: opts.acquireDelayMs } : {}),
    log: log.child({ component: 'leader-election' }),
    onStartedLeading: ({ transitions }) => {
      try {
        begin(lease, e.identity, transitions);
      } catch (err) {
        // no term in the store, no claims: give the Lease back to someone who can
        log.error({ err: (err as Error).message }, 'cannot begin a leader term in the state database: stopping');
        opts.onLost(`cannot begin a leader term: ${(err as Error).message}`);
      }
    },
    onStoppedLeading: () => {
      const had = current !== undefined;
      current = undefined;
      if (had) opts.onChange?.(lease, false);
      if (!stopping && had) opts.onLost('the Lease was lost (not renewed within the renew deadline)');
    },
  });
  return {
    lease,
    // the elector's isLeader is judged on the monotonic clock at the call: false after a pause past the deadline
    term: () => (current && elector.isLeader() ? current : undefined),
    led,
    start: () => elector.start(),
    async stop() {
      stopping = true;
      await elector.stop({ release: true });
    },
  };
}

/** A cluster's own Lease: the home Lease's name and the cluster's, as a DNS-1123 subdomain (with a hash when the name had to change). */
export function clusterLeaseName(lease: string, cluster: string): string {
  const clean = cluster
    .toLowerCase()
    .replace(/[^a-z0-9.-]+/g, '-')
    .replace(/^[^a-z0-9]+|[^a-z0-9]+$/g, '');
  const suffix = clean === cluster && clean ? clean : `${clean || 'cluster'}-${createHash('sha256').update(cluster).digest('hex').slice(0, 8)}`;
  return `${lease}-${suffix}`.slice(0, 253).replace(/[^a-z0-9]+$/, '');
}
