// How fast and how lean `kubeherald run` is, measured on the real process
// (bench/kubeherald-process.ts) against the simulator in a third process
// (bench/sim-server.ts), through real sinks whose receipt is timed in this
// process (bench/receiver.ts):
//   - RSS and CPU time of the run process from /proc, ready with PODS pods and
//     NODES nodes cached, and at its peak (VmHWM);
//   - a storm: watch events the simulator generated (its resourceVersion
//     advance), processed by kubeherald (kubeherald_watch_events) per
//     CPU-second, and left behind once it drained;
//   - notification latency from the simulator stamping a Warning event to the
//     sink's receipt: once with the defaults a user gets (a Slack incoming
//     webhook: grouping with a 10 s group wait, flood control, 1 message/s,
//     a storm digest past 20 a minute), with a few markers on a quiet cluster
//     since under churn the digest takes them all; once with grouping off (a
//     webhook sink: every notification a record, at once), MARKER_RATE
//     markers/s under CHURN_RATE events/s of background churn.
//     With grouping off, each marker's time is split where kubeherald
//     committed it to the outbox (bench/path-latency.ts): the listener's share
//     and the deliverer's.
// Storm "left behind": Events the simulator wrote during the storm (the
// kind kubeherald watches; other writes are counted apart) that kubeherald
// had not received when its count stopped moving or the drain wait ended.
// The simulator never drops a watch event (it buffers for a slow watcher,
// as kube-apiserver does until it closes the watch, which the relists count),
// so these are a backlog a slow listener had not yet read, not losses.
// BENCH_LISTEN_PHASES (default "defaults,storm,groupingOff") picks phases.
// Any figure it cannot measure fails the bench rather than printing null.

import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { kubeheraldEntry } from './build.ts';
import { envNumber, METRIC, NODES, PODS, sleep, until } from './knobs.ts';
import { kubeheraldDir, runKubeherald, startKubeherald, type KubeheraldProcess } from './kubeherald-process.ts';
import { pathLatency } from './path-latency.ts';
import { readProc } from './proc.ts';
import { startReceiver, type Receiver } from './receiver.ts';
import { holdPods, startSimProcess, type SimProcess } from './sim-process.ts';
import { percentile } from './summary.ts';

const STORM_RATE = envNumber('BENCH_STORM_RATE', 20_000);
const STORM_SECONDS = envNumber('BENCH_STORM_SECONDS', 10);
const CHURN_RATE = envNumber('BENCH_CHURN_RATE', 1_000);
const MARKER_RATE = envNumber('BENCH_MARKER_RATE', 100);
const MARKER_SECONDS = envNumber('BENCH_MARKER_SECONDS', 5);
const QUIET_MARKERS = envNumber('BENCH_QUIET_MARKERS', 10);
const MARKER_WAIT_SECONDS = envNumber('BENCH_MARKER_WAIT_SECONDS', 30);
const DRAIN_WAIT_SECONDS = envNumber('BENCH_DRAIN_WAIT_SECONDS', 30);

const { watchEvents: WATCH_EVENTS, relists: RELISTS, pending: PENDING, inflight: INFLIGHT, attempts: ATTEMPTS, sinkSeconds: SINK_SECONDS } = METRIC;

const PHASES = new Set((process.env.BENCH_LISTEN_PHASES ?? 'defaults,storm,groupingOff').split(','));
const round = (x: number, d = 1): number => Math.round(x * 10 ** d) / 10 ** d;

/** Waits until kubeherald's processed count reaches `target`, stops moving, or the wait ends; the count and whether the wait ran out. */
async function drained(kh: KubeheraldProcess, target: number): Promise<{ processed: number; timedOut: boolean }> {
  const until = Date.now() + DRAIN_WAIT_SECONDS * 1000;
  let last = await kh.metric(WATCH_EVENTS);
  for (;;) {
    await sleep(1000);
    const now = await kh.metric(WATCH_EVENTS);
    if (now >= target || now === last) return { processed: now, timedOut: false };
    if (Date.now() > until) return { processed: now, timedOut: true };
    last = now;
  }
}

async function stormFigures(sim: SimProcess, kh: KubeheraldProcess): Promise<Record<string, number>> {
  const rv0 = await sim.rv();
  const ev0 = await sim.eventWrites();
  const processed0 = await kh.metric(WATCH_EVENTS);
  const relists0 = await kh.metric(RELISTS);
  const cpu0 = readProc(kh.pid).cpuSeconds;
  const t0 = performance.now();
  sim.send({ cmd: 'storm', pods: PODS, eventsPerSecond: STORM_RATE });
  await sleep(STORM_SECONDS * 1000);
  sim.send({ cmd: 'stopStorm' });
  const generated = (await sim.eventWrites()) - ev0;
  const otherWrites = (await sim.rv()) - rv0 - generated;
  const stormWallS = (performance.now() - t0) / 1000;
  const drain = await drained(kh, processed0 + generated);
  const processed = drain.processed - processed0;
  const wallS = (performance.now() - t0) / 1000;
  const cpuS = readProc(kh.pid).cpuSeconds - cpu0;
  if (generated <= 0) throw new Error('storm: the simulator generated no events');
  if (processed <= 0 || cpuS <= 0) throw new Error(`storm: kubeherald processed ${processed} watch events in ${round(cpuS, 2)} CPU-seconds; nothing to measure`);
  return {
    stormEventsGenerated: generated,
    stormEventsGeneratedPerSecond: Math.round(generated / stormWallS),
    // writes to other kinds while the storm ran (none expected): not watch events of the Events watch
    stormOtherWrites: otherWrites,
    stormEventsProcessed: processed,
    stormEventsLeftBehind: Math.max(0, generated - processed),
    // 1 when the drain wait ended with kubeherald still reading: the backlog it had not caught up
    stormDrainTimedOut: drain.timedOut ? 1 : 0,
    stormDrainSeconds: round(wallS - stormWallS),
    // events a 410 Gone made the watch skip are caught up by a relist, not processed one by one
    stormRelistsAfterGone: (await kh.metric(RELISTS)) - relists0,
    stormEventsPerSecond: Math.round(processed / wallS),
    eventsPerCpuSecond: Math.round(processed / cpuS),
    stormCpuPercent: Math.round((cpuS / wallS) * 100),
  };
}

interface Load {
  churn: number;
  rate: number;
  seconds: number;
}

async function latencyFigures(sim: SimProcess, kh: KubeheraldProcess, receiver: Receiver, label: string, load: Load): Promise<Record<string, number>> {
  const total = load.rate * load.seconds;
  receiver.latencies.length = 0;
  receiver.receipts.length = 0;
  sim.send({ cmd: 'stats' });
  const firstSeq = Number((await sim.reply('markerSeq')).markerSeq);
  receiver.countFrom(firstSeq);
  const attempts0 = await kh.metric(ATTEMPTS, 0);
  const sinkSeconds0 = await kh.metric(SINK_SECONDS, 0);
  const cpu0 = readProc(kh.pid).cpuSeconds;
  const t0 = performance.now();
  if (load.churn) sim.send({ cmd: 'storm', pods: PODS, eventsPerSecond: load.churn });
  sim.send({ cmd: 'markers', rate: load.rate, seconds: load.seconds });
  await sim.reply('markersDone');
  await Promise.race([receiver.received(total), sleep(MARKER_WAIT_SECONDS * 1000)]);
  if (load.churn) sim.send({ cmd: 'stopStorm' });
  const attempts = (await kh.metric(ATTEMPTS, 0)) - attempts0;
  const wallS = (performance.now() - t0) / 1000;
  const cpuPercent = Math.round(((readProc(kh.pid).cpuSeconds - cpu0) / wallS) * 100);
  const xs = [...receiver.latencies];
  if (!xs.length) throw new Error(`latency (${label}): none of ${total} marker events reached the sink within ${MARKER_WAIT_SECONDS} s of the last (${await kh.metric(PENDING)} deliveries pending)`);
  return {
    [`${label}ChurnPerSecond`]: load.churn,
    [`${label}MarkersSent`]: total,
    [`${label}MarkersReceived`]: xs.length,
    [`${label}FirstMarker`]: firstSeq,
    [`${label}LatencyP50Ms`]: percentile(xs, 50)!,
    [`${label}LatencyP99Ms`]: percentile(xs, 99)!,
    [`${label}DeliveriesPending`]: await kh.metric(PENDING),
    // what the sink was asked to do (churn notifications included), and how long it took each time
    [`${label}DeliveryAttemptsPerSecond`]: Math.round(attempts / wallS),
    // 100: kubeherald's one thread was busy all along, and every send waited its turn
    [`${label}CpuPercent`]: cpuPercent,
    [`${label}SinkMeanMs`]: attempts ? Math.round((((await kh.metric(SINK_SECONDS, 0)) - sinkSeconds0) / attempts) * 10000) / 10 : 0,
  };
}

/** The outbox rows' created_at by idempotency key, read from a running kubeherald's state database. */
function outboxCreatedAt(dir: string): Map<string, number> {
  const db = new DatabaseSync(join(dir, 'state.db'), { readOnly: true });
  try {
    const rows = db.prepare('SELECT idempotency_key AS k, created_at AS at FROM outbox').all() as { k: string; at: number }[];
    return new Map(rows.map((r) => [r.k, r.at]));
  } finally {
    db.close();
  }
}

export async function benchListen(): Promise<Record<string, unknown>> {
  const entry = kubeheraldEntry();
  const sim = await startSimProcess(NODES);
  const receiver = await startReceiver();
  const figures: Record<string, unknown> = { kubeherald: entry.kind, pods: PODS, nodes: NODES };
  try {
    await holdPods(sim, PODS);

    // the defaults a user gets: a chat sink
    if (PHASES.has('defaults') || PHASES.has('storm')) {
      const slack = await startKubeherald(sim.kubeconfig, 'sinks: [{ name: chat, type: slack, webhookUrlFrom: { env: BENCH_SLACK_WEBHOOK } }]', { BENCH_SLACK_WEBHOOK: receiver.url });
      try {
        const t = performance.now();
        await slack.ready();
        figures.readyMs = Math.round(performance.now() - t);
        const ready = readProc(slack.pid);
        figures.rssReadyMB = round(ready.rssMB);
        figures.cpuToReadySeconds = round(ready.cpuSeconds, 2);
        if (PHASES.has('defaults')) Object.assign(figures, await latencyFigures(sim, slack, receiver, 'defaults', { churn: 0, rate: QUIET_MARKERS, seconds: 1 }));
        if (PHASES.has('storm')) Object.assign(figures, await stormFigures(sim, slack));
        const end = readProc(slack.pid);
        figures.rssEndMB = round(end.rssMB);
        figures.rssPeakMB = round(end.hwmMB);
      } finally {
        await slack.stop();
      }
    }

    // grouping off: a record sink, every notification on its own at once
    if (PHASES.has('groupingOff')) {
      const dir = await kubeheraldDir(sim.kubeconfig, `sinks: [{ name: hook, type: webhook, urls: ["${receiver.url}"] }]`);
      const webhook = runKubeherald(dir, { KUBEHERALD_WEBHOOK_SECRET: randomBytes(24).toString('hex') }, true);
      try {
        await webhook.ready();
        // a new kubeherald notifies the Warning events the cluster already holds (an earlier phase's storm):
        // the markers are timed once that queue has gone
        const t = performance.now();
        const drainedAtStart = await until(DRAIN_WAIT_SECONDS * 4, async () => (await webhook.metric(PENDING)) + (await webhook.metric(INFLIGHT)) === 0);
        if (!drainedAtStart) throw new Error(`latency (groupingOff): what a new kubeherald queued for the Events the cluster already held did not drain within ${DRAIN_WAIT_SECONDS * 4} s`);
        figures.groupingOffStartQueueSeconds = Math.round((performance.now() - t) / 100) / 10;
        Object.assign(figures, await latencyFigures(sim, webhook, receiver, 'groupingOff', { churn: CHURN_RATE, rate: MARKER_RATE, seconds: MARKER_SECONDS }));
        const split = pathLatency(receiver.receipts, outboxCreatedAt(dir.dir), Number(figures.groupingOffFirstMarker));
        if (!split) throw new Error('latency (groupingOff): no receipt matched an outbox row by its webhook-id; cannot split the time between listener and deliverer');
        figures.groupingOffListenerP50Ms = split.enqueueP50Ms;
        figures.groupingOffListenerP99Ms = split.enqueueP99Ms;
        figures.groupingOffDelivererP50Ms = split.deliveryP50Ms;
        figures.groupingOffDelivererP99Ms = split.deliveryP99Ms;
      } finally {
        await webhook.stop();
      }
    }
  } finally {
    await receiver.close();
    await sim.close();
  }
  return figures;
}
