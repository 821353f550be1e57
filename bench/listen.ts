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
// Any figure it cannot measure fails the bench rather than printing null.

import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createInterface } from 'node:readline';
import { startKubeherald, type KubeheraldProcess } from './kubeherald-process.ts';
import { readProc } from './proc.ts';
import { startReceiver } from './receiver.ts';

const env = (name: string, fallback: number): number => Number(process.env[name] ?? fallback);
const PODS = env('BENCH_PODS', 10_000);
const NODES = env('BENCH_NODES', 1_000);
const STORM_RATE = env('BENCH_STORM_RATE', 20_000);
const STORM_SECONDS = env('BENCH_STORM_SECONDS', 10);
const CHURN_RATE = env('BENCH_CHURN_RATE', 1_000);
const MARKER_RATE = env('BENCH_MARKER_RATE', 100);
const MARKER_SECONDS = env('BENCH_MARKER_SECONDS', 5);
const QUIET_MARKERS = env('BENCH_QUIET_MARKERS', 10);
const MARKER_WAIT_SECONDS = env('BENCH_MARKER_WAIT_SECONDS', 30);
const DRAIN_WAIT_SECONDS = env('BENCH_DRAIN_WAIT_SECONDS', 30);

const WATCH_EVENTS = 'kubeherald_watch_events';
const RELISTS = 'kubeherald_watch_relists_after_gone';
const PENDING = 'kubeherald_outbox_deliveries{state="pending"}';
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const round = (x: number, d = 1): number => Math.round(x * 10 ** d) / 10 ** d;
const percentile = (xs: number[], p: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
};

interface SimProcess {
  kubeconfig: string;
  send(cmd: object): void;
  /** the next line from the simulator that has `key` */
  reply(key: string): Promise<Record<string, unknown>>;
  rv(): Promise<number>;
  close(): Promise<void>;
}

async function startSimProcess(): Promise<SimProcess> {
  const child = spawn(process.execPath, [new URL('./sim-server.ts', import.meta.url).pathname, String(NODES)], { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = createInterface(child.stdout!)[Symbol.asyncIterator]();
  const reply = async (key: string): Promise<Record<string, unknown>> => {
    for (;;) {
      const { value, done } = await lines.next();
      if (done) throw new Error('the simulator process ended');
      const obj = JSON.parse(value as string) as Record<string, unknown>;
      if (key in obj) return obj;
    }
  };
  const send = (cmd: object): void => void child.stdin!.write(JSON.stringify(cmd) + '\n');
  const { kubeconfig } = (await reply('kubeconfig')) as { kubeconfig: string };
  return {
    kubeconfig,
    send,
    reply,
    async rv() {
      send({ cmd: 'stats' });
      return Number((await reply('rv')).rv);
    },
    async close() {
      child.stdin!.end();
      await new Promise((r) => child.on('exit', r));
    },
  };
}

/** Waits until kubeherald's processed count stops moving (or the wait ends); the count. */
async function drained(kh: KubeheraldProcess): Promise<number> {
  const until = Date.now() + DRAIN_WAIT_SECONDS * 1000;
  let last = await kh.metric(WATCH_EVENTS);
  for (;;) {
    await sleep(1000);
    const now = await kh.metric(WATCH_EVENTS);
    if (now === last || Date.now() > until) return now;
    last = now;
  }
}

async function stormFigures(sim: SimProcess, kh: KubeheraldProcess): Promise<Record<string, number>> {
  const rv0 = await sim.rv();
  const processed0 = await kh.metric(WATCH_EVENTS);
  const relists0 = await kh.metric(RELISTS);
  const cpu0 = readProc(kh.pid).cpuSeconds;
  const t0 = performance.now();
  sim.send({ cmd: 'storm', pods: PODS, eventsPerSecond: STORM_RATE });
  await sleep(STORM_SECONDS * 1000);
  sim.send({ cmd: 'stopStorm' });
  const generated = (await sim.rv()) - rv0;
  const processed = (await drained(kh)) - processed0;
  const wallS = (performance.now() - t0) / 1000;
  const cpuS = readProc(kh.pid).cpuSeconds - cpu0;
  if (generated <= 0) throw new Error('storm: the simulator generated no events');
  if (processed <= 0 || cpuS <= 0) throw new Error(`storm: kubeherald processed ${processed} watch events in ${round(cpuS, 2)} CPU-seconds; nothing to measure`);
  return {
    stormEventsGenerated: generated,
    stormEventsProcessed: processed,
    stormEventsLeftBehind: Math.max(0, generated - processed),
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

async function latencyFigures(sim: SimProcess, kh: KubeheraldProcess, receiver: Awaited<ReturnType<typeof startReceiver>>, label: string, load: Load): Promise<Record<string, number>> {
  const total = load.rate * load.seconds;
  receiver.latencies.length = 0;
  if (load.churn) sim.send({ cmd: 'storm', pods: PODS, eventsPerSecond: load.churn });
  sim.send({ cmd: 'markers', rate: load.rate, seconds: load.seconds });
  await sim.reply('markersDone');
  await Promise.race([receiver.received(total), sleep(MARKER_WAIT_SECONDS * 1000)]);
  if (load.churn) sim.send({ cmd: 'stopStorm' });
  const xs = [...receiver.latencies];
  if (!xs.length) throw new Error(`latency (${label}): none of ${total} marker events reached the sink within ${MARKER_WAIT_SECONDS} s of the last (${await kh.metric(PENDING)} deliveries pending)`);
  return {
    [`${label}ChurnPerSecond`]: load.churn,
    [`${label}MarkersSent`]: total,
    [`${label}MarkersReceived`]: xs.length,
    [`${label}LatencyP50Ms`]: percentile(xs, 50),
    [`${label}LatencyP99Ms`]: percentile(xs, 99),
    [`${label}DeliveriesPending`]: await kh.metric(PENDING),
  };
}

export async function benchListen(): Promise<Record<string, unknown>> {
  const sim = await startSimProcess();
  const receiver = await startReceiver();
  const figures: Record<string, number> = { pods: PODS, nodes: NODES };
  try {
    sim.send({ cmd: 'storm', pods: PODS, eventsPerSecond: 0 });
    for (;;) {
      sim.send({ cmd: 'stats' });
      if (Number((await sim.reply('pods')).pods) >= PODS) break;
      await sleep(200);
    }
    sim.send({ cmd: 'stopStorm' });

    // the defaults a user gets: a chat sink
    const slack = await startKubeherald(sim.kubeconfig, 'sinks: [{ name: chat, type: slack, webhookUrlFrom: { env: BENCH_SLACK_WEBHOOK } }]', { BENCH_SLACK_WEBHOOK: receiver.url });
    try {
      const t = performance.now();
      await slack.ready();
      figures.readyMs = Math.round(performance.now() - t);
      const ready = readProc(slack.pid);
      figures.rssReadyMB = round(ready.rssMB);
      figures.cpuToReadySeconds = round(ready.cpuSeconds, 2);
      Object.assign(figures, await latencyFigures(sim, slack, receiver, 'defaults', { churn: 0, rate: QUIET_MARKERS, seconds: 1 }));
      Object.assign(figures, await stormFigures(sim, slack));
      const end = readProc(slack.pid);
      figures.rssEndMB = round(end.rssMB);
      figures.rssPeakMB = round(end.hwmMB);
    } finally {
      await slack.stop();
    }

    // grouping off: a record sink, every notification on its own at once
    const webhook = await startKubeherald(sim.kubeconfig, `sinks: [{ name: hook, type: webhook, urls: ["${receiver.url}"] }]`, { KUBEHERALD_WEBHOOK_SECRET: randomBytes(24).toString('hex') });
    try {
      await webhook.ready();
      Object.assign(figures, await latencyFigures(sim, webhook, receiver, 'groupingOff', { churn: CHURN_RATE, rate: MARKER_RATE, seconds: MARKER_SECONDS }));
    } finally {
      await webhook.stop();
    }
  } finally {
    await receiver.close();
    await sim.close();
  }
  return figures;
}
