// Routes with time windows inside the running product, on the simulator's
// clock set in Europe/Berlin's evening (Monday 7 December 2026, UTC+1):
//
//   - "rollouts to #deploys only 08:00–20:00": sent before 20:00; after it
//     held back for #deploys until 08:00 (the record sink gets it through the
//     next route at once);
//   - crash loops to #alerts muted "22:00–06:00" (across midnight): what fires
//     at 22:30 and 00:30 is held back from chat, counted as held by "window";
//     a RESOLVED while held only ends its row (chat never saw it fire); a
//     crash loop of the simulated cluster that still fires at 06:00 reaches
//     #alerts then (released by the window's edge).

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { State } from '../../src/model/notification.ts';
import { FakeSlack } from '../fakes/slack.ts';
import { note } from '../pipeline/helpers.ts';
import { readJsonl, startWorld, type World } from './helpers.ts';

const BERLIN_19_50 = new Date('2026-12-07T18:50:00Z');
const HOUR = 3_600_000;
const MINUTE = 60_000;

describe('routes with time windows (Europe/Berlin), through the Slack fake', () => {
  let w: World;
  let slack: FakeSlack;
  let workerMessagesBy0559 = -1;
  let heldMetric = '';
  const texts = (channel: string): string[] => slack.messages.filter((m) => m.channel === channel).map((m) => JSON.stringify([m.text, m.attachments, m.blocks]));
  const heldRows = () => w.herald!.outbox.held();
  const at = (): number => w.sim.clock.nowMs();
  let heldAtNight: string[] = [];
  let crashLoopsBy0559 = 0;

  before(async () => {
    slack = await FakeSlack.start({ channels: [{ id: 'C0DEPLOYS', name: 'deploys' }, { id: 'C0ALERTS', name: 'alerts' }] });
    w = await startWorld(
      [
        'cluster: {name: sim}',
        'sinks:',
        `  - {name: deploys, type: slack, channel: C0DEPLOYS, apiUrl: '${slack.apiUrl}', tokenFrom: {env: SLACK_BOT_TOKEN}, delivery: {groupBy: []}}`,
        `  - {name: alerts, type: slack, channel: C0ALERTS, apiUrl: '${slack.apiUrl}', tokenFrom: {env: SLACK_BOT_TOKEN}, delivery: {groupBy: []}}`,
        '  - {name: file, type: jsonl, path: $DIR/out.jsonl}',
        'timeIntervals:',
        '  - name: business',
        '    intervals: [{times: [{startTime: "08:00", endTime: "20:00"}], location: Europe/Berlin}]',
        '  - name: night',
        '    intervals: [{times: [{startTime: "22:00", endTime: "06:00"}], location: Europe/Berlin}]',
        'routes:',
        '  - {name: rollouts, match: {reasons: [RolloutStarted]}, sinks: [deploys], activeTimeIntervals: [business], continue: true}',
        '  - {name: crashes, match: {reasons: [CrashLoopBackOff]}, sinks: [alerts], muteTimeIntervals: [night], continue: true}',
        '  - {name: everything, match: {}, sinks: [file]}',
        "metrics: {listen: '127.0.0.1:0'}",
        'state: {path: $STATE}',
      ].join('\n'),
      { sim: { start: BERLIN_19_50 } },
    );
    await w.start({ env: { SLACK_BOT_TOKEN: slack.token } });

    // 19:50: within business hours
    w.herald!.submit([note({ pod: 'web-rollout-1', reason: 'RolloutStarted', cluster: 'sim', time: at() })]);
    await w.run(MINUTE, 1000);
    // 20:10: outside them
    await w.run(19 * MINUTE, 19 * MINUTE);
    w.herald!.submit([note({ pod: 'web-rollout-2', reason: 'RolloutStarted', cluster: 'sim', time: at() })]);
    await w.run(MINUTE, 1000);
    // 22:30: night
    await w.run(2 * HOUR + 19 * MINUTE, 2 * HOUR + 19 * MINUTE);
    w.herald!.submit([note({ pod: 'late-1', reason: 'CrashLoopBackOff', cluster: 'sim', time: at() })]);
    await w.run(MINUTE, 1000);
    // 00:30 on Tuesday: still the same night, across midnight
    await w.run(HOUR + 59 * MINUTE, HOUR + 59 * MINUTE);
    w.herald!.submit([note({ pod: 'late-2', reason: 'CrashLoopBackOff', cluster: 'sim', time: at() })]);
    await w.run(MINUTE, 1000);
    // 01:00: late-1 recovers while held
    await w.run(29 * MINUTE, 29 * MINUTE);
    w.herald!.submit([note({ pod: 'late-1', reason: 'CrashLoopBackOff', cluster: 'sim', state: State.RESOLVED, time: at() })]);
    await w.run(MINUTE, 1000);
    heldAtNight = heldRows().map((r) => `${r.sink} ${r.incidentKey} ${r.by}:${r.holderId} ${r.text}`);
    // 05:54: a Deployment's pods start crash-looping in the simulated cluster
    await w.run(4 * HOUR + 53 * MINUTE, 4 * HOUR + 53 * MINUTE);
    w.sim.scenarios.start('crashloop-deployment');
    await w.run(5 * MINUTE, 5000);
    crashLoopsBy0559 = heldRows().filter((r) => r.incidentKey.includes('CrashLoopBackOff') && !r.incidentKey.includes('late-')).length;
    workerMessagesBy0559 = texts('C0ALERTS').filter((t) => t.includes('worker')).length;
    // 06:00 passes
    await w.run(2 * MINUTE, 5000);
    const res = await fetch(w.herald!.metricsUrl()!);
    heldMetric = (await res.text())
      .split('\n')
      .filter((l) => l.startsWith('kubeherald_notifications_held_total{'))
      .join('\n');
  });

  after(async () => {
    await w?.close();
    await slack?.close();
  });

  it('rollouts reach #deploys within 08:00–20:00 only; the record sink gets both through the next route', () => {
    const deploys = texts('C0DEPLOYS');
    assert.equal(deploys.filter((t) => t.includes('web-rollout-1')).length, 1, deploys.join('\n'));
    assert.equal(deploys.filter((t) => t.includes('web-rollout-2')).length, 0, deploys.join('\n'));
    const lines = readJsonl(`${w.dir}/out.jsonl`);
    for (const pod of ['web-rollout-1', 'web-rollout-2']) assert.equal(lines.filter((l) => l.involvedObject?.name === pod).length, 1, pod);
    // web-rollout-2 waits for 08:00 in the held table (it is asserted below), and goes out then if it still fires
  });

  it('crash loops are held from #alerts across midnight, counted as held by the window', () => {
    assert.deepEqual(heldAtNight, [
      'config/deploys pod/web-rollout-2/app/RolloutStarted window:business route rollouts: outside its active time interval business (Europe/Berlin)',
      'config/alerts pod/late-2/app/CrashLoopBackOff window:night route crashes: muted by time interval night (Europe/Berlin)',
    ]);
    // late-1 FIRING, late-2 FIRING, late-1's RESOLVED ending its row, and the simulated crash loops before 06:00
    const count = Number(/kubeherald_notifications_held_total\{reason="window",sink="config\/alerts"\} (\d+)/.exec(heldMetric)?.[1]);
    assert.equal(count, 3 + crashLoopsBy0559, heldMetric);
    assert.match(heldMetric, /kubeherald_notifications_held_total\{reason="window",sink="config\/deploys"\} 1/);
    const alerts = texts('C0ALERTS');
    assert.equal(alerts.filter((t) => t.includes('late-1')).length, 0, 'chat never saw late-1 fire, nor its end');
    assert.equal(alerts.filter((t) => t.includes('late-2')).length, 0, 'late-2 is not firing in the cluster any more by 06:00 (a submitted note): dropped at release');
  });

  it('a crash loop still firing when the night ends reaches #alerts at 06:00', () => {
    assert.ok(crashLoopsBy0559 > 0, 'the crash loops were held before 06:00');
    assert.equal(workerMessagesBy0559, 0, 'nothing of them in #alerts before 06:00');
    const alerts = texts('C0ALERTS');
    const worker = alerts.filter((t) => t.includes('worker'));
    assert.ok(worker.length >= crashLoopsBy0559, alerts.join('\n'));
    assert.deepEqual(
      heldRows().map((r) => r.incidentKey),
      ['pod/web-rollout-2/app/RolloutStarted'],
      'nothing is left held by the night; the rollout waits for business hours',
    );
    const lines = readJsonl(`${w.dir}/out.jsonl`);
    assert.ok(lines.filter((l) => l.reason === 'CrashLoopBackOff' && l.involvedObject?.name.startsWith('worker')).length >= crashLoopsBy0559, 'the record sink had them all along');
  });
});
