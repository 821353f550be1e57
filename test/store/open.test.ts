// Choosing the backend: state.url (a postgres:// url) opens PostgreSQL with
// the password from KUBEHERALD_STATE_PASSWORD, anything else is refused
// naming state.url, '' keeps SQLite at state.path; doctor's state check
// names the backend and never shows a password.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeFileSync } from 'node:fs';
import { PassThrough } from 'node:stream';
import { stateCheck } from '../../src/app/doctor.ts';
import { dlqList, dlqReplay } from '../../src/cli/dlq.ts';
import { parseConfigText } from '../../src/config/index.ts';
import { LATEST_VERSION } from '../../src/store/migrations.ts';
import { openStore, storeBackend } from '../../src/store/open.ts';
import { PostgresStore } from '../../src/store/postgres/store.ts';
import { SqliteStore } from '../../src/store/sqlite.ts';
import { freshDatabase, startPostgres, type TestPostgres } from '../helpers/postgres.ts';

describe('state.url', () => {
  it("'' keeps SQLite at state.path; a postgres:// or postgresql:// url is PostgreSQL; a --state path wins", () => {
    const sqlite = parseConfigText('state: { path: /x/state.db }', 'k.yaml').state;
    assert.deepEqual(storeBackend(sqlite), { kind: 'sqlite', path: '/x/state.db' });
    const pg = parseConfigText('state: { url: "postgresql://kh@db:5432/kh?sslmode=require" }', 'k.yaml').state;
    assert.deepEqual(storeBackend(pg), { kind: 'postgres', url: 'postgresql://kh@db:5432/kh?sslmode=require' });
    assert.deepEqual(storeBackend(pg, '/tmp/other.db'), { kind: 'sqlite', path: '/tmp/other.db' });
  });

  it('anything else is refused naming state.url', () => {
    for (const bad of ['mysql://kh@db/kh', '/var/lib/state.db', 'postgres://']) {
      assert.throws(() => parseConfigText(`state:\n  url: "${bad}"\n`, 'k.yaml'), (err: Error) => /k\.yaml:2: state\.url: expected a postgres:\/\/ or postgresql:\/\/ URL/.test(err.message), bad);
    }
  });
});

const SECRET = 'hunter2-secret';
const env = { KUBEHERALD_STATE_PASSWORD: SECRET };

describe('openStore and the doctor on both backends', () => {
  let server: TestPostgres;
  let dir: string;
  before(async () => {
    server = await startPostgres({ password: SECRET });
    dir = mkdtempSync(join(tmpdir(), 'kh-open-'));
  });
  after(async () => {
    await server?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('opens SQLite at state.path, PostgreSQL at state.url with the password from KUBEHERALD_STATE_PASSWORD (the server asks for it)', async () => {
    const lite = await openStore(parseConfigText(`state: { path: "${join(dir, 's.db')}" }`, 'k.yaml').state, { recover: false });
    assert.ok(lite instanceof SqliteStore);
    lite.close();
    const url = await freshDatabase(server.url);
    const state = parseConfigText(`state: { url: "${url}" }`, 'k.yaml').state;
    await assert.rejects(openStore(state, { env: {} }), (err: Error) => /password authentication failed|password/.test(err.message));
    await assert.rejects(openStore(state, { env: { KUBEHERALD_STATE_PASSWORD: 'wrong' } }), (err: Error) => /password authentication failed/.test(err.message) && !err.message.includes('wrong'));
    const pg = await openStore(state, { env });
    assert.ok(pg instanceof PostgresStore);
    assert.equal(pg.schemaVersion(), LATEST_VERSION);
    assert.ok(!pg.path.includes('hunter2'));
    pg.close();
  });

  it("doctor names the backend, where it is (password redacted), whether it is reachable and its schema version", async () => {
    const sqlitePath = join(dir, 'doctor.db');
    const lite = await stateCheck(parseConfigText(`state: { path: "${sqlitePath}" }`, 'k.yaml'), {});
    assert.deepEqual(lite, { check: 'state', verdict: 'OK', detail: `SQLite ${sqlitePath}: writable, schema version ${LATEST_VERSION}` });

    const url = await freshDatabase(server.url);
    const withPassword = url.replace('kubeherald@', `kubeherald:${SECRET}@`);
    const redacted = url.replace('kubeherald@', 'kubeherald:***@');
    const config = parseConfigText(`state: { url: "${withPassword}" }`, 'k.yaml');
    // a database kubeherald has not migrated yet: the doctor says so and changes nothing
    assert.deepEqual(await stateCheck(config, {}), { check: 'state', verdict: 'WARN', detail: `PostgreSQL ${redacted}: reachable, schema version 0 (kubeherald run migrates it to ${LATEST_VERSION})` });
    (await openStore(config.state)).close();
    assert.deepEqual(await stateCheck(config, {}), { check: 'state', verdict: 'OK', detail: `PostgreSQL ${redacted}: reachable, writable, schema version ${LATEST_VERSION}` });

    const port = new URL(server.url).port;
    const unreachable = await stateCheck(parseConfigText(`state: { url: "postgres://kubeherald:${SECRET}@127.0.0.1:${port}/missing" }`, 'k.yaml'), env);
    assert.equal(unreachable.verdict, 'FAIL');
    assert.match(unreachable.detail, /^PostgreSQL postgres:\/\/kubeherald:\*\*\*@127\.0\.0\.1:\d+\/missing: cannot connect to PostgreSQL at .*: database "missing" does not exist$/);
    assert.ok(!unreachable.detail.includes(SECRET));
  });

  it('the CLI reads and writes the PostgreSQL state the config names (dlq list and replay)', async () => {
    const url = await freshDatabase(server.url);
    const store = await openStore(parseConfigText(`state: { url: "${url}" }`, 'k.yaml').state, { env });
    const id = store.outbox.insert({ sink: 'slack', target: 'C1', orderingKey: 'C1', idempotencyKey: 'k', payload: new Uint8Array(), members: 1, createdAt: 1_000 });
    store.outbox.markDead(id, 2_000, 'permanent', 'HTTP 400', null);
    const config = join(dir, 'pg.yaml');
    // the CLI reads KUBEHERALD_STATE_PASSWORD from its environment; here the url carries the password
    writeFileSync(config, `state:\n  url: "${url.replace('kubeherald@', `kubeherald:${SECRET}@`)}"\n`);
    const out = new PassThrough();
    let text = '';
    out.on('data', (c: Buffer) => (text += c.toString()));
    assert.equal(await dlqList({ config, id: [], output: 'json' }, { stdout: out, now: () => 3_000 }), 0);
    assert.deepEqual((JSON.parse(text) as { id: number }[]).map((r) => r.id), [id]);
    assert.equal(await dlqReplay({ config, id: [String(id)] }, { stdout: new PassThrough(), now: () => 4_000 }), 0);
    assert.equal(store.outbox.counts().pending, 1, 'replayed into the shared outbox');
    store.close();
  });
});
