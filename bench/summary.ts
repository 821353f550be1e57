// Figures of N runs of one benchmark as min/median/max, and the `--runs N`
// flag. Pure: no I/O.

export interface Spread {
  min: number;
  median: number;
  max: number;
}

export function spread(xs: number[]): Spread {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  const median = s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
  return { min: s[0], median: Math.round(median * 10) / 10, max: s[s.length - 1] };
}

/** The p-th percentile (nearest rank, rounded down) of xs; undefined when empty. */
export function percentile(xs: readonly number[], p: number): number | undefined {
  if (!xs.length) return undefined;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
}

/** Numeric figures become a Spread over the runs; anything else is kept from the first run. */
export function summarize(runs: Record<string, unknown>[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(runs[0] ?? {})) {
    const values = runs.map((r) => r[key]);
    out[key] = values.every((v) => typeof v === 'number') ? spread(values as number[]) : values[0];
  }
  return out;
}

/** The text after `--name` (or in `--name=…`); undefined when the flag is absent, '' when it has no value. */
function flagText(argv: readonly string[], name: string): string | undefined {
  const i = argv.findIndex((a) => a === `--${name}` || a.startsWith(`--${name}=`));
  if (i < 0) return undefined;
  return argv[i].includes('=') ? argv[i].slice(name.length + 3) : (argv[i + 1] ?? '');
}

/** A whole-number flag ≥ 1; `fallback` when absent. */
function countFlag(argv: readonly string[], name: string, what: string, fallback: number | undefined): number | undefined {
  const text = flagText(argv, name);
  if (text === undefined) return fallback;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) throw new Error(`--${name}: expected a whole number of ${what} ≥ 1, got ${JSON.stringify(text)}`);
  return n;
}

/** `--runs N` (or `--runs=N`); 1 when absent. */
export function parseRuns(argv: readonly string[]): number {
  return countFlag(argv, 'runs', 'runs', 1)!;
}

/** `--pods N`: the cluster size the benches that hold pods use (BENCH_PODS); undefined when absent. */
export function parsePods(argv: readonly string[]): number | undefined {
  return countFlag(argv, 'pods', 'pods', undefined);
}

const VALUED = new Set(['--runs', '--pods']);

/** The words that are not flags or a flag's value. */
export function positionals(argv: readonly string[]): string[] {
  return argv.filter((a, i) => !a.startsWith('-') && !VALUED.has(argv[i - 1]));
}
