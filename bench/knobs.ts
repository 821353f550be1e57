// What the benches that run kubeherald share: sizes from the environment
// (`--pods N` sets BENCH_PODS), the metrics they read, and a sleep.

export const envNumber = (name: string, fallback: number): number => Number(process.env[name] ?? fallback);

/** the cluster the simulator holds */
export const PODS = envNumber('BENCH_PODS', 10_000);
export const NODES = envNumber('BENCH_NODES', 1_000);

/** kubeherald's metrics, by the names (and label sets) the benches sum */
export const METRIC = {
  watchEvents: 'kubeherald_watch_events',
  relists: 'kubeherald_watch_relists_after_gone',
  pending: 'kubeherald_outbox_deliveries{state="pending"}',
  inflight: 'kubeherald_outbox_deliveries{state="inflight"}',
  attempts: 'kubeherald_delivery_attempts_total',
  sinkSeconds: 'kubeherald_delivery_duration_seconds_sum',
  openIncidents: 'kubeherald_open_incidents',
} as const;

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Polls `probe` every 250 ms until it says true (true), or `seconds` pass first (false). */
export async function until(seconds: number, probe: () => Promise<boolean>): Promise<boolean> {
  const end = Date.now() + seconds * 1000;
  while (!(await probe())) {
    if (Date.now() > end) return false;
    await sleep(250);
  }
  return true;
}
