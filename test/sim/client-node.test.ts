// @kubernetes/client-node against the simulator: typed calls, paged lists
// and an informer that survives every fault the simulator can inject.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import * as k8s from '@kubernetes/client-node';
import { startSim, type Sim } from '../../src/sim/sim.ts';
import { simRequest } from '../helpers/http.ts';

function clients(sim: Sim): { core: k8s.CoreV1Api; kc: k8s.KubeConfig } {
  const kc = new k8s.KubeConfig();
  kc.loadFromString(sim.kubeconfig);
  return { core: kc.makeApiClient(k8s.CoreV1Api), kc };
}

const configMap = (name: string, data: Record<string, string> = { v: '1' }): k8s.V1ConfigMap => ({
  metadata: { name, labels: { suite: 'informer' } },
  data,
});

/** Collects an informer's callbacks and lets a test await a condition on them. */
class Recorder {
  events: string[] = [];
  #waiters: { pred: () => boolean; resolve: () => void }[] = [];
  push(e: string): void {
    this.events.push(e);
    this.#check();
  }
  #check(): void {
    this.#waiters = this.#waiters.filter((w) => {
      if (!w.pred()) return true;
      w.resolve();
      return false;
    });
  }
  until(pred: (events: string[]) => boolean): Promise<void> {
    if (pred(this.events)) return Promise.resolve();
    return new Promise((resolve) => this.#waiters.push({ pred: () => pred(this.events), resolve }));
  }
}

describe('@kubernetes/client-node against the simulator', () => {
  let sim: Sim;
  let core: k8s.CoreV1Api;
  let kc: k8s.KubeConfig;

  before(async () => {
    sim = await startSim({ bookmarkIntervalMs: 200 });
    ({ core, kc } = clients(sim));
    await core.createNamespace({ body: { metadata: { name: 'inf' } } });
    // every namespace gets the cluster CA as kube-root-ca.crt, as on a real cluster: lists below include it
    const hasRootCA = (): boolean => !!sim.ctx.store.get('configmaps', 'inf', 'kube-root-ca.crt');
    if (!hasRootCA()) {
      await new Promise<void>((resolve) => {
        const stop = sim.ctx.store.subscribe(() => {
          if (hasRootCA()) {
            stop();
            resolve();
          }
        });
      });
    }
  });
  after(async () => {
    await sim.close();
  });

  it('pages a list with limit and continue from one snapshot', async () => {
    for (let i = 0; i < 7; i++) await core.createNamespacedConfigMap({ namespace: 'inf', body: configMap(`page-${i}`) });
    const first = await core.listNamespacedConfigMap({ namespace: 'inf', limit: 3 });
    assert.equal(first.items.length, 3);
    assert.ok(first.metadata?._continue);
    assert.equal(first.metadata?.remainingItemCount, 5);
    // a change between pages must not show up: the pages are one snapshot
    await core.createNamespacedConfigMap({ namespace: 'inf', body: configMap('page-00-late') });
    const names = first.items.map((c) => c.metadata!.name);
    let token: string | undefined = first.metadata!._continue;
    while (token) {
      const page = await core.listNamespacedConfigMap({ namespace: 'inf', limit: 3, _continue: token });
      assert.equal(page.metadata?.resourceVersion, first.metadata?.resourceVersion);
      names.push(...page.items.map((c) => c.metadata!.name));
      token = page.metadata?._continue;
    }
    assert.deepEqual(names, ['kube-root-ca.crt', 'page-0', 'page-1', 'page-2', 'page-3', 'page-4', 'page-5', 'page-6']);
    for (const n of [...names.slice(1), 'page-00-late'] as string[]) await core.deleteNamespacedConfigMap({ name: n!, namespace: 'inf' });
  });

  it('returns Status errors clients can branch on', async () => {
    await assert.rejects(core.readNamespacedConfigMap({ name: 'missing', namespace: 'inf' }), (err: k8s.ApiException<string>) => {
      assert.equal(err.code, 404);
      const body = JSON.parse(err.body);
      assert.equal(body.reason, 'NotFound');
      assert.equal(body.message, 'configmaps "missing" not found');
      return true;
    });
    await core.createNamespacedConfigMap({ namespace: 'inf', body: configMap('dup') });
    await assert.rejects(core.createNamespacedConfigMap({ namespace: 'inf', body: configMap('dup') }), (err: k8s.ApiException<string>) => {
      assert.equal(err.code, 409);
      assert.equal(JSON.parse(err.body).reason, 'AlreadyExists');
      return true;
    });
    const cm = await core.readNamespacedConfigMap({ name: 'dup', namespace: 'inf' });
    await core.replaceNamespacedConfigMap({ name: 'dup', namespace: 'inf', body: { ...cm, data: { v: '2' } } });
    await assert.rejects(core.replaceNamespacedConfigMap({ name: 'dup', namespace: 'inf', body: { ...cm, data: { v: '3' } } }), (err: k8s.ApiException<string>) => {
      assert.equal(err.code, 409);
      assert.equal(JSON.parse(err.body).reason, 'Conflict');
      return true;
    });
    await core.deleteNamespacedConfigMap({ name: 'dup', namespace: 'inf' });
  });

  it('feeds an informer ADDED, MODIFIED and DELETED, and it survives every fault', async () => {
    const path = '/api/v1/namespaces/inf/configmaps';
    const informer = k8s.makeInformer(kc, path, () => core.listNamespacedConfigMap({ namespace: 'inf', labelSelector: 'suite=informer' }), 'suite=informer');
    const rec = new Recorder();
    informer.on('add', (o) => rec.push(`add ${o.metadata!.name} ${o.data?.v}`));
    informer.on('update', (o) => rec.push(`update ${o.metadata!.name} ${o.data?.v}`));
    informer.on('delete', (o) => rec.push(`delete ${o.metadata!.name}`));
    let errors = 0;
    let stopped = false;
    // the documented client-node pattern: an informer stops on error and the owner restarts it
    informer.on('error', () => {
      errors++;
      if (!stopped) setTimeout(() => void informer.start(), 20);
    });
    await informer.start();

    await core.createNamespacedConfigMap({ namespace: 'inf', body: configMap('a') });
    await rec.until((e) => e.includes('add a 1'));
    await core.patchNamespacedConfigMap({ name: 'a', namespace: 'inf', body: { data: { v: '2' } } }, k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch));
    await rec.until((e) => e.includes('update a 2'));
    await core.deleteNamespacedConfigMap({ name: 'a', namespace: 'inf' });
    await rec.until((e) => e.includes('delete a'));

    // every open watch closed (an apiserver restart)
    assert.ok(sim.faults.dropWatches() >= 1);
    await core.createNamespacedConfigMap({ namespace: 'inf', body: configMap('after-drop') });
    await rec.until((e) => e.includes('add after-drop 1'));

    // the next watch is answered with 410 Gone: the informer re-lists
    sim.faults.expireNextWatch();
    sim.faults.dropWatches();
    await core.createNamespacedConfigMap({ namespace: 'inf', body: configMap('after-410') });
    await rec.until((e) => e.includes('add after-410 1'));

    // history compacted while disconnected: resuming from an old version is a 410 too
    sim.faults.dropWatches();
    sim.ctx.store.compact();
    await core.createNamespacedConfigMap({ namespace: 'inf', body: configMap('after-compact') });
    await rec.until((e) => e.includes('add after-compact 1'));

    // 429 and 503 with Retry-After on the re-list and re-watch, then a truncated stream
    sim.faults.failNext(429, { retryAfterSeconds: 1, verbs: ['list', 'watch'] });
    sim.faults.failNext(503, { retryAfterSeconds: 1, verbs: ['list', 'watch'] });
    sim.faults.failNext(500, { verbs: ['list', 'watch'] });
    sim.faults.expireNextWatch();
    sim.faults.truncateNextWatch();
    sim.faults.dropWatches();
    await core.createNamespacedConfigMap({ namespace: 'inf', body: configMap('after-errors') });
    await rec.until((e) => e.includes('add after-errors 1'));

    // slowness is not failure
    sim.faults.latencyMs = 50;
    await core.patchNamespacedConfigMap({ name: 'after-errors', namespace: 'inf', body: { data: { v: '9' } } }, k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch));
    await rec.until((e) => e.includes('update after-errors 9'));
    sim.faults.latencyMs = 0;

    stopped = true;
    await informer.stop();
    // nothing was lost and nothing was announced twice
    const adds = rec.events.filter((e) => e.startsWith('add after-'));
    assert.deepEqual(adds, ['add after-drop 1', 'add after-410 1', 'add after-compact 1', 'add after-errors 1']);
    assert.equal(rec.events.filter((e) => e === 'add a 1').length, 1);
    assert.deepEqual(informer.list().map((o) => o.metadata!.name).sort(), ['after-410', 'after-compact', 'after-drop', 'after-errors']);
    assert.ok(errors >= 1, 'the faults reached the informer as errors it recovered from');
  });

  it('watches with bookmarks and from an exact resourceVersion', async () => {
    const list = await core.listNamespacedConfigMap({ namespace: 'inf' });
    const rv = list.metadata!.resourceVersion!;
    await core.createNamespacedConfigMap({ namespace: 'inf', body: configMap('exact') });
    const watch = new k8s.Watch(kc);
    const seen: string[] = [];
    let done!: () => void;
    const finished = new Promise<void>((r) => (done = r));
    const req = await watch.watch(
      '/api/v1/namespaces/inf/configmaps',
      { resourceVersion: rv, allowWatchBookmarks: true },
      (type, obj) => {
        seen.push(`${type} ${obj.metadata?.name ?? ''}`);
        if (type === 'BOOKMARK') done();
      },
      () => done(),
    );
    await finished;
    req.abort();
    assert.equal(seen[0], 'ADDED exact');
    assert.ok(seen.includes('BOOKMARK '));
  });

  it('serves watch-list: initial events then the initial-events-end bookmark', async () => {
    const res = await simRequest(sim, 'GET', '/api/v1/namespaces/inf/configmaps?watch=true&sendInitialEvents=true&allowWatchBookmarks=true&resourceVersionMatch=NotOlderThan&timeoutSeconds=1');
    const lines = res.text.trim().split('\n').map((l) => JSON.parse(l));
    const end = lines.findIndex((l) => l.type === 'BOOKMARK' && l.object.metadata.annotations?.['k8s.io/initial-events-end'] === 'true');
    assert.ok(end > 0);
    assert.ok(lines.slice(0, end).every((l) => l.type === 'ADDED'));
  });

  it('rejects requests without a valid token', async () => {
    const res = await simRequest(sim, 'GET', '/api/v1/pods', { token: 'wrong' });
    assert.equal(res.status, 401);
    const anon = await simRequest(sim, 'GET', '/api/v1/pods', { token: null });
    assert.equal(anon.status, 403);
    assert.match(anon.body.message, /User "system:anonymous" cannot list resource "pods"/);
  });
});
