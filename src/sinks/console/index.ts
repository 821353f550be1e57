// The console sink: one readable line per notification on stdout, for a
// person watching a terminal (or `kubectl logs`). formatConsoleLine is pure;
// the sink only decides on colour and writes.

import { timestampDate } from '@bufbuild/protobuf/wkt';
import { type Notification, type ObjectRef, Severity, State } from '../../model/notification.ts';
import { shortKind } from '../summary.ts';
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

const SEVERITY: Record<number, { word: string; color: string }> = {
  [Severity.CRITICAL]: { word: 'critical', color: ANSI.red },
  [Severity.WARNING]: { word: 'warning', color: ANSI.yellow },
  [Severity.INFO]: { word: 'info', color: ANSI.cyan },
};

/**
 * `12:01:05 FIRING   critical CrashLoopBackOff  demo/pod/web-7d9c-abcde (deploy/web)  container app restarted 5 times…`
 * State and severity are padded so columns line up; everything that came
 * from the cluster is stripped of control characters, so an Event message
 * cannot move the cursor or recolour the terminal.
 */
export function formatConsoleLine(n: Notification, opts: ConsoleFormatOptions): string {
  const paint = (code: string, text: string): string => (opts.color ? `${code}${text}${ANSI.reset}` : text);
  const resolved = n.state === State.RESOLVED;
  const sev = SEVERITY[n.severity] ?? { word: 'unknown', color: ANSI.bold };
  const stateWord = resolved ? 'RESOLVED' : n.state === State.FIRING ? 'FIRING' : 'UNKNOWN';
  const status = `${stateWord.padEnd(8)} ${sev.word.padEnd(8)}`;
  const object = n.involvedObject ? refText(n.involvedObject, true) : '-';
  const owner = n.owner && n.owner.name ? ` (${refText(n.owner, false)})` : '';
  const message = truncate(clean(n.message), opts.maxMessageLength ?? 300);
  return [
    paint(ANSI.dim, clock(n, opts.timeZone ?? 'local')),
    paint(resolved ? ANSI.green : sev.color, status),
    `${paint(ANSI.bold, clean(n.reason) || '-')}  ${object}${owner}${message ? `  ${message}` : ''}`,
  ].join(' ');
}

function clock(n: Notification, zone: 'local' | 'utc'): string {
  if (!n.eventTime) return '--:--:--';
  const d = timestampDate(n.eventTime);
  const parts = zone === 'utc' ? [d.getUTCHours(), d.getUTCMinutes(), d.getUTCSeconds()] : [d.getHours(), d.getMinutes(), d.getSeconds()];
  return parts.map((p) => String(p).padStart(2, '0')).join(':');
}

function refText(ref: ObjectRef, withNamespace: boolean): string {
  const path = `${clean(shortKind(ref.kind))}/${clean(ref.name)}`;
  return withNamespace && ref.namespace ? `${clean(ref.namespace)}/${path}` : path;
}

// C0/C1 controls (ESC starts every terminal escape sequence) and the bidi
// overrides that can make text read differently from what it is.
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]+/g;

function clean(s: string): string {
  return s.replace(UNSAFE, ' ').replace(/\s+/g, ' ').trim();
}

function truncate(s: string, max: number): string {
  const chars = Array.from(s);
  return chars.length <= max ? s : `${chars.slice(0, Math.max(0, max - 1)).join('')}…`;
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
