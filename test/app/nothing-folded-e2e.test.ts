// Issue #14's "done when": the three k8slistener rules as custom resources
// ("any event → Elasticsearch", "deployment completed → Slack", "changed by
// expert@org.com → Telegram", plus crash loops → Slack), kubeherald with the
// DEFAULT delivery settings, and a cluster where a Deployment rolls out twice
// and a pod's crash loop recovers and comes back within the flood window.
// Elasticsearch (a ClusterSink, a record sink) gets every notification as a
// document of its own; Slack (a chat sink: grouping and flood control on)
// gets the second rollout with its own revision and the second crash, in
// groups' messages; nothing a user needs is left folded away.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { decodePayload } from '../../src/pipeline/index.ts';
import type { AttemptRecord } from '../../src/pipeline/deliverer.ts';
import type { Notification } from '../../src/model/notification.ts';
import { State } from '../../src/model/notification.ts';
import type { SqliteStore } from '../../src/store/sqlite.ts';
import { type FakeElasticsearch, startFakeElasticsearch } from '../fakes/elasticsearch.ts';
import { FakeSlack } from '../fakes/slack.ts';
import { FakeTelegram } from '../fakes/telegram.ts';
import { PODS } from '../../src/sim/refs.ts';
import { Kubectl } from '../helpers/kubectl.ts';
import { startWorld, type World } from './helpers.ts';
import { join } from 'node:path';

const CRD_DIR = join(import.meta.dirname, '..', '..', 'deploy', 'crds');
const ES_KEY = Buffer.from('e2e:flood-key').toString('base64');
const DATA_STREAM = 'kubeherald-events';
const b64 = (s: string): string => Buffer.from(s).toString('base64');

let w: World;
let kubectl: Kubectl;
let es: FakeElasticsearch;
let slack: FakeSlack;
let telegram: FakeTelegram;
const notified: Notification[] = [];
const attempts: AttemptRecord[] = [];
/** by sink id, the notifications it got (on their own or in a group's message) */
const got = new Map<string, Notification[]>();

const clusterRoute = (name: string, order: number, match: string, sink: string): string => `apiVersion: kubeherald.io/v1alpha1
kind: ClusterRoute
metadata: {name: ${name}}
spec:
  order: ${order}
  match: ${match}
  sinks: [{name: ${sink}}]
  continue: true`;

const crashingPod = `apiVersion: v1
kind: Pod
metadata:
  name: crashy
  namespace: shop
  annotations: {sim.kubeherald.io/behavior: crash, sim.kubeherald.io/recover-after: "40"}
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

const ofSink = (sink: string): Notification[] => got.get(sink) ?? [];
const is = (n: Notification, reason: string, state: State): boolean => n.reason === reason && n.state === state;

before(async () => {
  es = await startFakeElasticsearch({ apiKey: ES_KEY });
  slack = await FakeSlack.start({ channels: [{ id: 'C0ALERTS', name: 'alerts' }] });
  telegram = await FakeTelegram.start();
  // the default delivery settings: no delivery: section, no sink's own delivery: block
  w = await startWorld(
    [
      'cluster: {name: e2e}',
      'sinks:',
      `  - {name: slack, type: slack, channel: alerts, apiUrl: '${slack.apiUrl}', tokenFrom: {env: SLACK_BOT_TOKEN}}`,
      `  - {name: telegram, type: telegram, chatId: ${telegram.chats[0].id}, apiRoot: '${telegram.apiRoot}', tokenFrom: {env: TELEGRAM_BOT_TOKEN}}`,
      'customResources: {enabled: true, namespace: kubeherald}',
      'metrics: {listen: "127.0.0.1:0"}',
      'state: {path: $STATE}',
    ].join('\n'),
  );
  kubectl = new Kubectl(w.sim.kubeconfig);
  await kubectl.ok(['apply', '-k', CRD_DIR]);
  await kubectl.ok(['apply', '-f', '-'], ['kubeherald', 'shop'].map((ns) => `apiVersion: v1\nkind: Namespace\nmetadata: {name: ${ns}}\n`).join('---\n'));
  await kubectl.ok(
    ['apply', '-f', '-'],
    [
      `apiVersion: v1\nkind: Secret\nmetadata: {name: es-creds, namespace: kubeherald}\ndata: {apiKey: ${b64(ES_KEY)}}`,
      `apiVersion: kubeherald.io/v1alpha1\nkind: ClusterSink\nmetadata: {name: elasticsearch}\nspec:\n  type: elasticsearch\n  target: {url: "${es.url}"}\n  credentials: {apiKey: {secretKeyRef: {name: es-creds, key: apiKey}}}`,
      clusterRoute('everything-to-es', 1, '{}', 'elasticsearch'),
      clusterRoute('rollouts-to-slack', 2, '{kinds: [Deployment], reasons: [RolloutCompleted]}', 'slack'),
      clusterRoute('crashes-to-slack', 3, '{reasons: [CrashLoopBackOff]}', 'slack'),
      clusterRoute('expert-to-telegram', 4, '{kinds: [Deployment], users: ["expert@org.com"]}', 'telegram'),
    ].join('\n---\n'),
  );
  const herald = await w.start({
    env: { SLACK_BOT_TOKEN: slack.token, TELEGRAM_BOT_TOKEN: telegram.token },
    onNotification: (n) => notified.push(n),
    onAttempt: (a) => {
      attempts.push(a);
      const row = a.outcome === 'delivered' ? w.herald?.store.outbox.get(a.id) : undefined;
      if (!row) return;
      const list = got.get(a.sink) ?? [];
      got.set(a.sink, [...list, ...decodePayload(row.payload, row.groupKey !== null)]);
    },
  });
  assert.ok(await until(() => herald.routing.table().routes.length === 4, 30), 'the routes are in the table');
});

after(async () => {
  await w?.close();
  await es?.close();
  await slack?.close();
  await telegram?.close();
});

test('two rollouts and a crash that comes back, with the default delivery settings: nothing a user needs is folded away', async () => {
  assert.deepEqual(w.herald!.routing.table().problems, []);
  // revision 1, and a pod that crash-loops until it has run 40 s, then runs
  await kubectl.ok(['create', 'deployment', 'web', '--image=nginx:1.27', '--replicas=2', '-n', 'shop']);
  await kubectl.ok(['apply', '-f', '-'], crashingPod);
  const crashes = (state: State) => notified.filter((n) => is(n, 'CrashLoopBackOff', state));
  assert.ok(await until(() => crashes(State.RESOLVED).length === 1, 240), 'the crash loop resolved');
  // revision 2, and the crash comes back, both well within the 600 s flood window of the first ones
  await kubectl.ok(['set', 'image', 'deployment/web', 'nginx=nginx:1.28', '-n', 'shop']);
  await kubectl.ok(['delete', 'pod', 'crashy', '-n', 'shop', '--wait=false']);
  assert.ok(await until(() => w.sim.ctx.store.get(PODS.storage, 'shop', 'crashy') === undefined, 60), 'the first pod is gone');
  await kubectl.ok(['apply', '-f', '-'], crashingPod);
  const rollouts = () => notified.filter((n) => n.reason === 'RolloutCompleted');
  assert.ok(await until(() => crashes(State.FIRING).length === 2 && rollouts().length === 2, 120), 'the second crash and the second rollout were detected');
  const firstCrashAt = crashes(State.FIRING)[0].eventTime!.seconds;
  assert.ok(Number(crashes(State.FIRING)[1].eventTime!.seconds - firstCrashAt) < 600, 'the second crash came within the flood window');

  // Slack gets its groups' updates within a group interval (300 s) of their last message, each member in its
  // newest state: an incident that fired and resolved between two messages of its group shows as resolved
  const slackGot = (n: Notification): boolean => ofSink('config/slack').some((m) => m.idempotencyKey === n.idempotencyKey);
  const forSlack = () => notified.filter((n) => n.reason === 'RolloutCompleted' || n.reason === 'CrashLoopBackOff');
  const newest = () => [...new Map(forSlack().map((n) => [n.incidentKey, n])).values()];
  const esIds = () => new Set(es.documents(DATA_STREAM).map((d) => d._id));
  const missing = () => [
    ...newest().filter((n) => !slackGot(n)).map((n) => `slack: ${State[n.state]} ${n.title}`),
    ...notified.filter((n) => !esIds().has(n.idempotencyKey)).map((n) => `es: ${State[n.state]} ${n.title}`),
  ];
  assert.ok(await until(() => missing().length === 0, 400), `not delivered: ${missing().join('; ')}`);

  // Elasticsearch: every notification a document of its own, at once, never grouped
  assert.deepEqual([...esIds()].sort(), notified.map((n) => n.idempotencyKey).sort());
  assert.ok(attempts.filter((a) => a.sink === 'ClusterSink/elasticsearch').every((a) => a.members === 1));

  // Slack: the second rollout with its own revision, both crash loops firing, the first resolved
  const [rev1, rev2] = rollouts();
  assert.deepEqual([rev1.fields.revision, rev2.fields.revision], ['1', '2']);
  assert.ok(slackGot(rev2));
  const shown = slack.messages.map((m) => JSON.stringify(m));
  assert.ok(shown.some((t) => t.includes('revision 2')), 'a Slack message speaks of revision 2');
  // the first crash fired and resolved; the second one, a new occurrence, reached Slack too (not folded into the first)
  const [first, second] = crashes(State.FIRING);
  assert.notEqual(first.incidentKey, second.incidentKey);
  assert.ok(slackGot(first) && slackGot(crashes(State.RESOLVED)[0]));
  assert.ok(ofSink('config/slack').some((m) => m.incidentKey === second.incidentKey), 'the second crash');

  // nothing is folded away: the flood_folded table (what older versions dropped) stays empty
  const db = (w.herald!.store as SqliteStore).db;
  assert.equal((db.prepare('SELECT COUNT(*) AS n FROM flood_folded').get() as { n: number }).n, 0);
  // what waited for a group's update was counted, per sink
  const metrics = await (await fetch(w.herald!.metricsUrl()!)).text();
  assert.match(metrics, /^kubeherald_notifications_folded_total\{sink="config\/slack"\} [1-9]\d*$/m);
  assert.doesNotMatch(metrics, /kubeherald_notifications_folded_total\{sink="ClusterSink\/elasticsearch"\}/);
  // nobody named expert@org.com changed anything
  assert.equal(telegram.messages.length, 0);
});
