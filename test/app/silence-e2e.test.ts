// Silences end to end, on the simulated cluster and its clock, with the
// Slack and Elasticsearch fakes: a silence on a namespace, added with the
// CLI to the running kubeherald's state file. A crash loop there: Slack
// gets nothing, Elasticsearch gets the FIRING marked silencedBy. Another
// crash loop there resolves (its pod deleted) while silenced: Slack never
// hears of it. The silence expires on the clock while the first still
// fires: Slack gets one notification saying so.

import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { after, before, test } from 'node:test';
import { silenceAdd } from '../../src/cli/silence.ts';
import { type FakeElasticsearch, type StoredDocument, startFakeElasticsearch } from '../fakes/elasticsearch.ts';
import { FakeSlack, type StoredMessage } from '../fakes/slack.ts';
import { simClock } from '../helpers/herald.ts';
import { Kubectl } from '../helpers/kubectl.ts';
import { startWorld, type World } from './helpers.ts';

const ES_KEY = Buffer.from('e2e:silence-key').toString('base64');
const DATA_STREAM = 'kubeherald-events';

let w: World;
let kubectl: Kubectl;
let es: FakeElasticsearch;
let slack: FakeSlack;

interface Doc {
  reason: string;
  action: string;
  name: string;
  namespace: string;
  fields: Record<string, string>;
}
const docs = (): Doc[] =>
  es.documents(DATA_STREAM).map((d: StoredDocument) => {
    const s = d._source as { event: { reason: string; action: string }; orchestrator: { namespace?: string; resource: { name: string } }; kubeherald: { fields?: Record<string, string> } };
    return { reason: s.event.reason, action: s.event.action, name: s.orchestrator.resource.name, namespace: s.orchestrator.namespace ?? '', fields: s.kubeherald.fields ?? {} };
  });
const crashDocs = (name: string, action: string): Doc[] => docs().filter((d) => d.reason === 'CrashLoopBackOff' && d.name === name && d.action === action);
const text = (m: StoredMessage): string => JSON.stringify([m.text, m.attachments, m.blocks]);
const shopMessages = (): StoredMessage[] => slack.messages.filter((m) => /crasher|flapper/.test(text(m)));

/** cluster time passes, a second at a time, until `done` holds (or `maxSeconds` passed) */
async function until(done: () => boolean, maxSeconds: number): Promise<boolean> {
  for (let s = 0; s < maxSeconds; s++) {
    if (done()) return true;
    await w.run(1000);
  }
  return done();
}

const crashPod = (name: string): string => `apiVersion: v1
kind: Pod
metadata: {name: ${name}, namespace: shop, annotations: {sim.kubeherald.io/behavior: crash}}
spec:
  containers: [{name: app, image: ghcr.io/kubeherald/demo-app:1.4.2}]`;

before(async () => {
  es = await startFakeElasticsearch({ apiKey: ES_KEY });
  slack = await FakeSlack.start({ channels: [{ id: 'C0ALERTS', name: 'alerts' }] });
  w = await startWorld(
    [
      'cluster: {name: e2e}',
      'sinks:',
      `  - {name: slack, type: slack, channel: alerts, apiUrl: '${slack.apiUrl}', tokenFrom: {env: SLACK_BOT_TOKEN}}`,
      `  - {name: es, type: elasticsearch, nodes: ['${es.url}'], dataStream: ${DATA_STREAM}, apiKeyFrom: {env: ES_API_KEY}}`,
      'state: {path: $STATE}',
      'silences: {refreshSeconds: 5}',
      'metrics: {listen: "127.0.0.1:0"}',
    ].join('\n'),
  );
  kubectl = new Kubectl(w.sim.kubeconfig);
  await w.start({ env: { SLACK_BOT_TOKEN: slack.token, ES_API_KEY: ES_KEY } });
});

after(async () => {
  await w?.close();
  await slack?.close();
  await es?.close();
});

test('a silence on a namespace: chat hears nothing, Elasticsearch gets it marked; when it expires on the clock while the crash loop still fires, chat gets one notification saying so', async () => {
  await kubectl.ok(['create', 'namespace', 'shop']);
  const out = new PassThrough();
  let said = '';
  out.on('data', (d: Buffer) => (said += d.toString()));
  const clock = simClock(w.sim);
  assert.equal(await silenceAdd({ db: w.state, namespace: 'shop', for: '20m', comment: 'migrating shop', author: 'alice' }, { stdout: out, stderr: out, now: () => clock.now().getTime() }), 0, said);
  const id = /silence (s-[0-9a-f]+) added/.exec(said)![1]!;
  // the running kubeherald looks again within refreshSeconds
  await w.run(6000);

  await kubectl.ok(['apply', '-f', '-'], crashPod('crasher'));
  await kubectl.ok(['apply', '-f', '-'], crashPod('flapper'));
  assert.ok(await until(() => crashDocs('crasher', 'firing').length === 1 && crashDocs('flapper', 'firing').length === 1, 300), `Elasticsearch got both crash loops: ${docs().map((d) => `${d.reason} ${d.name} ${d.action}`).join(', ')}`);
  for (const name of ['crasher', 'flapper']) assert.equal(crashDocs(name, 'firing')[0]!.fields.silencedBy, id, `${name}'s FIRING is marked silencedBy`);
  await w.run(15_000);
  assert.deepEqual(shopMessages().map(text), [], 'chat heard nothing of shop');
  const metrics = await (await fetch(w.herald!.metricsUrl()!)).text();
  const held = /^kubeherald_notifications_held_total\{reason="silence",sink="config\/slack"\} (\d+)$/m.exec(metrics);
  assert.ok(held && Number(held[1]) >= 2, `the held notifications are counted: ${held?.[0]}`);
  assert.doesNotMatch(metrics, /kubeherald_notifications_held_total\{[^}]*sink="config\/es"/, 'a record sink holds nothing back');

  // one resolves while silenced
  await kubectl.ok(['delete', 'pod', 'flapper', '-n', 'shop', '--wait=false']);
  assert.ok(await until(() => crashDocs('flapper', 'resolved').length === 1, 120), 'Elasticsearch got the RESOLVED');

  // the silence runs out on the cluster's clock (20 minutes from its start) while crasher still crash-loops
  assert.ok(await until(() => shopMessages().length > 0, 25 * 60), 'chat hears of crasher once the silence ended');
  await w.run(30_000);
  const said2 = shopMessages();
  assert.equal(said2.length, 1, `one notification in chat: ${said2.map(text).join('\n')}`);
  assert.match(text(said2[0]!), /crasher/);
  assert.match(text(said2[0]!), new RegExp(`The silence ${id} ended while this still fires`));
  assert.doesNotMatch(slack.messages.map(text).join('\n'), /flapper/, 'the one that resolved while silenced never reached chat');
  assert.equal(crashDocs('crasher', 'resolved').length, 0, 'crasher still fires');
  assert.equal(w.herald!.store.silences.get(id)?.expiredBy, 'expiry');
});
