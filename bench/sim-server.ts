// The simulator in its own process for benchmarks, so what is measured in
// the parent (the listener) does not share its core. Prints one JSON line
// {url, kubeconfig}, then takes commands as JSON lines on stdin:
//   {"cmd":"storm","pods":10000,"eventsPerSecond":5000}   (replaces a running storm)
//   {"cmd":"stopStorm"}
//   {"cmd":"markers","rate":1000,"seconds":10,"objects":100}  Warning events stamped with the send time and
//                                                a sequence number (bench/marker.ts), about `objects` pods in turn
//   {"cmd":"crashLoops","pods":500}          pods in namespace crash, each container in CrashLoopBackOff (one open
//                                                incident each), its last exit message a marker (bench/marker.ts)
//   {"cmd":"stats"}                              → {"rv":…,"pods":…,"eventWrites":…,"markerSeq":…}: eventWrites counts
//                                                writes to Events (what a storm makes), beside every write (rv);
//                                                markerSeq is the next marker's sequence number
//   {"cmd":"richPods","pods":10000}          pods shaped like a production Deployment's (bench/rich-pod.ts), namespace rich
//   {"cmd":"logLines","namespace":"storm","pod":"storm-00000","container":"app","lines":5000}  → {"logLinesDone":5000}
// and exits when stdin closes.

import { createInterface } from 'node:readline';
import { EVENTS, NAMESPACES, PODS } from '../src/sim/refs.ts';
import { startSim } from '../src/sim/sim.ts';
import { markerMessage } from './marker.ts';
import { richPod } from './rich-pod.ts';
import { stormPod } from '../src/sim/scenarios/storm.ts';

const nodes = Number(process.argv[2] ?? 3);
const sim = await startSim({ nodes, bookmarkIntervalMs: 1000, historySize: 200_000 });
const store = sim.ctx.store;
process.stdout.write(JSON.stringify({ url: sim.url, kubeconfig: sim.kubeconfig }) + '\n');
let eventWrites = 0;
store.subscribe((c) => {
  if (c.storage === EVENTS.storage) eventWrites++;
});

let markerSeq = 0;
function markers(rate: number, seconds: number, objects: number): void {
  if (!store.get(NAMESPACES.storage, undefined, 'bench')) store.create(NAMESPACES, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'bench' }, status: { phase: 'Active' } });
  const total = rate * seconds;
  const perTick = Math.max(1, Math.round(rate / 100));
  let sent = 0;
  const t = setInterval(() => {
    for (let i = 0; i < perTick && sent < total; i++, sent++) {
      const seq = markerSeq++;
      store.create(EVENTS, {
        apiVersion: 'v1',
        kind: 'Event',
        metadata: { name: `marker.${seq}`, namespace: 'bench' },
        involvedObject: { kind: 'Pod', namespace: 'bench', name: `marker-${seq % objects}`, uid: `marker-${seq % objects}`, apiVersion: 'v1' },
        reason: 'BenchMarker',
        message: markerMessage(seq, Date.now()),
        type: 'Warning',
        count: 1,
        source: { component: 'bench' },
      });
    }
    if (sent >= total) {
      clearInterval(t);
      process.stdout.write(JSON.stringify({ markersDone: sent }) + '\n');
    }
  }, 10);
}

/** A pod whose container keeps crashing, as the kubelet reports it between back-offs. */
function crashLoopingPod(i: number, now: string, lastMessage: string): ReturnType<typeof stormPod> {
  const pod = stormPod('crash', i, nodes, now);
  const status = pod.status as { phase: string; containerStatuses: Record<string, unknown>[]; conditions: { type: string; status: string }[] };
  for (const c of status.conditions) if (c.type === 'Ready' || c.type === 'ContainersReady') c.status = 'False';
  Object.assign(status.containerStatuses[0], {
    ready: false,
    started: false,
    restartCount: 5,
    state: { waiting: { reason: 'CrashLoopBackOff', message: 'back-off 2m40s restarting failed container' } },
    lastState: { terminated: { exitCode: 1, reason: 'Error', message: lastMessage, startedAt: now, finishedAt: now } },
  });
  return pod;
}

let stopStorm: (() => void) | undefined;
for await (const line of createInterface(process.stdin)) {
  const cmd = JSON.parse(line) as { cmd: string; [k: string]: unknown };
  if (cmd.cmd === 'storm') {
    stopStorm?.();
    stopStorm = sim.scenarios.start('storm', { namespace: 'storm', pods: cmd.pods, eventsPerSecond: cmd.eventsPerSecond });
  } else if (cmd.cmd === 'stopStorm') {
    stopStorm?.();
    stopStorm = undefined;
  }
  if (cmd.cmd === 'richPods') {
    if (!store.get(NAMESPACES.storage, undefined, 'rich')) store.create(NAMESPACES, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'rich' }, status: { phase: 'Active' } });
    const now = sim.clock.nowIso();
    for (let i = 0; i < Number(cmd.pods); i++) store.create(PODS, richPod('rich', i, nodes, now));
  }
  if (cmd.cmd === 'crashLoops') {
    if (!store.get(NAMESPACES.storage, undefined, 'crash')) store.create(NAMESPACES, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'crash' }, status: { phase: 'Active' } });
    const now = sim.clock.nowIso();
    for (let i = 0; i < Number(cmd.pods); i++) store.create(PODS, crashLoopingPod(i, now, markerMessage(markerSeq++, Date.now())));
    process.stdout.write(JSON.stringify({ crashLoopsDone: Number(cmd.pods) }) + '\n');
  }
  if (cmd.cmd === 'logLines') {
    const t0 = sim.clock.now().getTime();
    const n = Number(cmd.lines);
    for (let i = 0; i < n; i++) sim.ctx.logs.append(String(cmd.namespace), String(cmd.pod), String(cmd.container), new Date(t0 + i), `GET /api/items/${i} 200 ${(i * 7) % 40}ms`);
    process.stdout.write(JSON.stringify({ logLinesDone: n }) + '\n');
  }
  if (cmd.cmd === 'markers') markers(Number(cmd.rate), Number(cmd.seconds), Number(cmd.objects ?? 100));
  else if (cmd.cmd === 'stats') process.stdout.write(JSON.stringify({ rv: store.resourceVersion, pods: store.count(PODS.storage), eventWrites, markerSeq }) + '\n');
}
await sim.close();
process.exit(0);
