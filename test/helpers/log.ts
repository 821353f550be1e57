// A logger that keeps what it is told, for tests that assert on log lines
// (and that secrets never reach them).

export interface LogEntry {
  level: string;
  obj: Record<string, unknown>;
  msg: string;
}

export interface RecordingLog {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
  debug(obj: object, msg: string): void;
}

/** Every call appended to `into` (default a new list), in order. */
export function recordingLog(into: LogEntry[] = []): { log: RecordingLog; entries: LogEntry[] } {
  const at = (level: string) => (obj: object, msg: string) => void into.push({ level, obj: obj as Record<string, unknown>, msg });
  return { entries: into, log: { info: at('info'), warn: at('warn'), error: at('error'), debug: at('debug') } };
}
