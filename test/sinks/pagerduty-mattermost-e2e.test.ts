// PagerDuty and Mattermost end to end, through startHerald against the
// simulator: each configured twice — in the config file, and as custom
// resources (a PagerDuty ClusterSink, a namespaced Mattermost Sink with its
// Route) mapped by their registry descriptors. A pod crash-loops and
// recovers: every PagerDuty integration gets one alert, triggered and then
// resolved under the incident's dedup_key; every Mattermost channel gets the
// crash in red and the recovery in green.

import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { FakeMattermost } from '../fakes/mattermost.ts';
import { FakePagerDuty, type PagerDutyAlert } from '../fakes/pagerduty.ts';
import { Kubectl } from '../helpers/kubectl.ts';
import { startWorld, type World } from '../app/helpers.ts';

const CRD_DIR = join(import.meta.dirname, '..', '..', 'deploy', 'crds');
const CR_KEY = 'Cl0sterS1nkIntegrat1onKey0000002';
const RED = '#D93025';
const GREEN = '#188038';
const b64 = (s: string): string => Buffer.from(s).toString('base64');

let w: World;
let pd: FakePagerDuty;
let mm: FakeMattermost;

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

const crashAlerts = (key: string): PagerDutyAlert[] => pd.alertsOf(key).filter((a) => a.payload.class === 'CrashLoopBackOff');
/** the attachments a channel got for the crash loop, in order: their colours */
const crashColours = (channel: string): string[] =>
  mm.posts
    .filter((p) => p.channel === channel)
    .flatMap((p) => p.attachments)
    .filter((a) => String(a.author_name).includes('CrashLoopBackOff'))
    .map((a) => String(a.color));

before(async () => {
  pd = await FakePagerDuty.start({ otherKeys: [CR_KEY] });
  mm = await FakeMattermost.start({ channels: ['ops-alerts'] });
  w = await startWorld(
    [
      'cluster: {name: e2e}',
      'sinks:',
      `  - {name: pager, type: pagerduty, url: '${pd.enqueueUrl}', routingKeyFrom: {env: PD_ROUTING_KEY}}`,
      '  - {name: chat, type: mattermost, urlFrom: {env: MM_URL}}',
      'routes:',
      '  - {name: crashes, match: {reasons: [CrashLoopBackOff]}, sinks: [pager, chat], continue: true}',
      // the fakes are on loopback, which namespaced Sinks reach only when the admin allows it
      'customResources: {enabled: true, namespace: kubeherald, egress: {allow: [127.0.0.1]}}',
      'state: {path: $STATE}',
    ].join('\n'),
  );
  const kubectl = new Kubectl(w.sim.kubeconfig);
  await kubectl.ok(['apply', '-k', CRD_DIR]);
  await kubectl.ok(['apply', '-f', '-'], ['kubeherald', 'shop'].map((ns) => `apiVersion: v1\nkind: Namespace\nmetadata: {name: ${ns}}\n`).join('---\n'));
  await kubectl.ok(
    ['apply', '-f', '-'],
    [
      `apiVersion: v1\nkind: Secret\nmetadata: {name: pagerduty, namespace: kubeherald}\ndata: {key: ${b64(`${CR_KEY}\n`)}}`,
      `apiVersion: kubeherald.io/v1alpha1\nkind: ClusterSink\nmetadata: {name: oncall}\nspec:\n  type: pagerduty\n  target: {url: "${pd.enqueueUrl}"}\n  credentials: {token: {secretKeyRef: {name: pagerduty, key: key}}}`,
      'apiVersion: kubeherald.io/v1alpha1\nkind: ClusterRoute\nmetadata: {name: crashes-to-oncall}\nspec:\n  order: 1\n  match: {reasons: [CrashLoopBackOff]}\n  sinks: [{name: oncall}]\n  continue: true',
      `apiVersion: v1\nkind: Secret\nmetadata: {name: mattermost, namespace: shop, labels: {kubeherald.io/sink-credentials: "true"}}\ndata: {url: ${b64(mm.hookUrl)}}`,
      'apiVersion: kubeherald.io/v1alpha1\nkind: Sink\nmetadata: {name: team-chat, namespace: shop}\nspec:\n  type: mattermost\n  target: {channel: ops-alerts}\n  credentials: {webhookUrl: {secretKeyRef: {name: mattermost, key: url}}}',
      'apiVersion: kubeherald.io/v1alpha1\nkind: Route\nmetadata: {name: crashes, namespace: shop}\nspec:\n  match: {reasons: [CrashLoopBackOff]}\n  sinks: [{name: team-chat}]\n  continue: true',
    ].join('\n---\n'),
  );
  const herald = await w.start({ env: { PD_ROUTING_KEY: pd.routingKey, MM_URL: mm.hookUrl } });
  assert.ok(await until(() => herald.routing.table().routes.length >= 3, 30), 'the custom resources\' routes are in the table');
  await kubectl.ok(['apply', '-f', '-'], crashingPod);
});

after(async () => {
  await w?.close();
  await pd?.close();
  await mm?.close();
});

test('a crash loop pages each PagerDuty integration once and resolves it; each Mattermost channel sees it red, then green', async () => {
  const done = () =>
    [pd.routingKey, CR_KEY].every((k) => crashAlerts(k).some((a) => a.status === 'resolved')) && ['town-square', 'ops-alerts'].every((c) => crashColours(c).includes(GREEN));
  // with the default delivery settings a RESOLVED joins its group's next message, up to 300 s on
  assert.ok(await until(done, 600), `not all delivered: ${JSON.stringify({ pd: pd.events.map((e) => [e.routing_key === CR_KEY ? 'cr' : 'file', e.event_action]), mm: mm.posts.map((p) => p.channel) })}`);

  for (const key of [pd.routingKey, CR_KEY]) {
    const [alert, ...others] = crashAlerts(key);
    assert.deepEqual(others, [], 'one alert per incident');
    assert.equal(alert.status, 'resolved');
    assert.equal(alert.log[0], 'trigger');
    assert.equal(alert.log.at(-1), 'resolve');
    assert.equal(alert.payload.source, 'shop/pod/crashy');
    assert.equal(alert.payload.severity, 'critical');
    assert.match(String(alert.payload.summary), /^\[e2e\] /);
  }
  // the same incident, so the same dedup_key, whichever way the sink was configured
  assert.equal(crashAlerts(pd.routingKey)[0].dedupKey, crashAlerts(CR_KEY)[0].dedupKey);
  for (const channel of ['town-square', 'ops-alerts']) {
    const colours = crashColours(channel);
    assert.equal(colours[0], RED, `${channel}: the crash first`);
    assert.equal(colours.at(-1), GREEN, `${channel}: the recovery last`);
  }
  // every request the fakes got was one they accept
  assert.deepEqual(pd.requests.filter((r) => r.status !== 202).map((r) => r.response), []);
  assert.deepEqual(mm.requests.filter((r) => r.status !== 200).map((r) => r.response), []);
});
