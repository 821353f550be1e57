// What the kernel says a process costs, read from /proc: resident memory now
// (VmRSS) and at its peak (VmHWM), and CPU time (utime + stime). The real
// figures of the process users run, not an estimate from inside it.

import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

let ticks: number | undefined;
function clockTicks(): number {
  ticks ??= Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;
  return ticks;
}

export interface ProcFigures {
  rssMB: number;
  hwmMB: number;
  cpuSeconds: number;
}

/** Status and stat text of a process → its figures; throws naming what is missing. */
export function parseProc(status: string, stat: string, hz: number): ProcFigures {
  const kb = (field: string): number => {
    const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status);
    if (!m) throw new Error(`/proc status has no ${field}`);
    return Number(m[1]);
  };
  // the command name in parentheses may hold spaces: count fields after its ')'
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  if (!Number.isFinite(utime) || !Number.isFinite(stime)) throw new Error('/proc stat has no utime/stime');
  return { rssMB: kb('VmRSS') / 1024, hwmMB: kb('VmHWM') / 1024, cpuSeconds: (utime + stime) / hz };
}

export function readProc(pid: number): ProcFigures {
  return parseProc(readFileSync(`/proc/${pid}/status`, 'utf8'), readFileSync(`/proc/${pid}/stat`, 'utf8'), clockTicks());
}
