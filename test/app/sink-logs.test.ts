// Sinks log through kubeherald's own logger in `run`'s wiring (startHerald →
// RoutingHub → createSink): what a sink can only say in a log line — Slack
// replying without updating the incident message, Elasticsearch refusing to
// start — reaches the log, tagged with the sink's routing id, and no
// credential is in it.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { create } from '@bufbuild/protobuf';
import * as k8s from '@kubernetes/client-node';
import { type Herald, startHerald } from '../../src/app/herald.ts';
import type { AttemptRecord } from '../../src/pipeline/index.ts';
import { parseConfigText } from '../../src/config/index.ts';
import { type Notification, NotificationSchema, Severity, State } from '../../src/model/notification.ts';
import { startSim, type Sim } from '../../src/sim/sim.ts';
import { type FakeElasticsearch, startFakeElasticsearch } from '../fakes/elasticsearch.ts';
import { FakeSlack } from '../fakes/slack.ts';
import { type LogEntry, recordingLog } from '../helpers/log.ts';

const ES_KEY = 'c29tZS1pZDpyaWdodC1rZXk=';
const WRONG_ES_KEY = 'c29tZS1pZDp3cm9uZy1rZXk=';

function note(state: State): Notification {
  return create(NotificationSchema, {
    idempotencyKey: `sink-logs-${state}`,
    incidentKey: 'pod/uid-1/app/CrashLoopBackOff',
    state,
    severity: Severity.CRITICAL,
    reason: 'CrashLoopBackOff',
    title: 'Pod shop/web: container app is crash-looping',
    cluster: 'sim',
    involvedObject: { apiVersion: 'v1', kind: 'Pod', namespace: 'shop', name: 'web', uid: 'uid-1' },
  });
}

describe('sink logs in the run wiring', () => {
  let sim: Sim;
  let slack: FakeSlack;
  let es: FakeElasticsearch;
  let herald: Herald;
  const entries: LogEntry[] = [];
  const attempts: AttemptRecord[] = [];
  let attemptWaiters: (() => void)[] = [];
  /** resolves once an attempt matching `pred` has been recorded */
  const attempted = (pred: (a: AttemptRecord) => boolean): Promise<void> =>
    attempts.some(pred)
      ? Promise.resolve()
      : new Promise((resolve) => {
          const check = (): void => {
            if (attempts.some(pred)) resolve();
            else attemptWaiters.push(check);
          };
          attemptWaiters.push(check);
        });

  before(async () => {
    sim = await startSim({ clockSpeed: 0 });
    slack = await FakeSlack.start({ channels: [{ id: 'C0ALERTS', name: 'alerts' }] });
    es = await startFakeElasticsearch({ apiKey: ES_KEY });
    const config = parseConfigText(
      [
        "state: {path: ':memory:'}",
        // each notification its own delivery, at once: this test is about what sinks log, not about grouping
        'delivery: {groupBy: []}',
        'sinks:',
        `  - {name: chat, type: slack, channel: alerts, apiUrl: '${slack.apiUrl}', tokenFrom: {env: SLACK_BOT_TOKEN}}`,
        `  - {name: events, type: elasticsearch, nodes: ['${es.url}'], apiKeyFrom: {env: ES_API_KEY}}`,
      ].join('\n'),
      'sink-logs.yaml',
    );
    const kc = new k8s.KubeConfig();
    kc.loadFromString(sim.kubeconfig);
    herald = await startHerald({
      config,
      kc,
      log: recordingLog(entries).log,
      env: { SLACK_BOT_TOKEN: slack.token, ES_API_KEY: WRONG_ES_KEY },
      onAttempt: (a) => {
        attempts.push(a);
        const waiters = attemptWaiters;
        attemptWaiters = [];
        for (const w of waiters) w();
      },
    });
  });

  after(async () => {
    await herald?.stop();
    await slack?.close();
    await es?.close();
    await sim?.close();
  });

  it('Slack\'s "cannot update the incident message" and Elasticsearch\'s start-up refusal reach the log', async () => {
    herald.submit([note(State.FIRING)]);
    await attempted((a) => a.sink === 'config/chat' && a.outcome === 'delivered');
    await attempted((a) => a.sink === 'config/events' && a.attempt === 1);

    // the incident message can no longer be edited: the RESOLVED goes to its thread only, and the log says why
    slack.failNext({ kind: 'error', error: 'cant_update_message' });
    herald.submit([note(State.RESOLVED)]);
    await attempted((a) => a.sink === 'config/chat' && a.outcome === 'delivered' && a.id !== attempts.find((b) => b.sink === 'config/chat')!.id);

    const slackWarn = entries.find((e) => e.msg === 'slack: cannot update the incident message; replying only');
    assert.ok(slackWarn, `no Slack warning among: ${entries.map((e) => e.msg).join(' | ')}`);
    assert.equal(slackWarn.level, 'warn');
    assert.equal(slackWarn.obj.sinkId, 'config/chat');
    assert.equal(slackWarn.obj.code, 'cant_update_message');

    const esWarn = entries.find((e) => e.msg === 'elasticsearch sink cannot start');
    assert.ok(esWarn, `no Elasticsearch warning among: ${entries.map((e) => e.msg).join(' | ')}`);
    assert.equal(esWarn.level, 'warn');
    assert.equal(esWarn.obj.sinkId, 'config/events');
    assert.equal(esWarn.obj.kind, 'permanent');

    const everything = JSON.stringify(entries);
    for (const secret of [slack.token, WRONG_ES_KEY, ES_KEY]) assert.ok(!everything.includes(secret), 'a credential reached the log');
  });
});
