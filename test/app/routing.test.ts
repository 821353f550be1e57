// The routing hub with the config file alone and a fake sink factory:
// editing the file swaps the table and the sinks (unchanged sinks kept,
// changed ones rebuilt, removed ones closed after their sends), an invalid
// file is logged issue by issue and changes nothing. Waits on the hub's own
// events, never on time.

import assert from 'node:assert/strict';
import { mkdtempSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, it } from 'node:test';
import { create } from '@bufbuild/protobuf';
import { type ReloadResult, RoutingHub, type RoutingHubOptions } from '../../src/app/routing.ts';
import { type Config, ConfigError, loadConfig } from '../../src/config/index.ts';
import { type Notification, NotificationSchema, ObjectRefSchema } from '../../src/model/notification.ts';
import type { RoutingTable } from '../../src/rules/types.ts';
import type { Sink, SinkDeps } from '../../src/sinks/types.ts';
import { recordingLog } from '../helpers/log.ts';

interface FakeSink extends Sink {
  cfg: Record<string, unknown>;
  deps: SinkDeps;
  sent: string[];
  closed: boolean;
  /** sends wait for this when set */
  gate?: Promise<void>;
}

function fakeFactory() {
  const made: FakeSink[] = [];
  const createSink = async (cfg: { name: string; type: string }, deps: SinkDeps): Promise<Sink> => {
    if (cfg.name.startsWith('broken')) throw new ConfigError([{ file: 'BROKEN_TOKEN', path: '', message: `sink "${cfg.name}" (tokenFrom.env): environment variable is not set or is empty` }]);
    const s: FakeSink = {
      name: cfg.name,
      type: cfg.type,
      cfg: cfg as unknown as Record<string, unknown>,
      deps,
      sent: [],
      closed: false,
      async send(n) {
        if (s.closed) throw new Error(`${s.name}: send after close`);
        if (s.gate) await s.gate;
        s.sent.push(n.reason);
      },
      async close() {
        s.closed = true;
      },
    };
    made.push(s);
    return s;
  };
  return { made, createSink, live: (name: string) => made.filter((s) => s.name === name && !s.closed) };
}

function note(reason: string, kind = 'Pod'): Notification {
  return create(NotificationSchema, { reason, involvedObject: create(ObjectRefSchema, { kind, namespace: 'shop', name: 'web' }) });
}

const CONFIG_A = `
sinks:
  - {name: deploys, type: jsonl, path: /tmp/deploys.jsonl}
  - {name: pager, type: console}
  - {name: old, type: console}
routes:
  - name: rollouts
    match: {reasons: [RolloutCompleted]}
    sinks: [deploys]
  - name: rest
    sinks: [pager, old]
`;

// rollouts now also page; "old" gone; "pager" changed (colour); "deploys" unchanged
const CONFIG_B = `
sinks:
  - {name: deploys, type: jsonl, path: /tmp/deploys.jsonl}
  - {name: pager, type: console, color: never}
routes:
  - name: rollouts
    match: {reasons: [RolloutCompleted]}
    sinks: [deploys, pager]
  - name: rest
    sinks: [pager]
`;

const names = (sinks: readonly Sink[]) => sinks.map((s) => s.name);
let hubs: RoutingHub[] = [];

afterEach(async () => {
  await Promise.all(hubs.map((h) => h.close()));
  hubs = [];
});

async function startWithFile(text: string, extra: Partial<RoutingHubOptions> = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'kubeherald-hub-'));
  const file = join(dir, 'kubeherald.yaml');
  writeFileSync(file, text);
  const load = (f: string): Promise<Config> => loadConfig({ file: f, env: {} });
  const fake = fakeFactory();
  const { entries, log } = recordingLog();
  const hub = await RoutingHub.start({ config: await load(file), configFile: file, loadConfig: load, crds: false, log, createSink: fake.createSink, env: { SOME: 'env' }, ...extra });
  hubs.push(hub);
  return { hub, file, dir, fake, entries };
}

function nextTable(hub: RoutingHub, pred: (t: RoutingTable) => boolean): Promise<RoutingTable> {
  return new Promise((resolve) => {
    const off = hub.onChange((t) => {
      if (pred(t)) {
        off();
        resolve(t);
      }
    });
  });
}

function nextReload(hub: RoutingHub): Promise<ReloadResult> {
  return new Promise((resolve) => {
    const off = hub.onConfigReload((r) => {
      off();
      resolve(r);
    });
  });
}

describe('RoutingHub (config file)', () => {
  it('routes with the config’s table; sinks get the config and the process env', async () => {
    const { hub, fake } = await startWithFile(CONFIG_A);
    assert.deepEqual(names(hub.route(note('RolloutCompleted', 'Deployment'))), ['deploys']);
    assert.deepEqual(names(hub.route(note('BackOff'))), ['pager', 'old']);
    assert.deepEqual(
      hub.sinks().map((s) => s.id),
      ['config/deploys', 'config/pager', 'config/old'],
    );
    assert.deepEqual(fake.made.map((s) => [s.name, s.cfg.type, s.deps.env]), [
      ['deploys', 'jsonl', { SOME: 'env' }],
      ['pager', 'console', { SOME: 'env' }],
      ['old', 'console', { SOME: 'env' }],
    ]);
    const [deploys] = hub.route(note('RolloutCompleted'));
    await deploys.send(note('RolloutCompleted'));
    assert.deepEqual(fake.live('deploys')[0].sent, ['RolloutCompleted']);
    assert.equal(hub.sinkMap().get('config/deploys'), deploys);
    assert.equal(hub.controller, undefined);
  });

  it('editing the file swaps the table: unchanged sinks kept, changed rebuilt, removed closed', async (t) => {
    const { hub, file, fake } = await startWithFile(CONFIG_A);
    const [oldPager] = fake.live('pager');
    const [oldOld] = fake.live('old');
    const [deploys] = fake.live('deploys');

    const t0 = performance.now();
    const swapped = nextTable(hub, (t) => t.routes.length === 2 && !JSON.stringify(t.routes).includes('"old"'));
    writeFileSync(file, CONFIG_B);
    // awaited, not timed: how long a loaded machine takes is no verdict on the hub
    const table = await swapped;
    t.diagnostic(`table swapped ${Math.round(performance.now() - t0)} ms after the write`);

    assert.equal(hub.table(), table);
    assert.deepEqual(names(hub.route(note('RolloutCompleted'))), ['deploys', 'pager']);
    assert.deepEqual(names(hub.route(note('BackOff'))), ['pager']);
    assert.deepEqual(names(hub.sinks()), ['deploys', 'pager']);
    // deploys was not re-created; pager was (its config changed), and the old instance closed; old closed
    assert.equal(fake.made.filter((s) => s.name === 'deploys').length, 1);
    assert.equal(deploys.closed, false);
    await hub.close().then(() => hubs.splice(hubs.indexOf(hub), 1));
    assert.equal(oldPager.closed, true);
    assert.equal(oldOld.closed, true);
    assert.equal(fake.made.filter((s) => s.name === 'pager').length, 2);
    assert.equal(fake.made.find((s) => s.name === 'pager' && s !== oldPager)!.cfg.color, 'never');
    assert.equal(fake.made.every((s) => s.closed), true, 'close() closes every sink');
  });

  it('a removed sink is closed only after its send in flight; a later send fails', async () => {
    const { hub, file, fake } = await startWithFile(CONFIG_A);
    const [oldSink] = hub.route(note('BackOff')).filter((s) => s.name === 'old');
    const oldInner = fake.live('old')[0];
    let open!: () => void;
    oldInner.gate = new Promise((r) => (open = r));
    const inFlight = oldSink.send(note('Slow'));

    writeFileSync(file, CONFIG_B);
    assert.deepEqual(await hub.reloadConfig(), { ok: true, changed: true });
    assert.deepEqual(names(hub.sinks()), ['deploys', 'pager']);
    assert.equal(oldInner.closed, false, 'closed while a send was in flight');
    const closed = new Promise<void>((resolve) => {
      const close = oldInner.close.bind(oldInner);
      oldInner.close = () => close().then(resolve);
    });
    open();
    await inFlight;
    await closed;
    assert.deepEqual(oldInner.sent, ['Slow']);
    assert.equal(oldInner.closed, true);
    await assert.rejects(oldSink.send(note('Late')), { name: 'SinkError', kind: 'permanent', message: 'sink config/old was removed' });
  });

  it('a send to a replaced instance goes to its successor', async () => {
    const { hub, file, fake } = await startWithFile(CONFIG_A);
    const [pagerA] = hub.route(note('BackOff')).filter((s) => s.name === 'pager');
    const swapped = nextTable(hub, (t) => t.routes.length === 2 && !JSON.stringify(t.routes).includes('"old"'));
    writeFileSync(file, CONFIG_B);
    await swapped;
    await pagerA.send(note('Forwarded'));
    const [first, second] = fake.made.filter((s) => s.name === 'pager');
    assert.deepEqual(first.sent, []);
    assert.deepEqual(second.sent, ['Forwarded']);
  });

  it('an invalid file is logged issue by issue, and the previous table and sinks stay', async () => {
    const { hub, file, fake, entries } = await startWithFile(CONFIG_A);
    const before = hub.table();
    const sinksBefore = hub.sinks();
    const refused = nextReload(hub);
    writeFileSync(file, `${CONFIG_B}\n  - name: bad\n    match: {cel: 'reasn == "x"'}\n    sinks: [pager]\n  - name: typo\n    sinks: [pager]\n    contiue: true\n`);
    const r = await refused;
    assert.equal(r.ok, false);
    assert.deepEqual(
      !r.ok && r.issues.map((i) => `${i.path}: ${i.message}`),
      ["routes[2].match.cel: 1:1: undeclared reference to 'reasn'", 'routes[3].contiue: unknown key; did you mean "continue"?'],
    );
    const errors = entries.filter((e) => e.level === 'error').map((e) => [e.obj.path, e.obj.line]);
    assert.deepEqual(errors, [
      ['routes[2].match.cel', 13],
      ['routes[3].contiue', 17],
    ]);
    assert.ok(entries.some((e) => e.level === 'warn' && e.msg === 'config file refused: the previous routes and sinks stay in force'));
    assert.equal(hub.table(), before);
    assert.deepEqual(hub.sinks(), sinksBefore);
    assert.equal(fake.made.length, 3);
    assert.equal(fake.made.some((s) => s.closed), false);

    // fixed: applied
    const fixed = nextReload(hub);
    writeFileSync(file, CONFIG_B);
    assert.deepEqual(await fixed, { ok: true, changed: true });
    assert.deepEqual(names(hub.sinks()), ['deploys', 'pager']);
  });

  it('a sink that cannot start refuses the whole file; at start-up it stops the hub', async () => {
    const { hub, file, fake } = await startWithFile(CONFIG_A);
    const before = hub.table();
    const refused = nextReload(hub);
    writeFileSync(file, `${CONFIG_B.replace('sinks:\n', 'sinks:\n  - {name: broken, type: console}\n  - {name: fresh, type: console}\n')}`);
    const r = await refused;
    assert.deepEqual(!r.ok && r.issues.map((i) => i.message), ['sink "broken" (tokenFrom.env): environment variable is not set or is empty']);
    assert.equal(hub.table(), before);
    // the sink built for the refused file was closed again; the old ones are untouched
    assert.deepEqual(fake.made.slice(3).map((s) => [s.name, s.closed]), [
      ['fresh', true],
      ['pager', true],
    ]);
    assert.deepEqual(fake.made.slice(0, 3).map((s) => [s.name, s.closed]), [
      ['deploys', false],
      ['pager', false],
      ['old', false],
    ]);
    assert.deepEqual(names(hub.sinks()), ['deploys', 'pager', 'old']);

    const other = fakeFactory();
    await assert.rejects(
      RoutingHub.start({ config: await loadConfig({ file, env: {} }), crds: false, log: recordingLog().log, createSink: other.createSink }),
      ConfigError,
    );
    assert.equal(other.made.every((s) => s.closed), true);
  });

  it('a replaced file (rename, as editors and ConfigMap mounts do) is picked up; an unchanged rewrite is not a reload', async () => {
    const { hub, file, dir } = await startWithFile(CONFIG_A);
    const results: ReloadResult[] = [];
    hub.onConfigReload((r) => results.push(r));
    const swapped = nextTable(hub, (t) => t.routes.length === 2 && !JSON.stringify(t.routes).includes('"old"'));
    const tmp = join(dir, '.kubeherald.yaml.swp');
    writeFileSync(tmp, CONFIG_B);
    renameSync(tmp, file);
    await swapped;
    assert.deepEqual(results, [{ ok: true, changed: true }]);
    // same text again: read, compared, nothing to do
    assert.deepEqual(await hub.reloadConfig(), { ok: true, changed: false });
  });

  it('problems of config routes are logged once with their field', async () => {
    const { entries } = await startWithFile(`
sinks: [{name: out, type: console}]
routes:
  - {name: to-cr, sinks: [{name: hook, namespace: shop}]}
  - {name: fine, sinks: [out]}
`);
    const errs = entries.filter((e) => e.level === 'error');
    assert.deepEqual(errs.map((e) => [e.obj.route, e.obj.field, e.obj.reason, e.msg]), [['config/to-cr', 'sinks[0]', 'UnknownSink', 'route left out: no Sink "hook" in namespace "shop"']]);
  });
});
