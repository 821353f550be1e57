// The identity map and the ChatIdentity checks, without a cluster: exact
// matching, the config file winning, conflicts mapping nobody, system:
// identities refused, and the status each object should get.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { chatUserKey, foldEmail, IdentityMap, identityProblems, type IdentityEntry } from '../../src/chatops/identity.ts';
import { checkChatIdentities, checkSpec, desiredStatus, statusUpToDate } from '../../src/chatops/identity-resource.ts';
import type { ChatUser } from '../../src/chatops/types.ts';
import type { KubeObject } from '../../src/model/kube.ts';

const slack = (id: string, email?: string): ChatUser => ({ platform: 'slack', id, ...(email ? { email } : {}) });
const resource = (e: Omit<IdentityEntry, 'source'> & { source?: string }): IdentityEntry => ({ source: 'ChatIdentity x', ...e });

describe('IdentityMap', () => {
  it('maps by platform and exact user id; names are never used', () => {
    const map = new IdentityMap([
      { platform: 'slack', user: 'U01ALICE', kubernetes: { user: 'alice@corp', groups: ['payments'] } },
      { platform: 'telegram', user: '4242', kubernetes: { user: 'bob@corp', groups: [] } },
    ]);
    assert.deepEqual(map.resolve(slack('U01ALICE')), { user: 'alice@corp', groups: ['payments'] });
    assert.deepEqual(map.lookup(slack('U01ALICE')), { identity: { user: 'alice@corp', groups: ['payments'] }, source: 'chatops.identities[0]' });
    assert.deepEqual(map.resolve({ platform: 'telegram', id: '4242' }), { user: 'bob@corp', groups: [] });
    // case, platform, look-alikes, padding: all different users
    assert.equal(map.resolve(slack('u01alice')), undefined);
    assert.equal(map.resolve({ platform: 'telegram', id: 'U01ALICE' }), undefined);
    assert.equal(map.resolve(slack('U01АLICE')), undefined, 'Cyrillic А');
    assert.equal(map.resolve(slack(' U01ALICE')), undefined);
    assert.equal(map.resolve({ platform: 'slack', id: 'U09', name: 'U01ALICE' }), undefined, 'display names decide nothing');
  });

  it('returns copies: a caller changing the groups changes no mapping', () => {
    const map = new IdentityMap([{ platform: 'console', user: 'alice', kubernetes: { user: 'alice', groups: ['a'] } }]);
    map.resolve({ platform: 'console', id: 'alice' })!.groups.push('system:masters');
    assert.deepEqual(map.resolve({ platform: 'console', id: 'alice' }), { user: 'alice', groups: ['a'] });
  });

  it('Slack e-mail: matched ignoring ASCII case only, and only when the adapter looked it up', () => {
    const map = new IdentityMap([{ platform: 'slack', email: 'Alice@Corp.example', kubernetes: { user: 'alice@corp', groups: [] } }]);
    assert.equal(map.usesEmail(), true);
    assert.equal(map.resolve(slack('U1')), undefined);
    assert.equal(map.resolve(slack('U1', 'alice@corp.EXAMPLE'))?.user, 'alice@corp');
    // the Kelvin sign lower-cases to "k" in Unicode; it must not match a k
    const kelvin = new IdentityMap([{ platform: 'slack', email: 'kim@corp.example', kubernetes: { user: 'kim', groups: [] } }]);
    assert.equal(kelvin.resolve(slack('U2', '\u212Aim@corp.example')), undefined);
    assert.equal(foldEmail('\u212AIM@X'), '\u212Aim@x');
    assert.equal(new IdentityMap([{ platform: 'slack', user: 'U1', kubernetes: { user: 'a', groups: [] } }]).usesEmail(), false);
  });

  it('the config file wins over a resource for the same chat user; by id before by e-mail', () => {
    const map = new IdentityMap([{ platform: 'slack', user: 'U1', kubernetes: { user: 'from-config', groups: [] } }]);
    map.setResources([
      resource({ platform: 'slack', user: 'U1', kubernetes: { user: 'from-resource', groups: [] } }),
      resource({ platform: 'slack', user: 'U2', kubernetes: { user: 'u2', groups: [] }, source: 'ChatIdentity u2' }),
      resource({ platform: 'slack', email: 'u3@corp', kubernetes: { user: 'u3-by-email', groups: [] } }),
    ]);
    assert.equal(map.resolve(slack('U1'))?.user, 'from-config');
    assert.deepEqual(map.lookup(slack('U2')), { identity: { user: 'u2', groups: [] }, source: 'ChatIdentity u2' });
    assert.equal(map.resolve(slack('U3', 'u3@corp'))?.user, 'u3-by-email');
    assert.equal(map.configFor({ platform: 'slack', user: 'U1' }), 'chatops.identities[0]');
    assert.equal(map.configFor({ platform: 'slack', user: 'U2' }), undefined);
    assert.deepEqual(
      map.entries().map((e) => e.kubernetes.user),
      ['from-config', 'u2', 'u3-by-email'],
    );
    // a reload replaces the resources wholesale
    map.setResources([]);
    assert.equal(map.resolve(slack('U2')), undefined);
  });

  it('never resolves a system: identity or a chat user two resources map', () => {
    const map = new IdentityMap();
    map.setResources([
      resource({ platform: 'slack', user: 'U1', kubernetes: { user: 'system:admin', groups: [] } }),
      resource({ platform: 'slack', user: 'U2', kubernetes: { user: 'x', groups: ['system:masters'] } }),
      resource({ platform: 'slack', user: 'U3', kubernetes: { user: 'a', groups: [] } }),
      resource({ platform: 'slack', user: 'U3', kubernetes: { user: 'b', groups: [] } }),
    ]);
    for (const id of ['U1', 'U2', 'U3']) assert.equal(map.resolve(slack(id)), undefined, id);
  });

  it('refuses a bad config outright, naming the entry', () => {
    assert.throws(() => new IdentityMap([{ platform: 'slack', user: 'U1', kubernetes: { user: 'system:kube-controller-manager' } }]), /^Error: chatops\.identities\[0\]: kubernetes\.user: refusing/);
    assert.throws(
      () =>
        new IdentityMap([
          { platform: 'slack', user: 'U1', kubernetes: { user: 'a' } },
          { platform: 'slack', user: 'U1', kubernetes: { user: 'b' } },
        ]),
      /^Error: chatops\.identities\[1\]: maps slack user U1 again \(chatops\.identities\[0\] already does\)$/,
    );
  });

  it('tells listeners of every change', () => {
    const map = new IdentityMap();
    let calls = 0;
    const off = map.onChange(() => calls++);
    map.setConfig([]);
    map.setResources([]);
    off();
    map.setConfig([]);
    assert.equal(calls, 2);
  });
});

describe('identityProblems', () => {
  it('one of user or email; email only on Slack; no system: user or group', () => {
    const p = (i: Parameters<typeof identityProblems>[0]) => identityProblems(i).map((x) => `${x.reason} ${x.path.join('.')}: ${x.message}`);
    assert.deepEqual(p({ platform: 'slack', kubernetes: { user: 'a' } }), ['InvalidSpec user: expected exactly one of user (the platform user id) or email']);
    assert.deepEqual(p({ platform: 'slack', user: 'U', email: 'a@b', kubernetes: { user: 'a' } }), ['InvalidSpec user: expected exactly one of user (the platform user id) or email']);
    assert.deepEqual(p({ platform: 'telegram', email: 'a@b', kubernetes: { user: 'a' } }), ['InvalidSpec email: only Slack verifies e-mail addresses; give the user id for this platform']);
    assert.deepEqual(p({ platform: 'console', user: 'x', kubernetes: { user: 'system:serviceaccount:kube-system:default', groups: ['ok', 'system:masters'] } }), [
      'Forbidden kubernetes.user: refusing to map a chat user to the system: identity "system:serviceaccount:kube-system:default"',
      'Forbidden kubernetes.groups.1: refusing to map a chat user into the system: group "system:masters"',
    ]);
    assert.deepEqual(p({ platform: 'slack', email: 'a@b', kubernetes: { user: 'alice', groups: ['payments'] } }), []);
    assert.equal(chatUserKey({ platform: 'slack', email: 'A@B' }), chatUserKey({ platform: 'slack', email: 'a@b' }));
    assert.notEqual(chatUserKey({ platform: 'slack', user: 'U1' }), chatUserKey({ platform: 'telegram', user: 'U1' }));
  });
});

describe('ChatIdentity checks', () => {
  const obj = (name: string, spec: unknown, generation = 1, status?: unknown): KubeObject => ({
    apiVersion: 'kubeherald.io/v1alpha1',
    kind: 'ChatIdentity',
    metadata: { name, generation, uid: `uid-${name}` },
    spec,
    ...(status ? { status } : {}),
  }) as KubeObject;

  it('a spec problem names its field; a system: identity is reason Forbidden, reported first', () => {
    assert.deepEqual(checkSpec(obj('a', { platform: 'telegram', email: 'a@b', kubernetes: { user: 'x' } })).problems, [
      { field: 'spec.email', reason: 'InvalidSpec', message: 'only Slack verifies e-mail addresses; give the user id for this platform' },
    ]);
    assert.deepEqual(checkSpec(obj('a', { platform: 'slack', user: 'U1', email: 'a@b', kubernetes: { user: 'x', groups: ['system:masters'] } })).problems, [
      { field: 'spec.kubernetes.groups[0]', reason: 'Forbidden', message: 'refusing to map a chat user into the system: group "system:masters"' },
      { field: 'spec.user', reason: 'InvalidSpec', message: 'expected exactly one of user (the platform user id) or email' },
    ]);
    assert.deepEqual(checkSpec(obj('a', { platform: 'slack', user: 'U1', kubernetes: { user: 'x' }, colour: 1 })).problems, [{ field: 'spec.colour', reason: 'InvalidSpec', message: 'unknown field' }]);
    assert.deepEqual(checkSpec(obj('a', { platform: 'slack', user: 'U 1', kubernetes: { user: 'x' } })).problems.map((p) => p.field), ['spec.user']);
    assert.deepEqual(checkSpec(obj('a', undefined)).problems.map((p) => p.field), ['spec']);
  });

  it('two resources mapping one chat user: neither is used, each names the other; the config file overrides', () => {
    const checks = checkChatIdentities(
      [
        obj('bob-2', { platform: 'slack', user: 'U2', kubernetes: { user: 'bob2' } }),
        obj('bob', { platform: 'slack', user: 'U2', kubernetes: { user: 'bob' } }),
        obj('alice', { platform: 'slack', user: 'U1', kubernetes: { user: 'alice', groups: ['payments'] } }),
        obj('carol', { platform: 'slack', email: 'carol@corp', kubernetes: { user: 'carol' } }),
      ],
      (spec) => (spec.email === 'carol@corp' ? 'chatops.identities[3]' : undefined),
    );
    assert.deepEqual(
      checks.map((c) => [c.name, c.entry?.kubernetes.user, c.problems.map((p) => `${p.reason} ${p.field}: ${p.message}`)]),
      [
        ['alice', 'alice', []],
        ['bob', undefined, ['Conflict spec.user: slack user U2 is also mapped by ChatIdentity bob-2; neither is used until one is changed or deleted']],
        ['bob-2', undefined, ['Conflict spec.user: slack user U2 is also mapped by ChatIdentity bob; neither is used until one is changed or deleted']],
        ['carol', undefined, ['OverriddenByConfig spec.email: slack e-mail carol@corp is mapped by the config file (chatops.identities[3]), which takes precedence']],
      ],
    );
    assert.equal(checks[0].entry!.source, 'ChatIdentity alice');
  });

  it('status: Ready True with the mapping or False with the first reason; lastTransitionTime kept while unchanged', () => {
    const now = new Date('2025-03-01T10:00:00.123Z');
    const [ok] = checkChatIdentities([obj('alice', { platform: 'slack', user: 'U1', kubernetes: { user: 'alice', groups: ['payments'] } }, 3)]);
    const s = desiredStatus(ok, now);
    assert.deepEqual(s, {
      observedGeneration: 3,
      conditions: [{ type: 'Ready', status: 'True', reason: 'Accepted', message: 'slack user U1 acts as Kubernetes user alice (groups payments)', observedGeneration: 3, lastTransitionTime: '2025-03-01T10:00:00Z' }],
    });
    const written = obj('alice', ok.obj.spec, 3, s);
    assert.equal(statusUpToDate(written, s), true);
    const later = desiredStatus({ ...ok, obj: written }, new Date('2025-03-02T00:00:00Z'));
    assert.equal(later.conditions[0].lastTransitionTime, '2025-03-01T10:00:00Z');
    const [bad] = checkChatIdentities([obj('alice', { platform: 'slack', user: 'U1', kubernetes: { user: 'system:admin' } }, 4, s)]);
    const b = desiredStatus(bad, new Date('2025-03-02T00:00:00Z'));
    assert.equal(statusUpToDate(bad.obj, b), false);
    assert.deepEqual(b.conditions[0], {
      type: 'Ready',
      status: 'False',
      reason: 'Forbidden',
      message: 'spec.kubernetes.user: refusing to map a chat user to the system: identity "system:admin"',
      observedGeneration: 4,
      lastTransitionTime: '2025-03-02T00:00:00Z',
    });
  });
});
