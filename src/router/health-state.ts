// The active health-check threshold machine of one instance: how many
// failed checks in a row make it unhealthy, how many passing ones make it
// healthy again. Pure; the pool feeds it check results.

export interface HealthThresholds {
  /** consecutive failed (or NOT_SERVING) checks that make a healthy instance unhealthy */
  unhealthyThreshold: number;
  /** consecutive passing checks that make an unhealthy instance healthy */
  healthyThreshold: number;
}

export interface HealthState {
  healthy: boolean;
  /** false until the first check finished: a new instance starts out of rotation */
  checked: boolean;
  okStreak: number;
  failStreak: number;
}

/** A new (or re-joined) instance: not usable until a check passes. */
export function initialHealth(): HealthState {
  return { healthy: false, checked: false, okStreak: 0, failStreak: 0 };
}

/**
 * Records one check result (mutating `s`, which the pool owns) and returns
 * whether `healthy` flipped. The very first passing check makes an instance
 * healthy at once, whatever healthyThreshold says: a fresh instance is
 * usable as soon as it answers, so scaling up helps within one check.
 */
export function observeCheck(s: HealthState, ok: boolean, t: HealthThresholds): boolean {
  const first = !s.checked;
  s.checked = true;
  if (ok) {
    s.okStreak++;
    s.failStreak = 0;
    if (!s.healthy && (first || s.okStreak >= t.healthyThreshold)) {
      s.healthy = true;
      return true;
    }
  } else {
    s.failStreak++;
    s.okStreak = 0;
    if (s.healthy && s.failStreak >= t.unhealthyThreshold) {
      s.healthy = false;
      return true;
    }
  }
  return false;
}
