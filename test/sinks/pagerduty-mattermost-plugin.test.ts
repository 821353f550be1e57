// PagerDuty and Mattermost served as plugins (`kubeherald plugin pagerduty`,
// `kubeherald plugin mattermost`): the plugin server built from their
// registry descriptors alone, over real HTTP/2 with a connect gRPC client,
// delivering to the fakes — a trigger and its resolve, a channel as the
// delivery's target, and each platform answer as the right outcome.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { State } from '../../src/model/notification.ts';
import { Outcome } from '../../src/gen/kubeherald/v1/plugin_pb.js';
import { type PluginServer, startPluginServer } from '../../src/plugin/server.ts';
import { FakeMattermost } from '../fakes/mattermost.ts';
import { FakePagerDuty } from '../fakes/pagerduty.ts';
import { notification, pluginClient, recordingLog, type TestClient } from '../plugin/helpers.ts';

const deliver = (id: string, value = notification(id), target = '') => ({ deliveryId: id, sink: 'remote', payload: { case: 'notification' as const, value }, attempt: 1, target });

describe('kubeherald plugin pagerduty', () => {
  let fake: FakePagerDuty;
  let server: PluginServer;
  let client: TestClient;

  before(async () => {
    fake = await FakePagerDuty.start();
    server = await startPluginServer({
      type: 'pagerduty',
      base: { url: fake.enqueueUrl, timeoutSeconds: 5 },
      listen: '127.0.0.1:0',
      log: recordingLog(),
      env: { KUBEHERALD_PAGERDUTY_ROUTING_KEY: fake.routingKey },
    });
    client = pluginClient(server.address);
  });
  after(async () => {
    client?.close();
    await server?.close();
    await fake?.close();
  });

  it('describes itself: no target, the endpoint pinned to the plugin', async () => {
    const d = await client.plugin.describe({});
    assert.deepEqual([d.type, d.targetOption], ['pagerduty', '']);
    const moved = await client.plugin.deliver({ ...deliver('pd-0'), options: { url: 'https://elsewhere.example/v2/enqueue' } });
    assert.equal(moved.outcome, Outcome.PERMANENT);
    assert.equal(fake.requests.length, 0, 'the key is never sent where a delivery says');
  });

  it('triggers and resolves the alert, and reports PagerDuty\'s answers as outcomes', async () => {
    const firing = notification('pd-1');
    assert.equal((await client.plugin.deliver(deliver('pd-1', firing))).outcome, Outcome.DELIVERED);
    assert.equal(fake.alert(firing.incidentKey)?.status, 'triggered');
    const resolved = notification('pd-1', { state: State.RESOLVED });
    assert.equal((await client.plugin.deliver(deliver('pd-1-resolved', resolved))).outcome, Outcome.DELIVERED);
    assert.deepEqual(fake.alert(firing.incidentKey)?.log, ['trigger', 'resolve']);
    fake.failNext({ kind: 'throttle', retryAfterSeconds: 9 });
    const limited = await client.plugin.deliver(deliver('pd-2'));
    assert.deepEqual([limited.outcome, limited.retryAfter?.seconds], [Outcome.RATE_LIMITED, 9n]);
    fake.failNext({ kind: 'status', status: 400, body: '{"status":"invalid event","message":"Event object is invalid","errors":["x"]}' });
    const refused = await client.plugin.deliver(deliver('pd-3'));
    assert.equal(refused.outcome, Outcome.PERMANENT);
    assert.equal(refused.message.includes(fake.routingKey), false);
  });
});

describe('kubeherald plugin mattermost', () => {
  let fake: FakeMattermost;
  let server: PluginServer;
  let client: TestClient;

  before(async () => {
    fake = await FakeMattermost.start({ channels: ['ops-alerts', 'dev'] });
    server = await startPluginServer({
      type: 'mattermost',
      base: { channel: 'ops-alerts', timeoutSeconds: 5 },
      listen: '127.0.0.1:0',
      log: recordingLog(),
      env: { KUBEHERALD_MATTERMOST_URL: fake.hookUrl },
    });
    client = pluginClient(server.address);
  });
  after(async () => {
    client?.close();
    await server?.close();
    await fake?.close();
  });

  it('describes itself: channel is the target option', async () => {
    const d = await client.plugin.describe({});
    assert.deepEqual([d.type, d.targetOption], ['mattermost', 'channel']);
  });

  it('posts to its channel, or to the one a delivery names; a channel Mattermost lacks is permanent', async () => {
    assert.equal((await client.plugin.deliver(deliver('mm-1'))).outcome, Outcome.DELIVERED);
    assert.equal((await client.plugin.deliver(deliver('mm-2', notification('mm-2'), 'dev'))).outcome, Outcome.DELIVERED);
    assert.deepEqual(fake.posts.map((p) => p.channel), ['ops-alerts', 'dev']);
    assert.equal(fake.posts[0].attachments[0].title, 'web-mm-1 is crash-looping');
    const missing = await client.plugin.deliver(deliver('mm-3', notification('mm-3'), 'nowhere'));
    assert.equal(missing.outcome, Outcome.PERMANENT);
    assert.match(missing.message, /no such channel/);
    assert.equal(missing.message.includes(fake.key), false);
  });

  it('delivers a group as one post', async () => {
    const res = await client.plugin.deliver({
      deliveryId: 'mm-g',
      sink: 'remote',
      payload: { case: 'group', value: { key: 'grp', update: 0, members: [notification('mm-a'), notification('mm-b')] } },
      attempt: 1,
    });
    assert.equal(res.outcome, Outcome.DELIVERED);
    const post = fake.posts.at(-1)!;
    assert.deepEqual([post.text, post.attachments.length], ['**2 notifications: 2 firing**', 2]);
  });
});
