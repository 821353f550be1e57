// A namespace being deleted is a cause (issue 19): `kubectl delete ns` on a
// namespace with a crash-looping pod and a Deployment. Chat (the Slack fake)
// gets one new story, the namespace's; the incidents its objects raise while
// it is deleted (the Deployment, kept by an operator's finalizer, losing its
// pods) stay out of chat; Elasticsearch gets every notification, those
// effects marked inhibitedBy the namespace's incident; once the finalizer is
// gone the namespace goes and every incident resolves once. A deletion that
// cannot finish is a story of its own (NamespaceDeletionFailed). Driven by
// kubectl on the simulator, on the simulator's clock.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { type FakeElasticsearch, type StoredDocument, startFakeElasticsearch } from '../fakes/elasticsearch.ts';
import { FakeSlack, type StoredMessage } from '../fakes/slack.ts';
import { Kubectl } from '../helpers/kubectl.ts';
import { startWorld, type World } from './helpers.ts';

const ES_KEY = Buffer.from('e2e:ns-inhibit-key').toString('base64');
const DATA_STREAM = 'kubeherald-events';
const FINALIZER = 'example.com/protect';

let w: World;
let kubectl: Kubectl;
let es: FakeElasticsearch;
let slack: FakeSlack;

/** a crash-looping pod, and a Deployment an operator's finalizer keeps after the namespace deletes it */
const objects = (ns: string): string => `apiVersion: v1
kind: Namespace
metadata: {name: ${ns}}
---
apiVersion: v1
kind: Pod
metadata: {name: worker, namespace: ${ns}, annotations: {sim.kubeherald.io/behavior: crash}}
spec:
  containers: [{name: app, image: ghcr.io/kubeherald/demo-app:1.4.2}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: ${ns}, finalizers: [${FINALIZER}]}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}, annotations: {sim.kubeherald.io/ready-after: "1"}}
    spec:
      containers: [{name: app, image: ghcr.io/kubeherald/demo-app:1.4.2}]`;

/** cluster time passes, a second at a time, until `done` holds (or `maxSeconds` passed) */
async function until(done: () => boolean, maxSeconds: number): Promise<boolean> {
  for (let s = 0; s < maxSeconds; s++) {
    if (done()) return true;
    await w.run(1000);
  }
  return done();
}

interface Doc {
  reason: string;
  action: string;
  kind: string;
  namespace: string;
  name: string;
  incident: string;
  fields: Record<string, string>;
}
const docs = (): Doc[] =>
  es.documents(DATA_STREAM).map((d: StoredDocument) => {
    const s = d._source as {
      event: { reason: string; action: string };
      orchestrator: { namespace?: string; resource: { type: string; name: string } };
      kubeherald: { incident_key: string; fields?: Record<string, string> };
    };
    return { reason: s.event.reason, action: s.event.action, kind: s.orchestrator.resource.type, namespace: s.orchestrator.namespace ?? '', name: s.orchestrator.resource.name, incident: s.kubeherald.incident_key, fields: s.kubeherald.fields ?? {} };
  });
const text = (m: StoredMessage): string => JSON.stringify([m.text, m.attachments, m.blocks]);

before(async () => {
  es = await startFakeElasticsearch({ apiKey: ES_KEY });
  slack = await FakeSlack.start({ channels: [{ id: 'C0ALERTS', name: 'alerts' }] });
  w = await startWorld(
    [
      'cluster: {name: e2e}',
      'detectors: {namespaceTerminating: {failedMinSeconds: 120}}',
      'sinks:',
      `  - {name: slack, type: slack, channel: alerts, apiUrl: '${slack.apiUrl}', tokenFrom: {env: SLACK_BOT_TOKEN}}`,
      `  - {name: es, type: elasticsearch, nodes: ['${es.url}'], dataStream: ${DATA_STREAM}, apiKeyFrom: {env: ES_API_KEY}}`,
      'state: {path: $STATE}',
      'metrics: {listen: "127.0.0.1:0"}',
    ].join('\n'),
    { sim: { nodes: 2 } },
  );
  kubectl = new Kubectl(w.sim.kubeconfig);
  await w.start({ env: { SLACK_BOT_TOKEN: slack.token, ES_API_KEY: ES_KEY } });
});

after(async () => {
  await w?.close();
  await slack?.close();
  await es?.close();
});

/** Applies the namespace's objects and waits for web to be available and worker's crash loop to have reached both sinks. */
async function populated(ns: string): Promise<void> {
  await kubectl.ok(['apply', '-f', '-'], objects(ns));
  const available = async (): Promise<boolean> => (await kubectl.ok(['get', 'deployment', 'web', '-n', ns, '-o', 'jsonpath={.status.availableReplicas}'])) === '2';
  for (let s = 0; s < 120 && !(await available()); s++) await w.run(1000);
  assert.ok(await available(), 'web is available');
  const crashInChat = (): boolean => slack.messages.some((m) => new RegExp(`${ns}/worker`).test(text(m)) && /CrashLoopBackOff/.test(text(m)));
  assert.ok(await until(() => crashInChat() && docs().some((d) => d.namespace === ns && d.reason === 'CrashLoopBackOff'), 120), 'the crash loop reached chat and Elasticsearch before the deletion');
  // the creation's RolloutCompleted and the crash loop's group are out
  await w.run(30_000);
}

test('kubectl delete ns: chat gets the one NamespaceTerminating story, not its objects\' incidents; Elasticsearch gets everything, the effects marked inhibitedBy; everything resolves once', async () => {
  await populated('shop');
  const parentsBefore = slack.parents().length;
  const messagesBefore = slack.messages.length;
  const docsBefore = docs().length;

  await kubectl.ok(['delete', 'namespace', 'shop', '--wait=false']);
  const nsDocs = (action: string): Doc[] => docs().filter((d) => d.kind === 'namespace' && d.name === 'shop' && d.reason === 'NamespaceTerminating' && d.action === action);
  const webDocs = (action: string): Doc[] => docs().filter((d) => d.kind === 'deployment' && d.namespace === 'shop' && d.name === 'web' && d.reason === 'MinimumReplicasUnavailable' && d.action === action);
  const workerFailed = (): Doc[] => docs().filter((d) => d.kind === 'pod' && d.namespace === 'shop' && d.name === 'worker' && d.reason === 'PodFailed');
  // the namespace controller deletes the pods: worker, killed, ends Failed; web, kept by its finalizer, loses its pods and is unavailable for a minute: two effects
  assert.ok(await until(() => nsDocs('firing').length >= 1 && webDocs('firing').length === 1 && workerFailed().length === 1, 180), `Elasticsearch got the namespace's story and web's unavailability: ${docs().slice(docsBefore).map((d) => `${d.action} ${d.reason} ${d.kind}/${d.name}`).join(', ')}`);
  // let any group and update go out
  await w.run(30_000);

  if (process.env.NS_DEBUG) console.log(docs().slice(docsBefore).map((d) => `${d.action} ${d.reason} ${d.kind}/${d.namespace}/${d.name} ${JSON.stringify(d.fields)}`).join('\n'));
  const cause = nsDocs('firing')[0].incident;
  assert.equal(webDocs('firing')[0].fields.inhibitedBy, cause, 'web\'s unavailability is marked inhibitedBy the namespace\'s incident');
  assert.equal(workerFailed()[0].fields.inhibitedBy, cause, 'worker\'s failure is marked inhibitedBy the namespace\'s incident');
  assert.ok(nsDocs('firing').every((d) => d.fields.inhibitedBy === undefined), 'the cause itself is not held');
  assert.match(nsDocs('firing').at(-1)!.fields.explains ?? '', /^2 related notifications held back as its effects$/, 'its latest update says what it explains');

  // chat: one new story, the namespace's; nothing new about its objects (the crash loop chat had seen may only be told resolved)
  const parents = slack.parents().slice(parentsBefore);
  assert.equal(parents.length, 1, `one story in chat, got: ${parents.map(text).join('\n')}`);
  assert.match(text(parents[0]), /Namespace shop is being deleted|Namespace shop is Terminating/);
  const during = slack.messages.slice(messagesBefore).map(text).join('\n');
  assert.doesNotMatch(during, /does not have minimum availability|MinimumReplicasUnavailable|PodFailed|Pod shop\/worker failed/, 'neither web\'s unavailability nor worker\'s failure is in chat, not even in the thread');
  const metrics = await (await fetch(`${w.herald!.metricsUrl()}`)).text();
  const held = Number(/^kubeherald_notifications_held_total\{reason="inhibition",sink="([^"]*slack)"\} (\d+)$/m.exec(metrics)?.[2]);
  assert.ok(held >= 2, `held back from Slack: worker's failure and web's unavailability (${held})`);
  assert.doesNotMatch(metrics, /kubeherald_notifications_held_total\{reason="inhibition",sink="[^"]*es"\}/, 'never for Elasticsearch');

  // the operator's finalizer goes: web is deleted, then the namespace; every incident resolves once
  await kubectl.ok(['patch', 'deployment', 'web', '-n', 'shop', '--type=merge', '-p', '{"metadata":{"finalizers":null}}']);
  const gone = async (): Promise<boolean> => (await kubectl.run(['get', 'namespace', 'shop'])).code !== 0;
  for (let s = 0; s < 120 && !(await gone()); s++) await w.run(1000);
  assert.ok(await gone(), 'the namespace is gone');
  assert.ok(await until(() => nsDocs('resolved').length === 1 && webDocs('resolved').length === 1, 120), 'the namespace and web resolved');
  // past the hold (nothing still fires: nothing is released) and the chat group's interval
  await w.run(330_000, 1000);
  const resolvedOnce = new Map<string, number>();
  for (const d of docs().slice(docsBefore).filter((x) => x.action === 'resolved')) resolvedOnce.set(d.incident, (resolvedOnce.get(d.incident) ?? 0) + 1);
  assert.ok([...resolvedOnce.values()].every((k) => k === 1), `each incident resolved once: ${[...resolvedOnce].join(', ')}`);
  const incidentOf = (reason: string, name: string): string => docs().find((d) => d.reason === reason && d.name === name && (d.namespace === 'shop' || d.kind === 'namespace'))!.incident;
  for (const [reason, name] of [['NamespaceTerminating', 'shop'], ['MinimumReplicasUnavailable', 'web'], ['CrashLoopBackOff', 'worker']]) {
    assert.equal(resolvedOnce.get(incidentOf(reason, name)), 1, `${reason} ${name} resolved once`);
  }
  if (process.env.NS_DEBUG) console.log(slack.messages.slice(messagesBefore).map((m) => `${m.thread_ts ? '  reply' : 'parent'} updates=${m.updates} ${text(m).slice(0, 400)}`).join('\n'));
  assert.equal(nsDocs('resolved')[0].fields.inhibitedBy, undefined);
  assert.equal(slack.parents().slice(parentsBefore).length, 1, 'still one story in chat');
  const afterwards = slack.messages.slice(messagesBefore).map(text).join('\n');
  assert.doesNotMatch(afterwards, /does not have minimum availability|MinimumReplicasUnavailable|PodFailed|Pod shop\/worker failed|releasedFrom|resolved, but this persists/);
  assert.match(afterwards, /namespace shop was deleted/, 'the namespace\'s story says it is gone');
});

test('a deletion that cannot finish (a finalizer nobody removes): NamespaceDeletionFailed is a story of its own after failedMinSeconds, resolved once the namespace is gone', async () => {
  await populated('stuck');
  const parentsBefore = slack.parents().length;
  await kubectl.ok(['delete', 'namespace', 'stuck', '--wait=false']);
  const failed = (action: string): Doc[] => docs().filter((d) => d.kind === 'namespace' && d.name === 'stuck' && d.reason === 'NamespaceDeletionFailed' && d.action === action);
  await w.run(60_000);
  assert.equal(failed('firing').length, 0, 'content remaining for a minute is a deletion in progress');
  assert.ok(await until(() => failed('firing').length === 1, 180), 'content and a finalizer remaining past failedMinSeconds');
  assert.match(JSON.stringify(failed('firing')[0]), /NamespaceFinalizersRemaining|NamespaceContentRemaining/);
  assert.ok(await until(() => slack.parents().slice(parentsBefore).some((m) => /Namespace stuck cannot finish deleting/.test(text(m))), 60), 'chat is told the deletion is stuck');
  assert.ok(slack.parents().slice(parentsBefore).every((m) => !/does not have minimum availability/.test(text(m))), 'web is still held');
  assert.equal(await kubectl.ok(['get', 'namespace', 'stuck', '-o', 'jsonpath={.status.phase}']), 'Terminating');
  const conditions = await kubectl.ok(['get', 'namespace', 'stuck', '-o', 'jsonpath={.status.conditions[?(@.type=="NamespaceFinalizersRemaining")].message}']);
  assert.match(conditions, new RegExp(FINALIZER.replace('.', '\\.')), 'the namespace says which finalizer remains');

  await kubectl.ok(['patch', 'deployment', 'web', '-n', 'stuck', '--type=merge', '-p', '{"metadata":{"finalizers":null}}']);
  assert.ok(await until(() => failed('resolved').length === 1, 120), 'resolved once the namespace is gone');
  assert.match(JSON.stringify(docs().filter((d) => d.name === 'stuck' && d.action === 'resolved')), /NamespaceTerminating/);
});
