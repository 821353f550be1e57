// A logger that keeps what it is told, for tests that assert on log lines
// (and that secrets never reach them). It is the product's one Logger shape;
// a child's bindings are merged into each entry's obj, as pino merges them.

import type { Logger } from '../../src/model/logger.ts';

export interface LogEntry {
  level: string;
  obj: Record<string, unknown>;
  msg: string;
}

export type RecordingLog = Logger;

function recorder(into: LogEntry[], bindings: Record<string, unknown>): Logger {
  const at = (level: string) => (obj: object, msg: string) => void into.push({ level, obj: { ...bindings, ...(obj as Record<string, unknown>) }, msg });
  return { info: at('info'), warn: at('warn'), error: at('error'), debug: at('debug'), child: (more) => recorder(into, { ...bindings, ...more }) };
}

/** Every call appended to `into` (default a new list), in order; children append to the same list. */
export function recordingLog(into: LogEntry[] = []): { log: RecordingLog; entries: LogEntry[] } {
  return { entries: into, log: recorder(into, {}) };
}
