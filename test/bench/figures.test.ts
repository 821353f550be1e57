// The bench's pure parts: min/median/max over runs, --runs, /proc parsing,
// Prometheus sums and the side-by-side comparison of two reports.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { compareReports, formatTable, readReport } from '../../bench/compare.ts';
import { sumMetric } from '../../bench/kubeherald-process.ts';
import { parseProc, readProc } from '../../bench/proc.ts';
import { parseRuns, positionals, spread, summarize } from '../../bench/summary.ts';

test('spread: min, median (mean of the middle two when even) and max', () => {
  assert.deepEqual(spread([3, 1, 2]), { min: 1, median: 2, max: 3 });
  assert.deepEqual(spread([4, 1, 2, 10]), { min: 1, median: 3, max: 10 });
});

test('summarize: numbers become spreads over runs, other values are kept from the first run', () => {
  assert.deepEqual(summarize([{ a: 1, s: 'x' }, { a: 3, s: 'y' }]), { a: { min: 1, median: 2, max: 3 }, s: 'x' });
});

test('--runs: absent is 1; a whole number ≥ 1 either way; anything else is refused naming the flag', () => {
  assert.equal(parseRuns(['listen']), 1);
  assert.equal(parseRuns(['listen', '--runs', '3']), 3);
  assert.equal(parseRuns(['--runs=5', 'listen']), 5);
  assert.throws(() => parseRuns(['--runs', '0']), /--runs: expected a whole number of runs ≥ 1, got "0"/);
  assert.throws(() => parseRuns(['--runs', 'many']), /--runs: .*"many"/);
  assert.throws(() => parseRuns(['--runs']), /--runs: .*""/);
  assert.deepEqual(positionals(['listen', '--runs', '3', 'sim']), ['listen', 'sim']);
});

test('parseProc: VmRSS, VmHWM and utime+stime, a command name with spaces and parentheses included', () => {
  const status = 'Name:\tnode\nVmHWM:\t  204800 kB\nVmRSS:\t  102400 kB\n';
  const stat = '1234 (node (main) x) S 1 2 3 4 5 6 7 8 9 10 250 50 0 0 20 0 11';
  assert.deepEqual(parseProc(status, stat, 100), { rssMB: 100, hwmMB: 200, cpuSeconds: 3 });
  assert.throws(() => parseProc('Name:\tnode\n', stat, 100), /no VmRSS/);
  assert.throws(() => parseProc(status, '1 (x) S', 100), /no utime\/stime/);
});

test('readProc: this process has resident memory, a peak at least as high, and CPU time', () => {
  const p = readProc(process.pid);
  assert.ok(p.rssMB > 0 && p.hwmMB >= p.rssMB && p.cpuSeconds > 0, JSON.stringify(p));
  assert.throws(() => readProc(2 ** 30), /ENOENT/);
});

test('sumMetric: sums every label set of one metric, not of metrics sharing its prefix; undefined when absent', () => {
  const text = [
    '# HELP kubeherald_watch_events Watch events',
    'kubeherald_watch_events{resource="pods"} 10',
    'kubeherald_watch_events{resource="events"} 5',
    'kubeherald_watch_events_total 99',
    'kubeherald_outbox_deliveries{state="pending"} 7',
    'kubeherald_outbox_deliveries{state="dead"} 1',
  ].join('\n');
  assert.equal(sumMetric(text, 'kubeherald_watch_events'), 15);
  assert.equal(sumMetric(text, 'kubeherald_outbox_deliveries{state="pending"}'), 7);
  assert.equal(sumMetric(text, 'kubeherald_missing'), undefined);
});

test('compare: medians of two reports side by side with the change; a figure in one only shows "-"', () => {
  const a = { createdAt: 'a', runs: 3, benches: { listen: { rss: { min: 1, median: 200, max: 3 }, p50: 100, note: 'x' } } };
  const b = { createdAt: 'b', runs: 3, benches: { listen: { rss: { min: 1, median: 150, max: 3 }, p50: 110, extra: 4 } } };
  const rows = compareReports(a, b);
  assert.deepEqual(rows, [
    ['bench', 'figure', 'A', 'B', 'change'],
    ['listen', 'rss', '200', '150', '-25.0%'],
    ['listen', 'p50', '100', '110', '+10.0%'],
    ['listen', 'extra', '-', '4', ''],
  ]);
  assert.match(formatTable(rows), /^bench +figure +A +B +change\nlisten +rss +200 +150 +-25\.0%\n/);
});

test('readReport: a file that is not a report is refused naming it', () => {
  const dir = mkdtempSync(join(tmpdir(), 'bench-report-'));
  try {
    writeFileSync(join(dir, 'bad.json'), '{"x":1}');
    writeFileSync(join(dir, 'junk.json'), 'not json');
    assert.throws(() => readReport(join(dir, 'bad.json')), /bad\.json: not a bench report \(no "benches"\)/);
    assert.throws(() => readReport(join(dir, 'junk.json')), /junk\.json: not a bench report/);
    assert.throws(() => readReport(join(dir, 'absent.json')), /absent\.json: not a bench report/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
