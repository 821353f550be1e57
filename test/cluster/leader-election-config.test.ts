// The leaderElection: section: its defaults, short fractional timings,
// client-go's timing rules reported at the key that breaks them, and what
// the defaults resolve to (auto, namespace, identity).

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as k8s from '@kubernetes/client-node';
import { resolveLeaderElection } from '../../src/cluster/leader-election-config.ts';
import { defaultConfig, parseConfigText } from '../../src/config/index.ts';

const kcWith = (namespace?: string): k8s.KubeConfig => {
  const kc = new k8s.KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'c', server: 'https://127.0.0.1:6443' }],
    users: [{ name: 'u' }],
    contexts: [{ name: 'x', cluster: 'c', user: 'u', ...(namespace ? { namespace } : {}) }],
    currentContext: 'x',
  });
  return kc;
};

const parse = (yaml: string) => parseConfigText(yaml, 'k.yaml');

describe('leaderElection config', () => {
  it("has client-go's timings and auto by default", () => {
    assert.deepEqual(defaultConfig().leaderElection, {
      enabled: 'auto',
      namespace: '',
      leaseName: 'kubeherald',
      identity: '',
      leaseDurationSeconds: 15,
      renewDeadlineSeconds: 10,
      retryPeriodSeconds: 2,
    });
  });

  it('takes short, fractional timings', () => {
    const c = parseConfigText('leaderElection: { enabled: true, leaseDurationSeconds: 3, renewDeadlineSeconds: 2, retryPeriodSeconds: 0.5 }', 'k.yaml').leaderElection;
    const s = resolveLeaderElection(c, { kc: kcWith(), env: { POD_NAME: 'kubeherald-0' } })!;
    assert.deepEqual([s.leaseDurationMs, s.renewDeadlineMs, s.retryPeriodMs], [3000, 2000, 500]);
  });

  it('reports unsound timings at the key, with both values', () => {
    assert.throws(() => parse('leaderElection: { leaseDurationSeconds: 10 }'), /k\.yaml:1: leaderElection\.leaseDurationSeconds: must be greater than the renew deadline \(10 s ≤ 10 s\)/);
    assert.throws(() => parse('leaderElection: { retryPeriodSeconds: 9 }'), /leaderElection\.renewDeadlineSeconds: must be greater than the retry period × 1\.2 \(10 s ≤ 10\.8 s\)/);
    assert.throws(() => parse('leaderElection: { retryPeriodSeconds: 0 }'), /leaderElection\.retryPeriodSeconds: expected a number of seconds > 0, got 0/);
    assert.throws(() => parse('leaderElection: { retryPeriodSeconds: 0.0001 }'), /leaderElection\.retryPeriodSeconds: expected at most millisecond precision/);
    assert.throws(() => parse('leaderElection: { enabled: yes }'), /leaderElection\.enabled: expected auto, true or false/);
    assert.throws(() => parse('leaderElection: { leaseName: Kube_Herald }'), /leaderElection\.leaseName: expected a Lease name/);
    assert.throws(() => parse('leaderElection: { namespace: "Prod" }'), /leaderElection\.namespace: expected a namespace name/);
    assert.throws(() => parse('leaderElection: { leaseDuration: 15 }'), /leaderElection\.leaseDuration: unknown key; did you mean "leaseDurationSeconds"\?/);
    assert.doesNotThrow(() => parse('leaderElection: { leaseDurationSeconds: 1.1, renewDeadlineSeconds: 0.7, retryPeriodSeconds: 0.3 }'));
  });

  it('auto elects exactly when the state is shared; true and false decide alone', () => {
    const cfg = defaultConfig().leaderElection;
    assert.equal(resolveLeaderElection(cfg, { kc: kcWith() }), undefined);
    assert.ok(resolveLeaderElection(cfg, { kc: kcWith(), stateUrl: 'postgres://db/kubeherald' }));
    assert.equal(resolveLeaderElection({ ...cfg, enabled: false }, { kc: kcWith(), stateUrl: 'postgres://db/kubeherald' }), undefined);
    assert.ok(resolveLeaderElection({ ...cfg, enabled: true }, { kc: kcWith() }));
  });

  it("namespace: its own, else customResources.namespace, else the context's, else default", () => {
    const cfg = { ...defaultConfig().leaderElection, enabled: true as const };
    assert.equal(resolveLeaderElection({ ...cfg, namespace: 'ops' }, { kc: kcWith('ctx'), customResourcesNamespace: 'crs' })!.namespace, 'ops');
    assert.equal(resolveLeaderElection(cfg, { kc: kcWith('ctx'), customResourcesNamespace: 'crs' })!.namespace, 'crs');
    assert.equal(resolveLeaderElection(cfg, { kc: kcWith('ctx') })!.namespace, 'ctx');
    assert.equal(resolveLeaderElection(cfg, { kc: kcWith() })!.namespace, 'default');
  });

  it("identity: its own, else $POD_NAME, else host name and a random suffix that differs per process", () => {
    const cfg = { ...defaultConfig().leaderElection, enabled: true as const };
    assert.equal(resolveLeaderElection({ ...cfg, identity: 'me' }, { kc: kcWith(), env: { POD_NAME: 'p' } })!.identity, 'me');
    assert.equal(resolveLeaderElection(cfg, { kc: kcWith(), env: { POD_NAME: 'kubeherald-7d9-abcde' } })!.identity, 'kubeherald-7d9-abcde');
    const a = resolveLeaderElection(cfg, { kc: kcWith(), env: {} })!.identity;
    const b = resolveLeaderElection(cfg, { kc: kcWith(), env: {} })!.identity;
    assert.match(a, /^.+_[0-9a-f-]{36}$/);
    assert.notEqual(a, b);
  });
});
