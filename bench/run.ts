// `npm run bench -- <name…> [--runs N] [--pods N]`: runs the named benchmarks N times
// each and prints their figures as JSON lines, one per benchmark, every
// number as {min, median, max} over the runs. A bench that cannot measure a
// figure throws: the message is printed and the exit code is 1. `--pods N`
// sizes the cluster of the benches that hold one (BENCH_PODS).
// `npm run bench -- all [--runs N]`: every benchmark, and one JSON report
// written to bench-reports/ (path printed; not committed). `--report` writes
// one for any selection too.
// `npm run bench -- compare A.json B.json`: two reports side by side.

import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { compareReports, formatTable, readReport, type Report } from './compare.ts';
import { parsePods, parseRuns, positionals, summarize } from './summary.ts';

const benches: Record<string, () => Promise<Record<string, unknown>>> = {
  sim: async () => (await import('./sim.ts')).benchSim(),
  listen: async () => (await import('./listen.ts')).benchListen(),
  pods: async () => (await import('./pods.ts')).benchPods(),
  delivery: async () => (await import('./delivery.ts')).benchDelivery(),
  rules: async () => (await import('./rules.ts')).benchRules(),
  grpc: async () => (await import('./grpc.ts')).benchGrpc(),
  chatops: async () => (await import('./chatops.ts')).benchChatops(),
  restart: async () => (await import('./restart.ts')).benchRestart(),
  handover: async () => (await import('./handover.ts')).benchHandover(),
};

const fail = (message: string, code = 1): never => {
  process.stderr.write(`bench: ${message}\n`);
  process.exit(code);
};

const argv = process.argv.slice(2);
const names = positionals(argv);

if (names[0] === 'compare') {
  if (names.length !== 3) fail('compare: expected two report files: npm run bench -- compare A.json B.json', 2);
  try {
    process.stdout.write(formatTable(compareReports(readReport(names[1]), readReport(names[2]))));
  } catch (err) {
    fail((err as Error).message);
  }
  process.exit(0);
}

let runs = 1;
try {
  runs = parseRuns(argv);
  const pods = parsePods(argv);
  // the benches read their sizes when they are imported, below
  if (pods !== undefined) process.env.BENCH_PODS = String(pods);
} catch (err) {
  fail((err as Error).message, 2);
}
const all = names.includes('all');
const selected = all || !names.length ? Object.keys(benches) : names;
const unknown = selected.filter((n) => !(n in benches));
if (unknown.length) fail(`unknown benchmark(s): ${unknown.join(', ')}; known: ${Object.keys(benches).join(', ')}, all, compare`, 2);

const report: Report = { createdAt: new Date().toISOString(), runs, ...(process.env.BENCH_PODS ? { pods: Number(process.env.BENCH_PODS) } : {}), benches: {} };
for (const name of selected) {
  const results: Record<string, unknown>[] = [];
  for (let i = 0; i < runs; i++) {
    try {
      results.push(await benches[name]());
    } catch (err) {
      fail(`${name} (run ${i + 1} of ${runs}): ${(err as Error).message}`);
    }
  }
  report.benches[name] = summarize(results);
  process.stdout.write(JSON.stringify({ bench: name, runs, ...report.benches[name] }) + '\n');
}
if (all || argv.includes('--report')) {
  const dir = join(process.cwd(), 'bench-reports');
  mkdirSync(dir, { recursive: true });
  const path = join(dir, `bench-${report.createdAt.replace(/[:.]/g, '-')}.json`);
  writeFileSync(path, JSON.stringify(report, null, 2) + '\n');
  process.stdout.write(`report written to ${path}\n`);
}
process.exit(0);
