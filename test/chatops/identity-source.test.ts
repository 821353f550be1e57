// ChatIdentity resources end to end: real kubectl applies them to the
// simulator, the source watches them into the identity map and writes each
// one's Ready condition. Waits on the source's applies, never on time.

import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import * as k8s from '@kubernetes/client-node';
import { IdentityMap } from '../../src/chatops/identity.ts';
import { type ChatIdentitySource, startIdentityResources } from '../../src/chatops/identity-source.ts';
import type { ChatUser } from '../../src/chatops/types.ts';
import { silentLogger } from '../../src/model/logger.ts';
import { startSim, type Sim } from '../../src/sim/sim.ts';
import { Kubectl } from '../helpers/kubectl.ts';

const CRD_DIR = join(import.meta.dirname, '..', '..', 'deploy', 'crds');

let sim: Sim;
let kubectl: Kubectl;
let api: k8s.CustomObjectsApi;
let source: ChatIdentitySource;
const map = new IdentityMap([{ platform: 'slack', user: 'UCONFIG', kubernetes: { user: 'from-config', groups: [] } }]);
const slack = (id: string, email?: string): ChatUser => ({ platform: 'slack', id, ...(email ? { email } : {}) });

/** Resolves after the apply that makes `pred` true, and that apply's status writes. */
async function until(pred: () => boolean): Promise<void> {
  if (!pred()) {
    await new Promise<void>((resolve) => {
      const off = source.onApply(() => {
        if (pred()) {
          off();
          resolve();
        }
      });
    });
  }
  await source.settled();
}

async function ready(name: string): Promise<{ type: string; status: string; reason: string; message: string; observedGeneration: number; lastTransitionTime: string }> {
  const o = (await api.getClusterCustomObject({ group: 'kubeherald.io', version: 'v1alpha1', plural: 'chatidentities', name })) as { status?: { conditions?: { type: string }[] } };
  return o.status?.conditions?.find((c) => c.type === 'Ready') as never;
}

const identity = (name: string, spec: string) => `apiVersion: kubeherald.io/v1alpha1\nkind: ChatIdentity\nmetadata: {name: ${name}}\nspec: ${spec}\n`;
const checked = (name: string) => source.checks().some((c) => c.name === name);

before(async () => {
  sim = await startSim({ clockSpeed: 0 });
  kubectl = new Kubectl(sim.kubeconfig);
  await kubectl.ok(['apply', '-k', CRD_DIR]);
  const kc = new k8s.KubeConfig();
  kc.loadFromString(sim.kubeconfig);
  api = kc.makeApiClient(k8s.CustomObjectsApi);
  source = await startIdentityResources({ kc, map, log: silentLogger, debounceMs: 20 });
});

after(async () => {
  await source?.stop();
  await sim?.close();
});

describe('ChatIdentity resources', () => {
  test('applied with kubectl: mapped within one apply, Ready with the mapping, shown by kubectl get', async () => {
    await kubectl.ok(['apply', '-f', '-'], identity('alice', '{platform: slack, user: U01ALICE, kubernetes: {user: alice@corp, groups: [payments]}}'));
    await until(() => map.resolve(slack('U01ALICE')) !== undefined);
    assert.deepEqual(map.lookup(slack('U01ALICE')), { identity: { user: 'alice@corp', groups: ['payments'] }, source: 'ChatIdentity alice' });
    const { lastTransitionTime, ...cond } = await ready('alice');
    assert.deepEqual(cond, { type: 'Ready', status: 'True', reason: 'Accepted', message: 'slack user U01ALICE acts as Kubernetes user alice@corp (groups payments)', observedGeneration: 1 });
    assert.match(lastTransitionTime, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    const table = await kubectl.ok(['get', 'chatidentities']);
    // the EMAIL column is empty: this one maps by user id
    assert.match(table, /^NAME\s+PLATFORM\s+USER\s+EMAIL\s+KUBERNETES USER\s+READY\s+AGE\n/);
    assert.match(table, /\nalice\s+slack\s+U01ALICE\s+alice@corp\s+True\s+/);
    assert.match(await kubectl.ok(['get', 'chatid', '-o', 'name']), /^chatidentity\.kubeherald\.io\/alice\n/);
  });

  test('an update is picked up without a restart', async () => {
    await kubectl.ok(['patch', 'chatidentity', 'alice', '--type=merge', '-p', '{"spec":{"kubernetes":{"user":"alice.v2@corp","groups":[]}}}']);
    await until(() => map.resolve(slack('U01ALICE'))?.user === 'alice.v2@corp');
    assert.deepEqual(map.resolve(slack('U01ALICE')), { user: 'alice.v2@corp', groups: [] });
    const r = await ready('alice');
    assert.equal(r.observedGeneration, 2);
    assert.equal(r.message, 'slack user U01ALICE acts as Kubernetes user alice.v2@corp');
  });

  test('a bad one maps nobody and its condition names the field; a system: identity is Forbidden', async () => {
    await kubectl.ok(
      ['apply', '-f', '-'],
      [
        identity('tg-email', '{platform: telegram, email: bob@corp.example, kubernetes: {user: bob}}'),
        identity('root', '{platform: slack, user: U0ROOT, kubernetes: {user: eve, groups: [ops, system:masters]}}'),
      ].join('---\n'),
    );
    await until(() => checked('tg-email') && checked('root'));
    const tg = await ready('tg-email');
    assert.deepEqual([tg.status, tg.reason, tg.message], ['False', 'InvalidSpec', 'spec.email: only Slack verifies e-mail addresses; give the user id for this platform']);
    const root = await ready('root');
    assert.equal(root.status, 'False');
    assert.equal(root.reason, 'Forbidden');
    assert.equal(root.message, 'spec.kubernetes.groups[1]: refusing to map a chat user into the system: group "system:masters"');
    assert.equal(map.resolve(slack('U0ROOT')), undefined);
    assert.match(await kubectl.ok(['get', 'chatidentities', 'root', '-o', 'wide']), /\nroot\s+slack\s+U0ROOT\s+eve\s+\["ops","system:masters"\]\s+False\s+Forbidden\s+/);
  });

  test('the API server itself refuses what the schema forbids: a look-alike character in a user id, an unknown platform', async () => {
    const cyrillic = await kubectl.run(['apply', '-f', '-'], identity('lookalike', '{platform: slack, user: "U01АLICE", kubernetes: {user: mallory}}'));
    assert.notEqual(cyrillic.code, 0);
    assert.match(cyrillic.stderr, /spec\.user/);
    const platform = await kubectl.run(['apply', '-f', '-'], identity('irc', '{platform: irc, user: nick, kubernetes: {user: mallory}}'));
    assert.notEqual(platform.code, 0);
    assert.match(platform.stderr, /spec\.platform/);
  });

  test('two mapping one chat user: neither is used, each names the other; deleting one puts the other in force', async () => {
    await kubectl.ok(
      ['apply', '-f', '-'],
      [identity('bob', '{platform: slack, user: U02BOB, kubernetes: {user: bob@corp}}'), identity('bob-again', '{platform: slack, user: U02BOB, kubernetes: {user: admin}}')].join('---\n'),
    );
    await until(() => checked('bob') && checked('bob-again'));
    assert.equal(map.resolve(slack('U02BOB')), undefined);
    const [a, b] = [await ready('bob'), await ready('bob-again')];
    assert.equal(a.reason, 'Conflict');
    assert.equal(a.message, 'spec.user: slack user U02BOB is also mapped by ChatIdentity bob-again; neither is used until one is changed or deleted');
    assert.equal(b.reason, 'Conflict');
    assert.match(b.message, /also mapped by ChatIdentity bob;/);

    await kubectl.ok(['delete', 'chatidentity', 'bob-again']);
    await until(() => map.resolve(slack('U02BOB')) !== undefined);
    assert.equal(map.resolve(slack('U02BOB'))?.user, 'bob@corp');
    assert.equal((await ready('bob')).status, 'True');
  });

  test('the config file wins; when the config stops mapping the user, the resource takes over', async () => {
    await kubectl.ok(['apply', '-f', '-'], identity('config-twin', '{platform: slack, user: UCONFIG, kubernetes: {user: from-resource}}'));
    await until(() => checked('config-twin'));
    assert.equal(map.resolve(slack('UCONFIG'))?.user, 'from-config');
    const shadowed = await ready('config-twin');
    assert.equal(shadowed.reason, 'OverriddenByConfig');
    assert.equal(shadowed.message, 'spec.user: slack user UCONFIG is mapped by the config file (chatops.identities[0]), which takes precedence');

    map.setConfig([]);
    await until(() => map.resolve(slack('UCONFIG'))?.user === 'from-resource');
    assert.equal((await ready('config-twin')).status, 'True');
  });

  test('deleting a ChatIdentity unmaps its chat user', async () => {
    await kubectl.ok(['delete', 'chatidentity', 'alice']);
    await until(() => map.resolve(slack('U01ALICE')) === undefined);
    assert.equal(checked('alice'), false);
  });
});

describe('starting', () => {
  test('without the CRD installed it fails at once, saying what to install', async () => {
    const bare = await startSim({ clockSpeed: 0 });
    try {
      const kc = new k8s.KubeConfig();
      kc.loadFromString(bare.kubeconfig);
      await assert.rejects(startIdentityResources({ kc, map: new IdentityMap(), log: silentLogger }), /the ChatIdentity CRD \(chatidentities\.kubeherald\.io\) is not installed: kubectl apply -k deploy\/crds/);
    } finally {
      await bare.close();
    }
  });
});
