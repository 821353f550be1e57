// A chat sink's `crashReport:` option: attach the last lines of a crashed
// container's previous log to its CrashLoopBackOff and OOMKilled alerts.
// The sink only asks; the app reads the log with kubeherald's own identity,
// and only in the namespaces `chatops.crashReports.namespaces` allows
// (src/app/crash-reports.ts).

import { z } from 'zod';
import { strict } from '../config-kit/fields.ts';
import { type CrashReport, type Notification, State } from '../model/notification.ts';

/** At most this many lines: a crash report is a glance, `logs --previous` is for reading. */
export const MAX_CRASH_REPORT_LINES = 200;

export const crashReportSchema = strict({
  /** how many of the last log lines of the previous (crashed) container to attach, 1 to 200 */
  lines: z.number().int({ error: 'expected a whole number of lines' }).min(1).max(MAX_CRASH_REPORT_LINES, { error: `expected at most ${MAX_CRASH_REPORT_LINES} lines` }),
});

export type CrashReportConfig = z.output<typeof crashReportSchema>;

/** The alerts a crash report belongs on. */
export const CRASH_REPORT_REASONS: readonly string[] = ['CrashLoopBackOff', 'OOMKilled'];

/** The pod and container a crash report would be read from; undefined when the notification gets none. */
export function crashReportTarget(n: Notification): { namespace: string; pod: string; container: string } | undefined {
  const obj = n.involvedObject;
  const container = n.fields.container;
  if (n.state !== State.FIRING || !CRASH_REPORT_REASONS.includes(n.reason) || obj?.kind !== 'Pod' || !obj.namespace || !obj.name || !container) return undefined;
  return { namespace: obj.namespace, pod: obj.name, container };
}

/** The title line both chat formats show above the log. */
export function crashReportTitle(r: CrashReport): string {
  return r.error ? `Crash report of container ${r.container}: ${r.error}` : `Last ${r.lines} log lines of the previous container ${r.container}`;
}
