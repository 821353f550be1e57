// Opens the state database the config names: PostgreSQL when state.url is
// set (the state replicas share), else SQLite at state.path (or a file a
// command was pointed at). The password for PostgreSQL comes from
// KUBEHERALD_STATE_PASSWORD when the url carries none.

import type { Logger } from '../model/logger.ts';
import { isMemoryPath, type StateConfig } from './config.ts';
import { redactUrl } from './state-url.ts';
import { SqliteStore } from './sqlite.ts';
import type { Store } from './types.ts';

/** The environment variable the PostgreSQL password is read from. */
export const STATE_PASSWORD_ENV = 'KUBEHERALD_STATE_PASSWORD';

export interface OpenStoreOptions {
  /** a SQLite file instead of the config's state (a command's --state flag) */
  path?: string;
  /**
   * The delivering process opening its own state (default true, as SQLite's
   * store): SQLite returns rows left inflight to pending and holds the owner
   * lock. PostgreSQL never recovers on open, whatever this says: replicas
   * share the rows, and the leader recovers when its term begins
   * (app/leadership.ts).
   */
  recover?: boolean;
  /** PostgreSQL: migrate at open (default true); false for a reader that must change nothing (doctor) */
  migrate?: boolean;
  /** refuse to create a SQLite file that is not there (a reader's mistyped path) */
  mustExist?: boolean;
  now?: () => number;
  log?: Logger;
  /** where KUBEHERALD_STATE_PASSWORD is read (default process.env) */
  env?: NodeJS.ProcessEnv;
}

export type StoreBackend = { kind: 'sqlite'; path: string } | { kind: 'postgres'; url: string };

/** Which database `state` (and a command's --state) names; the url as configured (it may hold a password: redact before showing). */
export function storeBackend(state: Pick<StateConfig, 'path' | 'url'>, path?: string): StoreBackend {
  if (path) return { kind: 'sqlite', path };
  if (state.url) return { kind: 'postgres', url: state.url };
  return { kind: 'sqlite', path: state.path };
}

/** Where the state is, for people: the SQLite path, or the url with its password redacted. */
export function describeBackend(b: StoreBackend): string {
  return b.kind === 'sqlite' ? b.path : redactUrl(b.url);
}

/** Opens (and migrates) the state; async only so a SQLite process never loads the PostgreSQL backend's modules. */
export async function openStore(state: Pick<StateConfig, 'path' | 'url' | 'synchronous'>, opts: OpenStoreOptions = {}): Promise<Store> {
  const b = storeBackend(state, opts.path);
  if (b.kind === 'postgres') {
    const { PostgresStore } = await import('./postgres/store.ts');
    const password = (opts.env ?? process.env)[STATE_PASSWORD_ENV] || undefined;
    return new PostgresStore({ url: b.url, password, recover: false, migrate: opts.migrate, now: opts.now, log: opts.log });
  }
  return new SqliteStore({ path: b.path, synchronous: state.synchronous, recover: opts.recover, mustExist: opts.mustExist, now: opts.now, log: opts.log });
}

/** What openStore needs of the config's state. */
export type StateTarget = Pick<StateConfig, 'path' | 'url' | 'synchronous'>;

/** A command's --state/--db flag over the config's state: that SQLite file, whatever state.url says. */
export function fileState(path: string, synchronous: StateConfig['synchronous'] = 'full'): StateTarget {
  return { path, url: '', synchronous };
}

/** Whether the state lives only in the memory of the process that has it (nothing for a command to open). */
export function inMemoryOnly(state: StateTarget): boolean {
  return !state.url && isMemoryPath(state.path);
}
