// A watched resource kubeherald may not list (RBAC forbids it) must not hold
// up the listener: it starts without it, says once what is missing and how
// to check it, shows as degraded, keeps the other resources working, keeps
// retrying, and takes the resource up once the ClusterRole grants it. The
// ClusterRole is deploy/'s own, applied with kubectl, minus jobs.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as k8s from '@kubernetes/client-node';
import { parse, stringify } from 'yaml';
import { readiness } from '../../src/app/probes.ts';
import { builtinSpecs, Listener } from '../../src/cluster/listener.ts';
import { classifyListError } from '../../src/cluster/unavailable.ts';
import { simListenerClock } from '../../src/cli/demo.ts';
import { DEFAULT_DETECTORS } from '../../src/detect/config.ts';
import type { TrackerState } from '../../src/detect/tracker.ts';
import type { Logger } from '../../src/model/logger.ts';
import { type Notification, State } from '../../src/model/notification.ts';
import { startSim, type Sim } from '../../src/sim/sim.ts';
import { Kubectl } from '../helpers/kubectl.ts';

const USER = 'kubeherald';
const ROLE = readFileSync(join(import.meta.dirname, '..', '..', 'deploy', 'rbac', 'clusterrole.yaml'), 'utf8');
const BINDING = stringify({
  apiVersion: 'rbac.authorization.k8s.io/v1',
  kind: 'ClusterRoleBinding',
  metadata: { name: 'kubeherald' },
  roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'kubeherald' },
  subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: USER }],
});

/** deploy/'s ClusterRole without jobs (cronjobs stay). */
function roleWithoutJobs(): string {
  const role = parse(ROLE) as { rules: { apiGroups: string[]; resources: string[] }[] };
  for (const r of role.rules) if (r.apiGroups.includes('batch')) r.resources = r.resources.filter((x) => x !== 'jobs');
  assert.ok(role.rules.some((r) => r.apiGroups.includes('batch') && r.resources.includes('cronjobs')));
  return stringify(role);
}

interface Entry {
  level: string;
  obj: Record<string, unknown>;
  msg: string;
}

/** A log that can be awaited: until() resolves once some entry satisfies the test. */
function awaitableLog(): { log: Logger; entries: Entry[]; until: (test: (e: Entry) => boolean) => Promise<void> } {
  const entries: Entry[] = [];
  let waiters: { test: (e: Entry) => boolean; resolve: () => void }[] = [];
  const at = (level: string) => (obj: object, msg: string) => {
    const e = { level, obj: obj as Record<string, unknown>, msg };
    entries.push(e);
    waiters = waiters.filter((w) => (w.test(e) ? (w.resolve(), false) : true));
  };
  const log: Logger = { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error'), child: () => log };
  return {
    log,
    entries,
    until: (test) => (entries.some(test) ? Promise.resolve() : new Promise((resolve) => waiters.push({ test, resolve }))),
  };
}

let sim: Sim;
let admin: Kubectl;

before(async () => {
  sim = await startSim({ clockSpeed: 0, bookmarkIntervalMs: 20, users: [{ name: USER }] });
  admin = new Kubectl(sim.kubeconfig);
});
after(() => sim?.close());

function listener(log: Logger, notifications: Notification[], initialState?: TrackerState): Listener {
  const kc = new k8s.KubeConfig();
  kc.loadFromString(sim.kubeconfigFor(USER));
  return new Listener({
    kc,
    clock: simListenerClock(sim),
    log,
    initialState,
    onNotification: (n) => notifications.push(n),
    config: { cluster: 'sim', namespaceAllowed: () => true, eventsApi: 'core', extraResources: [], watchdogSeconds: 30, pageSize: 100, detectors: DEFAULT_DETECTORS },
  });
}

const summary = (n: Notification): string => `${State[n.state]} ${n.reason} ${n.involvedObject?.kind}/${n.involvedObject?.name}`;

describe('a resource the ClusterRole does not grant', () => {
  it('starts degraded, tells what is missing once, keeps the rest working, retries, and recovers when granted', async () => {
    await admin.ok(['apply', '-f', '-'], roleWithoutJobs());
    await admin.ok(['apply', '-f', '-'], BINDING);
    const { log, entries, until } = awaitableLog();
    const notifications: Notification[] = [];
    const l = listener(log, notifications);
    try {
      await l.start();
      assert.deepEqual(
        l.unavailable().map((u) => [u.resource, u.status]),
        [['jobs.batch', 403]],
      );
      const errors = entries.filter((e) => e.level === 'error');
      assert.equal(errors.length, 1, JSON.stringify(errors));
      assert.match(errors[0].msg, /forbidden to list jobs\.batch: the ClusterRole needs get, list, watch on jobs in API group "batch" \(check: kubectl auth can-i list jobs\.batch --as=kubeherald\)/);
      assert.equal(errors[0].obj.resource, 'jobs.batch');

      // degraded, not unready: what to grant is in the detail
      const watches = l.reflectors.map((r) => ({ resource: r.spec.resource, listed: r.stats.lists > 0, failures: r.failures }));
      const checks = readiness({ started: true, stopping: false, watches, unavailable: l.unavailable().map((u) => ({ resource: 'jobs', detail: u.detail })), stateError: undefined, fatal: undefined });
      const watching = checks.find((c) => c.name === 'watching')!;
      assert.equal(watching.ok, true);
      // every built-in informer but jobs (the deploy/ ClusterRole grants them all, namespaces included)
      assert.match(watching.detail, new RegExp(`^degraded: ${builtinSpecs('core').length - 1} resources caught up; unavailable: forbidden to list jobs\\.batch`));

      // the other resources work: a crash loop is detected
      sim.scenarios.start('crashloop');
      for (let t = 0; t < 60; t++) {
        await sim.clock.advance(1000);
        await l.caughtUp(sim.ctx.store.resourceVersion);
      }
      assert.deepEqual(notifications.map(summary), ['FIRING CrashLoopBackOff Pod/crashloop']);

      // retried with backoff, still said once
      await until((e) => e.level === 'warn' && e.obj.resource === 'jobs' && (e.obj.err as string)?.includes('HTTP 403'));
      await until(() => entries.filter((e) => e.level === 'warn' && e.obj.resource === 'jobs').length >= 2);
      assert.equal(entries.filter((e) => e.level === 'error').length, 1);

      // granted: the next retry lists jobs, and a Job is seen
      await admin.ok(['apply', '-f', '-'], ROLE);
      await until((e) => e.msg === 'resource listed: no longer degraded' && e.obj.resource === 'jobs.batch');
      assert.deepEqual(l.unavailable(), []);
      await admin.ok(['create', 'job', 'once', '-n', 'default', '--image=busybox']);
      await l.caughtUp(sim.ctx.store.resourceVersion);
      const jobs = l.reflectors.find((r) => r.spec.resource === 'jobs')!;
      assert.ok(jobs.get('default', 'once'), 'the Job is in the cache');
      // a built-in kind: no created/changed/deleted notices for it
      assert.equal(notifications.filter((n) => n.detector === 'resourceChanges').length, 0);
    } finally {
      l.stop();
      await admin.run(['delete', 'job', 'once', '-n', 'default', '--ignore-not-found']);
    }
  });

  it('a restart while degraded resolves nothing it cannot see until every resource has listed', async () => {
    await admin.ok(['apply', '-f', '-'], ROLE);
    await admin.ok(['apply', '-f', '-'], BINDING);
    const first = awaitableLog();
    const seen: Notification[] = [];
    const l1 = listener(first.log, seen);
    let state: TrackerState;
    let fired: Notification[];
    try {
      await l1.start();
      await admin.ok(['create', 'namespace', 'gone']);
      // the simulated kubelet cannot pull this one (the demo's bad-image)
      await admin.ok(['run', 'broken', '-n', 'gone', '--image=willwill/inexisting', '--restart=Never']);
      for (let t = 0; t < 120 && !seen.some((n) => n.involvedObject?.name === 'broken'); t++) {
        await sim.clock.advance(1000);
        await l1.caughtUp(sim.ctx.store.resourceVersion);
      }
      fired = seen.filter((n) => n.involvedObject?.name === 'broken' && n.state === State.FIRING);
      assert.equal(fired.length, 1, seen.map(summary).join(', '));
      state = l1.tracker.snapshot();
    } finally {
      l1.stop();
    }

    // while kubeherald is down: the pod goes, and jobs are no longer granted
    await admin.ok(['delete', 'pod', 'broken', '-n', 'gone', '--grace-period=0', '--force']);
    await admin.ok(['apply', '-f', '-'], roleWithoutJobs());
    const second = awaitableLog();
    const after: Notification[] = [];
    const l2 = listener(second.log, after, state);
    try {
      await l2.start();
      assert.deepEqual(l2.unavailable().map((u) => u.resource), ['jobs.batch']);
      assert.deepEqual(after.map(summary), [], 'the deleted pod is not resolved while a resource is unlisted');
      await admin.ok(['apply', '-f', '-'], ROLE);
      await second.until((e) => e.msg === 'resource listed: no longer degraded');
      assert.deepEqual(after.filter((n) => n.involvedObject?.name === 'broken').map(summary), [`RESOLVED ${fired[0].reason} Pod/broken`]);
    } finally {
      l2.stop();
    }
  });
});

describe('classifyListError', () => {
  const spec = { apiVersion: 'batch/v1', kind: 'Job', resource: 'jobs', namespaced: true };
  it('404: not served; 403: the rule and the can-i check, with the user the server named', () => {
    assert.match(classifyListError(spec, { code: 404, body: '' })!.detail, /^jobs\.batch \(batch\/v1\) is not served by this API server/);
    const forbidden = classifyListError(spec, { code: 403, body: JSON.stringify({ message: 'jobs.batch is forbidden: User "system:serviceaccount:kh:kh" cannot list resource "jobs"' }) })!;
    assert.match(forbidden.detail, /kubectl auth can-i list jobs\.batch --as=system:serviceaccount:kh:kh\)/);
    assert.match(classifyListError({ apiVersion: 'v1', kind: 'Pod', resource: 'pods', namespaced: true }, { code: 403, body: {} })!.detail, /on pods in API group "" \(check: kubectl auth can-i list pods\)/);
  });
  it('other failures are not "unavailable": the listener waits for them as before', () => {
    for (const err of [{ code: 500 }, { code: 429 }, new Error('ECONNREFUSED'), undefined]) assert.equal(classifyListError(spec, err), undefined);
  });
});
