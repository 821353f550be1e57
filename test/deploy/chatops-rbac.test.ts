// kubeherald's ServiceAccount may impersonate exactly the users and groups
// chat users are mapped to, and nothing else. Checked three ways: every rule
// of the rendered base (and of the overlay docs/deploy.md shows) is read for
// wildcards and unnamed impersonation; the overlay is applied to the
// simulator and asked with `kubectl auth can-i` as the ServiceAccount; and a
// token of that ServiceAccount impersonates a mapped user for real.

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { parseAllDocuments, stringify } from 'yaml';
import { startSim, type Sim } from '../../src/sim/sim.ts';
import { type CanICheck, Kubectl, wrongCanI } from '../helpers/kubectl.ts';

const DEPLOY = join(import.meta.dirname, '..', '..', 'deploy');
const DOCS = join(import.meta.dirname, '..', '..', 'docs', 'deploy.md');
const SA = 'system:serviceaccount:kubeherald:kubeherald';
type Obj = Record<string, any>;

function render(dir: string): Promise<Obj[]> {
  return new Promise((resolve, reject) => {
    execFile('kubectl', ['kustomize', dir], { maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err) return reject(new Error(`kubectl kustomize ${dir} failed: ${stderr}`));
      resolve(parseAllDocuments(stdout).map((d) => d.toJSON() as Obj));
    });
  });
}

/** The overlay docs/deploy.md tells operators to write, pointed at this checkout's deploy/. */
function docsOverlay(dir: string): string {
  const blocks = [...readFileSync(DOCS, 'utf8').matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1]);
  const overlay = blocks.find((b) => b.includes('kubeherald-chatops-impersonate'));
  assert.ok(overlay, 'docs/deploy.md shows the impersonation patch');
  assert.ok(overlay.includes('resources: [../deploy]'));
  return overlay.replace('resources: [../deploy]', `resources: [${relative(dir, DEPLOY)}]`);
}

const rbacRules = (objects: Obj[]): { role: string; rule: Obj }[] =>
  objects.filter((o) => o.kind === 'ClusterRole' || o.kind === 'Role').flatMap((o) => (o.rules ?? []).map((rule: Obj) => ({ role: `${o.kind}/${o.metadata.name}`, rule })));

/** Least privilege, as rules: what must hold of any rendering of deploy/. */
function assertLeastPrivilege(objects: Obj[]): void {
  for (const { role, rule } of rbacRules(objects)) {
    const where = `${role} ${JSON.stringify(rule)}`;
    for (const k of ['apiGroups', 'resources', 'verbs', 'resourceNames']) assert.equal((rule[k] ?? []).includes('*'), false, `wildcard ${k}: ${where}`);
    for (const v of ['escalate', 'bind', 'impersonate']) {
      if (v !== 'impersonate') assert.equal(rule.verbs.includes(v), false, where);
    }
    assert.equal(rule.nonResourceURLs, undefined, where);
    if (!rule.verbs.includes('impersonate')) continue;
    assert.equal(role, 'ClusterRole/kubeherald-chatops-impersonate', `impersonation only in its own ClusterRole: ${where}`);
    assert.deepEqual(rule.verbs, ['impersonate'], where);
    assert.deepEqual(rule.apiGroups, [''], where);
    assert.equal(rule.resources.length, 1, where);
    assert.ok(['users', 'groups'].includes(rule.resources[0]), `never serviceaccounts, userextras or uids: ${where}`);
    assert.ok(Array.isArray(rule.resourceNames) && rule.resourceNames.length > 0, `by name only (an empty list is every name): ${where}`);
    for (const name of rule.resourceNames) assert.equal(name.startsWith('system:'), false, `no system: names: ${where}`);
  }
  const bindings = objects.filter((o) => o.roleRef?.name === 'kubeherald-chatops-impersonate');
  assert.deepEqual(
    bindings.map((b) => [b.kind, b.subjects]),
    [['ClusterRoleBinding', [{ kind: 'ServiceAccount', name: 'kubeherald', namespace: 'kubeherald' }]]],
  );
}

let base: Obj[];
let overlay: Obj[];
let overlayDir: string;

before(async () => {
  overlayDir = mkdtempSync(join(tmpdir(), 'kubeherald-overlay-'));
  writeFileSync(join(overlayDir, 'kustomization.yaml'), docsOverlay(overlayDir));
  [base, overlay] = await Promise.all([render(DEPLOY), render(overlayDir)]);
});
after(() => rmSync(overlayDir, { recursive: true, force: true }));

describe('chat command RBAC in deploy/', () => {
  test('the base: impersonation only by name, of users and groups, never a wildcard, serviceaccounts or system: names', () => {
    assertLeastPrivilege(base);
    const role = base.find((o) => o.kind === 'ClusterRole' && o.metadata.name === 'kubeherald-chatops-impersonate')!;
    assert.deepEqual(
      role.rules.map((r: Obj) => r.resources[0]),
      ['users', 'groups'],
    );
  });

  test('the overlay docs/deploy.md shows renders, names the mapped users and groups, and stays least privilege', () => {
    assertLeastPrivilege(overlay);
    const role = overlay.find((o) => o.kind === 'ClusterRole' && o.metadata.name === 'kubeherald-chatops-impersonate')!;
    assert.deepEqual(role.rules, [
      { apiGroups: [''], resources: ['users'], verbs: ['impersonate'], resourceNames: ['alice@corp', 'bob@corp'] },
      { apiGroups: [''], resources: ['groups'], verbs: ['impersonate'], resourceNames: ['payments-oncall'] },
    ]);
  });

  test('the checks catch what they are for', () => {
    const bad = (rule: Obj) => [{ kind: 'ClusterRole', metadata: { name: 'kubeherald-chatops-impersonate' }, rules: [rule] }, ...base.filter((o) => o.kind === 'ClusterRoleBinding')];
    const imp = { apiGroups: [''], verbs: ['impersonate'] };
    assert.throws(() => assertLeastPrivilege(bad({ ...imp, resources: ['users'] })), /by name only/);
    assert.throws(() => assertLeastPrivilege(bad({ ...imp, resources: ['users'], resourceNames: [] })), /by name only/);
    assert.throws(() => assertLeastPrivilege(bad({ ...imp, resources: ['serviceaccounts'], resourceNames: ['default'] })), /never serviceaccounts/);
    assert.throws(() => assertLeastPrivilege(bad({ ...imp, resources: ['groups'], resourceNames: ['system:masters'] })), /no system: names/);
    assert.throws(() => assertLeastPrivilege(bad({ ...imp, resources: ['users'], resourceNames: ['*'] })), /wildcard resourceNames/);
    assert.throws(() => assertLeastPrivilege([{ kind: 'ClusterRole', metadata: { name: 'kubeherald' }, rules: [{ ...imp, resources: ['users'], resourceNames: ['a'] }] }]), /impersonation only in its own ClusterRole/);
  });
});

describe('chat command RBAC in a cluster', () => {
  let sim: Sim;
  let kubectl: Kubectl;
  before(async () => {
    // the ServiceAccount's token authenticates as kube-apiserver authenticates one (the simulator serves no TokenRequest)
    sim = await startSim({ clockSpeed: 0, users: [{ name: SA, groups: ['system:serviceaccounts', 'system:serviceaccounts:kubeherald', 'system:authenticated'] }] });
    kubectl = new Kubectl(sim.kubeconfig);
    const serve = overlay.filter((o) => !['Deployment', 'PersistentVolumeClaim', 'Service', 'ConfigMap'].includes(o.kind));
    await kubectl.ok(['apply', '-f', '-'], serve.map((o) => stringify(o)).join('---\n'));
  });
  after(() => sim?.close());

  test('kubectl auth can-i, as the ServiceAccount: the mapped users and groups only', async () => {
    const checks: CanICheck[] = [
      [['impersonate', 'users/alice@corp'], 'yes'],
      [['impersonate', 'users/bob@corp'], 'yes'],
      [['impersonate', 'groups/payments-oncall'], 'yes'],
      [['impersonate', 'users/admin'], 'no'],
      [['impersonate', 'users/system:admin'], 'no'],
      [['impersonate', 'groups/system:masters'], 'no'],
      [['impersonate', 'users/chat-user@example.com'], 'no'],
      [['impersonate', 'serviceaccounts/default', '-n', 'kube-system'], 'no'],
      [['impersonate', 'serviceaccounts', '-n', 'kubeherald'], 'no'],
      [['impersonate', 'userextras/scopes'], 'no'],
      [['list', 'chatidentities.kubeherald.io'], 'yes'],
      [['watch', 'chatidentities.kubeherald.io'], 'yes'],
      [['patch', 'chatidentities.kubeherald.io', '--subresource=status'], 'yes'],
      [['update', 'chatidentities.kubeherald.io'], 'no'],
      [['create', 'chatidentities.kubeherald.io'], 'no'],
      [['list', 'chatpolicies.kubeherald.io', '--all-namespaces'], 'yes'],
      [['watch', 'chatpolicies.kubeherald.io', '--all-namespaces'], 'yes'],
      [['patch', 'chatpolicies.kubeherald.io', '--subresource=status', '-n', 'payments'], 'yes'],
      [['update', 'chatpolicies.kubeherald.io', '-n', 'payments'], 'no'],
      [['list', 'clusterchatpolicies.kubeherald.io'], 'yes'],
      [['watch', 'clusterchatpolicies.kubeherald.io'], 'yes'],
      [['patch', 'clusterchatpolicies.kubeherald.io', '--subresource=status'], 'yes'],
      [['update', 'clusterchatpolicies.kubeherald.io', '--subresource=status'], 'yes'],
      [['patch', 'clusterchatpolicies.kubeherald.io'], 'no'],
      [['delete', 'clusterchatpolicies.kubeherald.io'], 'no'],
      [['patch', 'deployments.apps', '-n', 'payments'], 'no'],
    ];
    assert.deepEqual(await wrongCanI(kubectl, SA, checks), []);
    // the access review kubeherald makes as the chat user needs no grant of ours: system:basic-user allows it
    assert.equal((await kubectl.run(['auth', 'can-i', 'create', 'selfsubjectaccessreviews.authorization.k8s.io', '--as', 'alice@corp'])).stdout.trim(), 'yes');
  });

  test("the ServiceAccount's own token: acting as a mapped user gets that user's RBAC, as anyone else is refused", async () => {
    await kubectl.ok(['create', 'namespace', 'payments']);
    await kubectl.ok(['create', 'rolebinding', 'alice-view', '-n', 'payments', '--clusterrole=view', '--user=alice@corp']);
    await kubectl.ok(['create', 'deployment', 'web', '--image=nginx', '-n', 'payments']);
    const token = sim.tokens.get(SA)!;
    const asSa = (...args: string[]) => kubectl.run(['--token', token, ...args]);

    const mine = await asSa('auth', 'whoami', '-o', 'jsonpath={.status.userInfo.username}');
    assert.equal(mine.stdout, SA, mine.stderr);
    const alice = await asSa('get', 'pods', '-n', 'payments', '--as', 'alice@corp');
    assert.equal(alice.code, 0, alice.stderr);
    // alice may only view: her RBAC, not kubeherald's, decides
    const aliceWrite = await asSa('scale', 'deployment', 'web', '--replicas', '0', '-n', 'payments', '--as', 'alice@corp');
    assert.notEqual(aliceWrite.code, 0);
    assert.match(aliceWrite.stderr, /User "alice@corp" cannot (patch|update) resource "deployments\/scale"/);
    const admin = await asSa('get', 'pods', '-n', 'payments', '--as', 'admin');
    assert.notEqual(admin.code, 0);
    assert.match(admin.stderr, /cannot impersonate resource "users" in API group "" at the cluster scope/);
    const masters = await asSa('get', 'pods', '-n', 'payments', '--as', 'alice@corp', '--as-group', 'system:masters');
    assert.notEqual(masters.code, 0);
    assert.match(masters.stderr, /cannot impersonate resource "groups"/);
    const sa = await asSa('get', 'pods', '-A', '--as', 'system:serviceaccount:kube-system:default');
    assert.notEqual(sa.code, 0);
    assert.match(sa.stderr, /cannot impersonate resource "serviceaccounts"/);
  });
});
