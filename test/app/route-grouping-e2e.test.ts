// Per-sink and per-route delivery settings inside the running product, on the
// simulator's clock: 50 crash-looping pods reach a chat sink that does not
// group through a route with `group: {by: [owner]}` and become one message,
// while what another route sends the same sink follows the sink's own
// settings; a changed `delivery:` of a sink in the watched config file
// applies without a restart; and a record sink (jsonl) takes every
// notification on its own whatever a route's grouping says.

import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parseConfigText } from '../../src/config/index.ts';
import type { AttemptRecord } from '../../src/pipeline/deliverer.ts';
import { DEPLOYMENTS } from '../../src/sim/refs.ts';
import { FakeSlack } from '../fakes/slack.ts';
import { note } from '../pipeline/helpers.ts';
import { readJsonl, startWorld, type World } from './helpers.ts';

const slackSink = (slack: FakeSlack, delivery: string): string =>
  `  - {name: chat, type: slack, channel: alerts, apiUrl: '${slack.apiUrl}', tokenFrom: {env: SLACK_BOT_TOKEN}, delivery: ${delivery}}`;
const delivered = (attempts: readonly AttemptRecord[], sink: string): AttemptRecord[] => attempts.filter((a) => a.sink === sink && a.outcome === 'delivered');

const fieldsOf = (l: object): Record<string, string> => (l as { fields?: Record<string, string> }).fields ?? {};

describe('a route grouping by owner in front of a sink that does not group', () => {
  let w: World;
  let slack: FakeSlack;
  const attempts: AttemptRecord[] = [];

  before(async () => {
    slack = await FakeSlack.start({ channels: [{ id: 'C0ALERTS', name: 'alerts' }] });
    w = await startWorld(
      [
        'cluster: {name: sim}',
        'sinks:',
        slackSink(slack, '{groupBy: []}'),
        '  - {name: file, type: jsonl, path: $DIR/out.jsonl}',
        'routes:',
        '  - {name: crash-loops, match: {reasons: [CrashLoopBackOff]}, sinks: [chat, file], group: {by: [owner]}}',
        '  - {name: the-rest, match: {}, sinks: [chat, file]}',
        'state: {path: $STATE}',
      ].join('\n'),
    );
    await w.start({ onAttempt: (a) => attempts.push(a), env: { SLACK_BOT_TOKEN: slack.token } });
    w.sim.scenarios.start('crashloop-deployment');
    w.sim.ctx.store.mutate(DEPLOYMENTS, 'demo', 'worker', (d) => {
      (d.spec as { replicas: number }).replicas = 50;
    });
    await w.run(90_000, 1000);
    // three OOM kills of another workload, through the other route
    w.herald!.submit(['api-1', 'api-2', 'api-3'].map((pod) => note({ pod, owner: 'api', reason: 'OOMKilled', namespace: 'demo', cluster: 'sim' })));
    await w.run(20_000, 1000);
  });

  after(async () => {
    await w?.close();
    await slack?.close();
  });

  it('sends the 50 crash loops to the chat sink as one message, and the rest one by one as the sink says', () => {
    const chat = delivered(attempts, 'config/chat');
    assert.equal(chat.filter((a) => a.members === 50).length, 1, JSON.stringify(chat.map((a) => a.members)));
    assert.ok(chat.every((a) => a.members === 1 || a.members === 50), 'nothing else grouped');
    const texts = slack.messages.map((m) => m.text ?? '');
    for (const pod of ['api-1', 'api-2', 'api-3']) assert.equal(texts.filter((t) => t.includes(`OOMKilled ${pod}`)).length, 1, `${pod}: ${texts.join(' | ')}`);
  });

  it('writes every notification to the record sink on its own, the route’s grouping notwithstanding', () => {
    const lines = readJsonl(join(w.dir, 'out.jsonl'));
    const crash = lines.filter((l) => l.reason === 'CrashLoopBackOff');
    assert.equal(crash.length, 50, JSON.stringify(crash.map((l) => l.involvedObject?.name)));
    assert.equal(new Set(crash.map((l) => l.involvedObject?.name)).size, 50);
    for (const l of lines) assert.equal(fieldsOf(l).groupSize, undefined, l.reason);
    assert.ok(delivered(attempts, 'config/file').every((a) => a.members === 1));
  });
});

describe('a sink’s delivery block edited in the watched config file', () => {
  let w: World;
  let slack: FakeSlack;
  let file: string;
  const attempts: AttemptRecord[] = [];
  const text = (groupBy: string) => ['cluster: {name: sim}', 'sinks:', slackSink(slack, `{groupBy: ${groupBy}, groupWaitSeconds: 0}`), 'state: {path: $STATE}'].join('\n');

  before(async () => {
    slack = await FakeSlack.start({ channels: [{ id: 'C0ALERTS', name: 'alerts' }] });
    w = await startWorld(text('[]'));
    file = join(w.dir, 'kubeherald.yaml');
    const write = (groupBy: string) => writeFileSync(file, text(groupBy).replaceAll('$DIR', w.dir).replaceAll('$STATE', w.state));
    write('[]');
    await w.start({ configFile: file, loadConfig: async (f) => parseConfigText(readFileSync(f, 'utf8'), f), env: { SLACK_BOT_TOKEN: slack.token }, onAttempt: (a) => attempts.push(a) });
    w.herald!.submit(['a-1', 'a-2', 'a-3'].map((pod) => note({ pod, owner: 'a', reason: 'OOMKilled' })));
    await w.run(5000, 1000);
    write('[owner]');
    assert.deepEqual(await w.herald!.routing.reloadConfig(), { ok: true, changed: true });
    w.herald!.submit(['b-1', 'b-2', 'b-3'].map((pod) => note({ pod, owner: 'b', reason: 'OOMKilled' })));
    await w.run(5000, 1000);
  });

  after(async () => {
    await w?.close();
    await slack?.close();
  });

  it('groups from then on, without a restart', () => {
    assert.deepEqual(
      delivered(attempts, 'config/chat').map((a) => a.members),
      [1, 1, 1, 3],
    );
    assert.equal(slack.messages.length, 4);
  });
});
