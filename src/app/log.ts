// Structured logs on stderr (stdout belongs to sinks like console and
// jsonl): JSON lines by default, or one readable line per entry.

import pino, { type Logger } from 'pino';

const LEVELS: Record<number, string> = { 10: 'TRACE', 20: 'DEBUG', 30: 'INFO', 40: 'WARN', 50: 'ERROR', 60: 'FATAL' };

/** Renders pino's JSON lines as `12:00:01 WARN  message key=value …`. */
export function prettyLine(json: string): string {
  const { level, time, msg, pid: _p, hostname: _h, name: _n, ...rest } = JSON.parse(json) as Record<string, unknown>;
  const t = new Date(Number(time)).toISOString().slice(11, 19);
  const fields = Object.entries(rest)
    .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
    .join(' ');
  return `${t} ${(LEVELS[Number(level)] ?? String(level)).padEnd(5)} ${String(msg ?? '')}${fields ? ' ' + fields : ''}\n`;
}

export function createLogger(name: string, level: string, format: 'json' | 'pretty' = 'json'): Logger {
  const opts = { name, level, base: { name } };
  if (format === 'pretty') return pino(opts, { write: (line: string) => void process.stderr.write(prettyLine(line)) });
  return pino(opts, pino.destination({ fd: 2, sync: true }));
}
