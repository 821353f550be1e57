// `kubeherald doctor` against the simulated cluster and the Slack fake: a
// good installation passes (exit 0); a broken one (a user missing a watch
// verb, a wrong Slack token, no CRDs) names each problem and exits 1.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as k8s from '@kubernetes/client-node';
import { formatDoctor, requiredAccess } from '../../src/app/doctor.ts';
import { parseConfigText } from '../../src/config/index.ts';
import { crdManifests } from '../../src/crd/manifests.ts';
import { startSim, type Sim } from '../../src/sim/sim.ts';
import { FakeSlack } from '../fakes/slack.ts';

const bin = join(import.meta.dirname, '../../bin/kubeherald.js');
let dir: string;
let sim: Sim;
let slack: FakeSlack;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'kubeherald-doctor-'));
  sim = await startSim({ clockSpeed: 0, users: [{ name: 'watcher' }] });
  slack = await FakeSlack.start();
  writeFileSync(join(dir, 'admin.kubeconfig'), sim.kubeconfig);
  writeFileSync(join(dir, 'watcher.kubeconfig'), sim.kubeconfigFor('watcher'));
  // the watcher may list and watch everything kubeherald watches, but deployments only list
  const kc = new k8s.KubeConfig();
  kc.loadFromString(sim.kubeconfig);
  const api = k8s.KubernetesObjectApi.makeApiClient(kc);
  await api.create({
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRole',
    metadata: { name: 'kubeherald-partial' },
    rules: [
      { apiGroups: [''], resources: ['pods', 'nodes', 'events', 'persistentvolumeclaims', 'namespaces'], verbs: ['list', 'watch'] },
      { apiGroups: ['apps'], resources: ['deployments'], verbs: ['list'] },
      { apiGroups: ['apps'], resources: ['statefulsets', 'daemonsets'], verbs: ['list', 'watch'] },
      { apiGroups: ['batch'], resources: ['jobs', 'cronjobs'], verbs: ['list', 'watch'] },
      { apiGroups: ['autoscaling'], resources: ['horizontalpodautoscalers'], verbs: ['list', 'watch'] },
      { apiGroups: ['kubeherald.io'], resources: ['*'], verbs: ['list', 'watch'] },
    ],
  } as k8s.KubernetesObject);
  await api.create({
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRoleBinding',
    metadata: { name: 'kubeherald-partial' },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'kubeherald-partial' },
    subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: 'watcher' }],
  } as k8s.KubernetesObject);
});
after(async () => {
  await slack?.close();
  await sim?.close();
  rmSync(dir, { recursive: true, force: true });
});

function config(name: string): string {
  const path = join(dir, name);
  writeFileSync(
    path,
    [
      `sinks: [{ name: alerts, type: slack, tokenFrom: { env: SLACK_TOKEN }, channel: C0000ALERTS, apiUrl: "${slack.apiUrl}" }]`,
      'customResources: { enabled: true }',
      `state: { path: "${join(dir, `${name}.db`)}" }`,
      '',
    ].join('\n'),
  );
  return path;
}

function doctor(args: string[], env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const c = spawn(process.execPath, [bin, 'doctor', ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
    let stdout = '';
    let stderr = '';
    c.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    c.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    c.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('kubeherald doctor', () => {
  it('a broken installation: the missing verb, the wrong token and the missing CRDs named, exit 1, the token never shown', async () => {
    const file = config('broken.yaml');
    const r = await doctor(['-c', file, '--kubeconfig', join(dir, 'watcher.kubeconfig')], { SLACK_TOKEN: 'xoxb-wrong-token-0000' });
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.match(r.stdout, /^api server\s+OK\s+https:\/\/127\.0\.0\.1:\d+ answers, Kubernetes v\d+\.\d+/m);
    assert.match(r.stdout, /^permissions\s+FAIL\s+missing: watch deployments\.apps \(see deploy\/rbac\/\)$/m);
    assert.doesNotMatch(r.stdout, /missing: list deployments/);
    assert.match(r.stdout, /^sink alerts \(slack\)\s+FAIL\s+auth\.test: invalid_auth \(check tokenFrom\)$/m);
    // every kubeherald.io CRD: not installed
    for (const crd of crdManifests()) assert.match(r.stdout, new RegExp(`^crd ${crd.metadata.name.replace(/\./g, '\\.')}\\s+FAIL\\s+not installed`, 'm'));
    assert.match(r.stdout, /^state\s+OK\s+.*writable, schema version \d+$/m);
    assert.match(r.stdout, /check\(s\) failed/);
    assert.doesNotMatch(r.stdout + r.stderr, /xoxb-wrong-token/);
  });

  it('a good installation: every check OK, exit 0; -o json says the same', async () => {
    const kc = new k8s.KubeConfig();
    kc.loadFromString(sim.kubeconfig);
    const api = k8s.KubernetesObjectApi.makeApiClient(kc);
    for (const crd of crdManifests()) await api.create(crd as unknown as k8s.KubernetesObject);
    const file = config('good.yaml');
    const env = { SLACK_TOKEN: slack.token };
    const r = await doctor(['-c', file, '--kubeconfig', join(dir, 'admin.kubeconfig')], env);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /^permissions\s+OK\s+all \d+ needed \(list, watch\) allowed$/m);
    assert.match(r.stdout, /^sink alerts \(slack\)\s+OK\s+auth\.test: kubeherald in Fake$/m);
    assert.match(r.stdout, /^clock skew\s+OK\s+/m);
    assert.doesNotMatch(r.stdout, /FAIL|WARN/);
    const j = await doctor(['-c', file, '--kubeconfig', join(dir, 'admin.kubeconfig'), '-o', 'json'], env);
    assert.equal(j.code, 0);
    const parsed = JSON.parse(j.stdout) as { ok: boolean; checks: { check: string; verdict: string }[] };
    assert.equal(parsed.ok, true);
    assert.ok(parsed.checks.every((c) => c.verdict === 'OK'));
    assert.ok(parsed.checks.some((c) => c.check.startsWith('crd ')));
  });

  it('an unreachable API server fails that check and skips what needs it', async () => {
    const file = config('unreachable.yaml');
    writeFileSync(join(dir, 'nowhere.kubeconfig'), sim.kubeconfig.replace(/server: https:\/\/127\.0\.0\.1:\d+/, 'server: https://127.0.0.1:1'));
    const r = await doctor(['-c', file, '--kubeconfig', join(dir, 'nowhere.kubeconfig')], { SLACK_TOKEN: slack.token });
    assert.equal(r.code, 1);
    assert.match(r.stdout, /^api server\s+FAIL\s+unreachable at https:\/\/127\.0\.0\.1:1: /m);
    assert.doesNotMatch(r.stdout, /^permissions/m);
  });

  it('several clusters: each cluster checked and named, the CRDs in the home cluster only, one failing fails only its own lines', async () => {
    writeFileSync(join(dir, 'nowhere.kubeconfig'), sim.kubeconfig.replace(/server: https:\/\/127\.0\.0\.1:\d+/, 'server: https://127.0.0.1:1'));
    const file = join(dir, 'clusters.yaml');
    writeFileSync(
      file,
      [
        'clusters:',
        `  - { name: home, kubeconfig: "${join(dir, 'admin.kubeconfig')}" }`,
        `  - { name: staging, kubeconfig: "${join(dir, 'watcher.kubeconfig')}" }`,
        `  - { name: gone, kubeconfig: "${join(dir, 'nowhere.kubeconfig')}" }`,
        `  - { name: lost, kubeconfig: "${join(dir, 'no-such.kubeconfig')}" }`,
        'customResources: { enabled: true }',
        `state: { path: "${join(dir, 'clusters.db')}" }`,
        '',
      ].join('\n'),
    );
    const r = await doctor(['-c', file], {});
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.match(r.stdout, /^api server \[home\]\s+OK\s+https:\/\/127\.0\.0\.1:\d+ answers/m);
    assert.match(r.stdout, /^permissions \[home\]\s+OK\s+/m);
    assert.match(r.stdout, /^crd [a-z.]+ \[home\]\s+/m);
    assert.match(r.stdout, /^api server \[staging\]\s+OK\s+/m);
    assert.match(r.stdout, /^permissions \[staging\]\s+FAIL\s+missing: watch deployments\.apps \(see deploy\/rbac\/\)$/m);
    assert.doesNotMatch(r.stdout, /^crd .*\[(staging|gone|lost)\]/m);
    assert.match(r.stdout, /^api server \[gone\]\s+FAIL\s+unreachable at https:\/\/127\.0\.0\.1:1: /m);
    assert.doesNotMatch(r.stdout, /^permissions \[gone\]/m);
    assert.match(r.stdout, /^api server \[lost\]\s+FAIL\s+no kubeconfig: kubeconfig .*no-such\.kubeconfig: no such file$/m);
    assert.match(r.stdout, /^state\s+OK\s+/m);
  });
});

describe('what the config needs', () => {
  it('list and watch of each watched resource, the CRDs when enabled, impersonation of mapped chat users', () => {
    const cfg = parseConfigText(
      [
        'watch: { resources: [{ group: example.com, version: v1, resource: widgets }] }',
        'customResources: { enabled: true }',
        'chatops: { telegram: { enabled: true, tokenFrom: { env: T }, chats: [{ id: "1" }] }, identities: [{ platform: telegram, user: "42", kubernetes: { user: alice, groups: [oncall] } }] }',
      ].join('\n'),
      'x.yaml',
    );
    const needed = requiredAccess(cfg).map((a) => `${a.verb} ${a.group}/${a.resource}${a.name ? ` ${a.name}` : ''}`);
    for (const n of ['list /pods', 'watch /pods', 'watch apps/deployments', 'list example.com/widgets', 'watch example.com/widgets', 'impersonate /users alice', 'impersonate /groups oncall']) assert.ok(needed.includes(n), n);
    // the workload family's built-in informers
    for (const r of ['apps/statefulsets', 'apps/daemonsets', 'batch/jobs', 'batch/cronjobs', '/persistentvolumeclaims', 'autoscaling/horizontalpodautoscalers', '/namespaces']) {
      for (const verb of ['list', 'watch']) assert.ok(needed.includes(`${verb} ${r}`), `${verb} ${r}`);
    }
    assert.ok(needed.some((n) => n.startsWith('watch kubeherald.io/')));
  });

  it('the table: one line a check, a summary', () => {
    assert.equal(
      formatDoctor([
        { check: 'api server', verdict: 'OK', detail: 'fine' },
        { check: 'state', verdict: 'FAIL', detail: 'read-only' },
      ]),
      'CHECK       VERDICT  DETAIL\napi server  OK       fine\nstate       FAIL     read-only\n\n1 check(s) failed, 0 warning(s)\n',
    );
  });
});
