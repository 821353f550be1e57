// ChatPolicy and ClusterChatPolicy resources end to end: real kubectl
// applies them to the simulator, the source compiles them next to the
// config file's policies and writes each one's Ready condition. A broken
// policy says which field is wrong and still applies, safely, where it
// could have matched; the others keep working. Waits on the source's
// applies, never on time.

import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import * as k8s from '@kubernetes/client-node';
import { type ChatPolicySource, compileConfigPolicies, staticPolicies, startPolicyResources } from '../../src/chatops/policy-source.ts';
import { checkChatPolicy } from '../../src/chatops/policy-resource.ts';
import { needsApproval, type CompiledPolicy } from '../../src/chatops/policy.ts';
import { policyConfigSchema } from '../../src/chatops/policy-schema.ts';
import type { ParsedCommand } from '../../src/chatops/types.ts';
import { startChatOps } from '../../src/app/chatops.ts';
import { parseConfigText } from '../../src/config/index.ts';
import { silentLogger } from '../../src/model/logger.ts';
import { openSqliteStore } from '../../src/store/sqlite.ts';
import { startChatSim } from './sim-users.ts';
import { startSim, type Sim } from '../../src/sim/sim.ts';
import { Kubectl } from '../helpers/kubectl.ts';

const CRD_DIR = join(import.meta.dirname, '..', '..', 'deploy', 'crds');

let sim: Sim;
let kubectl: Kubectl;
let kc: k8s.KubeConfig;
let api: k8s.CustomObjectsApi;
let source: ChatPolicySource;

// the config file's policy: deletes anywhere need a reason and one approver
const CONFIG = [policyConfigSchema.parse({ name: 'deletes', commands: ['delete'], approvals: 1, requireReason: true })];

const scale = (replicas: number, namespace: string): ParsedCommand => ({ verb: 'scale', kind: 'deployment', name: 'web', replicas, namespace });
const restart = (namespace: string): ParsedCommand => ({ verb: 'restart', kind: 'deployment', name: 'web', namespace });
/** What a write needs under the policies in force now (namespace labels read, 3 replicas now). */
const need = (cmd: ParsedCommand, policies: readonly CompiledPolicy[] = source.policies()) =>
  needsApproval(cmd, { namespace: (cmd as { namespace: string }).namespace, namespaceLabels: {}, channel: 'C1', currentReplicas: 3, policies })!;

/** Resolves after the apply that makes `pred` true, and that apply's status writes. */
async function until(pred: () => boolean): Promise<void> {
  if (!pred()) {
    await new Promise<void>((resolve) => {
      const off = source.onChange(() => {
        if (pred()) {
          off();
          resolve();
        }
      });
    });
  }
  await source.settled();
}

type Cond = { type: string; status: string; reason: string; message: string; observedGeneration: number; lastTransitionTime: string };
async function ready(kind: 'ChatPolicy' | 'ClusterChatPolicy', name: string, namespace?: string): Promise<Cond> {
  const o = (
    kind === 'ChatPolicy'
      ? await api.getNamespacedCustomObject({ group: 'kubeherald.io', version: 'v1alpha1', plural: 'chatpolicies', namespace: namespace!, name })
      : await api.getClusterCustomObject({ group: 'kubeherald.io', version: 'v1alpha1', plural: 'clusterchatpolicies', name })
  ) as { status?: { conditions?: Cond[] } };
  return o.status?.conditions?.find((c) => c.type === 'Ready') as Cond;
}

const has = (name: string) => source.policies().some((p) => p.name === name);
const policy = (name: string) => source.policies().find((p) => p.name === name);
const chatPolicy = (ns: string, name: string, spec: string) => `apiVersion: kubeherald.io/v1alpha1\nkind: ChatPolicy\nmetadata: {name: ${name}, namespace: ${ns}}\nspec: ${spec}\n`;
const clusterPolicy = (name: string, spec: string) => `apiVersion: kubeherald.io/v1alpha1\nkind: ClusterChatPolicy\nmetadata: {name: ${name}}\nspec: ${spec}\n`;

before(async () => {
  sim = await startSim({ clockSpeed: 0 });
  kubectl = new Kubectl(sim.kubeconfig);
  kc = new k8s.KubeConfig();
  kc.loadFromString(sim.kubeconfig);
  api = kc.makeApiClient(k8s.CustomObjectsApi);
});

after(async () => {
  await source?.stop();
  await sim?.close();
});

describe('ChatPolicy and ClusterChatPolicy resources', () => {
  test('without the CRDs, starting fails clearly and names the fix', async () => {
    await assert.rejects(startPolicyResources({ kc, config: CONFIG, log: silentLogger }), /chatops\.policyResources is on, but the ChatPolicy CRD \(chatpolicies\.kubeherald\.io\) is not installed: kubectl apply -k deploy\/crds/);
    await kubectl.ok(['apply', '-k', CRD_DIR]);
    for (const ns of ['payments', 'staging', 'qa', 'dev']) await kubectl.ok(['create', 'namespace', ns]);
    source = await startPolicyResources({ kc, config: CONFIG, log: silentLogger, debounceMs: 20 });
    // nothing applied yet: the config file's policies only, and the safe defaults elsewhere
    assert.deepEqual(
      source.policies().map((p) => p.name),
      ['config:deletes'],
    );
    assert.equal(need(scale(0, 'payments')).name, 'default');
  });

  test('a good ChatPolicy: in force within one apply, in its own namespace only, Ready with what it requires, shown by kubectl get', async () => {
    await kubectl.ok(['apply', '-f', '-'], chatPolicy('payments', 'scaling', '{commands: [scale], approvals: 2, approvers: {groups: [sre]}, expirySeconds: 300}'));
    await until(() => has('ChatPolicy payments/scaling'));
    const { lastTransitionTime, ...cond } = await ready('ChatPolicy', 'scaling', 'payments');
    assert.deepEqual(cond, {
      type: 'Ready',
      status: 'True',
      reason: 'Accepted',
      message: 'scale in namespace payments needs 2 approvals from group sre; requests expire after 300 s',
      observedGeneration: 1,
    });
    assert.match(lastTransitionTime, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    const r = need(scale(4, 'payments'));
    assert.deepEqual([r.name, r.approvals, r.approvers, r.expirySeconds], ['ChatPolicy payments/scaling', 2, { groups: ['sre'] }, 300]);
    // another namespace: the policy of payments does not reach it
    assert.equal(need(scale(4, 'dev')).name, 'default');
    // restart is not among its commands
    assert.equal(need(restart('payments')).name, 'default');
    // the config file's policy still applies
    assert.equal(need({ verb: 'delete', kind: 'pod', name: 'p', namespace: 'payments' }).name, 'config:deletes');
    const table = await kubectl.ok(['get', 'chatpolicies', '-n', 'payments']);
    assert.match(table, /^NAME\s+COMMANDS\s+APPROVALS\s+READY\s+AGE\n/);
    assert.match(table, /\nscaling\s+\["scale"\]\s+2\s+True\s+/);
  });

  test('an update is picked up without a restart', async () => {
    await kubectl.ok(['patch', 'chatpolicy', 'scaling', '-n', 'payments', '--type=merge', '-p', '{"spec":{"approvals":3}}']);
    await until(() => policy('ChatPolicy payments/scaling')?.requirement.approvals === 3);
    assert.equal(need(scale(4, 'payments')).approvals, 3);
    const cond = await ready('ChatPolicy', 'scaling', 'payments');
    assert.equal(cond.observedGeneration, 2);
    assert.match(cond.message, /needs 3 approvals from group sre/);
  });

  test('a bad selector: Ready=False naming the field; the safe default applies where it would have matched, and nowhere else', async () => {
    await kubectl.ok(
      ['apply', '-f', '-'],
      clusterPolicy('loose', '{namespaces: [staging, qa], approvals: 0, namespaceSelector: {matchExpressions: [{key: tier, operator: Maybe, values: [web]}]}}'),
    );
    await until(() => has('ClusterChatPolicy loose'));
    const cond = await ready('ClusterChatPolicy', 'loose');
    assert.equal(cond.status, 'False');
    assert.equal(cond.reason, 'InvalidSpec');
    assert.match(cond.message, /^spec\.namespaceSelector\.matchExpressions\[0\]\.operator: expected one of In, NotIn, Exists, DoesNotExist, got "Maybe"\. /);
    assert.match(cond.message, /needs at least one approver \(the safe default\)/);
    // it said "approvals: 0" for restarts in staging: broken, it demands one approver instead
    const r = need(restart('staging'));
    assert.deepEqual([r.name, r.approvals, r.denyRejects], ['ClusterChatPolicy loose', 1, true]);
    assert.match(r.why!, /ClusterChatPolicy loose is invalid \(namespaceSelector\.matchExpressions\.0\.operator: .*\); the safe default applies/);
    // where its valid matchers say it does not apply, it does not
    assert.deepEqual([need(restart('dev')).name, need(restart('dev')).approvals], ['default', 0]);
    // and the other policies keep working
    assert.equal(need(scale(4, 'payments')).name, 'ChatPolicy payments/scaling');
    assert.equal((await ready('ChatPolicy', 'scaling', 'payments')).status, 'True');
  });

  test('an unknown command: Ready=False naming the field; the policy then covers every write, needing an approver', async () => {
    await kubectl.ok(['apply', '-f', '-'], clusterPolicy('qa-scaling', '{commands: [scale, explode], namespaces: [qa], approvals: 0}'));
    await until(() => has('ClusterChatPolicy qa-scaling'));
    const cond = await ready('ClusterChatPolicy', 'qa-scaling');
    assert.equal(cond.status, 'False');
    assert.match(cond.message, /^spec\.commands\[1\]: "explode" is not a command that writes \(expected one of scale, restart, rollout undo, cordon, uncordon, delete\)/);
    // a restart in qa: not what it meant to cover, but a broken list never covers less
    const r = need(restart('qa'));
    assert.equal(r.approvals, 1);
    assert.match(r.name, /^ClusterChatPolicy (loose|qa-scaling)$/);
    assert.equal(need(restart('dev')).approvals, 0);
    const table = await kubectl.ok(['get', 'clusterchatpolicies']);
    assert.match(table, /\nqa-scaling\s+\["scale","explode"\]\s+\["qa"\]\s+0\s+False\s+/);
  });

  test('fixing a policy makes it Ready and lets it say what it meant; deleting one takes it out of force', async () => {
    await kubectl.ok(['patch', 'clusterchatpolicy', 'qa-scaling', '--type=merge', '-p', '{"spec":{"commands":["scale"]}}']);
    await until(() => policy('ClusterChatPolicy qa-scaling')?.problems.length === 0);
    const cond = await ready('ClusterChatPolicy', 'qa-scaling');
    assert.deepEqual([cond.status, cond.reason, cond.message], ['True', 'Accepted', "scale in namespaces qa needs the requester's confirmation only; requests expire after 600 s"]);
    await kubectl.ok(['delete', 'clusterchatpolicy', 'loose']);
    await until(() => !has('ClusterChatPolicy loose'));
    assert.deepEqual([need(restart('staging')).name, need(restart('staging')).approvals], ['default', 0]);
    assert.deepEqual(
      source.checks().map((c) => `${c.kind} ${c.key}`),
      ['ClusterChatPolicy qa-scaling', 'ChatPolicy payments/scaling'],
    );
  });

  test('what the API server refuses never gets that far: a ChatPolicy cannot name other namespaces', async () => {
    const r = await kubectl.run(['apply', '-f', '-'], chatPolicy('payments', 'sneaky', '{namespaces: [prod], approvals: 0}'));
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /namespaces/);
    const over = await kubectl.run(['apply', '-f', '-'], clusterPolicy('many', '{approvals: 99}'));
    assert.notEqual(over.code, 0);
    assert.match(over.stderr, /approvals/);
  });
});

describe('policy checks without a cluster', () => {
  const obj = (spec: unknown, namespace?: string) => ({ apiVersion: 'kubeherald.io/v1alpha1', kind: namespace ? 'ChatPolicy' : 'ClusterChatPolicy', metadata: { name: 'p', ...(namespace ? { namespace } : {}), generation: 1 }, spec }) as never;

  test('a field the schema does not know (admitted before a CRD upgrade) is reported, and the policy still never loosens', () => {
    const c = checkChatPolicy('ChatPolicy', obj({ approvals: 0, surprise: true }, 'payments'));
    assert.deepEqual(c.problems, [{ field: 'spec.surprise', message: 'unknown field' }]);
    assert.equal(c.policy.requirement.approvals, 1);
    assert.equal(c.policy.matches({ command: 'restart', namespace: 'payments', channel: 'C1' }), 'yes');
    assert.equal(c.policy.matches({ command: 'restart', namespace: 'other', channel: 'C1' }), 'no');
  });

  test('wrong types are reported once per field', () => {
    const c = checkChatPolicy('ClusterChatPolicy', obj({ approvals: 'two', commands: 'scale' }));
    assert.deepEqual(
      c.problems.map((p) => p.field),
      ['spec.commands', 'spec.approvals'],
    );
    assert.equal(c.policy.requirement.approvals, 1);
  });

  test('config policies only (policyResources off): compiled once, never changing', () => {
    const p = staticPolicies(CONFIG);
    assert.deepEqual(
      p.policies().map((x) => x.name),
      ['config:deletes'],
    );
    assert.equal(typeof p.onChange(() => {}), 'function');
    assert.equal(compileConfigPolicies(CONFIG)[0].requirement.requireReason, true);
  });
});

describe('chatops.policyResources wired into startChatOps', () => {
  test('a ChatPolicy applied with kubectl decides what a chat write needs, without a restart', async () => {
    const chatSim = await startChatSim([]);
    const store = openSqliteStore({ path: ':memory:' });
    const k = new Kubectl(chatSim.sim.kubeconfig);
    try {
      await k.ok(['apply', '-k', CRD_DIR]);
      const config = parseConfigText(
        `chatops:
  defaultNamespace: demo
  policyResources: true
  identities: [{ platform: console, user: alice, kubernetes: { user: alice@corp, groups: [sre, team-a] } }]
`,
        'x',
      );
      const chat = await startChatOps({ config, kc: chatSim.admin, store, log: silentLogger, platforms: false });
      try {
        const ask = (text: string) => chat.service.handle({ platform: 'console', user: { platform: 'console', id: 'alice' }, channel: 'console', text, receivedAt: Date.now() });
        const approvalsOf = () => store.requests.list({}).at(-1)!.policy;
        // restart: the defaults ask only for alice's confirmation
        await ask('restart deployment web');
        assert.deepEqual([approvalsOf().name, approvalsOf().approvals], ['default', 0]);
        const applied = new Promise<void>((resolve) => {
          // the source is internal to startChatOps: wait for the status kubeherald writes
          const custom = chatSim.admin.makeApiClient(k8s.CustomObjectsApi);
          const poll = async (): Promise<void> => {
            const o = (await custom.getNamespacedCustomObject({ group: 'kubeherald.io', version: 'v1alpha1', plural: 'chatpolicies', namespace: 'demo', name: 'restarts' }).catch(() => ({}))) as { status?: { conditions?: { status: string }[] } };
            if (o.status?.conditions?.[0]?.status === 'True') resolve();
            else setTimeout(() => void poll(), 20);
          };
          void poll();
        });
        await k.ok(['apply', '-f', '-'], chatPolicy('demo', 'restarts', '{commands: [restart], approvals: 1, approvers: {groups: [sre]}}'));
        await applied;
        await ask('restart deployment web');
        assert.deepEqual([approvalsOf().name, approvalsOf().approvals, approvalsOf().approvers], ['ChatPolicy demo/restarts', 1, { groups: ['sre'] }]);
      } finally {
        await chat.stop();
      }
    } finally {
      store.close();
      await chatSim.sim.close();
    }
  });
});
