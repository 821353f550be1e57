// Issue 19's first "done when": a node carrying 25 pods of one Deployment
// stops posting status. Chat (the Slack fake) gets one story, the node's,
// naming the 25 pods; Elasticsearch (a record sink) gets every notification,
// the node's effects marked inhibitedBy the node's incident; the node comes
// back and every incident resolves once. Then a cause that resolves while an
// effect persists: after the hold, that effect notifies chat on its own.
// Driven by kubectl on the simulator, on the simulator's clock.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { setNodeReady } from '../../src/sim/controllers/nodes.ts';
import { type FakeElasticsearch, type StoredDocument, startFakeElasticsearch } from '../fakes/elasticsearch.ts';
import { FakeSlack, type StoredMessage } from '../fakes/slack.ts';
import { Kubectl } from '../helpers/kubectl.ts';
import { startWorld, type World } from './helpers.ts';

const ES_KEY = Buffer.from('e2e:inhibit-key').toString('base64');
const DATA_STREAM = 'kubeherald-events';
const NODE = 'sim-node-2';

let w: World;
let kubectl: Kubectl;
let es: FakeElasticsearch;
let slack: FakeSlack;

const deployment = (name: string, replicas: number): string => `apiVersion: apps/v1
kind: Deployment
metadata: {name: ${name}, namespace: default}
spec:
  replicas: ${replicas}
  selector: {matchLabels: {app: ${name}}}
  template:
    metadata: {labels: {app: ${name}}, annotations: {sim.kubeherald.io/ready-after: "1"}}
    spec:
      nodeSelector: {kubernetes.io/hostname: ${NODE}}
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
  name: string;
  incident: string;
  fields: Record<string, string>;
}
const docs = (): Doc[] =>
  es.documents(DATA_STREAM).map((d: StoredDocument) => {
    const s = d._source as { event: { reason: string; action: string }; orchestrator: { resource: { type: string; name: string } }; kubeherald: { incident_key: string; fields?: Record<string, string> } };
    return { reason: s.event.reason, action: s.event.action, kind: s.orchestrator.resource.type, name: s.orchestrator.resource.name, incident: s.kubeherald.incident_key, fields: s.kubeherald.fields ?? {} };
  });
const text = (m: StoredMessage): string => JSON.stringify([m.text, m.attachments, m.blocks]);

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
      'metrics: {listen: "127.0.0.1:0"}',
    ].join('\n'),
    { sim: { nodes: 3 } },
  );
  kubectl = new Kubectl(w.sim.kubeconfig);
  await w.start({ env: { SLACK_BOT_TOKEN: slack.token, ES_API_KEY: ES_KEY } });
});

after(async () => {
  await w?.close();
  await slack?.close();
  await es?.close();
});

test('a node with 25 pods of one Deployment goes NotReady: one story in chat naming the node and the 25 pods, every notification in Elasticsearch, the effects marked; everything resolves once', async () => {
  await kubectl.ok(['apply', '-f', '-'], deployment('fleet', 25));
  const ready = async (): Promise<boolean> => (await kubectl.ok(['get', 'deployment', 'fleet', '-o', 'jsonpath={.status.availableReplicas}'])) === '25';
  for (let s = 0; s < 120 && !(await ready()); s++) await w.run(1000);
  assert.ok(await ready(), 'the 25 pods are available on the node');
  // the rollout's own story (RolloutCompleted) is out before the node goes
  assert.ok(await until(() => slack.parents().some((m) => /RolloutCompleted/.test(text(m))), 60));
  const before = slack.parents().length;

  setNodeReady(w.sim.ctx, NODE, false);
  const podDocs = (action: string): Doc[] => docs().filter((d) => d.kind === 'pod' && d.reason === 'PodNotReady' && d.action === action);
  const deployDocs = (action: string): Doc[] => docs().filter((d) => d.kind === 'deployment' && d.reason === 'MinimumReplicasUnavailable' && d.action === action);
  assert.ok(await until(() => podDocs('firing').length === 25 && deployDocs('firing').length === 1, 240), `Elasticsearch got the 25 PodNotReady and the Deployment's: ${docs().map((d) => `${d.reason} ${d.kind}/${d.name}`).join(', ')}`);
  // let any group and update go out
  await w.run(30_000, 1000);

  const nodeDocs = docs().filter((d) => d.kind === 'node' && d.reason === 'NodeNotReady');
  assert.ok(nodeDocs.length >= 1);
  const cause = nodeDocs[0].incident;
  for (const d of [...podDocs('firing'), ...deployDocs('firing')]) assert.equal(d.fields.inhibitedBy, cause, `${d.kind}/${d.name} is marked inhibitedBy the node's incident`);
  assert.ok(nodeDocs.every((d) => d.fields.inhibitedBy === undefined), 'the cause itself is not held');
  assert.match(nodeDocs.at(-1)!.fields.explains ?? '', /25 pods of default\/fleet affected on this node/);

  // chat: one new message, the node's, naming it and its 25 pods; nothing about the pods or the Deployment
  const parents = slack.parents().slice(before);
  assert.equal(parents.length, 1, `one story in chat, got: ${parents.map(text).join('\n')}`);
  assert.match(text(parents[0]), new RegExp(NODE));
  assert.match(text(parents[0]), /25 pods of default\/fleet affected on this node/);
  const all = slack.messages.slice(before).map(text).join('\n');
  // the held-back count says why: inhibition, for the chat sink only
  const metrics = await (await fetch(`${w.herald!.metricsUrl()}`)).text();
  const held = Number(/^kubeherald_notifications_held_total\{reason="inhibition",sink="([^"]*slack)"\} (\d+)$/m.exec(metrics)?.[2]);
  assert.ok(held >= 26, `held back from Slack: the 25 pods and the Deployment (${held})`);
  assert.doesNotMatch(metrics, /kubeherald_notifications_held_total\{reason="inhibition",sink="[^"]*es"\}/, 'never for Elasticsearch');
  assert.doesNotMatch(all, /PodNotReady|has not been ready since|does not have minimum availability/, 'no pod or Deployment message, not even in the thread');

  // the node comes back: every incident resolves once in Elasticsearch; in chat the node's story resolves, nothing else is said
  setNodeReady(w.sim.ctx, NODE, true);
  assert.ok(await until(() => podDocs('resolved').length === 25 && deployDocs('resolved').length === 1 && docs().some((d) => d.kind === 'node' && d.action === 'resolved'), 240), 'everything resolved');
  // past the hold (nothing is released: nothing still fires) and the chat group's interval (its update goes out)
  await w.run(330_000, 1000);
  const resolvedOnce = (ds: Doc[]): void => {
    const by = new Map<string, number>();
    for (const d of ds) by.set(d.incident, (by.get(d.incident) ?? 0) + 1);
    assert.ok([...by.values()].every((k) => k === 1), 'each incident resolved once');
  };
  resolvedOnce(podDocs('resolved'));
  resolvedOnce(deployDocs('resolved'));
  assert.equal(docs().filter((d) => d.kind === 'node' && d.action === 'resolved').length, 1);
  assert.equal(slack.parents().slice(before).length, 1, 'still one story in chat');
  const after = slack.messages.slice(before).map(text).join('\n');
  assert.doesNotMatch(after, /PodNotReady|has not been ready since|does not have minimum availability|releasedFrom/);
  if (process.env.INH_DEBUG) console.log(slack.messages.slice(before).map((m) => `${m.thread_ts ? '  reply' : 'parent'} updates=${m.updates} ${text(m).slice(0, 400)}`).join('\n'));
  assert.match(after, /Ready again/, 'the node\'s story says it recovered');
});

test('the node comes back while one of its pods stays NotReady: after the hold, that pod notifies chat on its own', async () => {
  // never ready, so its PodNotReady fires (after podNotReady.minSeconds) while the node is down: an effect
  await kubectl.ok(
    ['apply', '-f', '-'],
    `apiVersion: v1
kind: Pod
metadata: {name: stuck, namespace: default, annotations: {sim.kubeherald.io/behavior: never-ready}}
spec:
  nodeSelector: {kubernetes.io/hostname: ${NODE}}
  containers: [{name: app, image: ghcr.io/kubeherald/demo-app:1.4.2}]`,
  );
  await w.run(2000);
  const before = slack.messages.length;
  setNodeReady(w.sim.ctx, NODE, false);
  const stuck = (action: string): Doc[] => docs().filter((d) => d.kind === 'pod' && d.name === 'stuck' && d.reason === 'PodNotReady' && d.action === action);
  const nodeFirings = (): Doc[] => docs().filter((d) => d.kind === 'node' && d.action === 'firing');
  const firstCause = nodeFirings().length;
  assert.ok(await until(() => stuck('firing').length === 1, 180), 'the stuck pod\'s NotReady reached Elasticsearch');
  const cause = nodeFirings().at(-1)!.incident;
  assert.ok(nodeFirings().length > firstCause, 'the node fired again');
  assert.equal(stuck('firing')[0].fields.inhibitedBy, cause, 'held back from chat as the node\'s effect');
  const stuckInChat = (): StoredMessage[] => slack.messages.slice(before).filter((m) => /default\/stuck/.test(text(m)) && /PodNotReady|has not been ready/.test(text(m)));
  assert.equal(stuckInChat().length, 0, 'not in chat while the node is down');

  setNodeReady(w.sim.ctx, NODE, true);
  assert.ok(await until(() => docs().filter((d) => d.kind === 'node' && d.action === 'resolved').length === 2, 60), 'the node resolved');
  // within the hold the pod is still kept out of chat; after it (60 s) and the chat group's wait, it notifies on its own
  await w.run(30_000);
  assert.equal(stuckInChat().length, 0, 'held during the hold');
  assert.ok(await until(() => stuckInChat().length > 0, 180), 'the pod that still fires notified chat on its own');
  assert.match(text(stuckInChat()[0]), new RegExp(`Its cause \\(NodeNotReady node/${NODE}\\) resolved, but this persists`), 'it says why it comes now, naming the node');
  assert.doesNotMatch(text(stuckInChat()[0]), /Its cause \(node\//, 'not by its incident key');
  assert.equal(stuck('resolved').length, 0, 'it still fires');
});

test('kubeherald restarts while the node is down: the cause and what it holds are restored, and what still fires is released after the node is back', async () => {
  await kubectl.ok(
    ['apply', '-f', '-'],
    `apiVersion: v1
kind: Pod
metadata: {name: stuck-two, namespace: default, annotations: {sim.kubeherald.io/behavior: never-ready}}
spec:
  nodeSelector: {kubernetes.io/hostname: ${NODE}}
  containers: [{name: app, image: ghcr.io/kubeherald/demo-app:1.4.2}]`,
  );
  await w.run(2000);
  const before = slack.messages.length;
  setNodeReady(w.sim.ctx, NODE, false);
  const stuck = (action: string): Doc[] => docs().filter((d) => d.kind === 'pod' && d.name === 'stuck-two' && d.reason === 'PodNotReady' && d.action === action);
  assert.ok(await until(() => stuck('firing').length === 1, 180), 'the pod\'s NotReady reached Elasticsearch');
  assert.ok(stuck('firing')[0].fields.inhibitedBy, 'held back as the node\'s effect');
  const inChat = (): StoredMessage[] => slack.messages.slice(before).filter((m) => /default\/stuck-two/.test(text(m)));

  await w.stop();
  await w.start({ env: { SLACK_BOT_TOKEN: slack.token, ES_API_KEY: ES_KEY } });
  await w.run(20_000);
  assert.equal(inChat().length, 0, 'still held after the restart');
  setNodeReady(w.sim.ctx, NODE, true);
  await w.run(30_000);
  assert.equal(inChat().length, 0, 'held during the hold');
  assert.ok(await until(() => inChat().length > 0, 180), 'released to chat once the hold passed');
});

test('a rollout whose new pods cannot pull: one rollout story in chat, its other pods and the stuck rollout held (in Elasticsearch, marked); the rollback ends it', async () => {
  await kubectl.ok(
    ['apply', '-f', '-'],
    `apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: default}
spec:
  replicas: 8
  progressDeadlineSeconds: 60
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}, annotations: {sim.kubeherald.io/ready-after: "1"}}
    spec:
      containers: [{name: app, image: ghcr.io/kubeherald/demo-app:1.4.2}]`,
  );
  assert.ok(await until(() => slack.parents().some((m) => /RolloutCompleted/.test(text(m)) && /default\/web/.test(text(m))), 120), 'the creation rolled out');
  const before = slack.parents().length;
  const messagesBefore = slack.messages.length;
  // what the earlier tests left waiting in groups is not about web
  const aboutWeb = (m: StoredMessage): boolean => /default\/web/.test(text(m));
  await kubectl.ok(['set', 'image', 'deployment/web', 'app=ghcr.io/kubeherald/demo-app:does-not-exist']);
  const pulls = (action: string): Doc[] => docs().filter((d) => d.kind === 'pod' && d.name.startsWith('web-') && /ImagePull|ErrImagePull/.test(d.reason) && d.action === action);
  const stuck = (action: string): Doc[] => docs().filter((d) => d.kind === 'deployment' && d.name === 'web' && d.reason === 'ProgressDeadlineExceeded' && d.action === action);
  assert.ok(await until(() => pulls('firing').length >= 2 && stuck('firing').length === 1, 240), `the new pods' pull failures and the stuck rollout reached Elasticsearch: ${docs().filter((d) => d.name?.startsWith('web')).map((d) => `${d.reason} ${d.name}`).join(', ')}`);
  await w.run(30_000);

  const story = slack.parents().slice(before).filter(aboutWeb);
  assert.equal(story.length, 1, `one rollout story in chat, got: ${story.map(text).join('\n')}`);
  assert.match(text(story[0]), /Rollout of default\/web revision 2: \d+ new pods? cannot start/);
  const first = pulls('firing').find((d) => d.fields.inhibitedBy === undefined)!;
  assert.ok(first, 'the story is the first failing pod');
  // the story's updates (what it explains) are the first pod's incident again, never held
  assert.ok(pulls('firing').filter((d) => d.incident === first.incident).every((d) => d.fields.inhibitedBy === undefined));
  assert.ok(pulls('firing').some((d) => d.incident !== first.incident), 'other new pods failed too');
  for (const d of [...pulls('firing').filter((x) => x.incident !== first.incident), ...stuck('firing')]) assert.equal(d.fields.inhibitedBy, first.incident, `${d.reason} ${d.name} is the story's`);
  assert.doesNotMatch(slack.messages.slice(messagesBefore).map(text).join('\n'), /ProgressDeadlineExceeded|rollout is stuck/, 'the stuck rollout is not a story of its own');

  await kubectl.ok(['rollout', 'undo', 'deployment/web']);
  const incidents = (ds: Doc[]): Set<string> => new Set(ds.map((d) => d.incident));
  assert.ok(await until(() => incidents(pulls('resolved')).size === incidents(pulls('firing')).size && pulls('resolved').length === incidents(pulls('firing')).size && stuck('resolved').length === 1, 240), 'the rollback resolved everything, once each');
  await w.run(90_000);
  assert.equal(slack.parents().slice(before).filter((m) => aboutWeb(m) && !/RolloutCompleted/.test(text(m))).length, 1, 'still one story');
  assert.doesNotMatch(slack.messages.slice(messagesBefore).map(text).join('\n'), /ProgressDeadlineExceeded|rollout is stuck|releasedFrom|resolved, but this persists/);
});

test('a StatefulSet rolled out to an image that cannot be pulled: one rollout story in chat, the stuck rollout and unavailability held (in Elasticsearch, marked)', async () => {
  await kubectl.ok(
    ['apply', '-f', '-'],
    `apiVersion: apps/v1
kind: StatefulSet
metadata: {name: db, namespace: default}
spec:
  replicas: 3
  serviceName: db
  selector: {matchLabels: {app: db}}
  template:
    metadata: {labels: {app: db}, annotations: {sim.kubeherald.io/ready-after: "1"}}
    spec:
      containers: [{name: app, image: ghcr.io/kubeherald/demo-app:1.4.2}]`,
  );
  assert.ok(await until(() => slack.parents().some((m) => /StatefulSetRolloutCompleted/.test(text(m)) && /default\/db/.test(text(m))), 180), 'the creation rolled out');
  const before = slack.parents().length;
  const messagesBefore = slack.messages.length;
  const aboutDb = (m: StoredMessage): boolean => /default\/db\b/.test(text(m));
  await kubectl.ok(['set', 'image', 'statefulset/db', 'app=ghcr.io/kubeherald/demo-app:does-not-exist']);
  const pulls = (): Doc[] => docs().filter((d) => d.kind === 'pod' && /^db-\d$/.test(d.name) && /ImagePull|ErrImagePull/.test(d.reason) && d.action === 'firing');
  const ofSet = (reason: string): Doc[] => docs().filter((d) => d.kind === 'statefulset' && d.name === 'db' && d.reason === reason && d.action === 'firing');
  assert.ok(
    await until(() => pulls().length >= 1 && ofSet('StatefulSetRolloutStuck').length >= 1 && ofSet('StatefulSetUnavailable').length >= 1, 420),
    `the new pod's pull failure, the stuck rollout and the unavailability reached Elasticsearch: ${docs().filter((d) => d.name?.startsWith('db')).map((d) => `${d.reason} ${d.name}`).join(', ')}`,
  );
  await w.run(30_000);

  const story = slack.parents().slice(before).filter(aboutDb);
  assert.equal(story.length, 1, `one rollout story in chat, got: ${story.map(text).join('\n')}`);
  assert.match(text(story[0]), /Rollout of default\/db revision db-\S+: 1 new pod cannot start/);
  const first = pulls().find((d) => d.fields.inhibitedBy === undefined);
  assert.ok(first, 'the story is the failing new pod');
  assert.equal(first.name, 'db-2', 'a StatefulSet updates its highest ordinal first');
  for (const d of [...ofSet('StatefulSetRolloutStuck'), ...ofSet('StatefulSetUnavailable'), ...pulls().filter((x) => x.incident !== first.incident)]) {
    assert.equal(d.fields.inhibitedBy, first.incident, `${d.reason} ${d.name} is the story's (Elasticsearch gets it, marked)`);
  }
  assert.doesNotMatch(slack.messages.slice(messagesBefore).map(text).join('\n'), /StatefulSetRolloutStuck|rollout is stuck|StatefulSetUnavailable|has pods that are not ready/, 'the stuck rollout and the unavailability are not stories of their own');
});
