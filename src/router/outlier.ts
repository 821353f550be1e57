// Passive outlier ejection (Envoy's consecutive-failure detector): an
// instance whose calls keep failing at the transport level is taken out for
// a while, longer each time, but never so many at once that the pool has no
// capacity left. Pure decision math; the pool owns the timers.

export interface OutlierOptions {
  /** transport failures in a row that eject an instance */
  consecutiveFailures: number;
  /** ejection time is this × how many times the instance was ejected */
  baseEjectionMs: number;
  /** cap on one ejection */
  maxEjectionMs: number;
  /** at most this share of a pool is ejected at once (but see maxEjectable) */
  maxEjectionPercent: number;
}

export const MAX_EJECTION_MS = 5 * 60_000;

/** How long the `timesEjected`-th ejection lasts (1 for the first). */
export function ejectionMs(o: Pick<OutlierOptions, 'baseEjectionMs' | 'maxEjectionMs'>, timesEjected: number): number {
  return Math.min(o.baseEjectionMs * Math.max(1, timesEjected), o.maxEjectionMs);
}

/**
 * How many members of a pool of `poolSize` may be ejected at once. With two
 * or more members one may always go, whatever the percentage says: a small
 * pool must still be able to shed its one bad instance.
 */
export function maxEjectable(poolSize: number, maxEjectionPercent: number): number {
  const byPercent = Math.floor((poolSize * maxEjectionPercent) / 100);
  return Math.max(byPercent, poolSize >= 2 ? 1 : 0);
}

/** Whether an instance with `consecutive` transport failures in a row is ejected now. */
export function shouldEject(
  o: Pick<OutlierOptions, 'consecutiveFailures' | 'maxEjectionPercent'>,
  consecutive: number,
  poolSize: number,
  ejectedNow: number,
): boolean {
  return consecutive >= o.consecutiveFailures && ejectedNow < maxEjectable(poolSize, o.maxEjectionPercent);
}

/**
 * The ejection multiplier after an instance stayed in the pool for
 * `healthyForMs` since its last ejection ended: one step back per
 * baseEjectionMs, so a flaky-once instance is not punished forever.
 */
export function decayedTimes(timesEjected: number, healthyForMs: number, baseEjectionMs: number): number {
  if (timesEjected <= 0 || baseEjectionMs <= 0) return Math.max(0, timesEjected);
  return Math.max(0, timesEjected - Math.floor(healthyForMs / baseEjectionMs));
}
