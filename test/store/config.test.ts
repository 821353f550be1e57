// The state section: defaults, retention in ms, and state.path relative to
// the config file that names it (":memory:" excepted).

import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { loadConfig } from '../../src/config/index.ts';
import { isMemoryPath, retentionPolicy, stateSchema } from '../../src/store/config.ts';
import { openSqliteStore } from '../../src/store/sqlite.ts';

const dir = mkdtempSync(join(tmpdir(), 'kubeherald-state-config-'));
after(() => rmSync(dir, { recursive: true, force: true }));

describe('state config', () => {
  it('defaults to SQLite at ./.kubeherald/state.db (no state.url), synchronous full, and bounded retention', () => {
    const cfg = stateSchema.parse({});
    assert.deepEqual(cfg, { path: './.kubeherald/state.db', url: '', synchronous: 'full', pruneIntervalSeconds: 300, retention: { deliveredSeconds: 86_400, deadLetterSeconds: 604_800, dedupSeconds: 604_800, auditSeconds: 7_776_000, requestsSeconds: 2_592_000 } });
    assert.deepEqual(retentionPolicy(cfg), { deliveredMs: 86_400_000, deadMs: 604_800_000, dedupMs: 604_800_000, threadsMs: 30 * 86_400_000, auditMs: 90 * 86_400_000, requestsMs: 30 * 86_400_000 });
  });

  it('a relative state.path is relative to the config file', async () => {
    const file = join(dir, 'kubeherald.yaml');
    writeFileSync(file, 'state:\n  path: data/state.db\n  synchronous: normal\n');
    const cfg = await loadConfig({ file, env: {} });
    assert.equal(cfg.state.path, join(dir, 'data/state.db'));
    assert.equal(cfg.state.synchronous, 'normal');
  });

  it('state.path ":memory:" in a config file stays in memory: no file of that name is created, wherever the file is', async () => {
    const sub = join(dir, 'memory');
    mkdirSync(sub);
    const file = join(sub, 'kubeherald.yaml');
    writeFileSync(file, 'state:\n  path: ":memory:"\n');
    const cfg = await loadConfig({ file, env: {} });
    assert.equal(cfg.state.path, ':memory:');
    assert.equal(isMemoryPath(cfg.state.path), true);
    // what the store then opens is SQLite's in-memory database, not a file next to the config
    const store = openSqliteStore({ path: cfg.state.path });
    try {
      assert.equal(store.path, ':memory:');
    } finally {
      store.close();
    }
    assert.deepEqual(readdirSync(sub), ['kubeherald.yaml']);
    assert.equal(existsSync(join(process.cwd(), ':memory:')), false);
  });

  it('only ":memory:" means memory: a file whose name merely contains it is a file', async () => {
    const file = join(dir, 'kubeherald.yaml');
    writeFileSync(file, 'state:\n  path: ./:memory:.db\n');
    const cfg = await loadConfig({ file, env: {} });
    assert.equal(cfg.state.path, join(dir, ':memory:.db'));
    assert.equal(isMemoryPath(cfg.state.path), false);
  });

  it('refuses another synchronous mode', () => {
    assert.equal(stateSchema.safeParse({ synchronous: 'off' }).success, false);
  });
});
