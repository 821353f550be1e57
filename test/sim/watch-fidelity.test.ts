// Watches as kube-apiserver serves them: boolean parameters parsed as Go
// parses them, timeoutSeconds=0 as the server's default, a per-resource
// watch window that answers a too-old resourceVersion with 410 (on a fresh
// cluster too), Exact lists, and the empty-watch fault. The wire behaviour
// is proven with the real kubectl.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { SimClock } from '../../src/sim/clock.ts';
import { ApiError } from '../../src/sim/errors.ts';
import { Faults } from '../../src/sim/faults.ts';
import { exactListVersion, parseRequest, queryBool } from '../../src/sim/request.ts';
import { startSim, type Sim } from '../../src/sim/sim.ts';
import { type Change, ObjectStore } from '../../src/sim/store.ts';
import type { KObject } from '../../src/sim/types.ts';
import { DEFAULT_WATCH_TIMEOUT_SECONDS, watchTimeoutSeconds } from '../../src/sim/watch.ts';
import type { ChildProcess } from 'node:child_process';
import { Kubectl } from '../helpers/kubectl.ts';

const CM = { storage: 'configmaps', resource: 'configmaps', group: '' };
const SECRETS = { storage: 'secrets', resource: 'secrets', group: '' };
const cm = (name: string, v = '1'): KObject => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: 'w' }, data: { v } }) as KObject;

/** All a process has printed so far, and a wait for what it prints next (nothing is missed between waits). */
function collect(child: ChildProcess): (predicate: (out: string) => boolean) => Promise<string> {
  let out = '';
  let err = '';
  let waiters: { predicate: (out: string) => boolean; resolve: (out: string) => void; reject: (e: Error) => void }[] = [];
  child.stdout!.on('data', (d: Buffer) => {
    out += d.toString();
    waiters = waiters.filter((w) => !(w.predicate(out) && (w.resolve(out), true)));
  });
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  child.on('exit', (code) => {
    for (const w of waiters) w.reject(new Error(`process exited (${code}) before the expected output:\n${out}\n${err}`));
    waiters = [];
  });
  return (predicate) =>
    predicate(out) ? Promise.resolve(out) : new Promise((resolve, reject) => waiters.push({ predicate, resolve, reject }));
}

function apiError(fn: () => unknown): ApiError {
  try {
    fn();
  } catch (err) {
    if (err instanceof ApiError) return err;
    throw err;
  }
  assert.fail('expected an ApiError');
}

describe('boolean query parameters, as Go converts them', () => {
  const q = (s: string) => new URLSearchParams(s);
  it('absent is false; "0" and "false" in any case are false; anything else, even empty, is true', () => {
    assert.equal(queryBool(q(''), 'watch'), false);
    for (const v of ['0', 'false', 'False', 'FALSE', 'fAlSe']) assert.equal(queryBool(q(`watch=${v}`), 'watch'), false, v);
    for (const v of ['1', 'true', 'True', 'TRUE', '', 'yes', 'no', '2']) assert.equal(queryBool(q(`watch=${v}`), 'watch'), true, JSON.stringify(v));
    assert.equal(queryBool(q('watch'), 'watch'), true, 'a bare name is an empty value');
    assert.equal(queryBool(q('watch=false&watch=true'), 'watch'), false, 'the first value decides');
  });

  it('watch=True (the Python client) and watch=1 make a watch; watch=False and watch=0 a list', () => {
    for (const v of ['True', '1', 'true', '']) assert.equal(parseRequest('GET', `/api/v1/pods?watch=${v}`).verb, 'watch', v);
    for (const v of ['False', '0', 'false']) assert.equal(parseRequest('GET', `/api/v1/pods?watch=${v}`).verb, 'list', v);
  });
});

describe('timeoutSeconds', () => {
  it('absent and 0 are the server default; a number is itself; garbage is a 400 naming the field', () => {
    assert.equal(watchTimeoutSeconds(null), DEFAULT_WATCH_TIMEOUT_SECONDS);
    assert.equal(watchTimeoutSeconds('0'), DEFAULT_WATCH_TIMEOUT_SECONDS);
    assert.equal(watchTimeoutSeconds('5'), 5);
    const e = apiError(() => watchTimeoutSeconds('soon'));
    assert.equal(e.code, 400);
    assert.match(e.message, /timeoutSeconds: Invalid value: "soon"/);
  });
});

describe('the per-resource watch window', () => {
  const newStore = (historySize?: number) => new ObjectStore({ clock: new SimClock({ speed: 0 }), historySize });
  const replay = (store: ObjectStore, storage: string, since: number): Change[] => {
    const seen: Change[] = [];
    store.watch({ storage }, since, (c) => seen.push(c))();
    return seen;
  };

  it('starts where the cache was initialised: older versions are 410 "too old resource version: RV (START)"', () => {
    const store = newStore();
    store.create(CM, cm('seeded'));
    store.compact(); // what startSim does once the cluster is seeded
    const start = store.resourceVersion;
    store.create(CM, cm('a'));
    const e = apiError(() => replay(store, 'configmaps', 1));
    assert.equal(e.code, 410);
    assert.equal(e.reason, 'Expired');
    assert.equal(e.message, `too old resource version: 1 (${start})`);
    // from the start itself everything since is replayed, for a resource never written too
    assert.deepEqual(replay(store, 'configmaps', start).map((c) => c.object.metadata.name), ['a']);
    assert.deepEqual(replay(store, 'secrets', start), []);
    assert.throws(() => replay(store, 'secrets', start - 1), /too old resource version/);
  });

  it('each resource keeps its own window: a busy one does not push a quiet one out', () => {
    const store = newStore(4);
    store.compact();
    const quiet = store.create(SECRETS, { apiVersion: 'v1', kind: 'Secret', metadata: { name: 's', namespace: 'w' } } as KObject);
    const quietRV = Number(quiet.metadata.resourceVersion);
    for (let i = 0; i < 50; i++) store.create(CM, cm(`c${i}`));
    assert.deepEqual(replay(store, 'secrets', quietRV - 1).map((c) => c.object.metadata.name), ['s']);
    // the busy one has evicted its oldest changes: its window now starts just before its oldest kept change
    const floor = store.watchFloor('configmaps');
    assert.ok(floor > quietRV, `floor ${floor}`);
    const kept = replay(store, 'configmaps', floor);
    assert.ok(kept.length >= 4 && kept.length <= 5, `${kept.length} kept`);
    assert.equal(kept[0].rv, floor + 1);
    assert.equal(apiError(() => replay(store, 'configmaps', floor - 1)).message, `too old resource version: ${floor - 1} (${floor})`);
  });

  it('lists with resourceVersionMatch=Exact: the state then, 410 before the window, 504 after now', () => {
    const store = newStore(2);
    store.compact();
    store.create(CM, cm('a'));
    const rvA = store.resourceVersion;
    store.mutate(CM, 'w', 'a', (o) => void ((o as unknown as { data: Record<string, string> }).data.v = '2'));
    store.create(CM, cm('b'));
    const at = store.listExact('configmaps', 'w', rvA);
    assert.deepEqual(at.map((o) => [o.metadata.name, (o as unknown as { data: Record<string, string> }).data.v]), [['a', '1']]);
    for (let i = 0; i < 5; i++) store.create(CM, cm(`x${i}`));
    const old = apiError(() => store.listExact('configmaps', 'w', rvA));
    assert.equal(old.code, 410);
    assert.equal(old.message, 'The resourceVersion for the provided list is too old.');
    const future = apiError(() => store.listExact('configmaps', 'w', store.resourceVersion + 10));
    assert.equal(future.code, 504);
    assert.match(future.message, /^Too large resource version: \d+, current: \d+$/);
  });

  it('rejects resourceVersionMatch=Exact without a usable resourceVersion, naming the field', () => {
    const q = (s: string) => new URLSearchParams(s);
    assert.equal(exactListVersion(q('resourceVersion=5')), undefined);
    assert.equal(exactListVersion(q('resourceVersionMatch=Exact&resourceVersion=5')), 5);
    assert.match(apiError(() => exactListVersion(q('resourceVersionMatch=Exact'))).message, /resourceVersionMatch: Forbidden: resourceVersionMatch is forbidden unless resourceVersion is provided/);
    assert.equal(apiError(() => exactListVersion(q('resourceVersionMatch=Exact&resourceVersion=0'))).code, 422);
    assert.match(apiError(() => exactListVersion(q('resourceVersionMatch=Exact&resourceVersion=x'))).message, /resourceVersion: Invalid value: "x"/);
  });
});

describe('the empty-watch fault switch', () => {
  it('counts down per resource, "*" for any; clear() ends it; a bad count is refused', () => {
    const f = new Faults();
    f.emptyWatches({ resource: 'events', count: 2 });
    assert.equal(f.takeEmptyWatch('pods'), false);
    assert.equal(f.takeEmptyWatch('events'), true);
    assert.equal(f.takeEmptyWatch('events'), true);
    assert.equal(f.takeEmptyWatch('events'), false);
    f.emptyWatches();
    for (let i = 0; i < 100; i++) assert.equal(f.takeEmptyWatch('pods'), true);
    f.clear();
    assert.equal(f.takeEmptyWatch('pods'), false);
    assert.throws(() => f.emptyWatches({ count: 0 }), /count must be positive/);
    // `kubeherald sim --empty-watches events` sets it from the start
    const fromOptions = new Faults({ emptyWatchesOf: 'events' });
    assert.equal(fromOptions.takeEmptyWatch('pods'), false);
    assert.equal(fromOptions.takeEmptyWatch('events'), true);
    assert.equal(fromOptions.takeEmptyWatch('events'), true);
  });
});

describe('watches through the real kubectl', () => {
  let sim: Sim;
  let k: Kubectl;
  // who waits for a request (as "verb path") to finish
  let waiters: { match: (r: string) => boolean; resolve: () => void }[] = [];
  const finishedRequest = (match: (r: string) => boolean): Promise<void> =>
    new Promise((resolve) => waiters.push({ match, resolve }));
  before(async () => {
    sim = await startSim({
      clockSpeed: 0,
      onRequest: (e) => {
        const r = `${e.verb} ${e.path}`;
        waiters = waiters.filter((w) => !(w.match(r) && (w.resolve(), true)));
      },
    });
    k = new Kubectl(sim.kubeconfig);
    await k.ok(['create', 'namespace', 'w']);
  });
  after(() => sim.close());

  it('on a fresh cluster, a watch from resourceVersion=1 is a 200 with one 410 ERROR event', async () => {
    const start = sim.ctx.store.watchFloor('pods');
    const out = await k.ok(['get', '--raw', '/api/v1/namespaces/w/pods?watch=true&resourceVersion=1']);
    const lines = out.trim().split('\n');
    assert.equal(lines.length, 1, out);
    const event = JSON.parse(lines[0]);
    assert.equal(event.type, 'ERROR');
    assert.deepEqual(
      { kind: event.object.kind, code: event.object.code, reason: event.object.reason, status: event.object.status },
      { kind: 'Status', code: 410, reason: 'Expired', status: 'Failure' },
    );
    assert.equal(event.object.message, `too old resource version: 1 (${start})`);
  });

  it('a list with resourceVersionMatch=Exact older than the window is a 410', async () => {
    const r = await k.run(['get', '--raw', '/api/v1/namespaces/w/pods?resourceVersion=1&resourceVersionMatch=Exact']);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /Expired|too old/i, r.stderr);
    const now = JSON.parse(await k.ok(['get', '--raw', '/api/v1/namespaces/w/configmaps']));
    const exact = JSON.parse(await k.ok(['get', '--raw', `/api/v1/namespaces/w/configmaps?resourceVersion=${now.metadata.resourceVersion}&resourceVersionMatch=Exact`]));
    assert.equal(exact.metadata.resourceVersion, now.metadata.resourceVersion);
  });

  it('watch=True&timeoutSeconds=0 is a watch that stays open', async () => {
    await k.ok(['create', 'configmap', 'before', '-n', 'w']);
    const watch = k.spawn(['get', '--raw', '/api/v1/namespaces/w/configmaps?watch=True&timeoutSeconds=0']);
    const until = collect(watch);
    try {
      await until((out) => out.includes('"name":"before"'));
      await k.ok(['create', 'configmap', 'after', '-n', 'w']);
      const out = await until((o) => o.includes('"name":"after"'));
      assert.deepEqual(
        out.trim().split('\n').map((l) => `${JSON.parse(l).type} ${JSON.parse(l).object.metadata.name}`),
        ['ADDED before', 'ADDED after'],
      );
      assert.equal(watch.exitCode, null, 'still open after the events');
    } finally {
      watch.kill();
    }
  });

  it('kubectl get pods --watch-only --output-watch-events sees ADDED, MODIFIED and DELETED', async () => {
    // kubectl lists first and watches from the list's version: a pod made after that list is seen
    const listed = finishedRequest((r) => r === 'list /api/v1/namespaces/w/pods');
    const watch = k.spawn(['get', 'pods', '-n', 'w', '--watch-only', '--output-watch-events', '--no-headers']);
    const until = collect(watch);
    try {
      await listed;
      await k.ok(['run', 'p1', '-n', 'w', '--image', 'nginx', '--restart', 'Never']);
      await until((o) => /^ADDED\s+p1\b/m.test(o));
      await k.ok(['label', 'pod', 'p1', '-n', 'w', 'tier=web']);
      await until((o) => /^MODIFIED\s+p1\b/m.test(o));
      await k.ok(['delete', 'pod', 'p1', '-n', 'w', '--grace-period=0', '--force']);
      const out = await until((o) => /^DELETED\s+p1\b/m.test(o));
      const types = out.trim().split('\n').map((l) => l.split(/\s+/)[0]);
      assert.equal(types[0], 'ADDED');
      assert.equal(types[types.length - 1], 'DELETED');
      assert.ok(types.slice(1, -1).every((t) => t === 'MODIFIED'), types.join(' '));
    } finally {
      watch.kill();
    }
  });

  it('the empty-watch fault: a 200 that ends at once with no events, again and again', async () => {
    sim.faults.emptyWatches({ resource: 'configmaps', count: 2 });
    for (let i = 0; i < 2; i++) {
      const out = await k.ok(['get', '--raw', '/api/v1/namespaces/w/configmaps?watch=1&allowWatchBookmarks=True']);
      assert.equal(out, '');
    }
    // the count is spent: the next watch is a real one (its first event is the current state)
    const watch = k.spawn(['get', '--raw', '/api/v1/namespaces/w/configmaps?watch=1']);
    const until = collect(watch);
    try {
      await until((o) => o.includes('"type":"ADDED"'));
    } finally {
      watch.kill();
    }
  });
});
