// The simulator in its own process for benchmarks, so what is measured in
// the parent (the listener) does not share its core. Prints one JSON line
// {url, kubeconfig}, then takes commands as JSON lines on stdin:
//   {"cmd":"storm","pods":10000,"eventsPerSecond":5000}   (replaces a running storm)
//   {"cmd":"stopStorm"}
//   {"cmd":"markers","rate":1000,"seconds":10}  Warning events stamped with the send time
//   {"cmd":"stats"}                              → {"rv":…,"pods":…}
//   {"cmd":"richPods","pods":10000}          pods shaped like a production Deployment's (bench/rich-pod.ts), namespace rich
//   {"cmd":"logLines","namespace":"storm","pod":"storm-00000","container":"app","lines":5000}  → {"logLinesDone":5000}
// and exits when stdin closes.

import { createInterface } from 'node:readline';
import { EVENTS, NAMESPACES, PODS } from '../src/sim/refs.ts';
import { startSim } from '../src/sim/sim.ts';
import { richPod } from './rich-pod.ts';

const nodes = Number(process.argv[2] ?? 3);
const sim = await startSim({ nodes, bookmarkIntervalMs: 1000, historySize: 200_000 });
const store = sim.ctx.store;
process.stdout.write(JSON.stringify({ url: sim.url, kubeconfig: sim.kubeconfig }) + '\n');

let markerSeq = 0;
function markers(rate: number, seconds: number): void {
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
        involvedObject: { kind: 'Pod', namespace: 'bench', name: `marker-${seq % 100}`, uid: `marker-${seq % 100}`, apiVersion: 'v1' },
        reason: 'BenchMarker',
        message: `sent ${Date.now()}`,
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
  if (cmd.cmd === 'logLines') {
    const t0 = sim.clock.now().getTime();
    const n = Number(cmd.lines);
    for (let i = 0; i < n; i++) sim.ctx.logs.append(String(cmd.namespace), String(cmd.pod), String(cmd.container), new Date(t0 + i), `GET /api/items/${i} 200 ${(i * 7) % 40}ms`);
    process.stdout.write(JSON.stringify({ logLinesDone: n }) + '\n');
  }
  if (cmd.cmd === 'markers') markers(Number(cmd.rate), Number(cmd.seconds));
  else if (cmd.cmd === 'stats') process.stdout.write(JSON.stringify({ rv: store.resourceVersion, pods: store.count(PODS.storage) }) + '\n');
}
await sim.close();
process.exit(0);
