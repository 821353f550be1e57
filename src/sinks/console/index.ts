// The console sink: one readable line per notification on stdout, for a
// person watching a terminal (or `kubectl logs`). formatConsoleLine is pure;
// the sink only decides on colour and writes.

import { timestampDate } from '@bufbuild/protobuf/wkt';
import type { Notification } from '../../model/notification.ts';
import { cleanLine as clean, refText, type Summary, summarize, truncate, whereOf } from '../summary.ts';
import { closedError, type Sink, type SinkDeps, SinkError, writeChunk } from '../types.ts';
import type { ConsoleSinkConfig } from './config.ts';

export { type ConsoleSinkConfig, consoleSinkSchema } from './config.ts';

export interface ConsoleFormatOptions {
  color: boolean;
  /** clock shown at the start of the line (default local, as a person at a terminal reads it) */
  timeZone?: 'local' | 'utc';
  /** longer messages are cut with "…" so one notification stays one line (default 300 characters) */
  maxMessageLength?: number;
}

const ANSI = {
  reset: '\x1b[0m',
  bold: '\x1b[1m',
  dim: '\x1b[2m',
  red: '\x1b[1;31m',
  yellow: '\x1b[33m',
  cyan: '\x1b[36m',
  green: '\x1b[32m',
} as const;

const COLOR: Record<Summary['severity'], string> = { critical: ANSI.red, warning: ANSI.yellow, info: ANSI.cyan, unknown: ANSI.bold };

/**
 * `12:01:05 FIRING   critical CrashLoopBackOff  demo/pod/web-7d9c-abcde (deploy/web)  container app restarted 5 times…`
 * State and severity are padded so columns line up; everything that came
 * from the cluster is stripped of control characters, so an Event message
 * cannot move the cursor or recolour the terminal.
 */
export function formatConsoleLine(n: Notification, opts: ConsoleFormatOptions): string {
  const paint = (code: string, text: string): string => (opts.color ? `${code}${text}${ANSI.reset}` : text);
  const s = summarize(n);
  const status = `${s.state.padEnd(8)} ${s.severity.padEnd(8)}`;
  const object = whereOf(s) || '-';
  const owner = n.owner && n.owner.name ? ` (${refText(n.owner)})` : '';
  const message = truncate(clean(s.message), opts.maxMessageLength ?? 300);
  return [
    paint(ANSI.dim, clock(n, opts.timeZone ?? 'local')),
    paint(s.state === 'RESOLVED' ? ANSI.green : COLOR[s.severity], status),
    `${paint(ANSI.bold, s.reason || '-')}  ${object}${owner}${message ? `  ${message}` : ''}`,
  ].join(' ');
}

function clock(n: Notification, zone: 'local' | 'utc'): string {
  if (!n.eventTime) return '--:--:--';
  const d = timestampDate(n.eventTime);
  const parts = zone === 'utc' ? [d.getUTCHours(), d.getUTCMinutes(), d.getUTCSeconds()] : [d.getHours(), d.getMinutes(), d.getSeconds()];
  return parts.map((p) => String(p).padStart(2, '0')).join(':');
}

/** Whether `color: auto` means colour: a terminal, and neither NO_COLOR (no-color.org) nor TERM=dumb. */
export function autoColor(stream: NodeJS.WritableStream, env: NodeJS.ProcessEnv): boolean {
  return (stream as { isTTY?: boolean }).isTTY === true && !env.NO_COLOR && env.TERM !== 'dumb';
}

export function createConsoleSink(cfg: ConsoleSinkConfig, deps: SinkDeps & { timeZone?: 'local' | 'utc' } = {}): Sink {
  const stream = deps.stdout ?? process.stdout;
  const color = cfg.color === 'always' || (cfg.color === 'auto' && autoColor(stream, deps.env ?? process.env));
  let tail: Promise<void> = Promise.resolve();
  let closed = false;
  return {
    name: cfg.name,
    type: 'console',
    send(n) {
      if (closed) return Promise.reject(closedError('console', cfg.name));
      const line = `${formatConsoleLine(n, { color, timeZone: deps.timeZone })}\n`;
      const sent = writeChunk(stream, line).catch((err: Error) => {
        throw new SinkError(`console sink "${cfg.name}": cannot write to stdout: ${err.message}`, { kind: 'retryable', cause: err });
      });
      tail = sent.catch(() => undefined);
      return sent;
    },
    async close() {
      closed = true;
      // stdout belongs to the process: wait for our lines, never end it
      await tail;
    },
  };
}
