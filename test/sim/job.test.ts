// Jobs on the simulator: what the real kubectl sees (defaults, columns,
// `kubectl wait --for=condition=complete`, validation) and what the Job
// controller does, on a stopped clock stepped by the test: completions and
// parallelism, the back-off between failed pods, backoffLimit,
// activeDeadlineSeconds, podFailurePolicy, suspend, TTL and deletion.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { backoffDelayMs, JOB_TRACKING_FINALIZER, matchPodFailurePolicy, type Job } from '../../src/sim/controllers/job.ts';
import { startSim, type Sim } from '../../src/sim/sim.ts';
import type { KObject } from '../../src/sim/types.ts';
import { Kubectl } from '../helpers/kubectl.ts';

const NS = 'batch';

function jobYaml(name: string, o: { behavior?: string; exitCode?: number; spec?: string; restartPolicy?: string; crashAfter?: number } = {}): string {
  return `
apiVersion: batch/v1
kind: Job
metadata: {name: ${name}, namespace: ${NS}}
spec:
${o.spec ?? ''}
  template:
    metadata:
      annotations:
        sim.kubeherald.io/behavior: ${o.behavior ?? 'complete'}
        sim.kubeherald.io/crash-after: "${o.crashAfter ?? 3}"
        sim.kubeherald.io/exit-code: "${o.exitCode ?? 1}"
    spec:
      restartPolicy: ${o.restartPolicy ?? 'Never'}
      containers:
      - name: main
        image: busybox:1.36
        command: [/bin/sh, -c, work]
        terminationMessagePolicy: FallbackToLogsOnError
`;
}

describe('Jobs on the simulator', () => {
  let sim: Sim;
  let k: Kubectl;

  before(async () => {
    sim = await startSim({ clockSpeed: 0, start: new Date('2025-03-01T10:00:30Z') });
    k = new Kubectl(sim.kubeconfig);
    await k.ok(['create', 'namespace', NS]);
  });
  after(async () => {
    await sim.close();
  });

  const job = (name: string): Job => sim.ctx.store.get('batch/jobs', NS, name) as Job;
  const podsOf = (name: string): KObject[] =>
    sim.ctx.store.list('pods', NS).filter((p) => p.metadata.ownerReferences?.some((r) => r.kind === 'Job' && r.name === name));
  const conditionTypes = (name: string): string[] => (job(name).status?.conditions ?? []).filter((c) => c.status === 'True').map((c) => c.type);
  const eventsOf = (name: string): string[] =>
    sim.ctx.store
      .list('events', NS)
      .filter((e) => (e as { involvedObject?: { name?: string; kind?: string } }).involvedObject?.name === name)
      .map((e) => `${(e as { type?: string }).type} ${(e as { reason?: string }).reason}`);
  /** Steps the stopped clock until `done` holds; fails after `maxSteps` steps of cluster time, never on wall-clock time. */
  async function until(done: () => boolean, stepMs = 1000, maxSteps = 1000): Promise<void> {
    for (let i = 0; i < maxSteps && !done(); i++) await sim.clock.advance(stepMs);
    assert.ok(done(), 'condition not reached in simulated time');
  }

  it('serves batch/v1 jobs with the real server\'s defaults, generated selector and labels', async () => {
    await k.ok(['apply', '-f', '-'], jobYaml('defaults'));
    const j = JSON.parse(await k.ok(['get', 'job', 'defaults', '-n', NS, '-o', 'json']));
    const uid = j.metadata.uid;
    assert.equal(j.spec.completionMode, 'NonIndexed');
    assert.equal(j.spec.backoffLimit, 6);
    assert.equal(j.spec.parallelism, 1);
    assert.equal(j.spec.completions, 1);
    assert.equal(j.spec.suspend, false);
    assert.equal(j.spec.manualSelector, false);
    assert.equal(j.spec.podReplacementPolicy, 'TerminatingOrFailed');
    assert.deepEqual(j.spec.selector, { matchLabels: { 'batch.kubernetes.io/controller-uid': uid } });
    const expectedLabels = { 'batch.kubernetes.io/controller-uid': uid, 'batch.kubernetes.io/job-name': 'defaults', 'controller-uid': uid, 'job-name': 'defaults' };
    assert.deepEqual(j.spec.template.metadata.labels, expectedLabels);
    assert.deepEqual(j.metadata.labels, expectedLabels);
    assert.equal(j.spec.template.spec.dnsPolicy, 'ClusterFirst');
    const resources = await k.ok(['api-resources', '--api-group=batch', '--no-headers']);
    assert.match(resources, /^jobs\s+batch\/v1\s+true\s+Job$/m);
    assert.match(resources, /^cronjobs\s+cj\s+batch\/v1\s+true\s+CronJob$/m);
    // `kubectl get all` lists Jobs (category all)
    assert.match(await k.ok(['get', 'all', '-n', NS]), /job\.batch\/defaults/);
  });

  it('kubectl wait --for=condition=complete returns once the pod succeeded; get jobs shows it Complete', async () => {
    await k.ok(['apply', '-f', '-'], jobYaml('done'));
    const wait = k.run(['wait', '--for=condition=complete', 'job/done', '-n', NS, '--timeout=120s']);
    await until(() => conditionTypes('done').includes('Complete'));
    const r = await wait;
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /job\.batch\/done condition met/);
    const table = await k.ok(['get', 'jobs', 'done', '-n', NS]);
    assert.match(table, /^NAME\s+STATUS\s+COMPLETIONS\s+DURATION\s+AGE$/m);
    assert.match(table, /^done\s+Complete\s+1\/1\s+\d+s\s+\d+s$/m);
    const st = job('done').status!;
    assert.deepEqual(conditionTypes('done'), ['SuccessCriteriaMet', 'Complete']);
    assert.equal(st.conditions!.find((c) => c.type === 'Complete')!.reason, 'CompletionsReached');
    assert.equal(st.succeeded, 1);
    assert.ok(st.startTime && st.completionTime);
    assert.deepEqual(st.uncountedTerminatedPods, {});
    assert.equal(st.ready, 0);
    assert.equal(st.terminating, 0);
    assert.deepEqual(eventsOf('done').filter((e) => e !== 'Normal SuccessfulCreate'), ['Normal Completed']);
    // counted: the tracking finalizer is off the pod
    const [pod] = podsOf('done');
    assert.equal(pod.metadata.finalizers, undefined);
    assert.equal((pod.status as { phase?: string }).phase, 'Succeeded');
  });

  it('kubectl create job: a Job pod without a behaviour annotation does its work and exits 0', async () => {
    await k.ok(['create', 'job', 'hello', '-n', NS, '--image=busybox:1.36', '--', 'echo', 'hi']);
    const wait = k.run(['wait', '--for=condition=complete', 'job/hello', '-n', NS, '--timeout=120s']);
    await until(() => conditionTypes('hello').includes('Complete'));
    assert.equal((await wait).code, 0);
    const described = await k.ok(['describe', 'job', 'hello', '-n', NS]);
    assert.match(described, /Pods Statuses:\s+0 Active \(0 Ready\) \/ 1 Succeeded \/ 0 Failed/);
    assert.match(described, /Normal\s+Completed\s+\S+\s+job-controller\s+Job completed/);
  });

  it('refuses a Job pod that restarts Always, and negative counts, naming the field', async () => {
    const r = await k.run(['apply', '-f', '-'], jobYaml('always', { restartPolicy: 'Always' }));
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /spec\.template\.spec\.restartPolicy: Unsupported value: "Always": supported values: "OnFailure", "Never"/);
    const neg = await k.run(['apply', '-f', '-'], jobYaml('neg', { spec: '  backoffLimit: -1' }));
    assert.notEqual(neg.code, 0);
    assert.match(neg.stderr, /spec\.backoffLimit: Invalid value: -1: must be greater than or equal to 0/);
  });

  it('a Job\'s template, selector and completions are immutable; applying it unchanged is fine', async () => {
    await k.ok(['apply', '-f', '-'], jobYaml('fixed', { behavior: 'run' }));
    await k.ok(['apply', '-f', '-'], jobYaml('fixed', { behavior: 'run' }));
    const changed = await k.run(['apply', '-f', '-'], jobYaml('fixed', { behavior: 'crash' }));
    assert.notEqual(changed.code, 0);
    assert.match(changed.stderr, /The Job "fixed" is invalid: spec\.template: Invalid value: .*: field is immutable/);
    const completions = await k.run(['patch', 'job', 'fixed', '-n', NS, '--type=merge', '-p', '{"spec":{"completions":3}}']);
    assert.match(completions.stderr, /spec\.completions: Invalid value: 3: field is immutable/);
    await k.ok(['delete', 'job', 'fixed', '-n', NS, '--wait=false']);
  });

  it('failed pods are replaced after 10 s, then 20 s, until backoffLimit: Failed with BackoffLimitExceeded', async () => {
    await k.ok(['apply', '-f', '-'], jobYaml('flaky', { behavior: 'crash', spec: '  backoffLimit: 2' }));
    await until(() => conditionTypes('flaky').includes('Failed'));
    const pods = podsOf('flaky').sort((a, b) => a.metadata.creationTimestamp!.localeCompare(b.metadata.creationTimestamp!));
    assert.equal(pods.length, 3);
    const created = pods.map((p) => Date.parse(p.metadata.creationTimestamp!));
    const finished = pods.map((p) => {
      const cs = (p.status as { containerStatuses: { state: { terminated: { finishedAt: string } } }[] }).containerStatuses[0];
      return Date.parse(cs.state.terminated.finishedAt);
    });
    assert.ok(created[1] - finished[0] >= 10_000, `second pod ${created[1] - finished[0]} ms after the first failed`);
    assert.ok(created[2] - finished[1] >= 20_000, `third pod ${created[2] - finished[1]} ms after the second failed`);
    const st = job('flaky').status!;
    assert.equal(st.failed, 3);
    assert.deepEqual(conditionTypes('flaky'), ['FailureTarget', 'Failed']);
    const failed = st.conditions!.find((c) => c.type === 'Failed')!;
    assert.equal(failed.reason, 'BackoffLimitExceeded');
    assert.equal(failed.message, 'Job has reached the specified backoff limit');
    assert.equal(st.completionTime, undefined);
    assert.ok(eventsOf('flaky').includes('Warning BackoffLimitExceeded'));
    assert.match(await k.ok(['get', 'job', 'flaky', '-n', NS]), /^flaky\s+Failed\s+0\/1\s/m);
    // the failed pods' termination message comes from their logs (FallbackToLogsOnError)
    const term = (pods[2].status as { containerStatuses: { state: { terminated: { exitCode: number; message?: string } } }[] }).containerStatuses[0].state.terminated;
    assert.equal(term.exitCode, 1);
    assert.match(term.message ?? '', /exiting with status 1$/);
  });

  it('restartPolicy OnFailure: container restarts count against backoffLimit', async () => {
    await k.ok(['apply', '-f', '-'], jobYaml('restarts', { behavior: 'crash', restartPolicy: 'OnFailure', spec: '  backoffLimit: 2' }));
    await until(() => conditionTypes('restarts').includes('Failed'));
    assert.equal(job('restarts').status!.conditions!.find((c) => c.type === 'Failed')!.reason, 'BackoffLimitExceeded');
    // one pod, restarted in place, then deleted by the controller
    await until(() => podsOf('restarts').length === 0 || podsOf('restarts').every((p) => p.metadata.deletionTimestamp));
  });

  it('completions 3, parallelism 2: never more than 2 pods at once, Complete at 3 succeeded', async () => {
    await k.ok(['apply', '-f', '-'], jobYaml('batch3', { spec: '  completions: 3\n  parallelism: 2' }));
    let maxActive = 0;
    await until(() => {
      maxActive = Math.max(maxActive, job('batch3').status?.active ?? 0);
      return conditionTypes('batch3').includes('Complete');
    }, 500);
    assert.equal(maxActive, 2);
    assert.equal(job('batch3').status!.succeeded, 3);
    assert.equal(podsOf('batch3').length, 3);
    assert.match(await k.ok(['get', 'job', 'batch3', '-n', NS]), /^batch3\s+Complete\s+3\/3\s/m);
  });

  it('Indexed: one pod per completion index, named and labelled by it; completedIndexes; Complete once every index succeeded', async () => {
    await k.ok(['apply', '-f', '-'], jobYaml('sharded', { spec: '  completions: 3\n  parallelism: 2\n  completionMode: Indexed' }));
    await until(() => conditionTypes('sharded').includes('Complete'), 500);
    const pods = podsOf('sharded');
    const indexes = pods.map((p) => p.metadata.annotations?.['batch.kubernetes.io/job-completion-index']).sort();
    assert.deepEqual(indexes, ['0', '1', '2']);
    for (const p of pods) {
      const idx = p.metadata.annotations!['batch.kubernetes.io/job-completion-index'];
      assert.match(p.metadata.name!, new RegExp(`^sharded-${idx}-[a-z0-9]{5}$`));
      assert.equal(p.metadata.labels?.['batch.kubernetes.io/job-completion-index'], idx);
      assert.equal((p.spec as { hostname?: string }).hostname, `sharded-${idx}`);
      const env = (p.spec as { containers: { env?: { name: string }[] }[] }).containers[0].env ?? [];
      assert.ok(env.some((e) => e.name === 'JOB_COMPLETION_INDEX'));
    }
    assert.equal(job('sharded').status!.completedIndexes, '0-2');
    assert.equal(job('sharded').status!.succeeded, 3);
    const missing = await k.run(['apply', '-f', '-'], jobYaml('no-completions', { spec: '  completionMode: Indexed\n  parallelism: 2' }));
    assert.match(missing.stderr, /spec\.completions: Required value: when completion mode is Indexed/);
  });

  it('activeDeadlineSeconds: running pods are stopped and the Job fails with DeadlineExceeded', async () => {
    await k.ok(['apply', '-f', '-'], jobYaml('slow', { behavior: 'run', spec: '  activeDeadlineSeconds: 30' }));
    await until(() => conditionTypes('slow').includes('Failed'));
    const failed = job('slow').status!.conditions!.find((c) => c.type === 'Failed')!;
    assert.equal(failed.reason, 'DeadlineExceeded');
    assert.equal(failed.message, 'Job was active longer than specified deadline');
    const start = Date.parse(job('slow').status!.startTime!);
    assert.ok(Date.parse(failed.lastTransitionTime!) - start >= 30_000);
    assert.ok(eventsOf('slow').includes('Warning DeadlineExceeded'));
    assert.equal(job('slow').status!.active, undefined);
  });

  it('podFailurePolicy: FailJob on exit code 42 fails at once; Ignore does not count the failure', async () => {
    await k.ok(
      ['apply', '-f', '-'],
      jobYaml('fatal', {
        behavior: 'crash',
        exitCode: 42,
        spec: '  backoffLimit: 6\n  podFailurePolicy:\n    rules:\n    - action: FailJob\n      onExitCodes: {operator: In, values: [42]}',
      }),
    );
    await until(() => conditionTypes('fatal').includes('Failed'));
    const failed = job('fatal').status!.conditions!.find((c) => c.type === 'Failed')!;
    assert.equal(failed.reason, 'PodFailurePolicy');
    assert.match(failed.message!, /^Container main for pod batch\/fatal-[a-z0-9]{5} failed with exit code 42 matching FailJob rule at index 0$/);
    assert.equal(podsOf('fatal').length, 1);

    await k.ok(
      ['apply', '-f', '-'],
      jobYaml('ignored', {
        behavior: 'crash',
        exitCode: 3,
        spec: '  backoffLimit: 0\n  podFailurePolicy:\n    rules:\n    - action: Ignore\n      onExitCodes: {operator: In, values: [3]}',
      }),
    );
    await until(() => podsOf('ignored').filter((p) => (p.status as { phase?: string }).phase === 'Failed').length >= 2);
    assert.equal(job('ignored').status!.failed, undefined);
    assert.ok(!conditionTypes('ignored').includes('Failed'));
    await k.ok(['delete', 'job', 'ignored', '-n', NS, '--wait=false']);
  });

  it('matchPodFailurePolicy and the back-off are pure rules', () => {
    const j = { metadata: {}, spec: { podFailurePolicy: { rules: [{ action: 'Count', onExitCodes: { operator: 'NotIn', values: [1] } }, { action: 'FailJob', onExitCodes: { containerName: 'main', operator: 'In', values: [1] } }] } } } as unknown as Job;
    const pod = (code: number) => ({ metadata: { name: 'p', namespace: 'n' }, status: { containerStatuses: [{ name: 'main', state: { terminated: { exitCode: code } } }] } }) as never;
    assert.equal(matchPodFailurePolicy(j, pod(2))?.action, 'Count');
    assert.equal(matchPodFailurePolicy(j, pod(1))?.action, 'FailJob');
    assert.equal(matchPodFailurePolicy(j, pod(0)), undefined);
    assert.deepEqual([1, 2, 3, 6, 7, 20].map(backoffDelayMs), [10_000, 20_000, 40_000, 320_000, 360_000, 360_000]);
    assert.equal(backoffDelayMs(0), 0);
  });

  it('suspend stops the pods and sets Suspended; resuming runs it to completion', async () => {
    await k.ok(['apply', '-f', '-'], jobYaml('paused', { spec: '  suspend: true' }));
    await sim.clock.advance(5000);
    assert.equal(podsOf('paused').length, 0);
    assert.deepEqual(conditionTypes('paused'), ['Suspended']);
    assert.match(await k.ok(['get', 'job', 'paused', '-n', NS]), /^paused\s+Suspended\s+0\/1\s/m);
    await k.ok(['patch', 'job', 'paused', '-n', NS, '--type=merge', '-p', '{"spec":{"suspend":false}}']);
    await until(() => conditionTypes('paused').includes('Complete'));
    const suspended = job('paused').status!.conditions!.find((c) => c.type === 'Suspended')!;
    assert.equal(suspended.status, 'False');
    assert.equal(suspended.reason, 'JobResumed');
  });

  it('ttlSecondsAfterFinished deletes the Job and, through the garbage collector, its pods', async () => {
    await k.ok(['apply', '-f', '-'], jobYaml('short-lived', { spec: '  ttlSecondsAfterFinished: 20' }));
    await until(() => conditionTypes('short-lived').includes('Complete'));
    assert.equal(podsOf('short-lived').length, 1);
    await until(() => !job('short-lived') && podsOf('short-lived').length === 0);
  });

  it('kubectl delete job takes its pods along; a running pod loses the tracking finalizer and goes', async () => {
    await k.ok(['apply', '-f', '-'], jobYaml('doomed', { behavior: 'run' }));
    await until(() => (job('doomed').status?.ready ?? 0) === 1);
    const [pod] = podsOf('doomed');
    assert.deepEqual(pod.metadata.finalizers, [JOB_TRACKING_FINALIZER]);
    await k.ok(['delete', 'job', 'doomed', '-n', NS, '--wait=false']);
    await until(() => podsOf('doomed').length === 0);
  });
});
