// What trim keeps is what its readers read: every detector, the time-based
// rechecks, the resolved messages, a failed Job's look at its pods and the
// inhibition rules run on whole objects (as the API server returns them)
// through a proxy that records each value they read. The trimmed copy must
// hold the same value at every one of those paths, and give the same
// observations. A reader that starts using a field trim drops fails here;
// so does a trim that drops a field a reader uses.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { trimObject } from '../../src/cluster/trim.ts';
import { detect, recheckAt } from '../../src/detect/index.ts';
import { lastFailedPod } from '../../src/detect/job.ts';
import { describeResolved } from '../../src/detect/resolved.ts';
import type { KubeObject } from '../../src/model/kube.ts';
import { daemonSetRollingGeneration, podsOnNode, rollingRevision, statefulSetRollingRevision } from '../../src/pipeline/inhibit-rules.ts';
import { config, cs, deployment, node, pod, running, t, terminated, waiting } from '../detect/fixtures.ts';

type Path = (string | number)[];

/** `obj` behind a proxy that appends the path of every non-object value read to `reads`. */
function recording<T extends object>(obj: T, reads: Path[], path: Path = []): T {
  return new Proxy(obj, {
    get(target, key, receiver) {
      const v = Reflect.get(target, key, receiver);
      if (typeof key === 'symbol' || typeof v === 'function') return v;
      const at = [...path, Array.isArray(target) && /^\d+$/.test(key) ? Number(key) : key];
      if (v !== null && typeof v === 'object') return recording(v, reads, at);
      reads.push(at);
      return v;
    },
  });
}

function valueAt(obj: unknown, path: Path): unknown {
  let v = obj;
  for (const k of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<string | number, unknown>)[k];
  }
  return v;
}

const TIMES = [t(30), t(200), t(5000)];
const cfg = config({ jobCompleted: { enabled: true }, normalEvents: { enabled: true } });

/** Everything that reads a cached object of this kind, run on `obj`. */
function readAll(kind: string, obj: KubeObject, related: (kind: string, ns: string) => KubeObject[]): unknown[] {
  const out: unknown[] = [];
  for (const now of TIMES) {
    for (const delta of [{ current: obj, initial: true }, { old: obj, current: obj }]) {
      const obs = detect(kind, delta, now, cfg, related);
      out.push(obs, obs.map((o) => describeResolved(o, obj)));
    }
    out.push(recheckAt(kind, obj, now, cfg)?.getTime());
  }
  if (kind === 'Pod') out.push([...podsOnNode([obj], 'sim-node-1')]);
  if (kind === 'Deployment') out.push(rollingRevision(obj));
  if (kind === 'StatefulSet') out.push(statefulSetRollingRevision(obj));
  if (kind === 'DaemonSet') out.push(daemonSetRollingGeneration(obj));
  return out;
}

/** Every value read at `reads` in `whole` is the same in `trimmed`. */
function assertSameAtReads(name: string, whole: KubeObject, trimmed: KubeObject, reads: Path[]): void {
  for (const path of reads) {
    const v = valueAt(whole, path);
    if (v === undefined) continue;
    assert.deepEqual(valueAt(trimmed, path), v, `${name}: trim drops ${path.join('.')}, which a reader reads`);
  }
}

/** Whole and trimmed read alike: same values at every path read (of the object and the cached objects it looks up), same results. */
function assertTrimKeepsWhatIsRead(name: string, whole: KubeObject, related: KubeObject[] = []): void {
  const trim = (o: KubeObject): KubeObject => trimObject(structuredClone(o));
  const reads: Path[] = [];
  const relatedReads = related.map((): Path[] => []);
  const lookup = (objects: KubeObject[]) => (kind: string, ns: string) => objects.filter((o) => o.kind === kind && o.metadata.namespace === ns);
  const fromWhole = readAll(whole.kind!, recording(whole, reads), lookup(related.map((o, i) => recording(o, relatedReads[i]))));
  assert.ok(reads.length > 0, `${name}: nothing read`);
  assertSameAtReads(name, whole, trim(whole), reads);
  related.forEach((o, i) => assertSameAtReads(`${name}'s ${o.kind}`, o, trim(o), relatedReads[i]));
  assert.deepEqual(readAll(whole.kind!, trim(whole), lookup(related.map(trim))), fromWhole, `${name}: trimmed, it reads differently`);
}

const oomPod = pod({
  statuses: [cs({ state: running(100), last: terminated('OOMKilled', 137, 10, 90), restarts: 3, ready: true })],
  ready: ['True', 100],
  memoryLimit: '128Mi',
  owner: { kind: 'ReplicaSet', name: 'web-5d4f8b7c9' },
  labels: { app: 'web', 'pod-template-hash': '5d4f8b7c9' },
});

const PODS: Record<string, KubeObject> = {
  'crash-looping': pod({ statuses: [cs({ state: waiting('CrashLoopBackOff', 'back-off 5m0s'), last: terminated('Error', 1, 10, 20, 'panic: boom\nexit'), restarts: 5 })], ready: ['False', 20] }),
  'OOMKilled, running again, with a memory limit': oomPod,
  'OOMKilled and failed': pod({ phase: 'Failed', statuses: [cs({ state: terminated('OOMKilled', 137, 10, 90) })], memoryLimit: '64Mi' }),
  'image pull back-off': pod({ statuses: [cs({ state: waiting('ImagePullBackOff', 'Back-off pulling image "x"') })], ready: ['False', 0] }),
  'init container failing': pod({
    phase: 'Pending',
    initContainers: ['migrate'],
    initStatuses: [cs({ name: 'migrate', state: waiting('CrashLoopBackOff'), last: terminated('Error', 2, 5, 8), restarts: 4 })],
    statuses: [cs({ state: waiting('PodInitializing') })],
    ready: ['False', 0],
  }),
  'not ready for long': pod({ statuses: [cs({ state: running(0), ready: false })], ready: ['False', 10] }),
  'not ready, being deleted': pod({ statuses: [cs({ state: running(0), ready: false })], ready: ['False', 10], deleting: true }),
  evicted: pod({ phase: 'Failed', reason: 'Evicted', message: 'The node was low on resource: memory.', statuses: [cs({ state: terminated('Error', 137, 0, 50) })] }),
  'a failed Job pod': pod({ phase: 'Failed', statuses: [cs({ state: terminated('Error', 3, 0, 40, 'migration failed\nrollback') })], owner: { kind: 'Job', name: 'migrate', uid: 'job-uid', apiVersion: 'batch/v1' } }),
};

for (const [name, p] of Object.entries(PODS)) {
  test(`pods: trim keeps what is read (${name})`, () => assertTrimKeepsWhatIsRead(name, p));
}

test('nodes: trim keeps what is read (NotReady, Unknown, pressure)', () => {
  assertTrimKeepsWhatIsRead('NotReady', node({ ready: ['False', 10] }));
  assertTrimKeepsWhatIsRead('Unknown', node({ ready: ['Unknown', 10] }));
  assertTrimKeepsWhatIsRead('pressure', node({ pressure: { MemoryPressure: 5, DiskPressure: 6 } }));
});

test('deployments: trim keeps what is read (stuck, unavailable, rolling)', () => {
  assertTrimKeepsWhatIsRead('stuck', deployment({ generation: 2, revision: '2', updated: 1, available: 2, progressing: ['False', 'ProgressDeadlineExceeded', 10], availableCond: ['False', 'MinimumReplicasUnavailable', 5] }));
  assertTrimKeepsWhatIsRead('rolling', deployment({ generation: 3, observedGeneration: 3, revision: '3', updated: 2, progressing: ['True', 'ReplicaSetUpdated', 10], availableCond: ['True', 'MinimumReplicasAvailable'] }));
});

test("a failed Job: what it reads of its pods in the cache is kept", () => {
  const job: KubeObject = {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name: 'migrate', namespace: 'demo', uid: 'job-uid', creationTimestamp: '2025-03-01T10:00:00Z' },
    spec: { backoffLimit: 0, completions: 1, template: { spec: { containers: [{ name: 'app', image: 'migrate:1', env: [{ name: 'A', value: 'b' }] }] } } },
    status: { failed: 1, startTime: '2025-03-01T10:00:00Z', conditions: [{ type: 'Failed', status: 'True', reason: 'BackoffLimitExceeded', message: 'Job has reached the specified backoff limit', lastTransitionTime: '2025-03-01T10:01:00Z' }] },
  };
  assertTrimKeepsWhatIsRead('Job', job, [PODS['a failed Job pod']]);
  // and the lookup itself finds the same pod, container, exit code and message through the trimmed cache
  const trimmedPod = trimObject(structuredClone(PODS['a failed Job pod']));
  assert.deepEqual(lastFailedPod(job, () => [trimmedPod]), { name: 'web', container: 'app', exitCode: 3, reason: 'Error', message: 'rollback' });
});

test('the recorder sees a dropped field: a reader of containerID would fail', () => {
  // the guard's own check: without it every test above could pass by reading nothing
  const whole = PODS['crash-looping'];
  const reads: Path[] = [];
  const seen = recording(whole, reads) as KubeObject & { status: { containerStatuses: { containerID?: string }[] } };
  void seen.status.containerStatuses[0].containerID;
  const trimmed = trimObject(structuredClone(whole));
  assert.deepEqual(reads, [['status', 'containerStatuses', 0, 'containerID']]);
  assert.notDeepEqual(valueAt(trimmed, reads[0]), valueAt(whole, reads[0]));
});
