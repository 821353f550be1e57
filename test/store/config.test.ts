// The state section: defaults, retention in ms, and state.path relative to
// the config file that names it.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { loadConfig } from '../../src/config/index.ts';
import { retentionPolicy, stateSchema } from '../../src/store/config.ts';

const dir = mkdtempSync(join(tmpdir(), 'kubeherald-state-config-'));
after(() => rmSync(dir, { recursive: true, force: true }));

describe('state config', () => {
  it('defaults to ./.kubeherald/state.db, synchronous full, and bounded retention', () => {
    const cfg = stateSchema.parse({});
    assert.deepEqual(cfg, { path: './.kubeherald/state.db', synchronous: 'full', pruneIntervalSeconds: 300, retention: { deliveredSeconds: 86_400, deadLetterSeconds: 604_800, dedupSeconds: 604_800 } });
    assert.deepEqual(retentionPolicy(cfg), { deliveredMs: 86_400_000, deadMs: 604_800_000, dedupMs: 604_800_000, threadsMs: 30 * 86_400_000 });
  });

  it('a relative state.path is relative to the config file', async () => {
    const file = join(dir, 'kubeherald.yaml');
    writeFileSync(file, 'state:\n  path: data/state.db\n  synchronous: normal\n');
    const cfg = await loadConfig({ file, env: {} });
    assert.equal(cfg.state.path, join(dir, 'data/state.db'));
    assert.equal(cfg.state.synchronous, 'normal');
  });

  it('refuses another synchronous mode', () => {
    assert.equal(stateSchema.safeParse({ synchronous: 'off' }).success, false);
  });
});
