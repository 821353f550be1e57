// What `payload: pod` costs: the listener keeps pods whole (but for
// managedFields) while a webhook sink sends them whole. 10,000 pods cached
// trimmed and whole, each mode in a process of its own: RSS and heap after a
// full collection, and the JSON size of one cached pod. Two shapes: the
// simulator's storm pods (one container, the API server's defaults: the
// smallest a pod gets) and pods shaped like a production Deployment's
// (bench/rich-pod.ts: two containers with env, probes, resources, mounts).

import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

const PODS = Number(process.env.BENCH_PODS ?? 10_000);

function measure(mode: 'trimmed' | 'whole', kubeconfig: string): Promise<Record<string, number>> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--expose-gc', new URL('./pods-child.ts', import.meta.url).pathname, mode, kubeconfig, String(PODS)], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve(JSON.parse(out) as Record<string, number>) : reject(new Error(`pods-child ${mode} exited ${code}`))));
  });
}

/** Both modes against a simulator holding PODS pods of one shape. */
async function measureShape(shape: 'storm' | 'rich'): Promise<Record<string, number>> {
  const sim = spawn(process.execPath, [new URL('./sim-server.ts', import.meta.url).pathname, '3'], { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = createInterface(sim.stdout!)[Symbol.asyncIterator]();
  const next = async (): Promise<Record<string, unknown>> => JSON.parse((await lines.next()).value as string);
  const send = (cmd: object): void => void sim.stdin!.write(JSON.stringify(cmd) + '\n');
  const dir = mkdtempSync(join(tmpdir(), 'kubeherald-bench-pods-'));
  try {
    const { kubeconfig } = (await next()) as { kubeconfig: string };
    const file = join(dir, 'kubeconfig');
    writeFileSync(file, kubeconfig, { mode: 0o600 });
    send(shape === 'storm' ? { cmd: 'storm', pods: PODS, eventsPerSecond: 0 } : { cmd: 'richPods', pods: PODS });
    for (;;) {
      send({ cmd: 'stats' });
      const s = await next();
      if (Number(s.pods) >= PODS) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    const trimmed = await measure('trimmed', file);
    const whole = await measure('whole', file);
    const round = (x: number): number => Math.round(x * 10) / 10;
    return {
      trimmedRssMB: trimmed.rssMB,
      wholeRssMB: whole.rssMB,
      trimmedHeapMB: trimmed.heapMB,
      wholeHeapMB: whole.heapMB,
      extraHeapMB: round(whole.heapMB - trimmed.heapMB),
      extraRssMB: round(whole.rssMB - trimmed.rssMB),
      extraHeapBytesPerPod: Math.round(((whole.heapMB - trimmed.heapMB) * 2 ** 20) / whole.pods),
      trimmedJsonBytesPerPod: trimmed.jsonBytesPerPod,
      wholeJsonBytesPerPod: whole.jsonBytesPerPod,
    };
  } finally {
    sim.stdin!.end();
    await new Promise((r) => sim.on('exit', r));
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function benchPods(): Promise<Record<string, unknown>> {
  const figures: Record<string, unknown> = { pods: PODS };
  for (const shape of ['storm', 'rich'] as const) {
    for (const [k, v] of Object.entries(await measureShape(shape))) figures[`${shape}${k[0].toUpperCase()}${k.slice(1)}`] = v;
  }
  return figures;
}
