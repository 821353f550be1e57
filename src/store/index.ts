// The store module's entry: the interface, the backends' opener (SQLite by
// default, PostgreSQL with state.url), its config section and the retention
// schedule.

export type * from './types.ts';
export { DEFAULT_STATE_PATH, retentionPolicy, stateSchema, type StateConfig } from './config.ts';
export { LATEST_VERSION, MIGRATIONS, migrate } from './migrations.ts';
export { Pruner, type PrunerOptions } from './retention.ts';
export { openStore, type OpenStoreOptions } from './open.ts';
export { openSqliteStore, SqliteStore, type SqliteStoreOptions } from './sqlite.ts';
export { jsonThreadStore } from './state.ts';
