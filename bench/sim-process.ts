// The simulator in a process of its own (bench/sim-server.ts), driven by
// JSON lines: what the benches measure kubeherald against.

import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';

export interface SimProcess {
  kubeconfig: string;
  send(cmd: object): void;
  /** the next line from the simulator that has `key` */
  reply(key: string): Promise<Record<string, unknown>>;
  rv(): Promise<number>;
  /** writes to Events so far */
  eventWrites(): Promise<number>;
  close(): Promise<void>;
}

export async function startSimProcess(nodes: number): Promise<SimProcess> {
  const child = spawn(process.execPath, [new URL('./sim-server.ts', import.meta.url).pathname, String(nodes)], { stdio: ['pipe', 'pipe', 'inherit'] });
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
    async eventWrites() {
      send({ cmd: 'stats' });
      return Number((await reply('eventWrites')).eventWrites);
    },
    async close() {
      child.stdin!.end();
      await new Promise((r) => child.on('exit', r));
    },
  };
}

/** Asks for `pods` storm pods (no events) and waits until the simulator holds them all. */
export async function holdPods(sim: SimProcess, pods: number): Promise<void> {
  sim.send({ cmd: 'storm', pods, eventsPerSecond: 0 });
  for (;;) {
    sim.send({ cmd: 'stats' });
    if (Number((await sim.reply('pods')).pods) >= pods) break;
    await new Promise((r) => setTimeout(r, 200));
  }
  sim.send({ cmd: 'stopStorm' });
}
