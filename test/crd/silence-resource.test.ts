import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkSilence, desiredSilenceStatus, silenceStatusUpToDate } from '../../src/crd/silence-resource.ts';
import type { KubeObject } from '../../src/model/kube.ts';

const T0 = Date.parse('2026-12-07T10:00:00Z');

function obj(spec: unknown, meta: Partial<KubeObject['metadata']> = {}): KubeObject {
  return { apiVersion: 'kubeherald.io/v1alpha1', kind: 'Silence', metadata: { name: 'm', namespace: 'shop', generation: 1, creationTimestamp: new Date(T0).toISOString(), ...meta }, spec } as KubeObject;
}

describe('checkSilence', () => {
  it('a Silence silences its own namespace only, from its creation for its duration; the author from the annotation, else the resource', () => {
    const c = checkSilence('Silence', obj({ matchers: { reason: 'CrashLoopBackOff', labels: { app: 'web' } }, duration: '2h', comment: 'migrating' }));
    assert.deepEqual(c.problems, []);
    assert.deepEqual(c.silence?.matchers, { namespace: 'shop', reason: 'CrashLoopBackOff', labels: { app: 'web' } });
    assert.equal(c.silence?.startsAt, T0);
    assert.equal(c.silence?.endsAt, T0 + 2 * 3600_000);
    assert.equal(c.silence?.author, 'resource:shop/m');
    assert.equal(c.silence?.id, 'cr:shop/m');
    const a = checkSilence('Silence', obj({ duration: '1h' }, { annotations: { 'kubeherald.io/author': 'alice@corp' } }));
    assert.equal(a.silence?.author, 'alice@corp');
    assert.equal(a.silence?.comment, 'Silence shop/m', 'a comment by default: the model requires one');
    const heard = checkSilence('Silence', obj({ duration: '1h' }), { creator: 'bob@corp' });
    assert.equal(heard.silence?.author, 'bob@corp (resource:shop/m)', 'the creator the audit feed saw');
    const both = checkSilence('Silence', obj({ duration: '1h' }, { annotations: { 'kubeherald.io/author': 'alice@corp' } }), { creator: 'bob@corp' });
    assert.equal(both.silence?.author, 'alice@corp', 'the annotation wins');
  });

  it('a Silence cannot name another namespace (unknown field); a ClusterSilence may, or none with force', () => {
    const c = checkSilence('Silence', obj({ matchers: { namespace: 'kube-system' }, duration: '1h' }));
    assert.deepEqual(c.problems.map((p) => p.field), ['spec.matchers.namespace']);
    assert.equal(c.silence, undefined);
    const cl = checkSilence('ClusterSilence', obj({ matchers: { namespace: 'kube-system', kind: 'Node' }, startsAt: '2026-12-07T12:00:00Z', endsAt: '2026-12-07T14:00:00Z' }, { namespace: undefined }));
    assert.deepEqual(cl.problems, []);
    assert.deepEqual(cl.silence?.matchers, { namespace: 'kube-system', kind: 'Node' });
    assert.equal(cl.silence?.id, 'cr:m');
    assert.equal(cl.silence?.startsAt, Date.parse('2026-12-07T12:00:00Z'));
    const none = checkSilence('ClusterSilence', obj({ duration: '1h' }, { namespace: undefined }));
    assert.equal(none.problems[0]?.field, 'spec.matchers');
    assert.match(none.problems[0]!.message, /spec\.force: true/);
    assert.ok(checkSilence('ClusterSilence', obj({ duration: '1h', force: true }, { namespace: undefined })).silence);
  });

  it('bad intervals and matchers name the field and make no silence', () => {
    const field = (spec: unknown): string[] => checkSilence('Silence', obj(spec)).problems.map((p) => p.field);
    assert.deepEqual(field({ duration: 'two hours' }), ['spec.duration']);
    assert.deepEqual(field({ endsAt: 'tomorrow' }), ['spec.endsAt']);
    assert.deepEqual(field({ startsAt: '2026-12-07T12:00:00Z', endsAt: '2026-12-07T11:00:00Z' }), ['spec.endsAt']);
    assert.deepEqual(field({ endsAt: '2026-12-07T12:00:00Z', duration: '1h' }), ['spec.duration']);
    assert.deepEqual(field({}), ['spec.endsAt']);
    assert.deepEqual(field({ duration: '1h', matchers: { cel: 'reason ==== 1' } }), ['spec.matchers.cel']);
    assert.deepEqual(field({ duration: '1h', matchers: { labels: {} } }), ['spec.matchers.labels']);
    assert.deepEqual(field({ duration: '1h', bogus: true }), ['spec.bogus']);
    assert.deepEqual(field({ duration: '30d' }), ['spec.duration'], 'longer than the maximum');
    assert.deepEqual(field({ duration: '30d', force: true }), []);
  });

  it('status: Ready True with what it silences, Expired once it ended; Ready False naming the field; no rewrite when up to date', () => {
    const ok = checkSilence('Silence', obj({ matchers: { reason: 'BackOff' }, duration: '1h', comment: 'x' }));
    const during = desiredSilenceStatus(ok, new Date(T0 + 60_000));
    assert.deepEqual(during.conditions.map((c) => [c.type, c.status, c.reason]), [['Ready', 'True', 'Accepted'], ['Expired', 'False', 'Active']]);
    assert.equal(during.endsAt, '2026-12-07T11:00:00Z');
    const afterwards = desiredSilenceStatus(ok, new Date(T0 + 3600_000));
    assert.deepEqual(afterwards.conditions.map((c) => [c.type, c.status, c.reason]), [['Ready', 'True', 'Accepted'], ['Expired', 'True', 'Expired']]);
    const byHand = desiredSilenceStatus(ok, new Date(T0 + 120_000), T0 + 60_000);
    assert.deepEqual(byHand.conditions[1]!.status, 'True');
    assert.match(byHand.conditions[1]!.message, /ended at 2026-12-07T10:01:00Z \(by hand\)/);
    const bad = desiredSilenceStatus(checkSilence('Silence', obj({ duration: 'soon' })), new Date(T0));
    assert.equal(bad.conditions[0]!.status, 'False');
    assert.match(bad.conditions[0]!.message, /^spec\.duration: .*It matches nothing until this is fixed/);
    const written = { ...ok.obj, status: during };
    assert.ok(silenceStatusUpToDate(written, desiredSilenceStatus({ ...ok, obj: written }, new Date(T0 + 120_000))));
    assert.ok(!silenceStatusUpToDate(written, afterwards));
  });
});
