// A restart of `kubeherald run` at scale: a cluster of PODS pods with
// INCIDENTS crash-looping ones (an open incident each), TARGETS webhook sinks
// (one target each) whose receiver is slow, so INCIDENTS × TARGETS deliveries
// are queued when kubeherald gets SIGTERM and is started again on the same
// state database. Measured:
//   - time from the new process's start to /readyz answering 200;
//   - re-sends: posts the receiver accepted for a webhook-id (the
//     notification's idempotency key) it had accepted before, over both runs;
//   - order: per target, each marker after the ones before it;
//   - how long the queue took to drain after the restart.
// Fails when a figure cannot be measured: the queue never reached its size,
// kubeherald never got ready, or the deliveries did not all arrive in time.

import { randomBytes } from 'node:crypto';
import { kubeheraldEntry } from './build.ts';
import { envNumber, METRIC, NODES, PODS, until } from './knobs.ts';
import { kubeheraldDir, runKubeherald, type KubeheraldProcess } from './kubeherald-process.ts';
import { readProc } from './proc.ts';
import { startReceiver } from './receiver.ts';
import { restartDeliveries } from './restart-figures.ts';
import { holdPods, startSimProcess } from './sim-process.ts';

const INCIDENTS = envNumber('BENCH_RESTART_INCIDENTS', 500);
const TARGETS = envNumber('BENCH_RESTART_TARGETS', 10);
/** how long the slow receiver takes to answer each post before the restart */
const SLOW_MS = envNumber('BENCH_RESTART_SLOW_MS', 200);
const WAIT_SECONDS = envNumber('BENCH_RESTART_WAIT_SECONDS', 120);

const { openIncidents: OPEN, pending: PENDING, inflight: INFLIGHT, attempts: DELIVERED } = METRIC;

/** Waits for `probe`, or fails naming `what` after `seconds`. */
async function waitFor(what: string, seconds: number, probe: () => Promise<boolean>): Promise<void> {
  if (!(await until(seconds, probe))) throw new Error(`restart: ${what} within ${seconds} s`);
}

export async function benchRestart(): Promise<Record<string, unknown>> {
  const entry = kubeheraldEntry();
  const expected = INCIDENTS * TARGETS;
  const sim = await startSimProcess(NODES);
  const receiver = await startReceiver();
  const sinks = Array.from({ length: TARGETS }, (_, i) => `{ name: hook${i}, type: webhook, urls: ["${receiver.url}/${i}"] }`);
  const dir = await kubeheraldDir(sim.kubeconfig, `sinks: [${sinks.join(', ')}]`);
  const khEnv = { KUBEHERALD_WEBHOOK_SECRET: randomBytes(24).toString('hex') };
  let kh: KubeheraldProcess | undefined;
  try {
    await holdPods(sim, PODS);
    receiver.setMode({ kind: 'slow', ms: SLOW_MS });
    kh = runKubeherald(dir, khEnv);
    await kh.ready();
    const first = kh;
    sim.send({ cmd: 'crashLoops', pods: INCIDENTS });
    await sim.reply('crashLoopsDone');
    // every notification stored for every target: pending, in flight or already delivered
    const queued = async (): Promise<number> => (await first.metric(PENDING)) + (await first.metric(INFLIGHT)) + receiver.receipts.length;
    await waitFor(`${expected} deliveries were not queued (${await queued()} were)`, WAIT_SECONDS, async () => (await queued()) >= expected);
    const openBefore = await first.metric(OPEN);
    if (openBefore < INCIDENTS) throw new Error(`restart: ${openBefore} incidents open before the restart, expected ${INCIDENTS}`);
    const pendingBefore = (await first.metric(PENDING)) + (await first.metric(INFLIGHT));
    const t0 = performance.now();
    const code = await first.stop();
    const stopMs = Math.round(performance.now() - t0);
    // sends in flight at SIGTERM finish before it exits
    const acceptedBefore = receiver.receipts.length;
    kh = undefined;
    if (code !== 0) throw new Error(`restart: kubeherald run exited ${code} on SIGTERM`);

    // the receiver is back to full speed as kubeherald comes back
    receiver.setMode({ kind: 'ok' });
    const t1 = performance.now();
    const second = runKubeherald(dir, khEnv);
    kh = second;
    await second.ready();
    const readyMs = Math.round(performance.now() - t1);
    const ready = readProc(second.pid);
    const openAfter = await second.metric(OPEN);
    try {
      await waitFor(`the deliveries pending at the restart were not all delivered`, WAIT_SECONDS, async () => restartDeliveries(receiver.receipts).delivered >= expected);
    } catch (err) {
      const got = restartDeliveries(receiver.receipts).delivered;
      const metrics = await second.metricLines('kubeherald_outbox_deliveries{', 'kubeherald_delivery_attempts_total{');
      throw new Error(`${(err as Error).message}: ${got} of ${expected} distinct ones arrived, ${pendingBefore} were pending at the restart; ${metrics}; its log ends:\n${second.stderr().slice(-1500)}`);
    }
    const resumeSeconds = Math.round((performance.now() - t1) / 100) / 10;
    // anything sent again after the queue drained would show up late: one more look at the metric
    const attempts = await second.metric(DELIVERED, 0);
    const d = restartDeliveries(receiver.receipts);
    return {
      kubeherald: entry.kind,
      pods: PODS + INCIDENTS,
      incidentsOpenBefore: openBefore,
      incidentsOpenAfter: openAfter,
      targets: d.targets,
      deliveriesQueued: expected,
      pendingAtRestart: pendingBefore,
      acceptedBeforeRestart: acceptedBefore,
      stopMs,
      readyMs,
      // the wall-clock time above waits for a loaded machine too; this is the work itself
      cpuToReadySeconds: Math.round(ready.cpuSeconds * 100) / 100,
      rssReadyMB: Math.round(ready.rssMB * 10) / 10,
      resumeSeconds,
      // attempts the restarted process made: one per pending delivery when nothing is re-tried
      attemptsAfterRestart: attempts,
      resends: d.resends,
      outOfOrder: d.outOfOrder,
    };
  } finally {
    await kh?.stop();
    dir.remove();
    await receiver.close();
    await sim.close();
  }
}
