// Silences declared as custom resources, end to end on the simulated
// cluster and its clock, with the Slack and Elasticsearch fakes and the real
// kubectl: a Silence applied in shop is Ready and in force; a crash loop
// there reaches Elasticsearch marked silencedBy and not Slack. A Silence
// with a bad matcher or interval is Ready False naming the field and
// silences nothing. Deleting the Silence ends it: the crash loop that still
// fires reaches Slack once, saying the silence ended.

import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { type FakeElasticsearch, type StoredDocument, startFakeElasticsearch } from '../fakes/elasticsearch.ts';
import { FakeSlack, type StoredMessage } from '../fakes/slack.ts';
import { Kubectl } from '../helpers/kubectl.ts';
import { startWorld, type World } from './helpers.ts';

const CRD_DIR = join(import.meta.dirname, '..', '..', 'deploy', 'crds');
const ES_KEY = Buffer.from('e2e:silence-crd').toString('base64');
const DATA_STREAM = 'kubeherald-events';

let w: World;
let kubectl: Kubectl;
let es: FakeElasticsearch;
let slack: FakeSlack;

interface Doc {
  reason: string;
  action: string;
  name: string;
  fields: Record<string, string>;
}
const docs = (): Doc[] =>
  es.documents(DATA_STREAM).map((d: StoredDocument) => {
    const s = d._source as { event: { reason: string; action: string }; orchestrator: { resource: { name: string } }; kubeherald: { fields?: Record<string, string> } };
    return { reason: s.event.reason, action: s.event.action, name: s.orchestrator.resource.name, fields: s.kubeherald.fields ?? {} };
  });
const crashDocs = (name: string, action: string): Doc[] => docs().filter((d) => d.reason === 'CrashLoopBackOff' && d.name === name && d.action === action);
const text = (m: StoredMessage): string => JSON.stringify([m.text, m.attachments, m.blocks]);
const about = (name: string): StoredMessage[] => slack.messages.filter((m) => text(m).includes(name));

async function until(done: () => boolean | Promise<boolean>, maxSeconds: number): Promise<boolean> {
  for (let s = 0; s < maxSeconds; s++) {
    if (await done()) return true;
    await w.run(1000);
  }
  return done();
}

const crashPod = (name: string, ns: string): string => `apiVersion: v1
kind: Pod
metadata: {name: ${name}, namespace: ${ns}, annotations: {sim.kubeherald.io/behavior: crash}}
spec:
  containers: [{name: app, image: ghcr.io/kubeherald/demo-app:1.4.2}]`;

const condition = async (kind: string, ns: string, name: string, type: string): Promise<{ status?: string; reason?: string; message?: string }> => {
  const r = await kubectl.run(['get', kind, name, ...(ns ? ['-n', ns] : []), '-o', 'json']);
  if (r.code !== 0) return {};
  const obj = JSON.parse(r.stdout) as { status?: { conditions?: { type: string; status: string; reason: string; message: string }[] } };
  return obj.status?.conditions?.find((c) => c.type === type) ?? {};
};

before(async () => {
  es = await startFakeElasticsearch({ apiKey: ES_KEY });
  slack = await FakeSlack.start({ channels: [{ id: 'C0ALERTS', name: 'alerts' }] });
  w = await startWorld(
    [
      'cluster: {name: e2e}',
      'sinks:',
      `  - {name: slack, type: slack, channel: alerts, apiUrl: '${slack.apiUrl}', tokenFrom: {env: SLACK_BOT_TOKEN}}`,
      `  - {name: es, type: elasticsearch, nodes: ['${es.url}'], dataStream: ${DATA_STREAM}, apiKeyFrom: {env: ES_API_KEY}}`,
      'customResources: {enabled: true}',
      'state: {path: $STATE}',
    ].join('\n'),
  );
  kubectl = new Kubectl(w.sim.kubeconfig);
  await kubectl.ok(['apply', '-k', CRD_DIR]);
  await kubectl.ok(['create', 'namespace', 'shop']);
  await kubectl.ok(['create', 'namespace', 'other']);
  await w.start({ env: { SLACK_BOT_TOKEN: slack.token, ES_API_KEY: ES_KEY } });
});

after(async () => {
  await w?.close();
  await slack?.close();
  await es?.close();
});

test('a Silence applied with kubectl: Ready, chat hears nothing of its namespace, Elasticsearch gets it marked; deleting it releases what still fires', async () => {
  await kubectl.ok(
    ['apply', '-f', '-'],
    `apiVersion: kubeherald.io/v1alpha1
kind: Silence
metadata: {name: maintenance, namespace: shop, annotations: {kubeherald.io/author: alice@example.com}}
spec:
  matchers: {reason: CrashLoopBackOff}
  duration: 2h
  comment: migrating shop`,
  );
  assert.ok(await until(async () => (await condition('silence', 'shop', 'maintenance', 'Ready')).status === 'True', 30), 'Ready True');
  const ready = await condition('silence', 'shop', 'maintenance', 'Ready');
  assert.match(ready.message ?? '', /namespace=shop reason=CrashLoopBackOff/);
  assert.equal((await condition('silence', 'shop', 'maintenance', 'Expired')).status, 'False');
  const table = await kubectl.ok(['get', 'silences', '-n', 'shop']);
  assert.match(table, /maintenance\s+True\s+False/);
  const silence = w.herald!.store.silences.list().find((s) => s.source === 'resource');
  assert.ok(silence, 'the silence is stored');
  assert.equal(silence.id, 'cr:shop/maintenance.g1');
  assert.equal(silence.createdBy, 'alice@example.com');
  assert.equal(silence.endsAt - silence.startsAt, 2 * 3600_000);

  await kubectl.ok(['apply', '-f', '-'], crashPod('crasher', 'shop'));
  await kubectl.ok(['apply', '-f', '-'], crashPod('loud', 'other'));
  assert.ok(await until(() => crashDocs('crasher', 'firing').length === 1 && about('loud').length > 0, 300), `Elasticsearch got crasher, Slack got loud: ${docs().map((d) => `${d.reason} ${d.name} ${d.action}`).join(', ')}`);
  assert.equal(crashDocs('crasher', 'firing')[0]!.fields.silencedBy, silence.id, 'marked silencedBy');
  await w.run(10_000);
  assert.deepEqual(about('crasher').map(text), [], 'chat heard nothing of crasher');

  // an edit is a new silence (generation 2) that holds on to what the old one held: still nothing in chat
  await kubectl.ok(['patch', 'silence', 'maintenance', '-n', 'shop', '--type=merge', '-p', '{"spec":{"comment":"migrating shop, longer"}}']);
  const edited = 'cr:shop/maintenance.g2';
  assert.ok(await until(() => w.herald!.store.silences.list().some((s) => s.id === edited), 30), 'the edit is in force');
  assert.ok(w.herald!.store.silences.get(silence.id)!.expiredAt !== undefined, 'the old one ended');
  await w.run(10_000);
  assert.deepEqual(about('crasher').map(text), [], 'chat still heard nothing of crasher');
  const holders = w.herald!.outbox.held().map((r) => r.holderId);
  assert.ok(holders.includes(edited) && !holders.includes(silence.id), `held by the edited silence now: ${holders.join(', ')}`);

  // deleting it ends the silence: crasher still fires, so chat hears of it once
  await kubectl.ok(['delete', 'silence', 'maintenance', '-n', 'shop']);
  assert.ok(await until(() => about('crasher').length > 0, 60), 'chat hears of crasher once the Silence is deleted');
  await w.run(10_000);
  assert.equal(about('crasher').length, 1, about('crasher').map(text).join('\n'));
  assert.match(text(about('crasher')[0]!), new RegExp(`silence ${edited.replace(/[./]/g, '\\$&')} ended while this still fires`, 'i'));
  assert.ok(w.herald!.store.silences.get(edited)!.expiredAt !== undefined, 'ended in the store');
});

test('a Silence with a bad matcher or interval is Ready False naming the field, and silences nothing', async () => {
  await kubectl.ok(
    ['apply', '-f', '-'],
    `apiVersion: kubeherald.io/v1alpha1
kind: Silence
metadata: {name: bad-cel, namespace: other}
spec:
  matchers: {cel: 'reason ==== "x"'}
  duration: 1h
  comment: broken
---
apiVersion: kubeherald.io/v1alpha1
kind: Silence
metadata: {name: bad-interval, namespace: other}
spec:
  matchers: {reason: CrashLoopBackOff}
  duration: two hours
  comment: broken
---
apiVersion: kubeherald.io/v1alpha1
kind: ClusterSilence
metadata: {name: everything}
spec:
  duration: 1h
  comment: no matcher`,
  );
  const notReady = async (kind: string, ns: string, name: string) => {
    let c = {} as Awaited<ReturnType<typeof condition>>;
    assert.ok(await until(async () => (c = await condition(kind, ns, name, 'Ready')).status === 'False', 30), `${name} Ready False`);
    assert.equal(c.reason, 'InvalidSpec');
    return c.message ?? '';
  };
  assert.match(await notReady('silence', 'other', 'bad-cel'), /^spec\.matchers\.cel: /);
  assert.match(await notReady('silence', 'other', 'bad-interval'), /^spec\.duration: expected a duration/);
  assert.match(await notReady('clustersilence', '', 'everything'), /^spec\.matchers: no matcher[\s\S]*spec\.force/);
  const ids = w.herald!.store.silences.list().map((s) => s.id);
  assert.ok(!ids.some((id) => /bad-|everything/.test(id)), `nothing stored for them: ${ids.join(', ')}`);
});

test('a Silence ends on the cluster’s clock: Expired turns True, and the silence is ended in the store', async () => {
  await kubectl.ok(
    ['apply', '-f', '-'],
    `apiVersion: kubeherald.io/v1alpha1
kind: Silence
metadata: {name: short, namespace: other}
spec:
  matchers: {kind: Pod}
  duration: 2m
  comment: a short one`,
  );
  assert.ok(await until(async () => (await condition('silence', 'other', 'short', 'Ready')).status === 'True', 30), 'Ready True');
  assert.equal((await condition('silence', 'other', 'short', 'Expired')).status, 'False');
  // two minutes of cluster time, then it turns at the next look (kubectl is asked only then: it is the slow part)
  await w.run(120_000, 5000);
  assert.ok(await until(async () => (await condition('silence', 'other', 'short', 'Expired')).status === 'True', 30), 'Expired True after two minutes of cluster time');
  const s = w.herald!.store.silences.get('cr:other/short.g1');
  assert.ok(s?.expiredAt !== undefined, 'ended in the store');
  assert.ok(!w.herald!.store.silences.list().some((x) => x.id === s.id), 'no longer listed as open');
});
