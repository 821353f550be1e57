// The `state:` section of the config: where the state database lives (a
// SQLite file, or a PostgreSQL server shared by replicas), how hard it
// syncs, and how long what is no longer needed is kept.

import { z } from 'zod';
import { count, section, strict } from '../config-kit/fields.ts';
import type { RetentionPolicy } from './types.ts';

export const DEFAULT_STATE_PATH = './.kubeherald/state.db';

/** The state.path that keeps the state in memory only: nothing survives a restart (tests, the demo). */
export const MEMORY_STATE_PATH = ':memory:';

/**
 * Whether a state path means memory rather than a file. Every reader of
 * state.path asks this before treating it as a file name (resolving it
 * against the config file's directory would create a file named ":memory:").
 */
export function isMemoryPath(path: string): boolean {
  return path === MEMORY_STATE_PATH;
}

/** Thread refs (e.g. Slack thread ts) not touched for this long are forgotten; not configurable. */
const THREADS_MS = 30 * 24 * 3600_000;

/** Whether a state.url names a PostgreSQL server (the only kind of url state.url takes). */
export function isPostgresUrl(url: string): boolean {
  if (!/^postgres(ql)?:\/\//i.test(url)) return false;
  try {
    const u = new URL(url);
    // a host, or a unix socket's directory (?host=/var/run/postgresql)
    return u.hostname !== '' || u.searchParams.has('host');
  } catch {
    return false;
  }
}

export const stateSchema = strict({
  path: z.string().min(1).default(DEFAULT_STATE_PATH),
  /**
   * A PostgreSQL server's url (postgres://user@host:5432/db): the state
   * several replicas share; state.path is then unused. '' keeps SQLite.
   * The password goes in KUBEHERALD_STATE_PASSWORD rather than the url.
   */
  url: z
    .string()
    .default('')
    .refine((u) => u === '' || isPostgresUrl(u), { error: 'expected a postgres:// or postgresql:// URL (e.g. postgres://kubeherald@db:5432/kubeherald), or "" to keep the state in SQLite at state.path' }),
  synchronous: z.enum(['full', 'normal']).default('full'),
  pruneIntervalSeconds: count(1).default(300),
  retention: section(
    strict({
      deliveredSeconds: count(0).default(86_400),
      deadLetterSeconds: count(0).default(604_800),
      dedupSeconds: count(1).default(604_800),
      /** the audit trail of chat commands: 90 days; 0 keeps it for good */
      auditSeconds: count(0).default(7_776_000),
      /** chat write requests once decided, executed or expired (kubeherald requests list): 30 days; 0 keeps them for good */
      requestsSeconds: count(0).default(2_592_000),
    }),
  ),
});

export type StateConfig = z.output<typeof stateSchema>;

export function retentionPolicy(cfg: StateConfig): RetentionPolicy {
  return {
    deliveredMs: cfg.retention.deliveredSeconds * 1000,
    deadMs: cfg.retention.deadLetterSeconds * 1000,
    dedupMs: cfg.retention.dedupSeconds * 1000,
    threadsMs: THREADS_MS,
    auditMs: cfg.retention.auditSeconds * 1000,
    requestsMs: cfg.retention.requestsSeconds * 1000,
  };
}
