// Repeat reminders for incidents still firing: pure timing, no I/O. The
// tracker knows which incidents are open; the store remembers when each was
// last sent to each sink.

/**
 * Incidents (by key) due a reminder at `now`: still open, and last sent at
 * least `intervalMs` ago. Oldest first. An interval of 0 means no reminders.
 */
export function dueReminders(openIncidents: ReadonlySet<string>, lastSent: ReadonlyMap<string, number>, now: number, intervalMs: number): string[] {
  if (intervalMs <= 0) return [];
  return [...lastSent]
    .filter(([key, at]) => openIncidents.has(key) && at + intervalMs <= now)
    .sort((a, b) => a[1] - b[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
    .map(([key]) => key);
}

/** Remembered incidents that are no longer open: their reminder rows can go. */
export function staleReminders(openIncidents: ReadonlySet<string>, lastSent: ReadonlyMap<string, number>): string[] {
  return [...lastSent.keys()].filter((key) => !openIncidents.has(key));
}

/** When the next reminder falls due (undefined: none, or reminders off). */
export function nextReminderAt(lastSent: Iterable<number>, intervalMs: number): number | undefined {
  if (intervalMs <= 0) return undefined;
  let min: number | undefined;
  for (const at of lastSent) if (min === undefined || at < min) min = at;
  return min === undefined ? undefined : min + intervalMs;
}
