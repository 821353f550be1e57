// The opt-in check for a newer release (`updates.check: true`). kubeherald
// never upgrades itself (that would fight whoever deploys it: GitOps, Helm,
// a package manager); it reads the registry's dist-tags once per interval and
// logs when `latest` is newer than what runs.

import type { Logger } from '../model/logger.ts';

/** Semver-ish comparison of x.y.z[-pre]: negative when a < b. A pre-release sorts before its release. */
export function compareVersions(a: string, b: string): number {
  const parse = (v: string) => {
    const [core, pre] = v.replace(/^v/, '').split('-', 2) as [string, string | undefined];
    return { nums: core.split('.').map((n) => Number(n) || 0), pre };
  };
  const x = parse(a);
  const y = parse(b);
  for (let i = 0; i < 3; i++) {
    const d = (x.nums[i] ?? 0) - (y.nums[i] ?? 0);
    if (d !== 0) return d;
  }
  if (x.pre === y.pre) return 0;
  if (x.pre === undefined) return 1;
  if (y.pre === undefined) return -1;
  return x.pre < y.pre ? -1 : 1;
}

/** The release to mention, if the registry's `latest` is newer than `running`. */
export function newerRelease(distTags: unknown, running: string): string | undefined {
  const latest = (distTags as { latest?: unknown } | null)?.latest;
  if (typeof latest !== 'string' || !/^\d+\.\d+\.\d+/.test(latest)) return undefined;
  return compareVersions(latest, running) > 0 ? latest : undefined;
}

export const PACKAGE_NAME = 'kubeherald';

export interface UpdateCheckOptions {
  /** an npm registry's base URL (a mirror works) */
  registry: string;
  intervalMs: number;
  running: string;
  log: Logger;
  /** each check's result: the newer version, or undefined (none, or the registry could not be read) */
  onChecked?: (newer: string | undefined) => void;
  fetch?: typeof fetch;
}

export interface UpdateCheck {
  /** runs one check now (the timer runs them too) */
  check(): Promise<string | undefined>;
  stop(): void;
}

/** Checks at once, then every interval, until stopped. */
export function startUpdateCheck(o: UpdateCheckOptions): UpdateCheck {
  const doFetch = o.fetch ?? fetch;
  const url = `${o.registry.replace(/\/+$/, '')}/-/package/${PACKAGE_NAME}/dist-tags`;
  let announced: string | undefined;
  let stopped = false;
  const check = async (): Promise<string | undefined> => {
    let newer: string | undefined;
    try {
      const res = await doFetch(url, { headers: { Accept: 'application/json' }, signal: AbortSignal.timeout(15_000) });
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
      newer = newerRelease(await res.json(), o.running);
      // said once per version, not every day
      if (newer && newer !== announced) {
        announced = newer;
        o.log.info({ running: o.running, available: newer }, `kubeherald ${newer} is available; you run ${o.running}`);
      }
    } catch (err) {
      // the registry is out of reach (an air-gapped cluster): nothing kubeherald does depends on it
      o.log.debug({ registry: o.registry, err: (err as Error).message }, 'update check: could not read the registry');
    }
    if (!stopped) o.onChecked?.(newer);
    return newer;
  };
  const timer = setInterval(() => void check(), o.intervalMs);
  timer.unref();
  void check();
  return {
    check,
    stop() {
      stopped = true;
      clearInterval(timer);
    },
  };
}
