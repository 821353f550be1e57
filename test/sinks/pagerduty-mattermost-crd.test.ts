// PagerDuty and Mattermost as Sink / ClusterSink custom resources: what the
// Sink schema admits for them and the config entry each maps onto, both
// derived from their registry descriptors — credentials only as {env}
// references, their values in the private env map, problems named by the
// custom resource's field.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { credentialEnvName, sinkConfigFromResolved, sinkNameFor } from '../../src/app/crd-sinks.ts';
import type { ResolvedSink } from '../../src/crd/controller.ts';
import { deliveryOf, sinkSpecSchema } from '../../src/crd/schemas.ts';
import type { Credentials } from '../../src/crd/secrets.ts';
import { egressPolicy } from '../../src/sinks/egress.ts';
import { createSink } from '../../src/sinks/index.ts';
import { SinkError } from '../../src/sinks/types.ts';
import { crashLoop } from './crash-loop.ts';

function resolved(id: string, spec: unknown, credentials: Credentials = {}): ResolvedSink {
  const parsed = sinkSpecSchema.parse(spec);
  const [kind, a, b] = id.split('/') as ['Sink' | 'ClusterSink', string, string | undefined];
  return { id, kind, name: b ?? a, ...(b ? { namespace: a } : {}), spec: parsed, delivery: deliveryOf(parsed), credentials };
}

const ref = (key: string) => ({ secretKeyRef: { name: 'creds', key } });
const KEY = 'R0ut1ngK3yF0rTh3K8sServ1ce000001';

function problems(spec: unknown): string[] {
  const r = sinkSpecSchema.safeParse(spec);
  return r.success ? [] : r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
}

describe('a pagerduty Sink', () => {
  it('maps its integration key (credentials.token) to routingKeyFrom, target.url to the endpoint', () => {
    const r = resolved('ClusterSink/oncall', { type: 'pagerduty', target: { url: 'https://events.eu.pagerduty.com/v2/enqueue' }, credentials: { token: ref('key') } }, { token: KEY });
    const m = sinkConfigFromResolved(r);
    if (!m.ok) return assert.fail(JSON.stringify(m.problems));
    const v = credentialEnvName(r.id, 'token');
    assert.deepEqual(m.config, {
      name: sinkNameFor(r),
      type: 'pagerduty',
      routingKeyFrom: { env: v },
      url: 'https://events.eu.pagerduty.com/v2/enqueue',
      severities: { critical: 'critical', warning: 'warning', info: 'info', unknown: 'error' },
      sendResolved: true,
      clientUrl: '',
      timeoutSeconds: 10,
    });
    assert.deepEqual(m.env, { [v]: KEY });
    assert.equal(JSON.stringify(m.config).includes(KEY), false);
  });

  it('without target.url pages PagerDuty itself, and starts from the mapped config and env alone', async () => {
    const r = resolved('Sink/shop/pager', { type: 'pagerduty', credentials: { token: ref('key') } }, { token: KEY });
    const m = sinkConfigFromResolved(r);
    if (!m.ok) return assert.fail(JSON.stringify(m.problems));
    assert.equal((m.config as { url: string }).url, 'https://events.pagerduty.com/v2/enqueue');
    const sink = await createSink(m.config, { env: m.env });
    assert.equal(sink.type, 'pagerduty');
    await sink.close();
  });

  it("a namespaced Sink's endpoint must pass the egress policy: a private address is refused, permanently, before the key is sent", async () => {
    const r = resolved('Sink/shop/pager', { type: 'pagerduty', target: { url: 'http://10.0.0.7/v2/enqueue' }, credentials: { token: ref('key') } }, { token: KEY });
    const m = sinkConfigFromResolved(r);
    if (!m.ok) return assert.fail(JSON.stringify(m.problems));
    const sink = await createSink(m.config, { env: m.env, egress: egressPolicy({ allow: [] }) });
    await assert.rejects(sink.send(crashLoop()), (err: unknown) => err instanceof SinkError && err.kind === 'permanent' && /refused by the egress policy/.test(err.message) && !err.message.includes(KEY));
    await sink.close();
  });

  it('needs the key, and takes no channel or webhook URL', () => {
    assert.deepEqual(problems({ type: 'pagerduty' }), ['credentials.token: required for a pagerduty sink']);
    assert.deepEqual(problems({ type: 'pagerduty', target: { channel: '#x' }, credentials: { token: ref('k'), webhookUrl: ref('u') } }), [
      'target.channel: not used by a pagerduty sink',
      'credentials.webhookUrl: not used by a pagerduty sink',
    ]);
  });
});

describe('a mattermost Sink', () => {
  it('maps its webhook URL to urlFrom and target.channel to channel', () => {
    const r = resolved('Sink/shop/team-chat', { type: 'mattermost', target: { channel: 'ops-alerts' }, credentials: { webhookUrl: ref('url') } }, { webhookUrl: 'https://chat.example.com/hooks/k3y' });
    const m = sinkConfigFromResolved(r);
    if (!m.ok) return assert.fail(JSON.stringify(m.problems));
    const v = credentialEnvName(r.id, 'webhookUrl');
    assert.deepEqual(m.config, { name: sinkNameFor(r), type: 'mattermost', urlFrom: { env: v }, channel: 'ops-alerts', username: '', iconUrl: '', timeoutSeconds: 10 });
    assert.deepEqual(m.env, { [v]: 'https://chat.example.com/hooks/k3y' });
  });

  it('names the Sink’s fields for what its schema refuses, never the value', () => {
    const notUrl = sinkConfigFromResolved(resolved('Sink/shop/c', { type: 'mattermost', credentials: { webhookUrl: ref('url') } }, { webhookUrl: 'k3y-not-a-url' }));
    assert.equal(notUrl.ok, false);
    assert.equal(JSON.stringify(notUrl).includes('k3y-not-a-url'), false);
    assert.deepEqual(!notUrl.ok && notUrl.problems.map((p) => p.field), ['spec.credentials.webhookUrl.secretKeyRef']);
    const badChannel = sinkConfigFromResolved(resolved('Sink/shop/c', { type: 'mattermost', target: { channel: 'two words' }, credentials: { webhookUrl: ref('url') } }, { webhookUrl: 'https://chat.example.com/hooks/k' }));
    assert.deepEqual(!badChannel.ok && badChannel.problems.map((p) => p.field), ['spec.target.channel']);
    assert.deepEqual(problems({ type: 'mattermost' }), ['credentials.webhookUrl: required for a mattermost sink']);
  });
});
