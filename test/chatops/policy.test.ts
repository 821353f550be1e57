// Approval policies: the safe defaults, matching, the strictest policy
// winning, what is unknown never loosening, an invalid policy applying
// safely where it would have applied, and who may approve.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { compilePolicy, defaultPolicy, mayApprove, needsApproval, WRITE_COMMANDS, type PolicyContext } from '../../src/chatops/policy.ts';
import { parseConfigText } from '../../src/config/index.ts';
import type { ParsedCommand } from '../../src/chatops/types.ts';

const scale = (replicas: number, namespace = 'demo'): ParsedCommand => ({ verb: 'scale', kind: 'deployment', name: 'web', replicas, namespace });
const restart: ParsedCommand = { verb: 'restart', kind: 'deployment', name: 'web', namespace: 'demo' };
const cordon: ParsedCommand = { verb: 'cordon', node: 'n1' };
const ctx = (over: Partial<PolicyContext> = {}): PolicyContext => ({ namespace: 'demo', namespaceLabels: {}, channel: 'C1', currentReplicas: 3, policies: [], ...over });

describe('needsApproval: safe defaults', () => {
  it('reads need nothing; writes need at least the requester’s confirmation', () => {
    assert.equal(needsApproval({ verb: 'pods', allNamespaces: false }, ctx()), undefined);
    assert.equal(needsApproval({ verb: 'rollout', action: 'status', kind: 'deployment', name: 'web' }, ctx()), undefined);
    const r = needsApproval(restart, ctx())!;
    assert.equal(r.approvals, 0);
    assert.equal(r.name, 'default');
    assert.equal(r.expirySeconds, 600);
    assert.deepEqual(WRITE_COMMANDS, ['scale', 'restart', 'rollout undo', 'cordon', 'uncordon', 'delete']);
  });

  it('scaling to 0 or by more than a factor of 2 needs an approver; within 2x does not', () => {
    assert.equal(needsApproval(scale(0), ctx())!.approvals, 1);
    assert.match(needsApproval(scale(0), ctx())!.why!, /scaling to 0/);
    assert.equal(needsApproval(scale(7), ctx())!.approvals, 1);
    assert.match(needsApproval(scale(7), ctx())!.why!, /from 3 to 7/);
    assert.equal(needsApproval(scale(1), ctx())!.approvals, 1, '3 → 1 is less than half');
    assert.equal(needsApproval(scale(6), ctx())!.approvals, 0);
    assert.equal(needsApproval(scale(2), ctx())!.approvals, 0);
    assert.equal(needsApproval(scale(3), ctx({ currentReplicas: undefined }))!.approvals, 1, 'unknown replicas count as large');
  });

  it('any write in a production namespace needs an approver; the label key is configurable; unreadable labels count as production', () => {
    assert.equal(needsApproval(restart, ctx({ namespaceLabels: { 'kubeherald.io/production': 'true' } }))!.approvals, 1);
    assert.equal(needsApproval(restart, ctx({ namespaceLabels: { 'kubeherald.io/production': 'false' } }))!.approvals, 0);
    assert.equal(needsApproval(restart, ctx({ productionLabel: 'env/prod', namespaceLabels: { 'env/prod': 'true' } }))!.approvals, 1);
    assert.equal(needsApproval(restart, ctx({ namespaceLabels: undefined }))!.approvals, 1);
    assert.equal(needsApproval(cordon, ctx({ namespace: undefined, namespaceLabels: undefined }))!.approvals, 0, 'a node has no namespace');
  });
});

describe('needsApproval: policies', () => {
  const prod = compilePolicy({ commands: ['scale', 'restart'], namespaces: ['pay*'], approvals: 2, approvers: { groups: ['sre'] }, requireReason: true }, { name: 'config:payments' });
  const loose = compilePolicy({ namespaces: ['demo'], approvals: 0, expirySeconds: 60 }, { name: 'config:demo' });

  it('a matching policy replaces the defaults (also loosening them), frozen with its name', () => {
    const r = needsApproval(scale(0, 'payments'), ctx({ namespace: 'payments', policies: [prod, loose] }))!;
    assert.deepEqual(r, { name: 'config:payments', approvals: 2, approvers: { groups: ['sre'] }, denyRejects: true, requireReason: true, expirySeconds: 600 });
    const d = needsApproval(scale(0), ctx({ policies: [prod, loose] }))!;
    assert.equal(d.name, 'config:demo');
    assert.equal(d.approvals, 0);
    assert.equal(d.expirySeconds, 60);
  });

  it('every matcher must hold: command, namespace, channel, selector', () => {
    const p = compilePolicy({ commands: ['delete'], channels: ['C9'], namespaceSelector: { matchLabels: { tier: 'critical' } }, approvals: 3 }, { name: 'p' });
    const del: ParsedCommand = { verb: 'delete', kind: 'pod', name: 'x', namespace: 'demo' };
    assert.equal(needsApproval(del, ctx({ channel: 'C9', namespaceLabels: { tier: 'critical' }, policies: [p] }))!.approvals, 3);
    assert.equal(needsApproval(del, ctx({ channel: 'C1', namespaceLabels: { tier: 'critical' }, policies: [p] }))!.name, 'default');
    assert.equal(needsApproval(del, ctx({ channel: 'C9', namespaceLabels: { tier: 'web' }, policies: [p] }))!.name, 'default');
    assert.equal(needsApproval(restart, ctx({ channel: 'C9', namespaceLabels: { tier: 'critical' }, policies: [p] }))!.name, 'default');
    assert.equal(needsApproval(cordon, ctx({ channel: 'C9', namespace: undefined, policies: [p] }))!.name, 'default', 'a selector never matches a cluster-scoped command');
  });

  it('of several matching policies the strictest applies', () => {
    const a = compilePolicy({ approvals: 1, expirySeconds: 300 }, { name: 'a' });
    const b = compilePolicy({ approvals: 1, expirySeconds: 120 }, { name: 'b' });
    const c = compilePolicy({ approvals: 1, requireReason: true, expirySeconds: 900 }, { name: 'c' });
    assert.equal(needsApproval(restart, ctx({ policies: [a, b] }))!.name, 'b');
    assert.equal(needsApproval(restart, ctx({ policies: [a, b, c] }))!.name, 'c');
  });

  it('a selector policy that may apply (labels unreadable) only tightens', () => {
    const strict = compilePolicy({ namespaceSelector: { matchLabels: { tier: 'critical' } }, approvals: 2 }, { name: 'strict' });
    const lax = compilePolicy({ namespaceSelector: { matchLabels: { tier: 'dev' } }, approvals: 0 }, { name: 'lax' });
    assert.equal(needsApproval(restart, ctx({ namespaceLabels: undefined, policies: [strict] }))!.approvals, 2);
    assert.equal(needsApproval(restart, ctx({ namespaceLabels: undefined, policies: [lax] }))!.approvals, 1, 'the default for unreadable labels stays');
  });

  it('a namespaced policy applies in its own namespace only', () => {
    const p = compilePolicy({ approvals: 2 }, { name: 'ChatPolicy payments/p', namespace: 'payments' });
    assert.equal(needsApproval(restart, ctx({ namespace: 'payments', policies: [p] }))!.approvals, 2);
    assert.equal(needsApproval(restart, ctx({ policies: [p] }))!.approvals, 0);
  });
});

describe('compilePolicy: bad input applies the safe default where the policy would have applied', () => {
  it('an unknown command: problem named, the policy covers every write, at least one approver', () => {
    const p = compilePolicy({ commands: ['scale', 'frobnicate'], namespaces: ['payments'], approvals: 0 }, { name: 'ClusterChatPolicy bad' });
    assert.deepEqual(p.problems.map((x) => x.path), [['commands', 1]]);
    assert.match(p.problems[0].message, /"frobnicate" is not a command that writes/);
    const r = needsApproval(restart, ctx({ namespace: 'payments', policies: [p] }))!;
    assert.equal(r.approvals, 1);
    assert.equal(r.denyRejects, true);
    assert.match(r.why!, /invalid.*commands\.1/);
    assert.equal(needsApproval(restart, ctx({ namespace: 'demo', policies: [p] }))!.name, 'default', 'its valid namespace matcher still limits it');
  });

  it('a bad selector, glob, count or approver: each named by its field', () => {
    const p = compilePolicy(
      { namespaceSelector: { matchExpressions: [{ key: 'tier', operator: 'Near' as 'In', values: ['x'] }] }, namespaces: ['Bad_NS'], approvals: 99, approvers: { chatUsers: ['bob'] } },
      { name: 'bad' },
    );
    const paths = p.problems.map((x) => x.path.join('.'));
    assert.ok(paths.some((x) => x.startsWith('namespaceSelector.matchExpressions.0')), paths.join(' '));
    assert.ok(paths.includes('namespaces.0'));
    assert.ok(paths.includes('approvals'));
    assert.ok(paths.includes('approvers.chatUsers.0'));
    assert.equal(needsApproval(restart, ctx({ policies: [p] }))!.approvals, 1, 'invalid matchers match everything: the safe default');
  });

  it('a valid policy has no problems', () => {
    assert.deepEqual(compilePolicy({ commands: ['rollout undo'], namespaces: ['prod-*'], approvals: 1 }, { name: 'ok' }).problems, []);
  });
});

describe('mayApprove', () => {
  const alice = { user: { platform: 'slack' as const, id: 'U_A' }, identity: { user: 'alice@example.com', groups: ['dev'] } };
  const bob = { user: { platform: 'slack' as const, id: 'U_B' }, identity: { user: 'bob@example.com', groups: ['sre'] } };
  const carol = { user: { platform: 'telegram' as const, id: '42' }, identity: { user: 'carol@example.com', groups: [] } };
  const open = defaultPolicy(scale(0), { namespace: 'demo', namespaceLabels: {} });

  it('never the requester: not the same chat user, not the same Kubernetes user elsewhere', () => {
    assert.deepEqual(mayApprove(open, alice, alice), { ok: false, reason: 'the requester cannot approve their own request' });
    const aliceOnTelegram = { user: { platform: 'telegram' as const, id: '7' }, identity: alice.identity };
    assert.equal(mayApprove(open, aliceOnTelegram, alice).ok, false);
    assert.deepEqual(mayApprove(open, bob, alice), { ok: true });
  });

  it('listed chat users or groups only, when the policy lists any', () => {
    const sre = { ...open, name: 'config:p', approvers: { groups: ['sre'] } };
    assert.deepEqual(mayApprove(sre, bob, alice), { ok: true });
    const no = mayApprove(sre, carol, alice);
    assert.equal(no.ok, false);
    assert.match(no.ok ? '' : no.reason, /only members of sre may approve under config:p/);
    const users = { ...open, approvers: { chatUsers: ['telegram:42'] } };
    assert.deepEqual(mayApprove(users, carol, alice), { ok: true });
    assert.equal(mayApprove(users, bob, alice).ok, false);
  });
});

describe('chatops.policies in the config file', () => {
  it('takes a policy with its defaults', () => {
    const cfg = parseConfigText('chatops:\n  policies:\n    - name: prod\n      commands: [scale]\n      approvers: {groups: [sre]}\n', 'x');
    assert.deepEqual(cfg.chatops.policies, [{ name: 'prod', commands: ['scale'], namespaces: [], channels: [], approvals: 1, approvers: { chatUsers: [], groups: ['sre'] }, denyRejects: true, expirySeconds: 600, requireReason: false }]);
    assert.equal(cfg.chatops.productionLabel, 'kubeherald.io/production');
  });

  it('refuses an unknown command, a duplicate name and a bad label key, naming the field', () => {
    assert.throws(() => parseConfigText('chatops:\n  policies:\n    - name: p\n      commands: [scael]\n', 'x'), /chatops\.policies\[0\]\.commands\[0\]|commands/);
    assert.throws(() => parseConfigText('chatops:\n  policies:\n    - name: p\n    - name: p\n', 'x'), /already called p/);
    assert.throws(() => parseConfigText('chatops:\n  productionLabel: "not a key"\n', 'x'), /label key/);
  });
});
