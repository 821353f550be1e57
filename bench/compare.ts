// `npm run bench -- compare A.json B.json`: two reports written by
// `npm run bench -- all`, side by side, each figure's median and its change.

import { readFileSync } from 'node:fs';

export interface Report {
  createdAt: string;
  runs: number;
  /** --pods, when given */
  pods?: number;
  benches: Record<string, Record<string, unknown>>;
}

const median = (v: unknown): number | undefined =>
  typeof v === 'number' ? v : v && typeof v === 'object' && typeof (v as { median?: unknown }).median === 'number' ? (v as { median: number }).median : undefined;

export function readReport(path: string): Report {
  let r: Report;
  try {
    r = JSON.parse(readFileSync(path, 'utf8')) as Report;
  } catch (err) {
    throw new Error(`${path}: not a bench report (${(err as Error).message})`);
  }
  if (!r || typeof r.benches !== 'object') throw new Error(`${path}: not a bench report (no "benches")`);
  return r;
}

/** Rows of bench, figure, A's median, B's median and the change in percent. */
export function compareReports(a: Report, b: Report): string[][] {
  const rows: string[][] = [['bench', 'figure', 'A', 'B', 'change']];
  for (const bench of new Set([...Object.keys(a.benches), ...Object.keys(b.benches)])) {
    const fa = a.benches[bench] ?? {};
    const fb = b.benches[bench] ?? {};
    for (const key of new Set([...Object.keys(fa), ...Object.keys(fb)])) {
      const x = median(fa[key]);
      const y = median(fb[key]);
      if (x === undefined && y === undefined) continue;
      const change = x !== undefined && y !== undefined && x !== 0 ? `${y >= x ? '+' : ''}${(((y - x) / Math.abs(x)) * 100).toFixed(1)}%` : '';
      rows.push([bench, key, x === undefined ? '-' : String(x), y === undefined ? '-' : String(y), change]);
    }
  }
  return rows;
}

export function formatTable(rows: string[][]): string {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  return rows.map((r) => r.map((c, i) => (i >= 2 ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join('  ')).join('\n') + '\n';
}
